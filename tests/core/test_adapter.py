"""get_embedding through the real TorchGeo + rasterio stack, checked against the file's own pixels.

Expected values come from tests/core/expected.py (own cell arithmetic, rasterio reads of the
fixture file) and from tests/product.py (closed-form values and land mask).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from pyproj import Geod

from rs_embed_qgis.core import (
    BBox,
    NoCoverageError,
    OutputSpec,
    PointBuffer,
    TemporalSpec,
    estimate_request,
    get_embedding,
    open_source,
)
from rs_embed_qgis.core.grid import window_for_bbox
from rs_embed_qgis.core.pooling import pool_window
from tests import product
from tests.core import expected as ex
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

Y2021 = TemporalSpec.year(2021)
GEOD = Geod(ellps="WGS84")


def embed(spatial, data_dir, **kw):
    """get_embedding on the TorchGeo reader (the reference path), 2021."""
    kw.setdefault("temporal", Y2021)
    kw.setdefault("reader", "torchgeo")
    kw.setdefault("download", False)  # the core's default is True; a download is not the subject
    return get_embedding("copernicus_embed", spatial=spatial, data_dir=data_dir, **kw)


# The box each case reads, worked out by hand (not by a copy of the core's expand_box):
# a point buffer smaller than 1 degree becomes the 1-degree square around the point; a
# bbox keeps every side that is already >= 1 degree and grows the others around its centre.
EXPANDED = {
    "land": (9.6, 49.57, 10.6, 50.57),
    "coast": (2.1, 41.8, 3.1, 42.8),
    "shore": (11.8, 54.6, 12.8, 55.6),
    "big": (5.1, 47.2, 8.1, 50.2),  # 3 x 3 degrees: unchanged
    "thin": (5.0, 46.8, 8.0, 47.8),  # 3 degrees wide, 0.2 high: only the height grows
    "file_edge": (27.0, 45.0, 31.0, 47.0),  # 4 x 2 degrees: unchanged
}


def grown(box: tuple, expand_deg: float) -> tuple[float, float, float, float]:
    """The union of the box and the expand_deg square on its centre, latitudes clamped.

    Stated as a union (the contract: grow, never shrink, around the centre), not as the
    core's per-side test, so a slip in either formulation shows.
    """
    minlon, minlat, maxlon, maxlat = box
    cx, cy, h = (minlon + maxlon) / 2, (minlat + maxlat) / 2, expand_deg / 2
    out = (min(minlon, cx - h), min(minlat, cy - h), max(maxlon, cx + h), max(maxlat, cy + h))
    return (out[0], max(out[1], -90.0), out[2], min(out[3], 90.0))


# name: (spatial, description). All inside the Europe fixture (rows 120..200, cols 680..840).
CASES = {
    "land": PointBuffer(lon=10.1, lat=50.07, buffer_m=5000),  # all land ("Europe")
    "coast": PointBuffer(lon=2.6, lat=42.3, buffer_m=3000),  # 2x2 checkerboard of land/ocean
    "shore": PointBuffer(lon=12.3, lat=55.1, buffer_m=2000),  # ocean north of lat 55, land south
    "big": BBox(5.1, 47.2, 8.1, 50.2),  # 3 x 3 degrees: not shrunk
    "thin": BBox(5.0, 47.2, 8.0, 47.4),  # only the short side grows
    "file_edge": BBox(27.0, 45.0, 31.0, 47.0),  # runs past the file's east edge (lon 29.875)
}


def _expected_cells(name: str) -> tuple[list[int], list[int]]:
    rows, cols = ex.cells_for(EXPANDED[name])
    assert rows and cols
    return rows, cols


def test_fixture_file_holds_the_closed_form_values(europe_dir: Path) -> None:
    """The oracle itself: the file's pixels are product.pixel_values where land, else zeros."""
    rows, cols = list(range(120, 200)), list(range(680, 840))
    got = ex.file_pixels(europe_dir, rows, cols)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    want = product.pixel_values(rr, cc)
    want[~product.land_mask(rr, cc)] = 0
    assert np.array_equal(got, want)


