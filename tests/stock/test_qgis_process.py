"""qgis_process (Debian's QGIS, clean environment) runs both algorithms from the installed ZIP.

Expected values come from tests/stock/expected.py (the fixture's closed form and an
ellipsoidal area-weighted mean), never from the plugin's code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from tests import product
from tests.stock.expected import (
    ATOL,
    BANDS,
    OCEAN_POINT,
    OCEAN_POLYGON,
    POINT_PIXELS,
    POINTS,
    RECT,
    RECT_CELLS,
    RTOL,
    TRIANGLE_CELLS,
    box_wkt,
    pixel_block,
    triangle_wkt,
    weighted_mean,
)
from tests.stock.util import PLUGIN, QGIS_PROCESS, Stock, plugin_problems, run_stock

gdal.UseExceptions()
ogr.UseExceptions()

FIELDS = [f"emb_{i:03d}" for i in range(BANDS)]
VALID = "emb_valid_frac"


def test_expected_values_discriminate() -> None:
    """The expected means differ from the usual mistakes by far more than the tolerance."""
    for cells in (RECT_CELLS, TRIANGLE_CELLS):
        want = weighted_mean(cells)
        all_full = weighted_mean([(r, c, 1.0) for r, c, _ in cells])
        flat = product.pixel_values(
            np.array([r for r, _, _ in cells]), np.array([c for _, c, _ in cells])
        ).astype(np.float64)
        unweighted = (np.array([f for *_, f in cells])[:, None] * flat).sum(0) / sum(
            f for *_, f in cells
        )
        for wrong in (all_full, unweighted):
            assert np.abs(wrong - want).max() > 10 * (ATOL + RTOL * np.abs(want).max())
    assert len(RECT_CELLS) == 4 * 25 and len(TRIANGLE_CELLS) == 10


# --------------------------------------------------------------------------- runs


def qgis_process(stock: Stock, *args: str, timeout: float = 180.0):
    """Run /usr/bin/qgis_process.bin in the clean environment."""
    return run_stock(stock, [QGIS_PROCESS, *args], timeout=timeout)


def run_json(stock: Stock, *args: str) -> dict:
    """A successful ``qgis_process --json run ...``: its parsed JSON."""
    proc = qgis_process(stock, "--json", "run", *args)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "Traceback" not in out, out[-4000:]
    return json.loads(proc.stdout[proc.stdout.index("{") :])


def write_input(path: Path, epsg: int = 4326) -> Path:
    """A GeoPackage of polygons and points over the fixture's land, and two over its ocean."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))

    def layer(name: str, kind: int, geoms: dict[str, str]) -> None:
        lyr = ds.CreateLayer(name, srs, kind)
        lyr.CreateField(ogr.FieldDefn("name", ogr.OFTString))
        for key, wkt in geoms.items():
            feat = ogr.Feature(lyr.GetLayerDefn())
            feat.SetField("name", key)
            feat.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
            lyr.CreateFeature(feat)

    layer(
        "polygons",
        ogr.wkbPolygon,
        {"rect": box_wkt(*RECT), "triangle": triangle_wkt(), "ocean": box_wkt(*OCEAN_POLYGON)},
    )
    points = {k: f"POINT({x} {y})" for k, (x, y) in POINTS.items()}
    points["ocean"] = "POINT({} {})".format(*OCEAN_POINT)
    layer("points", ogr.wkbPoint, points)
    ds = None
    return path


