"""Grid maths: point buffer -> bbox against pyproj's geodesics, snapping against own arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from rs_embed_qgis.core import BBox, PointBuffer
from rs_embed_qgis.core.grid import (
    cell_areas_m2,
    expand_box,
    point_buffer_to_bbox,
    spatial_to_box,
    window_for_bbox,
)
from tests.core import expected as ex

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("lat", [0.0, 31.2, -45.0, 60.0, 75.0, -85.0])
@pytest.mark.parametrize("buffer_m", [100.0, 5000.0, 50000.0])
def test_point_buffer_bbox_matches_pyproj_geodesics(lat: float, buffer_m: float) -> None:
    lon = 121.5
    minlon, minlat, maxlon, maxlat = point_buffer_to_bbox(PointBuffer(lon, lat, buffer_m))
    assert minlon < lon < maxlon and minlat < lat < maxlat
    assert lon - minlon == pytest.approx(maxlon - lon, rel=1e-12)
    assert lat - minlat == pytest.approx(maxlat - lat, rel=1e-12)
    # North-south: the meridian is a geodesic; the box spans 2 * buffer_m along it.
    _, _, ns = GEOD.inv(lon, minlat, lon, maxlat)
    assert ns == pytest.approx(2 * buffer_m, rel=1e-6)
    # Each side on its own: pyproj's point buffer_m north/south of the centre.
    _, lat_n, _ = GEOD.fwd(lon, lat, 0.0, buffer_m)
    _, lat_s, _ = GEOD.fwd(lon, lat, 180.0, buffer_m)
    assert maxlat - lat == pytest.approx(lat_n - lat, rel=1e-4)
    assert lat - minlat == pytest.approx(lat - lat_s, rel=1e-4)
    # East-west: the box spans 2 * buffer_m along the point's parallel (densified line).
    lons = np.linspace(minlon, maxlon, 4001)
    ew = GEOD.line_length(lons, np.full_like(lons, lat))
    assert ew == pytest.approx(2 * buffer_m, rel=1e-6)


def test_point_buffer_bbox_seed_example() -> None:
    """The seed's example: 5 km at Shanghai (lat 31.2) is ~0.0525 deg of lon, ~0.0451 of lat."""
    minlon, minlat, maxlon, maxlat = spatial_to_box(PointBuffer(lon=121.5, lat=31.2, buffer_m=5000))
    lon_e, _, _ = GEOD.fwd(121.5, 31.2, 90.0, 5000)
    _, lat_n, _ = GEOD.fwd(121.5, 31.2, 0.0, 5000)
    assert maxlon - 121.5 == pytest.approx(lon_e - 121.5, rel=1e-4)
    assert maxlat - 31.2 == pytest.approx(lat_n - 31.2, rel=1e-4)


def test_bbox_spec_is_used_as_given() -> None:
    assert spatial_to_box(BBox(1.5, 2.5, 3.5, 4.5)) == (1.5, 2.5, 3.5, 4.5)


def test_point_buffer_at_the_pole_spans_every_longitude() -> None:
    minlon, _, maxlon, maxlat = point_buffer_to_bbox(PointBuffer(lon=0.0, lat=90.0, buffer_m=1000))
    assert (minlon, maxlon) == (-180.0, 180.0)
    assert maxlat > 90.0  # clamped later, when the window is planned


# --------------------------------------------------------------------------- expansion


def test_expand_grows_small_sides_around_the_centre() -> None:
    assert expand_box((10.0, 50.0, 10.2, 50.1), 1.0) == pytest.approx((9.6, 49.55, 10.6, 50.55))


def test_expand_never_shrinks_a_larger_side() -> None:
    assert expand_box((5.0, 47.0, 8.0, 50.0), 1.0) == (5.0, 47.0, 8.0, 50.0)
    # Only the short side grows.
    assert expand_box((5.0, 47.2, 8.0, 47.4), 1.0) == pytest.approx((5.0, 46.8, 8.0, 47.8))


