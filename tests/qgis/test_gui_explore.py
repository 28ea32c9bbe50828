"""The dock's Explore tab through real map-tool events and widgets: references drawn as
markers, right-click similarity of the map extent, threshold areas, places that zoom,
clusters with their table, classification, a layer's extent as the scope, unload."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import rasterio
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.gui import QgsMapMouseEvent, QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QPoint, Qt
from qgis.PyQt.QtTest import QTest

from rs_embed_qgis import settings
from rs_embed_qgis.bridge.geometry import extent_to_spec
from rs_embed_qgis.core import explore
from rs_embed_qgis.core.specs import BBox
from rs_embed_qgis.gui.controller import GuiController
from rs_embed_qgis.gui.explore_panel import SCOPE_ALL, ExplorePanel
from tests import product
from tests.core.expected import partition_quality, window_pixels
from tests.qgis.util import fid_of, show_canvas, wait_for

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


@pytest.fixture()
def canvas(qgis_iface):
    """pytest-qgis's canvas, shown (in its main window) at 800 x 600 pixels."""
    yield show_canvas(qgis_iface)
    qgis_iface.mainWindow().hide()


@pytest.fixture()
def controller(qgis_iface, qgis_new_project, canvas, saved_setting, europe_dir):
    settings.set_data_dir_setting(str(europe_dir))
    ctl = GuiController(qgis_iface)
    ctl.setup()
    ctl.dock.show()
    wait_for(lambda: ctl.data_task is None)
    _view(canvas, "EPSG:3857", (10.0, 50.0), 600_000.0)
    yield ctl
    if ctl.explore is not None:
        ctl.explore.cancel()
        wait_for(lambda: ctl.explore is None or not ctl.explore.tasks)
    ctl.teardown()


def _view(canvas, authid: str, center: tuple[float, float], half: float) -> None:
    crs = QgsCoordinateReferenceSystem(authid)
    canvas.setDestinationCrs(crs)
    c = QgsCoordinateTransform(WGS84, crs, QgsProject.instance()).transform(QgsPointXY(*center))
    canvas.setExtent(QgsRectangle(c.x() - half, c.y() - half, c.x() + half, c.y() + half))
    QCoreApplication.processEvents()


def _event(canvas, kind, x: int, y: int, button=Qt.MouseButton.LeftButton) -> QgsMapMouseEvent:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    return QgsMapMouseEvent(
        canvas, kind, QPoint(x, y), button, buttons, Qt.KeyboardModifier.NoModifier
    )


def _click(tool, canvas, x: int, y: int, button=Qt.MouseButton.LeftButton) -> None:
    tool.canvasPressEvent(_event(canvas, QEvent.Type.MouseButtonPress, x, y, button))
    tool.canvasReleaseEvent(_event(canvas, QEvent.Type.MouseButtonRelease, x, y, button))


def _drag(tool, canvas, p0: tuple[int, int], p1: tuple[int, int]) -> None:
    tool.canvasPressEvent(_event(canvas, QEvent.Type.MouseButtonPress, *p0))
    tool.canvasMoveEvent(_event(canvas, QEvent.Type.MouseMove, *p1, Qt.MouseButton.NoButton))
    tool.canvasReleaseEvent(_event(canvas, QEvent.Type.MouseButtonRelease, *p1))


def _map_point(canvas, x: int, y: int) -> QgsPointXY:
    return QgsPointXY(canvas.getCoordinateTransform().toMapCoordinates(QPoint(x, y)))


def _lonlat(canvas, x: int, y: int) -> tuple[float, float]:
    ct = QgsCoordinateTransform(canvas.mapSettings().destinationCrs(), WGS84, QgsProject.instance())
    q = ct.transform(_map_point(canvas, x, y))
    return q.x(), q.y()


def _pixel(lon: float, lat: float) -> tuple[int, int]:
    """Global (row, col) of the product pixel holding lon/lat (centres at multiples of 0.25)."""
    return int(np.floor((90.125 - lat) / 0.25)), int(np.floor((lon + 180.125) / 0.25))


def _bands(canvas) -> list[QgsRubberBand]:
    return [i for i in canvas.scene().items() if isinstance(i, QgsRubberBand)]


def _visible_bands(canvas) -> list[QgsRubberBand]:
    return [b for b in _bands(canvas) if b.numberOfVertices() > 0]


def _marker_point(band: QgsRubberBand) -> tuple[float, float]:
    """The point of a point marker (a point rubber band's geometry is a multipoint)."""
    (p,) = band.asGeometry().asMultiPoint()
    return p.x(), p.y()


