"""Map tools fed with synthetic mouse events give the right EPSG:4326 specs, in any canvas CRS."""

from __future__ import annotations

import numpy as np
import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDistanceArea,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
)
from qgis.gui import QgsMapCanvas, QgsMapMouseEvent, QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QPoint, Qt

from rs_embed_qgis.bridge.geometry import extent_to_spec, point_to_spec
from rs_embed_qgis.core import estimate_request
from rs_embed_qgis.core.specs import BBox, PointBuffer, Polygon
from rs_embed_qgis.gui.map_tools import PointBufferMapTool, RectangleMapTool

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


def _set_view(canvas, authid: str, center_lonlat: tuple[float, float], half_m: float) -> None:
    """Canvas in ``authid`` centred on a lon/lat, about 2*half_m metres across."""
    crs = QgsCoordinateReferenceSystem(authid)
    canvas.setDestinationCrs(crs)
    ct = QgsCoordinateTransform(WGS84, crs, QgsProject.instance())
    c = ct.transform(QgsPointXY(*center_lonlat))
    canvas.setExtent(QgsRectangle(c.x() - half_m, c.y() - half_m, c.x() + half_m, c.y() + half_m))


def _event(canvas, kind, x: int, y: int, button=Qt.MouseButton.LeftButton) -> QgsMapMouseEvent:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    return QgsMapMouseEvent(
        canvas, kind, QPoint(x, y), button, buttons, Qt.KeyboardModifier.NoModifier
    )


