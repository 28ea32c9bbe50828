"""processing.run("rs_embed:similarity_map|similar_places|cluster|classify") against the fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsRasterLayer,
    QgsRectangle,
    QgsReferencedRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtTest import QTest

from rs_embed_qgis.bridge.explore_outputs import (
    class_values,
    palette,
    score_renderer,
    write_score_geotiff,
)
from rs_embed_qgis.bridge.outputs import field_type
from rs_embed_qgis.core.adapter import open_source
from rs_embed_qgis.core.grid import Window
from rs_embed_qgis.processing.provider import RsEmbedProvider
from tests import product
from tests.conftest import EUROPE
from tests.core.expected import lloyd_inertia, partition_quality, window_pixels
from tests.qgis.util import wait_for

WIN = Window(*EUROPE)


class CancellingFeedback(QgsProcessingFeedback):
    """Cancels itself after ``after`` isCanceled() calls; keeps the log."""

    def __init__(self, after: int | None = None) -> None:
        super().__init__()
        self.after = after
        self.calls = 0
        self.infos: list[str] = []

    def pushInfo(self, text: str) -> None:  # noqa: N802 - QGIS API
        self.infos.append(text)

    def isCanceled(self) -> bool:  # noqa: N802
        self.calls += 1
        if self.after is not None and self.calls > self.after:
            self.cancel()
        return super().isCanceled()


@pytest.fixture(scope="module")
def provider(qgis_processing):
    prov = RsEmbedProvider()
    assert QgsApplication.processingRegistry().addProvider(prov)
    yield prov
    QgsApplication.processingRegistry().removeProvider(prov)


def run(alg: str, params: dict, feedback=None) -> dict:
    import processing

    return processing.run(alg, params, feedback=feedback)


def lonlat(row: int, col: int) -> tuple[float, float]:
    return -180.0 + 0.25 * col, 90.0 - 0.25 * row


def truth() -> tuple[np.ndarray, np.ndarray]:
    rr, cc = np.meshgrid(
        np.arange(WIN.row0, WIN.row1), np.arange(WIN.col0, WIN.col1), indexing="ij"
    )
    land = product.land_mask(rr, cc)
    vals = product.pixel_values(rr, cc).astype(np.float64)
    vals[~land] = 0
    return vals, land


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance on the sphere of the IUGG mean radius (written for the test)."""
    import math

    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


def points_layer(pixels, labels=None, crs: str = "EPSG:4326", kind: str = "String"):
    layer = QgsVectorLayer(f"Point?crs={crs}", "pts", "memory")
    pr = layer.dataProvider()
    pr.addAttributes([QgsField("cls", field_type(kind))])
    layer.updateFields()
    feats = []
    for i, (r, c) in enumerate(pixels):
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*lonlat(r, c))))
        f.setAttributes([None if labels is None else labels[i]])
        feats.append(f)
    pr.addFeatures(feats)
    return layer


def read(path: str) -> tuple[np.ndarray, object]:
    with rasterio.open(path) as src:
        return src.read(1), src


def test_similarity_map_equals_cosine_on_the_product_grid(provider, europe_dir, tmp_path) -> None:
    vals, land = truth()
    out = str(tmp_path / "sim.tif")
    res = run(
        "rs_embed:similarity_map",
        {
            "REFERENCES": points_layer([(160, 760), (150, 700)]),
            "COMBINE": 2,  # maximum over references
            "DATA_DIR": str(europe_dir),
            "OUTPUT": out,
        },
    )
    assert res["OUTPUT"] == out
    with rasterio.open(out) as src:
        arr = src.read(1)
        assert src.dtypes[0] == "float32"
        assert src.crs.to_epsg() == 4326
        t = src.transform
        assert (t.a, t.e, t.c, t.f) == (0.25, -0.25, -180.125 + 0.25 * 680, 90.125 - 0.25 * 120)
    assert arr.shape == WIN.shape
    assert np.array_equal(np.isnan(arr), ~land)
    refs = [vals[160 - 120, 760 - 680], vals[150 - 120, 700 - 680]]
    x = vals[land]
    cos = np.stack([x @ r / (np.linalg.norm(x, axis=1) * np.linalg.norm(r)) for r in refs])
    np.testing.assert_allclose(arr[land], cos.max(0), atol=2e-6)
    assert arr[160 - 120, 760 - 680] == pytest.approx(1.0, abs=1e-6)


