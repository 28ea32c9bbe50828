"""Core results -> GeoTIFFs (768-band and PCA RGBA), layer provenance, embedding fields."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import xarray as xr
from qgis.core import NULL, QgsFeature, QgsRasterLayer, QgsVectorLayer

from rs_embed_qgis.bridge.outputs import (
    embedding_field_names,
    embedding_fields,
    embedding_values,
    field_type,
    pca_rgb,
    set_layer_provenance,
    valid_fraction_field_name,
    valid_fraction_value,
    write_grid_geotiff,
    write_rgb_geotiff,
)
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard


def make_grid(lons: np.ndarray, lats: np.ndarray, data: np.ndarray, **attrs) -> xr.DataArray:
    return xr.DataArray(
        data.astype(np.float32),
        dims=("d", "y", "x"),
        coords={"d": np.arange(data.shape[0]), "y": lats, "x": lons},
        attrs=attrs,
    )


@pytest.fixture
def grid() -> xr.DataArray:
    rng = np.random.default_rng(1)
    lats = 52.0 - 0.25 * np.arange(6)
    lons = 10.0 + 0.25 * np.arange(9)
    data = rng.standard_normal((768, 6, 9))
    data[:, 0, 0] = 0.0  # an ocean pixel
    data[:, 5, 8] = 0.0
    return make_grid(
        lons,
        lats,
        data,
        model="copernicus_embed",
        file="/data/embed_map_310k.tif",
        year=2021,
        requested_bbox=(10.0, 50.8, 12.0, 52.0),
        bbox_4326=(9.875, 50.625, 12.125, 52.125),
        expand_deg=0.0,
    )


def test_field_names_and_fields():
    names = embedding_field_names()
    assert names[0] == "emb_000" and names[767] == "emb_767" and len(names) == 768
    assert embedding_field_names("x_", 3) == ["x_000", "x_001", "x_002"]
    fields = embedding_fields("e_", valid_fraction=True)
    assert fields.count() == 769
    assert fields.at(5).name() == "e_005" and fields.at(5).type() == field_type("Double")
    assert fields.at(768).name() == valid_fraction_field_name("e_") == "e_valid_frac"


def test_values_and_nulls_in_a_layer(qgis_app):
    vec = np.arange(768, dtype=np.float32) / 7
    vals = embedding_values(vec)
    assert vals[0] == 0.0 and vals[700] == pytest.approx(100.0) and len(vals) == 768
    assert embedding_values(None) == [None] * 768
    with pytest.raises(ValueError, match="768"):
        embedding_values(np.zeros(3))
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "t", "memory")
    layer.dataProvider().addAttributes(embedding_fields().toList())
    layer.updateFields()
    feats = []
    for v in (vals, embedding_values(None)):
        f = QgsFeature(layer.fields())
        f.setAttributes(v)
        feats.append(f)
    assert layer.dataProvider().addFeatures(feats)[0]
    got = list(layer.getFeatures())
    assert got[0]["emb_007"] == pytest.approx(float(np.float32(1.0)))
    assert got[1]["emb_007"] == NULL
    assert valid_fraction_value({"valid_fraction": 0.25}) == 0.25
    assert valid_fraction_value({"error_type": "NoCoverageError"}) == 0.0
    assert valid_fraction_value({"error_type": "InvalidGeometryError"}) is None


def test_write_grid_geotiff(tmp_path, grid):
    path = write_grid_geotiff(grid, str(tmp_path / "g.tif"), {"time": "2024-01-01T00:00:00"})
    with rasterio.open(path) as ds:
        assert ds.count == 768 and ds.dtypes[0] == "float32"
        assert ds.crs.to_epsg() == 4326
        assert tuple(ds.transform)[:6] == (0.25, 0.0, 9.875, 0.0, -0.25, 52.125)
        assert ds.descriptions[0] == "emb_000" and ds.descriptions[767] == "emb_767"
        assert ds.profile["tiled"] and ds.compression.name.lower() == "deflate"
        np.testing.assert_array_equal(ds.read(), grid.values)
        tags = ds.tags()
    assert tags["RS_EMBED_MODEL"] == "copernicus_embed"
    assert tags["RS_EMBED_SOURCE_FILE"] == "/data/embed_map_310k.tif"
    assert tags["RS_EMBED_YEAR"] == "2021"
    assert tags["RS_EMBED_REQUESTED_BBOX"] == "(10.000000, 50.800000, 12.000000, 52.000000)"
    assert tags["RS_EMBED_READ_BBOX"] == "(9.875000, 50.625000, 12.125000, 52.125000)"
    assert tags["RS_EMBED_EXPAND_DEG"] == "0.0"
    assert tags["RS_EMBED_TIME"] == "2024-01-01T00:00:00"
    assert json.loads(tags["RS_EMBED_META"])["year"] == 2021
    layer = QgsRasterLayer(path, "g")
    assert layer.isValid() and layer.bandCount() == 768


def test_grid_across_antimeridian_keeps_longitudes_past_180(tmp_path):
    lons = 179.5 + 0.25 * np.arange(4)  # 179.5 .. 180.25
    data = np.ones((768, 2, 4))
    path = write_grid_geotiff(
        make_grid(lons, np.array([66.0, 65.75]), data), str(tmp_path / "a.tif")
    )
    with rasterio.open(path) as ds:
        assert ds.bounds.left == 179.375 and ds.bounds.right == 180.375
        assert ds.bounds.top == 66.125 and ds.bounds.bottom == 65.625


def test_pca_rgb_structure_sign_and_stretch():
    # Two latent fields along fixed directions: PCA 1 must follow the stronger one.
    h, w = 20, 30
    a = np.linspace(-1.0, 1.0, w)[None, :].repeat(h, 0)  # west -> east
    b = np.linspace(-1.0, 1.0, h)[:, None].repeat(w, 1)  # north -> south
    u = np.zeros(768)
    u[5] = 10.0
    u[6] = 1.0
    v = np.zeros(768)
    v[100] = 3.0
    data = 2.0 + u[:, None, None] * a + v[:, None, None] * b
    data[:, :2, :2] = 0.0  # ocean
    g = make_grid(np.arange(w) * 0.25, 60.0 - 0.25 * np.arange(h), data)
    rgba = pca_rgb(g)
    assert rgba.shape == (4, h, w) and rgba.dtype == np.uint8
    assert (rgba[3, :2, :2] == 0).all() and (rgba[:, :2, :2] == 0).all()
    assert (rgba[3][~np.isin(np.arange(h * w), [0, 1, w, w + 1]).reshape(h, w)] == 255).all()
    # Largest loading positive: red grows eastwards (with a), green southwards (with b).
    row = rgba[0, 10].astype(int)
    assert (np.diff(row) >= 0).all() and row[-1] - row[2] > 200
    col = rgba[1, :, 15].astype(int)
    assert (np.diff(col[2:]) >= 0).all() and col[-1] - col[2] > 200
    # 2-98 % stretch over valid pixels: about 2 % of them at 0 and at 255.
    valid = rgba[3] == 255
    low = (rgba[0][valid] == 0).mean()
    high = (rgba[0][valid] == 255).mean()
    assert 0.01 <= low <= 0.07 and 0.01 <= high <= 0.07
    # Deterministic, and the same pixels give the same colours in another order.
    np.testing.assert_array_equal(pca_rgb(g), rgba)
    flipped = make_grid(g.x.values, g.y.values, data[:, ::-1, :])
    assert np.abs(pca_rgb(flipped)[:, ::-1, :].astype(int) - rgba.astype(int)).max() <= 1


def test_pca_rgb_degenerate_grids():
    empty = make_grid(np.arange(3.0), np.arange(2.0)[::-1], np.zeros((768, 2, 3)))
    assert (pca_rgb(empty) == 0).all()
    one = np.zeros((768, 2, 3))
    one[:, 1, 1] = 1.0
    rgba = pca_rgb(make_grid(np.arange(3.0), np.arange(2.0)[::-1], one))
    assert rgba[3, 1, 1] == 255 and rgba[3].sum() == 255
    assert tuple(rgba[:3, 1, 1]) == (128, 128, 128)


def test_write_rgb_geotiff_and_provenance(tmp_path, grid, qgis_app):
    path = write_rgb_geotiff(grid, str(tmp_path / "rgb.tif"))
    with rasterio.open(path) as ds:
        assert ds.count == 4 and ds.dtypes == ("uint8",) * 4
        assert tuple(ds.transform)[:6] == (0.25, 0.0, 9.875, 0.0, -0.25, 52.125)
        assert [c.name for c in ds.colorinterp] == ["red", "green", "blue", "alpha"]
        np.testing.assert_array_equal(ds.read(), pca_rgb(grid))
        assert ds.read(4)[0, 0] == 0 and ds.read(4)[1, 1] == 255
        assert ds.tags()["RS_EMBED_MODEL"] == "copernicus_embed"
    layer = QgsRasterLayer(path, "rgb")
    assert layer.isValid()
    assert layer.renderer().type() == "multibandcolor"
    assert layer.renderer().alphaBand() == 4
    set_layer_provenance(layer, dict(grid.attrs, time="2024-05-06T07:08:09"))
    md = layer.metadata()
    assert md.title() == "Copernicus-Embed 2021 embeddings"
    abstract = md.abstract()
    for text in (
        "Model: copernicus_embed",
        "Source file: /data/embed_map_310k.tif",
        "Year: 2021",
        "Requested bbox (EPSG:4326): (10.000000, 50.800000, 12.000000, 52.000000)",
        "Read bbox (EPSG:4326, pixel edges): (9.875000, 50.625000, 12.125000, 52.125000)",
        "expand_deg: 0.0",
        "Time: 2024-05-06T07:08:09",
    ):
        assert text in abstract
    assert md.keywords()["rs_embed"] == ["embeddings", "copernicus_embed", "2021"]
