"""Georeferencing read from the file, never assumed (issue 16).

Files on rs-embed's fallback grid (west edge -180.0, pixel centres half a pixel east of
TorchGeo's) and a full-size file without any georeferencing. Every expected value comes
from the file itself: its geotransform (read here with GDAL) gives the cells a request
intersects, GDAL's ``ReadRaster`` gives their pixels, NumPy pools them. Nothing here
computes a window or a pool with the plugin's code.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr

from rs_embed_qgis.core import (
    BBox,
    OutputSpec,
    PointBuffer,
    Polygon,
    TemporalSpec,
    explore,
    get_embedding,
    open_source,
    prepare_cache,
)
from rs_embed_qgis.core import cache as cache_mod
from rs_embed_qgis.core.dataset import clear_dataset_cache, inspect_product_file
from rs_embed_qgis.core.errors import CorruptDataError, DataError
from rs_embed_qgis.core.gdal_reader import close_all_readers
from rs_embed_qgis.core.georef import grid_of_origin
from tests import product
from tests.conftest import ANTIMERIDIAN_STRIP, EUROPE
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

YEAR = TemporalSpec.year(2021)
RS_EMBED_ORIGIN = (-180.0, 90.125)  # rs-embed's reader's fallback: centres at -179.875 + 0.25 c
# What a file without georeferencing is read as (documented in core/dataset.py).
ASSUMED_GT = (-180.125, 0.25, 0.0, 90.125, 0.0, -0.25)
NAME = "embed_map_310k.tif"

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def east_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Europe window written on rs-embed's fallback grid (origin -180.0, 90.125)."""
    d = tmp_path_factory.mktemp("east_europe")
    product.write_product(d / NAME, *EUROPE, origin=RS_EMBED_ORIGIN)
    return d


@pytest.fixture(scope="module")
def east_strip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full-width strip (rows 80..100) on rs-embed's fallback grid: it wraps at 180."""
    d = tmp_path_factory.mktemp("east_strip")
    product.write_product(d / NAME, *ANTIMERIDIAN_STRIP, origin=RS_EMBED_ORIGIN)
    return d


@pytest.fixture(scope="module")
def bare_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full-size 721 x 1440 file with no geotransform and no CRS (sparse tiles).

    The product's numbers are written over the Europe window and the antimeridian strip's
    two ends; every other tile is left unwritten (GDAL reads it as zeros).
    """
    d = tmp_path_factory.mktemp("bare")
    path = d / NAME
    drv = gdal.GetDriverByName("GTiff")
    opts = [
        "TILED=YES",
        "BLOCKXSIZE=256",
        "BLOCKYSIZE=256",
        "COMPRESS=DEFLATE",
        "INTERLEAVE=PIXEL",
        "SPARSE_OK=TRUE",
    ]
    ds = drv.Create(str(path), 1440, 721, 768, gdal.GDT_Float32, options=opts)
    r0, r1 = ANTIMERIDIAN_STRIP[:2]
    for rows, cols in (
        ((EUROPE[0], EUROPE[1]), (EUROPE[2], EUROPE[3])),
        ((r0, r1), (0, 40)),
        ((r0, r1), (1400, 1440)),
    ):
        rr, cc = np.meshgrid(np.arange(*rows), np.arange(*cols), indexing="ij")
        v = product.pixel_values(rr, cc).astype(np.float32)
        v[~product.land_mask(rr, cc)] = 0.0
        h, w = rr.shape
        ds.WriteRaster(
            cols[0],
            rows[0],
            w,
            h,
            np.ascontiguousarray(v).tobytes(),
            buf_type=gdal.GDT_Float32,
            band_list=list(range(1, 769)),
            buf_pixel_space=768 * 4,
            buf_line_space=w * 768 * 4,
            buf_band_space=4,
        )
    ds = None
    check = gdal.Open(str(path))
    assert check.GetGeoTransform(can_return_null=True) is None and not check.GetProjection()
    check = None
    return d


# --------------------------------------------------------------------------- the oracle


def file_gt(path: Path) -> tuple[float, ...]:
    """The file's own geotransform (GDAL); the documented assumption when it has none."""
    ds = gdal.Open(str(path))
    gt = ds.GetGeoTransform(can_return_null=True)
    if gt is None and not ds.GetProjection():
        assert (ds.RasterYSize, ds.RasterXSize) == (721, 1440)
        gt = ASSUMED_GT
    return tuple(gt)