def test_similarity_map_reference_extent_scope_and_euclidean(provider, europe_dir, tmp_path):
    vals, land = truth()
    out = str(tmp_path / "sim_box.tif")
    # A reference box on pixel edges (rows 150..152, cols 700..702) in EPSG:3857.
    crs = QgsCoordinateReferenceSystem("EPSG:3857")
    from qgis.core import QgsCoordinateTransform, QgsProject

    ct = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"), crs, QgsProject.instance()
    )
    x0, y1 = -180.125 + 0.25 * 700, 90.125 - 0.25 * 150
    x1, y0 = -180.125 + 0.25 * 702, 90.125 - 0.25 * 152
    rect = ct.transformBoundingBox(QgsRectangle(x0, y0, x1, y1))
    run(
        "rs_embed:similarity_map",
        {
            "REFERENCE_EXTENT": QgsReferencedRectangle(rect, crs),
            "METRIC": 1,
            "SCOPE": "0,10,45,50 [EPSG:4326]",
            "DATA_DIR": str(europe_dir),
            "OUTPUT": out,
        },
    )
    from rs_embed_qgis.core.grid import cell_areas_m2

    w = np.repeat(cell_areas_m2(np.arange(150, 152)), 2)
    ref = (w[:, None] * vals[30:32, 20:22].reshape(-1, 768)).sum(0) / w.sum()
    with rasterio.open(out) as src:
        arr = src.read(1)
        col0 = round((src.transform.c + 180.125) / 0.25)
        row0 = round((90.125 - src.transform.f) / 0.25)
    assert (row0, col0) == (160, 720)  # lat 50 .. 45, lon 0 .. 10 snapped outward
    sub_v = vals[row0 - 120 : row0 - 120 + arr.shape[0], col0 - 680 : col0 - 680 + arr.shape[1]]
    sub_l = land[row0 - 120 : row0 - 120 + arr.shape[0], col0 - 680 : col0 - 680 + arr.shape[1]]
    expect = -np.linalg.norm(sub_v[sub_l] - ref, axis=1)
    np.testing.assert_allclose(arr[sub_l], expect, rtol=1e-5, atol=1e-4)


def test_similarity_map_areas_above_threshold(provider, europe_dir, tmp_path) -> None:
    from rs_embed_qgis.core.grid import cell_areas_m2

    vals, land = truth()
    ref = vals[160 - 120, 760 - 680]
    x = vals[land]
    cos = np.full(land.shape, -2.0)
    cos[land] = x @ ref / (np.linalg.norm(x, axis=1) * np.linalg.norm(ref))
    above = cos >= 0.995
    fb = CancellingFeedback()
    res = run(
        "rs_embed:similarity_map",
        {
            "REFERENCES": points_layer([(160, 760)]),
            "THRESHOLD": 0.995,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": str(tmp_path / "sim_areas.tif"),
            "OUTPUT_AREAS": "memory:",
        },
        fb,
    )
    layer = res["OUTPUT_AREAS"]
    assert layer.crs().authid() == "EPSG:4326"
    feats = list(layer.getFeatures())
    assert feats
    rows = np.nonzero(above)[0] + 120
    expect_km2 = float(cell_areas_m2(rows).sum()) / 1e6
    assert sum(f["area_km2"] for f in feats) == pytest.approx(expect_km2, rel=1e-9)
    assert sum(f["pixels"] for f in feats) == int(above.sum())
    # The polygons cover exactly the pixels above the threshold (lon/lat area).
    deg2 = sum(f.geometry().area() for f in feats)
    assert deg2 == pytest.approx(0.0625 * above.sum())
    assert any("areas at or above" in t for t in fb.infos)


