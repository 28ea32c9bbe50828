"""Polygon pooling: exact cell coverage (exactextract), true-area weights, antimeridian wrap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import (
    PRODUCT_BANDS,
    PRODUCT_HEIGHT,
    PRODUCT_RES,
    PRODUCT_WIDTH,
    PRODUCT_X0,
    PRODUCT_Y0,
)
from rs_embed_qgis.core.errors import DependencyError, InvalidGeometryError
from rs_embed_qgis.core.grid import Window, cell_areas_m2
from rs_embed_qgis.core.pooling import POOL_BAND_BYTES, valid_mask
from rs_embed_qgis.core.reader import WindowReader

# exactextract runs on a raster spanning two globes of longitude, [-360.125, 360.125], so a
# polygon drawn across the antimeridian with longitudes past 180 (or below -180) is
# covered; its cells are folded back onto the product's 1440 columns.
_EXT_X0 = PRODUCT_X0 - 180.0
_EXT_WIDTH = 2 * PRODUCT_WIDTH + 1
_EXT_SHIFT = 720  # extended column e is product column (e - 720) mod 1440


@dataclass
class Coverage:
    """The product cells a polygon covers: global rows/cols, covered fraction, area (m^2)."""

    rows: np.ndarray
    cols: np.ndarray
    fractions: np.ndarray
    areas_m2: np.ndarray

    @property
    def n_cells(self) -> int:
        """Number of cells the polygon touches."""
        return int(self.rows.size)

    def window(self) -> Window:
        """The smallest window holding every cell (columns may wrap at the antimeridian)."""
        if self.rows.size == 0:
            raise InvalidGeometryError("The polygon covers no product cell.")
        c0, c1 = circular_span(self.cols)
        return Window(int(self.rows.min()), int(self.rows.max()) + 1, c0, c1)


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


def clean_geometry(geom: Any) -> Any:
    """Make a geometry usable: 2D, valid, polygonal parts only; raise if nothing is left."""
    import shapely

    if geom is None or geom.is_empty:
        raise InvalidGeometryError("The geometry is empty.")
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon"):
        if geom.area == 0:
            raise InvalidGeometryError("The geometry has no area.")
        return geom
    geom = shapely.make_valid(geom)
    parts = [
        g
        for g in shapely.get_parts(geom)
        if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty
    ]
    if not parts:
        raise InvalidGeometryError(
            "The geometry has no area (it is a line or point, or collapses when repaired)."
        )
    out = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    if out.is_empty or out.area == 0:
        raise InvalidGeometryError("The geometry has no area.")
    return out


def _raster_source() -> Any:
    try:
        from exactextract.raster import NumPyRasterSource
    except ImportError as exc:  # pragma: no cover - exactextract is a requirement
        raise DependencyError(
            f"Polygon pooling needs exactextract: pip install exactextract ({exc})"
        ) from exc
    # The values do not matter: only cell ids and coverage fractions are asked for.
    dummy = np.ones((PRODUCT_HEIGHT, _EXT_WIDTH), dtype=np.uint8)
    return NumPyRasterSource(
        dummy,
        xmin=_EXT_X0,
        ymin=PRODUCT_Y0 - PRODUCT_RES * PRODUCT_HEIGHT,
        xmax=_EXT_X0 + PRODUCT_RES * _EXT_WIDTH,
        ymax=PRODUCT_Y0,
        nodata=None,
    )


def _wkb_source(items: list[tuple[int, bytes]]) -> Any:
    """An exactextract FeatureSource over (index, WKB) pairs: no GeoJSON round trip."""
    from exactextract.feature import Feature, FeatureSource

    class _Feature(Feature):
        def __init__(self, idx: int, wkb: bytes) -> None:
            Feature.__init__(self)
            self.props: dict[str, Any] = {"idx": idx}
            self.wkb = wkb

        def set(self, name: str, value: Any) -> None:
            self.props[name] = value

        def get(self, name: str) -> Any:
            return self.props[name]

        def geometry(self) -> bytes:
            return self.wkb

        def set_geometry(self, wkb: bytes) -> None:
            self.wkb = wkb

        def set_geometry_format(self) -> str:
            return "wkb"

        def fields(self) -> list[str]:
            return list(self.props)

    class _Source(FeatureSource):
        def count(self) -> int:
            return len(items)

        def __iter__(self) -> Any:
            for idx, wkb in items:
                yield _Feature(idx, wkb)

        def srs_wkt(self) -> None:
            return None

    return _Source()


def polygon_coverage(geoms: Sequence[Any], on_error: str = "raise") -> list[Any]:
    """Exact coverage of each geometry on the product grid (one exactextract pass for all).

    With ``on_error="keep"`` an unusable geometry yields its InvalidGeometryError in
    place of a Coverage instead of raising.
    """
    import shapely
    from exactextract import exact_extract

    out: list[Any] = [None] * len(geoms)
    cleaned: list[tuple[int, Any]] = []
    for i, g in enumerate(geoms):
        try:
            cleaned.append((i, clean_geometry(g)))
        except InvalidGeometryError as exc:
            if on_error != "keep":
                raise
            out[i] = exc
    if cleaned:
        wkbs = shapely.to_wkb([g for _, g in cleaned])
        res = exact_extract(
            _raster_source(),
            _wkb_source([(i, bytes(w)) for (i, _), w in zip(cleaned, wkbs)]),
            ["cell_id", "coverage"],
            include_cols=["idx"],
            output="geojson",
        )
        for f in res:
            props = f["properties"]
            out[int(props["idx"])] = _fold(
                np.asarray(props["cell_id"], dtype=np.int64),
                np.asarray(props["coverage"], dtype=np.float64),
            )
    for i, cov in enumerate(out):
        if cov is None or (isinstance(cov, Coverage) and cov.n_cells == 0):
            err = InvalidGeometryError("The polygon covers no product cell.")
            if on_error != "keep":
                raise err
            out[i] = err
    return out


def _fold(cell_id: np.ndarray, frac: np.ndarray) -> Coverage:
    """Fold extended-raster cells onto product cells, merging duplicates."""
    keep = frac > 0
    cell_id, frac = cell_id[keep], frac[keep]
    rows = cell_id // _EXT_WIDTH
    cols = (cell_id % _EXT_WIDTH - _EXT_SHIFT) % PRODUCT_WIDTH
    flat = rows * PRODUCT_WIDTH + cols
    uniq, inv = np.unique(flat, return_inverse=True)
    f = np.minimum(np.bincount(inv, weights=frac, minlength=uniq.size), 1.0)
    r = uniq // PRODUCT_WIDTH
    c = uniq % PRODUCT_WIDTH
    return Coverage(r, c, f, f * cell_areas_m2(r))


def polygon_window(geom: Any) -> Window:
    """The window of product cells a polygon touches."""
    return polygon_coverage([geom])[0].window()


def gather_cells(reader: WindowReader, cov: Coverage) -> np.ndarray:
    """(n_cells, 768) vectors of the covered cells, in the order of ``cov``."""
    if hasattr(reader, "read_cells") and _inside_file(reader.info, cov):
        return _gather_rows(reader, cov)
    return _gather_window(reader, cov)


def _inside_file(info: Any, cov: Coverage) -> bool:
    """True if every cell lies in the file (always, for columns, in a full-width file)."""
    rows_in = cov.rows.min() >= info.row_off and cov.rows.max() < info.row_off + info.height
    if info.width == PRODUCT_WIDTH:
        return bool(rows_in)
    return bool(
        rows_in and cov.cols.min() >= info.col_off and cov.cols.max() < info.col_off + info.width
    )


def _gather_rows(reader: Any, cov: Coverage) -> np.ndarray:
    """Read, for each row, only the span of columns the polygon covers (cache reader)."""
    out = np.empty((cov.n_cells, PRODUCT_BANDS), dtype=np.float32)
    rows, starts = np.unique(cov.rows, return_index=True)
    ends = np.append(starts[1:], cov.n_cells)
    for r, s, e in zip(rows.tolist(), starts.tolist(), ends.tolist()):
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


def _gather_window(reader: WindowReader, cov: Coverage) -> np.ndarray:
    """Read the polygon's window in bounded-memory row bands and pick its cells."""
    window = cov.window()
    out = np.empty((cov.n_cells, PRODUCT_BANDS), dtype=np.float32)
    offs = (cov.cols - window.col0) % PRODUCT_WIDTH
    row_bytes = max(1, window.width * PRODUCT_BANDS * 4)
    for band in window.row_bands(max(1, POOL_BAND_BYTES // row_bytes)):
        sel = np.nonzero((cov.rows >= band.row0) & (cov.rows < band.row1))[0]
        if sel.size == 0:
            continue
        arr = reader.read(band)
        out[sel] = arr[cov.rows[sel] - band.row0, offs[sel]]
    return out


# Weighted sums run in float32 BLAS over chunks of this many cells, accumulated in float64.
_CHUNK = 256


def pool_coverage(
    reader: WindowReader, cov: Coverage, pooling: str
) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Area-weighted mean (or max) of the valid cells of a polygon, and its meta."""
    vecs = gather_cells(reader, cov)
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
