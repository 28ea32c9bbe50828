"""The dock's Explore tab through real map-tool events: references drawn as markers,
right-click similarity of the map extent, threshold areas, places that zoom, clusters, unload."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from qgis.core import (
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

from rs_embed_qgis import settings
from rs_embed_qgis.bridge.geometry import extent_to_spec
from rs_embed_qgis.core.specs import BBox
from rs_embed_qgis.gui.controller import GuiController
from rs_embed_qgis.gui.explore_panel import SCOPE_MAP, ExplorePanel
from tests import product
from tests.qgis.util import wait_for

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


@pytest.fixture()
def saved_setting():
    old = settings.data_dir_setting()
    yield
    settings.set_data_dir_setting(old)


@pytest.fixture()
def canvas(qgis_iface):
    """pytest-qgis's canvas, shown (in its main window) at 800 x 600 pixels."""
    main = qgis_iface.mainWindow()
    main.resize(1200, 700)
    main.show()
    c = qgis_iface.mapCanvas()
    c.resize(800, 600)
    c.show()
    wait_for(lambda: c.mapSettings().outputSize().width() > 700, timeout=10)
    yield c
    main.hide()


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

    panel.clear_button.click()
    assert panel.references() == [] and controller.markers == []
    assert len(_visible_bands(canvas)) == before


def test_right_click_colours_the_map_extent_by_similarity(controller, canvas):
    panel = controller.explore
    panel.scope_combo.setCurrentIndex(1)  # whole product: the right-click sets the map extent
    controller.dock.capture_button.click()  # the dock's rectangle tool
    tool = controller.rect_tool
    assert canvas.mapTool() is tool
    ready: list = []
    panel.similarity_layer_ready.connect(ready.append)
    _click(tool, canvas, 430, 260, Qt.MouseButton.RightButton)
    assert panel.scope_combo.currentData() == SCOPE_MAP
    assert controller.dock.tabs.currentWidget() is controller.dock.explore_scroll
    wait_for(lambda: not panel.tasks)
    assert len(ready) == 1, panel.status.text()
    assert len(controller.markers) == 1  # the clicked pixel is the one reference

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


def test_places_zoom_on_selection_and_clusters_have_a_palette(controller, canvas):
    panel = controller.explore
    controller.dock.reference_button.click()
    _click(controller.ref_tool, canvas, 400, 300)
    r, c = _pixel(*_lonlat(canvas, 400, 300))
    panel.scope_combo.setCurrentIndex(1)  # the whole fixture
    panel.places_k.setValue(3)
    panel.places_km.setValue(300)
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
    arr, _, _ = _read(clusters[0].source())
    assert set(np.unique(arr)) <= {0, 1, 2, 3, 4} and len(np.unique(arr)) == 5


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
