# SPDX-License-Identifier: GPL-2.0-or-later
"""The GUI controller: action, menu entry, dock, map tools and tasks; teardown undoes it all.

It is the only place that connects the dock's choices to the bridge (QGIS geometry ->
specs), the tasks (core work off the main thread) and ``layers`` (results -> project).
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import Any

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsGeometry,
    QgsMessageLog,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsRubberBand
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtWidgets import QAction

from rs_embed_qgis import settings
from rs_embed_qgis.core.constants import AUTO_PREPARE_MIN_ITEMS
from rs_embed_qgis.core.errors import CacheError, CancelledError, RsEmbedError
from rs_embed_qgis.core.specs import BBox, OutputSpec, Polygon
from rs_embed_qgis.gui import layers, temp_folders
from rs_embed_qgis.gui.dock import MODE_POINT, EmbedDock, human_bytes
from rs_embed_qgis.gui.explore_panel import SCOPE_MAP, ExplorePanel
from rs_embed_qgis.gui.map_tools import (
    PointBufferMapTool,
    RectangleMapTool,
    ReferenceMapTool,
    new_marker,
    remove_marker,
)
from rs_embed_qgis.gui.tasks import (
    CANCELLED,
    OK,
    BatchEmbedTask,
    DataDirTask,
    EmbedTask,
    PrepareCacheTask,
    RemoveCacheTask,
    RsEmbedTask,
)
from rs_embed_qgis.i18n import plugin_icon, tr

LOG_TAG = "rs_embed"
# Task waits on unload: long enough for a read in flight to notice the cancel.
_UNLOAD_WAIT_MS = 10_000
# Folders of QGIS sessions that ended without closing are looked for this long after setup.
_RECLAIM_DELAY_MS = 3_000
# Margin (degrees) around a selected place when the canvas zooms to it: a few pixels.
_PLACE_ZOOM_DEG = 1.0
_WGS84 = "EPSG:4326"
# Batches of at least this many features would build the fast cache (core's "auto").
CACHE_ASK_MIN_FEATURES = AUTO_PREPARE_MIN_ITEMS


def menu_name() -> str:
    """The plugin's menu as QGIS shows it (added and removed under the same text)."""
    return tr("&Copernicus-Embed")


def _capture_prompts() -> tuple[str, str]:
    """What the status line says while a capture tool waits: (rectangle, point)."""
    return tr("Drag a rectangle on the map."), tr("Click a point on the map.")


def _wait_for(tasks: Any) -> None:
    """Wait (bounded) for cancelled tasks to end, so nothing runs after unload."""
    for task in list(tasks):
        try:
            task.waitForFinished(_UNLOAD_WAIT_MS)
        except RuntimeError:  # already deleted by the task manager
            pass


def error_text(exc: BaseException | None) -> str:
    """Plain words for the message bar: the core's own message, else a short sentence."""
    if exc is None:
        return tr("The task stopped without a result.")
    if isinstance(exc, RsEmbedError):
        return str(exc)
    return tr("Unexpected {kind}: {msg} (details in the log panel, rs_embed).").format(
        kind=type(exc).__name__, msg=exc
    )


def error_level(exc: BaseException | None) -> Any:
    """A cache fault is a warning (the work goes on without the cache); the rest is critical."""
    return Qgis.MessageLevel.Warning if isinstance(exc, CacheError) else Qgis.MessageLevel.Critical


def guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """A slot that never lets an exception reach QGIS's Python error dialog."""

    @functools.wraps(method)
    def wrapper(self: GuiController, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # the user sees a message, the details go to the log
            self.notify(error_text(exc), error_level(exc), traceback.format_exc())
            return None

    return wrapper


class GuiController:
    """Owns everything the plugin adds to the QGIS window, and removes it in ``teardown()``."""

    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.action: QAction | None = None
        self.dock: EmbedDock | None = None
        self.rect_tool: RectangleMapTool | None = None
        self.point_tool: PointBufferMapTool | None = None
        self.ref_tool: ReferenceMapTool | None = None
        self.reclaim_task: Any = None
        self._reclaim_timer: QTimer | None = None
        self._explore_folder = ""
        self._batch_layer: QgsVectorLayer | None = None
        self._tool_before_capture: Any = None  # given back when a capture is taken
        self.explore: ExplorePanel | None = None
        self.markers: list[tuple[Any, QgsRubberBand]] = []
        self._places: list[tuple[QgsVectorLayer, Callable[..., None]]] = []
        self.tasks: set[Any] = set()
        self.current_task: EmbedTask | None = None
        self.batch_task: BatchEmbedTask | None = None
        self.data_task: DataDirTask | None = None
        self.download_task: Any = None
        self.data_report: Any = None  # the last check of the data directory in use
        self.temp_dir = ""
        self.last_samples_layer_id = ""
        self._in_menu = ""
        self._on_toolbar = ""
        self._watched: QgsVectorLayer | None = None

    # ------------------------------------------------------------------ setup / teardown

    def setup(self) -> None:
        """Create the action (Plugins toolbar + Raster menu), the dock and the map tools."""
        main = self.iface.mainWindow()
        self.temp_dir = temp_folders.make_folder(temp_folders.GRID_PREFIX)
        # Housekeeping a little after start-up: QGIS's start stays as quick as it was.
        self._reclaim_timer = QTimer()
        self._reclaim_timer.setSingleShot(True)
        self._reclaim_timer.timeout.connect(self._reclaim_leftovers)
        self._reclaim_timer.start(_RECLAIM_DELAY_MS)
        self.action = QAction(plugin_icon(), tr("Copernicus-Embed"), main)
        self.action.setObjectName("RsEmbedAction")
        self.action.setCheckable(True)
        self.action.setToolTip(tr("Copernicus-Embed: embeddings of an area, a point or features"))
        # The Plugins toolbar: shown in a default profile (the Raster toolbar is hidden there,
        # so a button on it was never seen).
        self.iface.addToolBarIcon(self.action)
        self._on_toolbar = "plugins"
        add_menu = getattr(self.iface, "addPluginToRasterMenu", None)
        if add_menu is not None:
            add_menu(menu_name(), self.action)
            self._in_menu = "raster"
        else:
            self.iface.addPluginToMenu(menu_name(), self.action)
            self._in_menu = "plugins"

        self.dock = EmbedDock(main)
        self.dock.hide()
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.action.toggled.connect(self._show_dock)
        self.dock.visibilityChanged.connect(self._dock_visibility)

        self.rect_tool = RectangleMapTool(self.canvas)
        self.point_tool = PointBufferMapTool(
            self.canvas, self.dock.buffer_m(), self.dock.expand_deg()
        )
        for tool in (self.rect_tool, self.point_tool):
            tool.deactivated.connect(self._tool_deactivated)
        self.rect_tool.captured.connect(self.on_rectangle)
        self.point_tool.captured.connect(self.on_point)
        self._setup_explore()

        d = self.dock
        d.capture_toggled.connect(self._capture_toggled)
        d.capture_mode_changed.connect(self._mode_changed)
        d.buffer_changed.connect(self.point_tool.set_buffer_m)
        d.expand_changed.connect(self.point_tool.set_expand_deg)
        d.embed_selected_requested.connect(self.embed_selected)
        d.prepare_cache_requested.connect(self.prepare_cache)
        d.remove_cache_requested.connect(self.remove_cache)
        d.download_requested.connect(self.start_download)
        d.data_dir_entered.connect(self.apply_data_dir)
        d.cancel_requested.connect(self.cancel_all)
        d.open_table_requested.connect(self.open_samples_table)
        if hasattr(self.iface, "currentLayerChanged"):
            self.iface.currentLayerChanged.connect(self._watch_layer)
        QgsProject.instance().cleared.connect(self._project_cleared)
        self._watch_layer()
        self._check_startup_data_dir()

    def _reclaim_leftovers(self) -> None:
        """Remove, in a task, the temporary folders of QGIS processes that no longer run."""
        task = temp_folders.ReclaimTask()
        self.reclaim_task = task

        def done(task: temp_folders.ReclaimTask = task) -> None:
            if task.removed:
                QgsMessageLog.logMessage(
                    tr(
                        "Removed {n} temporary folders ({size}) left by QGIS sessions that "
                        "ended without closing: {folders}"
                    ).format(
                        n=len(task.removed),
                        size=human_bytes(task.freed),
                        folders=", ".join(task.removed),
                    ),
                    LOG_TAG,
                    Qgis.MessageLevel.Info,
                )

        task.taskCompleted.connect(done)
        QgsApplication.taskManager().addTask(task)

    def _setup_explore(self) -> None:
        """The Explore tab: the panel, the reference tool, markers, right-click similarity."""
        self.explore = ExplorePanel(self.iface)
        self.explore.setObjectName("RsEmbedExplorePanel")
        self.dock.set_explore_panel(self.explore)
        self.ref_tool = ReferenceMapTool(self.canvas)
        self.ref_tool.deactivated.connect(self._ref_tool_deactivated)
        self.ref_tool.point_captured.connect(self.add_reference_point)
        self.ref_tool.rectangle_captured.connect(self.add_reference_rectangle)
        for tool in (self.rect_tool, self.point_tool, self.ref_tool):
            tool.right_clicked.connect(self.similarity_at)
        self.dock.reference_toggled.connect(self._reference_toggled)
        e = self.explore
        e.references_changed.connect(self._sync_markers)
        e.message.connect(self._explore_message)
        e.task_started.connect(self._follow_explore_task)
        e.places_layer_ready.connect(self._watch_places)
        self.canvas.destinationCrsChanged.connect(self._redraw_markers)
        self._sync_explore_data_dir()

    def _teardown_explore(self) -> None:
        if self.explore is not None and self.explore._folder:
            self._explore_folder = self.explore._folder
        try:
            self.canvas.destinationCrsChanged.disconnect(self._redraw_markers)
        except (TypeError, RuntimeError):
            pass
        for layer, slot in self._places:
            try:
                layer.selectionChanged.disconnect(slot)
            except (TypeError, RuntimeError):  # the layer was removed meanwhile
                pass
        self._places.clear()
        self._clear_markers()
        panel = self.explore
        if panel is not None:
            for task in list(panel.tasks):
                try:
                    task.done.disconnect()  # the panel goes: no result is added after unload
                except (TypeError, RuntimeError):
                    pass
            panel.cancel()
            _wait_for(panel.tasks)
            panel.tasks.clear()
            try:
                panel.references_changed.disconnect(self._sync_markers)
            except (TypeError, RuntimeError):
                pass
        self.explore = None

    def teardown(self) -> None:
        """Remove every action, menu entry, dock, map tool and rubber band; stop all tasks."""
        self._teardown_explore()
        for task in list(self.tasks):
            try:
                if isinstance(task, RsEmbedTask):
                    task.done.disconnect(self._task_done)
                else:
                    task.on_done = None
            except (TypeError, RuntimeError):
                pass
            try:
                task.cancel()
            except RuntimeError:  # already deleted by the task manager
                pass
        _wait_for(self.tasks)
        self.tasks.clear()
        self.current_task = self.batch_task = self.data_task = self.download_task = None

        if hasattr(self.iface, "currentLayerChanged"):
            try:
                self.iface.currentLayerChanged.disconnect(self._watch_layer)
            except TypeError:
                pass
        try:
            QgsProject.instance().cleared.disconnect(self._project_cleared)
        except (TypeError, RuntimeError):
            pass
        self._unwatch_batch_layer()
        self._unwatch()

        for tool in (self.rect_tool, self.point_tool, self.ref_tool):
            if tool is None:
                continue
            if self.canvas.mapTool() is tool:
                self.canvas.unsetMapTool(tool)
            tool.cleanup()
            tool.setParent(None)
            tool.deleteLater()
        self.rect_tool = self.point_tool = self.ref_tool = None

        if self.action is not None:
            if self._in_menu == "raster":
                self.iface.removePluginRasterMenu(menu_name(), self.action)
            elif hasattr(self.iface, "removePluginMenu"):
                self.iface.removePluginMenu(menu_name(), self.action)
            if self._on_toolbar == "raster":
                self.iface.removeRasterToolBarIcon(self.action)
            else:
                self.iface.removeToolBarIcon(self.action)
            self.action.setParent(None)
            self.action.deleteLater()
            self.action = None

        if self.dock is not None:
            remove = getattr(self.iface, "removeDockWidget", None)
            if remove is not None:
                remove(self.dock)
            self.dock.close()
            self.dock.setParent(None)
            self.dock.deleteLater()
            self.dock = None

        if self._reclaim_timer is not None:
            self._reclaim_timer.stop()
            self._reclaim_timer = None
        if self.reclaim_task is not None:
            _wait_for([self.reclaim_task])
            self.reclaim_task = None
        self._release_folders()

    def _release_folders(self) -> None:
        """Remove the temporary folders; those holding files of result layers wait for exit.

        The user's result layers (grids, similarity maps, clusters...) stay in the project:
        unloading the plugin removes only what it owns and can recreate.
        """
        folders = [f for f in (self.temp_dir, self._explore_folder) if f]
        self.temp_dir = self._explore_folder = ""
        kept = temp_folders.release(folders, QgsProject.instance())
        if not kept:
            return
        where = ", ".join(sorted({os.path.dirname(lyr.source().split("|")[0]) for lyr in kept}))
        text = tr(
            "Copernicus-Embed was unloaded; its {n} result layers stay in the project. Their "
            "files are in a temporary folder ({folder}) that is removed when QGIS exits: "
            "export the layers (Export > Save As) to keep them."
        ).format(n=len(kept), folder=where)
        QgsMessageLog.logMessage(text, LOG_TAG, Qgis.MessageLevel.Info)
        bar = getattr(self.iface, "messageBar", None)
        if bar is not None:
            bar().pushMessage(tr("Copernicus-Embed"), text, Qgis.MessageLevel.Info, 10)

    # ------------------------------------------------------------------ dock and tools

    def _show_dock(self, on: bool) -> None:
        if self.dock is None:
            return
        if on:
            self.dock.setUserVisible(True)  # also raises it when tabbed behind another dock
        else:
            self.dock.hide()

    def _dock_visibility(self, visible: bool) -> None:
        if self.action is not None and self.action.isChecked() != visible:
            self.action.blockSignals(True)
            self.action.setChecked(visible)
            self.action.blockSignals(False)

    def active_tool(self) -> RectangleMapTool | PointBufferMapTool | None:
        """The map tool of the dock's capture mode."""
        if self.dock is None:
            return None
        return self.point_tool if self.dock.capture_mode() == MODE_POINT else self.rect_tool

    def _capture_toggled(self, on: bool) -> None:
        tool = self.active_tool()
        if tool is None:
            return
        if on:
            current = self.canvas.mapTool()
            if current not in (self.rect_tool, self.point_tool, self.ref_tool):
                self._tool_before_capture = current
            self.canvas.setMapTool(tool)
            if self.dock is not None:
                self.dock.set_status(_capture_prompts()[tool is self.point_tool])
        else:
            if self.dock is not None and self.dock.status_label.text() in _capture_prompts():
                self.dock.set_status("")  # the prompt no longer applies
            self._end_capture()

    def _end_capture(self) -> None:
        """A capture was taken (or given up): release the button, give the previous tool back."""
        tool = self.canvas.mapTool()
        if tool is None or tool not in (self.rect_tool, self.point_tool):
            return
        previous, self._tool_before_capture = self._tool_before_capture, None
        try:
            if previous is not None:
                self.canvas.setMapTool(previous)  # deactivates ours: the button un-presses
                return
        except RuntimeError:  # the previous tool was deleted meanwhile
            pass
        self.canvas.unsetMapTool(tool)

    def _mode_changed(self, _mode: str) -> None:
        current = self.canvas.mapTool()
        if current in (self.rect_tool, self.point_tool):
            self.canvas.setMapTool(self.active_tool())
            if self.dock is not None:
                self.dock.set_capture_checked(True)

    def _tool_deactivated(self) -> None:
        if self.dock is not None:
            # A switch between our two tools re-checks the button in _mode_changed.
            self.dock.set_capture_checked(False)

    def _unwatch(self) -> None:
        layer = getattr(self, "_watched", None)
        if layer is not None:
            try:
                layer.selectionChanged.disconnect(self._selection_changed)
            except (TypeError, RuntimeError):
                pass
        self._watched = None

    def _watch_layer(self, *_args: Any) -> None:
        self._unwatch()
        layer = self.iface.activeLayer()
        if isinstance(layer, QgsVectorLayer):
            layer.selectionChanged.connect(self._selection_changed)
            self._watched = layer
        self._selection_changed()

    def _selection_changed(self, *_args: Any) -> None:
        if self.dock is None:
            return
        layer = self._watched
        if layer is None:
            self.dock.set_selection_info(None, 0, False)
            return
        usable = layer.geometryType() in (
            QgsWkbTypes.GeometryType.PolygonGeometry,
            QgsWkbTypes.GeometryType.PointGeometry,
        )
        self.dock.set_selection_info(layer.name(), layer.selectedFeatureCount(), usable)

    def _project_cleared(self) -> None:
        """New Project or a project being opened: what the dock said about the old one goes,
        and so do the references (and their markers) and the capture preview on its map."""
        self._unwatch_batch_layer()
        if self.explore is not None and self.explore.references():
            self.explore.clear_references()  # references_changed takes the markers off
        self._clear_markers()
        for tool in (self.rect_tool, self.point_tool):
            if tool is not None:
                tool.clear()
        if self.dock is not None and not any(not isinstance(t, DataDirTask) for t in self.tasks):
            self.dock.set_status(tr("Ready."))

    def _watch_batch_layer(self, layer: QgsVectorLayer) -> None:
        """The status line tells about a batch's edits until they are discarded."""
        self._unwatch_batch_layer()
        layer.afterRollBack.connect(self._batch_discarded)
        self._batch_layer = layer

    def _unwatch_batch_layer(self) -> None:
        layer = getattr(self, "_batch_layer", None)
        if layer is not None:
            try:
                layer.afterRollBack.disconnect(self._batch_discarded)
            except (TypeError, RuntimeError):
                pass
        self._batch_layer = None

    def _batch_discarded(self) -> None:
        layer = self._batch_layer
        self._unwatch_batch_layer()
        if self.dock is not None and layer is not None:
            try:
                name = layer.name()
            except RuntimeError:
                name = ""
            self.dock.set_status(
                tr("The edits of {name} were discarded: no embeddings were kept.").format(name=name)
            )

    # ------------------------------------------------------------------ messages

    def notify(
        self,
        text: str,
        level: Any = Qgis.MessageLevel.Info,
        details: str = "",
        in_dock: bool = True,
    ) -> None:
        """Status line (unless the dock shows it elsewhere), message bar (warnings, errors), log."""
        if self.dock is not None and in_dock:
            self.dock.set_status(text, level)
        if level in (Qgis.MessageLevel.Warning, Qgis.MessageLevel.Critical):
            self.iface.messageBar().pushMessage(tr("Copernicus-Embed"), text, level, 8)
        QgsMessageLog.logMessage(text + ("\n" + details if details else ""), LOG_TAG, level)

    # ------------------------------------------------------------------ data directory

    def _check_startup_data_dir(self) -> None:
        """Report the saved (or environment/default) folder; its check runs in a task."""
        if self.dock is None:
            return
        saved = settings.data_dir_setting()
        self.dock.data_edit.setText(saved)
        self.dock._applied_dir = saved
        path, origin = settings.effective_data_dir()
        self.dock.place_data_first(not saved)
        self._check_data_dir(path, origin, save=False)

    @guarded
    def apply_data_dir(self, path: str) -> DataDirTask | None:
        """A folder was typed (Enter/focus-out) or browsed: check it, save it only if usable."""
        return self._check_data_dir(path, "entered", save=True)

    def _check_data_dir(self, path: str, origin: str, save: bool) -> DataDirTask:
        if self.data_task is not None and self.data_task in self.tasks:
            self.data_task.cancel()  # superseded: its result is ignored
        if self.dock is not None:
            self.dock.show_data_pending(os.path.abspath(os.path.expanduser(path)), origin)
        task = DataDirTask(path, origin, save=save)
        self.data_task = task
        self._start(task, "", quiet=True)
        return task

    def _data_dir_done(self, task: DataDirTask) -> None:
        if task is not self.data_task:
            return  # a newer folder was entered meanwhile
        self.data_task = None
        if task.outcome != OK:
            if task.outcome != CANCELLED:
                text = error_text(task.exception)
                if task.save and self.dock is not None:
                    self.dock.show_data_refused(text)
                self.notify(text, Qgis.MessageLevel.Warning, task.details, in_dock=not task.save)
            return
        rep = task.result
        saved = False
        if task.save and rep.usable:
            settings.set_data_dir_setting(rep.folder)
            saved = True
            self.notify(tr("Data directory set: {path}").format(path=rep.folder))
        if saved or not task.save:
            self.data_report = rep
            self._sync_explore_data_dir()
            if self.point_tool is not None and rep.usable:
                self.point_tool.set_grid_origin(rep.grid_origin)  # the preview snaps to it
        if self.dock is not None:
            self.dock.show_data_report(rep, saved or not task.save)
            if task.save and not rep.usable:  # said under the field: not again in the status
                text = self.dock.data_check_label.text().replace("\u200b", "")
                self.notify(text, Qgis.MessageLevel.Warning, in_dock=False)
                if self.data_report is None:  # the start-up check was superseded: run it again
                    self.refresh_data()

    def refresh_data(self) -> DataDirTask:
        """Check the data directory in use again (after a download or a cache change)."""
        path, origin = settings.effective_data_dir()
        return self._check_data_dir(path, origin, save=False)

    @guarded
    def start_download(self, folder: str) -> Any:
        """Download the product into ``folder`` through QGIS's network stack (a QgsTask)."""
        task = make_download_task(folder, self._download_done)
        if task is None:
            self.notify(
                tr("The download is not available in this version of the plugin."),
                Qgis.MessageLevel.Warning,
            )
            return None
        if self.download_task is not None and self.download_task in self.tasks:
            self.notify(tr("A download is already running."), Qgis.MessageLevel.Warning)
            return None
        self.download_task = task
        self._start(task, tr("Downloading Copernicus-Embed into {folder}...").format(folder=folder))
        return task

    def _download_done(self, task: Any) -> None:
        self._task_ended(task)
        if task is self.download_task:
            self.download_task = None
        exc = getattr(task, "exception", None)
        if task.isCanceled() or isinstance(exc, CancelledError):
            self.notify(tr("Download cancelled; the partial file is kept and resumes next time."))
            return
        if exc is not None or not getattr(task, "result", None):
            self.notify(error_text(exc), Qgis.MessageLevel.Critical, getattr(task, "details", ""))
            return
        settings.set_data_dir_setting(task.folder)
        if self.dock is not None:
            self.dock.data_edit.setText(task.folder)
            self.dock._applied_dir = task.folder
        self._sync_explore_data_dir()
        self.notify(tr("Downloaded {path}.").format(path=task.result), Qgis.MessageLevel.Success)
        self.refresh_data()

    # ------------------------------------------------------------------ explore

    def _sync_explore_data_dir(self) -> None:
        """The panel reads the same data directory as the dock."""
        if self.explore is not None and self.dock is not None:
            self.explore.set_data_dir(self.dock.data_dir())

    def _follow_explore_task(self, task: RsEmbedTask) -> None:
        """An Explore task: the dock's progress bar, phase line and Cancel follow it."""
        self.tasks.add(task)
        task.done.connect(self._task_ended)
        task.done.connect(self._explore_task_done)
        self._show_progress(task)

    def _explore_task_done(self, _task: Any) -> None:
        """An Explore task may have built or used the cache or the index: check again."""
        if self.dock is not None:
            self.refresh_data()

    def _explore_message(self, text: str, level: Any) -> None:
        self.notify(text, level)

    def _reference_toggled(self, on: bool) -> None:
        if self.ref_tool is None:
            return
        if on:
            self.canvas.setMapTool(self.ref_tool)
            if self.dock is not None:
                self.dock.set_status(
                    tr("Click a pixel or drag a rectangle: each becomes a reference.")
                )
        elif self.canvas.mapTool() is self.ref_tool:
            self.canvas.unsetMapTool(self.ref_tool)

    def _ref_tool_deactivated(self) -> None:
        if self.dock is not None:
            self.dock.set_reference_checked(False)

    def _to_wgs84(self) -> QgsCoordinateTransform:
        crs = self.canvas.mapSettings().destinationCrs()
        return QgsCoordinateTransform(crs, QgsCoordinateReferenceSystem(_WGS84), self._context())

    def _lonlat(self, point: QgsPointXY) -> tuple[float, float]:
        """A canvas point in EPSG:4326 (lon wrapped to -180..180)."""
        q = self._to_wgs84().transform(point)
        return (q.x() + 180.0) % 360.0 - 180.0, max(-90.0, min(90.0, q.y()))

    @guarded
    def add_reference_point(self, point: QgsPointXY) -> None:
        """A clicked point (canvas CRS) becomes a reference: the product pixel under it."""
        if self.explore is None:
            return
        try:
            lon, lat = self._lonlat(point)
        except QgsCsException:
            self.notify(tr("That point has no longitude/latitude."), Qgis.MessageLevel.Warning)
            return
        self.explore.add_point_reference(lon, lat)

    @guarded
    def add_reference_rectangle(self, rect: QgsRectangle) -> None:
        """A drawn rectangle (canvas CRS) becomes a reference: its exact area-weighted mean."""
        from rs_embed_qgis.bridge.geometry import extent_to_spec

        if self.explore is None:
            return
        crs = self.canvas.mapSettings().destinationCrs()
        try:
            spec = extent_to_spec(rect, crs, self._context())
        except RsEmbedError as exc:
            self.notify(error_text(exc), Qgis.MessageLevel.Warning)
            return
        if isinstance(spec, BBox):
            self.explore.add_box_reference(spec.as_tuple())
        else:  # across the antimeridian: one ring past 180
            self.explore.add_area_reference(spec)

    @guarded
    def similarity_at(self, point: QgsPointXY) -> Any:
        """Right-click: colour the map extent by similarity to the clicked pixel (a task)."""
        if self.explore is None:
            return None
        try:
            lon, lat = self._lonlat(point)
        except QgsCsException:
            self.notify(tr("That point has no longitude/latitude."), Qgis.MessageLevel.Warning)
            return None
        panel = self.explore
        self._sync_explore_data_dir()
        if self.dock is not None:
            self.dock.show_explore()
        return panel.similarity_from_point(lon, lat, SCOPE_MAP)  # the map extent

    @staticmethod
    def _reference_geometry(ref: Any) -> QgsGeometry | None:
        """A reference's geometry in EPSG:4326 (None for a kind without one)."""
        if isinstance(ref, tuple) and len(ref) == 2:
            return QgsGeometry.fromPointXY(QgsPointXY(float(ref[0]), float(ref[1])))
        if isinstance(ref, BBox):
            return QgsGeometry.fromRect(QgsRectangle(*ref.as_tuple()))
        if isinstance(ref, Polygon) and ref.wkt:
            return QgsGeometry.fromWkt(ref.wkt)
        return None

    def _marker_for(self, ref: Any) -> QgsRubberBand | None:
        geom = self._reference_geometry(ref)
        if geom is None or geom.isEmpty():
            return None
        crs = self.canvas.mapSettings().destinationCrs()
        to_canvas = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem(_WGS84), crs, self._context()
        )
        try:
            geom.transform(to_canvas)
        except QgsCsException:  # outside the canvas CRS's area: nothing to draw
            return None
        return new_marker(self.canvas, geom)

    def _sync_markers(self, *_args: Any) -> None:
        """One marker per reference of the panel: new ones drawn, removed ones taken off."""
        if self.explore is None:
            return
        refs = self.explore.references()
        kept = []
        for ref, band in self.markers:
            if any(ref is r for r in refs):
                kept.append((ref, band))
            else:
                remove_marker(self.canvas, band)
        self.markers = kept
        for ref in refs:
            if not any(ref is k for k, _ in kept):
                band = self._marker_for(ref)
                if band is not None:
                    self.markers.append((ref, band))

    def _clear_markers(self) -> None:
        for _ref, band in self.markers:
            remove_marker(self.canvas, band)
        self.markers = []

    def _redraw_markers(self, *_args: Any) -> None:
        """The canvas CRS changed: draw every marker again in the new one."""
        self._clear_markers()
        self._sync_markers()

    def _watch_places(self, layer: QgsVectorLayer) -> None:
        """Selecting a row of a "places like this" layer zooms the canvas there."""

        def slot(*_args: Any, layer: QgsVectorLayer = layer) -> None:
            self.zoom_to_selected(layer)

        layer.selectionChanged.connect(slot)
        self._places.append((layer, slot))

    @guarded
    def zoom_to_selected(self, layer: QgsVectorLayer) -> None:
        """Zoom the canvas to the selected features of ``layer`` (with a margin)."""
        if layer.selectedFeatureCount() == 0:
            return
        box = layer.boundingBoxOfSelected()
        box.grow(_PLACE_ZOOM_DEG)
        ct = QgsCoordinateTransform(
            layer.crs(), self.canvas.mapSettings().destinationCrs(), self._context()
        )
        try:
            extent = ct.transformBoundingBox(box)
        except QgsCsException:
            return
        self.canvas.setExtent(extent)
        self.canvas.refresh()

    # ------------------------------------------------------------------ requests

    def _context(self) -> Any:
        return QgsProject.instance().transformContext()

    @guarded
    def on_rectangle(self, rect: QgsRectangle) -> EmbedTask | None:
        """A rectangle was drawn (canvas CRS): embed it."""
        from rs_embed_qgis.bridge.jobs import extent_request

        crs = self.canvas.mapSettings().destinationCrs()
        try:
            request = extent_request(rect, crs, self._context(), self.dock.expand_deg())
        except RsEmbedError as exc:
            self.notify(error_text(exc), Qgis.MessageLevel.Warning)
            return None
        task = self.start_embed(request, QgsGeometry.fromRect(rect), crs)
        self._end_capture()
        return task

    @guarded
    def on_point(self, point: QgsPointXY) -> EmbedTask | None:
        """A point was clicked (canvas CRS): embed its buffer."""
        from rs_embed_qgis.bridge.jobs import point_request

        crs = self.canvas.mapSettings().destinationCrs()
        try:
            request = point_request(point, crs, self.dock.buffer_m(), self._context())
        except RsEmbedError as exc:
            self.notify(error_text(exc), Qgis.MessageLevel.Warning)
            return None
        task = self.start_embed(request, QgsGeometry.fromPointXY(point), crs)
        self._end_capture()
        return task

    def start_embed(self, request: Any, geometry: QgsGeometry, crs: Any) -> EmbedTask:
        """Run one embedding in the task manager; a newer request replaces a running one."""
        if self.current_task is not None and self.current_task in self.tasks:
            self.current_task.cancel()
        output = self.dock.output_spec()
        mode = {"pooled": tr("pooled"), "grid": tr("grid")}.get(output.mode, output.mode)
        task = EmbedTask(
            request,
            output,
            self.dock.data_dir(),
            self.dock.expand_deg(),
            grid_folder=self.temp_dir,
            context={"geometry": QgsGeometry(geometry), "crs": crs},
            description=tr("Copernicus-Embed: {mode} of an area").format(mode=mode),
        )
        self.current_task = task
        self._start(task, tr("Embedding ({mode})...").format(mode=mode))
        return task

    def _cache_choice(self, n_features: int) -> bool | None:
        """Whether the batch builds the fast cache (asked when it would); None = cancelled."""
        rep = self.data_report
        if n_features < CACHE_ASK_MIN_FEATURES or rep is None or not rep.usable:
            return False
        st = rep.cache or {}
        if st.get("ready") or st.get("error") or not st.get("bytes"):
            return False
        answer = layers.ask_cache(
            self.iface.mainWindow(), n_features, human_bytes(st["bytes"]), st.get("folder", "")
        )
        if answer is None:
            return None
        return answer == "build"

    @guarded
    def embed_selected(self) -> BatchEmbedTask | None:
        """Embed the selected features of the active layer into its emb_* fields or a new layer."""
        layer = self.iface.activeLayer()
        if not isinstance(layer, QgsVectorLayer) or layer.selectedFeatureCount() == 0:
            self.notify(
                tr("Select features of a polygon or point layer first."), Qgis.MessageLevel.Warning
            )
            return None
        if self.batch_task is not None and self.batch_task in self.tasks:
            self.notify(
                tr("A batch is already running; cancel it or wait."), Qgis.MessageLevel.Warning
            )
            return None
        store = self.dock.store()
        names = layers.batch_field_names(store)
        plan = layers.BatchPlan(layer.id(), [], store=store)
        problem = layers.capacity_problem(layer, names)
        parent = self.iface.mainWindow()
        if problem:
            route = layers.ask_other_route(parent, layer, problem)
            if route is None:
                self.notify(tr("Nothing was written."))
                return None
            plan.route = route
            if route == layers.ROUTE_GPKG:
                suggested = os.path.join(os.path.expanduser("~"), f"{layer.name()}_embeddings.gpkg")
                plan.path = layers.ask_gpkg_path(parent, suggested)
                if not plan.path:
                    self.notify(tr("Nothing was written."))
                    return None
        else:
            existing = layers.existing_fields(layer, names)
            if existing and not layers.ask_overwrite(parent, layer, existing):
                self.notify(tr("Nothing was written: the existing embeddings were kept."))
                return None
        n = layer.selectedFeatureCount()
        prepare = self._cache_choice(n)
        if prepare is None:
            self.notify(tr("Nothing was written."))
            return None
        # Copies of the features; their geometries are converted in the task, off this thread.
        feats = list(layer.getSelectedFeatures())
        plan.fids = [f.id() for f in feats]
        task = BatchEmbedTask(
            feats,
            layer.crs(),
            self._context(),
            OutputSpec.pooled(self.dock.pooling()),
            self.dock.data_dir(),
            buffer_m=self.dock.buffer_m(),
            expand_deg=self.dock.expand_deg(),
            prepare_cache=prepare,
            plan=plan,
            description=tr("Copernicus-Embed: {n} features of {name}").format(
                n=len(feats), name=layer.name()
            ),
        )
        self.batch_task = task
        status = tr("Embedding {n} features of {name}...").format(n=len(feats), name=layer.name())
        if prepare:
            status += " " + tr("The fast cache is built first.")
        self._start(task, status)
        return task

    @guarded
    def prepare_cache(self) -> PrepareCacheTask | None:
        """Build the fast cache of the product file found by the last check."""
        rep = self.data_report
        if rep is None or not rep.usable:
            self.notify(tr("No product file in the data directory."), Qgis.MessageLevel.Warning)
            return None
        task = PrepareCacheTask(rep.file, description=tr("Copernicus-Embed: fast cache"))
        self._start(task, tr("Preparing the fast cache..."))
        return task

    @guarded
    def remove_cache(self) -> RemoveCacheTask | None:
        """Delete the fast cache of the product file found by the last check."""
        rep = self.data_report
        if rep is None or not rep.usable:
            self.notify(tr("No product file in the data directory."), Qgis.MessageLevel.Warning)
            return None
        st = rep.cache or {}
        cache_size = human_bytes(st.get("disk_bytes") or 0)
        index = True
        if st.get("index_bytes"):
            answer = layers.ask_remove_cache(
                self.iface.mainWindow(),
                cache_size,
                st.get("folder", ""),
                human_bytes(st["index_bytes"]),
                st.get("index_folder", ""),
            )
            if answer is None:
                self.notify(tr("Nothing was removed."))
                return None
            index = answer == "both"
        task = RemoveCacheTask(
            rep.file, description=tr("Copernicus-Embed: remove cache"), index=index
        )
        if index and st.get("index_bytes"):
            status = tr(
                "Removing the fast cache ({size}) and the search index ({isize})..."
            ).format(size=cache_size, isize=human_bytes(st["index_bytes"]))
        else:
            status = tr("Removing the fast cache ({size})...").format(size=cache_size)
        self._start(task, status)
        return task

    @guarded
    def cancel_all(self) -> None:
        """Cancel every running task of the plugin."""
        if self.dock is not None and self.tasks:
            # Before cancel(): a task still queued finishes (and reports) inside cancel().
            self.dock.set_status(tr("Cancelling..."))
        for task in list(self.tasks):
            task.cancel()

    @guarded
    def open_samples_table(self) -> None:
        """Open the attribute table of the samples layer last written to."""
        project = QgsProject.instance()
        layer = project.mapLayer(self.last_samples_layer_id) or layers.samples_layer(
            project, "point", create=False
        )
        if layer is None:
            layer = layers.samples_layer(project, "rectangle", create=False)
        if layer is None:
            self.notify(tr("No samples yet: capture a pooled embedding first."))
            return
        show = getattr(self.iface, "showAttributeTable", None)
        if show is not None:
            show(layer)

    # ------------------------------------------------------------------ tasks

    def _start(self, task: Any, status: str, quiet: bool = False) -> None:
        self.tasks.add(task)
        if isinstance(task, RsEmbedTask):
            task.done.connect(self._task_done)
        if not quiet:
            if self.dock is not None:
                self.dock.set_status(status)
            self._show_progress(task)
        QgsApplication.taskManager().addTask(task)

    def _show_progress(self, task: Any) -> None:
        """The dock's progress bar, phase line and Cancel follow ``task`` (one of self.tasks)."""
        task.progressChanged.connect(lambda v, t=task: self._progress(t, v))
        if self.dock is not None:
            self.dock.set_progress(None)
            self.dock.set_progress(0)
            self.dock.set_busy(True)

    def _progress(self, task: Any, value: float) -> None:
        if self.dock is not None and task in self.tasks:
            self.dock.set_progress(value)
            phase = getattr(task, "message", "")
            if phase:
                self.dock.phase_label.setText(phase)

    def _task_ended(self, task: Any) -> None:
        self.tasks.discard(task)
        if task is self.current_task:
            self.current_task = None
        if task is self.batch_task:
            self.batch_task = None
        if self.dock is not None:
            busy = any(not isinstance(t, DataDirTask) for t in self.tasks)
            self.dock.set_busy(busy)
            if not busy:
                self.dock.set_progress(None)

    def _task_done(self, task: RsEmbedTask) -> None:
        """Main thread: turn a finished task into layers, fields and messages."""
        self._task_ended(task)
        if isinstance(task, DataDirTask):
            self._data_dir_done(task)
            return
        if isinstance(task, EmbedTask):
            for tool in (self.rect_tool, self.point_tool):
                if tool is not None and self.current_task is None:
                    tool.clear()  # the result is here: the preview is no longer needed
        # Whatever a task did (or left half done), the cache line says what is on disk now.
        self.refresh_data()
        if task.outcome == CANCELLED:
            self.notify(tr("Cancelled; nothing was changed."))
            return
        if task.outcome != OK:
            exc = task.exception
            self.notify(error_text(exc), error_level(exc), task.details)
            return
        try:
            if isinstance(task, EmbedTask):
                self._embed_done(task)
            elif isinstance(task, BatchEmbedTask):
                self._batch_done(task)
            elif isinstance(task, PrepareCacheTask):
                self.notify(tr("The fast cache is ready."), Qgis.MessageLevel.Success)
            elif isinstance(task, RemoveCacheTask):
                text = (
                    tr("The fast cache and the search index were removed.")
                    if task.index
                    else tr("The fast cache was removed; the search index was kept.")
                )
                self.notify(text, Qgis.MessageLevel.Success)
        except Exception as exc:  # a layer could not be written: say so, never crash QGIS
            self.notify(error_text(exc), Qgis.MessageLevel.Critical, traceback.format_exc())

    def _embed_done(self, task: EmbedTask) -> None:
        project = QgsProject.instance()
        res = task.result
        meta = res.embedding.meta
        if res.files is not None:
            layers.add_grid_layers(res.files, project)
            shape = meta.get("chw_shape") or getattr(res.embedding.data, "shape", (0, 0, 0))
            self.notify(
                tr(
                    "Grid of {w} columns x {h} rows of 0.25° pixels added ({frac:.0%} with data)."
                ).format(w=shape[2], h=shape[1], frac=meta.get("valid_fraction", 0.0)),
                Qgis.MessageLevel.Success,
            )
            return
        layer, _ = layers.add_sample(
            project, task.context["geometry"], task.context["crs"], res.embedding
        )
        self.last_samples_layer_id = layer.id()
        self.notify(
            tr("Sample added to {name} ({frac:.0%} of the area has data).").format(
                name=layer.name(), frac=meta.get("valid_fraction", 0.0)
            ),
            Qgis.MessageLevel.Success,
        )

    def _batch_done(self, task: BatchEmbedTask) -> None:
        from rs_embed_qgis.bridge.outputs import valid_fraction_value

        res = task.result
        feats = res.features
        fracs = {
            fid: (valid_fraction_value(meta) if vec is not None else None)
            for fid, vec, meta in zip(res.fids, feats.vectors, feats.metas, strict=True)
        }
        out = layers.apply_batch(QgsProject.instance(), task.plan, res.vectors, fracs)
        text = tr("{ok} of {n} features embedded into {name}.").format(
            ok=feats.n_embedded, n=len(res.fids), name=out.name()
        )
        if task.plan.route == layers.ROUTE_LAYER:
            text += " " + tr("Save the layer's edits to keep them, or undo.")
            self._watch_batch_layer(out)
        errors = res.errors
        for fid, err in errors.items():
            QgsMessageLog.logMessage(
                tr("Feature {fid}: {err}").format(fid=fid, err=err),
                LOG_TAG,
                Qgis.MessageLevel.Warning,
            )
        for warning in feats.warnings:
            QgsMessageLog.logMessage(warning, LOG_TAG, Qgis.MessageLevel.Warning)
        if res.cache_warning:
            text += " " + tr("The fast cache could not be built ({err}); read directly.").format(
                err=res.cache_warning
            )
        if errors:
            first = next(iter(errors.values()))
            text += " " + tr(
                "{k} without a value (each reason in the log panel, rs_embed), e.g.: {err}"
            ).format(k=len(errors), err=first)
        level = (
            Qgis.MessageLevel.Warning if errors or res.cache_warning else Qgis.MessageLevel.Success
        )
        self.notify(text, level)


def make_download_task(folder: str, on_done: Callable[[Any], None]) -> Any:
    """A DownloadTask of the product into ``folder`` (bridge.download), or None if absent."""
    try:
        from rs_embed_qgis.bridge.download import DownloadTask
    except ImportError:
        return None
    return DownloadTask(
        folder,
        on_done=on_done,
        description=tr("Copernicus-Embed: download into {folder}").format(folder=folder),
    )