@pytest.mark.parametrize("name", list(CASES))
def test_pooled_mean_is_mean_of_valid_file_pixels_of_the_window(
    name: str, europe_dir: Path
) -> None:
    spatial = CASES[name]
    rows, cols = _expected_cells(name)
    pix = ex.file_pixels(europe_dir, rows, cols)
    emb = embed(spatial, europe_dir)
    assert emb.meta["expanded_bbox"] == pytest.approx(EXPANDED[name], abs=1e-12)
    assert isinstance(emb.data, np.ndarray)
    assert emb.data.dtype == np.float32 and emb.data.shape == (768,)
    np.testing.assert_allclose(emb.data, ex.mean_valid(pix), rtol=1e-6, atol=1e-7)
    m = emb.meta
    assert m["bbox_4326"] == pytest.approx(ex.edges_of(rows, cols), abs=1e-12)
    assert m["chw_shape"] == (768, len(rows), len(cols))
    assert m["total_pixels"] == len(rows) * len(cols)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    in_file = (rr >= 120) & (rr < 200) & (cc >= 680) & (cc < 840)
    n_land = int((product.land_mask(rr, np.clip(cc, 0, 1439)) & in_file).sum())
    assert m["valid_pixels"] == n_land == int(ex.valid(pix).sum())
    if name in ("coast", "shore", "file_edge"):  # these windows mix data and empty pixels
        assert 0 < n_land < len(rows) * len(cols)
    assert m["valid_fraction"] == pytest.approx(n_land / (len(rows) * len(cols)))


def test_pooled_mean_ignores_empty_pixels(europe_dir: Path) -> None:
    spatial = CASES["coast"]
    rows, cols = _expected_cells("coast")
    pix = ex.file_pixels(europe_dir, rows, cols)
    n_valid = int(ex.valid(pix).sum())
    assert 0 < n_valid < pix.shape[0] * pix.shape[1]  # the window really mixes land and ocean
    emb = embed(spatial, europe_dir)
    naive = pix.reshape(-1, 768).astype(np.float64).mean(axis=0)
    assert not np.allclose(emb.data, naive, rtol=1e-3)
    # Zeros only dilute the naive mean: rescaled by total / valid it is the valid mean.
    np.testing.assert_allclose(emb.data, naive * pix[..., 0].size / n_valid, rtol=1e-5)
    assert emb.meta["valid_pixels"] == n_valid
    assert emb.meta["total_pixels"] == pix[..., 0].size


@pytest.mark.parametrize("name", ["coast", "shore", "big"])
def test_pooled_max_is_max_of_valid_pixels_only(name: str, europe_dir: Path) -> None:
    spatial = CASES[name]
    rows, cols = _expected_cells(name)
    pix = ex.file_pixels(europe_dir, rows, cols)
    want = ex.max_valid(pix)
    negative = want < 0
    assert negative.any()  # bands where a max over all pixels would wrongly give 0
    emb = embed(spatial, europe_dir, output=OutputSpec.pooled("max"))
    assert emb.data.dtype == np.float32 and emb.data.shape == (768,)
    assert np.array_equal(emb.data, want)
    assert (emb.data[negative] < 0).all()
    assert emb.meta["pooling"] == "max_hw"


def test_grid_equals_the_file_pixels_with_centre_coordinates(europe_dir: Path) -> None:
    spatial = BBox(-2.3, 44.1, 1.2, 46.9)  # Europe, the ocean gap and the coast checkerboard
    rows, cols = ex.cells_for(spatial.as_tuple())  # 3.5 x 2.8 degrees: not grown
    emb = embed(spatial, europe_dir, output=OutputSpec.grid())
    da = emb.data
    assert isinstance(da, xr.DataArray)
    assert da.dims == ("d", "y", "x")
    assert da.dtype == np.float32
    assert da.shape == (768, len(rows), len(cols))
    assert np.array_equal(da["x"].values, np.array([-180.0 + 0.25 * c for c in cols]))
    assert np.array_equal(da["y"].values, np.array([90.0 - 0.25 * r for r in rows]))
    assert np.array_equal(da["d"].values, np.arange(768))
    pix = ex.file_pixels(europe_dir, rows, cols)
    assert np.array_equal(da.values, np.moveaxis(pix, -1, 0))
    assert (pix == 0).all(axis=-1).any() and ex.valid(pix).any()  # both kinds present
    # A pixel looked up by its centre lon/lat is the closed-form value of that cell.
    v = da.sel(x=0.0, y=45.0).values  # row 180, col 720: land in the checkerboard
    assert np.array_equal(v, product.pixel_values(np.array(180), np.array(720)))
    assert emb.meta["chw_shape"] == da.shape
    assert emb.meta["valid_pixels"] == int(ex.valid(pix).sum())
    assert da.attrs == emb.meta
    assert emb.meta["pooling"] is None


