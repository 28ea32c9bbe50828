"""processing.run("rs_embed:...") against the core and against the product's known values."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from qgis.core import (
    NULL,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsRectangle,
    QgsReferencedRectangle,
    QgsVectorLayer,
)

from rs_embed_qgis.bridge.outputs import embedding_field_names, field_type
from rs_embed_qgis.core import (
    BBox,
    OutputSpec,
    PointBuffer,
    Polygon,
    TemporalSpec,
    get_embedding,
    get_embeddings_batch,
)
from rs_embed_qgis.processing.provider import RsEmbedProvider
from tests import product
from tests.conftest import EUROPE

NAMES = embedding_field_names()
WORLD = QgsApplication.pkgDataPath() + "/resources/data/world_map.gpkg"
# Pixel edges of the europe_dir window (rows 120..200, cols 680..840).
EUROPE_EDGES = QgsRectangle(
    product.X0 + product.RES * EUROPE[2],
    product.Y0 - product.RES * EUROPE[1],
    product.X0 + product.RES * EUROPE[3],
    product.Y0 - product.RES * EUROPE[0],
)
YEAR = TemporalSpec.year(2021)


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps warnings and errors; cancels itself after ``cancel_after`` isCanceled() calls."""

    def __init__(self, cancel_after: int | None = None) -> None:
        super().__init__()
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.cancel_after = cancel_after
        self.calls = 0

    def pushWarning(self, text: str) -> None:  # noqa: N802 - QGIS API
        self.warnings.append(text)

    def reportError(self, text: str, fatal: bool = False) -> None:  # noqa: N802
        self.errors.append(text)

    def pushInfo(self, text: str) -> None:  # noqa: N802
        self.infos.append(text)

    def isCanceled(self) -> bool:  # noqa: N802
        self.calls += 1
        if self.cancel_after is not None and self.calls > self.cancel_after:
            self.cancel()
        return super().isCanceled()


@pytest.fixture(scope="module")
def provider(qgis_processing):
    prov = RsEmbedProvider()
    assert QgsApplication.processingRegistry().addProvider(prov)
    yield prov
    QgsApplication.processingRegistry().removeProvider(prov)


@pytest.fixture(scope="module")
def countries(provider) -> QgsVectorLayer:
    """The countries of world_map.gpkg whose bbox lies inside the europe_dir window."""
    full = QgsVectorLayer(WORLD + "|layername=countries", "all", "ogr")
    ids = [f.id() for f in full.getFeatures() if EUROPE_EDGES.contains(f.geometry().boundingBox())]
    assert len(ids) >= 20
    layer = QgsVectorLayer(WORLD + "|layername=countries", "countries", "ogr")
    assert layer.setSubsetString(f"fid IN ({','.join(map(str, ids))})")
    QgsProject.instance().addMapLayer(layer)
    yield layer
    QgsProject.instance().removeMapLayer(layer.id())


def vectors(layer: QgsVectorLayer, key: str) -> dict:
    """{key value: (embedding or None, valid fraction)} of an output layer."""
    out = {}
    for f in layer.getFeatures():
        vals = [f[n] for n in NAMES]
        if all(v == NULL for v in vals):
            vec = None
        else:
            vec = np.array(vals, dtype=np.float64)
        frac = f["emb_valid_frac"]
        out[f[key]] = (vec, None if frac == NULL else frac)
    return out


def core_polygons(layer: QgsVectorLayer, feature_ids=None, pooling: str = "mean", data_dir=None):
    """The core's results for the layer's polygons (already in EPSG:4326), by NAME."""
    feats = [f for f in layer.getFeatures() if feature_ids is None or f.id() in feature_ids]
    specs = [Polygon(wkt=f.geometry().asWkt(17)) for f in feats]
    res = get_embeddings_batch(
        spatials=specs,
        temporal=YEAR,
        output=OutputSpec.pooled(pooling),
        data_dir=data_dir,
        expand_deg=0.0,
        on_error="skip",
    )
    return {f["NAME"]: r for f, r in zip(feats, res, strict=True)}


def run(alg: str, params: dict, feedback=None) -> dict:
    import processing  # on sys.path once the qgis_processing fixture has run

    return processing.run(alg, params, feedback=feedback)


def run_features(params: dict, feedback=None) -> dict:
    res = run("rs_embed:embed_features", {"OUTPUT": "memory:", **params}, feedback)
    return res


def test_provider_lists_both_algorithms(provider):
    assert provider.id() == "rs_embed"
    ids = sorted(a.id() for a in provider.algorithms())
    assert ids == [
        "rs_embed:download_product",
        "rs_embed:embed_extent",
        "rs_embed:embed_features",
    ]
    for alg in provider.algorithms():
        if alg.name() == "download_product":
            continue
        help_text = alg.shortHelpString()
        assert "degrees" in help_text or "°" in help_text
        assert "Limits" in help_text and "2021" in help_text