def test_similarity_map_clear_errors(provider, europe_dir, tmp_path) -> None:
    with pytest.raises(QgsProcessingException, match="No reference"):
        run(
            "rs_embed:similarity_map",
            {"DATA_DIR": str(europe_dir), "OUTPUT": str(tmp_path / "a.tif")},
        )
    with pytest.raises(QgsProcessingException, match="ocean"):
        run(
            "rs_embed:similarity_map",
            {
                "REFERENCES": points_layer([(190, 700)]),
                "DATA_DIR": str(europe_dir),
                "OUTPUT": str(tmp_path / "b.tif"),
            },
        )
    assert not (tmp_path / "a.tif").exists() and not (tmp_path / "b.tif").exists()


def test_cancel_leaves_no_output(provider, europe_dir, tmp_path) -> None:
    for alg, extra in (
        ("rs_embed:similarity_map", {"REFERENCES": points_layer([(160, 760)])}),
        ("rs_embed:cluster", {"K": 3}),
    ):
        out = tmp_path / f"{alg.split(':')[1]}.tif"
        fb = CancellingFeedback(after=2)
        with pytest.raises(QgsProcessingException, match="Cancel"):
            run(alg, {**extra, "DATA_DIR": str(europe_dir), "OUTPUT": str(out)}, fb)
        assert not out.exists()
        assert not (tmp_path / f"{out.name}.aux.xml").exists()


def test_cluster_raster_and_table(provider, europe_dir, tmp_path) -> None:
    vals, land = truth()
    out = str(tmp_path / "clusters.tif")
    res = run(
        "rs_embed:cluster",
        {"K": 4, "SEED": 2, "DATA_DIR": str(europe_dir), "OUTPUT": out, "OUTPUT_TABLE": "memory:"},
    )
    with rasterio.open(out) as src:
        arr = src.read(1)
        assert src.dtypes[0] == "uint16"
        assert src.nodata == 0
        cmap = src.colormap(1)
    assert np.array_equal(arr == 0, ~land)
    assert set(np.unique(arr[land])) == {1, 2, 3, 4}
    for i, rgb in enumerate(palette(4), start=1):
        assert cmap[i][:3] == rgb
    # Independent checks from the fixture's own pixels (not the plugin's k-means):
    x = vals[land]
    labels = arr[land].astype(int) - 1
    inertia, misplaced = partition_quality(x, labels, 4)
    # A k-means partition: every pixel at the nearest of its clusters' means, but for the
    # few the stopping rule (an iteration gaining < 1e-6 of the inertia) leaves behind.
    assert misplaced <= 0.001 * len(x), misplaced
    # As good as the best of 10 runs of the test's own Lloyd's k-means.
    best = min(lloyd_inertia(x, 4, seed) for seed in range(10))
    assert inertia <= best * (1 + 1e-4), (inertia, best)
    table = res["OUTPUT_TABLE"]
    rows = sorted((f["cluster"], f["pixels"], f["share"]) for f in table.getFeatures())
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert sum(r[1] for r in rows) == int(land.sum())
    assert [r[1] for r in rows] == [int((arr == i).sum()) for i in range(1, 5)]
    assert sum(r[2] for r in rows) == pytest.approx(1.0)
    layer = QgsRasterLayer(out, "clusters")
    assert layer.isValid()
    assert layer.renderer().type() == "paletted"