def _read(path: str) -> tuple[np.ndarray, int, int]:
    """Band 1 and the global (row0, col0) of its top-left pixel."""
    with rasterio.open(path) as src:
        t = src.transform
        arr = src.read(1)
    return arr, round((90.125 - t.f) / 0.25), round((t.c + 180.125) / 0.25)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_the_explore_tab_holds_the_panel_and_fits_350_px(controller):
    d = controller.dock
    assert isinstance(d.explore_panel, ExplorePanel) and d.explore_panel is controller.explore
    assert d.tabs.count() == 2 and d.tabs.tabText(1) == "Explore"
    # The panel reads the data directory the dock uses.
    assert controller.explore.data_dir() == d.data_dir() == settings.data_dir_setting()
    d.resize(350, 700)
    d.show_explore()
    QCoreApplication.processEvents()
    body = d.explore_scroll.widget()
    assert body.minimumSizeHint().width() <= 350 - 30
    assert d.explore_scroll.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    # At QGIS's narrower default (~300 px, seen in a real window) long choices still read
    # in full: their labels sit above them.
    d.setFloating(True)
    d.resize(300, 700)
    d.show()
    panel = controller.explore
    wait_for(lambda: d.width() <= 310 and panel.classifier_combo.width() > 0)
    for combo, text in (
        (panel.classifier_combo, "Logistic regression"),
        (panel.scope_combo, "Whole globe"),
        (panel.combine_combo, "Max over references"),
    ):
        i = combo.findText(text, Qt.MatchFlag.MatchStartsWith)
        assert i >= 0, text
        # The width the combo asks for to show its longest item whole.
        assert combo.width() >= combo.sizeHint().width(), (text, combo.width())


def test_clicks_and_drags_become_references_with_markers(controller, canvas):
    panel, tool = controller.explore, controller.ref_tool
    before = len(_visible_bands(canvas))
    controller.dock.reference_button.click()
    assert canvas.mapTool() is tool

    _click(tool, canvas, 400, 300)
    lon, lat = _lonlat(canvas, 400, 300)
    assert panel.references() == [pytest.approx((lon, lat))]
    assert len(_visible_bands(canvas)) == before + 1
    marker = _marker_point(controller.markers[0][1])
    expected = _map_point(canvas, 400, 300)
    assert marker == pytest.approx((expected.x(), expected.y()), abs=1e-3)

    _drag(tool, canvas, (100, 100), (250, 220))
    rect = QgsRectangle(_map_point(canvas, 100, 100), _map_point(canvas, 250, 220))
    spec = extent_to_spec(rect, canvas.mapSettings().destinationCrs(), QgsProject.instance())
    assert isinstance(spec, BBox)
    ref = panel.references()[1]
    assert isinstance(ref, BBox) and ref.as_tuple() == pytest.approx(spec.as_tuple())
    assert len(_visible_bands(canvas)) == before + 2
    box = controller.markers[1][1].asGeometry().boundingBox()
    assert box.xMinimum() == pytest.approx(rect.xMinimum(), rel=1e-6)
    assert box.yMaximum() == pytest.approx(rect.yMaximum(), rel=1e-6)
    assert tool.band is None  # the drag band is gone: the marker stays

    # Another canvas CRS: the markers are drawn again in it, at the same lon/lat.
    _view(canvas, "EPSG:4326", (10.0, 50.0), 6.0)
    assert len(controller.markers) == 2
    assert _marker_point(controller.markers[0][1]) == pytest.approx((lon, lat), abs=1e-6)

    # Remove the first reference in the list: its marker goes, the box stays.
    panel.ref_list.setCurrentRow(0)
    panel.remove_selected_references()
    assert [r for r, _ in controller.markers] == [ref]
    assert len(_visible_bands(canvas)) == before + 1

    # Selected features of a layer in another CRS: marked too.
    layer = QgsVectorLayer("Point?crs=EPSG:3857", "pts", "memory")
    f = QgsFeature()
    merc = QgsCoordinateTransform(WGS84, layer.crs(), QgsProject.instance())
    f.setGeometry(QgsGeometry.fromPointXY(merc.transform(QgsPointXY(12.0, 48.0))))
    layer.dataProvider().addFeatures([f])
    QgsProject.instance().addMapLayer(layer)
    controller.iface.setActiveLayer(layer)
    layer.selectAll()
    assert panel.use_selected_features() == 1
    assert panel.references()[-1] == pytest.approx((12.0, 48.0))
    assert _marker_point(controller.markers[-1][1]) == pytest.approx((12.0, 48.0), abs=1e-6)
    assert panel.ref_list.item(panel.ref_list.count() - 1).text() == "pts feature 1"
    # A layer with names: each reference is listed under its feature's display name.
    world = QgsApplication.pkgDataPath() + "/resources/data/world_map.gpkg"
    countries = QgsVectorLayer(f"{world}|layername=countries", "countries", "ogr")
    countries.setDisplayExpression('"NAME"')
    QgsProject.instance().addMapLayer(countries)
    controller.iface.setActiveLayer(countries)
    countries.selectByIds([fid_of(countries, "Germany")])
    assert panel.use_selected_features() == 1
    assert panel.ref_list.item(panel.ref_list.count() - 1).text() == "Germany"

    panel.clear_button.click()
    assert panel.references() == [] and controller.markers == []
    assert len(_visible_bands(canvas)) == before