def test_embed_all_countries_equals_core(countries, europe_dir):
    fb = RecordingFeedback()
    res = run_features({"INPUT": countries, "DATA_DIR": str(europe_dir)}, fb)
    out = res["OUTPUT"]
    assert out.featureCount() == countries.featureCount()
    # Every input field is kept, then the 768 embedding fields and the valid fraction.
    in_names = countries.fields().names()
    assert out.fields().names() == in_names + NAMES + ["emb_valid_frac"]
    got = vectors(out, "NAME")
    want = core_polygons(countries, data_dir=europe_dir)
    assert set(got) == set(want)
    n_null = 0
    for name, emb in want.items():
        vec, frac = got[name]
        if emb.data is None:
            n_null += 1
            assert vec is None, name
            assert emb.meta["error_type"] == "NoCoverageError"
            assert frac == 0.0
        else:
            np.testing.assert_array_equal(vec, emb.data.astype(np.float64), err_msg=name)
            assert frac == pytest.approx(emb.meta["valid_fraction"])
    # Countries over the synthetic ocean (south of 46 N, e.g. Macedonia) are kept as NULLs.
    assert got["Macedonia"][0] is None
    assert got["Czechia"][0] is not None and got["Czechia"][1] == pytest.approx(1.0)
    assert 0 < n_null < len(want)
    assert res["SKIPPED"] == n_null and res["EMBEDDED"] == len(want) - n_null
    assert any(f"{n_null} of {len(want)} features" in w for w in fb.warnings)


def test_embed_selection_only_with_max_pooling(countries, europe_dir):
    countries.selectByExpression("\"NAME\" IN ('Germany', 'Austria', 'Czechia', 'Poland')")
    assert countries.selectedFeatureCount() == 4
    src = QgsProcessingFeatureSourceDefinition(countries.id(), selectedFeaturesOnly=True)
    res = run_features({"INPUT": src, "DATA_DIR": str(europe_dir), "POOLING": 1})
    got = vectors(res["OUTPUT"], "NAME")
    assert sorted(got) == ["Austria", "Czechia", "Germany", "Poland"]
    want = core_polygons(countries, set(countries.selectedFeatureIds()), "max", europe_dir)
    for name, emb in want.items():
        np.testing.assert_array_equal(got[name][0], emb.data.astype(np.float64))
    # Max pooling is at least the mean in every dimension, and above it somewhere.
    mean = core_polygons(countries, set(countries.selectedFeatureIds()), "mean", europe_dir)
    for name, emb in mean.items():
        assert (got[name][0] >= emb.data - 1e-6).all() and (got[name][0] > emb.data + 0.1).any()
    countries.removeSelection()


def point_layer() -> QgsVectorLayer:
    layer = QgsVectorLayer("Point?crs=EPSG:3857", "points", "memory")
    layer.dataProvider().addAttributes([QgsField("label", field_type("String"))])
    layer.updateFields()
    ct = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsCoordinateReferenceSystem("EPSG:3857"),
        QgsCoordinateTransformContext(),
    )
    feats = []
    for label, lonlat in (("land", (10.0, 52.5)), ("ocean", (-5.0, 42.0)), ("none", None)):
        f = QgsFeature(layer.fields())
        f["label"] = label
        if lonlat:
            f.setGeometry(QgsGeometry.fromPointXY(ct.transform(QgsPointXY(*lonlat))))
        feats.append(f)
    assert layer.dataProvider().addFeatures(feats)[0]
    return layer


def test_points_with_buffer(provider, europe_dir):
    layer = point_layer()
    fb = RecordingFeedback()
    params = {"INPUT": layer, "DATA_DIR": str(europe_dir), "BUFFER_M": 1000.0, "EXPAND_DEG": 0.0}
    got = vectors(run_features(params, fb)["OUTPUT"], "label")
    assert sorted(got) == ["land", "none", "ocean"]
    # 1 km around (10 E, 52.5 N) is inside one product pixel: row 150, col 760.
    expected = product.pixel_values(np.array([150]), np.array([760]))[0]
    np.testing.assert_array_equal(got["land"][0], expected.astype(np.float64))
    assert got["land"][1] == 1.0
    assert got["ocean"] == (None, 0.0)
    assert got["none"] == (None, None)
    assert any("1 without geometry" in w and "1 without data" in w for w in fb.warnings)

    # With expand_deg=1 the box is 1 x 1 degree: rows 148..152, cols 758..762, all land.
    got1 = vectors(run_features({**params, "EXPAND_DEG": 1.0})["OUTPUT"], "label")
    rr, cc = np.meshgrid(np.arange(148, 153), np.arange(758, 763), indexing="ij")
    block = product.pixel_values(rr, cc).reshape(-1, 768).astype(np.float64)
    np.testing.assert_allclose(got1["land"][0], block.mean(axis=0), rtol=1e-5, atol=1e-6)
    core = get_embedding(
        spatial=PointBuffer(10.0, 52.5, 1000.0),
        temporal=YEAR,
        data_dir=europe_dir,
        expand_deg=1.0,
    )
    np.testing.assert_allclose(got1["land"][0], core.data, rtol=1e-6)