def test_loaded_cluster_and_class_rasters_list_only_their_classes(
    provider, europe_dir, tmp_path, qgis_iface, qgis_new_project, monkeypatch
) -> None:
    """Loaded by Processing (as the toolbox does), the legend names the k classes, not 65536."""
    import processing
    from qgis.core import QgsLayerTreeModel, QgsPalettedRasterRenderer, QgsProject
    from qgis.gui import QgsLayerTreeView

    # QGIS >= 3.40 places loaded results next to the layer tree view's current node; the
    # pytest-qgis iface has no view: give it a real one on the project's tree.
    view = QgsLayerTreeView()
    view.setModel(QgsLayerTreeModel(QgsProject.instance().layerTreeRoot(), view))
    monkeypatch.setattr(qgis_iface, "layerTreeView", lambda: view, raising=False)

    processing.runAndLoadResults(
        "rs_embed:cluster",
        {"K": 3, "SEED": 1, "DATA_DIR": str(europe_dir), "OUTPUT": str(tmp_path / "k3.tif")},
    )
    processing.runAndLoadResults(
        "rs_embed:classify",
        {
            "TRAINING": training_layer(),
            "CLASS_FIELD": "cls",
            "DATA_DIR": str(europe_dir),
            "OUTPUT": str(tmp_path / "classes.tif"),
        },
    )
    loaded = {
        Path(lyr.source()).name: lyr
        for lyr in QgsProject.instance().mapLayers().values()
        if isinstance(lyr, QgsRasterLayer)
    }
    for name, labels in (
        ("k3.tif", ["Cluster 1", "Cluster 2", "Cluster 3"]),
        ("classes.tif", sorted(REGIONS)),
    ):
        renderer = loaded[name].renderer()
        assert isinstance(renderer, QgsPalettedRasterRenderer), name
        assert sorted(c.label for c in renderer.classes()) == sorted(labels)


def test_similar_places_points(provider, europe_dir) -> None:
    vals, _land = truth()
    res = run(
        "rs_embed:similar_places",
        {
            "REFERENCES": points_layer([(160, 760)]),
            "K": 6,
            "MIN_DISTANCE_KM": 150.0,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": "memory:",
        },
    )
    layer = res["OUTPUT"]
    assert layer.crs().authid() == "EPSG:4326"
    feats = sorted(layer.getFeatures(), key=lambda f: f["rank"])
    assert [f["rank"] for f in feats] == list(range(1, 7))
    ref = vals[40, 80]
    for f in feats:
        r, c = f["row"], f["col"]
        assert (f["lon"], f["lat"]) == lonlat(r, c)
        p = f.geometry().asPoint()
        assert (p.x(), p.y()) == (f["lon"], f["lat"])
        v = vals[r - 120, c - 680]
        cos = float(v @ ref / (np.linalg.norm(v) * np.linalg.norm(ref)))
        assert f["similarity"] == pytest.approx(cos, abs=2e-6)
    assert feats[0]["similarity"] == pytest.approx(1.0, abs=1e-6)
    for i, a in enumerate(feats):
        for b in feats[:i]:
            assert haversine_km(a["lon"], a["lat"], b["lon"], b["lat"]) >= 150.0


def test_similar_places_builds_and_uses_the_index(
    provider, europe_dir, tmp_path, monkeypatch
) -> None:
    from rs_embed_qgis.core import cache_paths
    from rs_embed_qgis.core.index import index_dir, load_index

    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path))

    info = open_source(str(europe_dir), download=False).reader.info
    params = {
        "REFERENCES": points_layer([(160, 760), (130, 820)]),
        "COMBINE": 2,
        "K": 8,
        "MIN_DISTANCE_KM": 120.0,
        "DATA_DIR": str(europe_dir),
        "OUTPUT": "memory:",
    }
    plain = run("rs_embed:similar_places", {**params, "USE_INDEX": False})["OUTPUT"]
    fb = CancellingFeedback()
    built = run("rs_embed:similar_places", {**params, "BUILD_INDEX": True}, fb)["OUTPUT"]
    assert any("index: used" in t for t in fb.infos), fb.infos
    assert load_index(info) is not None and index_dir(info).is_dir()
    assert index_dir(info).parent.parent == tmp_path

    def rows(layer):
        return [
            (f["rank"], f["row"], f["col"], round(f["similarity"], 6)) for f in layer.getFeatures()
        ]

    assert sorted(rows(built)) == sorted(rows(plain))


