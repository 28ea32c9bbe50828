# SPDX-License-Identifier: GPL-2.0-or-later
"""The georeferencing of a product file: which 0.25 degree global grid its pixels are on.

Standard library only (core/dataset.py checks files with it at QGIS start-up); grid maths
on NumPy arrays is in core/grid.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rs_embed_qgis.core.constants import PRODUCT_RES, PRODUCT_X0, PRODUCT_Y0


@dataclass(frozen=True)
class ProductGrid:
    """A global grid of 1440 x 721 cells of 0.25 degree: (x0, y0) is the west and north edge
    of global pixel (row 0, col 0), so cell edges are at x0 + 0.25 k and y0 - 0.25 k.

    TorchGeo's fake product writes (-180.125, 90.125): pixel centres at lon -180 + 0.25 col.
    rs-embed's reader falls back to (-180.0, 90.125) when the tags are missing: centres half
    a pixel east. The 1440 columns always span 360 degrees, so columns wrap at 1440.
    """

    x0: float = PRODUCT_X0
    y0: float = PRODUCT_Y0

    @property
    def origin(self) -> tuple[float, float]:
        """(x0, y0): the west and north edge of the global grid."""
        return (self.x0, self.y0)

    def lon_edge(self, col: float) -> float:
        """West edge of a global (unwrapped) column."""
        return self.x0 + PRODUCT_RES * col

    def lat_edge(self, row: float) -> float:
        """North edge of a global row."""
        return self.y0 - PRODUCT_RES * row

    def lon_centres(self, cols: Any) -> Any:
        """Pixel-centre longitudes of global (unwrapped) columns (a number or a NumPy array)."""
        # x0 + 0.125 first: exact for both known origins, so centres are exact multiples.
        return (self.x0 + PRODUCT_RES / 2) + PRODUCT_RES * cols

    def lat_centres(self, rows: Any) -> Any:
        """Pixel-centre latitudes of global rows (a number or a NumPy array)."""
        return (self.y0 - PRODUCT_RES / 2) - PRODUCT_RES * rows

    def col_of(self, lon: float) -> float:
        """Longitude in (fractional) global column units from the grid's west edge."""
        return (lon - self.x0) / PRODUCT_RES

    def row_of(self, lat: float) -> float:
        """Latitude in (fractional) global row units from the grid's north edge."""
        return (self.y0 - lat) / PRODUCT_RES

    def describe(self) -> str:
        """The grid in words, for metadata and messages."""
        return (
            f"EPSG:4326, 0.25 degree pixels, west edge {self.x0:g}, north edge {self.y0:g} "
            f"(pixel centres at lon {self.x0 + PRODUCT_RES / 2:g} + 0.25 col, "
            f"lat {self.y0 - PRODUCT_RES / 2:g} - 0.25 row)"
        )


# TorchGeo's grid: what every file without other information is read as.
TORCHGEO_GRID = ProductGrid(PRODUCT_X0, PRODUCT_Y0)
# rs-embed's reader's fallback when a file has no georeferencing tags.
RS_EMBED_FALLBACK_GRID = ProductGrid(PRODUCT_X0 + PRODUCT_RES / 2, PRODUCT_Y0)

# The west edges accepted for a global grid: TorchGeo's -180.125, rs-embed's -180.0 and
# anything between. With them column 0 is the one holding lon -180 (its centre lies in
# [-180, -179.875]) and the 1440 columns end at 179.875..180. The north edge is 90.125 as
# both write it: 721 rows centred on 90 .. -90, half of rows 0 and 720 beyond the poles.
ACCEPTED_X0 = (PRODUCT_X0, PRODUCT_X0 + PRODUCT_RES / 2)
ACCEPTED_Y0 = PRODUCT_Y0
_ORIGIN_TOL = 1e-6  # in pixels: an origin this close to a grid line is on it


def grid_of_origin(x: float, y: float) -> tuple[ProductGrid, int, int]:
    """(grid, row offset, col offset) of a file whose north-west corner is at (x, y).

    The file may be the whole global grid or a window of one: its corner lies on a line
    of the grid, ``x = x0 + 0.25 col_off`` and ``y = y0 - 0.25 row_off``, with x0 in
    ``ACCEPTED_X0`` and y0 = 90.125. Raises ValueError saying why when no accepted grid
    has a line through the corner.
    """
    row_f = (ACCEPTED_Y0 - y) / PRODUCT_RES
    if abs(row_f - round(row_f)) > _ORIGIN_TOL:
        raise ValueError(
            f"north edge {y} is not on the product's rows (90.125 - 0.25 k; both TorchGeo "
            "and rs-embed put the first row's centre at lat 90)"
        )
    lo, hi = ACCEPTED_X0
    col_off = math.ceil((x - hi) / PRODUCT_RES - _ORIGIN_TOL)
    x0 = x - PRODUCT_RES * col_off
    if x0 < lo - _ORIGIN_TOL * PRODUCT_RES:
        raise ValueError(
            f"west edge {x} puts the global grid's west edge at {x0:.6f} or "
            f"{x0 + PRODUCT_RES:.6f}, not between {lo} (TorchGeo) and {hi} (rs-embed)"
        )
    for known in ACCEPTED_X0:  # exact values for the two known origins
        if abs(x0 - known) <= _ORIGIN_TOL * PRODUCT_RES:
            x0 = known
    x0 = min(max(x0, lo), hi)
    return ProductGrid(float(x0), ACCEPTED_Y0), round(row_f), int(col_off)
