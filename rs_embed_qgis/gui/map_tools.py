"""Map tools: drag a rectangle, or click a point and see its buffer; both emit canvas-CRS geometry.

The conversion to EPSG:4326 specs is not done here but in ``rs_embed_qgis.bridge.geometry``
(called by the controller with the project's transform context), so the Processing
algorithms and the dock share it.
"""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsDistanceArea,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsWkbTypes,
)
from qgis.gui import QgsMapCanvas, QgsMapMouseEvent, QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor

# Colours of the rubber bands: an outline that reads on imagery and on light maps.
_STROKE = QColor(230, 60, 40, 230)
_FILL = QColor(230, 60, 40, 45)
_CIRCLE_SEGMENTS = 72


def new_rubber_band(canvas: QgsMapCanvas) -> QgsRubberBand:
    """A polygon rubber band in the plugin's colours."""
    band = QgsRubberBand(canvas, QgsWkbTypes.PolygonGeometry)
    band.setStrokeColor(_STROKE)
    band.setFillColor(_FILL)
    band.setWidth(2)
    return band


def remove_rubber_band(canvas: QgsMapCanvas, band: QgsRubberBand | None) -> None:
    """Take a rubber band off the canvas scene for good."""
    if band is None:
        return
    band.reset(QgsWkbTypes.PolygonGeometry)
    scene = canvas.scene()
    if scene is not None and band.scene() is scene:
        scene.removeItem(band)


class _BandTool(QgsMapTool):
    """A map tool that owns one rubber band and removes it in ``cleanup()``."""

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self.band: QgsRubberBand | None = new_rubber_band(canvas)
        self.setCursor(Qt.CrossCursor)

    def clear(self) -> None:
        """Hide the rubber band (it stays available for the next capture)."""
        if self.band is not None:
            self.band.reset(QgsWkbTypes.PolygonGeometry)

    def cleanup(self) -> None:
        """Remove the rubber band from the canvas (called on unload)."""
        remove_rubber_band(self.canvas(), self.band)
        self.band = None

    def deactivate(self) -> None:
        self.clear()
        super().deactivate()


class RectangleMapTool(_BandTool):
    """Drag a rectangle; a rubber band follows the mouse; emits the rectangle in the canvas CRS."""

    captured = pyqtSignal(QgsRectangle)

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self._start: QgsPointXY | None = None

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.LeftButton:
            return
        self._start = QgsPointXY(event.mapPoint())
        self.clear()

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._start is None or self.band is None:
            return
        rect = QgsRectangle(self._start, QgsPointXY(event.mapPoint()))
        self.band.setToGeometry(QgsGeometry.fromRect(rect))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.LeftButton or self._start is None:
            return
        rect = QgsRectangle(self._start, QgsPointXY(event.mapPoint()))
        self._start = None
        if rect.isEmpty():  # a click, not a drag
            self.clear()
            return
        if self.band is not None:
            self.band.setToGeometry(QgsGeometry.fromRect(rect))
        self.captured.emit(rect)

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        if event.key() == Qt.Key_Escape:
            self._start = None
            self.clear()


def buffer_circle(
    center: QgsPointXY,
    crs: QgsCoordinateReferenceSystem,
    radius_m: float,
    project: QgsProject | None = None,
) -> QgsGeometry:
    """A circle of ``radius_m`` true (ellipsoidal) metres around a point, in ``crs``.

    The circle is built on the WGS84 ellipsoid and transformed back, so it is right in
    any CRS (degrees, Web Mercator, UTM, polar stereographic).
    """
    project = project or QgsProject.instance()
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    to_geo = QgsCoordinateTransform(crs, wgs84, project.transformContext())
    da = QgsDistanceArea()
    da.setSourceCrs(wgs84, project.transformContext())
    da.setEllipsoid("WGS84")
    try:
        geo = to_geo.transform(center)
        ring = [
            da.computeSpheroidProject(geo, radius_m, 2 * 3.141592653589793 * k / _CIRCLE_SEGMENTS)
            for k in range(_CIRCLE_SEGMENTS)
        ]
        back = [to_geo.transform(p, QgsCoordinateTransform.ReverseTransform) for p in ring]
    except QgsCsException:
        return QgsGeometry()
    back.append(back[0])
    return QgsGeometry.fromPolygonXY([back])


class PointBufferMapTool(_BandTool):
    """Click a point; the buffer circle follows the mouse; emits the point in the canvas CRS."""

    captured = pyqtSignal(QgsPointXY)

    def __init__(self, canvas: QgsMapCanvas, buffer_m: float = 1000.0) -> None:
        super().__init__(canvas)
        self.buffer_m = float(buffer_m)
        self.last_point: QgsPointXY | None = None

    def set_buffer_m(self, buffer_m: float) -> None:
        """Change the radius of the circle drawn around the point."""
        self.buffer_m = float(buffer_m)
        if self.last_point is not None:
            self._draw(self.last_point)

    def _draw(self, point: QgsPointXY) -> None:
        if self.band is None:
            return
        settings = self.canvas().mapSettings()
        circle = buffer_circle(point, settings.destinationCrs(), self.buffer_m)
        if circle.isEmpty():
            self.clear()
        else:
            self.band.setToGeometry(circle)

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        self._draw(QgsPointXY(event.mapPoint()))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.LeftButton:
            return
        point = QgsPointXY(event.mapPoint())
        self.last_point = point
        self._draw(point)
        self.captured.emit(point)
