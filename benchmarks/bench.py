"""``make bench``: the seed's TorchGeo path against ours on the stock path, side by side.

Builds (once, cached outside the repo) a 721x1440x768 file in the product's format. "Ours"
is measured in fresh stock processes (``benchmarks/stock_child.py`` run by Debian's
``/usr/bin/python3`` in a clean environment: QGIS API, osgeo, NumPy, standard library only),
the seed's TorchGeo path in this venv process and its children, all in the same run. Prints
one table with targets, PASS/FAIL and ratios (also written to ``out/bench/bench_results.md``).
The fast cache lives in a temporary folder that is removed at the end. The seed's path is
sampled on long cases (``BENCH_SEED_SAMPLE``) and extrapolated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests import product  # noqa: E402

WORLD_MAP = "/usr/share/qgis/resources/data/world_map.gpkg"
SEED_SAMPLE = int(os.environ.get("BENCH_SEED_SAMPLE", "12"))
SCATTERED = 1000
STOCK_PYTHON = "/usr/bin/python3"
FIRST_BBOX = (10.0, 50.0, 10.1, 50.1)
GRID_BBOX = (0.125, -9.875, 60.125, 50.125)  # 60 x 60 degrees: 240 x 240 pixels
CANCEL_BBOX = (-60.0, -40.0, 60.0, 60.0)  # 480 x 400 pixels, 9 tiles to decode
EUROPE = (-25.0, 34.0, 45.0, 72.0)  # a Europe-sized scope (explore_child.EUROPE)


def world_map_path() -> str:
    """QGIS's bundled world_map.gpkg (QgsApplication.pkgDataPath() on Debian is /usr/share/qgis)."""
    return os.environ.get("RS_EMBED_WORLD_MAP", WORLD_MAP)


def layer_geometries(layer: str) -> list[Any]:
    """OGR geometries (clones) of a world_map.gpkg layer, EPSG:4326."""
    from osgeo import ogr

    ds = ogr.Open(world_map_path())
    out = []
    for feat in ds.GetLayerByName(layer):
        geom = feat.GetGeometryRef()
        if geom is not None and not geom.IsEmpty():
            out.append(geom.Clone())
    return out


def bounds(geom: Any) -> tuple[float, float, float, float]:
    """(minlon, minlat, maxlon, maxlat) of an OGR geometry."""
    minx, maxx, miny, maxy = geom.GetEnvelope()
    return minx, miny, maxx, maxy


def land_points(n: int, seed: int = 0) -> list[tuple[float, float]]:
    """n random points on land (inside world_map countries, and land in the synthetic file)."""
    from osgeo import ogr

    rng = random.Random(seed)
    countries = [(bounds(g), g) for g in layer_geometries("countries")]
    pts: list[tuple[float, float]] = []
    while len(pts) < n:
        lon, lat = rng.uniform(-180, 180), rng.uniform(-60, 75)
        r = np.array([round((90 - lat) / 0.25)])
        c = np.array([round((lon + 180) / 0.25) % 1440])
        if not product.MASKS[product.FULL_MASK](r, c)[0]:
            continue
        pt = ogr.Geometry(ogr.wkbPoint)
        pt.AddPoint_2D(lon, lat)
        for (x0, y0, x1, y1), g in countries:
            if x0 <= lon <= x1 and y0 <= lat <= y1 and g.Contains(pt):
                pts.append((lon, lat))
                break
    return pts


def boxes_around(points: list[tuple[float, float]], half: float = 0.05) -> list[tuple]:
    """Small bboxes (about 10 km) around points."""
    return [(lon - half, lat - half, lon + half, lat + half) for lon, lat in points]


# --------------------------------------------------------------------------- the two files

# What the real file may be: the layout rs-embed's reader tests point to (the floating-point
# predictor) with ocean written as -0.0 (what ``values * land_mask`` gives in a conversion).
LIKELY_REAL = {"PREDICTOR": "3"}
VARIANT_FORMAT = 1  # bump when variant_file writes something else


