"""The GUI controller: action, menu entry, dock, map tools and tasks; teardown undoes it all.

It is the only place that connects the dock's choices to the bridge (QGIS geometry ->
specs), the tasks (core work off the main thread) and ``layers`` (results -> project).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsGeometry,
    QgsMessageLog,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QAction

from rs_embed_qgis.core.specs import OutputSpec
from rs_embed_qgis.gui import layers
from rs_embed_qgis.gui.dock import MODE_POINT, EmbedDock
from rs_embed_qgis.gui.map_tools import PointBufferMapTool, RectangleMapTool
from rs_embed_qgis.gui.tasks import (
    CANCELLED,
    OK,
    BatchEmbedTask,
    EmbedTask,
    PrepareCacheTask,
    RsEmbedTask,
    keep_triton_out,
)
from rs_embed_qgis.plugin import tr
from rs_embed_qgis.processing.base import plugin_icon

LOG_TAG = "rs_embed"
MENU_NAME = "&Copernicus-Embed"
# Task waits on unload: long enough for a read in flight to notice the cancel.
_UNLOAD_WAIT_MS = 10_000


def error_text(exc: BaseException | None) -> str:
    """Plain words for the message bar: the core's own message, else the exception type."""
    from rs_embed_qgis.core.errors import RsEmbedError

    if exc is None:
        return tr("The task stopped without a result.")
    if isinstance(exc, RsEmbedError):
        return str(exc)
    return tr("Unexpected {kind}: {msg} (details in the log panel, rs_embed).").format(
        kind=type(exc).__name__, msg=exc
    )


