"""One explore case of ``make bench`` in a fresh stock process: ``explore_child.py CASE ARGS``.

Issue 12's speed figures (similarity maps, places like this, k-means, the threshold's
renderer swap) and issue 9's cost of verifying the cache, run like ``stock_child.py``:
Debian's Python in a clean environment, ``qgis.core`` imported first and outside every
timing, on a prepared cache of the full-size file. Prints one JSON line.

``"cold": true`` evicts the cache's data file and the search index's files from the page
cache before anything reads them: ``posix_fadvise(POSIX_FADV_DONTNEED)`` on each file,
which drops just those files' clean pages and leaves the rest of the machine's page
cache alone; ``fincore`` then reports what stayed resident.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from stock_child import _peak_mb, _rss_mb  # this folder is on sys.path: run as a script

REF = (10.0, 50.0)  # one reference pixel, on land in the synthetic file
EUROPE = (-25.0, 34.0, 45.0, 72.0)  # lon/lat box: 153 x 281 pixels
K = 8


def cache_files(cache_dir: str) -> list[Path]:
    """The cache's data file(s) and the search index's arrays under the cache root."""
    root = Path(cache_dir)
    return sorted(root.glob("*/embed.f32")) + sorted(root.glob("search_index/*/*.npy"))


def resident_mb(paths: list[Path]) -> float | None:
    """Bytes of ``paths`` in the page cache (util-linux ``fincore``), in MB; None without it."""
    if not paths or shutil.which("fincore") is None:
        return None
    out = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return None
    return sum(int(v) for v in out.stdout.split()) / 1024**2


def evict(paths: list[Path]) -> dict[str, Any]:
    """Drop the page cache of just these files (POSIX_FADV_DONTNEED on each)."""
    before = resident_mb(paths)
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages are not dropped: write them first
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return {
        "evicted_files": [p.name for p in paths],
        "evicted_mb": sum(p.stat().st_size for p in paths) / 1024**2,
        "resident_mb_before": before,
        "resident_mb_after": resident_mb(paths),
    }


def _qgis_app() -> Any:
    """An offscreen QgsApplication (for styles, layers and rendering)."""
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    return app


def _compare_places(a: list[Any], b: list[Any]) -> dict[str, Any]:
    same = [(p.row, p.col) for p in a] == [(p.row, p.col) for p in b]
    diff = max((abs(p.score - q.score) for p, q in zip(a, b)), default=0.0)
    return {"same_pixels_as_full_scan": same, "max_score_diff_vs_full_scan": diff}


def run(case: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one case and return its measurements."""
    import qgis.core  # noqa: F401  (a QGIS process has it loaded)

    app = _qgis_app() if case == "threshold" else None  # noqa: F841  (lives with the process)
    base_rss = _rss_mb()
    res: dict[str, Any] = {"case": case, "cold": bool(args.get("cold"))}
    if args.get("cold"):
        res["eviction"] = evict(cache_files(args["cache_dir"]))
    t0 = time.perf_counter()
    from rs_embed_qgis.core import explore, index  # noqa: F401
    from rs_embed_qgis.core.adapter import open_source  # noqa: F401

    res["seconds_import"] = time.perf_counter() - t0
    data_dir = args["data_dir"]
    work = Path(tempfile.mkdtemp(prefix="rs_embed_explore_"))
    try:
        res.update(_case(case, args, data_dir, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["peak_mb_above_baseline"] = _peak_mb() - base_rss
    return res


def _case(case: str, args: dict[str, Any], data_dir: str, work: Path) -> dict[str, Any]:
    """The measurements of one case (imports are already loaded: outside the timings)."""
    from rs_embed_qgis.core import explore
    from rs_embed_qgis.core.adapter import open_source
    from rs_embed_qgis.core.index import (
        build_index,
        load_index,
        save_index,
        similar_places_indexed,
    )

    res: dict[str, Any] = {}

    if case == "index_build":
        src = open_source(data_dir)
        res["reader"] = src.reader.name
        t = time.perf_counter()
        index = build_index(src.reader)
        res["seconds_build"] = time.perf_counter() - t
        t = time.perf_counter()
        folder = save_index(index, src.info)
        res["seconds_save"] = time.perf_counter() - t
        res["index_mb_on_disk"] = sum(p.stat().st_size for p in folder.iterdir()) / 1024**2
        res["components"] = int(index.components.shape[0])
        return res

    if case == "sim_globe":
        from rs_embed_qgis.bridge.explore_outputs import write_score_geotiff

        def approx_map(n: int) -> float:
            t = time.perf_counter()
            src = open_source(data_dir)
            index = load_index(src.info)
            sim = explore.similarity_map(src.reader, [REF], None, index=index)
            write_score_geotiff(sim.scores, sim.window, str(work / f"approx_{n}.tif"))
            res["approx_max_error_bound"] = sim.max_error
            res["_approx"] = sim.scores
            return time.perf_counter() - t

        def exact_map(n: int) -> tuple[float, float]:
            t = time.perf_counter()
            src = open_source(data_dir)
            sim = explore.similarity_map(src.reader, [REF])
            tw = time.perf_counter()
            write_score_geotiff(sim.scores, sim.window, str(work / f"exact_{n}.tif"))
            end = time.perf_counter()
            res["reader"] = src.reader.name
            res["valid_pixels"] = sim.valid_pixels
            res["_exact"] = sim.scores
            return end - t, end - tw

        # The index first: when cold, its files (and the reference pixel) come from disk.
        res["approx_first_s"] = approx_map(1)
        res["approx_again_s"] = approx_map(2)
        res["exact_first_s"], res["exact_first_write_s"] = exact_map(1)
        res["exact_again_s"], res["exact_again_write_s"] = exact_map(2)
        # Where the warm time goes: streaming the vectors alone, without scoring or writing.
        src = open_source(data_dir)
        t = time.perf_counter()
        for _blk, _flat, _valid, _x2 in explore.stream(src.reader, explore.file_window(src.info)):
            pass
        res["stream_only_s"] = time.perf_counter() - t
        a, e = res.pop("_approx"), res.pop("_exact")
        ok = ~np.isnan(e)
        res["approx_max_abs_error"] = float(np.nanmax(np.abs(a[ok] - e[ok])))
        return res

    if case == "sim_europe":
        src = open_source(data_dir)
        times = []
        for _ in range(6):
            t = time.perf_counter()
            sim = explore.similarity_map(src.reader, [REF], EUROPE)
            times.append(time.perf_counter() - t)
        res["first_s"] = times[0]
        res["median_again_s"] = statistics.median(times[1:])
        res["shape"] = list(sim.scores.shape)
        index = load_index(src.info)
        refs = explore.reference_vectors(src.reader, [REF])
        ta = []
        for _ in range(6):
            t = time.perf_counter()
            explore.similarity_map(src.reader, refs, EUROPE, index=index)
            ta.append(time.perf_counter() - t)
        res["approx_median_s"] = statistics.median(ta[1:])
        return res

    if case == "threshold":
        from qgis.core import (
            QgsMapRendererSequentialJob,
            QgsMapSettings,
            QgsRasterLayer,
        )
        from qgis.PyQt.QtCore import QSize

        from rs_embed_qgis.bridge.explore_outputs import (
            score_range,
            score_renderer,
            style_score_layer,
            write_score_geotiff,
        )

        src = open_source(data_dir)
        sim = explore.similarity_map(src.reader, [REF])
        path = write_score_geotiff(sim.scores, sim.window, str(work / "globe.tif"))
        layer = QgsRasterLayer(path, "similarity", "gdal")
        assert layer.isValid(), path
        style_score_layer(layer)
        lo, hi = score_range(layer)
        swaps = []
        for thr in np.linspace(lo, hi, 12)[1:-1]:
            t = time.perf_counter()
            layer.setRenderer(score_renderer(layer, lo, hi, float(thr)))
            layer.triggerRepaint()
            swaps.append(time.perf_counter() - t)
        res["swap_median_ms"] = statistics.median(swaps) * 1e3
        res["swap_max_ms"] = max(swaps) * 1e3
        # The redraw the swap triggers: the whole globe layer at 1440 x 721 screen pixels.
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(layer.crs())
        settings.setExtent(layer.extent())
        settings.setOutputSize(QSize(1440, 721))
        renders = []
        for _ in range(4):
            job = QgsMapRendererSequentialJob(settings)
            t = time.perf_counter()
            job.start()
            job.waitForFinished()
            renders.append(time.perf_counter() - t)
        res["redraw_median_ms"] = statistics.median(renders[1:]) * 1e3
        del layer
        return res

    if case == "places":
        refs_spec = [REF]
        t = time.perf_counter()
        src = open_source(data_dir)
        index = load_index(src.info)
        places = explore.similar_places(
            src.reader, refs_spec, None, k=50, min_distance_km=100, index=index
        )
        res["first_s"] = time.perf_counter() - t
        res["index_used"] = index is not None
        t = time.perf_counter()
        again = explore.similar_places(
            src.reader, refs_spec, None, k=50, min_distance_km=100, index=index
        )
        res["again_s"] = time.perf_counter() - t
        refs = explore.reference_vectors(src.reader, refs_spec)
        window = explore.scope_window(src.info, None)
        _p, res["candidates_rescored"] = similar_places_indexed(
            src.reader, index, refs, window, 50, 100.0
        )
        res["n_places"] = len(places)
        res["same_as_again"] = [(p.row, p.col) for p in places] == [(p.row, p.col) for p in again]
        if args.get("check_exact"):
            t = time.perf_counter()
            full = explore.similar_places(src.reader, refs_spec, None, k=50, min_distance_km=100)
            res["full_scan_s"] = time.perf_counter() - t
            res.update(_compare_places(places, full))
        return res

    if case == "kmeans":
        src = open_source(data_dir)
        scope = tuple(args["scope"]) if args.get("scope") else None
        t = time.perf_counter()
        out = explore.cluster(src.reader, scope, k=K)
        res["seconds"] = time.perf_counter() - t
        res["land_pixels"] = int(out.sizes.sum())
        res["fit_pixels"] = out.fit_pixels
        res["k"] = out.k
        return res

    if case == "verify":
        from rs_embed_qgis.core import BBox, PointBuffer, TemporalSpec, get_embedding
        from rs_embed_qgis.core import cache as cache_mod
        from rs_embed_qgis.core.grid import Window

        t = time.perf_counter()
        e = get_embedding(
            spatial=PointBuffer(lon=REF[0], lat=REF[1], buffer_m=5000),
            temporal=TemporalSpec.year(2021),
            data_dir=data_dir,
        )
        res["click_s"] = time.perf_counter() - t
        res["reader"] = e.meta["reader"]
        reader = cache_mod.open_cached_reader(open_source(data_dir).info)
        seg_mb = reader._seg * 768 * 4 / 1024**2
        res["segments_verified_by_click"] = int(reader._ok.sum())
        res["segment_mb"] = seg_mb
        t = time.perf_counter()
        get_embedding(
            spatial=BBox(REF[0] + 1, REF[1], REF[0] + 1.1, REF[1] + 0.1),
            temporal=TemporalSpec.year(2021),
            data_dir=data_dir,
        )
        res["second_click_s"] = time.perf_counter() - t
        rows = Window(200, 300, 0, reader.info.width)
        before = int(reader._ok.sum())
        t = time.perf_counter()
        reader.read(rows)
        res["rows_first_s"] = time.perf_counter() - t
        res["rows_segments_verified"] = int(reader._ok.sum()) - before
        t = time.perf_counter()
        reader.read(rows)
        res["rows_again_s"] = time.perf_counter() - t
        res["rows_mb"] = rows.nbytes() / 1024**2
        return res

    raise SystemExit(f"unknown case {case}")


def main() -> None:
    """Entry point: ``explore_child.py CASE ARGS_JSON``."""
    case, args_path = sys.argv[1], sys.argv[2]
    args = json.loads(Path(args_path).read_text(encoding="utf-8"))
    print(json.dumps(run(case, args), default=float))


if __name__ == "__main__":
    main()