def test_meta_carries_the_provenance(europe_dir: Path) -> None:
    spatial = CASES["land"]
    rows, cols = _expected_cells("land")
    # download=True (the core's default) with the file present: provenance only; the
    # autouse network guard fails the test if it reached for the network.
    emb = embed(spatial, europe_dir, download=True)
    m = emb.meta
    for key in (
        "model", "data_dir", "file", "download", "expand_deg", "requested_bbox",
        "expanded_bbox", "bbox_4326", "chw_shape", "pooling", "valid_pixels", "year",
        "resolution_deg", "crs",
    ):  # fmt: skip
        assert key in m, key
    assert m["model"] == "copernicus_embed"
    assert m["data_dir"] == os.path.abspath(europe_dir)
    assert m["file"] == os.path.realpath(ex.product_file(europe_dir))
    assert os.path.basename(m["file"]) == "embed_map_310k.tif"
    assert m["download"] is True
    assert m["expand_deg"] == 1.0
    assert m["year"] == 2021
    assert m["resolution_deg"] == 0.25
    assert m["crs"] == "EPSG:4326"
    assert m["pooling"] == "mean_hw"
    # requested: the point buffer in degrees, each side 5 km from the centre (pyproj).
    lon_e, _, _ = GEOD.fwd(10.1, 50.07, 90.0, 5000)
    _, lat_n, _ = GEOD.fwd(10.1, 50.07, 0.0, 5000)
    dlon, dlat = lon_e - 10.1, lat_n - 50.07
    want = (10.1 - dlon, 50.07 - dlat, 10.1 + dlon, 50.07 + dlat)
    assert m["requested_bbox"] == pytest.approx(want, abs=1e-6)
    assert m["expanded_bbox"] == pytest.approx((9.6, 49.57, 10.6, 50.57), abs=1e-12)
    assert m["bbox_4326"] == pytest.approx(ex.edges_of(rows, cols), abs=1e-12)
    assert m["bbox_4326"] == pytest.approx((9.375, 49.375, 10.625, 50.625), abs=1e-12)
    assert m["chw_shape"] == (768, 5, 5)
    assert m["valid_pixels"] == 25
    assert embed(spatial, europe_dir, download=False).meta["download"] is False


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_pooling_in_row_bands_equals_the_one_shot_pool(pooling: str, europe_dir: Path) -> None:
    """Large windows are pooled in bands of rows; some bands here are all ocean."""
    box = (0.0, 53.0, 5.0, 58.0)  # ocean north of lat 55, land south of it
    rows, cols = ex.cells_for(box)
    pix = ex.file_pixels(europe_dir, rows, cols)
    assert not ex.valid(pix[:3]).any() and ex.valid(pix[-3:]).all()
    source = open_source(data_dir=europe_dir, reader="torchgeo")
    window = window_for_bbox(box)
    row_bytes = window.width * 768 * 4
    banded = pool_window(source.reader.read, window, pooling, band_bytes=3 * row_bytes)
    assert len(window.row_bands(3)) > 3
    want = ex.mean_valid(pix) if pooling == "mean" else ex.max_valid(pix)
    np.testing.assert_allclose(banded.vector, want, rtol=1e-6, atol=1e-7)
    assert banded.valid_pixels == int(ex.valid(pix).sum())
    assert banded.total_pixels == len(rows) * len(cols)
    one_shot = embed(BBox(*box), europe_dir, expand_deg=0, output=OutputSpec.pooled(pooling))
    np.testing.assert_allclose(one_shot.data, banded.vector, rtol=1e-6, atol=1e-7)