def polygon_layer() -> QgsVectorLayer:
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "polys", "memory")
    layer.dataProvider().addAttributes([QgsField("label", field_type("String"))])
    layer.updateFields()
    feats = []
    for label, wkt in (
        ("land", "POLYGON((10 50, 12 50, 11 52, 10 50))"),
        ("ocean", "POLYGON((-8 41, -6 41, -6 43, -8 43, -8 41))"),
        ("null", None),
        ("empty", "POLYGON EMPTY"),
    ):
        f = QgsFeature(layer.fields())
        f["label"] = label
        if wkt:
            f.setGeometry(QgsGeometry.fromWkt(wkt))
        feats.append(f)
    assert layer.dataProvider().addFeatures(feats)[0]
    return layer


def test_null_empty_and_ocean_polygons_are_kept(provider, europe_dir):
    layer = polygon_layer()
    fb = RecordingFeedback()
    res = run_features({"INPUT": layer, "DATA_DIR": str(europe_dir)}, fb)
    out = res["OUTPUT"]
    assert out.featureCount() == 4
    got = vectors(out, "label")
    core = get_embedding(
        spatial=Polygon(wkt="POLYGON((10 50, 12 50, 11 52, 10 50))"),
        temporal=YEAR,
        data_dir=europe_dir,
    )
    np.testing.assert_array_equal(got["land"][0], core.data.astype(np.float64))
    assert got["ocean"] == (None, 0.0)
    assert got["null"] == (None, None) and got["empty"] == (None, None)
    geoms = {f["label"]: f.geometry() for f in out.getFeatures()}
    assert geoms["null"].isNull() and geoms["land"].area() == pytest.approx(2.0)
    assert (res["EMBEDDED"], res["SKIPPED"]) == (1, 3)
    assert any("3 of 4 features" in w and "2 without geometry" in w for w in fb.warnings)


def test_region_bbox_pools_the_expanded_box(provider, europe_dir):
    layer = polygon_layer()
    params = {"INPUT": layer, "DATA_DIR": str(europe_dir), "REGION": 1, "EXPAND_DEG": 0.0}
    got = vectors(run_features(params)["OUTPUT"], "label")
    # bbox (10, 50, 12, 52) -> rows 152..160, cols 760..768: all land, plain mean.
    rr, cc = np.meshgrid(np.arange(152, 161), np.arange(760, 769), indexing="ij")
    block = product.pixel_values(rr, cc).reshape(-1, 768).astype(np.float64)
    np.testing.assert_allclose(got["land"][0], block.mean(axis=0), rtol=1e-5, atol=1e-6)
    core = get_embedding(
        spatial=BBox(10.0, 50.0, 12.0, 52.0), temporal=YEAR, data_dir=europe_dir, expand_deg=0.0
    )
    np.testing.assert_allclose(got["land"][0], core.data, rtol=1e-6)
    assert got["ocean"][0] is None


def test_field_prefix_and_bad_inputs(provider, europe_dir, tmp_path):
    layer = polygon_layer()
    res = run_features({"INPUT": layer, "DATA_DIR": str(europe_dir), "FIELD_PREFIX": "ce_"})
    names = res["OUTPUT"].fields().names()
    assert names[:1] == ["label"] and names[1] == "ce_000" and names[-1] == "ce_valid_frac"
    with pytest.raises(QgsProcessingException, match="prefix"):
        run_features({"INPUT": layer, "DATA_DIR": str(europe_dir), "FIELD_PREFIX": "bad prefix"})
    with pytest.raises(QgsProcessingException, match="was not found"):
        run_features({"INPUT": layer, "DATA_DIR": str(tmp_path / "nothing")})


def test_cancel_via_feedback(countries, europe_dir):
    fb = RecordingFeedback(cancel_after=3)
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_features({"INPUT": countries, "DATA_DIR": str(europe_dir)}, fb)
    assert fb.isCanceled() and fb.calls > 3


# --------------------------------------------------------------------------- embed_extent