def test_right_click_colours_the_map_extent_by_similarity(controller, canvas):
    panel = controller.explore
    _choose_data(panel.scope_combo, SCOPE_ALL)  # the right-click maps the map extent anyway
    panel.add_point_reference(*_lonlat_of(130, 700))  # a reference the user built
    controller.dock.capture_button.click()  # the dock's rectangle tool
    tool = controller.rect_tool
    assert canvas.mapTool() is tool
    ready: list = []
    panel.similarity_layer_ready.connect(ready.append)
    _click(tool, canvas, 430, 260, Qt.MouseButton.RightButton)
    # Found in a real window: the right-click threw the user's references and scope away.
    assert panel.scope_combo.currentData() == SCOPE_ALL
    assert panel.references() == [_lonlat_of(130, 700)] and len(controller.markers) == 1
    assert controller.dock.tabs.currentWidget() is controller.dock.explore_scroll
    wait_for(lambda: not panel.tasks)
    assert len(ready) == 1, panel.status.text()

    layer = ready[0]
    assert layer.id() in QgsProject.instance().mapLayers()
    assert layer.renderer().type() == "singlebandpseudocolor"
    arr, row0, col0 = _read(layer.source())
    # The raster covers the map extent (a window of the product grid).
    ext = QgsCoordinateTransform(
        canvas.mapSettings().destinationCrs(), WGS84, QgsProject.instance()
    ).transformBoundingBox(canvas.extent())
    assert -180.125 + 0.25 * col0 <= ext.xMinimum() + 0.25
    assert 90.125 - 0.25 * row0 >= ext.yMaximum() - 0.25
    r, c = _pixel(*_lonlat(canvas, 430, 260))
    assert arr[r - row0, c - col0] == pytest.approx(1.0, abs=1e-6)
    ref = product.pixel_values(np.array(r), np.array(c))
    for r2, c2 in ((r + 5, c - 7), (row0 + 2, col0 + 3), (r - 3, c + 11)):
        assert product.land_mask(np.array(r2), np.array(c2))
        other = product.pixel_values(np.array(r2), np.array(c2))
        assert arr[r2 - row0, c2 - col0] == pytest.approx(_cos(ref, other), abs=2e-6)

    # Live threshold, then the areas above it: polygons with km², every pixel >= t counted.
    panel.set_threshold(0.995)
    t = panel.threshold()
    assert layer.renderer().classificationMin() == pytest.approx(t)
    areas: list = []
    panel.areas_layer_ready.connect(areas.append)
    panel.areas_button.click()
    wait_for(lambda: not panel.tasks)
    assert len(areas) == 1, panel.status.text()
    feats = list(areas[0].getFeatures())
    assert "area_km2" in areas[0].fields().names()
    assert sum(f["pixels"] for f in feats) == int((np.nan_to_num(arr, nan=-2.0) >= t).sum())
    assert all(f["area_km2"] > 0 for f in feats)
    hit = QgsGeometry.fromPointXY(QgsPointXY(-180.0 + 0.25 * c, 90.0 - 0.25 * r))
    assert any(f.geometry().intersects(hit) for f in feats)
    # One polygon here, said in the singular ("1 areas" before issue 19).
    assert len(feats) == 1
    assert panel.status.text().startswith("1 area, "), panel.status.text()


def test_places_zoom_on_selection_and_clusters_have_a_palette(controller, canvas):
    panel = controller.explore
    controller.dock.reference_button.click()
    _click(controller.ref_tool, canvas, 400, 300)
    r, c = _pixel(*_lonlat(canvas, 400, 300))
    _choose_data(panel.scope_combo, SCOPE_ALL)  # the whole fixture
    panel.places_k.setValue(3)
    panel.places_km.setValue(300)
    panel.places_skip_refs.setChecked(False)  # keep the reference: it ranks first
    places: list = []
    clusters: list = []
    panel.places_layer_ready.connect(places.append)
    panel.cluster_layer_ready.connect(clusters.append)
    panel.places_button.click()
    panel.cluster_k.setValue(4)
    panel.cluster_button.click()
    wait_for(lambda: not panel.tasks)
    assert len(places) == 1 and len(clusters) == 1, panel.status.text()

    layer = places[0]
    feats = sorted(layer.getFeatures(), key=lambda f: f["rank"])
    assert (feats[0]["row"], feats[0]["col"]) == (r, c)
    assert feats[0]["similarity"] == pytest.approx(1.0, abs=1e-6)
    second = feats[1]
    expected = _cos(
        product.pixel_values(np.array(r), np.array(c)),
        product.pixel_values(np.array(second["row"]), np.array(second["col"])),
    )
    assert second["similarity"] == pytest.approx(expected, abs=2e-6)
    layer.selectByIds([second.id()])
    QCoreApplication.processEvents()
    ext = QgsCoordinateTransform(
        canvas.mapSettings().destinationCrs(), WGS84, QgsProject.instance()
    ).transformBoundingBox(canvas.extent())
    p = second.geometry().asPoint()
    assert ext.contains(QgsPointXY(p.x(), p.y()))
    assert ext.height() < 2.5 and ext.width() < 6.0  # zoomed in on the place

    assert clusters[0].renderer().type() == "paletted"
    arr, r0, c0 = _read(clusters[0].source())
    assert set(np.unique(arr)) <= {0, 1, 2, 3, 4} and len(np.unique(arr)) == 5
    # A k-means partition of the fixture's own pixels: each at the nearest cluster mean but
    # for the few a converged fit's stopping rule leaves (tests/core/expected.py).
    x, land = window_pixels(r0, r0 + arr.shape[0], c0, c0 + arr.shape[1])
    assert np.array_equal(arr == 0, ~land)
    assert partition_quality(x[land], arr[land].astype(int) - 1, 4)[1] <= 0.001 * land.sum()