def cells(
    path: Path, box: tuple[float, float, float, float], gt: tuple[float, ...] | None = None
) -> tuple[list[int], list[tuple[float, int]]]:
    """File rows, and (unwrapped west edge, file column) west to east, of the cells of the
    file that intersect the lon/lat box with positive area (any multiple of 360 apart)."""
    gt = gt or file_gt(path)
    ds = gdal.Open(str(path))
    w, h = ds.RasterXSize, ds.RasterYSize
    xl, dx, _, yt, _, dy = gt
    minlon, minlat, maxlon, maxlat = box
    rows = [j for j in range(h) if yt + dy * j > minlat and yt + dy * (j + 1) < maxlat]
    cols = sorted(
        (xl + dx * k + s, k)
        for k in range(w)
        for s in (-360.0, 0.0, 360.0)
        if xl + dx * k + s < maxlon and xl + dx * (k + 1) + s > minlon
    )
    return rows, cols


def read_cells(path: Path, rows: list[int], cols: list[tuple[float, int]]) -> np.ndarray:
    """(len(rows), len(cols), 768) pixels of the file, read with GDAL's ReadRaster."""
    ds = gdal.Open(str(path))
    r0, r1 = min(rows), max(rows) + 1
    out = np.empty((len(rows), len(cols), 768), dtype=np.float32)
    ks = sorted({k for _, k in cols})
    runs: list[list[int]] = []  # runs of adjacent file columns, one read each
    for k in ks:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    where = {k: m for m, (_, k) in enumerate(cols)}
    for run in runs:
        k0, n = run[0], len(run)
        raw = ds.ReadRaster(k0, r0, n, r1 - r0, buf_type=gdal.GDT_Float32)
        hwc = np.moveaxis(np.frombuffer(raw, dtype=np.float32).reshape(768, r1 - r0, n), 0, -1)
        for i, k in enumerate(run):
            out[:, where[k]] = hwc[[r - r0 for r in rows], i]
    return out


def pooled(path: Path, box: tuple[float, float, float, float], how: str = "mean", gt=None):
    """Mean (float64) or max over the non-empty pixels of the cells the box intersects."""
    rows, cols = cells(path, box, gt)
    px = read_cells(path, rows, cols)
    v = px[np.any(px != 0, axis=-1)]
    return v.astype(np.float64).mean(axis=0) if how == "mean" else v.max(axis=0)


def _q(lat: float) -> float:
    """Authalic q(phi) on WGS84 (the ellipsoidal cell area is a^2/2 dlon (q(n) - q(s)))."""
    f = 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)
    s = math.sin(math.radians(lat))
    return (1 - e2) * (s / (1 - e2 * s * s) - math.log((1 - e * s) / (1 + e * s)) / (2 * e))


