"""One ``make bench`` case in a fresh stock process (``stock_child.py CASE ARGS.json``).

Run by ``bench.py`` with Debian's Python in a clean environment (``PATH=/usr/bin:/bin``,
``PYTHONPATH`` = the source tree, ``HOME``), so it sees only what a stock QGIS ships: the
QGIS API, ``osgeo``, NumPy and the standard library. ``qgis.core`` is imported first (as it
is in a QGIS process), outside every timing. Prints one JSON line with the measurements.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

FOREIGN = ("torch", "torchgeo", "shapely", "rasterio", "xarray", "exactextract", "pyproj")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    """Peak RSS of this process's own image (VmHWM).

    Not ``ru_maxrss``: Linux carries the parent's peak across fork + exec into it, so a
    child of a large bench process reported the parent's gigabytes as its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_polygons(world_map: str, layer: str) -> list[Any]:
    """Core Polygon specs of a world_map.gpkg layer (EPSG:4326), read with osgeo.ogr."""
    from osgeo import ogr

    from rs_embed_qgis.core import Polygon

    ds = ogr.Open(world_map)
    lyr = ds.GetLayerByName(layer)
    out = []
    for feat in lyr:
        geom = feat.GetGeometryRef()
        if geom is None or geom.IsEmpty():
            continue
        out.append(Polygon(wkt=geom.ExportToWkt()))
    return out


def decode_path() -> dict[str, Any]:
    """How the GDAL reader decodes tiles here: libdeflate (ctypes) or zlib; fast path or not."""
    from rs_embed_qgis.core import gdal_reader

    lib = gdal_reader.libdeflate() if gdal_reader.USE_LIBDEFLATE else None
    return {"decoder": "libdeflate" if lib is not None else "zlib"}


def _cancel_after(delay: float) -> tuple[threading.Event, dict[str, float], threading.Timer]:
    """A cancel flag set by a timer ``delay`` s from now; records when it was set."""
    flag = threading.Event()
    marks: dict[str, float] = {}

    def fire() -> None:
        marks["cancelled_at"] = time.perf_counter()
        flag.set()

    timer = threading.Timer(delay, fire)
    return flag, marks, timer


