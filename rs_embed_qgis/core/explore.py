# SPDX-License-Identifier: GPL-2.0-or-later
"""Exploring the embeddings: similarity maps, places like this, k-means, classification.

Pure NumPy (plus GDAL through the readers); scikit-learn only for the optional random
forest. Every function works on a scope (a ``Window`` of the product grid) streamed
through a reader in blocks of bounded memory, asks ``cancel()`` between blocks and
reports ``progress(fraction, message)``. Results live on the product grid: pixel (i, j)
of a result is the global pixel (scope.row0 + i, scope.col0 + j); ocean (all-zero
vectors) is NaN in float results and -1 in label results.

Scores: ``metric="cosine"`` gives the cosine similarity in [-1, 1];
``metric="euclidean"`` gives the *negative* Euclidean distance (<= 0), so that for both
metrics a higher score means more similar (thresholds, "max over references" and the
top-k search all read the same way). The distance is ``-score``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import (  # noqa: F401 (explore.X names kept)
    AUTO_K_RANGE,
    CLASSIFIERS,
    COMBINES,
    DEFAULT_SEED,
    KMEANS_FIT_PIXELS,
    METRICS,
    PRODUCT_BANDS,
    PRODUCT_HEIGHT,
    PRODUCT_RES,
    PRODUCT_WIDTH,
    SILHOUETTE_PIXELS,
)
from rs_embed_qgis.core.deps import sklearn_available  # noqa: F401 (explore.sklearn_available)
from rs_embed_qgis.core.errors import (
    CancelledError,
    DependencyError,
    NoCoverageError,
    RequestTooLargeError,
    SpecError,
)
from rs_embed_qgis.core.grid import (
    TORCHGEO_GRID,
    LonLatBox,
    ProductGrid,
    Window,
    point_buffer_to_bbox,
    window_for_bbox,
)
from rs_embed_qgis.core.specs import BBox, PointBuffer, Polygon

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


# Pixels are streamed in blocks of at most this many bytes of vectors.
BLOCK_BYTES = 256 * 1024**2
# Default ceiling for what one call keeps in memory (results, samples, one block).
DEFAULT_MAX_BYTES = 1536 * 1024**2
# k-means is fitted on at most KMEANS_FIT_PIXELS (a fixed-seed sample, core/constants.py);
# every pixel of the scope is then assigned to its nearest centroid.
# k-means++ restarts (the lowest inertia wins): up to 10 on small fits, where they are
# cheap; about KMEANS_INIT_BUDGET / n of them, at least one, on larger ones.
KMEANS_N_INIT = 10
KMEANS_INIT_BUDGET = 30_000
AUTO_K_FIT_PIXELS = 20_000
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), for great-circle distances

# A point reference: (lon, lat) in EPSG:4326, meaning the product pixel under it.
PointRef = tuple[float, float]
Reference = PointRef | BBox | PointBuffer | Polygon


def _check_cancel(cancel: CancelFn | None) -> None:
    if cancel is not None and cancel():
        raise CancelledError("Cancelled; nothing was returned.")


def _progress(progress: ProgressFn | None) -> ProgressFn:
    return progress or (lambda f, m: None)


# --------------------------------------------------------------------------- pixels


def pixel_of(lon: float, lat: float, grid: ProductGrid = TORCHGEO_GRID) -> tuple[int, int]:
    """Global (row, col) of the pixel of ``grid`` (the file's) holding a lon/lat point."""
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90:
        raise SpecError(f"A point needs a finite lon/lat on the globe; got ({lon}, {lat}).")
    row = math.floor(grid.row_of(lat))
    col = math.floor(grid.col_of(lon))
    return min(max(row, 0), PRODUCT_HEIGHT - 1), col % PRODUCT_WIDTH


def pixel_lonlat(
    rows: np.ndarray, cols: np.ndarray, grid: ProductGrid = TORCHGEO_GRID
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre (lon, lat) of global pixels of ``grid``; lon wrapped to [-180, 180)."""
    lon = grid.lon_centres(np.asarray(cols) % PRODUCT_WIDTH)
    lat = grid.lat_centres(np.asarray(rows))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _grid_of(info: Any) -> ProductGrid:
    """The grid of a product file (TorchGeo's for objects that carry none)."""
    return getattr(info, "grid", TORCHGEO_GRID)


def file_window(info: Any) -> Window:
    """The window of the grid a product file holds (on the file's own grid)."""
    return Window(
        info.row_off,
        info.row_off + info.height,
        info.col_off,
        info.col_off + info.width,
        _grid_of(info),
    )


def scope_window(info: Any, box: LonLatBox | Window | None = None) -> Window:
    """The scope to explore: a lon/lat box (or a Window) clipped to the file; None = the file.

    Raises NoCoverageError when the scope and the file do not meet.
    """
    whole = file_window(info)
    if box is None:
        return whole
    if isinstance(box, Window):
        win = box
    else:
        win = window_for_bbox(tuple(float(v) for v in box), whole.grid)
    r0, r1 = max(win.row0, whole.row0), min(win.row1, whole.row1)
    if info.width == PRODUCT_WIDTH:
        c0, c1 = win.col0, win.col1
    else:
        c0 = c1 = 0
        for shift in (-PRODUCT_WIDTH, 0, PRODUCT_WIDTH):
            a = max(win.col0 + shift, whole.col0)
            b = min(win.col1 + shift, whole.col1)
            if b - a > c1 - c0:
                c0, c1 = a, b
    if r0 >= r1 or c0 >= c1:
        raise NoCoverageError(
            f"The scope {tuple(round(v, 4) for v in win.bounds)} lies outside the product "
            f"file, which covers {tuple(round(v, 4) for v in whole.bounds)}."
        )
    return whole.sub(r0, r1, c0, c1)


def check_scope(window: Window, max_bytes: int = DEFAULT_MAX_BYTES, per_pixel: int = 8) -> None:
    """Refuse a scope whose results (``per_pixel`` bytes a pixel) and one block exceed max_bytes."""
    need = window.height * window.width * per_pixel + min(BLOCK_BYTES, window.nbytes())
    if need > max_bytes:
        raise RequestTooLargeError(
            f"The scope of {window.height} x {window.width} pixels needs about "
            f"{need / 1024**2:.0f} MB, over the limit of {max_bytes / 1024**2:.0f} MB. "
            "Choose a smaller scope."
        )


def blocks(window: Window, reader: Any, block_bytes: int = BLOCK_BYTES) -> list[Window]:
    """Sub-windows covering ``window``, each at most ``block_bytes`` of vectors.

    The cache reader serves whole rows fastest: full-width row bands. The GeoTIFF reader
    decodes 256 x 256 tiles: blocks aligned on the file's tiles, so no tile is decoded twice.
    """
    row_bytes = max(1, window.width * PRODUCT_BANDS * 4)
    if getattr(reader, "name", "") == "cache" or row_bytes * 256 <= block_bytes:
        return window.row_bands(max(1, block_bytes // row_bytes))
    info = reader.info
    tile = 256
    out: list[Window] = []
    r = window.row0
    while r < window.row1:
        r_end = min(window.row1, info.row_off + ((r - info.row_off) // tile + 1) * tile)
        cols_per = max(tile, (block_bytes // max(1, (r_end - r) * PRODUCT_BANDS * 4)))
        cols_per = max(tile, cols_per // tile * tile)
        c = window.col0
        while c < window.col1:
            c_end = min(window.col1, info.col_off + ((c - info.col_off) // cols_per + 1) * cols_per)
            if c_end <= c:
                c_end = min(window.col1, c + cols_per)
            out.append(window.sub(r, r_end, c, c_end))
            c = c_end
        r = r_end
    return out


def stream(
    reader: Any,
    window: Window,
    cancel: CancelFn | None = None,
    progress: ProgressFn | None = None,
    message: str = "Reading",
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[tuple[Window, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (block, (h*w, 768) vectors, (h*w,) valid mask, (h*w,) squared norms).

    ``cancel`` is asked between blocks. The vectors may live in a buffer reused for the
    next block: copy what must outlive the iteration.
    """
    report = _progress(progress)
    parts = blocks(window, reader, block_bytes)
    buf: np.ndarray | None = None
    for i, blk in enumerate(parts):
        _check_cancel(cancel)
        if _reads_rows(reader, blk):
            # One buffer for every block: no fresh pages to fault in for each block.
            n = blk.height * blk.width
            if buf is None or buf.shape[0] < n:
                buf = np.empty((n, PRODUCT_BANDS), dtype=np.float32)
            flat = buf[:n]
            _read_rows(reader, blk, flat, cancel)
        else:
            flat = reader.read(blk, cancel=cancel).reshape(-1, PRODUCT_BANDS)
        # All-zero vectors (ocean) are exactly the ones of squared norm 0.
        x2 = np.einsum("ij,ij->i", flat, flat)
        yield blk, flat, x2 > 0, x2
        report((i + 1) / len(parts), f"{message}: block {i + 1} of {len(parts)}")
    _check_cancel(cancel)


def _reads_rows(reader: Any, blk: Window) -> bool:
    """True when the reader can fill a caller's buffer row by row (the global cache)."""
    info = getattr(reader, "info", None)
    return (
        hasattr(reader, "read_cells")
        and getattr(reader, "name", "") == "cache"
        and info is not None
        and info.width == PRODUCT_WIDTH
        and info.row_off <= blk.row0
        and blk.row1 <= info.row_off + info.height
    )


def _read_rows(reader: Any, blk: Window, flat: np.ndarray, cancel: CancelFn | None = None) -> None:
    """Fill (h*w, 768) ``flat`` with the block, one positional read per row and column run.

    ``cancel`` is asked every 8 rows (about 35 MB), so a cold disk still stops quickly.
    """
    rows = flat.reshape(blk.height, blk.width, PRODUCT_BANDS)
    segs = blk.col_segments()
    for i, r in enumerate(range(blk.row0, blk.row1)):
        if i % 8 == 7:
            _check_cancel(cancel)
        for off, g0, g1 in segs:
            reader.read_cells(r, g0, g1, out=rows[i, off : off + (g1 - g0)])


def _put(out: np.ndarray, window: Window, blk: Window, values: np.ndarray) -> None:
    out[
        blk.row0 - window.row0 : blk.row1 - window.row0,
        blk.col0 - window.col0 : blk.col1 - window.col0,
    ] = values.reshape(blk.height, blk.width)


# --------------------------------------------------------------------------- references


def _as_polygon(ref: BBox | PointBuffer) -> Polygon:
    box = ref.as_tuple() if isinstance(ref, BBox) else point_buffer_to_bbox(ref)
    w, s, e, n = box
    s, n = max(s, -90.0), min(n, 90.0)
    ring = np.array([[w, s], [e, s], [e, n], [w, n], [w, s]], dtype=np.float64)
    return Polygon.from_rings([[ring]])


def read_pixels(reader: Any, rows: Sequence[int], cols: Sequence[int]) -> np.ndarray:
    """(n, 768) vectors of single global pixels (of the reader's file's grid)."""
    out = np.empty((len(rows), PRODUCT_BANDS), dtype=np.float32)
    grid = _grid_of(getattr(reader, "info", None))
    for i, (r, c) in enumerate(zip(rows, cols, strict=True)):
        out[i] = reader.read(Window(int(r), int(r) + 1, int(c), int(c) + 1, grid))[0, 0]
    return out


def reference_vectors(
    reader: Any, references: Sequence[Reference], cancel: CancelFn | None = None
) -> np.ndarray:
    """(n, 768) vectors of the references, in order.

    A point ``(lon, lat)`` is the pixel under it; a BBox or PointBuffer is the exact
    area-weighted mean of the cells of its box; a Polygon the exact area-weighted mean
    of the cells it covers (the pooling of ``get_embedding``). Raises SpecError without
    references and NoCoverageError naming the references that lie over ocean.
    """
    from rs_embed_qgis.core.polygon import polygon_coverage, pool_coverage

    if not references:
        raise SpecError("No reference: give at least one point, box or polygon.")
    grid = _grid_of(getattr(reader, "info", None))
    out = np.zeros((len(references), PRODUCT_BANDS), dtype=np.float32)
    empty: list[int] = []
    for i, ref in enumerate(references):
        _check_cancel(cancel)
        if isinstance(ref, (BBox, PointBuffer, Polygon)):
            poly = ref if isinstance(ref, Polygon) else _as_polygon(ref)
            cov = polygon_coverage([poly], cancel=cancel, grid=grid)[0]
            vec, _meta = pool_coverage(reader, cov, "mean", cancel)
            if vec is None:
                empty.append(i)
            else:
                out[i] = vec
            continue
        try:
            lon, lat = (float(v) for v in ref)  # type: ignore[union-attr]
        except (TypeError, ValueError) as exc:
            raise SpecError(
                f"Reference {i} must be a (lon, lat) point, a BBox, a PointBuffer or a "
                f"Polygon; got {type(ref).__name__}."
            ) from exc
        r, c = pixel_of(lon, lat, grid)
        vec = read_pixels(reader, [r], [c])[0]
        if not np.any(vec != 0):
            empty.append(i)
        out[i] = vec
    if empty:
        which = ", ".join(str(i + 1) for i in empty)
        raise NoCoverageError(
            f"Reference {which} of {len(references)} lies over ocean or outside the product "
            "(no embedding there); move it onto land or remove it."
        )
    return out


def scores(vectors: np.ndarray, refs: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """(n, m) scores of n vectors against m references: cosine, or minus the Euclidean distance."""
    x = np.asarray(vectors, dtype=np.float32)
    r = np.asarray(refs, dtype=np.float32).reshape(-1, x.shape[-1])
    if metric == "cosine":
        dots = (x @ r.T).astype(np.float64)
        x2 = np.einsum("ij,ij->i", x, x).astype(np.float64)
        r2 = np.einsum("ij,ij->i", r, r).astype(np.float64)
        den = np.sqrt(x2)[:, None] * np.sqrt(r2)[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, dots / np.where(den > 0, den, 1.0), np.nan)
        return np.clip(out, -1.0, 1.0)
    if metric == "euclidean":
        # Differences, not |x|^2 - 2 x.r + |r|^2: no cancellation near the reference.
        out = np.empty((x.shape[0], r.shape[0]), dtype=np.float64)
        for j in range(r.shape[0]):
            diff = x - r[j]
            out[:, j] = -np.sqrt(np.einsum("ij,ij->i", diff, diff))
        return out
    raise SpecError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}.")


def combine_references(refs: np.ndarray, combine: str, metric: str) -> np.ndarray:
    """The reference vectors the map is scored against: mean -> 1, medoid -> 1, max -> all.

    ``mean`` is the plain mean of the reference vectors; ``medoid`` the reference with the
    highest summed score (``metric``) to all references; ``max`` keeps every reference
    (the map takes, per pixel, the best score over them).
    """
    refs = np.asarray(refs, dtype=np.float32)
    if combine == "mean":
        return refs.mean(axis=0, dtype=np.float64).astype(np.float32)[None]
    if combine == "medoid":
        s = scores(refs, refs, metric)
        return refs[int(np.argmax(np.nansum(s, axis=1)))][None]
    if combine == "max":
        return refs
    raise SpecError(f"combine must be one of {', '.join(COMBINES)}; got {combine!r}.")


# --------------------------------------------------------------------------- similarity


@dataclass
class SimilarityResult:
    """A similarity map on the product grid: ``scores`` (H, W) float32, NaN over ocean."""

    scores: np.ndarray
    window: Window
    metric: str
    combine: str
    references: np.ndarray
    valid_pixels: int
    # 0 for exact scores; from the search index, the largest error bound of a score.
    max_error: float = 0.0

    @property
    def approximate(self) -> bool:
        """True when the scores come from the search index (within ``max_error``)."""
        return self.max_error > 0

    @property
    def bounds(self) -> LonLatBox:
        """Pixel-edge bounds of the map (longitudes unwrapped)."""
        return self.window.bounds


def _no_land(window: Window) -> NoCoverageError:
    return NoCoverageError(
        f"The scope {tuple(round(v, 4) for v in window.bounds)} holds no land pixel "
        "(all ocean or outside the product)."
    )


def _check_metric(metric: str, combine: str | None = None) -> None:
    if metric not in METRICS:
        raise SpecError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}.")
    if combine is not None and combine not in COMBINES:
        raise SpecError(f"combine must be one of {', '.join(COMBINES)}; got {combine!r}.")


def _block_scores(
    flat: np.ndarray, valid: np.ndarray, x2: np.ndarray, use: np.ndarray, metric: str
) -> np.ndarray:
    """Best score over ``use`` of the valid rows of a block (cosine on the whole block).

    Cosine runs one matrix product over every row (ocean rows included): cheaper than
    copying the valid rows out of a block that is read once anyway.
    """
    if metric != "cosine":
        return scores(flat[valid], use, metric).max(axis=1)
    dots = flat @ use.T
    r = np.sqrt(np.einsum("ij,ij->i", use, use).astype(np.float64))
    den = np.sqrt(x2[valid].astype(np.float64))[:, None] * r[None, :]
    return np.clip(dots[valid] / den, -1.0, 1.0).max(axis=1)


def similarity_map(
    reader: Any,
    references: Sequence[Reference] | np.ndarray,
    scope: LonLatBox | Window | None = None,
    *,
    combine: str = "mean",
    metric: str = "cosine",
    max_bytes: int = DEFAULT_MAX_BYTES,
    block_bytes: int = BLOCK_BYTES,
    index: Any = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> SimilarityResult:
    """Score every pixel of the scope against the references (see the module doc for scores).

    ``references``: points/boxes/polygons (see ``reference_vectors``) or an (m, 768)
    array of vectors. ``scope``: a lon/lat box, a Window, or None for the whole file.
    With a search index (``core.index``) and the cosine metric the scores are
    approximate, read from the index instead of the full vectors, each within the
    result's ``max_error`` (a guaranteed bound); otherwise they are exact.
    Raises NoCoverageError when the scope holds no land pixel.
    """
    _check_metric(metric, combine)
    report = _progress(progress)
    if isinstance(references, np.ndarray):
        refs = np.asarray(references, dtype=np.float32).reshape(-1, PRODUCT_BANDS)
        if refs.shape[0] == 0:
            raise SpecError("No reference: give at least one point, box or polygon.")
        if not np.all(np.any(refs != 0, axis=1)):
            raise NoCoverageError("A reference vector is all zeros (ocean): it has no embedding.")
    else:
        refs = reference_vectors(reader, references, cancel)
    window = scope_window(reader.info, scope)
    check_scope(window, max_bytes, per_pixel=4)
    use = combine_references(refs, combine, metric)
    if index is not None and metric == "cosine":
        _check_cancel(cancel)
        report(0.5, "Scoring pixels on the search index")
        approx, bound = index.cosine_bounds(use, window)
        n_valid = int(np.count_nonzero(~np.isnan(approx)))
        if n_valid == 0:
            raise _no_land(window)
        report(1.0, "Done")
        max_error = max(float(np.nanmax(bound)), np.finfo(np.float32).tiny)
        return SimilarityResult(approx, window, metric, combine, use, n_valid, max_error)
    out = np.full(window.shape, np.nan, dtype=np.float32)
    n_valid = 0
    report(0.0, "Scoring pixels")
    for blk, flat, valid, x2 in stream(reader, window, cancel, report, "Scoring", block_bytes):
        vals = np.full(flat.shape[0], np.nan, dtype=np.float32)
        if valid.any():
            vals[valid] = _block_scores(flat, valid, x2, use, metric)
            n_valid += int(valid.sum())
        _put(out, window, blk, vals)
    if n_valid == 0:
        raise _no_land(window)
    return SimilarityResult(out, window, metric, combine, use, n_valid)


# --------------------------------------------------------------------------- places


def great_circle_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Haversine distance (km) on a sphere of the mean Earth radius; broadcasts."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass
class Place:
    """One result of "places like this": rank (1 = best), global pixel, centre, exact score."""

    rank: int
    row: int
    col: int
    lon: float
    lat: float
    score: float


def top_places(sim: SimilarityResult, k: int = 50, min_distance_km: float = 0.0) -> list[Place]:
    """The ``k`` best-scoring pixels, each at least ``min_distance_km`` from the better ones.

    Greedy non-maximum suppression by great-circle distance between pixel centres, in
    order of decreasing score (ties: north first, then west first). Scores are exact.
    """
    if k < 1:
        raise SpecError(f"k must be at least 1; got {k}.")
    if not min_distance_km >= 0:
        raise SpecError(f"The minimum distance must be >= 0 km; got {min_distance_km}.")
    flat = sim.scores.ravel()
    idx = np.nonzero(~np.isnan(flat))[0]
    order = idx[np.argsort(-flat[idx], kind="stable")]
    w = sim.window
    picked: list[int] = []
    plon = np.empty(0)
    plat = np.empty(0)
    chunk = 4096
    for s in range(0, order.size, chunk):
        cand = order[s : s + chunk]
        rows = w.row0 + cand // w.width
        cols = w.col0 + cand % w.width
        lon, lat = pixel_lonlat(rows, cols, w.grid)
        if min_distance_km > 0 and plon.size:
            d = great_circle_km(lon[:, None], lat[:, None], plon[None, :], plat[None, :])
            keep = np.all(d >= min_distance_km, axis=1)
            cand, lon, lat = cand[keep], lon[keep], lat[keep]
        for j in range(cand.size):
            if min_distance_km > 0 and len(picked) > 0:
                d = great_circle_km(lon[j], lat[j], plon, plat)
                if np.any(d < min_distance_km):
                    continue
            picked.append(int(cand[j]))
            plon = np.append(plon, lon[j])
            plat = np.append(plat, lat[j])
            if len(picked) == k:
                break
        if len(picked) == k:
            break
    out = []
    for rank, p in enumerate(picked, start=1):
        r, c = w.row0 + p // w.width, w.col0 + p % w.width
        lon, lat = pixel_lonlat(np.array(r), np.array(c), w.grid)
        out.append(
            Place(rank, int(r), int(c) % PRODUCT_WIDTH, float(lon), float(lat), float(flat[p]))
        )
    return out


def similar_places(
    reader: Any,
    references: Sequence[Reference] | np.ndarray,
    scope: LonLatBox | Window | None = None,
    *,
    k: int = 50,
    min_distance_km: float = 100.0,
    combine: str = "mean",
    metric: str = "cosine",
    index: Any = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> list[Place]:
    """Top-k most similar pixels of the scope, spread ``min_distance_km`` apart (exact scores).

    With a compact search index (``core.index``) and the cosine metric, candidates come
    from the index and only they are re-scored on their full vectors; the result is the
    same (exact) top-k, found without reading the whole scope.
    """
    if k < 1:
        raise SpecError(f"k must be at least 1; got {k}.")
    if index is not None and metric == "cosine":
        _check_metric(metric, combine)
        if isinstance(references, np.ndarray):
            refs = np.asarray(references, dtype=np.float32).reshape(-1, PRODUCT_BANDS)
        else:
            refs = reference_vectors(reader, references, cancel)
        window = scope_window(reader.info, scope)
        use = combine_references(refs, combine, metric)
        _progress(progress)(0.5, "Searching the index")
        places, _n = index.similar_places(reader, use, window, k, min_distance_km, cancel)
        _progress(progress)(1.0, "Done")
        return places
    sim = similarity_map(
        reader, references, scope, combine=combine, metric=metric, progress=progress, cancel=cancel
    )
    return top_places(sim, k, min_distance_km)


# --------------------------------------------------------------------------- k-means


def _sq_dists(x: np.ndarray, c: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    """(n, k) squared Euclidean distances, float64, clipped at 0."""
    if x2 is None:
        x2 = np.einsum("ij,ij->i", x, x, dtype=np.float64)
    c = np.asarray(c, dtype=np.float32)
    c2 = np.einsum("ij,ij->i", c, c, dtype=np.float64)
    d = x2[:, None] - 2.0 * (x @ c.T).astype(np.float64) + c2[None, :]
    return np.maximum(d, 0.0)


def kmeans_plusplus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii 2007) with a few local trials per centre."""
    n = x.shape[0]
    x2 = np.einsum("ij,ij->i", x, x, dtype=np.float64)
    centres = np.empty((k, x.shape[1]), dtype=np.float32)
    centres[0] = x[rng.integers(n)]
    closest = _sq_dists(x, centres[:1], x2)[:, 0]
    trials = 2 + int(math.log(k))
    for i in range(1, k):
        total = closest.sum()
        if total <= 0:  # fewer distinct points than k: repeat points
            centres[i] = x[rng.integers(n)]
            continue
        cand = np.searchsorted(np.cumsum(closest), rng.random(trials) * total)
        cand = np.minimum(cand, n - 1)
        d = _sq_dists(x, x[cand], x2)
        pots = np.minimum(closest[:, None], d).sum(axis=0)
        best = int(np.argmin(pots))
        centres[i] = x[cand[best]]
        closest = np.minimum(closest, d[:, best])
    return centres


def kmeans_fit(
    x: np.ndarray,
    k: int,
    seed: int = DEFAULT_SEED,
    max_iter: int = 100,
    tol: float = 1e-6,
    cancel: CancelFn | None = None,
    n_init: int | None = None,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Lloyd's k-means on (n, d) vectors: (centroids (k, d), labels (n,), inertia).

    ``n_init`` runs from k-means++ seedings drawn from one generator seeded with ``seed``
    (default: 10 for up to 3 000 vectors, fewer above, 1 from 30 000); the run with the
    lowest inertia wins. Each run iterates until the assignment is stable (the centroids
    are then the means of their pixels), an iteration lowers the inertia by less than
    ``tol`` (relative), or ``max_iter``; the labels returned are always those of the
    nearest centroid.
    """
    x = np.asarray(x, dtype=np.float32)
    n = x.shape[0]
    if k < 1 or k > n:
        raise SpecError(f"k must be between 1 and the number of pixels ({n}); got {k}.")
    rng = np.random.default_rng(seed)
    if n_init is None:
        n_init = max(1, min(KMEANS_N_INIT, KMEANS_INIT_BUDGET // max(1, n)))
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    report = _progress(progress)
    runs = max(1, n_init)
    for r in range(runs):

        def tick(it: int, r: int = r) -> None:
            # The number of iterations is not known ahead: each run's share fills slowly.
            report((r + it / (it + 10.0)) / runs, f"k-means with k={k}: run {r + 1} of {runs}")

        run = _lloyd(x, k, rng, max_iter, tol, cancel, tick)
        if best is None or run[2] < best[2]:
            best = run
    if best is None:
        raise ValueError("k-means needs at least one run.")
    return best


def _lloyd(
    x: np.ndarray,
    k: int,
    rng: np.random.Generator,
    max_iter: int,
    tol: float,
    cancel: CancelFn | None,
    tick: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """One k-means run from a k-means++ seeding; ``tick(iteration)`` after each step."""
    n = x.shape[0]
    centres = kmeans_plusplus(x, k, rng)
    x2 = np.einsum("ij,ij->i", x, x, dtype=np.float64)
    labels = np.full(n, -1, dtype=np.int64)
    prev = np.inf
    for it in range(max_iter):
        _check_cancel(cancel)
        if tick is not None:
            tick(it)
        d = _sq_dists(x, centres, x2)
        new_labels = np.argmin(d, axis=1)
        inertia = float(d[np.arange(n), new_labels].sum())
        if np.array_equal(new_labels, labels):
            break  # converged: the assignment is stable
        if prev - inertia <= tol * inertia:
            break  # the last step gained (relatively) less than tol
        prev = inertia
        labels = new_labels
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros((k, x.shape[1]), dtype=np.float64)
        _group_sum(sums, x, labels, k)
        new = centres.astype(np.float64).copy()
        nz = counts > 0
        new[nz] = sums[nz] / counts[nz, None]
        if not nz.all():  # an empty cluster takes the pixels farthest from their centres
            far = np.argsort(-d[np.arange(n), labels])[: int((~nz).sum())]
            new[~nz] = x[far]
        centres = new.astype(np.float32)
    d = _sq_dists(x, centres, x2)
    labels = np.argmin(d, axis=1)
    return centres, labels, float(d[np.arange(n), labels].sum())


def _group_sum(sums: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int) -> None:
    """sums[j] += sum of x[labels == j] (via a sort, faster than np.add.at on many rows)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    for j in range(k):
        a, b = bounds[j], bounds[j + 1]
        if b > a:
            sums[j] += x[order[a:b]].sum(axis=0, dtype=np.float64)


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette coefficient (Euclidean) of a labelled sample; 0 for a single cluster."""
    x = np.asarray(x, dtype=np.float32)
    ks = np.unique(labels)
    if ks.size < 2:
        return 0.0
    d = np.sqrt(_sq_dists(x, x))
    n = x.shape[0]
    a = np.zeros(n)
    b = np.full(n, np.inf)
    for j in ks:
        m = labels == j
        cnt = int(m.sum())
        mean_d = d[:, m].sum(axis=1)
        own = labels == j
        a[own] = mean_d[own] / max(1, cnt - 1)
        other = ~own
        b[other] = np.minimum(b[other], mean_d[other] / cnt)
    single = np.array([int((labels == labels[i]).sum()) == 1 for i in range(n)])
    s = np.where(np.maximum(a, b) > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    s[single] = 0.0
    return float(s.mean())


@dataclass
class ClusterResult:
    """k-means of a scope: labels (H, W) int16 (-1 ocean), centroids, sizes, inertia."""

    labels: np.ndarray
    centroids: np.ndarray
    sizes: np.ndarray
    inertia: float
    window: Window
    k: int
    seed: int
    fit_pixels: int
    silhouettes: dict[int, float] = field(default_factory=dict)

    def centroid_distances(self) -> np.ndarray:
        """(k, k) Euclidean distances between the centroids."""
        return np.sqrt(_sq_dists(self.centroids, self.centroids))


def _sample_valid(
    reader: Any,
    window: Window,
    max_pixels: int,
    seed: int,
    cancel: CancelFn | None,
    progress: ProgressFn | None,
    block_bytes: int,
) -> tuple[np.ndarray, int, list[tuple[Window, np.ndarray]] | None]:
    """(valid vectors, or a fixed-seed sample of about max_pixels; n valid; block masks).

    The block masks (each block and its valid mask) come back when every valid pixel was
    kept, so that labels can be placed without reading the scope again.
    """
    total = window.height * window.width
    keep_p = min(1.0, max_pixels / max(1, total))
    rng = np.random.default_rng(seed + 7919)
    parts: list[np.ndarray] = []
    n_valid = 0
    masks: list[tuple[Window, np.ndarray]] = []
    for blk, flat, valid, _x2 in stream(reader, window, cancel, progress, "Sampling", block_bytes):
        masks.append((blk, valid))
        idx = np.nonzero(valid)[0]
        n_valid += idx.size
        if keep_p < 1.0:
            idx = idx[rng.random(idx.size) < keep_p]
        if idx.size:
            parts.append(flat[idx].copy())
    x = np.concatenate(parts) if parts else np.empty((0, PRODUCT_BANDS), np.float32)
    return x, n_valid, (masks if keep_p >= 1.0 else None)


def cluster(
    reader: Any,
    scope: LonLatBox | Window | None = None,
    *,
    k: int = 0,
    k_range: tuple[int, int] = AUTO_K_RANGE,
    seed: int = DEFAULT_SEED,
    max_iter: int = 100,
    fit_pixels: int = KMEANS_FIT_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    block_bytes: int = BLOCK_BYTES,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> ClusterResult:
    """k-means of the land pixels of a scope (k-means++, fixed seed, Euclidean).

    Scopes of at most ``fit_pixels`` pixels are fitted on every land pixel; larger ones on
    a fixed-seed random sample of about ``fit_pixels`` pixels, after which every pixel is
    assigned to its nearest centroid (labels, sizes and inertia are over all pixels).
    ``k = 0`` chooses k in ``k_range`` by the best silhouette on a sample of
    ``SILHOUETTE_PIXELS`` pixels. Labels are 0 .. k-1, -1 over ocean.
    """
    if k < 0:
        raise SpecError(f"k must be >= 1, or 0 for automatic; got {k}.")
    report = _progress(progress)
    window = scope_window(reader.info, scope)
    check_scope(window, max_bytes, per_pixel=2)
    fit_bytes = fit_pixels * PRODUCT_BANDS * 4
    if fit_bytes + window.height * window.width * 2 > max_bytes:
        raise RequestTooLargeError(
            f"Fitting on {fit_pixels} pixels needs {fit_bytes / 1024**2:.0f} MB, over the "
            f"limit of {max_bytes / 1024**2:.0f} MB."
        )

    def sub(a: float, b: float) -> ProgressFn:
        return lambda f, m: report(a + (b - a) * f, m)

    x, n_valid, masks = _sample_valid(
        reader, window, fit_pixels, seed, cancel, sub(0.0, 0.4), block_bytes
    )
    if n_valid == 0:
        raise NoCoverageError(
            f"The scope {tuple(round(v, 4) for v in window.bounds)} holds no land pixel."
        )
    sils: dict[int, float] = {}
    if k == 0:
        lo, hi = k_range
        hi = min(hi, x.shape[0] - 1)
        if hi < max(2, lo):
            raise SpecError(
                f"Automatic k needs more land pixels than {x.shape[0]} in the scope; give k."
            )
        rng = np.random.default_rng(seed)
        sample = x[rng.choice(x.shape[0], min(SILHOUETTE_PIXELS, x.shape[0]), replace=False)]
        # Candidate ks are fitted on a smaller sample: only their silhouettes are compared.
        fit_x = x[rng.permutation(x.shape[0])[:AUTO_K_FIT_PIXELS]]
        for kk in range(max(2, lo), hi + 1):
            _check_cancel(cancel)
            cent, _lab, _ = kmeans_fit(fit_x, kk, seed, max_iter, cancel=cancel, n_init=1)
            lab = np.argmin(_sq_dists(sample, cent), axis=1)
            sils[kk] = silhouette(sample, lab)
            report(
                0.4 + 0.3 * (kk - lo + 1) / (hi - lo + 1), f"Silhouette of k={kk}: {sils[kk]:.3f}"
            )
        k = max(sils, key=lambda j: (sils[j], -j))
    if k > n_valid:
        raise SpecError(f"k = {k} is larger than the {n_valid} land pixels of the scope.")
    report(0.7, f"k-means with k={k}")
    centres, labels, inertia = kmeans_fit(
        x, k, seed, max_iter, cancel=cancel, progress=sub(0.7, 0.8)
    )
    out = np.full(window.shape, -1, dtype=np.int16)
    if masks is not None:
        # Every land pixel was fitted: place the labels back in order, without a re-read.
        sizes = np.bincount(labels, minlength=k)
        pos = 0
        for blk, valid in masks:
            vals = np.full(valid.size, -1, dtype=np.int16)
            nv = int(valid.sum())
            vals[valid] = labels[pos : pos + nv]
            pos += nv
            _put(out, window, blk, vals)
    else:
        sizes = np.zeros(k, dtype=np.int64)
        inertia = 0.0
        for blk, flat, valid, _x2 in stream(
            reader, window, cancel, sub(0.8, 1.0), "Labelling", block_bytes
        ):
            vals = np.full(valid.size, -1, dtype=np.int16)
            if valid.any():
                d = _sq_dists(flat[valid], centres)
                lab = np.argmin(d, axis=1)
                inertia += float(d[np.arange(lab.size), lab].sum())
                sizes += np.bincount(lab, minlength=k)
                vals[valid] = lab
            _put(out, window, blk, vals)
    return ClusterResult(
        out,
        centres,
        np.asarray(sizes, dtype=np.int64),
        inertia,
        window,
        k,
        seed,
        int(x.shape[0]),
        sils,
    )


# --------------------------------------------------------------------------- classification


@dataclass
class TrainingSet:
    """Training pixels: vectors (n, 768), class index (n,), weight (n,), sample group (n,)."""

    x: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    groups: np.ndarray
    classes: list[Any]


def training_set(
    reader: Any,
    samples: Sequence[tuple[Reference, Any]],
    cancel: CancelFn | None = None,
) -> TrainingSet:
    """Training pixels of labelled points and polygons.

    A point ``(lon, lat)`` gives the pixel under it (weight 1); a polygon (or BBox,
    PointBuffer) every land cell it covers, weighted by the covered area in km^2 (the
    exact weights of the pooling). Ocean pixels are dropped. Raises SpecError for fewer
    than two classes or a class with fewer than two pixels.
    """
    from rs_embed_qgis.core.polygon import gather_cells, polygon_coverage

    grid = _grid_of(getattr(reader, "info", None))
    xs: list[np.ndarray] = []
    labels: list[Any] = []
    ws: list[np.ndarray] = []
    gs: list[np.ndarray] = []
    for g, (ref, label) in enumerate(samples):
        _check_cancel(cancel)
        if label is None:
            continue
        if isinstance(ref, (BBox, PointBuffer, Polygon)):
            poly = ref if isinstance(ref, Polygon) else _as_polygon(ref)
            cov = polygon_coverage([poly], cancel=cancel, grid=grid)[0]
            vecs = gather_cells(reader, cov, cancel)
            w = cov.areas_m2 / 1e6
        else:
            lon, lat = (float(v) for v in ref)  # type: ignore[union-attr]
            r, c = pixel_of(lon, lat, grid)
            vecs = read_pixels(reader, [r], [c])
            w = np.ones(1)
        valid = np.any(vecs != 0, axis=1) & (w > 0)
        if not valid.any():
            continue
        xs.append(vecs[valid])
        ws.append(np.asarray(w, dtype=np.float64)[valid])
        labels.extend([label] * int(valid.sum()))
        gs.append(np.full(int(valid.sum()), g, dtype=np.int64))
    if not xs:
        if all(label is None for _, label in samples):
            raise SpecError(
                f"No training sample has a class: all {len(samples)} labels are None."
                if samples
                else "No training sample was given."
            )
        raise NoCoverageError("No training sample lies on land: every one is over ocean.")
    classes = sorted(set(labels), key=lambda v: (str(type(v)), v))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in labels], dtype=np.int64)
    counts = np.bincount(y, minlength=len(classes))
    if len(classes) < 2:
        raise SpecError(f"Classification needs at least two classes; found only {classes[0]!r}.")
    few = [str(classes[i]) for i in np.nonzero(counts < 2)[0]]
    if few:
        raise SpecError(
            f"Class {', '.join(few)} has only one training pixel on land; every class needs "
            "at least two (add samples or remove the class)."
        )
    return TrainingSet(np.concatenate(xs), y, np.concatenate(ws), np.concatenate(gs), classes)


class Classifier:
    """Base of the NumPy classifiers: ``fit(x, y, w)`` then ``predict_proba(x)`` (n, C)."""

    n_classes: int = 0

    def fit(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> Classifier:
        """Learn from vectors x (n, d), class indices y (n,), sample weights w (n,)."""
        raise NotImplementedError

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, C) class scores in [0, 1] whose row maximum is the confidence."""
        raise NotImplementedError


class NearestCentroid(Classifier):
    """Nearest centroid by cosine: class centroids are weighted means of unit vectors.

    Its confidence is the cosine similarity to the chosen centroid (clipped to [0, 1]);
    the other columns of ``predict_proba`` are the cosines to the other centroids.
    """

    def fit(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> NearestCentroid:
        """Weighted mean of unit vectors per class, normalised."""
        w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
        u = _unit(x)
        self.n_classes = int(y.max()) + 1
        c = np.zeros((self.n_classes, x.shape[1]))
        for j in range(self.n_classes):
            m = y == j
            c[j] = (w[m, None] * u[m]).sum(axis=0) / max(w[m].sum(), 1e-300)
        self.centroids = _unit(c).astype(np.float32)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Cosines to the class centroids, clipped to [0, 1] (float32: no copy of x)."""
        x = np.asarray(x, dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", x, x))
        dots = x @ self.centroids.T
        return np.clip(dots / np.where(norms > 0, norms, 1.0)[:, None], 0.0, 1.0)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


class LogisticRegression(Classifier):
    """Multinomial logistic regression, L2-penalised, by full-batch gradient descent (Adam).

    Inputs are standardised with the training mean and deviation; starts from zero
    weights, so it is deterministic. ``l2`` is the penalty on the weights (not the bias).
    """

    def __init__(self, l2: float = 1e-3, iterations: int = 300, lr: float = 0.05) -> None:
        self.l2 = l2
        self.iterations = iterations
        self.lr = lr

    def fit(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> LogisticRegression:
        """Minimise the weighted mean cross-entropy plus l2/2 |W|^2."""
        x = np.asarray(x, dtype=np.float64)
        n, d = x.shape
        self.n_classes = int(y.max()) + 1
        w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        w = w / w.sum()
        self.mu = x.mean(axis=0)
        self.sd = x.std(axis=0)
        self.sd[self.sd < 1e-12] = 1.0
        z = (x - self.mu) / self.sd
        onehot = np.zeros((n, self.n_classes))
        onehot[np.arange(n), y] = 1.0
        W = np.zeros((d, self.n_classes))  # noqa: N806
        b = np.zeros(self.n_classes)
        mw, vw = np.zeros_like(W), np.zeros_like(W)
        mb, vb = np.zeros_like(b), np.zeros_like(b)
        b1, b2, eps = 0.9, 0.999, 1e-8
        for t in range(1, self.iterations + 1):
            p = _softmax(z @ W + b)
            g = (p - onehot) * w[:, None]
            gw = z.T @ g + self.l2 * W
            gb = g.sum(axis=0)
            mw = b1 * mw + (1 - b1) * gw
            vw = b2 * vw + (1 - b2) * gw * gw
            mb = b1 * mb + (1 - b1) * gb
            vb = b2 * vb + (1 - b2) * gb * gb
            c1, c2 = 1 - b1**t, 1 - b2**t
            W -= self.lr * (mw / c1) / (np.sqrt(vw / c2) + eps)  # noqa: N806
            b -= self.lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
        self.W = W.astype(np.float32)
        self.b = b
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Softmax class probabilities.

        The standardisation is folded into the weights, ((x - mu) / sd) W =
        x (W / sd) - (mu / sd) W, so a block of pixels is never copied.
        """
        w = (self.W / self.sd[:, None]).astype(np.float32)
        shift = (self.mu / self.sd) @ self.W.astype(np.float64)
        a = (np.asarray(x, dtype=np.float32) @ w).astype(np.float64) - shift + self.b
        return _softmax(a)


def _softmax(a: np.ndarray) -> np.ndarray:
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


class RandomForest(Classifier):
    """scikit-learn's RandomForestClassifier (optional: needs scikit-learn importable)."""

    def __init__(self, seed: int = DEFAULT_SEED, n_estimators: int = 100) -> None:
        try:
            from sklearn.ensemble import RandomForestClassifier
        except ImportError as exc:
            raise DependencyError(
                "The random forest classifier needs the optional package scikit-learn, "
                "which this Python does not have; use nearest_centroid or logistic."
            ) from exc
        self.model = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=1)

    def fit(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> RandomForest:
        """Fit the forest (sample weights honoured)."""
        self.n_classes = int(y.max()) + 1
        self.model.fit(x, y, sample_weight=w)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities in the order 0 .. C-1 (absent classes: 0)."""
        p = self.model.predict_proba(x)
        out = np.zeros((x.shape[0], self.n_classes))
        out[:, self.model.classes_.astype(int)] = p
        return out


def make_classifier(name: str, seed: int = DEFAULT_SEED) -> Classifier:
    """A fresh classifier by name (see CLASSIFIERS)."""
    if name == "nearest_centroid":
        return NearestCentroid()
    if name == "logistic":
        return LogisticRegression()
    if name == "random_forest":
        return RandomForest(seed)
    raise SpecError(f"classifier must be one of {', '.join(CLASSIFIERS)}; got {name!r}.")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) counts: rows are the true classes, columns the predicted ones."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m


@dataclass
class CrossValidation:
    """k-fold cross-validation: accuracy over all held-out pixels, confusion matrix, fold mode."""

    accuracy: float
    confusion: np.ndarray
    folds: int
    by: str  # "feature" (whole samples held out together) or "pixel"


def _folds(ts: TrainingSet, folds: int, seed: int) -> tuple[np.ndarray, str]:
    """Fold index of each pixel: by whole sample when every class has enough, else by pixel."""
    rng = np.random.default_rng(seed)
    fold = np.empty(ts.y.size, dtype=np.int64)
    groups_per_class = [np.unique(ts.groups[ts.y == j]) for j in range(len(ts.classes))]
    if all(g.size >= folds for g in groups_per_class):
        for g in groups_per_class:
            perm = rng.permutation(g)
            for i, gid in enumerate(perm):
                fold[ts.groups == gid] = i % folds
        return fold, "feature"
    for j in range(len(ts.classes)):
        idx = np.nonzero(ts.y == j)[0]
        perm = rng.permutation(idx)
        fold[perm] = np.arange(perm.size) % folds
    return fold, "pixel"


def cross_validate(
    ts: TrainingSet,
    classifier: str = "logistic",
    folds: int = 5,
    seed: int = DEFAULT_SEED,
    cancel: CancelFn | None = None,
) -> CrossValidation:
    """Stratified k-fold accuracy and confusion matrix (counts of held-out pixels).

    Folds hold out whole training features when every class has at least ``folds`` of
    them (honest for spatially correlated pixels), else single pixels. ``folds`` is
    lowered to the smallest class size.
    """
    smallest = int(np.bincount(ts.y).min())
    folds = max(2, min(int(folds), smallest))
    fold, by = _folds(ts, folds, seed)
    pred = np.empty_like(ts.y)
    for f in range(folds):
        _check_cancel(cancel)
        test = fold == f
        train = ~test
        if not test.any():
            continue
        ytr = ts.y[train]
        if np.unique(ytr).size < 2:
            pred[test] = ytr[0]
            continue
        model = make_classifier(classifier, seed)
        model.n_classes = len(ts.classes)
        model.fit(ts.x[train], ytr, ts.weights[train])
        p = model.predict_proba(ts.x[test])
        pad = np.zeros((p.shape[0], len(ts.classes)))
        pad[:, : p.shape[1]] = p
        pred[test] = np.argmax(pad, axis=1)
    cm = confusion_matrix(ts.y, pred, len(ts.classes))
    return CrossValidation(float(np.trace(cm) / cm.sum()), cm, folds, by)


@dataclass
class ClassificationResult:
    """Class map (H, W) int16 (index into ``classes``, -1 ocean), confidence (H, W) float32."""

    labels: np.ndarray
    confidence: np.ndarray
    classes: list[Any]
    window: Window
    classifier: str
    cv: CrossValidation | None
    n_training: int


def classify(
    reader: Any,
    samples: Sequence[tuple[Reference, Any]],
    scope: LonLatBox | Window | None = None,
    *,
    classifier: str = "logistic",
    folds: int = 5,
    seed: int = DEFAULT_SEED,
    max_bytes: int = DEFAULT_MAX_BYTES,
    block_bytes: int = BLOCK_BYTES,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> ClassificationResult:
    """Train on labelled points/polygons, cross-validate, and classify every land pixel.

    ``samples``: (reference, class label) pairs (see ``training_set``). ``folds`` < 2
    skips the cross-validation. The confidence is the classifier's top probability (for
    the nearest centroid: the cosine to the chosen centroid).
    """
    report = _progress(progress)
    if classifier not in CLASSIFIERS:
        raise SpecError(f"classifier must be one of {', '.join(CLASSIFIERS)}; got {classifier!r}.")
    make_classifier(classifier, seed)  # a missing scikit-learn fails before any reading
    window = scope_window(reader.info, scope)
    check_scope(window, max_bytes, per_pixel=6)
    report(0.0, "Reading training samples")
    ts = training_set(reader, samples, cancel)
    if ts.x.nbytes * 3 > max_bytes:
        raise RequestTooLargeError(
            f"The {ts.y.size} training pixels need {ts.x.nbytes * 3 / 1024**2:.0f} MB; use "
            "fewer or smaller training polygons."
        )
    cv = None
    if folds >= 2:
        report(0.1, "Cross-validating")
        cv = cross_validate(ts, classifier, folds, seed, cancel)
    report(0.2, "Training")
    model = make_classifier(classifier, seed).fit(ts.x, ts.y, ts.weights)
    labels = np.full(window.shape, -1, dtype=np.int16)
    conf = np.full(window.shape, np.nan, dtype=np.float32)
    n_valid = 0
    for blk, flat, valid, _x2 in stream(
        reader, window, cancel, lambda f, m: report(0.3 + 0.7 * f, m), "Classifying", block_bytes
    ):
        lab = np.full(valid.size, -1, dtype=np.int16)
        cf = np.full(valid.size, np.nan, dtype=np.float32)
        if valid.any():
            p = model.predict_proba(flat[valid])
            lab[valid] = np.argmax(p, axis=1)
            cf[valid] = p.max(axis=1)
            n_valid += int(valid.sum())
        _put(labels, window, blk, lab)
        _put(conf, window, blk, cf)
    if n_valid == 0:
        raise NoCoverageError(
            f"The scope {tuple(round(v, 4) for v in window.bounds)} holds no land pixel."
        )
    return ClassificationResult(labels, conf, ts.classes, window, classifier, cv, int(ts.y.size))


# --------------------------------------------------------------------------- areas


@dataclass
class Area:
    """A connected area of pixels scoring at or above a threshold: WKT (EPSG:4326), km², pixels."""

    wkt: str
    area_km2: float
    pixels: int


def _ring_area_m2(ring: np.ndarray) -> float:
    """Area (m^2, WGS84 ellipsoid) enclosed by a ring of pixel edges (lon/lat degrees).

    Green's theorem with the authalic zone integral: only east-west edges contribute, and
    a pixel outline has nothing else, so the area is exact on the ellipsoid.
    """
    from rs_embed_qgis.core.grid import _authalic_integral

    lon = np.radians(ring[:, 0])
    lat = ring[:, 1]
    f = _authalic_integral(lat)
    # Along an edge of constant latitude the integrand is F(lat) dlon; meridian edges add 0.
    dl = np.diff(lon)
    fm = 0.5 * (f[:-1] + f[1:])  # equal ends on east-west edges
    return abs(float((fm * dl).sum()))


def threshold_areas(sim: SimilarityResult, threshold: float) -> list[Area]:
    """Polygons of the pixels scoring >= ``threshold`` (GDAL polygonize, 4-connected).

    Each polygon's area is the exact ellipsoidal area of its pixels (holes removed).
    Needs GDAL's ``osgeo``; returns the areas largest first.
    """
    try:
        from osgeo import gdal, ogr, osr
    except ImportError as exc:  # pragma: no cover - GDAL is part of every QGIS
        raise DependencyError(f"Polygons of a threshold need GDAL's osgeo ({exc}).") from exc
    mask = np.where(np.isnan(sim.scores), False, sim.scores >= threshold).astype(np.uint8)
    h, w = mask.shape
    if not mask.any():
        return []
    win = sim.window
    ds = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Byte)
    ds.SetGeoTransform(
        (
            win.grid.lon_edge(win.col0),
            PRODUCT_RES,
            0.0,
            win.grid.lat_edge(win.row0),
            0.0,
            -PRODUCT_RES,
        )
    )
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds.SetProjection(srs.ExportToWkt())
    band = ds.GetRasterBand(1)
    band.WriteRaster(0, 0, w, h, mask.tobytes())
    vds = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = vds.CreateLayer("areas", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("v", ogr.OFTInteger))
    gdal.Polygonize(band, band, layer, 0, [], callback=None)
    out: list[Area] = []
    for feat in layer:
        geom = feat.GetGeometryRef()
        area = 0.0
        for i in range(geom.GetGeometryCount()):
            ring = np.array(geom.GetGeometryRef(i).GetPoints(), dtype=np.float64)[:, :2]
            a = _ring_area_m2(ring)
            area += a if i == 0 else -a
        out.append(Area(geom.ExportToWkt(), area / 1e6, 0))
    # Pixels of each polygon: burn the polygon numbers back onto the grid and count.
    ids = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Int32)
    ids.SetGeoTransform(ds.GetGeoTransform())
    ids.SetProjection(ds.GetProjection())
    layer.ResetReading()
    fid_field = ogr.FieldDefn("n", ogr.OFTInteger)
    layer.CreateField(fid_field)
    for i, feat in enumerate(layer):
        feat.SetField("n", i + 1)
        layer.SetFeature(feat)
    gdal.RasterizeLayer(ids, [1], layer, options=["ATTRIBUTE=n"])
    lab = np.frombuffer(ids.GetRasterBand(1).ReadRaster(), dtype=np.int32).reshape(h, w)
    counts = np.bincount(lab[mask.astype(bool)].ravel(), minlength=len(out) + 1)
    for i, a in enumerate(out):
        a.pixels = int(counts[i + 1])
    ds = ids = vds = None
    return sorted(out, key=lambda a: -a.area_km2)
