# SPDX-License-Identifier: GPL-2.0-or-later
"""Polygon pooling: exact cell coverage (NumPy), true-area weights, antimeridian wrap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rs_embed_qgis.core import coverage as cov_mod
from rs_embed_qgis.core.constants import PRODUCT_BANDS, PRODUCT_WIDTH
from rs_embed_qgis.core.errors import CancelledError, InvalidGeometryError
from rs_embed_qgis.core.grid import TORCHGEO_GRID, ProductGrid, Window, cell_areas_m2
from rs_embed_qgis.core.pooling import POOL_BAND_BYTES, valid_mask
from rs_embed_qgis.core.reader import WindowReader
from rs_embed_qgis.core.specs import Polygon

CancelFn = Callable[[], bool]


def _check_cancel(cancel: CancelFn | None) -> None:
    if cancel is not None and cancel():
        raise CancelledError("Polygon pooling was cancelled.")


@dataclass
class Coverage:
    """The product cells a polygon covers: global rows/cols, covered fraction, area (m^2)."""

    rows: np.ndarray
    cols: np.ndarray
    fractions: np.ndarray
    areas_m2: np.ndarray
    grid: ProductGrid = TORCHGEO_GRID  # the grid the rows and columns are of

    @property
    def n_cells(self) -> int:
        """Number of cells the polygon touches."""
        return int(self.rows.size)

    def window(self) -> Window:
        """The smallest window holding every cell (columns may wrap at the antimeridian)."""
        if self.rows.size == 0:
            raise InvalidGeometryError("The polygon covers no product cell.")
        c0, c1 = circular_span(self.cols)
        return Window(int(self.rows.min()), int(self.rows.max()) + 1, c0, c1, self.grid)


def circular_span(cols: np.ndarray) -> tuple[int, int]:
    """Smallest [c0, c1) arc of the 1440 columns that holds every column (c1 may pass 1440)."""
    u = np.unique(np.asarray(cols) % PRODUCT_WIDTH)
    if u.size == 1:
        return int(u[0]), int(u[0]) + 1
    gaps = np.diff(np.concatenate([u, [u[0] + PRODUCT_WIDTH]]))
    k = int(np.argmax(gaps))  # the largest empty stretch is left out
    start = int(u[(k + 1) % u.size])
    end = int(u[k]) + 1
    if end <= start:
        end += PRODUCT_WIDTH
    return start, end


def _as_spec(item: Any) -> Polygon:
    """A core Polygon from a Polygon spec or any object with ``__geo_interface__``/``.wkt``."""
    if isinstance(item, Polygon):
        return item
    if item is None:
        raise InvalidGeometryError("The geometry is empty.")
    return Polygon(geometry=item)


def polygon_coverage(
    polygons: Sequence[Polygon | Any],
    on_error: str = "raise",
    cancel: CancelFn | None = None,
    grid: ProductGrid = TORCHGEO_GRID,
) -> list[Any]:
    """Exact coverage of each polygon on ``grid`` (the file's) in one vectorised pass for all.

    Items are core ``Polygon`` specs (other geometry objects are wrapped in one). Invalid
    polygons are repaired with ``osgeo.ogr`` when it is importable (see
    ``coverage.repair``). With ``on_error="keep"`` an unusable polygon yields its
    InvalidGeometryError in place of a Coverage instead of raising.
    """
    out: list[Any] = [None] * len(polygons)
    todo: list[int] = []
    batch: list[cov_mod.Parts] = []
    for i, item in enumerate(polygons):
        if cancel is not None and i % 256 == 0 and cancel():
            raise CancelledError("Polygon coverage was cancelled.")
        try:
            parts = cov_mod.repair(_as_spec(item).parts)
            if not parts:
                raise InvalidGeometryError(_NO_AREA)
        except InvalidGeometryError as exc:
            if on_error != "keep":
                raise
            out[i] = exc
            continue
        todo.append(i)
        batch.append(parts)
    for i, (rows, cols, frac) in zip(todo, cov_mod.coverage_fractions(batch, grid)):
        if rows.size == 0:
            err = InvalidGeometryError(_NO_AREA)
            if on_error != "keep":
                raise err
            out[i] = err
            continue
        out[i] = Coverage(rows, cols, frac, frac * cell_areas_m2(rows, grid), grid)
    return out


_NO_AREA = "The geometry has no area (it is a line or point, or collapses when repaired)."


def polygon_window(polygon: Polygon | Any, grid: ProductGrid = TORCHGEO_GRID) -> Window:
    """The window of the cells of ``grid`` a polygon covers."""
    return polygon_coverage([polygon], grid=grid)[0].window()


def gather_cells(reader: WindowReader, cov: Coverage, cancel: CancelFn | None = None) -> np.ndarray:
    """(n_cells, 768) vectors of the covered cells, in the order of ``cov``.

    ``cancel() -> bool`` is asked between rows (or row bands); True raises CancelledError.
    """
    if hasattr(reader, "read_cells") and _inside_file(reader.info, cov):
        return _gather_rows(reader, cov, cancel)
    return _gather_window(reader, cov, cancel)


def _inside_file(info: Any, cov: Coverage) -> bool:
    """True if every cell lies in the file (always, for columns, in a full-width file)."""
    rows_in = cov.rows.min() >= info.row_off and cov.rows.max() < info.row_off + info.height
    if info.width == PRODUCT_WIDTH:
        return bool(rows_in)
    return bool(
        rows_in and cov.cols.min() >= info.col_off and cov.cols.max() < info.col_off + info.width
    )


def _gather_rows(reader: Any, cov: Coverage, cancel: CancelFn | None = None) -> np.ndarray:
    """Read, for each row, only the span of columns the polygon covers (cache reader)."""
    out = np.empty((cov.n_cells, PRODUCT_BANDS), dtype=np.float32)
    rows, starts = np.unique(cov.rows, return_index=True)
    ends = np.append(starts[1:], cov.n_cells)
    for r, s, e in zip(rows.tolist(), starts.tolist(), ends.tolist()):
        _check_cancel(cancel)
        cols = cov.cols[s:e]  # sorted: Coverage cells are ordered by row, then column
        c0, c1 = int(cols[0]), int(cols[-1]) + 1
        if c1 - c0 == e - s:  # a run of adjacent cells: read straight into the result
            reader.read_cells(r, c0, c1, out=out[s:e])
            continue
        if c1 - c0 > PRODUCT_WIDTH // 2 and reader.info.width == PRODUCT_WIDTH:
            c0, c1 = circular_span(cols)
        if c1 <= PRODUCT_WIDTH:
            seg = reader.read_cells(r, c0, c1)
        else:  # across the antimeridian: two reads
            seg = np.concatenate(
                [
                    reader.read_cells(r, c0, PRODUCT_WIDTH),
                    reader.read_cells(r, 0, c1 - PRODUCT_WIDTH),
                ]
            )
        out[s:e] = seg[(cols - c0) % PRODUCT_WIDTH]
    return out


def _gather_window(
    reader: WindowReader, cov: Coverage, cancel: CancelFn | None = None
) -> np.ndarray:
    """Read the polygon's window in bounded-memory row bands and pick its cells."""
    window = cov.window()
    out = np.empty((cov.n_cells, PRODUCT_BANDS), dtype=np.float32)
    offs = (cov.cols - window.col0) % PRODUCT_WIDTH
    row_bytes = max(1, window.width * PRODUCT_BANDS * 4)
    for band in window.row_bands(max(1, POOL_BAND_BYTES // row_bytes)):
        _check_cancel(cancel)
        sel = np.nonzero((cov.rows >= band.row0) & (cov.rows < band.row1))[0]
        if sel.size == 0:
            continue
        arr = reader.read(band)
        out[sel] = arr[cov.rows[sel] - band.row0, offs[sel]]
    return out


# Weighted sums run in float32 BLAS over chunks of this many cells, accumulated in float64.
_CHUNK = 256


def pool_coverage(
    reader: WindowReader, cov: Coverage, pooling: str, cancel: CancelFn | None = None
) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Area-weighted mean (or max) of the valid cells of a polygon, and its meta.

    ``cancel() -> bool`` is asked between row reads; True raises CancelledError.
    """
    return pool_cells(gather_cells(reader, cov, cancel), cov, pooling)


def pool_cells(
    vecs: np.ndarray, cov: Coverage, pooling: str
) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Area-weighted mean (or max) of the gathered cell vectors of a polygon, and its meta."""
    valid = valid_mask(vecs)
    w = cov.areas_m2
    area = float(w.sum())
    covered = float(w[valid].sum())
    window = cov.window()
    meta: dict[str, Any] = {
        "pixel_count": cov.n_cells,
        "valid_pixels": int(valid.sum()),
        "total_pixels": cov.n_cells,
        "area_m2": area,
        "covered_area_m2": covered,
        "valid_fraction": covered / area if area > 0 else 0.0,
        "weighting": "area_m2" if pooling == "mean" else None,
        "bbox_4326": tuple(float(v) for v in window.bounds),
        "chw_shape": (PRODUCT_BANDS, window.height, window.width),
    }
    if not valid.any() or covered <= 0:
        return None, meta
    if pooling == "mean":
        # Empty cells get weight 0; weights are normalised so float32 products stay exact
        # to ~1e-7 relative, and chunk sums are accumulated in float64.
        wn = np.where(valid, w / covered, 0.0).astype(np.float32)
        acc = np.zeros(PRODUCT_BANDS, dtype=np.float64)
        for i in range(0, cov.n_cells, _CHUNK):
            acc += wn[i : i + _CHUNK] @ vecs[i : i + _CHUNK]
        vec = acc
    else:
        vec = vecs[valid].max(axis=0)
    return vec.astype(np.float32), meta
