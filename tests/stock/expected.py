"""Expected values of the stock tier, computed independently of the plugin.

From tests/product.py's closed form (pixel_values, land_mask) and an area-weighted mean
computed here: cell areas on the WGS84 ellipsoid times coverage fractions worked out by hand
for polygons drawn on cell edges and cell diagonals.
"""

from __future__ import annotations

import math

import numpy as np

from tests import product

BANDS = 768
# Tolerance of a pooled mean: float32 pixels pooled in any order by the plugin. Far below
# what a spherical cell area (1.3e-4 off over the rectangle), full instead of partial cells
# or unweighted pixels (>= 2e-4) would give.
RTOL, ATOL = 1e-6, 5e-6


def col_of(lon: float) -> int:
    """Global column whose pixel centre is lon (lon = -180 + 0.25 col)."""
    c = (lon + 180.0) * 4.0
    assert c == int(c)
    return int(c)


def row_of(lat: float) -> int:
    """Global row whose pixel centre is lat (lat = 90 - 0.25 row)."""
    r = (90.0 - lat) * 4.0
    assert r == int(r)
    return int(r)


def cell_area_m2(row: int) -> float:
    """Area of a 0.25 x 0.25 degree cell of a row on the WGS84 ellipsoid (authalic formula)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)

    def q(phi: float) -> float:
        s = math.sin(phi)
        return (1 - e2) * (s / (1 - e2 * s * s) - math.log((1 - e * s) / (1 + e * s)) / (2 * e))

    north = math.radians(90.125 - 0.25 * row)
    south = math.radians(90.125 - 0.25 * (row + 1))
    return a * a / 2 * math.radians(0.25) * (q(north) - q(south))


def weighted_mean(cells: list[tuple[int, int, float]]) -> np.ndarray:
    """Area-weighted mean of the fixture's pixels over (row, col, covered fraction)."""
    rows = np.array([c[0] for c in cells])
    cols = np.array([c[1] for c in cells])
    w = np.array([c[2] * cell_area_m2(c[0]) for c in cells])
    assert product.land_mask(rows, cols).all()
    v = product.pixel_values(rows, cols).astype(np.float64)
    return (w[:, None] * v).sum(axis=0) / w.sum()


# Rectangle on cell edges plus half a cell: lon 10.125..11.0, lat 47.0..53.125. Columns of
# centres 10.25..10.75 are covered fully, 11.0 half; rows 53.0..47.25 fully, 47.0 half.
RECT = (10.125, 47.0, 11.0, 53.125)
RECT_CELLS = [
    (r, c, (0.5 if c == col_of(11.0) else 1.0) * (0.5 if r == row_of(47.0) else 1.0))
    for r in range(row_of(53.0), row_of(47.0) + 1)
    for c in range(col_of(10.25), col_of(11.0) + 1)
]
# Right triangle on cell corners, legs of 4 cells: (15.125, 50.125), (16.125, 50.125),
# (15.125, 51.125). Cell (i, j) counted from the right angle: inside when i + j <= 2, cut in
# half along its diagonal when i + j == 3, outside beyond.
TRIANGLE = [(15.125, 50.125), (16.125, 50.125), (15.125, 51.125)]
TRIANGLE_CELLS = [
    (row_of(50.25) - j, col_of(15.25) + i, 1.0 if i + j <= 2 else 0.5)
    for i in range(4)
    for j in range(4)
    if i + j <= 3
]
# Points whose 1 km square (EXPAND_DEG=0) lies inside one pixel.
POINTS = {"point_a": (12.0, 50.0), "point_b": (25.1, 52.3)}
POINT_PIXELS = {"point_a": (row_of(50.0), col_of(12.0)), "point_b": (row_of(52.25), col_of(25.0))}
OCEAN_POLYGON = (20.0, 41.0, 22.0, 43.0)  # south of the fixture's Europe, outside the coast
OCEAN_POINT = (15.0, 42.0)


def box_wkt(x0: float, y0: float, x1: float, y1: float) -> str:
    """WKT of a lon/lat rectangle."""
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def triangle_wkt() -> str:
    """WKT of TRIANGLE."""
    return "POLYGON((" + ",".join(f"{x} {y}" for x, y in TRIANGLE + TRIANGLE[:1]) + "))"


def pixel_block(lat_top: float, lat_bottom: float, lon_left: float, lon_right: float):
    """Expected (rows, cols, bands) block between pixel centres, ocean zeroed, and its land."""
    rr, cc = np.meshgrid(
        np.arange(row_of(lat_top), row_of(lat_bottom) + 1),
        np.arange(col_of(lon_left), col_of(lon_right) + 1),
        indexing="ij",
    )
    want = product.pixel_values(rr, cc)
    land = product.land_mask(rr, cc)
    want[~land] = 0.0
    return want, land