def test_unload_removes_markers_tools_and_the_panel(qgis_iface, canvas, controller):
    before = len(_bands(canvas))
    panel = controller.explore
    controller.dock.reference_button.click()
    _click(controller.ref_tool, canvas, 300, 200)
    _drag(controller.ref_tool, canvas, (500, 350), (600, 450))
    assert len(controller.markers) == 2
    assert len(_bands(canvas)) == before + 2
    main = qgis_iface.mainWindow()
    assert main.findChildren(ExplorePanel) == [panel]
    controller.teardown()
    # The two capture tools' bands and both markers are off the scene; the panel went too.
    assert len(_bands(canvas)) == before - 2
    assert controller.markers == [] and controller.explore is None
    assert main.findChildren(ExplorePanel) == []
    assert canvas.mapTool() is None


# --------------------------------------------------------------------------- scope, classes


MERC = QgsCoordinateReferenceSystem("EPSG:3857")


def _lonlat_of(row: int, col: int) -> tuple[float, float]:
    """Centre of a product pixel."""
    return -180.0 + 0.25 * col, 90.0 - 0.25 * row


def _to_merc(lon: float, lat: float) -> QgsPointXY:
    return QgsCoordinateTransform(WGS84, MERC, QgsProject.instance()).transform(
        QgsPointXY(lon, lat)
    )


def _area_layer(name: str, box: tuple[float, float, float, float]) -> QgsVectorLayer:
    """A polygon layer in EPSG:3857 holding one rectangle of the lon/lat box (in the project)."""
    layer = QgsVectorLayer("Polygon?crs=EPSG:3857", name, "memory")
    lo, hi = _to_merc(box[0], box[1]), _to_merc(box[2], box[3])
    f = QgsFeature()
    f.setGeometry(QgsGeometry.fromRect(QgsRectangle(lo, hi)))
    layer.dataProvider().addFeatures([f])
    layer.updateExtents()
    QgsProject.instance().addMapLayer(layer)
    return layer


