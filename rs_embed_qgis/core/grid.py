# SPDX-License-Identifier: GPL-2.0-or-later
"""The product grid: bbox -> pixel window snapping, antimeridian wrap, coordinates, cell areas.

Every lon/lat <-> pixel conversion goes through a ``ProductGrid``: the georeferencing of the
file being read (core/dataset.py reads it from the file). TorchGeo's grid is the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rs_embed_qgis.core.constants import (
    PRODUCT_HEIGHT,
    PRODUCT_RES,
    PRODUCT_WIDTH,
    WGS84_A,
    WGS84_F,
)
from rs_embed_qgis.core.georef import (  # noqa: F401 (grid.X names kept)
    RS_EMBED_FALLBACK_GRID,
    TORCHGEO_GRID,
    ProductGrid,
    grid_of_origin,
)
from rs_embed_qgis.core.specs import BBox, PointBuffer

# A coordinate within this many pixels of a pixel edge counts as on the edge: bboxes that
# went through a CRS transform or float arithmetic must not grow by a stray pixel.
_EDGE_TOL = 1e-7

LonLatBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Window:
    """A block of product pixels in global grid indices; columns may run past the antimeridian.

    ``col0`` may be negative and ``col1`` larger than 1440: such columns wrap around the
    globe (column 1440 is column 0 again), which keeps the window contiguous in longitude.
    """

    row0: int
    row1: int
    col0: int
    col1: int
    # The georeferencing the indices refer to (the file's; TorchGeo's by default).
    grid: ProductGrid = field(default=TORCHGEO_GRID, repr=False)

    @property
    def height(self) -> int:
        """Number of rows."""
        return self.row1 - self.row0

    @property
    def width(self) -> int:
        """Number of columns."""
        return self.col1 - self.col0

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width)."""
        return (self.height, self.width)

    def nbytes(self, bands: int = 768, itemsize: int = 4) -> int:
        """Bytes needed to hold the window as float32 vectors."""
        return self.height * self.width * bands * itemsize

    @property
    def bounds(self) -> LonLatBox:
        """Pixel-edge bounds (minlon, minlat, maxlon, maxlat); longitudes unwrapped."""
        g = self.grid
        return (
            g.lon_edge(self.col0),
            g.lat_edge(self.row1),
            g.lon_edge(self.col1),
            g.lat_edge(self.row0),
        )

    def lons(self) -> np.ndarray:
        """Longitudes of the pixel centres (unwrapped, increasing)."""
        return self.grid.lon_centres(np.arange(self.col0, self.col1, dtype=np.float64))

    def lats(self) -> np.ndarray:
        """Latitudes of the pixel centres (decreasing, north first)."""
        return self.grid.lat_centres(np.arange(self.row0, self.row1, dtype=np.float64))

    def sub(self, row0: int, row1: int, col0: int, col1: int) -> Window:
        """Another window on the same grid."""
        return Window(row0, row1, col0, col1, self.grid)

    def col_segments(self) -> list[tuple[int, int, int]]:
        """Split into wrapped pieces: (offset in window, first global col, end global col)."""
        out: list[tuple[int, int, int]] = []
        c = self.col0
        while c < self.col1:
            g = c % PRODUCT_WIDTH
            end = min(self.col1, c + (PRODUCT_WIDTH - g))
            out.append((c - self.col0, g, g + (end - c)))
            c = end
        return out

    def row_bands(self, max_rows: int) -> list[Window]:
        """Split into windows of at most ``max_rows`` rows (for bounded-memory streaming)."""
        step = max(1, int(max_rows))
        return [
            self.sub(r, min(r + step, self.row1), self.col0, self.col1)
            for r in range(self.row0, self.row1, step)
        ]


def _floor_idx(v: float) -> int:
    r = round(v)
    return int(r) if abs(v - r) < _EDGE_TOL else math.floor(v)


def _ceil_idx(v: float) -> int:
    r = round(v)
    return int(r) if abs(v - r) < _EDGE_TOL else math.ceil(v)