def _drag(tool, canvas, p0: tuple[int, int], p1: tuple[int, int]) -> None:
    tool.canvasPressEvent(_event(canvas, QEvent.Type.MouseButtonPress, *p0))
    mid = ((p0[0] + p1[0]) // 2, (p0[1] + p1[1]) // 2)
    tool.canvasMoveEvent(
        _event(canvas, QEvent.Type.MouseMove, *mid, button=Qt.MouseButton.NoButton)
    )
    tool.canvasMoveEvent(_event(canvas, QEvent.Type.MouseMove, *p1, button=Qt.MouseButton.NoButton))
    tool.canvasReleaseEvent(_event(canvas, QEvent.Type.MouseButtonRelease, *p1))


def _map_point(canvas, x: int, y: int) -> QgsPointXY:
    return QgsPointXY(canvas.getCoordinateTransform().toMapCoordinates(QPoint(x, y)))


def _expected_box(rect: QgsRectangle, crs) -> tuple[float, float, float, float]:
    """Lon/lat envelope of the rectangle's boundary sampled densely with QgsCoordinateTransform."""
    ct = QgsCoordinateTransform(crs, WGS84, QgsProject.instance())
    t = np.linspace(0.0, 1.0, 2001)
    x0, y0, x1, y1 = rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()
    pts = (
        [(x0 + (x1 - x0) * s, y0) for s in t]
        + [(x0 + (x1 - x0) * s, y1) for s in t]
        + [(x0, y0 + (y1 - y0) * s) for s in t]
        + [(x1, y0 + (y1 - y0) * s) for s in t]
    )
    ll = np.array([(p.x(), p.y()) for p in (ct.transform(QgsPointXY(*q)) for q in pts)])
    return ll[:, 0].min(), ll[:, 1].min(), ll[:, 0].max(), ll[:, 1].max()


def _corners_lonlat(rect: QgsRectangle, crs) -> np.ndarray:
    ct = QgsCoordinateTransform(crs, WGS84, QgsProject.instance())
    corners = [
        QgsPointXY(rect.xMinimum(), rect.yMinimum()),
        QgsPointXY(rect.xMaximum(), rect.yMinimum()),
        QgsPointXY(rect.xMaximum(), rect.yMaximum()),
        QgsPointXY(rect.xMinimum(), rect.yMaximum()),
    ]
    return np.array([(p.x(), p.y()) for p in (ct.transform(c) for c in corners)])


@pytest.fixture()
def canvas(qgis_app):
    """A shown canvas of 800x600 pixels (a hidden one keeps a tiny output size)."""
    c = QgsMapCanvas()
    c.resize(800, 600)
    c.show()
    QCoreApplication.processEvents()
    yield c
    c.hide()
    c.deleteLater()


@pytest.fixture()
def rect_tool(canvas):
    tool = RectangleMapTool(canvas)
    yield tool
    tool.cleanup()


@pytest.fixture()
def point_tool(canvas):
    tool = PointBufferMapTool(canvas, 25_000.0)
    yield tool
    tool.cleanup()


@pytest.mark.parametrize(
    ("authid", "center", "half_m"),
    [
        ("EPSG:3857", (10.0, 50.0), 400_000.0),
        ("EPSG:32633", (15.0, 48.0), 300_000.0),
        ("EPSG:4326", (10.0, 50.0), 4.0),
    ],
)
def test_rectangle_tool_gives_wgs84_bbox(canvas, rect_tool, authid, center, half_m):
    _set_view(canvas, authid, center, half_m)
    got: list[QgsRectangle] = []
    rect_tool.captured.connect(got.append)
    p0, p1 = (150, 120), (610, 470)
    _drag(rect_tool, canvas, p0, p1)

    assert len(got) == 1
    a, b = _map_point(canvas, *p0), _map_point(canvas, *p1)
    expected_rect = QgsRectangle(a, b)
    assert got[0].xMinimum() == pytest.approx(expected_rect.xMinimum())
    assert got[0].yMaximum() == pytest.approx(expected_rect.yMaximum())

    crs = canvas.mapSettings().destinationCrs()
    spec = extent_to_spec(got[0], crs, QgsProject.instance().transformContext())
    assert isinstance(spec, BBox)
    exp = _expected_box(expected_rect, crs)
    assert spec.as_tuple() == pytest.approx(exp, abs=1e-6)
    # The corners are inside the box, and a UTM rectangle's edges bulge beyond them.
    corners = _corners_lonlat(expected_rect, crs)
    assert spec.minlon <= corners[:, 0].min() + 1e-9
    assert spec.maxlat >= corners[:, 1].max() - 1e-9
    if authid == "EPSG:32633":
        assert spec.maxlat > corners[:, 1].max() + 1e-3  # the north edge is not a parallel


def test_rectangle_rubber_band_follows_the_drag(canvas, rect_tool):
    _set_view(canvas, "EPSG:3857", (10.0, 50.0), 400_000.0)
    rect_tool.canvasPressEvent(_event(canvas, QEvent.Type.MouseButtonPress, 100, 100))
    rect_tool.canvasMoveEvent(
        _event(canvas, QEvent.Type.MouseMove, 300, 250, Qt.MouseButton.NoButton)
    )
    band = rect_tool.band.asGeometry().boundingBox()
    exp = QgsRectangle(_map_point(canvas, 100, 100), _map_point(canvas, 300, 250))
    assert band.xMinimum() == pytest.approx(exp.xMinimum())
    assert band.xMaximum() == pytest.approx(exp.xMaximum())
    assert band.yMinimum() == pytest.approx(exp.yMinimum())
    assert band.yMaximum() == pytest.approx(exp.yMaximum())
    # A click without a drag emits nothing.
    got = []
    rect_tool.captured.connect(got.append)
    rect_tool.canvasPressEvent(_event(canvas, QEvent.Type.MouseButtonPress, 50, 50))
    rect_tool.canvasReleaseEvent(_event(canvas, QEvent.Type.MouseButtonRelease, 50, 50))
    assert got == []
    assert rect_tool.band.numberOfVertices() == 0


def test_rectangle_across_the_antimeridian_is_one_box_past_180(canvas, rect_tool):
    # PDC Mercator is centred on 150 W: the antimeridian is in the middle of the map.
    _set_view(canvas, "EPSG:3832", (180.0, -17.0), 600_000.0)
    got: list[QgsRectangle] = []
    rect_tool.captured.connect(got.append)
    _drag(rect_tool, canvas, (200, 200), (600, 400))
    crs = canvas.mapSettings().destinationCrs()
    spec = extent_to_spec(got[0], crs, QgsProject.instance().transformContext())
    assert isinstance(spec, Polygon)
    assert len(spec.parts) == 1  # one ring whose east edge runs past 180
    west, _, east, _ = spec.bounds
    corners = _corners_lonlat(QgsRectangle(*_rect_of(canvas, (200, 200), (600, 400))), crs)
    lons = corners[:, 0]
    assert west == pytest.approx(lons[lons > 0].min(), abs=1e-6)
    assert east == pytest.approx(lons[lons < 0].max() + 360.0, abs=1e-6)
    assert west < 180.0 < east


def _rect_of(canvas, p0, p1):
    r = QgsRectangle(_map_point(canvas, *p0), _map_point(canvas, *p1))
    return r.xMinimum(), r.yMinimum(), r.xMaximum(), r.yMaximum()


def test_rectangle_around_the_pole(canvas, rect_tool):
    _set_view(canvas, "EPSG:3413", (0.0, 90.0), 500_000.0)
    got: list[QgsRectangle] = []
    rect_tool.captured.connect(got.append)
    _drag(rect_tool, canvas, (200, 150), (600, 450))
    crs = canvas.mapSettings().destinationCrs()
    spec = extent_to_spec(got[0], crs, QgsProject.instance().transformContext())
    assert isinstance(spec, BBox)
    assert (spec.minlon, spec.maxlon, spec.maxlat) == (-180.0, 180.0, 90.0)
    assert spec.minlat == pytest.approx(
        _corners_lonlat(QgsRectangle(*_rect_of(canvas, (200, 150), (600, 450))), crs)[:, 1].min(),
        abs=1e-3,
    )


@pytest.mark.parametrize(
    ("authid", "center", "half_m"),
    [("EPSG:3857", (12.0, 45.0), 200_000.0), ("EPSG:32633", (14.0, 46.0), 200_000.0)],
)
def test_point_tool_gives_point_buffer_and_draws_the_square_read(
    canvas, point_tool, authid, center, half_m
):
    _set_view(canvas, authid, center, half_m)
    got: list[QgsPointXY] = []
    point_tool.captured.connect(got.append)
    point_tool.canvasMoveEvent(
        _event(canvas, QEvent.Type.MouseMove, 380, 260, Qt.MouseButton.NoButton)
    )
    point_tool.canvasPressEvent(_event(canvas, QEvent.Type.MouseButtonPress, 400, 280))
    point_tool.canvasReleaseEvent(_event(canvas, QEvent.Type.MouseButtonRelease, 400, 280))

    assert len(got) == 1
    crs = canvas.mapSettings().destinationCrs()
    expected = _map_point(canvas, 400, 280)
    assert got[0].x() == pytest.approx(expected.x())
    spec = point_to_spec(got[0], crs, 25_000.0, QgsProject.instance().transformContext())
    assert isinstance(spec, PointBuffer)
    ll = QgsCoordinateTransform(crs, WGS84, QgsProject.instance()).transform(expected)
    assert (spec.lon, spec.lat, spec.buffer_m) == pytest.approx((ll.x(), ll.y(), 25_000.0))

    # The drawn square is the block of product pixels the request reads: it holds the
    # points 25 km (on the ellipsoid) N, S, E and W of the click, its edges are pixel
    # edges (0.25 degree, offset 0.125), and it is at most one pixel larger on each side.
    box = _drawn_lonlat_box(point_tool, crs)
    da = QgsDistanceArea()
    da.setSourceCrs(WGS84, QgsProject.instance().transformContext())
    da.setEllipsoid("WGS84")
    _check_read_square(box, ll, 25_000.0, da)
    est = estimate_request(PointBuffer(ll.x(), ll.y(), 25_000.0), expand_deg=0.0)
    assert box == pytest.approx(est["bbox_4326"], abs=1e-6)

    # Changing the buffer or expand_deg redraws the square around the clicked point.
    point_tool.set_buffer_m(60_000.0)
    _check_read_square(_drawn_lonlat_box(point_tool, crs), ll, 60_000.0, da)
    point_tool.set_expand_deg(1.0)
    box = _drawn_lonlat_box(point_tool, crs)
    assert box[2] - box[0] >= 1.0 and box[3] - box[1] >= 1.0
    est = estimate_request(PointBuffer(ll.x(), ll.y(), 60_000.0), expand_deg=1.0)
    assert box == pytest.approx(est["bbox_4326"], abs=1e-6)
    # Clearing (the result arrived) removes the square.
    point_tool.clear()
    assert point_tool.band.asGeometry().isEmpty()


def _drawn_lonlat_box(tool, crs) -> tuple[float, float, float, float]:
    ring = tool.band.asGeometry()
    assert not ring.isEmpty()
    ring.transform(QgsCoordinateTransform(crs, WGS84, QgsProject.instance()))
    bb = ring.boundingBox()
    return (bb.xMinimum(), bb.yMinimum(), bb.xMaximum(), bb.yMaximum())


def _check_read_square(box, ll, buffer_m, da) -> None:
    import math

    x0, y0, x1, y1 = box
    for v in box:
        k = (v + 0.125) / 0.25
        assert abs(k - round(k)) < 1e-6  # a pixel edge
    for bearing in (0.0, math.pi / 2, math.pi, 3 * math.pi / 2):
        p = da.computeSpheroidProject(ll, buffer_m, bearing)
        assert x0 - 1e-9 <= p.x() <= x1 + 1e-9 and y0 - 1e-9 <= p.y() <= y1 + 1e-9
        # No more than one pixel beyond the buffer on any side.
        if bearing == 0.0:
            assert y1 - p.y() < 0.25
        if bearing == math.pi / 2:
            assert x1 - p.x() < 0.25


def test_cleanup_removes_rubber_bands(canvas):
    def bands() -> int:
        return sum(isinstance(i, QgsRubberBand) for i in canvas.scene().items())

    before = bands()
    tools = [RectangleMapTool(canvas), PointBufferMapTool(canvas, 1000.0)]
    assert bands() == before + 2
    for t in tools:
        t.cleanup()
    assert bands() == before
    assert all(t.band is None for t in tools)