def _expected_window(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the pixels whose cells meet the lon/lat box."""
    w, s, e, n = box
    return (
        int(np.floor((90.125 - n) / 0.25)),
        int(np.ceil((90.125 - s) / 0.25)),
        int(np.floor((w + 180.125) / 0.25)),
        int(np.ceil((e + 180.125) / 0.25)),
    )


def _choose(combo, text: str) -> None:
    """Pick an entry of a combo box by its text, as a user would."""
    i = combo.findText(text)
    assert i >= 0, (text, [combo.itemText(j) for j in range(combo.count())])
    combo.setCurrentIndex(i)


def _choose_data(combo, data) -> None:
    i = combo.findData(data)
    assert i >= 0, data
    combo.setCurrentIndex(i)


def _press(button) -> None:
    assert button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def _use_layer_scope(panel, layer) -> None:
    _choose(panel.scope_combo, "A layer's extent")
    assert panel.scope_layer_combo.isEnabled()
    _choose(panel.scope_layer_combo, layer.name())


def _files(panel) -> list[str]:
    return sorted(os.listdir(panel._folder)) if panel._folder else []


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


SCOPE_BOX = (1.1, 47.1, 24.9, 58.9)  # Europe and the south of the belt; edges inside pixels
REGIONS = {
    "belt": (range(120, 140, 5), range(805, 840, 6)),
    "west": (range(145, 175, 6), range(680, 715, 6)),
    "east": (range(145, 175, 6), range(800, 840, 6)),
}


def _training_layer(regions=REGIONS, name: str = "training") -> QgsVectorLayer:
    """Points in EPSG:3857 at pixel centres, class field "cls" (text), in the project."""
    layer = QgsVectorLayer("Point?crs=EPSG:3857&field=cls:string(20)", name, "memory")
    feats = []
    for label, (rows, cols) in regions.items():
        for r in rows:
            for c in cols:
                f = QgsFeature(layer.fields())
                f.setGeometry(QgsGeometry.fromPointXY(_to_merc(*_lonlat_of(r, c))))
                f.setAttributes([label])
                feats.append(f)
    layer.dataProvider().addFeatures(feats)
    layer.updateExtents()
    QgsProject.instance().addMapLayer(layer)
    return layer


def _training_pixels(regions=REGIONS) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Vectors and class index of each training point, in the layer's order; sorted classes."""
    classes = sorted(regions)
    xs, ys = [], []
    for label, (rows, cols) in regions.items():
        rr, cc = np.meshgrid(np.array(rows), np.array(cols), indexing="ij")
        assert product.land_mask(rr, cc).all()
        xs.append(product.pixel_values(rr.ravel(), cc.ravel()))
        ys += [classes.index(label)] * rr.size
    return np.concatenate(xs).astype(np.float64), np.array(ys), classes


def _centroids(x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    return _unit(np.stack([_unit(x[y == j]).mean(axis=0) for j in range(n)]))


def _cv_confusion(x: np.ndarray, y: np.ndarray, n: int, folds: int) -> np.ndarray:
    """Nearest-centroid cross-validation with whole features held out (one pixel each):
    per class, a permutation of its features (NumPy's generator, seed 0) dealt to folds."""
    rng = np.random.default_rng(0)
    fold = np.empty(y.size, dtype=int)
    for j in range(n):
        idx = np.nonzero(y == j)[0]  # each point is its own feature, in the layer's order
        for i, g in enumerate(rng.permutation(idx)):
            fold[g] = i % folds
    m = np.zeros((n, n), dtype=int)
    for f in range(folds):
        test = fold == f
        cent = _centroids(x[~test], y[~test], n)
        pred = np.argmax(_unit(x[test]) @ cent.T, axis=1)
        np.add.at(m, (y[test], pred), 1)
    return m


def test_classification_from_the_dock_over_a_layers_extent(controller):
    panel = controller.explore
    controller.dock.show_explore()
    _training_layer()
    area = _area_layer("area", SCOPE_BOX)
    # The training combo offers point and polygon layers only.
    line = QgsVectorLayer("LineString?crs=EPSG:4326&field=cls:string", "a line", "memory")
    QgsProject.instance().addMapLayer(line)
    assert panel.training_combo.findText("a line") < 0
    assert panel.training_combo.findText("training") >= 0
    _choose(panel.training_combo, "training")
    _choose(panel.class_field_combo, "cls")
    # The random forest is offered only where scikit-learn can be imported.
    offered = [panel.classifier_combo.itemData(i) for i in range(panel.classifier_combo.count())]
    assert offered == ["nearest_centroid", "logistic"] + (
        ["random_forest"] if explore.sklearn_available() else []
    )
    _choose_data(panel.classifier_combo, "nearest_centroid")
    panel.folds_spin.setValue(4)
    _use_layer_scope(panel, area)
    logged: list = []
    log = QgsApplication.messageLog()
    log.messageReceived.connect(lambda text, tag, level: logged.append((tag, text)))
    got: dict = {}
    panel.class_layer_ready.connect(lambda layer: got.setdefault("classes", layer))
    panel.confidence_layer_ready.connect(lambda layer: got.setdefault("confidence", layer))
    panel.confusion_layer_ready.connect(lambda layer: got.setdefault("confusion", layer))
    _press(panel.classify_button)
    assert panel.tasks
    wait_for(lambda: not panel.tasks)
    assert set(got) == {"classes", "confidence", "confusion"}, panel.status.text()

    # The class raster covers the layer's extent, snapped outward to whole pixels.
    row0, row1, col0, col1 = _expected_window(SCOPE_BOX)
    arr, r0, c0 = _read(got["classes"].source())
    assert (r0, c0, r0 + arr.shape[0], c0 + arr.shape[1]) == (row0, col0, row1, col1)
    # Nearest centroid, computed here from the fixture's pixels: classes 1..3 in sorted order.
    x, y, classes = _training_pixels()
    cent = _centroids(x, y, len(classes))
    rr, cc = np.meshgrid(np.arange(row0, row1), np.arange(col0, col1), indexing="ij")
    land = product.land_mask(rr, cc)
    cos = _unit(product.pixel_values(rr, cc)) @ cent.T
    expected = np.where(land, np.argmax(cos, axis=-1) + 1, 0)
    top2 = np.sort(cos, axis=-1)
    clear = land & (top2[..., -1] - top2[..., -2] > 1e-4)  # no float tie between two classes
    assert land.any() and clear.sum() > 0.99 * land.sum()
    assert np.array_equal(arr[clear], expected[clear])
    assert np.array_equal(arr == 0, ~land)
    assert set(np.unique(arr)) == {0, 1, 2, 3}
    conf, _, _ = _read(got["confidence"].source())
    assert np.array_equal(np.isnan(conf), ~land)
    assert conf[land] == pytest.approx(np.clip(cos.max(axis=-1), 0, 1)[land], abs=2e-5)

    # Its legend: the values of the class field, one entry per class.
    renderer = got["classes"].renderer()
    assert renderer.type() == "paletted"
    assert [(c.value, c.label) for c in renderer.classes()] == [
        (1.0, "belt"),
        (2.0, "east"),
        (3.0, "west"),
    ]
    for layer in got.values():
        assert layer.id() in QgsProject.instance().mapLayers()

    # The confusion matrix, computed here: in a table layer, the log and the status line.
    matrix = _cv_confusion(x, y, len(classes), 4)
    table = got["confusion"]
    rows = {f["true_class"]: [f[f"pred_{n}"] for n in classes] for f in table.getFeatures()}
    assert rows == {n: matrix[i].tolist() for i, n in enumerate(classes)}
    accuracy = np.trace(matrix) / matrix.sum()
    assert f"{accuracy:.1%}" in table.name() and f"{accuracy:.1%}" in panel.status.text()
    texts = [t for tag, t in logged if tag == "rs_embed"]
    assert any("accuracy" in t and f"{accuracy:.1%}" in t for t in texts), texts
    assert "belt\t" + "\t".join(str(v) for v in matrix[0]) in texts


def test_classification_bad_input_is_one_line_in_the_panel(controller):
    panel = controller.explore
    controller.dock.show_explore()
    messages: list = []
    panel.message.connect(lambda text, level: messages.append(text))
    before = set(QgsProject.instance().mapLayers())

    # No training layer.
    panel.training_combo.setLayer(None)
    _press(panel.classify_button)
    assert not panel.tasks and "training layer" in messages[-1]

    # A class with a single training point.
    one = {"belt": (range(120, 130, 3), range(805, 815, 3)), "lone": ([160], [760])}
    _training_layer(one, "one sample")
    _choose(panel.training_combo, "one sample")
    _choose(panel.class_field_combo, "cls")
    _choose(panel.scope_combo, "Whole globe")
    _press(panel.classify_button)
    wait_for(lambda: not panel.tasks)
    assert "lone" in messages[-1] and "only one training pixel" in messages[-1]

    # A layer's extent chosen as the scope, but no layer.
    _choose(panel.scope_combo, "A layer's extent")
    panel.scope_layer_combo.setLayer(None)
    _press(panel.classify_button)
    assert not panel.tasks and "layer whose extent" in messages[-1]

    # Every class NULL: said so, not "over ocean".
    empty = QgsVectorLayer("Point?crs=EPSG:4326&field=cls:string(20)", "no class", "memory")
    f = QgsFeature(empty.fields())
    f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(10.0, 50.0)))
    empty.dataProvider().addFeatures([f])
    QgsProject.instance().addMapLayer(empty)
    _choose(panel.scope_combo, "Whole globe")
    _choose(panel.training_combo, "no class")
    _choose(panel.class_field_combo, "cls")
    _press(panel.classify_button)
    wait_for(lambda: not panel.tasks)
    assert "class field 'cls' has no values" in messages[-1], messages[-1]
    assert "the only feature of the training layer" in messages[-1]

    for text in messages:
        assert "\n" not in text and "Traceback" not in text
    added = set(QgsProject.instance().mapLayers()) - before
    names = {QgsProject.instance().mapLayer(i).name() for i in added}
    assert names == {"one sample", "no class"}  # no result layer
    assert _files(panel) == []


