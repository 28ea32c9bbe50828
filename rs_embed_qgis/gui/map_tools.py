# SPDX-License-Identifier: GPL-2.0-or-later
"""Map tools: drag a rectangle, click a point and see its buffer, or add Explore references.

Every tool emits canvas-CRS geometry, and a right-click on any of them emits
``right_clicked`` (the dock's "colour by similarity to this pixel").

The conversion to EPSG:4326 specs is not done here but in ``rs_embed_qgis.bridge.geometry``
(called by the controller with the project's transform context), so the Processing
algorithms and the dock share it.
"""

from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
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
_EDGE_SEGMENTS = 16


def new_rubber_band(canvas: QgsMapCanvas) -> QgsRubberBand:
    """A polygon rubber band in the plugin's colours."""
    band = QgsRubberBand(canvas, QgsWkbTypes.GeometryType.PolygonGeometry)
    band.setStrokeColor(_STROKE)
    band.setFillColor(_FILL)
    band.setWidth(2)
    return band


def remove_rubber_band(canvas: QgsMapCanvas, band: QgsRubberBand | None) -> None:
    """Take a rubber band off the canvas scene for good."""
    if band is None:
        return
    band.reset(QgsWkbTypes.GeometryType.PolygonGeometry)
    scene = canvas.scene()
    if scene is not None and band.scene() is scene:
        scene.removeItem(band)


class _BandTool(QgsMapTool):
    """A map tool that owns one rubber band and removes it in ``cleanup()``."""

    right_clicked = pyqtSignal(QgsPointXY)

    def __init__(self, canvas: QgsMapCanvas, band: bool = True) -> None:
        super().__init__(canvas)
        self.band: QgsRubberBand | None = new_rubber_band(canvas) if band else None
        # True while the band shows a captured area: it outlives the tool's deactivation
        # (the dock releases the tool after each capture) until the controller clears it.
        self.holding = False
        self.setCursor(Qt.CursorShape.CrossCursor)

    def clear(self) -> None:
        """Hide the rubber band (it stays available for the next capture)."""
        self.holding = False
        if self.band is not None:
            self.band.reset(QgsWkbTypes.GeometryType.PolygonGeometry)

    def cleanup(self) -> None:
        """Remove the rubber band from the canvas (called on unload)."""
        remove_rubber_band(self.canvas(), self.band)
        self.band = None

    def deactivate(self) -> None:
        # An unfinished drag or the square under the pointer goes with the tool; a
        # captured area stays drawn while its result is computed.
        if not self.holding:
            self.clear()
        super().deactivate()

    def _right_click(self, event: QgsMapMouseEvent) -> bool:
        """Emit ``right_clicked`` for a right-button release; True when it was one."""
        if event.button() != Qt.MouseButton.RightButton:
            return False
        self.right_clicked.emit(QgsPointXY(event.mapPoint()))
        return True


class RectangleMapTool(_BandTool):
    """Drag a rectangle; a rubber band follows the mouse; emits the rectangle in the canvas CRS."""

    captured = pyqtSignal(QgsRectangle)

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self._start: QgsPointXY | None = None

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._start = QgsPointXY(event.mapPoint())
        self.clear()

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._start is None or self.band is None:
            return
        rect = QgsRectangle(self._start, QgsPointXY(event.mapPoint()))
        self.band.setToGeometry(QgsGeometry.fromRect(rect))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._right_click(event):
            return
        if event.button() != Qt.MouseButton.LeftButton or self._start is None:
            return
        rect = QgsRectangle(self._start, QgsPointXY(event.mapPoint()))
        self._start = None
        if rect.isEmpty():  # a click, not a drag
            self.clear()
            return
        if self.band is not None:
            self.band.setToGeometry(QgsGeometry.fromRect(rect))
        self.holding = True
        self.captured.emit(rect)

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        if event.key() == Qt.Key.Key_Escape:
            self._start = None
            self.clear()


def read_square_lonlat(
    lon: float,
    lat: float,
    buffer_m: float,
    expand_deg: float = 0.0,
    grid_origin: tuple[float, float] | None = None,
) -> tuple[float, float, float, float]:
    """The lon/lat box of product pixels a point buffer reads: +-buffer, expanded, snapped.

    The same core functions the request goes through (``grid.metres_to_degrees`` for the
    buffer, ``expand_box`` and the snap to the 0.25 degree pixel edges of the file's grid,
    ``grid_origin``, TorchGeo's until the file was checked), so the preview is the area
    that is actually read, not a circle.
    """
    from rs_embed_qgis.core.adapter import plan_window
    from rs_embed_qgis.core.grid import TORCHGEO_GRID, ProductGrid
    from rs_embed_qgis.core.specs import PointBuffer

    grid = ProductGrid(*grid_origin) if grid_origin else TORCHGEO_GRID
    return plan_window(PointBuffer(lon, lat, buffer_m), expand_deg, grid)[2].bounds


def read_square(
    center: QgsPointXY,
    crs: QgsCoordinateReferenceSystem,
    buffer_m: float,
    expand_deg: float = 0.0,
    project: QgsProject | None = None,
    grid_origin: tuple[float, float] | None = None,
) -> QgsGeometry:
    """The area read around a point (see ``read_square_lonlat``) as a polygon in ``crs``.

    Edges are densified before the transform, so the square bends as it should in a
    projected canvas CRS.
    """
    from rs_embed_qgis.core.errors import RsEmbedError

    project = project or QgsProject.instance()
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    to_geo = QgsCoordinateTransform(crs, wgs84, project.transformContext())
    try:
        geo = to_geo.transform(center)
        x0, y0, x1, y1 = read_square_lonlat(geo.x(), geo.y(), buffer_m, expand_deg, grid_origin)
        n = _EDGE_SEGMENTS
        ring = (
            [QgsPointXY(x0 + (x1 - x0) * k / n, y0) for k in range(n)]
            + [QgsPointXY(x1, y0 + (y1 - y0) * k / n) for k in range(n)]
            + [QgsPointXY(x1 - (x1 - x0) * k / n, y1) for k in range(n)]
            + [QgsPointXY(x0, y1 - (y1 - y0) * k / n) for k in range(n)]
        )
        back = [to_geo.transform(p, Qgis.TransformDirection.Reverse) for p in ring]
    except (QgsCsException, RsEmbedError):
        return QgsGeometry()
    back.append(back[0])
    return QgsGeometry.fromPolygonXY([back])