def variant_file(base: Path, options: dict[str, str], negative_zero: bool, name: str) -> Path:
    """The pixels of ``base`` in another layout, made once beside it (a stamp names the source).

    Block by block: read with GDAL, ocean (all-zero vectors) set to -0.0 when asked, written
    with the same tiling and compression as the product plus ``options``.
    """
    from osgeo import gdal

    folder = base.parent.parent / f"copernicus_embed_{name}"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / base.name
    st = base.stat()
    want = {
        "format": VARIANT_FORMAT,
        "source": str(base),
        "source_size": st.st_size,
        "source_mtime_ns": st.st_mtime_ns,
        "options": options,
        "negative_zero": negative_zero,
    }
    stamp = folder / "variant.json"  # never a product candidate: not embed_map_*
    try:
        if json.loads(stamp.read_text()) == want and out.is_file():
            return out
    except (OSError, ValueError):
        pass
    print(f"writing the {name} variant {out} (one-off) ...", flush=True)
    t0 = time.perf_counter()
    src = gdal.Open(str(base))
    w, h, n = src.RasterXSize, src.RasterYSize, src.RasterCount
    co = {
        "TILED": "YES",
        "BLOCKXSIZE": "256",
        "BLOCKYSIZE": "256",
        "COMPRESS": "DEFLATE",
        "INTERLEAVE": "PIXEL",
        "BIGTIFF": "IF_SAFER",
        "NUM_THREADS": "ALL_CPUS",
        **options,
    }
    tmp = folder / f".{base.name}.tmp-{os.getpid()}.tif"
    dst = gdal.GetDriverByName("GTiff").Create(
        str(tmp), w, h, n, gdal.GDT_Float32, [f"{k}={v}" for k, v in co.items()]
    )
    dst.SetGeoTransform(src.GetGeoTransform())
    dst.SetProjection(src.GetProjection())
    item = 4 * n
    for y0 in range(0, h, 256):
        for x0 in range(0, w, 256):
            bw, bh = min(256, w - x0), min(256, h - y0)
            buf = np.empty((bh, bw, n), dtype=np.float32)
            src.ReadRaster(
                x0,
                y0,
                bw,
                bh,
                buf_type=gdal.GDT_Float32,
                buf_pixel_space=item,
                buf_line_space=item * bw,
                buf_band_space=4,
                buf_obj=buf,
            )
            if negative_zero:
                buf[~buf.any(axis=-1)] = -0.0
            dst.WriteRaster(
                x0,
                y0,
                bw,
                bh,
                buf.tobytes(),
                bw,
                bh,
                gdal.GDT_Float32,
                None,
                buf_pixel_space=item,
                buf_line_space=item * bw,
                buf_band_space=4,
            )
            del buf
    dst.FlushCache()
    dst = src = None
    os.replace(tmp, out)
    stamp.write_text(json.dumps(want, indent=1))
    print(f"  done in {time.perf_counter() - t0:.0f} s, {out.stat().st_size / 1e9:.2f} GB")
    return out


# --------------------------------------------------------------------------- children