class GuiController:
    """Owns everything the plugin adds to the QGIS window, and removes it in ``teardown()``."""

    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.action: QAction | None = None
        self.dock: EmbedDock | None = None
        self.rect_tool: RectangleMapTool | None = None
        self.point_tool: PointBufferMapTool | None = None
        self.tasks: set[RsEmbedTask] = set()
        self.current_task: EmbedTask | None = None
        self.batch_task: BatchEmbedTask | None = None
        self.temp_dir = ""
        self.last_samples_layer_id = ""
        self._in_menu = ""
        self._on_toolbar = ""
        self._watched: QgsVectorLayer | None = None

    # ------------------------------------------------------------------ setup / teardown

    def setup(self) -> None:
        """Create the action (toolbar + Plugins/Raster menu), the dock and the map tools."""
        keep_triton_out()
        main = self.iface.mainWindow()
        self.temp_dir = tempfile.mkdtemp(prefix="rs_embed_qgis_")
        self.action = QAction(plugin_icon(), tr("Copernicus-Embed"), main)
        self.action.setObjectName("RsEmbedAction")
        self.action.setCheckable(True)
        self.action.setToolTip(tr("Copernicus-Embed: embeddings of an area, a point or features"))
        add_icon = getattr(self.iface, "addRasterToolBarIcon", None)
        if add_icon is not None:
            add_icon(self.action)
            self._on_toolbar = "raster"
        else:
            self.iface.addToolBarIcon(self.action)
            self._on_toolbar = "plugins"
        add_menu = getattr(self.iface, "addPluginToRasterMenu", None)
        if add_menu is not None:
            add_menu(tr(MENU_NAME), self.action)
            self._in_menu = "raster"
        else:
            self.iface.addPluginToMenu(tr(MENU_NAME), self.action)
            self._in_menu = "plugins"

        self.dock = EmbedDock(main)
        self.dock.hide()
        self.iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        self.action.toggled.connect(self._show_dock)
        self.dock.visibilityChanged.connect(self._dock_visibility)

        self.rect_tool = RectangleMapTool(self.canvas)
        self.point_tool = PointBufferMapTool(self.canvas, self.dock.buffer_m())
        for tool in (self.rect_tool, self.point_tool):
            tool.deactivated.connect(self._tool_deactivated)
        self.rect_tool.captured.connect(self.on_rectangle)
        self.point_tool.captured.connect(self.on_point)

        d = self.dock
        d.capture_toggled.connect(self._capture_toggled)
        d.capture_mode_changed.connect(self._mode_changed)
        d.buffer_changed.connect(self.point_tool.set_buffer_m)
        d.embed_selected_requested.connect(self.embed_selected)
        d.prepare_cache_requested.connect(self.prepare_cache)
        d.cancel_requested.connect(self.cancel_all)
        d.open_table_requested.connect(self.open_samples_table)
        if hasattr(self.iface, "currentLayerChanged"):
            self.iface.currentLayerChanged.connect(self._watch_layer)
        self._watch_layer()

    def teardown(self) -> None:
        """Remove every action, menu entry, dock, map tool and rubber band; stop all tasks."""
        for task in list(self.tasks):
            try:
                task.done.disconnect(self._task_done)
            except TypeError:
                pass
            task.cancel()
        for task in list(self.tasks):
            try:
                task.waitForFinished(_UNLOAD_WAIT_MS)
            except RuntimeError:  # already deleted by the task manager
                pass
        self.tasks.clear()
        self.current_task = self.batch_task = None

        if hasattr(self.iface, "currentLayerChanged"):
            try:
                self.iface.currentLayerChanged.disconnect(self._watch_layer)
            except TypeError:
                pass
        self._unwatch()

        for tool in (self.rect_tool, self.point_tool):
            if tool is None:
                continue
            if self.canvas.mapTool() is tool:
                self.canvas.unsetMapTool(tool)
            tool.cleanup()
            tool.setParent(None)
            tool.deleteLater()
        self.rect_tool = self.point_tool = None

        if self.action is not None:
            if self._in_menu == "raster":
                self.iface.removePluginRasterMenu(tr(MENU_NAME), self.action)
            elif hasattr(self.iface, "removePluginMenu"):
                self.iface.removePluginMenu(tr(MENU_NAME), self.action)
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

        if self.temp_dir:
            layers.remove_temporary_layers(QgsProject.instance(), self.temp_dir)
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = ""

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
        if visible and self.dock is not None:
            self.dock.refresh_data()

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
            self.canvas.setMapTool(tool)
            if self.dock is not None:
                self.dock.set_status(
                    tr("Drag a rectangle on the map.")
                    if tool is self.rect_tool
                    else tr("Click a point on the map.")
                )
        elif self.canvas.mapTool() is tool:
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
        usable = layer.geometryType() in (QgsWkbTypes.PolygonGeometry, QgsWkbTypes.PointGeometry)
        self.dock.set_selection_info(layer.name(), layer.selectedFeatureCount(), usable)

    # ------------------------------------------------------------------ messages

    def notify(self, text: str, level: int = Qgis.Info, details: str = "") -> None:
        """Status line, message bar (warnings and errors) and log."""
        if self.dock is not None:
            self.dock.set_status(text, level)
        if level in (Qgis.Warning, Qgis.Critical):
            self.iface.messageBar().pushMessage(tr("Copernicus-Embed"), text, level, 8)
        QgsMessageLog.logMessage(text + ("\n" + details if details else ""), LOG_TAG, level)

    # ------------------------------------------------------------------ requests

    def _context(self) -> Any:
        return QgsProject.instance().transformContext()

    def on_rectangle(self, rect: QgsRectangle) -> EmbedTask | None:
        """A rectangle was drawn (canvas CRS): embed it."""
        from rs_embed_qgis.bridge.geometry import extent_to_spec
        from rs_embed_qgis.core.errors import RsEmbedError

        crs = self.canvas.mapSettings().destinationCrs()
        try:
            spec = extent_to_spec(rect, crs, self._context(), self.dock.expand_deg())
        except RsEmbedError as exc:
            self.notify(error_text(exc), Qgis.Warning)
            return None
        return self.start_embed(spec, QgsGeometry.fromRect(rect), crs)

    def on_point(self, point: QgsPointXY) -> EmbedTask | None:
        """A point was clicked (canvas CRS): embed its buffer."""
        from rs_embed_qgis.bridge.geometry import point_to_spec
        from rs_embed_qgis.core.errors import RsEmbedError

        crs = self.canvas.mapSettings().destinationCrs()
        try:
            spec = point_to_spec(point, crs, self.dock.buffer_m(), self._context())
        except RsEmbedError as exc:
            self.notify(error_text(exc), Qgis.Warning)
            return None
        return self.start_embed(spec, QgsGeometry.fromPointXY(point), crs)

    def start_embed(self, spec: Any, geometry: QgsGeometry, crs: Any) -> EmbedTask:
        """Run one embedding in the task manager; a newer request replaces a running one."""
        if self.current_task is not None and self.current_task in self.tasks:
            self.current_task.cancel()
        output = self.dock.output_spec()
        task = EmbedTask(
            spec,
            output,
            self.dock.data_dir(),
            self.dock.expand_deg(),
            grid_folder=self.temp_dir,
            request={"geometry": QgsGeometry(geometry), "crs": crs},
            description=tr("Copernicus-Embed: {mode} of an area").format(mode=output.mode),
        )
        self.current_task = task
        self._start(task, tr("Embedding ({mode})...").format(mode=output.mode))
        return task

    def embed_selected(self) -> BatchEmbedTask | None:
        """Embed the selected features of the active layer into its emb_* fields or a new layer."""
        from rs_embed_qgis.bridge.geometry import features_to_specs
        from rs_embed_qgis.bridge.outputs import embedding_field_names
        from rs_embed_qgis.core.errors import RsEmbedError

        layer = self.iface.activeLayer()
        if not isinstance(layer, QgsVectorLayer) or layer.selectedFeatureCount() == 0:
            self.notify(tr("Select features of a polygon or point layer first."), Qgis.Warning)
            return None
        if self.batch_task is not None and self.batch_task in self.tasks:
            self.notify(tr("A batch is already running; cancel it or wait."), Qgis.Warning)
            return None
        names = embedding_field_names()
        plan = layers.BatchPlan(layer.id(), [])
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
        feats = list(layer.getSelectedFeatures())
        try:
            specs = features_to_specs(
                feats, layer.crs(), self._context(), buffer_m=self.dock.buffer_m()
            )
        except RsEmbedError as exc:
            self.notify(error_text(exc), Qgis.Warning)
            return None
        plan.fids = [f.id() for f in feats]
        task = BatchEmbedTask(
            plan.fids,
            specs,
            OutputSpec.pooled(self.dock.pooling()),
            self.dock.data_dir(),
            self.dock.expand_deg(),
            plan=plan,
            description=tr("Copernicus-Embed: {n} features of {name}").format(
                n=len(feats), name=layer.name()
            ),
        )
        self.batch_task = task
        self._start(
            task,
            tr("Embedding {n} features of {name}...").format(n=len(feats), name=layer.name()),
        )
        return task

    def prepare_cache(self) -> PrepareCacheTask | None:
        """Build the fast cache of the product file in the data directory."""
        from rs_embed_qgis.core.dataset import find_product_file

        path = find_product_file(self.dock.data_dir())
        if path is None:
            self.notify(tr("No product file in the data directory."), Qgis.Warning)
            return None
        task = PrepareCacheTask(str(path), description=tr("Copernicus-Embed: fast cache"))
        self._start(task, tr("Preparing the fast cache..."))
        return task

    def cancel_all(self) -> None:
        """Cancel every running task of the plugin."""
        if self.dock is not None and self.tasks:
            # Before cancel(): a task still queued finishes (and reports) inside cancel().
            self.dock.set_status(tr("Cancelling..."))
        for task in list(self.tasks):
            task.cancel()

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

    def _start(self, task: RsEmbedTask, status: str) -> None:
        self.tasks.add(task)
        task.done.connect(self._task_done)
        task.progressChanged.connect(self._progress)
        if self.dock is not None:
            self.dock.set_status(status)
            self.dock.set_progress(0)
            self.dock.set_busy(True)
        QgsApplication.taskManager().addTask(task)

    def _progress(self, value: float) -> None:
        if self.dock is not None:
            self.dock.set_progress(value)

    def _task_done(self, task: RsEmbedTask) -> None:
        """Main thread: turn a finished task into layers, fields and messages."""
        self.tasks.discard(task)
        if task is self.current_task:
            self.current_task = None
        if task is self.batch_task:
            self.batch_task = None
        if self.dock is not None:
            self.dock.set_busy(bool(self.tasks))
            if not self.tasks:
                self.dock.set_progress(None)
        if task.outcome == CANCELLED:
            self.notify(tr("Cancelled; nothing was changed."))
            return
        if task.outcome != OK:
            self.notify(error_text(task.exception), Qgis.Critical, task.details)
            return
        try:
            if isinstance(task, EmbedTask):
                self._embed_done(task)
            elif isinstance(task, BatchEmbedTask):
                self._batch_done(task)
            elif isinstance(task, PrepareCacheTask):
                self.notify(tr("The fast cache is ready."), Qgis.Success)
        except Exception as exc:  # a layer could not be written: say so, never crash QGIS
            import traceback

            self.notify(error_text(exc), Qgis.Critical, traceback.format_exc())
        if self.dock is not None:
            self.dock.refresh_data()

    def _embed_done(self, task: EmbedTask) -> None:
        project = QgsProject.instance()
        res = task.result
        meta = res.embedding.meta
        if res.files is not None:
            layers.add_grid_layers(res.files, project)
            self.notify(
                tr("Grid of {h} x {w} pixels added ({frac:.0%} with data).").format(
                    h=meta["chw_shape"][1],
                    w=meta["chw_shape"][2],
                    frac=meta.get("valid_fraction", 0.0),
                ),
                Qgis.Success,
            )
            return
        layer, _ = layers.add_sample(
            project, task.request["geometry"], task.request["crs"], res.embedding
        )
        self.last_samples_layer_id = layer.id()
        self.notify(
            tr("Sample added to {name} ({frac:.0%} of the area has data).").format(
                name=layer.name(), frac=meta.get("valid_fraction", 0.0)
            ),
            Qgis.Success,
        )

    def _batch_done(self, task: BatchEmbedTask) -> None:
        res = task.result
        out = layers.apply_batch(QgsProject.instance(), task.plan, res.vectors)
        n_ok = sum(v is not None for v in res.vectors.values())
        text = tr("{ok} of {n} features embedded into {name}.").format(
            ok=n_ok, n=len(res.vectors), name=out.name()
        )
        if task.plan.route == layers.ROUTE_LAYER:
            text += " " + tr("Save the layer's edits to keep them, or undo.")
        if res.errors:
            first = next(iter(res.errors.values()))
            text += " " + tr("{k} without a value, e.g.: {err}").format(
                k=len(res.errors), err=first
            )
        self.notify(text, Qgis.Warning if res.errors else Qgis.Success)