def read_output(path: Path) -> dict[str, tuple[np.ndarray | None, object]]:
    """name -> (embedding or None when every field is NULL, valid fraction) of an output."""
    assert path.is_file(), f"{path} was not written"
    ds = ogr.Open(str(path))
    lyr = ds.GetLayer(0)
    defn = lyr.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    assert [n for n in names if n.startswith("emb_") and n != VALID] == FIELDS
    out = {}
    for feat in lyr:
        nulls = [feat.IsFieldNull(n) for n in FIELDS]
        valid = None if VALID not in names or feat.IsFieldNull(VALID) else feat.GetField(VALID)
        if all(nulls):
            out[feat.GetField("name")] = (None, valid)
        else:
            assert not any(nulls), feat.GetField("name")
            out[feat.GetField("name")] = (np.array([feat.GetField(n) for n in FIELDS]), valid)
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The input GeoPackage, written with OGR in the pytest process."""
    return write_input(tmp_path_factory.mktemp("stock_inputs") / "features.gpkg")


def test_list_shows_the_algorithms(stock: Stock) -> None:
    proc = qgis_process(stock, "list")
    assert proc.returncode == 0, proc.stderr
    for alg in ("rs_embed:embed_features", "rs_embed:embed_extent"):
        assert alg in proc.stdout, proc.stdout[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("alg", ["embed_features", "embed_extent"])
def test_help_prints_no_python_warning(stock: Stock, alg: str) -> None:
    proc = qgis_process(stock, "help", f"rs_embed:{alg}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "EXPAND_DEG" in proc.stdout and "DATA_DIR" in proc.stdout
    bad = plugin_problems(proc.stdout + "\n" + proc.stderr, stock.plugins / PLUGIN)
    assert not bad, "\n".join(bad)


def test_only_the_plugins_own_warnings_count(tmp_path) -> None:
    """The filter of the test above: QGIS's and Python's warnings pass, the plugin's do not."""
    plugin = tmp_path / "profiles/default/python/plugins" / PLUGIN
    qgis_own = [
        "<string>:1: DeprecationWarning: setapi() is deprecated",
        "/usr/lib/python3/dist-packages/qgis/utils.py:888: DeprecationWarning: codecs.open() is "
        "deprecated. Use open() instead.",
        "  f = codecs.open(metadata_file, 'r', 'utf-8')",
        "/usr/share/qgis/python/plugins/processing/tools/general.py:12: DeprecationWarning: x",
        "QStandardPaths: XDG_RUNTIME_DIR not set",
        "Warning: QGIS could not find a font",
    ]
    assert plugin_problems("\n".join(qgis_own), plugin) == []
    ours = [
        f"{plugin}/processing/base.py:42: DeprecationWarning: QgsProcessingParameterX is old",
        f"{plugin}/gui/dock.py:7: UserWarning: something",
    ]
    trace = [
        "Traceback (most recent call last):",
        f'  File "{plugin}/processing/provider.py", line 3, in loadAlgorithms',
        "    self.addAlgorithm(Bad())",
        "NameError: name 'Bad' is not defined",
    ]
    named = ["Error: rs_embed:embed_features could not be loaded"]
    found = plugin_problems("\n".join(qgis_own + ours + trace + named), plugin)
    assert found == [*ours, "\n".join(trace), *named]


def test_embed_features_polygons(stock: Stock, europe_dir: Path, inputs: Path, tmp_path) -> None:
    """Area-weighted means of a rectangle and a triangle; the ocean polygon kept with NULLs."""
    out = tmp_path / "polygons.gpkg"
    result = run_json(
        stock,
        "rs_embed:embed_features",
        f"--INPUT={inputs}|layername=polygons",
        "--REGION=0",
        "--POOLING=0",
        f"--DATA_DIR={europe_dir}",
        f"--OUTPUT={out}",
    )
    assert result["results"]["EMBEDDED"] == 2 and result["results"]["SKIPPED"] == 1
    got = read_output(out)
    assert set(got) == {"rect", "triangle", "ocean"}
    for name, cells in (("rect", RECT_CELLS), ("triangle", TRIANGLE_CELLS)):
        vec, valid = got[name]
        assert vec is not None, name
        np.testing.assert_allclose(vec, weighted_mean(cells), rtol=RTOL, atol=ATOL, err_msg=name)
        assert valid == pytest.approx(1.0)
    vec, valid = got["ocean"]
    assert vec is None and valid in (None, 0.0)


