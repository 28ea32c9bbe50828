"""``make bench``: the seed's TorchGeo path against ours, side by side, on a full-size product file.

Builds (once, cached outside the repo) a 721x1440x768 file in the product's format, then
measures both paths in this run and prints a table with ratios (also written to
``out/bench/bench_results.md``). Cases that need a fresh process run as child processes of
this script (``--child NAME``). The seed's path is sampled on long cases and extrapolated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import product  # noqa: E402

WORLD_MAP = "/usr/share/qgis/resources/data/world_map.gpkg"
SEED_SAMPLE = int(os.environ.get("BENCH_SEED_SAMPLE", "12"))
SCATTERED = 1000


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def world_map_path() -> str:
    """QGIS's bundled world_map.gpkg (QgsApplication.pkgDataPath() on Debian is /usr/share/qgis)."""
    return os.environ.get("RS_EMBED_WORLD_MAP", WORLD_MAP)


def load_polygons(layer: str) -> list:
    """Shapely geometries of a world_map.gpkg layer (EPSG:4326), read with pyogrio."""
    import pyogrio

    df = pyogrio.read_dataframe(world_map_path(), layer=layer)
    return [g for g in df.geometry.values if g is not None and not g.is_empty]


def land_points(n: int, seed: int = 0) -> list[tuple[float, float]]:
    """n random points on land (inside world_map countries, and land in the synthetic file)."""
    import shapely

    rng = random.Random(seed)
    polys = load_polygons("countries")
    union = shapely.union_all(polys)
    shapely.prepare(union)
    pts: list[tuple[float, float]] = []
    while len(pts) < n:
        lon, lat = rng.uniform(-180, 180), rng.uniform(-60, 75)
        if union.contains(shapely.Point(lon, lat)):
            r = np.array([round((90 - lat) / 0.25)])
            c = np.array([round((lon + 180) / 0.25) % 1440])
            if product.land_mask(r, c)[0]:
                pts.append((lon, lat))
    return pts


def boxes_around(points: list[tuple[float, float]], half: float = 0.05) -> list[tuple]:
    """Small bboxes (about 10 km) around points."""
    return [(lon - half, lat - half, lon + half, lat + half) for lon, lat in points]


# --------------------------------------------------------------------------- children


def child(name: str, data_dir: str) -> dict:
    """Run one fresh-process case and return its measurements."""
    base_rss = _rss_mb()
    t0 = time.perf_counter()
    from rs_embed_qgis.core import (
        BBox,
        OutputSpec,
        Polygon,
        TemporalSpec,
        clear_cache,
        get_embedding,
        get_embeddings_batch,
    )

    year = TemporalSpec.year(2021)
    if name == "single_first":
        t0 = time.perf_counter()
        e = get_embedding(spatial=BBox(10.0, 50.0, 10.1, 50.1), temporal=year, data_dir=data_dir)
        return {"seconds": time.perf_counter() - t0, "reader": e.meta["reader"]}
    if name == "seed_single_first":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from seed_path import SeedPath

        t0 = time.perf_counter()
        SeedPath(data_dir).bbox_mean(10.0, 50.0, 10.1, 50.1)
        return {"seconds": time.perf_counter() - t0}
    if name in ("provinces_prepare", "provinces", "countries"):
        layer = "countries" if name == "countries" else "states_provinces"
        polys = load_polygons(layer)
        if name == "provinces_prepare":
            clear_cache()
        import_rss = _rss_mb()
        marks: dict[str, float] = {}

        def progress(f: float, msg: str) -> None:
            if msg == "Cache ready":
                marks.setdefault("cache_ready", time.perf_counter())

        t1 = time.perf_counter()
        embs = get_embeddings_batch(
            spatials=[Polygon.from_shapely(g) for g in polys],
            temporal=year,
            output=OutputSpec.pooled("mean"),
            data_dir=data_dir,
            on_error="skip",
            progress=progress,
        )
        t2 = time.perf_counter()
        ok = sum(e.data is not None for e in embs)
        return {
            "seconds_total": t2 - t0,
            "seconds_batch": t2 - t1,
            "items": len(embs),
            "ok": ok,
            "peak_mb_above_baseline": _peak_mb() - base_rss,
            "peak_mb_above_imports": _peak_mb() - import_rss,
            "reader": next(e.meta["reader"] for e in embs if e.data is not None),
            "seconds_prepare": marks["cache_ready"] - t1 if "cache_ready" in marks else None,
        }
    raise SystemExit(f"unknown child {name}")


