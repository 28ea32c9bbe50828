"""processing.run("rs_embed:...") against the product's known values.

Expected values never come from the plugin: pixels from tests/product.py's closed form,
windows by floor/ceil on the cell edges, polygon means from cells clipped with OGR and
weighted by ellipsoidal cell areas (tests/core/expected.py).
"""

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
from rs_embed_qgis.processing.provider import RsEmbedProvider
from tests import product
from tests.conftest import EUROPE
from tests.core.expected import hand_window, no_outbound_network, polygon_oracle  # noqa: F401

NAMES = embedding_field_names()
WORLD = QgsApplication.pkgDataPath() + "/resources/data/world_map.gpkg"
# Pixel edges of the europe_dir window (rows 120..200, cols 680..840).
EUROPE_EDGES = QgsRectangle(
    product.X0 + product.RES * EUROPE[2],
    product.Y0 - product.RES * EUROPE[1],
    product.X0 + product.RES * EUROPE[3],
    product.Y0 - product.RES * EUROPE[0],
)
# Tolerance of a pooled mean: float32 pixels pooled in another order, float32 weights.
RTOL, ATOL = 1e-6, 5e-6


def in_europe(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cells held by the europe_dir fixture file."""
    return (rows >= EUROPE[0]) & (rows < EUROPE[1]) & (cols >= EUROPE[2]) & (cols < EUROPE[3])


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps warnings, errors, infos and every progress value."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.progress_values: list[float] = []
        self.progressChanged.connect(self.progress_values.append)

    def pushWarning(self, text: str) -> None:  # noqa: N802 - QGIS API
        self.warnings.append(text)

    def reportError(self, text: str, fatal: bool = False) -> None:  # noqa: N802
        self.errors.append(text)

    def pushInfo(self, text: str) -> None:  # noqa: N802
        self.infos.append(text)


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
        "rs_embed:classify",
        "rs_embed:cluster",
        "rs_embed:download_product",
        "rs_embed:embed_extent",
        "rs_embed:embed_features",
        "rs_embed:similar_places",
        "rs_embed:similarity_map",
    ]
    for alg in provider.algorithms():
        if alg.name() == "download_product":
            continue
        help_text = alg.shortHelpString()
        assert "degrees" in help_text or "°" in help_text
        assert "Limits" in help_text and "2021" in help_text


def test_embed_all_countries_match_the_area_weighted_oracle(countries, europe_dir):
    fb = RecordingFeedback()
    res = run_features({"INPUT": countries, "DATA_DIR": str(europe_dir)}, fb)
    out = res["OUTPUT"]
    assert out.featureCount() == countries.featureCount()
    # Every input field is kept, then the 768 embedding fields and the valid fraction.
    in_names = countries.fields().names()
    assert out.fields().names() == in_names + NAMES + ["emb_valid_frac"]
    got = vectors(out, "NAME")
    want = {
        f["NAME"]: polygon_oracle(f.geometry().asWkt(17), in_file=in_europe)
        for f in countries.getFeatures()
    }
    assert set(got) == set(want)
    n_null = 0
    for name, (vec, frac) in want.items():
        if vec is None:
            n_null += 1
            assert got[name] == (None, 0.0), name
        else:
            np.testing.assert_allclose(got[name][0], vec, rtol=RTOL, atol=ATOL, err_msg=name)
            assert got[name][1] == pytest.approx(frac, abs=1e-9), name
    # Countries over the synthetic ocean (south of 46 N, e.g. Macedonia) are kept as NULLs;
    # Romania straddles the coast of the synthetic Europe: about half its area has data.
    assert got["Macedonia"] == (None, 0.0)
    assert got["Czechia"][1] == pytest.approx(1.0)
    assert 0.4 < got["Romania"][1] < 0.6
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
    for f in countries.selectedFeatures():
        wkt = f.geometry().asWkt(17)
        want_max, _ = polygon_oracle(wkt, "max", in_europe)
        np.testing.assert_array_equal(got[f["NAME"]][0], want_max, err_msg=f["NAME"])
        # Max pooling is at least the mean in every dimension, and above it somewhere.
        mean, _ = polygon_oracle(wkt, "mean", in_europe)
        assert (want_max >= mean - 1e-6).all() and (want_max > mean + 0.1).any()
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
    np.testing.assert_allclose(got1["land"][0], block.mean(axis=0), rtol=RTOL, atol=ATOL)


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
    want, frac = polygon_oracle("POLYGON((10 50, 12 50, 11 52, 10 50))")
    np.testing.assert_allclose(got["land"][0], want, rtol=RTOL, atol=ATOL)
    assert frac == 1.0 and got["land"][1] == pytest.approx(1.0)
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
    r0, r1, c0, c1 = hand_window(10.0, 50.0, 12.0, 52.0)
    assert (r0, r1, c0, c1) == (152, 161, 760, 769)
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    assert product.land_mask(rr, cc).all()
    block = product.pixel_values(rr, cc).reshape(-1, 768).astype(np.float64)
    np.testing.assert_allclose(got["land"][0], block.mean(axis=0), rtol=RTOL, atol=ATOL)
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


def many_squares(n_side: int = 60) -> QgsVectorLayer:
    """n_side^2 small squares (0.3 degree) over the Europe fixture: a run that takes a while."""
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "squares", "memory")
    feats = []
    for i in range(n_side):
        for j in range(n_side):
            x, y = -9.0 + 38.0 * i / n_side, 41.0 + 18.0 * j / n_side
            f = QgsFeature(layer.fields())
            f.setGeometry(QgsGeometry.fromRect(QgsRectangle(x, y, x + 0.3, y + 0.3)))
            feats.append(f)
    assert layer.dataProvider().addFeatures(feats)[0]
    return layer


def test_cancel_at_the_first_progress_stops_early_and_writes_nothing(
    provider, europe_dir, tmp_path
):
    """The user's Cancel at the first progress report (a signal, not a watcher thread).

    Until this test cancelled from the progressChanged signal, a thread polled every 2 ms for
    progress and a run that finished first never raised "Cancelled".
    """
    layer = many_squares()
    out = tmp_path / "cancelled.gpkg"
    fb = RecordingFeedback()
    fb.progressChanged.connect(lambda p: p > 0 and fb.cancel())
    with pytest.raises(QgsProcessingException, match="Cancelled") as ei:
        run_features({"INPUT": layer, "DATA_DIR": str(europe_dir), "OUTPUT": str(out)}, fb)
    assert fb.isCanceled()
    # Stopped early: never reached the writing phase (90..100 %), and nothing was written.
    assert max(fb.progress_values) < 90.0, fb.progress_values[-5:]
    assert not out.exists() and not list(tmp_path.iterdir())
    assert "\n" not in str(ei.value) and "nothing was written" in str(ei.value)


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
    # The model's output parameter is "embed:embedded" on QGIS 3.22, "embedded" on 3.40.
    (dest,) = [p.name() for p in model.destinationParameterDefinitions()]
    assert dest in ("embed:embedded", "embedded")
    res = run(model, {"layer": layer, dest: "memory:"})
    out = res[dest]
    if isinstance(out, str):
        out = QgsProject.instance().mapLayer(out) or QgsVectorLayer(out, "o", "ogr")
    got = vectors(out, "label")
    assert sorted(got) == ["empty", "land", "null", "ocean"]
    want, _ = polygon_oracle("POLYGON((10 50, 12 50, 11 52, 10 50))")
    np.testing.assert_allclose(got["land"][0], want, rtol=RTOL, atol=ATOL)
    assert got["ocean"] == (None, 0.0)


# ------------------------------------------------------------------------ clear failures


def one_line(exc: BaseException) -> str:
    """The message Processing shows: one line, no traceback."""
    text = str(exc)
    assert text and "\n" not in text.strip() and "Traceback" not in text, text
    return text


def test_embed_extent_too_large_is_refused_with_no_output(provider, europe_dir, tmp_path):
    out = tmp_path / "world.tif"
    params = {
        "EXTENT": "-180,180,-90,90 [EPSG:4326]",  # 721 x 1440 x 768 float32 = 3.2 GB
        "EXPAND_DEG": 0.0,
        "DATA_DIR": str(europe_dir),
        "OUTPUT": str(out),
        "OUTPUT_RGB": str(tmp_path / "rgb.tif"),
    }
    with pytest.raises(QgsProcessingException) as ei:
        run("rs_embed:embed_extent", params)
    text = one_line(ei.value)
    assert "721x1440x768" in text and "over the limit" in text and "smaller area" in text
    assert list(tmp_path.iterdir()) == []


def test_shapefile_output_is_refused_with_a_geopackage_hint(provider, europe_dir, tmp_path):
    out = tmp_path / "out.shp"
    with pytest.raises(QgsProcessingException) as ei:
        run_features({"INPUT": polygon_layer(), "DATA_DIR": str(europe_dir), "OUTPUT": str(out)})
    text = one_line(ei.value)
    assert "GeoPackage" in text and ".gpkg" in text
    assert list(tmp_path.iterdir()) == []  # no .shp, .dbf, .shx or .prj left


@pytest.mark.parametrize("kind", ["missing", "corrupt", "unexpected"])
def test_failures_are_one_line_without_traceback(provider, europe_dir, tmp_path, kind, monkeypatch):
    data = tmp_path / "data"
    if kind == "missing":
        words = ("embed_map_310k.tif", str(data))
    elif kind == "corrupt":
        data.mkdir()
        product.write_corrupt_copy(
            europe_dir / "embed_map_310k.tif", data / "embed_map_310k.tif", 0.02
        )
        words = ("embed_map_310k.tif",)
    else:
        data = europe_dir
        from rs_embed_qgis.bridge import jobs

        def boom(*args, **kwargs):
            raise ZeroDivisionError("synthetic bug")

        monkeypatch.setattr(jobs, "embed_area", boom)  # looked up when the algorithm runs
        words = ("ZeroDivisionError", "synthetic bug", "log")
    out = tmp_path / "grid.tif"
    with pytest.raises(QgsProcessingException) as ei:
        run(
            "rs_embed:embed_extent",
            {"EXTENT": "5,6,48,49 [EPSG:4326]", "DATA_DIR": str(data), "OUTPUT": str(out)},
        )
    text = one_line(ei.value)
    for w in words:
        assert w in text, (w, text)
    assert not out.exists()
