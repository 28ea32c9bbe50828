"""Output rasters of a file on another grid origin carry the file's own geotransform (issue 16).

The file is written on rs-embed's fallback grid (west edge -180.0); the expected
geotransforms and pixels come from the file itself, read with GDAL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from rs_embed_qgis.bridge.explore_outputs import write_similarity_geotiff
from rs_embed_qgis.bridge.outputs import write_grid_geotiff
from rs_embed_qgis.core import BBox, OutputSpec, TemporalSpec, explore, get_embedding, open_source
from tests import product
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

WINDOW = (150, 170, 700, 730)  # rows, cols of the global grid (lat 52.5..47.75, lon -5..2.5)
BOX = (-3.9, 48.3, -1.2, 50.2)  # edges on neither grid's lines


@pytest.fixture(scope="module")
def east_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("east_outputs")
    product.write_product(d / "embed_map_310k.tif", *WINDOW, origin=(-180.0, 90.125))
    return d


def _cells(path: Path, box) -> tuple[list[int], list[int], tuple[float, ...]]:
    """File rows and columns whose cells meet the box, by the file's geotransform."""
    ds = gdal.Open(str(path))
    xl, dx, _, yt, _, dy = ds.GetGeoTransform()
    w, h = ds.RasterXSize, ds.RasterYSize
    minlon, minlat, maxlon, maxlat = box
    cols = [k for k in range(w) if xl + dx * k < maxlon and xl + dx * (k + 1) > minlon]
    rows = [j for j in range(h) if yt + dy * j > minlat and yt + dy * (j + 1) < maxlat]
    gt = (xl + dx * cols[0], dx, 0.0, yt + dy * rows[0], 0.0, dy)
    return rows, cols, gt


def test_grid_geotiff_has_the_files_geotransform(east_dir: Path, tmp_path: Path) -> None:
    path = east_dir / "embed_map_310k.tif"
    emb = get_embedding(
        spatial=BBox(*BOX),
        temporal=TemporalSpec.year(2021),
        output=OutputSpec.grid(),
        data_dir=east_dir,
        expand_deg=0.0,
        download=False,
        grid_format="numpy",  # what the plugin asks for
    )
    out = write_grid_geotiff(emb.data, str(tmp_path / "grid.tif"), emb.meta)
    rows, cols, gt = _cells(path, BOX)
    ds = gdal.Open(out)
    assert ds.GetGeoTransform() == pytest.approx(gt, abs=1e-12)
    src = gdal.Open(str(path))
    raw = src.ReadRaster(cols[0], rows[0], len(cols), len(rows), buf_type=gdal.GDT_Float32)
    want = np.frombuffer(raw, dtype=np.float32).reshape(768, len(rows), len(cols))
    got = ds.ReadAsArray()
    np.testing.assert_array_equal(got, want)


def test_similarity_geotiff_has_the_files_geotransform(east_dir: Path, tmp_path: Path) -> None:
    path = east_dir / "embed_map_310k.tif"
    src = open_source(data_dir=east_dir, download=False, reader="gdal")
    sim = explore.similarity_map(src.reader, [(-2.3, 49.1)], BOX)
    out = write_similarity_geotiff(sim, str(tmp_path / "sim.tif"), str(path), 1)
    _rows, _cols, gt = _cells(path, BOX)
    assert gdal.Open(out).GetGeoTransform() == pytest.approx(gt, abs=1e-12)


def test_point_preview_snaps_to_the_files_grid(east_dir: Path) -> None:
    from rs_embed_qgis.gui.map_tools import read_square_lonlat
    from rs_embed_qgis.gui.tasks import inspect_data_dir

    rep = inspect_data_dir(str(east_dir))
    assert rep.usable and rep.grid_origin == (-180.0, 90.125)
    # 5 km at (12.34, 47.66), grown to the 1-degree square 11.84..12.84 x 47.16..48.16 and
    # snapped out to the lines by hand: lon 0.25 k (rs-embed) or -180.125 + 0.25 k
    # (TorchGeo), lat 90.125 - 0.25 k.
    east = read_square_lonlat(12.34, 47.66, 5000.0, 1.0, rep.grid_origin)
    assert east == pytest.approx((11.75, 47.125, 13.0, 48.375))
    ours = read_square_lonlat(12.34, 47.66, 5000.0, 1.0)
    assert ours == pytest.approx((11.625, 47.125, 12.875, 48.375))