def test_similarity_map_from_the_index_is_approximate_within_its_stated_bound(
    provider, europe_dir, tmp_path, monkeypatch
) -> None:
    from rs_embed_qgis.core import cache_paths

    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path))
    vals, land = truth()
    ref = vals[160 - 120, 760 - 680]
    x = vals[land]
    exact = x @ ref / (np.linalg.norm(x, axis=1) * np.linalg.norm(ref))
    params = {
        "REFERENCES": points_layer([(160, 760)]),
        "DATA_DIR": str(europe_dir),
        "BUILD_INDEX": True,
    }

    def tags(path: str) -> str:
        with rasterio.open(path) as src:
            return repr(src.tags())

    # Off by default: exact scores, whatever BUILD_INDEX says.
    out = str(tmp_path / "exact.tif")
    run("rs_embed:similarity_map", {**params, "OUTPUT": out})
    np.testing.assert_allclose(read(out)[0][land], exact, atol=2e-6)
    assert "exact" in tags(out) and "approximate" not in tags(out)
    fb = CancellingFeedback()
    out = str(tmp_path / "approx.tif")
    run("rs_embed:similarity_map", {**params, "USE_INDEX": True, "OUTPUT": out}, fb)
    said = [t for t in fb.infos if t.startswith("Scores from the search index")]
    assert len(said) == 1, fb.infos
    bound = float(said[0].rsplit(" ", 1)[1])
    assert 0 < bound < 0.01
    got = read(out)[0]
    assert np.array_equal(np.isnan(got), ~land)
    assert np.abs(got[land] - exact).max() <= bound * 1.01 + 1e-7
    assert "approximate" in tags(out)


REGIONS = {
    "belt": (range(120, 140, 3), range(805, 840, 3)),
    "west": (range(145, 175, 3), range(680, 715, 3)),
    "east": (range(145, 175, 3), range(800, 840, 3)),
}


def training_layer(int_labels: bool = False) -> QgsVectorLayer:
    pixels, labels = [], []
    for i, (name, (rows, cols)) in enumerate(REGIONS.items()):
        for r in rows:
            for c in cols:
                pixels.append((r, c))
                labels.append(10 * (i + 1) if int_labels else name)
    return points_layer(pixels, labels, kind="Int" if int_labels else "String")


def test_classify_outputs_accuracy_and_confusion(provider, europe_dir, tmp_path) -> None:
    _vals, land = truth()
    out = str(tmp_path / "classes.tif")
    conf = str(tmp_path / "confidence.tif")
    fb = CancellingFeedback()
    layer = training_layer()
    res = run(
        "rs_embed:classify",
        {
            "TRAINING": layer,
            "CLASS_FIELD": "cls",
            "CLASSIFIER": 1,
            "FOLDS": 4,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": out,
            "OUTPUT_CONFIDENCE": conf,
            "OUTPUT_CONFUSION": "memory:",
        },
        fb,
    )
    assert any("accuracy" in t and "100.0%" in t for t in fb.infos), fb.infos
    with rasterio.open(out) as src:
        arr = src.read(1)
        assert src.nodata == 0
        assert src.dtypes[0] == "uint16"
    assert np.array_equal(arr == 0, ~land)
    # String labels -> 1..C in sorted order: belt 1, east 2, west 3.
    assert arr[130 - 120, 820 - 680] == 1
    assert arr[160 - 120, 820 - 680] == 2
    assert arr[160 - 120, 700 - 680] == 3
    with rasterio.open(conf) as src:
        c = src.read(1)
    assert np.array_equal(np.isnan(c), ~land)
    assert np.nanmin(c) >= 0 and np.nanmax(c) <= 1
    table = res["OUTPUT_CONFUSION"]
    rows = {
        f["true_class"]: [f["pred_belt"], f["pred_east"], f["pred_west"]]
        for f in table.getFeatures()
    }
    assert sum(sum(r) for r in rows.values()) == layer.featureCount()
    n = {k: len(rr) * len(cc) for k, (rr, cc) in REGIONS.items()}
    # 100 % accuracy: a diagonal matrix of the training pixels of each class.
    assert rows == {
        "belt": [n["belt"], 0, 0],
        "east": [0, n["east"], 0],
        "west": [0, 0, n["west"]],
    }