def test_cancelled_classification_leaves_no_output(controller):
    panel = controller.explore
    controller.dock.show_explore()
    _training_layer()
    _choose(panel.training_combo, "training")
    _choose(panel.class_field_combo, "cls")
    _choose(panel.scope_combo, "Whole globe")
    before = set(QgsProject.instance().mapLayers())
    messages: list = []
    panel.message.connect(lambda text, level: messages.append(text))
    _press(panel.classify_button)
    task = panel.tasks[0]
    # Cancel in the worker, as soon as the cross-validation starts (10 %), before any write.
    task.progressChanged.connect(
        lambda p: task.cancel() if p >= 10 else None, Qt.ConnectionType.DirectConnection
    )
    wait_for(lambda: not panel.tasks)
    assert messages[-1] == "Cancelled."
    assert set(QgsProject.instance().mapLayers()) == before
    assert _files(panel) == []


def test_similarity_places_and_clusters_over_a_layers_extent(controller):
    panel = controller.explore
    controller.dock.show_explore()
    box = (4.1, 46.1, 15.9, 53.9)
    area = _area_layer("area", box)
    _use_layer_scope(panel, area)
    row0, row1, col0, col1 = _expected_window(box)
    r, c = 160, 760  # lon 10, lat 50
    panel.add_point_reference(*_lonlat_of(r, c))
    sims: list = []
    places: list = []
    clusters: list = []
    tables: list = []
    panel.similarity_layer_ready.connect(sims.append)
    panel.places_layer_ready.connect(places.append)
    panel.cluster_layer_ready.connect(clusters.append)
    panel.cluster_table_ready.connect(tables.append)
    panel.places_k.setValue(5)
    panel.places_km.setValue(0)
    panel.places_skip_refs.setChecked(False)  # keep the reference: it ranks first
    panel.cluster_k.setValue(3)
    _press(panel.similarity_button)
    _press(panel.places_button)
    _press(panel.cluster_button)
    wait_for(lambda: not panel.tasks)
    assert (len(sims), len(places), len(clusters), len(tables)) == (1, 1, 1, 1), panel.status.text()

    # Similarity: exactly the window of the layer's extent, cosine values of the fixture.
    arr, r0, c0 = _read(sims[0].source())
    assert (r0, c0, r0 + arr.shape[0], c0 + arr.shape[1]) == (row0, col0, row1, col1)
    ref = product.pixel_values(np.array(r), np.array(c))
    assert arr[r - row0, c - col0] == pytest.approx(1.0, abs=1e-6)
    for r2, c2 in ((row0, col0), (row1 - 1, col1 - 1), (r + 7, c - 9)):
        other = product.pixel_values(np.array(r2), np.array(c2))
        assert arr[r2 - row0, c2 - col0] == pytest.approx(_cos(ref, other), abs=2e-6)

    # Places: the best ones inside the scope, in order of the cosine computed here.
    rr, cc = np.meshgrid(np.arange(row0, row1), np.arange(col0, col1), indexing="ij")
    cos = _unit(product.pixel_values(rr, cc)) @ _unit(ref)
    best = np.sort(cos.ravel())[::-1][:5]
    feats = sorted(places[0].getFeatures(), key=lambda f: f["rank"])
    assert [f["similarity"] for f in feats] == pytest.approx(best.tolist(), abs=2e-6)
    assert all(row0 <= f["row"] < row1 and col0 <= f["col"] < col1 for f in feats)

    # Clusters: the same window; a named palette of k entries; the table of sizes and of
    # distances between centroids (the mean vector of each cluster, computed here).
    lab, r0, c0 = _read(clusters[0].source())
    assert (r0, c0, r0 + lab.shape[0], c0 + lab.shape[1]) == (row0, col0, row1, col1)
    renderer = clusters[0].renderer()
    assert renderer.type() == "paletted"
    assert [(c.value, c.label) for c in renderer.classes()] == [
        (1.0, "Cluster 1"),
        (2.0, "Cluster 2"),
        (3.0, "Cluster 3"),
    ]
    vals = product.pixel_values(rr, cc).astype(np.float64)
    sizes = np.array([(lab == k).sum() for k in (1, 2, 3)])
    means = np.stack([vals[lab == k].mean(axis=0) for k in (1, 2, 3)])
    dist = np.linalg.norm(means[:, None] - means[None], axis=-1)
    table = tables[0]
    assert table.id() in QgsProject.instance().mapLayers()
    rows = sorted(
        (f["cluster"], f["pixels"], f["share"], f["nearest"], f["nearest_dist"])
        for f in table.getFeatures()
    )
    assert [row[:2] for row in rows] == [(k, int(sizes[k - 1])) for k in (1, 2, 3)]
    for k, _n, share, nearest, d in rows:
        others = [j for j in (1, 2, 3) if j != k]
        j = min(others, key=lambda j: dist[k - 1, j - 1])
        assert share == pytest.approx(sizes[k - 1] / sizes.sum())
        assert nearest == j
        assert d == pytest.approx(dist[k - 1, j - 1], rel=1e-3)