def _random_requests(n: int) -> list[tuple[object, float]]:
    rng = np.random.default_rng(7)
    out: list[tuple[object, float]] = []
    for i in range(n):
        expand = float(rng.choice([0.0, 0.3, 1.0, 2.0]))
        if i % 2:
            w, h = rng.uniform(0.01, 4.0, size=2)
            x0, y0 = rng.uniform(-12.0, 28.0), rng.uniform(41.0, 57.0)
            out.append((BBox(float(x0), float(y0), float(x0 + w), float(y0 + h)), expand))
        else:
            lon, lat = rng.uniform(-12.0, 31.0), rng.uniform(42.0, 58.0)
            pb = PointBuffer(float(lon), float(lat), float(rng.uniform(10.0, 150000.0)))
            out.append((pb, expand))
    return out


def _own_requested(spatial) -> tuple[float, float, float, float]:
    if isinstance(spatial, BBox):
        return spatial.as_tuple()
    # Metres per degree at the point's latitude, measured by pyproj: along the parallel
    # (densified line) and along the meridian (a geodesic).
    lon, lat = spatial.lon, spatial.lat
    lons = np.linspace(lon - 0.5, lon + 0.5, 2001)
    per_deg_lon = GEOD.line_length(lons, np.full_like(lons, lat))
    per_deg_lat = GEOD.inv(lon, lat - 0.5, lon, lat + 0.5)[2]
    dlon, dlat = spatial.buffer_m / per_deg_lon, spatial.buffer_m / per_deg_lat
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)


@pytest.mark.parametrize("spatial, expand", _random_requests(40))
def test_random_requests_match_the_file(spatial, expand: float, europe_dir: Path) -> None:
    """Grid and pooled results of random requests, some partly off the file or all ocean."""
    try:
        emb = embed(spatial, europe_dir, expand_deg=expand, output=OutputSpec.grid())
    except NoCoverageError:
        emb = None
    if emb is not None:
        requested = emb.meta["requested_bbox"]
        assert requested == pytest.approx(_own_requested(spatial), abs=1e-6)
    else:
        requested = _own_requested(spatial)
    rows, cols = ex.cells_for(grown(requested, expand))
    pix = ex.file_pixels(europe_dir, rows, cols)
    if not ex.valid(pix).any():
        assert emb is None  # no coverage is an error, never a zero embedding
        with pytest.raises(NoCoverageError):
            embed(spatial, europe_dir, expand_deg=expand)
        return
    assert emb is not None
    assert np.array_equal(emb.data.values, np.moveaxis(pix, -1, 0))
    assert emb.meta["bbox_4326"] == pytest.approx(ex.edges_of(rows, cols), abs=1e-12)
    pooled = embed(spatial, europe_dir, expand_deg=expand)
    np.testing.assert_allclose(pooled.data, ex.mean_valid(pix), rtol=1e-6, atol=1e-7)
    assert pooled.meta["valid_pixels"] == int(ex.valid(pix).sum())


# --------------------------------------------------------------------------- expansion


def test_default_expansion_is_one_degree_centred(europe_dir: Path) -> None:
    pb = PointBuffer(lon=20.3, lat=51.8, buffer_m=1500)
    m = embed(pb, europe_dir).meta
    assert m["expand_deg"] == 1.0
    minlon, minlat, maxlon, maxlat = m["expanded_bbox"]
    assert (maxlon - minlon, maxlat - minlat) == pytest.approx((1.0, 1.0), abs=1e-12)
    assert ((minlon + maxlon) / 2, (minlat + maxlat) / 2) == pytest.approx((20.3, 51.8))
    rows, cols = ex.cells_for((19.8, 51.3, 20.8, 52.3))
    assert m["chw_shape"] == (768, len(rows), len(cols))