def test_classify_integer_labels_and_one_sample_class(provider, europe_dir, tmp_path) -> None:
    out = str(tmp_path / "int_classes.tif")
    run(
        "rs_embed:classify",
        {
            "TRAINING": training_layer(int_labels=True),
            "CLASS_FIELD": "cls",
            "CLASSIFIER": 0,
            "FOLDS": 0,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": out,
        },
    )
    with rasterio.open(out) as src:
        arr = src.read(1)
        assert src.nodata == 65535
    assert set(np.unique(arr)) <= {10, 20, 30, 65535}
    assert arr[160 - 120, 700 - 680] == 20
    assert class_values([10, 20, 30]) == ([10, 20, 30], 65535)
    assert class_values(["a", "b"]) == ([1, 2], 0)
    bad = points_layer([(160, 760), (161, 760), (130, 820)], ["a", "a", "b"])
    with pytest.raises(QgsProcessingException, match="only one training pixel"):
        run(
            "rs_embed:classify",
            {
                "TRAINING": bad,
                "CLASS_FIELD": "cls",
                "DATA_DIR": str(europe_dir),
                "OUTPUT": str(tmp_path / "bad.tif"),
            },
        )
    assert not (tmp_path / "bad.tif").exists()


def alpha(block, row: int, col: int) -> int:
    from qgis.PyQt.QtGui import QColor

    return QColor.fromRgba(block.color(row, col)).alpha()


def test_threshold_renderer_hides_pixels_below(qgis_iface, tmp_path) -> None:
    scores = np.array([[0.1, 0.5], [0.9, np.nan]], dtype=np.float32)
    path = write_score_geotiff(scores, Window(100, 102, 700, 702), str(tmp_path / "s.tif"))
    layer = QgsRasterLayer(path, "s")
    assert layer.isValid()
    renderer = score_renderer(layer, 0.1, 0.9, threshold=0.6)
    block = renderer.block(1, layer.extent(), 2, 2)
    assert alpha(block, 0, 0) == 0  # 0.1 < threshold
    assert alpha(block, 0, 1) == 0  # 0.5 < threshold
    assert alpha(block, 1, 0) == 255  # 0.9 shown
    assert alpha(block, 1, 1) == 0  # no data
    shown = score_renderer(layer, 0.1, 0.9)
    block = shown.block(1, layer.extent(), 2, 2)
    assert alpha(block, 0, 0) == 255 and alpha(block, 0, 1) == 255


# --------------------------------------------------------------------------- the panel


@pytest.fixture()
def panel(qgis_iface, qgis_new_project, europe_dir):
    from rs_embed_qgis.gui.explore_panel import SCOPE_ALL, ExplorePanel

    p = ExplorePanel(qgis_iface)
    p.set_data_dir(str(europe_dir))
    p.scope_combo.setCurrentIndex(p.scope_combo.findData(SCOPE_ALL))
    yield p
    p.cancel()
    wait_for(lambda: not p.tasks)
    p.deleteLater()