class Runner:
    """Starts the fresh-process cases: ours in a clean stock process, the seed's in the venv."""

    def __init__(self, work: Path, product_path: Path) -> None:
        self.work = work
        self.product = product_path
        self.home = work / "home"
        self.home.mkdir()
        self.n = 0

    def stock(
        self, case: str, cache_dir: Path, script: str = "stock_child.py", **args: Any
    ) -> dict[str, Any]:
        """Run ``SCRIPT CASE`` (a child in benchmarks/) by /usr/bin/python3 with a clean env."""
        self.n += 1
        args_path = self.work / f"args_{self.n}.json"
        args = {
            "data_dir": str(self.product.parent),
            "product": str(self.product),
            "world_map": world_map_path(),
            "cache_dir": str(cache_dir),
            **args,
        }
        args_path.write_text(json.dumps(args), encoding="utf-8")
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen",
            "RS_EMBED_COP_CACHE_DIR": str(cache_dir),
        }
        out = subprocess.run(
            [STOCK_PYTHON, str(ROOT / "benchmarks" / script), case, str(args_path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(self.home),
        )
        if out.returncode != 0:
            raise SystemExit(f"stock case {case} failed:\n{out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def seed_first(self) -> dict[str, Any]:
        """The seed's first pooled bbox in a fresh venv process."""
        out = subprocess.run(
            [sys.executable, __file__, "--seed-first", str(self.product.parent)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


def measure_explore(run: Runner, cache: Path, gui: bool = True) -> dict[str, Any]:
    """Issue 12's explore figures and issue 9's verification cost (benchmarks/explore_child.py)."""

    def ex(case: str, **args: Any) -> dict[str, Any]:
        return run.stock(case, cache, script="explore_child.py", **args)

    raw: dict[str, Any] = {}
    print("stock: explore: search index build ...", flush=True)
    raw["x_index"] = ex("index_build")
    print("stock: explore: whole-globe similarity map, cold and warm ...", flush=True)
    raw["x_globe_cold"] = ex("sim_globe", cold=True)
    raw["x_globe_warm"] = ex("sim_globe")
    print("stock: explore: Europe, threshold ...", flush=True)
    raw["x_europe"] = ex("sim_europe")
    raw["x_threshold"] = ex("threshold")
    print("stock: explore: places like this, cold; exactness against a full scan ...", flush=True)
    raw["x_places_cold"] = ex("places", cold=True)
    raw["x_places_exact"] = ex("places", check_exact=True)
    print("stock: explore: k-means k=8, Europe and globe ...", flush=True)
    raw["x_kmeans_europe"] = ex("kmeans", scope=EUROPE)
    raw["x_kmeans_globe"] = ex("kmeans", scope=None)
    print("stock: cache verification: first click, cold and warm ...", flush=True)
    raw["x_verify_cold"] = ex("verify", cold=True)
    raw["x_verify_warm"] = ex("verify")
    gui_script = ROOT / "benchmarks" / "gui_bench.py"
    if gui and gui_script.exists():
        print("stock: GUI figures (benchmarks/gui_bench.py --json) ...", flush=True)
        out = subprocess.run(
            [STOCK_PYTHON, str(gui_script), "--json"],
            capture_output=True,
            text=True,
            env={
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(ROOT),
                "HOME": str(run.home),
                "LANG": "C.UTF-8",
                "QT_QPA_PLATFORM": "offscreen",
            },
            cwd=str(run.home),
        )
        try:
            raw["gui"] = json.loads(out.stdout[out.stdout.index("{") :])
        except ValueError:
            raw["gui"] = {"error": (out.stderr or out.stdout).strip()[-400:]}
    return raw


def explore_rows(tab: Table, raw: dict[str, Any]) -> None:
    """The explore, verification and GUI rows of the table."""
    xi, gc, gw = raw["x_index"], raw["x_globe_cold"], raw["x_globe_warm"]
    evicted = "embed.f32 + index files evicted by posix_fadvise(DONTNEED), only those files"
    if gc["eviction"]["resident_mb_after"] is not None:
        evicted += f" ({gc['eviction']['resident_mb_after']:.0f} MB resident after, fincore)"
    tab.add(
        "search index build (64 comp. float16), fresh process",
        None,
        xi["seconds_build"] + xi["seconds_save"],
        "s",
        None,
        f"{xi['index_mb_on_disk']:.0f} MB on disk; peak {xi['peak_mb_above_baseline']:.0f} MB "
        "above baseline",
    )
    tab.add(
        "globe similarity map + GeoTIFF, cold, exact",
        None,
        gc["exact_first_s"],
        "s",
        3.0,
        f"EXACT: full vectors from the cache, {evicted}; write {gc['exact_first_write_s']:.2f} s",
    )
    tab.add(
        "globe similarity map + GeoTIFF, cold, index",
        None,
        gc["approx_first_s"],
        "s",
        3.0,
        f"APPROXIMATE (index): max |error| {gc['approx_max_abs_error']:.1e}, bound "
        f"{gc['approx_max_error_bound']:.1e}; same eviction",
    )
    tab.add(
        "globe similarity map + GeoTIFF, warm, exact",
        None,
        gw["exact_again_s"],
        "s",
        1.0,
        f"EXACT, second call in the process; first call in a fresh process (CRC verify of "
        f"the whole cache) {gw['exact_first_s']:.2f} s; streaming the vectors alone "
        f"{gw['stream_only_s']:.2f} s",
    )
    tab.add(
        "globe similarity map + GeoTIFF, warm, index",
        None,
        gw["approx_again_s"],
        "s",
        1.0,
        f"APPROXIMATE (index), second call; first call in a fresh process "
        f"{gw['approx_first_s']:.2f} s",
    )
    eu = raw["x_europe"]
    tab.add(
        f"Europe similarity map ({eu['shape'][0]}x{eu['shape'][1]} px), warm",
        None,
        eu["median_again_s"],
        "s",
        0.2,
        f"EXACT, median of 5 after a first call of {eu['first_s']:.2f} s (fresh process); "
        f"index (approximate) {eu['approx_median_s']:.3f} s",
    )
    th = raw["x_threshold"]
    tab.add(
        "threshold change: renderer swap",
        None,
        th["swap_median_ms"],
        "ms",
        50.0,
        f"score_renderer + setRenderer on the globe layer, offscreen QgsApplication, median "
        f"of 10 (max {th['swap_max_ms']:.2f} ms); the redraw it triggers (1440x721 px) "
        f"{th['redraw_median_ms']:.0f} ms",
    )
    pc, pe = raw["x_places_cold"], raw["x_places_exact"]
    exact = (
        "EXACT: same 50 pixels as a full scan, max score diff "
        f"{pe['max_score_diff_vs_full_scan']:.1e}"
        if pe["same_pixels_as_full_scan"]
        else "NOT the full scan's 50 pixels"
    )
    tab.add(
        "places like this: top 50, 100 km, globe, cold",
        None,
        pc["first_s"],
        "s",
        2.0,
        f"index + {pc['candidates_rescored']} candidates re-scored on full vectors; {exact} "
        f"(full scan {pe['full_scan_s']:.1f} s); index built separately (row above); "
        f"{evicted.split(' (')[0]}",
    )
    ke, kg = raw["x_kmeans_europe"], raw["x_kmeans_globe"]
    tab.add(
        "k-means k=8, Europe",
        None,
        ke["seconds"],
        "s",
        3.0,
        f"{ke['land_pixels']} land pixels, all fitted; fresh process, warm page cache",
    )
    tab.add(
        "k-means k=8, all land pixels of the globe",
        None,
        kg["seconds"],
        "s",
        30.0,
        f"{kg['land_pixels']} land pixels, fitted on {kg['fit_pixels']}, all labelled; "
        "fresh process, warm page cache",
    )
    peaks = {k: v["peak_mb_above_baseline"] for k, v in raw.items() if k.startswith("x_")}
    worst = max(peaks, key=peaks.get)
    tab.add(
        "peak memory, explore cases (above baseline)",
        None,
        peaks[worst],
        "MB",
        1536.0,
        f"worst: {worst[2:]}; VmHWM minus RSS after importing qgis.core",
    )
    for key, label in (("x_verify_cold", "cold"), ("x_verify_warm", "warm")):
        v = raw[key]
        tab.add(
            f"first single click, cache verified, fresh process, {label}",
            None,
            v["click_s"],
            "s",
            0.1,
            f"{v['segments_verified_by_click']} segments of {v['segment_mb']:.2f} MB CRC-checked"
            + ("; embed.f32 evicted" if label == "cold" else ""),
        )
        tab.add(
            f"100 full rows ({v['rows_mb']:.0f} MB): first read (verify), {label}",
            None,
            v["rows_first_s"],
            "s",
            None,
            f"second read (already verified) {v['rows_again_s']:.2f} s",
        )
    gui = raw.get("gui")
    if gui is None:
        return
    if "error" in gui:
        tab.add("GUI figures (gui_bench.py)", None, None, "s", None, gui["error"][:120])
        return
    tab.add(
        "plugin start-up (classFactory + initGui)",
        None,
        gui["startup"]["startup_s"],
        "s",
        0.3,
        "benchmarks/gui_bench.py",
    )
    for store in ("fields", "json"):
        r = gui.get(store)
        if not r or "error" in r:
            continue
        for key, label, limit in (
            ("write_s", "write", 3.0),
            ("save_s", "save", 3.0),
            ("undo_s", "undo", 3.0),
            ("rollback_s", "discard edits (roll back)", 3.0),
            ("table_model_s", "attribute table model", 2.0),
            ("dual_view_s", "attribute table (dual view)", 2.0),
            ("open_write_s", "write, attribute table and a form open", 3.0),
            ("open_undo_s", "undo, attribute table and a form open", 3.0),
            ("open_redo_s", "redo, attribute table and a form open", 3.0),
            ("open_rollback_s", "discard, attribute table and a form open", 3.0),
        ):
            if key not in r:
                continue
            tab.add(
                f"{store}: {label} ({r['features']} features)",
                None,
                r[key],
                "s",
                limit,
                "benchmarks/gui_bench.py",
            )


def seed_first_child(data_dir: str) -> dict[str, Any]:
    """Fresh venv process: the seed's first pooled bbox, TorchGeo imports included."""
    t0 = time.perf_counter()
    from seed_path import SeedPath

    SeedPath(data_dir).bbox_mean(*FIRST_BBOX)
    return {"seconds": time.perf_counter() - t0}


# --------------------------------------------------------------------------- table


class Table:
    """Rows of (case, target, seed, ours, ratio, verdict, note)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def add(
        self,
        case: str,
        seed: float | None,
        ours: float | None,
        unit: str,
        limit: float | None = None,
        note: str = "",
    ) -> None:
        """One row; PASS when ``ours <= limit``."""

        def fmt(v: float | None) -> str:
            if v is None:
                return "n/a"
            if unit == "ms":
                return f"{v:,.3f} ms"
            if unit == "MB":
                return f"{v:,.0f} MB"
            if unit == "s":
                return f"{v:,.3f} s"
            return f"{v:.1e}" if v else "0"

        if seed is not None and ours:
            ratio = f"{seed / ours:,.1f}x" if seed / ours < 100 else f"{seed / ours:,.0f}x"
        else:
            ratio = "-"
        verdict = "-" if limit is None or ours is None else ("PASS" if ours <= limit else "FAIL")
        target = "-" if limit is None else f"<= {fmt(limit)}"
        self.rows.append((case, target, fmt(seed), fmt(ours), ratio, verdict, note))
        print(f"  {case}: ours={fmt(ours)} seed={fmt(seed)} {verdict} {note}", flush=True)

    @staticmethod
    def combine(names: list[str], tables: list[Table]) -> Table:
        """One table with a seed/ours/ratio/verdict group per file (same cases, same order)."""
        out = Table()
        out.header = ("case", "target")
        for name in names:
            out.header += (f"seed: {name}", f"ours: {name}", "seed/ours", "")
        first = tables[0]
        for row in first.rows:
            cells: tuple[str, ...] = row[:2]
            for tab in tables:
                match = [r for r in tab.rows if r[0] == row[0]]
                # A case measured once (the GUI figures): the other file's cells stay empty.
                cells += (
                    (match[0][2], match[0][3], match[0][4], match[0][5])
                    if match
                    else (
                        "",
                        "",
                        "",
                        "",
                    )
                )
            out.rows.append(cells)
        return out

    header: tuple[str, ...] = (
        "case",
        "target",
        "seed (TorchGeo)",
        "ours (stock)",
        "seed/ours",
        "",
        "note",
    )

    def notes(self) -> list[str]:
        """``case: note`` for every row with a note."""
        return [f"{r[0]}: {r[6]}" for r in self.rows if r[6]]

    def verdicts(self) -> list[str]:
        """Every PASS/FAIL cell."""
        return [c for r in self.rows for c in r if c in ("PASS", "FAIL")]

    def render(self) -> str:
        """Plain-text table."""
        header = self.header
        rows = [header, *self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = [" | ".join(c.ljust(w) for c, w in zip(header, widths))]
        lines.append("-|-".join("-" * w for w in widths))
        lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in self.rows]
        return "\n".join(lines)


# --------------------------------------------------------------------------- main


def measure(work: Path, path: Path, gui: bool = True) -> tuple[Table, dict[str, Any]]:
    """Every case, in an order that keeps the uncached ones before the cache exists."""
    data_dir = str(path.parent)
    cache = work / "cache"  # the bench's fast cache
    empty = work / "no_cache"  # a cache folder that stays empty: the uncached cases
    cache.mkdir()
    empty.mkdir()
    os.environ["RS_EMBED_COP_CACHE_DIR"] = str(cache)
    run = Runner(work, path)
    raw: dict[str, Any] = {}

    print("stock: first pooled bbox without the cache ...", flush=True)
    raw["first_nocache"] = run.stock("first", empty, bbox=FIRST_BBOX)
    print("seed: first pooled bbox in a fresh process ...", flush=True)
    raw["seed_first"] = run.seed_first()
    print("stock: 1000 scattered bboxes, 4556 provinces, without the cache ...", flush=True)
    boxes = boxes_around(land_points(SCATTERED))
    raw["scattered_nocache"] = run.stock("scattered", empty, boxes=boxes, prepare=False)
    raw["provinces_nocache"] = run.stock(
        "provinces", empty, layer="states_provinces", prepare=False
    )
    print("stock: cancel of an uncached large read ...", flush=True)
    raw["cancel_read"] = run.stock("cancel_read", empty, bbox=CANCEL_BBOX, delay=0.4)
    print("stock: cancel of the cache preparation ...", flush=True)
    raw["cancel_prepare"] = run.stock("cancel_prepare", cache, delay=1.0)
    print("stock: cache preparation ...", flush=True)
    raw["prepare"] = run.stock("prepare", cache)
    # The cases below use a cache prepared earlier, as a later session does: its 3 GB are
    # written back to disk first (the preparation does not wait for that, see cache.py),
    # not while the next case is timed.
    os.sync()
    print("stock: first pooled bbox with the cache ...", flush=True)
    raw["first_cache"] = run.stock("first", cache, bbox=FIRST_BBOX)
    print("stock: warm single pooled, scattered bboxes ...", flush=True)
    raw["warm"] = run.stock("warm", cache, boxes=boxes)
    print("stock: 60x60 degree grid ...", flush=True)
    raw["grid"] = run.stock("grid", cache, bbox=GRID_BBOX)
    print("stock: countries, provinces ...", flush=True)
    raw["countries"] = run.stock("countries", cache, layer="countries")
    raw["provinces"] = run.stock("provinces", cache, layer="states_provinces")
    print("stock: values for the equality check ...", flush=True)
    check_boxes = random.Random(3).sample(boxes, 8)
    npz = work / "values.npz"
    raw["values"] = run.stock("values", cache, boxes=check_boxes, grid_bbox=GRID_BBOX, npz=str(npz))

    raw.update(measure_explore(run, cache, gui))

    # ---- the seed's path (TorchGeo) in this process
    from seed_path import SeedPath

    from rs_embed_qgis.core import BBox, OutputSpec, TemporalSpec, get_embedding
    from rs_embed_qgis.core.adapter import open_source
    from rs_embed_qgis.core.grid import window_for_bbox

    print("seed: warm, scattered, polygons, grid ...", flush=True)
    year = TemporalSpec.year(2021)
    seed = SeedPath(data_dir)
    seed.bbox_mean(9.95, 49.95, 10.05, 50.05)
    lat_seed = []
    for _ in range(20):
        t = time.perf_counter()
        seed.bbox_mean(9.95, 49.95, 10.05, 50.05)
        lat_seed.append(time.perf_counter() - t)
    sample = random.Random(1).sample(boxes, SEED_SAMPLE)
    t = time.perf_counter()
    for b in sample:
        seed.bbox_mean(*b)
    scattered_seed = (time.perf_counter() - t) / len(sample) * len(boxes)

    # The seed has no polygon mode; its nearest is the 1 degree box at the centre.
    def seed_polys(layer: str) -> tuple[float, int]:
        geoms = layer_geometries(layer)
        picked = random.Random(2).sample(geoms, SEED_SAMPLE)
        t = time.perf_counter()
        for g in picked:
            seed.bbox_mean(*bounds(g))
        return (time.perf_counter() - t) / len(picked) * len(geoms), len(geoms)

    seed_country, n_countries = seed_polys("countries")
    seed_province, n_provinces = seed_polys("states_provinces")
    t = time.perf_counter()
    grid_seed_chw = seed.grid(*GRID_BBOX)
    grid_seed = time.perf_counter() - t
    # The same grid as an xarray DataArray (the Python API's default; not in stock QGIS).
    get_embedding(
        spatial=BBox(*GRID_BBOX),
        temporal=year,
        data_dir=data_dir,
        output=OutputSpec.grid(),
        expand_deg=0,
    )
    xr_times = []
    for _ in range(3):
        t = time.perf_counter()
        get_embedding(
            spatial=BBox(*GRID_BBOX),
            temporal=year,
            data_dir=data_dir,
            output=OutputSpec.grid(),
            expand_deg=0,
        )
        xr_times.append(time.perf_counter() - t)

    # ---- equality: the stock process's windows against TorchGeo's snapped windows
    print("equality against TorchGeo ...", flush=True)
    tg = open_source(data_dir, reader="torchgeo").reader
    vals = np.load(npz)
    diffs: dict[str, float] = {}
    big = vals["big_grid"]
    diffs["grid vs seed slice"] = float(np.abs(big - grid_seed_chw).max())
    ref = tg.read(window_for_bbox(tuple(raw["values"]["big_grid_bbox"]))).transpose(2, 0, 1)
    diffs["grid vs TorchGeo window"] = float(np.abs(big - ref).max())
    worst_win = worst_mean = 0.0
    for i, (b, ebox) in enumerate(zip(check_boxes, raw["values"]["boxes"])):
        ref = tg.read(window_for_bbox(tuple(ebox))).transpose(2, 0, 1)
        ref_mean = get_embedding(
            spatial=BBox(*b), temporal=year, data_dir=data_dir, reader="torchgeo"
        ).data
        for reader in ("gdal", "cache"):
            worst_win = max(worst_win, float(np.abs(vals[f"grid_{i}_{reader}"] - ref).max()))
            worst_mean = max(worst_mean, float(np.abs(vals[f"mean_{i}_{reader}"] - ref_mean).max()))
    diffs["8 bbox windows (gdal, cache)"] = worst_win
    diffs["8 pooled means (gdal, cache)"] = worst_mean
    raw["diffs"] = diffs

    # ---- the table
    tab = Table()
    prep, fn, fc = raw["prepare"], raw["first_nocache"], raw["first_cache"]
    cache_gb = 721 * 1440 * 768 * 4 / 1024**3  # the uncompressed HWC copy
    decoder = (
        prep["decoder"]
        if prep["fast_path"]
        else f"GDAL ReadRaster ({prep.get('fast_path_refusal') or 'no fast path'})"
    )
    tab.add(
        "cache preparation, full-size file",
        None,
        prep["seconds"],
        "s",
        10.0,
        f"decoder {decoder}, 2 workers; decoding alone "
        f"{prep['seconds_decode_all_tiles_2_threads']:.1f} s, rest is writing "
        f"{cache_gb:.1f} GB (disk here {prep['disk_write_mb_per_s']:.0f} MB/s)",
    )
    tab.add(
        "first pooled bbox, fresh process, no cache",
        raw["seed_first"]["seconds"],
        fn["seconds"],
        "s",
        1.0,
        f"ours via {fn['reader']} ({fn['decoder']}), file in page cache",
    )
    tab.add(
        "first pooled bbox, fresh process, cache",
        raw["seed_first"]["seconds"],
        fc["seconds"],
        "s",
        0.1,
        f"ours via {fc['reader']}",
    )
    w = raw["warm"]
    tab.add(
        "warm single pooled (median of 200)",
        statistics.median(lat_seed) * 1e3,
        w["median_ms"],
        "ms",
        1.0,
        f"ours via {w['reader']}; seed median of 20",
    )
    tab.add(
        f"{SCATTERED} scattered bboxes over land, cache",
        scattered_seed,
        w["seconds_scattered"],
        "s",
        1.0,
        f"one batch after the warm loop; seed: {SEED_SAMPLE} sampled, extrapolated",
    )
    sn = raw["scattered_nocache"]
    tab.add(
        f"{SCATTERED} scattered bboxes, fresh process, no cache",
        scattered_seed,
        sn["seconds"],
        "s",
        30.0,
        f"one batch via {sn['reader']}, cache not prepared; peak "
        f"{sn['peak_mb_above_baseline']:.0f} MB",
    )
    g = raw["grid"]
    tab.add(
        "60x60 degree grid (240x240x768), numpy",
        grid_seed,
        g["seconds_median"],
        "s",
        0.3,
        f"median of 3 after a first call of {g['seconds_first']:.3f} s; seed: TorchGeo slice",
    )
    tab.add(
        "60x60 degree grid, xarray (venv)",
        grid_seed,
        statistics.median(xr_times),
        "s",
        None,
        "Python API outside QGIS, median of 3",
    )
    c, p = raw["countries"], raw["provinces"]
    tab.add(
        f"{n_countries} countries as polygons",
        seed_country,
        c["seconds_batch"],
        "s",
        3.0,
        f"{c['ok']}/{c['items']} with land in the synthetic file; "
        f"seed: 1 deg box at centre, {SEED_SAMPLE} sampled",
    )
    tab.add(
        f"{n_provinces} provinces, fresh process, cache",
        seed_province,
        p["seconds_total"],
        "s",
        10.0,
        f"{p['ok']}/{p['items']} with land; incl. imports + OGR load {p['seconds_load']:.2f} s",
    )
    pn = raw["provinces_nocache"]
    tab.add(
        f"{n_provinces} provinces, fresh process, no cache",
        seed_province,
        pn["seconds_total"],
        "s",
        60.0,
        f"{pn['ok']}/{pn['items']} with land via {pn['reader']}, cache not prepared",
    )
    tab.add(
        "peak memory, polygon batches (above baseline)",
        None,
        max(
            c["peak_mb_above_baseline"],
            p["peak_mb_above_baseline"],
            pn["peak_mb_above_baseline"],
            sn["peak_mb_above_baseline"],
        ),
        "MB",
        1536.0,
        "VmHWM minus RSS after importing qgis.core",
    )
    for key, label in (("cancel_read", "uncached large read"), ("cancel_prepare", "preparation")):
        r = raw[key]
        tab.add(
            f"cancel of {label}: cancel() -> exception",
            None,
            r["seconds_cancel_to_exception"],
            "s",
            2.0,
            r["outcome"]
            + (f", left: {r['left_in_cache_dir']}" if "left_in_cache_dir" in r else ""),
        )
    explore_rows(tab, raw)
    tab.add(
        "max |ours - snapped TorchGeo|",
        None,
        max(diffs.values()),
        "",
        0.0,
        "8 bboxes (windows + means, gdal + cache) and the 60x60 grid",
    )
    return tab, raw


def main() -> None:
    """Parent: build the file, run every case, print and write the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed-first", metavar="DATA_DIR")
    args = ap.parse_args()
    if args.seed_first:
        print(json.dumps(seed_first_child(args.seed_first)))
        return

    ours = Path(product.cached_full_product())
    files = [
        ("ours", ours, "tests/product.py's file: predictor 1, ocean +0.0"),
        (
            "likely real",
            variant_file(ours, LIKELY_REAL, True, "p3_negzero"),
            "the same pixels with PREDICTOR=3 (floating point) and ocean written as -0.0",
        ),
    ]
    tables: list[Table] = []
    raws: dict[str, Any] = {}
    for i, (name, path, what) in enumerate(files):
        print(f"\n=== {name}: {path} ({os.path.getsize(path) / 1024**2:.0f} MB), {what}")
        work = Path(tempfile.mkdtemp(prefix="rs_embed_bench_"))
        print(f"temporary folder (fast cache, stock HOME): {work}", flush=True)
        try:
            tab, raw = measure(work, path, gui=i == 0)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        tables.append(tab)
        raws[name] = raw
    stock = raws["ours"]["prepare"]
    env_line = (
        f"ours: {stock['python']} (clean env), QGIS {stock['qgis']}, GDAL {stock['gdal']}, "
        f"NumPy {stock['numpy']}; importable there of the venv's extras: "
        f"{', '.join(stock['foreign_importable']) or 'none'}; {os.cpu_count()} cores"
    )
    files_lines = [f"- {name}: {path} ({what})" for name, path, what in files]
    table = Table.combine([f[0] for f in files], tables).render()
    verdicts = [v for t in tables for v in t.verdicts()]
    summary = f"{verdicts.count('PASS')} of {len(verdicts)} targets met"
    notes = []
    for (name, _, _), tab in zip(files, tables):
        notes.append(f"\nnotes, {name}:")
        notes += [f"  {n}" for n in tab.notes()]
    print("\n" + env_line + "\n" + "\n".join(files_lines) + "\n\n" + table + "\n\n" + summary)
    print("\n".join(notes))
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    md_rows = ["| " + line + " |" for line in table.splitlines()]
    md_rows[1] = "|" + "|".join("---" for _ in table.splitlines()[0].split(" | ")) + "|"
    (out / "bench_results.md").write_text(
        f"# make bench ({time.strftime('%Y-%m-%d %H:%M')})\n\n{env_line}\n\n"
        + "\n".join(files_lines)
        + "\n\n"
        + "\n".join(md_rows)
        + f"\n\n{summary}\n\n```\n"
        + "\n".join(notes)
        + "\n\n"
        + json.dumps(raws, indent=1, default=str)
        + "\n```\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {out / 'bench_results.md'}")


if __name__ == "__main__":
    main()