def test_a_removed_similarity_layer_lets_go_of_the_slider(controller, monkeypatch):
    panel = controller.explore
    controller.dock.show_explore()
    _choose(panel.scope_combo, "Whole globe")
    panel.add_point_reference(*_lonlat_of(160, 760))
    sims: list = []
    panel.similarity_layer_ready.connect(sims.append)
    _press(panel.similarity_button)
    wait_for(lambda: not panel.tasks)
    assert len(sims) == 1, panel.status.text()
    assert panel.threshold_slider.isEnabled() and panel.areas_button.isEnabled()
    errors: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: errors.append(exc))

    QgsProject.instance().removeMapLayer(sims[0].id())
    QCoreApplication.processEvents()
    assert panel.similarity_layer is None
    assert not panel.threshold_slider.isEnabled()
    assert not panel.threshold_check.isEnabled()
    assert not panel.areas_button.isEnabled()
    assert "removed" in panel.status.text()
    # The slider no longer reaches the deleted layer's renderer.
    panel.threshold_slider.setValue(100)
    panel.set_threshold(0.9)
    panel.threshold_check.setChecked(False)
    QCoreApplication.processEvents()
    assert errors == []
    assert panel.areas_above_threshold() is None

    # A new similarity map takes the slider again.
    _press(panel.similarity_button)
    wait_for(lambda: not panel.tasks)
    assert len(sims) == 2 and panel.similarity_layer is sims[1]
    assert panel.threshold_slider.isEnabled()
    panel.set_threshold(0.99)
    assert sims[1].renderer().classificationMin() == pytest.approx(panel.threshold(), abs=1e-6)


def test_cancel_after_the_rasters_were_written_removes_them(controller, monkeypatch):
    """A cancel that arrives once the job has written its files: they are removed too."""
    from rs_embed_qgis.bridge import explore_outputs

    panel = controller.explore
    _training_layer()
    _choose(panel.training_combo, "training")
    _choose(panel.class_field_combo, "cls")
    _choose(panel.scope_combo, "Whole globe")
    written: list = []
    real = explore_outputs.write_classification

    def write_then_cancel(res, path, conf_path, file):
        out = real(res, path, conf_path, file)
        written.extend(p for p in (path, conf_path) if os.path.exists(p))
        panel.tasks[0].cancel()  # the user's cancel, just after the write
        return out

    # The panel looks the writer up when its task runs.
    monkeypatch.setattr(explore_outputs, "write_classification", write_then_cancel)
    before = set(QgsProject.instance().mapLayers())
    _press(panel.classify_button)
    wait_for(lambda: not panel.tasks)
    assert len(written) == 2 and panel.status.text() == "Cancelled."
    assert not any(os.path.exists(p) for p in written)
    assert set(QgsProject.instance().mapLayers()) == before
    assert _files(panel) == []


def test_a_layers_extent_of_one_point_or_of_nothing(controller):
    """One point: its extent is a single product pixel. An empty layer: one line, no task."""
    panel = controller.explore
    r, c = 150, 770  # lon 12.5, lat 52.5
    point = _training_layer({"x": ([r], [c])}, "one point")
    empty = QgsVectorLayer("Polygon?crs=EPSG:3857", "empty", "memory")
    QgsProject.instance().addMapLayer(empty)
    panel.add_point_reference(*_lonlat_of(r, c))
    sims: list = []
    panel.similarity_layer_ready.connect(sims.append)
    _use_layer_scope(panel, point)
    _press(panel.similarity_button)
    wait_for(lambda: not panel.tasks)
    assert len(sims) == 1, panel.status.text()
    arr, r0, c0 = _read(sims[0].source())
    assert (r0, c0, arr.shape) == (r, c, (1, 1))
    assert arr[0, 0] == pytest.approx(1.0, abs=1e-6)

    _use_layer_scope(panel, empty)
    _press(panel.similarity_button)
    assert not panel.tasks
    assert panel.status.text() == "The layer 'empty' has no extent to use as the scope."