def test_expand_zero_is_off() -> None:
    assert expand_box((10.0, 50.0, 10.2, 50.1), 0.0) == (10.0, 50.0, 10.2, 50.1)


# --------------------------------------------------------------------------- snapping


def _own_window(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    rows, cols = ex.cells_for(box)
    shift = (cols[0] // ex.WIDTH) * ex.WIDTH
    return rows[0], rows[-1] + 1, cols[0] - shift, cols[-1] + 1 - shift


def _random_boxes(n: int) -> list[tuple[float, float, float, float]]:
    rng = np.random.default_rng(42)
    out = []
    for _ in range(n):
        w, h = rng.uniform(0.01, 6.0, size=2)
        x0 = rng.uniform(-182.0, 176.0)
        y0 = rng.uniform(-89.0, 83.0)
        out.append((float(x0), float(y0), float(x0 + w), float(y0 + h)))
    # Edges exactly on pixel edges, on pixel centres, and a box inside one cell.
    out += [
        (9.875, 49.875, 10.375, 50.375),
        (10.0, 50.0, 10.5, 50.5),
        (10.01, 50.01, 10.02, 50.02),
        (-180.0, 0.0, -179.0, 1.0),
        (179.0, -1.0, 180.0, 0.0),
        (-180.4, 10.0, -179.4, 11.0),
        (179.4, 10.0, 180.4, 11.0),
    ]
    return out


@pytest.mark.parametrize("box", _random_boxes(60))
def test_window_is_exactly_the_intersecting_cells(box: tuple[float, float, float, float]) -> None:
    w = window_for_bbox(box)
    assert (w.row0, w.row1, w.col0, w.col1) == _own_window(box)
    rows, cols = ex.cells_for(box)
    shift = (cols[0] // ex.WIDTH) * ex.WIDTH  # windows start in [0, 1440), unwrapped east
    assert w.bounds == pytest.approx(ex.edges_of(rows, [c - shift for c in cols]), abs=1e-12)
    assert np.array_equal(w.lons(), -180.0 + 0.25 * np.arange(w.col0, w.col1))
    assert np.array_equal(w.lats(), 90.0 - 0.25 * np.arange(w.row0, w.row1))


def test_window_touching_an_edge_does_not_take_the_next_cell() -> None:
    # The box ends exactly on the east edge of col 760 (lon 10.0 centre): col 761 not read.
    w = window_for_bbox((9.875, 49.875, 10.125, 50.125))
    assert (w.row0, w.row1, w.col0, w.col1) == (160, 161, 760, 761)


def test_window_is_clamped_at_the_poles() -> None:
    # Row 2 spans lat 89.375..89.625, so it holds 89.6; rows above 0 do not exist.
    w = window_for_bbox((0.0, 89.6, 1.0, 90.6))
    assert (w.row0, w.row1) == (0, 3)
    assert ex.rows_for(89.6, 90.6) == [0, 1, 2]
    w = window_for_bbox((0.0, -90.4, 1.0, -89.4))
    assert (w.row0, w.row1) == (718, 721)
    assert ex.rows_for(-90.4, -89.4) == [718, 719, 720]


def test_cell_areas_sum_to_the_ellipsoid() -> None:
    """All 721 rows (pole rows clipped) cover the WGS84 ellipsoid's area once per longitude."""
    total = cell_areas_m2(np.arange(721)).sum() * 1440
    assert total == pytest.approx(5.10065621724e14, rel=1e-9)
    # One cell at lat 60 against pyproj's area of the cell (parallels densified).
    t = np.linspace(-0.125, 0.125, 201)
    lons = np.concatenate([t, t[::-1]])
    lats = np.concatenate([np.full_like(t, 60.125), np.full_like(t, 59.875)])
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    assert cell_areas_m2(np.array([120]))[0] == pytest.approx(abs(area), rel=1e-7)