def test_embed_features_points(stock: Stock, europe_dir: Path, inputs: Path, tmp_path) -> None:
    """A 1 km square inside one pixel gives that pixel exactly; the ocean point NULLs."""
    out = tmp_path / "points.gpkg"
    result = run_json(
        stock,
        "rs_embed:embed_features",
        f"--INPUT={inputs}|layername=points",
        "--BUFFER_M=1000",
        "--EXPAND_DEG=0",
        f"--DATA_DIR={europe_dir}",
        f"--OUTPUT={out}",
    )
    assert result["results"]["EMBEDDED"] == 2 and result["results"]["SKIPPED"] == 1
    got = read_output(out)
    assert set(got) == {"point_a", "point_b", "ocean"}
    for name, (r, c) in POINT_PIXELS.items():
        want = product.pixel_values(np.array(r), np.array(c)).astype(np.float64)
        np.testing.assert_array_equal(got[name][0], want, err_msg=name)
    assert got["ocean"][0] is None


def test_embed_extent_grid(stock: Stock, europe_dir: Path, tmp_path) -> None:
    """The extent snapped outward to whole pixels, every band equal to the fixture's pixels."""
    out = tmp_path / "grid.tif"
    # lon 10..12, lat 45.5..47: pixel centres on the bounds, so cells 10.0..12.0 and
    # 45.5..47.0 are read; the rows of 45.5 and 45.75 are ocean (zeros).
    run_json(
        stock,
        "rs_embed:embed_extent",
        "--EXTENT=10.0,12.0,45.5,47.0 [EPSG:4326]",
        "--EXPAND_DEG=0",
        f"--DATA_DIR={europe_dir}",
        f"--OUTPUT={out}",
    )
    ds = gdal.Open(str(out))
    assert (ds.RasterCount, ds.RasterYSize, ds.RasterXSize) == (BANDS, 7, 9)
    np.testing.assert_allclose(ds.GetGeoTransform(), (9.875, 0.25, 0, 47.125, 0, -0.25))
    assert ds.GetRasterBand(1).DataType == gdal.GDT_Float32
    assert ds.GetRasterBand(1).GetDescription() == "emb_000"
    assert ds.GetRasterBand(BANDS).GetDescription() == "emb_767"
    got = ds.ReadAsArray()
    want, land = pixel_block(47.0, 45.5, 10.0, 12.0)
    assert land[:5].all() and not land[5:].any()
    np.testing.assert_array_equal(got, np.moveaxis(want, -1, 0))


@pytest.mark.parametrize("alg", ["embed_features", "embed_extent"])
def test_missing_data_dir_fails_cleanly(
    stock: Stock, inputs: Path, tmp_path: Path, alg: str
) -> None:
    """A folder without the product: non-zero exit, one sentence, no traceback, no output."""
    empty = tmp_path / "no_product_here"
    empty.mkdir()
    suffix = "gpkg" if alg == "embed_features" else "tif"
    out = tmp_path / f"out.{suffix}"
    args = [f"--DATA_DIR={empty}", f"--OUTPUT={out}"]
    if alg == "embed_features":
        args += [f"--INPUT={inputs}|layername=polygons"]
    else:
        args += ["--EXTENT=10.0,12.0,45.5,47.0 [EPSG:4326]"]
    proc = qgis_process(stock, "run", f"rs_embed:{alg}", *args, timeout=120)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    errors = [line for line in text.splitlines() if line.startswith("ERROR:")]
    assert errors, text[-3000:]
    message = errors[0].split(":", 1)[1].strip()
    # Actionable: says where it looked and which file it wants, in a line of its own.
    assert str(empty) in message and "embed_map_310k.tif" in message, message
    assert "Unexpected" not in message and "Error:" not in message, message
    assert {line.split(":", 1)[1].strip() for line in errors} == {message}
    assert not out.exists()
    assert not list(tmp_path.glob("out.*"))