def test_the_docks_progress_and_cancel_follow_an_explore_task(controller, tmp_path):
    """A whole-globe clustering of the full-size file: the dock's bar moves, Cancel stops it."""
    from rs_embed_qgis.gui.tasks import CANCELLED

    full = tmp_path / "full"
    full.mkdir()
    (full / product.PRODUCT_NAME).symlink_to(product.cached_full_product())
    d = controller.dock
    d.show()
    panel = controller.explore
    panel.set_data_dir(str(full))
    _choose_data(panel.scope_combo, SCOPE_ALL)
    d.tabs.setCurrentWidget(d.explore_scroll)  # the Explore tab, as a user clicks it
    clusters: list = []
    panel.cluster_layer_ready.connect(clusters.append)
    assert not d.cancel_button.isEnabled()
    _press(panel.cluster_button)
    task = panel.tasks[0]
    assert task in controller.tasks and d.cancel_button.isEnabled()
    wait_for(lambda: d.progress_bar.value() > 0 or not panel.tasks, timeout=60)
    assert panel.tasks, "finished before it could be cancelled"
    QTest.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton)
    wait_for(lambda: not panel.tasks, timeout=60)
    assert task.outcome == CANCELLED and not clusters
    assert panel.status.text() == "Cancelled."
    assert task not in controller.tasks and not d.cancel_button.isEnabled()
    # QGIS's own notice for an unsuccessful task reads "Task failed: <description>".
    assert task.description().endswith("(cancelled)")


def test_results_go_on_top_of_the_layer_tree_and_areas_are_outlines(controller, qgis_iface):
    """Found in a real window: a result went under the selected layer, inside its group."""
    project = QgsProject.instance()
    other = _area_layer("selected", (0.0, 44.0, 10.0, 50.0))
    project.addMapLayer(other, False)
    group = project.layerTreeRoot().addGroup("a group of the user's")
    group.addLayer(other)
    qgis_iface.setActiveLayer(other)
    panel = controller.explore
    controller.dock.show_explore()
    _choose(panel.scope_combo, "Whole globe")
    panel.add_point_reference(*_lonlat_of(160, 760))
    sims: list = []
    areas: list = []
    panel.similarity_layer_ready.connect(sims.append)
    panel.areas_layer_ready.connect(areas.append)
    _press(panel.similarity_button)
    wait_for(lambda: not panel.tasks)
    assert len(sims) == 1, panel.status.text()
    top = project.layerTreeRoot().children()[0]
    assert top.layer() is sims[0] and not group.findLayer(sims[0].id())
    _press(panel.areas_button)
    wait_for(lambda: not panel.tasks)
    assert len(areas) == 1, panel.status.text()
    assert project.layerTreeRoot().children()[0].layer() is areas[0]
    fill = areas[0].renderer().symbol().symbolLayer(0)
    assert fill.fillColor().alpha() == 0 and fill.strokeColor().alpha() == 255
    # Two maps in a row get two names.
    _press(panel.similarity_button)
    wait_for(lambda: not panel.tasks)
    assert len(sims) == 2 and sims[0].name() != sims[1].name()


def test_repeated_runs_get_distinct_names_and_the_index_is_for_cosine_only(controller):
    """Found in a real window: a second clustering with the same k had the same names."""
    panel = controller.explore
    controller.dock.show_explore()
    _choose(panel.scope_combo, "Whole globe")
    clusters: list = []
    panel.cluster_layer_ready.connect(clusters.append)
    panel.cluster_k.setValue(3)
    for _ in range(2):
        _press(panel.cluster_button)
        wait_for(lambda: not panel.tasks)
    assert len(clusters) == 2, panel.status.text()
    names = [lyr.name() for lyr in QgsProject.instance().mapLayers().values()]
    assert len(names) == len(set(names)), names
    assert clusters[1].name() == clusters[0].name() + " 2"
    # The search index is cosine geometry: it cannot be ticked for the Euclidean metric.
    assert panel.index_check.isEnabled()
    _choose(panel.metric_combo, "Euclidean (minus distance)")
    assert not panel.index_check.isEnabled()
    _choose(panel.metric_combo, "Cosine")
    assert panel.index_check.isEnabled()


def test_classification_says_why_it_used_fewer_folds(controller):
    # Issue 19: "5 folds asked, 4-fold given" with no reason. Ask for one fold more than the
    # smallest class has training pixels (counted here from the training regions).
    panel = controller.explore
    controller.dock.show_explore()
    # "west" gets 3 x 2 = 6 points, the others keep theirs.
    regions = {**REGIONS, "west": (range(145, 175, 12), range(680, 715, 18))}
    _training_layer(regions)
    area = _area_layer("area", SCOPE_BOX)
    _choose(panel.training_combo, "training")
    _choose(panel.class_field_combo, "cls")
    _choose_data(panel.classifier_combo, "nearest_centroid")
    _, y, _ = _training_pixels(regions)
    smallest = int(np.bincount(y).min())
    assert 2 <= smallest < 20
    panel.folds_spin.setValue(smallest + 1)
    _use_layer_scope(panel, area)
    _press(panel.classify_button)
    wait_for(lambda: not panel.tasks)
    text = panel.status.text()
    assert f"{smallest}-fold cross-validated accuracy" in text, text
    assert (
        f"{smallest + 1} folds were asked; {smallest} were used because the smallest class "
        f"has only {smallest} training pixels"
    ) in text