def test_panel_similarity_map_and_live_threshold(panel) -> None:
    from qgis.core import QgsProject

    _vals, land = truth()
    seen: list = []
    panel.similarity_layer_ready.connect(seen.append)
    assert not panel.similarity_button.isEnabled()
    panel.add_point_reference(*lonlat(160, 760))
    panel.add_point_reference(*lonlat(150, 700))
    assert panel.ref_list.count() == 2 and panel.similarity_button.isEnabled()
    panel.ref_list.setCurrentRow(1)
    panel.remove_selected_references()
    assert panel.references() == [lonlat(160, 760)]
    panel.compute_similarity()
    wait_for(lambda: not panel.tasks)
    assert len(seen) == 1, panel.status.text()
    layer = seen[0]
    assert layer.id() in QgsProject.instance().mapLayers()
    with rasterio.open(layer.source()) as src:
        arr = src.read(1)
    assert np.array_equal(np.isnan(arr), ~land)
    assert arr[40, 80] == pytest.approx(1.0, abs=1e-6)
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    assert panel._range == pytest.approx((lo, hi))
    # The threshold only swaps the renderer (its speed is measured by make bench).
    changed: list = []
    panel.threshold_changed.connect(changed.append)
    panel.set_threshold(0.99)
    assert changed and changed[-1] == pytest.approx(0.99, abs=(hi - lo) / 1000)
    renderer = layer.renderer()
    assert renderer.type() == "singlebandpseudocolor"
    assert renderer.classificationMin() == pytest.approx(changed[-1])
    block = renderer.block(1, layer.extent(), arr.shape[1], arr.shape[0])
    below = (arr < changed[-1] - 1e-6) & land
    assert below.any()
    r, c = np.argwhere(below)[0]
    assert alpha(block, int(r), int(c)) == 0
    assert alpha(block, 40, 80) == 255
    panel.set_threshold(None)
    assert panel.threshold() is None
    assert layer.renderer().classificationMin() == pytest.approx(lo)


def test_panel_areas_above_threshold(panel) -> None:
    ready: list = []
    panel.areas_layer_ready.connect(ready.append)
    assert not panel.areas_button.isEnabled()
    panel.add_point_reference(*lonlat(160, 760))
    panel.compute_similarity()
    wait_for(lambda: not panel.tasks)
    assert panel.areas_button.isEnabled()
    panel.set_threshold(0.995)
    t = panel.threshold()
    panel.areas_above_threshold()
    wait_for(lambda: not panel.tasks)
    assert len(ready) == 1, panel.status.text()
    layer = ready[0]
    feats = list(layer.getFeatures())
    scores = panel.similarity_result.scores
    n_above = int((np.nan_to_num(scores, nan=-2.0) >= t).sum())
    assert sum(f["pixels"] for f in feats) == n_above
    assert "km²" in panel.status.text()


def test_panel_places_and_clusters(panel) -> None:
    places: list = []
    clusters: list = []
    panel.places_layer_ready.connect(places.append)
    panel.cluster_layer_ready.connect(clusters.append)
    panel.add_point_reference(*lonlat(160, 760))
    panel.places_skip_refs.setChecked(False)  # the reference itself ranks first
    panel.places_k.setValue(4)
    panel.places_km.setValue(150)
    panel.find_places()
    panel.cluster_k.setValue(3)
    panel.run_clustering()
    wait_for(lambda: not panel.tasks)
    assert len(places) == 1 and len(clusters) == 1, panel.status.text()
    feats = sorted(places[0].getFeatures(), key=lambda f: f["rank"])
    assert [f["rank"] for f in feats] == [1, 2, 3, 4]
    assert (feats[0]["row"], feats[0]["col"]) == (160, 760)
    with rasterio.open(clusters[0].source()) as src:
        arr = src.read(1)
        row0, col0 = (
            round((90.125 - src.transform.f) / 0.25),
            round((src.transform.c + 180.125) / 0.25),
        )
    assert set(np.unique(arr)) == {0, 1, 2, 3}
    # A k-means partition of the fixture's own pixels (see test_cluster_raster_and_table).
    x, land = window_pixels(row0, row0 + arr.shape[0], col0, col0 + arr.shape[1])
    assert np.array_equal(arr == 0, ~land)
    assert partition_quality(x[land], arr[land].astype(int) - 1, 3)[1] <= 0.001 * land.sum()