def run_child(name: str, data_dir: str) -> dict:
    """Run a child case in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--data-dir", data_dir],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data_dir)))
        return

    path = product.cached_full_product()
    data_dir = str(Path(path).parent)
    os.environ.setdefault("RS_EMBED_COP_CACHE_DIR", str(Path(path).parent.parent / "fast_cache"))
    print(f"product file: {path} ({os.path.getsize(path) / 1024**2:.0f} MB)", flush=True)
    print(f"fast cache:   {os.environ['RS_EMBED_COP_CACHE_DIR']}", flush=True)
    rows: list[tuple[str, str, str, str, str]] = []

    def add(case: str, seed: float | None, ours: float, unit: str, note: str = "") -> None:
        ratio = f"{seed / ours:,.0f}x" if seed and ours > 0 else "-"
        if unit == "ms":
            fmt = lambda v: f"{v:,.2f} ms"  # noqa: E731
        elif unit:
            fmt = lambda v: f"{v:,.3f} {unit}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:.1e}"  # noqa: E731
        rows.append((case, fmt(seed) if seed is not None else "n/a", fmt(ours), ratio, note))
        print(f"  {case}: seed={rows[-1][1]} ours={rows[-1][2]} ratio={ratio} {note}", flush=True)

    # Fresh processes first: preparing the cache from the compressed file, then reusing it.
    print("provinces from a fresh process, preparing the cache ...", flush=True)
    prep = run_child("provinces_prepare", data_dir)
    print("provinces from a fresh process, cache prepared ...", flush=True)
    warm = run_child("provinces", data_dir)
    countries = run_child("countries", data_dir)
    first = run_child("single_first", data_dir)
    seed_first = run_child("seed_single_first", data_dir)

    from rs_embed_qgis.core import (
        BBox,
        OutputSpec,
        PointBuffer,
        TemporalSpec,
        get_embedding,
        get_embeddings_batch,
        prepare_cache,
    )
    from rs_embed_qgis.core.adapter import open_source
    from rs_embed_qgis.core.grid import window_for_bbox

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from seed_path import SeedPath

    year = TemporalSpec.year(2021)
    prepare_cache(path)  # already prepared by the child: this only checks it

    # Warm single pooled embedding.
    pb = PointBuffer(lon=10.0, lat=50.0, buffer_m=5000)  # on land in the synthetic file
    get_embedding(spatial=pb, temporal=year, data_dir=data_dir)
    lat_ours = []
    for _ in range(300):
        t = time.perf_counter()
        get_embedding(spatial=pb, temporal=year, data_dir=data_dir)
        lat_ours.append(time.perf_counter() - t)
    seed = SeedPath(data_dir)
    seed.bbox_mean(9.95, 49.95, 10.05, 50.05)
    lat_seed = []
    for _ in range(20):
        t = time.perf_counter()
        seed.bbox_mean(9.95, 49.95, 10.05, 50.05)
        lat_seed.append(time.perf_counter() - t)

    # 1000 scattered bboxes over land.
    boxes = boxes_around(land_points(SCATTERED))
    t = time.perf_counter()
    embs = get_embeddings_batch(
        spatials=[BBox(*b) for b in boxes], temporal=year, data_dir=data_dir
    )
    scattered_ours = time.perf_counter() - t
    sample = random.Random(1).sample(boxes, SEED_SAMPLE)
    t = time.perf_counter()
    for b in sample:
        seed.bbox_mean(*b)
    scattered_seed = (time.perf_counter() - t) / len(sample) * len(boxes)

    # Polygons: the seed has no polygon mode; its nearest is the 1 degree box at the centre.
    def seed_polys(layer: str) -> float:
        polys = random.Random(2).sample(load_polygons(layer), SEED_SAMPLE)
        t = time.perf_counter()
        for g in polys:
            seed.bbox_mean(*g.bounds)
        return (time.perf_counter() - t) / len(polys)

    n_countries = len(load_polygons("countries"))
    n_provinces = len(load_polygons("states_provinces"))
    seed_country = seed_polys("countries") * n_countries
    seed_province = seed_polys("states_provinces") * n_provinces

    # 60 x 60 degree grid (seed: TorchGeo slicing of the same snapped box).
    gbox = (0.125, -9.875, 60.125, 50.125)
    t = time.perf_counter()
    grid = get_embedding(
        spatial=BBox(*gbox),
        temporal=year,
        data_dir=data_dir,
        output=OutputSpec.grid(),
        expand_deg=0,
    )
    grid_ours = time.perf_counter() - t
    t = time.perf_counter()
    grid_seed_chw = seed.grid(*gbox)
    grid_seed = time.perf_counter() - t

    # Equality with the snapped TorchGeo path.
    tg = open_source(data_dir, reader="torchgeo").reader
    diffs = [float(np.abs(grid.data.values - grid_seed_chw).max())]
    for b in random.Random(3).sample(boxes, 8):
        e = get_embedding(
            spatial=BBox(*b), temporal=year, data_dir=data_dir, output=OutputSpec.grid()
        )
        ref = tg.read(window_for_bbox(e.meta["expanded_bbox"])).transpose(2, 0, 1)
        diffs.append(float(np.abs(e.data.values - ref).max()))
        ref_mean = get_embedding(
            spatial=BBox(*b), temporal=year, data_dir=data_dir, reader="torchgeo"
        )
        diffs.append(float(np.abs(ref_mean.data - embs[boxes.index(b)].data).max()))

    add(
        "cache preparation (one-time, 18 tiles)",
        None,
        prep["seconds_prepare"],
        "s",
        "measured inside the 'incl. preparing' batch below",
    )
    add(
        "first single bbox, fresh process",
        seed_first["seconds"],
        first["seconds"],
        "s",
        f"ours via {first['reader']}",
    )
    add(
        "warm single pooled (median)",
        statistics.median(lat_seed) * 1e3,
        statistics.median(lat_ours) * 1e3,
        "ms",
        "target <= 1 ms",
    )
    add(
        f"{SCATTERED} scattered bboxes over land",
        scattered_seed,
        scattered_ours,
        "s",
        f"seed: {SEED_SAMPLE} sampled, extrapolated",
    )
    add(
        f"{n_countries} countries as polygons",
        seed_country,
        countries["seconds_batch"],
        "s",
        f"seed: 1 deg box at centre, {SEED_SAMPLE} sampled; ours exact area-weighted",
    )
    add(
        f"{n_provinces} provinces, fresh process, cache prepared",
        seed_province,
        warm["seconds_total"],
        "s",
        "target <= 10 s; seed sampled",
    )
    add(
        f"{n_provinces} provinces, fresh process, incl. preparing",
        seed_province,
        prep["seconds_total"],
        "s",
        "target <= 90 s",
    )
    add(
        "peak memory, provinces batch (MB above baseline)",
        None,
        max(prep["peak_mb_above_baseline"], warm["peak_mb_above_baseline"]),
        "MB",
        "target <= 1536 MB",
    )
    add(
        "60x60 degree grid (240x240x768)",
        grid_seed,
        grid_ours,
        "s",
        "seed: TorchGeo slice, no expansion",
    )
    add("max |ours - snapped TorchGeo|", None, max(diffs), "", "target <= 1e-6")

    header = ("case", "seed path", "ours", "ratio seed/ours", "note")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(header, widths))]
    lines.append("-|-".join("-" * w for w in widths))
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    table = "\n".join(lines)
    print("\n" + table)
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_results.md").write_text(
        f"# make bench ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores)\n\n"
        f"product: {path}\n\n| "
        + table.replace("\n", " |\n| ").replace("-|-", "-|-")
        + " |\n"
        + "\n```\n"
        + json.dumps(
            {
                "prep": prep,
                "warm": warm,
                "countries": countries,
                "first": first,
                "seed_first": seed_first,
            },
            indent=1,
        )
        + "\n```\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {out / 'bench_results.md'}")


if __name__ == "__main__":
    main()