def _ogr_box(x0: float, y0: float, x1: float, y1: float):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint_2D(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def polygon_mean(path: Path, wkt: str) -> np.ndarray:
    """Area-weighted mean over the file's cells a polygon covers: each cell clipped with
    OGR, weighted by covered fraction x ellipsoidal cell area, empty pixels left out."""
    g = ogr.CreateGeometryFromWkt(wkt)
    minx, maxx, miny, maxy = g.GetEnvelope()
    xl, dx, _, yt, _, dy = file_gt(path)
    rows, cols = cells(path, (minx, miny, maxx, maxy))
    px = read_cells(path, rows, cols)
    acc = np.zeros(768)
    total = 0.0
    for i, j in enumerate(rows):
        north, south = yt + dy * j, yt + dy * (j + 1)
        area = 6378137.0**2 / 2 * math.radians(dx) * (_q(min(north, 90)) - _q(max(south, -90)))
        for m, (west, _k) in enumerate(cols):
            piece = g.Intersection(_ogr_box(west, south, west + dx, north))
            frac = 0.0 if piece is None or piece.IsEmpty() else piece.GetArea() / (dx * -dy)
            if frac > 0 and np.any(px[i, m] != 0):
                acc += frac * area * px[i, m].astype(np.float64)
                total += frac * area
    return acc / total


def embed(spatial, data_dir: Path, **kw):
    kw.setdefault("temporal", YEAR)
    kw.setdefault("download", False)
    kw.setdefault("reader", "gdal")
    return get_embedding("copernicus_embed", spatial=spatial, data_dir=data_dir, **kw)


def close(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), b, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- the grid


def test_origin_is_read_from_the_file(east_dir: Path, europe_dir: Path, bare_dir: Path) -> None:
    east = inspect_product_file(east_dir / NAME)
    assert east.grid.origin == RS_EMBED_ORIGIN and east.georeferencing == "file"
    assert (east.row_off, east.col_off) == (EUROPE[0], EUROPE[2])
    ours = inspect_product_file(europe_dir / NAME)
    assert ours.grid.origin == (-180.125, 90.125) and ours.georeferencing == "file"
    bare = inspect_product_file(bare_dir / NAME)
    assert bare.grid.origin == (-180.125, 90.125)
    assert bare.georeferencing.startswith("assumed")
    assert (bare.row_off, bare.col_off, bare.height, bare.width) == (0, 0, 721, 1440)


@pytest.mark.parametrize(
    "corner, want",
    [
        ((-180.125, 90.125), ((-180.125, 90.125), 0, 0)),  # TorchGeo's global file
        ((-180.0, 90.125), ((-180.0, 90.125), 0, 0)),  # rs-embed's fallback, global
        ((-10.125, 60.125), ((-180.125, 90.125), 120, 680)),  # windows of either grid
        ((-10.0, 60.125), ((-180.0, 90.125), 120, 680)),
        ((179.75, -89.875), ((-180.0, 90.125), 720, 1439)),
        ((-180.25, 90.125), ((-180.0, 90.125), 0, -1)),  # refused later: west of the grid
    ],
)
def test_grid_of_a_corner_by_hand(corner, want) -> None:
    grid, row_off, col_off = grid_of_origin(*corner)
    assert (grid.origin, row_off, col_off) == want


@pytest.mark.parametrize("west", [-180.05, -180.1])
def test_any_west_edge_between_torchgeo_and_rs_embed_is_accepted(
    west: float, tmp_path: Path
) -> None:
    path = product.write_product(tmp_path / NAME, 150, 152, 700, 703, origin=(west, 90.125))
    info = inspect_product_file(path)
    assert info.grid.origin == pytest.approx((west, 90.125), abs=1e-9)
    assert (info.row_off, info.col_off) == (150, 700)


@pytest.mark.parametrize(
    "origin, words",
    [
        ((-180.2, 90.125), ("west edge", "-180.125", "-180.0")),
        ((-179.9, 90.125), ("west edge",)),
        ((-180.125, 90.0), ("north edge",)),
    ],
)
def test_other_origins_are_refused_with_the_reason(origin, words, tmp_path: Path) -> None:
    path = product.write_product(tmp_path / NAME, 150, 152, 700, 703, origin=origin)
    with pytest.raises(CorruptDataError) as ei:
        inspect_product_file(path)
    for w in words:
        assert w in str(ei.value)


def test_window_without_georeferencing_is_refused(tmp_path: Path) -> None:
    path = product.write_product(tmp_path / NAME, 150, 152, 700, 703)
    ds = gdal.Open(str(path), gdal.GA_Update)
    ds.SetGeoTransform((0.0, 1.0, 0.0, 0.0, 0.0, 1.0))  # gdal_edit.py -unsetgt
    ds.SetProjection("")  # gdal_edit.py -unsetsrs
    ds = None
    check = gdal.Open(str(path))
    # GDAL 3.6 keeps the identity ("not georeferenced", as rasterio calls it); later ones none.
    assert check.GetGeoTransform(can_return_null=True) in (None, (0.0, 1.0, 0.0, 0.0, 0.0, 1.0))
    assert not check.GetProjection()
    check = None
    with pytest.raises(CorruptDataError) as ei:
        inspect_product_file(path)
    assert "no georeferencing" in str(ei.value) and "2x3" in str(ei.value)


# --------------------------------------------------------------------------- requests

# (lon, lat) boxes inside the Europe window whose edges lie on neither grid's lines.
BOX = (10.2, 45.05, 11.3, 46.2)
POINT = (12.34, 47.66)  # 5 km buffer, expanded to the 1-degree square around it
TRIANGLE = "POLYGON ((10.1 45.2, 13.4 45.9, 11.2 48.3, 10.1 45.2))"


# The global grid each fixture was written on (the bare file's is the assumption).
GRID_ORIGIN = {"east": RS_EMBED_ORIGIN, "bare": (-180.125, 90.125)}


@pytest.fixture(params=["east", "bare"])
def data(request: pytest.FixtureRequest, east_dir: Path, bare_dir: Path) -> Path:
    """The data directory of an rs-embed-grid window, or of the file without georeferencing."""
    return {"east": east_dir, "bare": bare_dir}[request.param]


def test_bbox_reads_the_cells_of_the_files_grid(data: Path) -> None:
    path = data / NAME
    for how in ("mean", "max"):
        got = embed(BBox(*BOX), data, expand_deg=0.0, output=OutputSpec.pooled(how))
        want = pooled(path, BOX, how)
        close(got.data, want)
    kind = "east" if data.name.startswith("east") else "bare"
    assert got.meta["grid_origin"] == GRID_ORIGIN[kind]
    rows, cols = cells(path, BOX)
    xl, _, _, yt, _, _ = file_gt(path)
    assert got.meta["bbox_4326"] == pytest.approx(
        (cols[0][0], yt - 0.25 * (rows[-1] + 1), cols[-1][0] + 0.25, yt - 0.25 * rows[0])
    )
    # The test discriminates: TorchGeo's grid would read other cells of an rs-embed file.
    if data.name.startswith("east"):
        other = pooled(path, BOX, "mean", gt=(-180.125 + 0.25 * EUROPE[2], *file_gt(path)[1:]))
        assert np.abs(other - pooled(path, BOX, "mean")).max() > 1e-3


def test_point_buffer_reads_the_cells_of_the_files_grid(data: Path) -> None:
    lon, lat = POINT
    got = embed(PointBuffer(lon, lat, 5000.0), data, expand_deg=1.0)
    close(got.data, pooled(data / NAME, (lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5)))


def test_polygon_reads_the_cells_of_the_files_grid(data: Path) -> None:
    got = embed(Polygon(wkt=TRIANGLE), data)
    close(got.data, polygon_mean(data / NAME, TRIANGLE))


def test_grid_has_the_files_pixels_and_pixel_centres(data: Path) -> None:
    path = data / NAME
    got = embed(BBox(*BOX), data, expand_deg=0.0, output=OutputSpec.grid())
    rows, cols = cells(path, BOX)
    xl, _, _, yt, _, _ = file_gt(path)
    np.testing.assert_array_equal(got.data["x"].values, [w + 0.125 for w, _ in cols])
    np.testing.assert_array_equal(got.data["y"].values, [yt - 0.25 * j - 0.125 for j in rows])
    want = np.moveaxis(read_cells(path, rows, cols), -1, 0)
    np.testing.assert_array_equal(got.data.transpose("d", "y", "x").values, want)


def test_missing_georeferencing_is_said_in_the_metadata(bare_dir: Path) -> None:
    got = embed(BBox(*BOX), bare_dir, expand_deg=0.0, reader="auto")
    assert got.meta["georeferencing"].startswith("assumed")
    assert "-180.125" in got.meta["georeferencing"]
    assert any("assumed" in w for w in got.meta["warnings"])
    with pytest.raises(DataError, match="no georeferencing"):
        embed(BBox(*BOX), bare_dir, expand_deg=0.0, reader="torchgeo")


# Boxes near the antimeridian, grown to 1 degree of longitude around their centre: the
# read box runs past +-180 (the side of 1.1 degree of latitude is kept as it is).
AM_BOXES = {
    "east": ((179.6, 66.1, 179.95, 67.2), (179.275, 66.1, 180.275, 67.2)),
    "west": ((-179.95, 66.1, -179.6, 67.2), (-180.275, 66.1, -179.275, 67.2)),
}


@pytest.mark.parametrize("side", sorted(AM_BOXES))
@pytest.mark.parametrize("which", ["east_strip", "bare"])
def test_antimeridian_requests_wrap_on_the_files_grid(
    side: str, which: str, east_strip_dir: Path, bare_dir: Path
) -> None:
    data = {"east_strip": east_strip_dir, "bare": bare_dir}[which]
    path = data / NAME
    asked, box = AM_BOXES[side]
    rows, cols = cells(path, box)
    assert len({k for _, k in cols}) == len(cols)  # every column once
    assert any(k == 0 for _, k in cols) and any(k == 1439 for _, k in cols)  # it wraps
    got = embed(BBox(*asked), data, expand_deg=1.0, output=OutputSpec.grid())
    # The pixel centres, contiguous across 180 (the plugin may write them 360 apart).
    x = got.data["x"].values
    np.testing.assert_array_equal((x - np.array([w + 0.125 for w, _ in cols])) % 360, 0.0)
    assert (np.diff(x) == 0.25).all()
    want = np.moveaxis(read_cells(path, rows, cols), -1, 0)
    np.testing.assert_array_equal(got.data.transpose("d", "y", "x").values, want)
    close(embed(BBox(*asked), data, expand_deg=1.0).data, pooled(path, box))


def test_torchgeo_reader_slices_the_files_grid(east_dir: Path, east_strip_dir: Path) -> None:
    got = embed(BBox(*BOX), east_dir, expand_deg=0.0, reader="torchgeo")
    close(got.data, pooled(east_dir / NAME, BOX))
    asked, box = AM_BOXES["east"]
    got = embed(BBox(*asked), east_strip_dir, expand_deg=1.0, reader="torchgeo")
    close(got.data, pooled(east_strip_dir / NAME, box))


# --------------------------------------------------------------------------- explore


def test_similarity_map_and_places_are_on_the_files_grid(data: Path) -> None:
    path = data / NAME
    src = open_source(data_dir=data, download=False, reader="gdal")
    scope = (10.1, 45.05, 13.3, 47.9)
    sim = explore.similarity_map(src.reader, [POINT], scope)
    rows, cols = cells(path, scope)
    xl, _, _, yt, _, _ = file_gt(path)
    assert sim.bounds == pytest.approx(
        (cols[0][0], yt - 0.25 * (rows[-1] + 1), cols[-1][0] + 0.25, yt - 0.25 * rows[0])
    )
    # The reference is the file's pixel under the point, by the file's geotransform.
    pr, pc = cells(path, (POINT[0], POINT[1], POINT[0] + 1e-9, POINT[1] + 1e-9))
    ref = read_cells(path, pr, pc)[0, 0].astype(np.float64)
    px = read_cells(path, rows, cols).astype(np.float64)
    norms = np.linalg.norm(px, axis=-1)
    want = np.where(
        norms > 0, px @ ref / np.where(norms > 0, norms, 1) / np.linalg.norm(ref), np.nan
    )
    np.testing.assert_allclose(sim.scores, want, rtol=1e-5, atol=1e-6)
    best = explore.top_places(sim, k=1)[0]
    assert (best.lon, best.lat) == (pc[0][0] + 0.125, yt - 0.25 * pr[0] - 0.125)


# --------------------------------------------------------------------------- the cache


def _new_process() -> None:
    """What a new process starts with: no file checks, readers or caches in memory."""
    cache_mod.close_cached_readers()
    close_all_readers()
    clear_dataset_cache()


def test_cache_of_one_grid_is_not_served_for_another(europe_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    tif = data / NAME
    shutil.copy(europe_dir / NAME, tif)
    east = product.write_product(tmp_path / "east.tif", *EUROPE, origin=RS_EMBED_ORIGIN)
    assert east.stat().st_size == tif.stat().st_size  # only the geotransform differs
    prepare_cache(tif)
    first = embed(BBox(*BOX), data, expand_deg=0.0, reader="auto")
    assert first.meta["reader"] == "cache"
    close(first.data, pooled(tif, BOX))
    # Rewrite the file in place with the other grid and restore its stat identity (size,
    # mtime, inode): only the grid recorded in the manifest tells the two apart.
    st = tif.stat()
    with open(tif, "r+b") as fh:
        fh.write(east.read_bytes())
    os.utime(tif, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (tif.stat().st_ino, tif.stat().st_size, tif.stat().st_mtime_ns) == (
        st.st_ino,
        st.st_size,
        st.st_mtime_ns,
    )
    _new_process()
    info = inspect_product_file(tif)
    assert info.grid.origin == RS_EMBED_ORIGIN
    assert cache_mod.open_cached_reader(info) is None
    after = embed(BBox(*BOX), data, expand_deg=0.0, reader="auto")
    assert after.meta["reader"] == "gdal"
    close(after.data, pooled(tif, BOX))
    assert np.abs(after.data - first.data).max() > 1e-3
    _new_process()
