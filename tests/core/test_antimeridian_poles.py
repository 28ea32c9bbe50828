"""Requests across the antimeridian read both sides; requests at the poles are clamped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from rs_embed_qgis.core import BBox, OutputSpec, PointBuffer, TemporalSpec, get_embedding
from tests import product
from tests.core import expected as ex
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

Y2021 = TemporalSpec.year(2021)
GEOD = Geod(ellps="WGS84")


def embed(spatial, data_dir, **kw):
    kw.setdefault("temporal", Y2021)
    kw.setdefault("reader", "torchgeo")
    kw.setdefault("download", False)  # the core's default is True; a download is not the subject
    return get_embedding("copernicus_embed", spatial=spatial, data_dir=data_dir, **kw)


def _wrapped_lon(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x) + 180.0) % 360.0 - 180.0


# --------------------------------------------------------------------------- antimeridian

# Rows 88..92 (lat 68..67) and columns 1438, 1439, 0, 1, 2 (lon 179.5 .. -179.5).
AM_ROWS = [88, 89, 90, 91, 92]
AM_COLS = [1438, 1439, 0, 1, 2]


@pytest.mark.parametrize(
    "spatial",
    [
        PointBuffer(lon=179.9, lat=67.5, buffer_m=3000),
        PointBuffer(lon=-179.9, lat=67.5, buffer_m=3000),
        BBox(179.5, 67.3, 179.9, 67.7),  # grown to 179.2..180.2 around its centre
    ],
    ids=["east", "west", "bbox"],
)
def test_request_across_the_antimeridian_reads_both_sides(spatial, strip_dir: Path) -> None:
    emb = embed(spatial, strip_dir, output=OutputSpec.grid())
    if isinstance(spatial, PointBuffer):
        box = ex.seed_box(spatial.lon, spatial.lat)
    else:
        box = ex.seed_box(179.7, 67.5)
    rows, cols = ex.cells_for(box)
    wrapped = [c % 1440 for c in cols]
    if isinstance(spatial, PointBuffer):
        assert (rows, wrapped) == (AM_ROWS, AM_COLS)
    da = emb.data
    assert da.shape == (768, len(rows), len(cols))
    assert any(c >= 1438 for c in wrapped) and any(c <= 2 for c in wrapped)
    pix = ex.file_pixels(strip_dir, rows, wrapped)
    assert np.array_equal(da.values, np.moveaxis(pix, -1, 0))
    # Land on both sides (the "Eurasia" belt): every pixel comes from the file, none is empty.
    assert ex.valid(pix).all()
    rr, cc = np.meshgrid(rows, wrapped, indexing="ij")
    assert np.array_equal(pix, product.pixel_values(rr, cc))
    # x is contiguous across the antimeridian and each x is its pixel's centre longitude.
    x = da["x"].values
    assert (np.diff(x) == 0.25).all()
    assert np.array_equal(_wrapped_lon(x), _wrapped_lon(-180.0 + 0.25 * np.array(wrapped)))
    assert np.array_equal(da["y"].values, 90.0 - 0.25 * np.array(rows))


def test_pooled_across_the_antimeridian(strip_dir: Path) -> None:
    emb = embed(PointBuffer(lon=179.9, lat=67.5, buffer_m=3000), strip_dir)
    pix = ex.file_pixels(strip_dir, AM_ROWS, AM_COLS)
    np.testing.assert_allclose(emb.data, ex.mean_valid(pix), rtol=1e-6, atol=1e-7)
    assert emb.meta["valid_pixels"] == 25
    assert emb.meta["chw_shape"] == (768, 5, 5)
    minlon, _, maxlon, _ = emb.meta["bbox_4326"]
    assert maxlon - minlon == pytest.approx(1.25)
    assert _wrapped_lon(minlon) == pytest.approx(179.375)
    # The same place seen from the west gives the same vector.
    west = embed(PointBuffer(lon=-179.9, lat=67.5, buffer_m=3000), strip_dir)
    assert np.array_equal(west.data, emb.data)


# --------------------------------------------------------------------------- poles


def _requested_lons_match_pyproj(meta: dict, lat: float, buffer_m: float) -> None:
    minlon, _, maxlon, _ = meta["requested_bbox"]
    if maxlon - minlon >= 360.0:
        return
    lons = np.linspace(minlon, maxlon, 4001)
    assert GEOD.line_length(lons, np.full_like(lons, lat)) == pytest.approx(2 * buffer_m, rel=1e-6)


def test_point_buffer_near_the_north_pole_is_clamped(north_pole_dir: Path) -> None:
    pb = PointBuffer(lon=0.0, lat=89.9, buffer_m=5000)
    emb = embed(pb, north_pole_dir)
    m = emb.meta
    _requested_lons_match_pyproj(m, 89.9, 5000)
    minlon, _, maxlon, _ = m["requested_bbox"]
    assert 20 < maxlon < 30  # 5 km is ~26 degrees of longitude at lat 89.9
    # Latitude: grown to 89.4..90.4 around the point, clamped to the globe.
    assert m["expanded_bbox"][1] == pytest.approx(89.4)
    assert m["expanded_bbox"][3] == 90.0
    rows = ex.rows_for(89.4, 90.0)
    cols = ex.cols_for(minlon, maxlon)
    assert rows == [0, 1, 2]
    assert m["chw_shape"] == (768, len(rows), len(cols))
    assert m["bbox_4326"][3] == pytest.approx(90.125)  # the product's own top edge
    pix = ex.file_pixels(north_pole_dir, rows, cols)
    np.testing.assert_allclose(emb.data, ex.mean_valid(pix), rtol=1e-6, atol=1e-7)
    assert m["valid_pixels"] == len(rows) * len(cols)  # polar cap: all land


def test_point_buffer_at_the_north_pole_takes_the_whole_ring(north_pole_dir: Path) -> None:
    emb = embed(PointBuffer(lon=0.0, lat=89.9, buffer_m=50000), north_pole_dir)
    m = emb.meta
    assert m["chw_shape"] == (768, 3, 1440)  # every longitude once
    pix = ex.file_pixels(north_pole_dir, [0, 1, 2], list(range(1440)))
    # The fixture holds lon -30..29.75 (cols 600..839), all polar-cap land; the rest of
    # the ring is off the file and so empty.
    assert m["valid_pixels"] == int(ex.valid(pix).sum()) == 3 * 240
    assert m["total_pixels"] == 3 * 1440
    np.testing.assert_allclose(emb.data, ex.mean_valid(pix), rtol=1e-6, atol=1e-7)
    exact = embed(PointBuffer(lon=0.0, lat=90.0, buffer_m=1000), north_pole_dir)
    # Grown to 89.5..90.5 and clamped to 89.5..90: row 2 (89.375..89.625) overlaps it.
    assert ex.rows_for(89.5, 90.0) == [0, 1, 2]
    assert exact.meta["chw_shape"] == (768, 3, 1440)
    assert exact.meta["expanded_bbox"][1:4:2] == (89.5, 90.0)


def test_point_buffer_near_the_south_pole_is_clamped(south_pole_dir: Path) -> None:
    pb = PointBuffer(lon=0.0, lat=-89.9, buffer_m=1000)
    emb = embed(pb, south_pole_dir, output=OutputSpec.grid())
    m = emb.meta
    _requested_lons_match_pyproj(m, -89.9, 1000)
    minlon, _, maxlon, _ = m["requested_bbox"]
    assert m["expanded_bbox"][1] == -90.0
    rows, cols = ex.rows_for(-90.0, -89.4), ex.cols_for(minlon, maxlon)
    assert rows == [718, 719, 720]
    assert m["bbox_4326"][1] == pytest.approx(-90.125)
    assert emb.data.shape == (768, 3, len(cols))
    assert np.array_equal(
        emb.data.values, np.moveaxis(ex.file_pixels(south_pole_dir, rows, cols), -1, 0)
    )
    assert emb.data["y"].values[-1] == -90.0