class PointBufferMapTool(_BandTool):
    """Click a point; the square it reads follows the mouse; emits the point in the canvas CRS."""

    captured = pyqtSignal(QgsPointXY)

    def __init__(
        self, canvas: QgsMapCanvas, buffer_m: float = 1000.0, expand_deg: float = 0.0
    ) -> None:
        super().__init__(canvas)
        self.buffer_m = float(buffer_m)
        self.expand_deg = float(expand_deg)
        self.grid_origin: tuple[float, float] | None = None  # the product file's, once known
        self.last_point: QgsPointXY | None = None

    def set_grid_origin(self, grid_origin: tuple[float, float] | None) -> None:
        """Snap the drawn square to the product file's own grid (read from the file)."""
        self.grid_origin = grid_origin
        if self.last_point is not None:
            self._draw(self.last_point)

    def set_buffer_m(self, buffer_m: float) -> None:
        """Change the buffer (metres) of the square drawn around the point."""
        self.buffer_m = float(buffer_m)
        if self.last_point is not None:
            self._draw(self.last_point)

    def set_expand_deg(self, expand_deg: float) -> None:
        """Change the expand_deg the drawn square is grown to."""
        self.expand_deg = float(expand_deg)
        if self.last_point is not None:
            self._draw(self.last_point)

    def clear(self) -> None:
        """Hide the square; the next redraw waits for the mouse."""
        self.last_point = None
        super().clear()

    def _draw(self, point: QgsPointXY) -> None:
        if self.band is None:
            return
        settings = self.canvas().mapSettings()
        square = read_square(
            point,
            settings.destinationCrs(),
            self.buffer_m,
            self.expand_deg,
            grid_origin=self.grid_origin,
        )
        if square.isEmpty():
            self.band.reset(QgsWkbTypes.GeometryType.PolygonGeometry)
        else:
            self.band.setToGeometry(square)

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        self.holding = False
        self._draw(QgsPointXY(event.mapPoint()))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._right_click(event):
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = QgsPointXY(event.mapPoint())
        self.last_point = point
        self._draw(point)
        self.holding = True
        self.captured.emit(point)


# A press and release closer than this (screen pixels) is a click, not a drag.
_CLICK_TOLERANCE_PX = 4


class ReferenceMapTool(_BandTool):
    """Explore references: a click emits ``point_captured``, a drag ``rectangle_captured``."""

    point_captured = pyqtSignal(QgsPointXY)
    rectangle_captured = pyqtSignal(QgsRectangle)

    def __init__(self, canvas: QgsMapCanvas) -> None:
        # No band while idle: one is drawn only during a drag, then the marker replaces it.
        super().__init__(canvas, band=False)
        self._start: QgsPointXY | None = None
        self._start_px: tuple[int, int] = (0, 0)

    def clear(self) -> None:
        """Take the drag's rubber band off the canvas."""
        remove_rubber_band(self.canvas(), self.band)
        self.band = None

    def _is_drag(self, event: QgsMapMouseEvent) -> bool:
        p = event.pos()
        x0, y0 = self._start_px
        return max(abs(p.x() - x0), abs(p.y() - y0)) >= _CLICK_TOLERANCE_PX

    def canvasPressEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._start = QgsPointXY(event.mapPoint())
        self._start_px = (event.pos().x(), event.pos().y())
        self.clear()

    def canvasMoveEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._start is None or not self._is_drag(event):
            return
        if self.band is None:
            self.band = new_rubber_band(self.canvas())
        rect = QgsRectangle(self._start, QgsPointXY(event.mapPoint()))
        self.band.setToGeometry(QgsGeometry.fromRect(rect))

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._right_click(event):
            return
        if event.button() != Qt.MouseButton.LeftButton or self._start is None:
            return
        start, self._start = self._start, None
        self.clear()  # the controller draws the reference's own marker
        if self._is_drag(event):
            self.rectangle_captured.emit(QgsRectangle(start, QgsPointXY(event.mapPoint())))
        else:
            self.point_captured.emit(QgsPointXY(event.mapPoint()))

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        if event.key() == Qt.Key.Key_Escape:
            self._start = None
            self.clear()


def new_marker(canvas: QgsMapCanvas, geometry: QgsGeometry) -> QgsRubberBand:
    """A reference marker (canvas CRS): a circle for a point, an outline for an area."""
    if geometry.type() == QgsWkbTypes.GeometryType.PointGeometry:
        band = QgsRubberBand(canvas, QgsWkbTypes.GeometryType.PointGeometry)
        band.setIcon(QgsRubberBand.IconType.ICON_CIRCLE)
        band.setIconSize(12)
        band.setColor(_STROKE)
        band.setWidth(3)
    else:
        band = new_rubber_band(canvas)
    band.setToGeometry(geometry)
    return band


def remove_marker(canvas: QgsMapCanvas, band: QgsRubberBand) -> None:
    """Take a reference marker off the canvas scene for good."""
    band.reset(QgsWkbTypes.GeometryType.PointGeometry)
    scene = canvas.scene()
    if scene is not None and band.scene() is scene:
        scene.removeItem(band)