def test_larger_roi_is_not_shrunk_as_the_seed_would(europe_dir: Path) -> None:
    big = CASES["big"]  # 3 x 3 degrees
    emb = embed(big, europe_dir)
    m = emb.meta
    assert m["expanded_bbox"] == m["requested_bbox"] == big.as_tuple()
    rows, cols = ex.cells_for(big.as_tuple())
    assert m["chw_shape"] == (768, len(rows), len(cols)) == (768, 13, 13)
    # The seed replaced the ROI by a 1-degree box around its centre: 5 x 5 cells only.
    seed_rows, seed_cols = ex.cells_for(ex.seed_box(6.6, 48.7))
    assert (len(seed_rows), len(seed_cols)) == (5, 5)
    full = ex.mean_valid(ex.file_pixels(europe_dir, rows, cols))
    cropped = ex.mean_valid(ex.file_pixels(europe_dir, seed_rows, seed_cols))
    np.testing.assert_allclose(emb.data, full, rtol=1e-6, atol=1e-7)
    assert not np.allclose(emb.data, cropped, rtol=1e-3)


def test_only_the_short_side_grows(europe_dir: Path) -> None:
    m = embed(CASES["thin"], europe_dir).meta
    assert m["expanded_bbox"] == pytest.approx((5.0, 46.8, 8.0, 47.8), abs=1e-12)


def test_expand_zero_reads_just_the_cells_of_the_roi(europe_dir: Path) -> None:
    box = BBox(10.01, 50.01, 10.3, 50.2)
    emb = embed(box, europe_dir, expand_deg=0, output=OutputSpec.grid())
    rows, cols = ex.cells_for(box.as_tuple())
    assert (rows, cols) == ([159, 160], [760, 761])
    m = emb.meta
    assert m["expand_deg"] == 0.0
    assert m["expanded_bbox"] == m["requested_bbox"] == box.as_tuple()
    assert m["bbox_4326"] == pytest.approx((9.875, 49.875, 10.375, 50.375), abs=1e-12)
    assert np.array_equal(
        emb.data.values, np.moveaxis(ex.file_pixels(europe_dir, rows, cols), -1, 0)
    )


def test_expand_deg_is_settable(europe_dir: Path) -> None:
    pb = PointBuffer(lon=15.0, lat=50.0, buffer_m=100)
    emb = embed(pb, europe_dir, expand_deg=2.5)
    assert emb.meta["expand_deg"] == 2.5
    box = ex.seed_box(15.0, 50.0, 2.5)
    assert emb.meta["expanded_bbox"] == pytest.approx(box, abs=1e-12)
    rows, cols = ex.cells_for(box)
    np.testing.assert_allclose(
        emb.data, ex.mean_valid(ex.file_pixels(europe_dir, rows, cols)), rtol=1e-6, atol=1e-7
    )


def test_estimate_request_matches_the_window_read(europe_dir: Path) -> None:
    big = CASES["big"]
    est = estimate_request(big)
    rows, cols = ex.cells_for(big.as_tuple())
    assert est["shape"] == (768, len(rows), len(cols))
    assert est["pixels"] == len(rows) * len(cols)
    assert est["grid_bytes"] == len(rows) * len(cols) * 768 * 4
    assert est["bbox_4326"] == pytest.approx(ex.edges_of(rows, cols), abs=1e-12)


# --------------------------------------------------------------------------- no coverage


@pytest.mark.parametrize(
    "output", [OutputSpec.pooled(), OutputSpec.pooled("max"), OutputSpec.grid()], ids=str
)
def test_all_ocean_window_is_no_coverage_not_zeros(output: OutputSpec, europe_dir: Path) -> None:
    pb = PointBuffer(lon=5.0, lat=57.5, buffer_m=1000)  # North Sea: lat 55.25..60 west of lon 20
    rows, cols = ex.cells_for(ex.seed_box(5.0, 57.5))
    assert not ex.valid(ex.file_pixels(europe_dir, rows, cols)).any()
    with pytest.raises(NoCoverageError) as ei:
        embed(pb, europe_dir, output=output)
    assert "coverage" in str(ei.value)


def test_bbox_outside_the_file_is_no_coverage(europe_dir: Path) -> None:
    with pytest.raises(NoCoverageError) as ei:
        embed(BBox(100.0, 40.0, 101.0, 41.0), europe_dir)
    msg = str(ei.value)
    assert "outside" in msg and str(ex.product_file(europe_dir).name) in msg