def window_for_bbox(box: LonLatBox, grid: ProductGrid = TORCHGEO_GRID) -> Window:
    """Pixels whose cells intersect the box: the box snapped outward to the grid's edges.

    Latitudes are clamped to the product's extent; longitudes may run past +-180 and wrap.
    A box that only touches a pixel edge does not take the pixel beyond it. ``grid`` is
    the georeferencing of the file that will be read.
    """
    minlon, minlat, maxlon, maxlat = box
    col0 = _floor_idx(grid.col_of(minlon))
    col1 = _ceil_idx(grid.col_of(maxlon))
    row0 = _floor_idx(grid.row_of(maxlat))
    row1 = _ceil_idx(grid.row_of(minlat))
    row0 = min(max(row0, 0), PRODUCT_HEIGHT)
    row1 = min(max(row1, 0), PRODUCT_HEIGHT)
    if col1 <= col0:
        col1 = col0 + 1
    if row1 <= row0:
        # A zero-height box on the edge of the product still takes the pixel it touches.
        row0, row1 = (row0 - 1, row0) if row0 >= PRODUCT_HEIGHT else (row0, row0 + 1)
    if col1 - col0 > PRODUCT_WIDTH:
        # Whole ring of longitudes: each column once, starting at the box's west edge.
        col1 = col0 + PRODUCT_WIDTH
    # Keep col0 in [0, 1440) so windows of the same place compare equal.
    shift = (col0 // PRODUCT_WIDTH) * PRODUCT_WIDTH
    return Window(row0, row1, col0 - shift, col1 - shift, grid)


def _radii(lat_deg: float) -> tuple[float, float]:
    """Meridional (M) and prime-vertical (N) radii of curvature of WGS84 at a latitude."""
    e2 = WGS84_F * (2 - WGS84_F)
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1 - e2 * s * s)
    return WGS84_A * (1 - e2) / w**3, WGS84_A / w


def metres_to_degrees(lat: float, metres: float) -> tuple[float, float]:
    """(dlon, dlat) in degrees spanned by ``metres`` east-west and north-south at ``lat``."""
    m_rad, n_rad = _radii(lat)
    dlat = math.degrees(metres / m_rad)
    cos_lat = math.cos(math.radians(lat))
    # At a pole a buffer covers every longitude: 180 degrees on each side.
    dlon = 180.0 if cos_lat < 1e-12 else min(180.0, math.degrees(metres / (n_rad * cos_lat)))
    return dlon, dlat


def point_buffer_to_bbox(pb: PointBuffer) -> LonLatBox:
    """The lon/lat box of a point buffer; may run past +-180 in longitude or +-90 in latitude."""
    dlon, dlat = metres_to_degrees(pb.lat, pb.buffer_m)
    return (pb.lon - dlon, pb.lat - dlat, pb.lon + dlon, pb.lat + dlat)


def spatial_to_box(spatial: BBox | PointBuffer) -> LonLatBox:
    """The requested lon/lat box of a BBox or PointBuffer, before expansion."""
    if isinstance(spatial, BBox):
        return spatial.as_tuple()
    return point_buffer_to_bbox(spatial)


def expand_box(box: LonLatBox, expand_deg: float) -> LonLatBox:
    """Grow each side shorter than ``expand_deg`` to ``expand_deg`` around the centre.

    The seed replaced every ROI by an ``expand_deg`` box around its centre, cropping larger
    ROIs; here a side is only ever grown, never shrunk. Latitudes are clamped to +-90.
    """
    minlon, minlat, maxlon, maxlat = box
    if expand_deg and expand_deg > 0:
        half = expand_deg / 2.0
        if maxlon - minlon < expand_deg:
            c = (minlon + maxlon) / 2.0
            minlon, maxlon = c - half, c + half
        if maxlat - minlat < expand_deg:
            c = (minlat + maxlat) / 2.0
            minlat, maxlat = c - half, c + half
    return (minlon, max(minlat, -90.0), maxlon, min(maxlat, 90.0))


def cell_areas_m2(rows: np.ndarray, grid: ProductGrid = TORCHGEO_GRID) -> np.ndarray:
    """Area on the WGS84 ellipsoid (m^2) of product cells in the given global rows.

    Cells shrink towards the poles; rows 0 and 720 are clipped at the poles (their cells
    would reach 90.125 degrees), so their area is that of the part on the globe.
    """
    rows = np.asarray(rows)
    top = np.clip(grid.y0 - PRODUCT_RES * rows, -90.0, 90.0)
    bottom = np.clip(grid.y0 - PRODUCT_RES * (rows + 1), -90.0, 90.0)
    dlon = math.radians(PRODUCT_RES)
    return dlon * (_authalic_integral(top) - _authalic_integral(bottom))


def _authalic_integral(lat_deg: np.ndarray) -> np.ndarray:
    """Area per radian of longitude between the equator and ``lat`` on the WGS84 ellipsoid."""
    e2 = WGS84_F * (2 - WGS84_F)
    e = math.sqrt(e2)
    s = np.sin(np.radians(lat_deg))
    b2 = (WGS84_A * (1 - WGS84_F)) ** 2
    # Closed form of the zone area: b^2 * (s/(2(1-e^2 s^2)) + atanh(e s)/(2e)).
    return b2 * (s / (2 * (1 - e2 * s * s)) + np.arctanh(e * s) / (2 * e))