def _prepare_breakdown(reader: Any, folder: Path) -> dict[str, float]:
    """Where preparation time goes: decoding every tile alone, and the disk's write speed."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    blocks = reader.blocks()
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        for _ in ex.map(lambda b: reader.file_block(*b).shape, blocks):
            pass
    decode = time.perf_counter() - t
    # 1 GiB written with pwrite-sized pieces and fsync'd, in the cache's folder.
    piece = np.ones(256 * 768, dtype=np.float32)  # one cache row of a tile: 768 KiB
    probe = folder / ".bench_write_probe"
    n = 1024**3 // piece.nbytes
    fh = open(probe, "wb")  # noqa: SIM115
    try:
        t = time.perf_counter()
        for _ in range(n):
            fh.write(piece)
        fh.flush()
        os.fsync(fh.fileno())
        write = time.perf_counter() - t
    finally:
        fh.close()
        probe.unlink()
    return {
        "seconds_decode_all_tiles_2_threads": decode,
        "disk_write_mb_per_s": n * piece.nbytes / 1024**2 / write,
    }


def run(case: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one case and return its measurements."""
    import qgis.core  # noqa: F401  (a QGIS process has it loaded)
    from osgeo import gdal

    base_rss = _rss_mb()
    t0 = time.perf_counter()
    from rs_embed_qgis.core import (
        BBox,
        CancelledError,
        OutputSpec,
        PointBuffer,
        TemporalSpec,
        get_embedding,
        get_embeddings_batch,
        prepare_cache,
    )

    t_import = time.perf_counter() - t0
    res: dict[str, Any] = {
        "python": sys.executable,
        "qgis": qgis.core.Qgis.QGIS_VERSION,
        "gdal": gdal.__version__,
        "numpy": np.__version__,
        "foreign_importable": [m for m in FOREIGN if importlib.util.find_spec(m) is not None],
        "seconds_import_core": t_import,
        **decode_path(),
    }
    year = TemporalSpec.year(2021)
    data_dir = args["data_dir"]
    product = args["product"]

    if case == "prepare":
        from rs_embed_qgis.core.adapter import open_source

        t = time.perf_counter()
        status = prepare_cache(product)
        res["seconds"] = time.perf_counter() - t
        res["status"] = {k: str(v) for k, v in status.items()}
        reader = open_source(data_dir, reader="gdal").reader
        res["fast_path"] = bool(reader.fast_path)
        res["fast_path_refusal"] = getattr(reader, "fast_path_refusal", "")
        res["peak_mb_above_baseline"] = _peak_mb() - base_rss
        res.update(_prepare_breakdown(reader, Path(args["cache_dir"])))
        return res

    if case == "first":
        t = time.perf_counter()
        e = get_embedding(spatial=BBox(*args["bbox"]), temporal=year, data_dir=data_dir)
        res["seconds"] = time.perf_counter() - t
        res["reader"] = e.meta["reader"]
        return res

    if case == "warm":
        pb = PointBuffer(lon=10.0, lat=50.0, buffer_m=5000)  # on land in the synthetic file
        e = get_embedding(spatial=pb, temporal=year, data_dir=data_dir)
        lat = []
        for _ in range(200):
            t = time.perf_counter()
            get_embedding(spatial=pb, temporal=year, data_dir=data_dir)
            lat.append(time.perf_counter() - t)
        res["median_ms"] = statistics.median(lat) * 1e3
        res["reader"] = e.meta["reader"]
        boxes = [BBox(*b) for b in args["boxes"]]
        t = time.perf_counter()
        embs = get_embeddings_batch(spatials=boxes, temporal=year, data_dir=data_dir)
        res["seconds_scattered"] = time.perf_counter() - t
        res["n_scattered"] = len(boxes)
        return res

    if case == "scattered":
        # The scattered bboxes as one batch in a fresh process; ``prepare`` False keeps a
        # batch without the cache from building it (the uncached figure).
        boxes = [BBox(*b) for b in args["boxes"]]
        t = time.perf_counter()
        embs = get_embeddings_batch(
            spatials=boxes,
            temporal=year,
            data_dir=data_dir,
            prepare_cache=args.get("prepare", "auto"),
            on_error="skip",
        )
        res["seconds"] = time.perf_counter() - t
        res["items"] = len(embs)
        res["ok"] = sum(e.data is not None for e in embs)
        res["reader"] = next((e.meta["reader"] for e in embs if e.data is not None), None)
        res["peak_mb_above_baseline"] = _peak_mb() - base_rss
        return res

    if case == "grid":
        gbox = BBox(*args["bbox"])
        times = []
        for _ in range(4):
            t = time.perf_counter()
            g = get_embedding(
                spatial=gbox,
                temporal=year,
                data_dir=data_dir,
                output=OutputSpec.grid(),
                expand_deg=0,
                grid_format="numpy",
            )
            times.append(time.perf_counter() - t)
            shape = list(g.data.shape)
            del g
        res["seconds_first"] = times[0]
        res["seconds_median"] = statistics.median(times[1:])
        res["shape"] = shape
        return res

    if case in ("countries", "provinces"):
        polys = load_polygons(args["world_map"], args["layer"])
        import_rss = _rss_mb()
        t1 = time.perf_counter()
        embs = get_embeddings_batch(
            spatials=polys,
            temporal=year,
            output=OutputSpec.pooled("mean"),
            data_dir=data_dir,
            on_error="skip",
            prepare_cache=args.get("prepare", "auto"),
        )
        t2 = time.perf_counter()
        res.update(
            seconds_total=t2 - t0,
            seconds_load=t1 - t0,
            seconds_batch=t2 - t1,
            items=len(embs),
            ok=sum(e.data is not None for e in embs),
            peak_mb_above_baseline=_peak_mb() - base_rss,
            peak_mb_above_loaded=_peak_mb() - import_rss,
            reader=next((e.meta["reader"] for e in embs if e.data is not None), None),
        )
        return res

    if case == "cancel_read":
        flag, marks, timer = _cancel_after(args["delay"])
        t = time.perf_counter()
        timer.start()
        try:
            get_embedding(
                spatial=BBox(*args["bbox"]),
                temporal=year,
                data_dir=data_dir,
                output=OutputSpec.grid(),
                expand_deg=0,
                grid_format="numpy",
                reader="gdal",
                max_grid_bytes=8 * 1024**3,
                cancel=flag.is_set,
            )
            res["outcome"] = "finished before cancel"
        except CancelledError:
            res["outcome"] = "cancelled"
        end = time.perf_counter()
        timer.cancel()
        res["seconds_started_to_end"] = end - t
        res["seconds_cancel_to_exception"] = end - marks["cancelled_at"] if marks else None
        return res

    if case == "cancel_prepare":
        flag, marks, timer = _cancel_after(args["delay"])
        t = time.perf_counter()
        timer.start()
        try:
            prepare_cache(product, cancel=flag.is_set)
            res["outcome"] = "finished before cancel"
        except CancelledError:
            res["outcome"] = "cancelled"
        end = time.perf_counter()
        timer.cancel()
        res["seconds_started_to_end"] = end - t
        res["seconds_cancel_to_exception"] = end - marks["cancelled_at"] if marks else None
        left = [p.name for p in Path(args["cache_dir"]).glob("*")]
        res["left_in_cache_dir"] = left
        return res

    if case == "values":
        # Windows for the equality check against TorchGeo (compared in the venv parent).
        out: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {"boxes": []}
        for i, b in enumerate(args["boxes"]):
            for reader in ("gdal", "cache"):
                e = get_embedding(
                    spatial=BBox(*b),
                    temporal=year,
                    data_dir=data_dir,
                    output=OutputSpec.grid(),
                    grid_format="numpy",
                    reader=reader,
                )
                out[f"grid_{i}_{reader}"] = np.asarray(e.data)
                p = get_embedding(spatial=BBox(*b), temporal=year, data_dir=data_dir, reader=reader)
                out[f"mean_{i}_{reader}"] = np.asarray(p.data)
            meta["boxes"].append(list(e.meta["expanded_bbox"]))
        g = get_embedding(
            spatial=BBox(*args["grid_bbox"]),
            temporal=year,
            data_dir=data_dir,
            output=OutputSpec.grid(),
            expand_deg=0,
            grid_format="numpy",
        )
        out["big_grid"] = np.asarray(g.data)
        meta["big_grid_bbox"] = list(g.meta["bbox_4326"])
        meta["big_grid_reader"] = g.meta["reader"]
        np.savez(args["npz"], **out)
        res.update(meta)
        return res

    raise SystemExit(f"unknown case {case}")


def main() -> None:
    """Entry point: ``stock_child.py CASE ARGS_JSON``."""
    case, args_path = sys.argv[1], sys.argv[2]
    args = json.loads(Path(args_path).read_text(encoding="utf-8"))
    print(json.dumps(run(case, args)))


if __name__ == "__main__":
    main()