def expected_block(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    rr, cc = np.meshgrid(rows, cols % product.GLOBAL_WIDTH, indexing="ij")
    v = product.pixel_values(rr, cc)
    v[~product.land_mask(rr, cc)] = 0.0
    return np.moveaxis(v, -1, 0)


def check_grid(path: str, row0: int, row1: int, col0: int, col1: int) -> None:
    with rasterio.open(path) as ds:
        assert ds.count == 768 and ds.crs.to_epsg() == 4326
        assert ds.descriptions[0] == "emb_000" and ds.descriptions[-1] == "emb_767"
        x0 = product.X0 + product.RES * col0
        y0 = product.Y0 - product.RES * row0
        assert tuple(ds.transform)[:6] == pytest.approx((0.25, 0.0, x0, 0.0, -0.25, y0))
        assert (ds.height, ds.width) == (row1 - row0, col1 - col0)
        np.testing.assert_array_equal(
            ds.read(), expected_block(np.arange(row0, row1), np.arange(col0, col1))
        )


def test_embed_extent_epsg4326_with_rgb(provider, europe_dir, tmp_path):
    out, rgb = str(tmp_path / "grid.tif"), str(tmp_path / "rgb.tif")
    res = run(
        "rs_embed:embed_extent",
        {
            "EXTENT": "0,20,45,55 [EPSG:4326]",
            "EXPAND_DEG": 0.0,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": out,
            "OUTPUT_RGB": rgb,
        },
    )
    assert res["OUTPUT"] == out and res["OUTPUT_RGB"] == rgb
    check_grid(out, 140, 181, 720, 801)
    with rasterio.open(out) as ds:
        assert ds.tags()["RS_EMBED_REQUESTED_BBOX"] == "(0.000000, 45.000000, 20.000000, 55.000000)"
    with rasterio.open(rgb) as ds:
        assert ds.count == 4 and (ds.height, ds.width) == (41, 81)
        rr, cc = np.meshgrid(np.arange(140, 181), np.arange(720, 801), indexing="ij")
        np.testing.assert_array_equal(ds.read(4), np.where(product.land_mask(rr, cc), 255, 0))


def test_embed_extent_epsg3857(provider, europe_dir, tmp_path):
    wgs, merc = QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem("EPSG:3857")
    ct = QgsCoordinateTransform(wgs, merc, QgsCoordinateTransformContext())
    rect = ct.transformBoundingBox(QgsRectangle(-5.0, 42.0, 25.0, 58.0))
    out = str(tmp_path / "merc.tif")
    res = run(
        "rs_embed:embed_extent",
        {
            "EXTENT": QgsReferencedRectangle(rect, merc),
            "EXPAND_DEG": 0.0,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": out,
        },
    )
    assert res["OUTPUT_RGB"] is None
    # lon -5..25 -> cols 700..820; lat 42..58 -> rows 128..192 (pixel edges outward).
    check_grid(out, 128, 193, 700, 821)


def test_embed_extent_across_antimeridian(provider, strip_dir, tmp_path):
    out = str(tmp_path / "am.tif")
    run(
        "rs_embed:embed_extent",
        {
            "EXTENT": "175,185,66,69 [EPSG:4326]",
            "EXPAND_DEG": 0.0,
            "DATA_DIR": str(strip_dir),
            "OUTPUT": out,
        },
    )
    # Columns 1420..1460 run past 1440 (lon 180): the grid is contiguous across 180.
    check_grid(out, 84, 97, 1420, 1461)
    with rasterio.open(out) as ds:
        assert ds.bounds.right == pytest.approx(185.125)


def test_embed_features_inside_a_model(provider, europe_dir):
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
    )

    model = QgsProcessingModelAlgorithm("embed_model", "tests")
    model.addModelParameter(
        QgsProcessingParameterFeatureSource("layer", "layer"), QgsProcessingModelParameter("layer")
    )
    child = QgsProcessingModelChildAlgorithm("rs_embed:embed_features")
    child.setChildId("embed")
    child.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("layer")]
    )
    child.addParameterSources(
        "DATA_DIR", [QgsProcessingModelChildParameterSource.fromStaticValue(str(europe_dir))]
    )
    output = QgsProcessingModelOutput("embedded", "embedded")
    output.setChildId("embed")
    output.setChildOutputName("OUTPUT")
    child.setModelOutputs({"embedded": output})
    model.addChildAlgorithm(child)
    layer = polygon_layer()
    res = run(model, {"layer": layer, "embed:embedded": "memory:"})
    out = res["embed:embedded"]
    if isinstance(out, str):
        out = QgsProject.instance().mapLayer(out) or QgsVectorLayer(out, "o", "ogr")
    got = vectors(out, "label")
    direct = vectors(run_features({"INPUT": layer, "DATA_DIR": str(europe_dir)})["OUTPUT"], "label")
    assert sorted(got) == ["empty", "land", "null", "ocean"]
    np.testing.assert_array_equal(got["land"][0], direct["land"][0])
    assert got["ocean"] == (None, 0.0)