def test_panel_search_index_for_maps_and_places(panel, tmp_path, monkeypatch) -> None:
    """Ticked: built once in the task; map scores within the stated bound, places exact."""
    from rs_embed_qgis.core import cache_paths
    from rs_embed_qgis.core.index import index_dir

    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path))
    vals, land = truth()
    ref = vals[160 - 120, 760 - 680]
    x = vals[land]
    exact = x @ ref / (np.linalg.norm(x, axis=1) * np.linalg.norm(ref))
    maps: list = []
    places: list = []
    panel.similarity_layer_ready.connect(maps.append)
    panel.places_layer_ready.connect(places.append)
    panel.add_point_reference(*lonlat(160, 760))
    panel.places_k.setValue(5)
    panel.places_km.setValue(150)
    panel.find_places()  # without the index: the reference answer
    wait_for(lambda: not panel.tasks)
    panel.show()
    QTest.mouseClick(panel.index_check, Qt.MouseButton.LeftButton)
    assert panel.index_check.isChecked()
    panel.compute_similarity()
    wait_for(lambda: not panel.tasks)
    assert len(maps) == 1, panel.status.text()
    assert "search index" in panel.status.text()
    assert any(index_dir(open_source(str(panel.data_dir())).reader.info).glob("*.npy"))
    bound = panel.similarity_result.max_error
    assert 0 < bound < 0.01 and panel.similarity_result.approximate
    with rasterio.open(maps[0].source()) as src:
        arr = src.read(1)
        assert "approximate" in repr(src.tags())
    assert np.array_equal(np.isnan(arr), ~land)
    assert np.abs(arr[land] - exact).max() <= bound + 1e-6
    panel.find_places()
    wait_for(lambda: not panel.tasks)
    assert len(places) == 2

    def rows(layer):
        return sorted(
            (f["rank"], f["row"], f["col"], round(f["similarity"], 6)) for f in layer.getFeatures()
        )

    assert rows(places[1]) == rows(places[0])


def test_panel_similarity_from_point(panel) -> None:
    seen: list = []
    panel.similarity_layer_ready.connect(seen.append)
    panel.add_point_reference(*lonlat(150, 700))
    panel.similarity_from_point(*lonlat(160, 760))
    assert panel.references() == [lonlat(150, 700)]  # the user's list is kept
    wait_for(lambda: not panel.tasks)
    with rasterio.open(seen[0].source()) as src:
        assert src.read(1)[40, 80] == pytest.approx(1.0, abs=1e-6)


def test_panel_cancel_and_errors(panel) -> None:
    messages: list = []
    panel.message.connect(lambda text, level: messages.append(text))
    assert panel.compute_similarity() is None
    assert "reference" in messages[-1]
    panel.add_point_reference(*lonlat(190, 700))  # ocean
    panel.compute_similarity()
    wait_for(lambda: not panel.tasks)
    assert "ocean" in messages[-1]
    assert panel.similarity_layer is None
    panel.clear_references()
    assert panel.references() == [] and not panel.similarity_button.isEnabled()
    panel.add_point_reference(*lonlat(160, 760))
    task = panel.compute_similarity()
    task.cancel()
    wait_for(lambda: not panel.tasks)
    assert panel.similarity_layer is None


def test_classify_with_an_all_null_class_field_names_the_field(provider, europe_dir, tmp_path):
    """A class field NULL everywhere is said as such, not as "every sample is over ocean"."""
    layer = points_layer([(160, 760), (161, 760), (130, 820)])  # land pixels, no labels
    out = tmp_path / "null_classes.tif"
    with pytest.raises(QgsProcessingException) as info:
        run(
            "rs_embed:classify",
            {
                "TRAINING": layer,
                "CLASS_FIELD": "cls",
                "DATA_DIR": str(europe_dir),
                "OUTPUT": str(out),
            },
        )
    text = str(info.value)
    assert "'cls'" in text and "no values" in text and "all 3 features" in text, text
    assert "ocean" not in text
    assert not out.exists()
