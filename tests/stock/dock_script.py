"""Drive the plugin's dock in an offscreen Debian QGIS; run by /usr/bin/python3, clean env.

    python3 dock_script.py <plugins dir> <spec.json> <summary.json>

Standard library + PyQGIS only (no pytest, no venv): loads the installed plugin through
qgis.utils like QGIS does, drives the GuiController's public methods (rectangle, point,
grid, batch of selected features, cache preparation, cancel of a running preparation),
unloads it and writes a JSON summary for tests/stock/test_dock.py to check. The spec holds
the data folders, the geometries and an output folder for the grid copy.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import threading
import time
import traceback
from unittest import mock

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsTask,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QSize

PLUGIN = "rs_embed_qgis"
FORBIDDEN = ("torch", "torchgeo", "shapely", "rasterio", "exactextract", "xarray")
WATCHED = FORBIDDEN + ("pyproj", "triton")
WGS84 = "EPSG:4326"


def wait_for(cond, timeout: float = 120.0, what: str = "") -> float:
    """Process Qt events until cond() is true; seconds waited; raises on timeout."""
    t0 = time.monotonic()
    while not cond():
        QCoreApplication.processEvents()
        time.sleep(0.005)
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
    return time.monotonic() - t0


def held_preparation(base: type) -> type:
    """``base`` (PrepareCacheTask) whose workers wait at the 3rd cancel check for a cancel.

    So the cancel always lands in the middle of the decoding, with no clock and no race
    (a sleep of 0.2 s before the cancel raced the preparation on a fast or loaded machine).
    """

    class Held(base):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.held = threading.Event()
            self.checks = 0
            self._lock = threading.Lock()

        def isCanceled(self) -> bool:  # noqa: N802 - QGIS API
            if threading.current_thread() is threading.main_thread():
                return super().isCanceled()
            with self._lock:
                self.checks += 1
                n = self.checks
            if n >= 3:
                self.held.set()
                deadline = time.monotonic() + 120.0
                while not super().isCanceled() and time.monotonic() < deadline:
                    time.sleep(0.001)
            return super().isCanceled()

    Held.__name__ = Held.__qualname__ = base.__name__
    return Held


def make_iface():
    """What qgis.testing.mocked.get_iface() builds, with unittest.mock (Debian lacks `mock`)."""
    from qgis.gui import QgisInterface, QgsMapCanvas
    from qgis.PyQt.QtWidgets import QMainWindow

    iface = mock.Mock(spec=QgisInterface)
    main = QMainWindow()
    iface.mainWindow.return_value = main
    canvas = QgsMapCanvas(main)
    canvas.resize(QSize(400, 400))
    iface.mapCanvas.return_value = canvas
    iface.activeLayer.return_value = None
    return iface, main, canvas


def plain(value):
    """JSON for Qt values: a NULL QVariant is None."""
    if hasattr(value, "isNull") and value.isNull():
        return None
    if hasattr(value, "value"):
        return value.value()
    return str(value)


def vector_of(feat, names):
    """A feature's emb_* values (None when all NULL)."""
    vals = [feat[n] for n in names]
    if all(v is None or (hasattr(v, "isNull") and v.isNull()) for v in vals):
        return None
    return [float(v) for v in vals]


def run_task(ctl, start, timeout: float = 120.0):
    """Start a controller request; wait until it has left the controller's tasks."""
    task = start()
    if task is None:
        return None, ctl.dock.status_label.text() if ctl.dock else ""
    wait_for(lambda: task not in ctl.tasks, timeout, "task end")
    return task, ctl.dock.status_label.text()


def main() -> int:
    plugins_dir, spec_path, out_path = sys.argv[1:4]
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    summary: dict = {"errors": {}, "sys_path": list(sys.path)}
    summary["preloaded"] = [m for m in WATCHED if m in sys.modules]

    app = QgsApplication([], True)
    app.initQgis()
    drive(plugins_dir, spec, summary)
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(summary, fh, default=plain)
    # Every Python wrapper of a QGIS object (layers, CRSs, the mock iface's window) goes
    # before exitQgis: one destroyed after it crashes the interpreter's final collection.
    QgsProject.instance().clear()
    gc.collect()
    app.exitQgis()
    return 0


def drive(plugins_dir: str, spec: dict, summary: dict) -> None:
    """Load, drive and unload the plugin; fill ``summary``."""
    log: list = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda msg, tag, level: log.append([tag, int(level), msg])
    )

    import qgis.utils

    iface, main_window, canvas = make_iface()
    qgis.utils.iface = iface
    sys.path.insert(0, plugins_dir)
    qgis.utils.plugin_paths = [plugins_dir]
    qgis.utils.updateAvailablePlugins()
    summary["loaded"] = qgis.utils.loadPlugin(PLUGIN)
    summary["started"] = qgis.utils.startPlugin(PLUGIN)
    summary["plugin_file"] = getattr(sys.modules.get(PLUGIN), "__file__", None)
    plugin = qgis.utils.plugins[PLUGIN]
    ctl = plugin.gui
    dock = ctl.dock
    summary["dock_object_name"] = dock.objectName()
    project = QgsProject.instance()
    wgs84 = QgsCoordinateReferenceSystem(WGS84)
    canvas.setDestinationCrs(wgs84)
    threads_before = {t.name for t in threading.enumerate()}

    only = os.environ.get("STOCK_DOCK_STEPS", "").split(",")  # debugging: run some steps

    def step(name, fn):
        if only != [""] and name not in only and name != "unload":
            return
        t0 = time.monotonic()
        try:
            fn()
        except Exception:
            summary["errors"][name] = traceback.format_exc()
        summary.setdefault("seconds", {})[name] = round(time.monotonic() - t0, 3)

    # ---------------------------------------------------------------- data directory
    def data_dir():
        task = ctl.apply_data_dir(spec["data_dir"])
        wait_for(lambda: task not in ctl.tasks, 60, "data dir check")
        rep = ctl.data_report
        summary["data_dir"] = {
            "outcome": task.outcome,
            "usable": bool(rep and rep.usable),
            "file": rep.file if rep else "",
            "dock_data_dir": dock.data_dir(),
        }

    step("data_dir", data_dir)

    # ---------------------------------------------------------------- rectangle, pooled
    def samples(kind):
        from rs_embed_qgis.gui import layers

        layer = layers.samples_layer(project, kind, create=False)
        if layer is None:
            return None, []
        names = [f"emb_{i:03d}" for i in range(768)]
        return layer, [
            {"vector": vector_of(f, names), "valid_frac": f["valid_frac"], "pooling": f["pooling"]}
            for f in layer.getFeatures()
        ]

    def rectangle(key):
        dock.set_output_mode("pooled")
        dock.expand_spin.setValue(0.0)
        canvas.setDestinationCrs(wgs84)
        task, status = run_task(ctl, lambda: ctl.on_rectangle(QgsRectangle(*spec["rectangle"])))
        layer, feats = samples("rectangle")
        summary[key] = {
            "outcome": task.outcome if task else None,
            "status": status,
            "layer": layer.name() if layer else None,
            "samples": feats,
        }

    step("rectangle", lambda: rectangle("rectangle"))

    # ---------------------------------------------------------------- point, canvas in 3857
    def point():
        dock.set_output_mode("pooled")
        dock.set_capture_mode("point")
        dock.set_buffer_m(float(spec["point_buffer_m"]))
        dock.expand_spin.setValue(0.0)
        merc = QgsCoordinateReferenceSystem("EPSG:3857")
        canvas.setDestinationCrs(merc)
        xform = QgsCoordinateTransform(wgs84, merc, project.transformContext())
        pt = xform.transform(QgsPointXY(*spec["point"]))
        task, status = run_task(ctl, lambda: ctl.on_point(pt))
        layer, feats = samples("point")
        summary["point"] = {
            "outcome": task.outcome if task else None,
            "status": status,
            "layer": layer.name() if layer else None,
            "samples": feats,
            "buffer_m": dock.buffer_m(),
        }
        canvas.setDestinationCrs(wgs84)
        dock.set_capture_mode("rectangle")

    step("point", point)

    # ---------------------------------------------------------------- grid
    def grid():
        dock.set_output_mode("grid")
        dock.expand_spin.setValue(0.0)
        canvas.setDestinationCrs(wgs84)
        task, status = run_task(ctl, lambda: ctl.on_rectangle(QgsRectangle(*spec["grid"])))
        rasters = [
            lyr
            for lyr in project.mapLayers().values()
            if isinstance(lyr, QgsRasterLayer) and lyr.bandCount() == 768
        ]
        info = {
            "outcome": task.outcome if task else None,
            "status": status,
            "layers": sorted(lyr.name() for lyr in project.mapLayers().values()),
            "n_grid_layers": len(rasters),
        }
        if rasters:
            src = rasters[0].source()
            info["in_temp_dir"] = os.path.realpath(src).startswith(
                os.path.realpath(ctl.temp_dir) + os.sep
            )
            dst = os.path.join(spec["out_dir"], "dock_grid.tif")
            shutil.copyfile(src, dst)  # the plugin's temporary folder goes at unload
            info["copy"] = dst
        summary["grid"] = info
        summary["temp_dir"] = ctl.temp_dir
        dock.set_output_mode("pooled")

    step("grid", grid)

    # ---------------------------------------------------------------- batch of selected
    def batch():
        layer = QgsVectorLayer(f"Polygon?crs={WGS84}&field=name:string(20)", "parcels", "memory")
        feats = []
        for name, wkt in spec["batch"].items():
            f = QgsFeature(layer.fields())
            f.setAttributes([name])
            f.setGeometry(QgsGeometry.fromWkt(wkt))
            feats.append(f)
        layer.dataProvider().addFeatures(feats)
        project.addMapLayer(layer)
        selected = [f.id() for f in layer.getFeatures() if f["name"] in spec["batch_selected"]]
        layer.selectByIds(selected)
        iface.activeLayer.return_value = layer
        ctl._watch_layer()  # what iface.currentLayerChanged would trigger in QGIS
        task, status = run_task(ctl, ctl.embed_selected)
        names = [f"emb_{i:03d}" for i in range(768)]
        fields = layer.fields().names()
        out = {}
        for f in layer.getFeatures():
            has = all(n in fields for n in names)
            out[f["name"]] = {
                "vector": vector_of(f, names) if has else None,
                "valid_frac": f["emb_valid_frac"] if "emb_valid_frac" in fields else "absent",
            }
        summary["batch"] = {
            "outcome": task.outcome if task else None,
            "status": status,
            "layer": layer.name(),
            "editable": layer.isEditable(),
            "n_emb_fields": len([n for n in fields if n.startswith("emb_")]),
            "features": out,
        }
        layer.rollBack()

    step("batch", batch)

    # ---------------------------------------------------------------- cache preparation
    def cache():
        task, status = run_task(ctl, ctl.prepare_cache)
        info = {"outcome": task.outcome if task else None, "status": status}
        # The data directory checked again: its report says the cache is ready.
        check = ctl.refresh_data()
        wait_for(lambda: check not in ctl.tasks, 60, "data dir re-check")
        rep = ctl.data_report
        info["ready"] = bool(rep and rep.cache and rep.cache.get("ready"))
        summary["cache"] = info
        # The same rectangle again, now read through the cache: same numbers.
        rectangle("rectangle_cached")

    step("cache", cache)

    # ---------------------------------------------------------------- cancel
    def cancel():
        check = ctl.apply_data_dir(spec["big_dir"])
        wait_for(lambda: check not in ctl.tasks, 60, "big data dir check")
        controller = sys.modules[f"{PLUGIN}.gui.controller"]
        original = controller.PrepareCacheTask
        controller.PrepareCacheTask = held_preparation(original)
        try:
            task = ctl.prepare_cache()
            wait_for(task.held.is_set, 60, "preparation in the middle of the decoding")
            running = task.status() == QgsTask.Running
            ctl.cancel_all()
            wait_for(lambda: task not in ctl.tasks, 60, "cancel")
        finally:
            controller.PrepareCacheTask = original
        summary["cancel"] = {
            "running_when_cancelled": running,
            "outcome": task.outcome,
            "status": dock.status_label.text(),
            "progress_at_end": task.progress(),
        }
        check = ctl.refresh_data()
        wait_for(lambda: check not in ctl.tasks, 60, "big data dir re-check")
        rep = ctl.data_report
        summary["cancel"]["ready_after"] = bool(rep and rep.cache and rep.cache.get("ready"))

    step("cancel", cancel)

    # ---------------------------------------------------------------- unload
    summary["messages"] = [
        [str(c.args[1]) if len(c.args) > 1 else "", int(c.args[2]) if len(c.args) > 2 else -1]
        for c in iface.messageBar().pushMessage.call_args_list
    ]

    def unload():
        from qgis.PyQt.QtWidgets import QAction, QDockWidget

        temp_dir = ctl.temp_dir
        summary["before_unload"] = {
            "available": PLUGIN in qgis.utils.available_plugins,
            "active": PLUGIN in qgis.utils.active_plugins,
            "tracked_modules": len(qgis.utils._plugin_modules.get(PLUGIN, ())),
        }
        # QGIS shows an unload failure in a dialog; keep its traceback for the report.
        qgis.utils.showException = lambda kind, value, tb, *_a, **_k: summary.__setitem__(
            "unload_exception", "".join(traceback.format_exception(kind, value, tb))
        )
        summary["unloaded"] = qgis.utils.unloadPlugin(PLUGIN)
        for _ in range(5):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            QCoreApplication.processEvents()
        wait_for(lambda: QgsApplication.taskManager().countActiveTasks() == 0, 30, "tasks")
        left_threads = {t.name for t in threading.enumerate()} - threads_before
        summary["after_unload"] = {
            "docks": [
                w.objectName()
                for w in main_window.findChildren(QDockWidget)
                if "rsembed" in w.objectName().lower() or "copernicus" in w.windowTitle().lower()
            ],
            "actions": [
                a.objectName()
                for a in main_window.findChildren(QAction)
                if "rsembed" in a.objectName().lower()
            ],
            "remove_dock_called": iface.removeDockWidget.called,
            "threads": sorted(left_threads),
            "rs_embed_threads": sorted(
                t.name for t in threading.enumerate() if "rs_embed" in t.name.lower()
            ),
            # qgis.utils drops the modules its import hook saw; parent packages reached
            # only through "from a.b.c import x" stay (QGIS's behaviour): modules only.
            "plugin_modules": sorted(
                m
                for m, mod in sys.modules.items()
                if m.split(".")[0] == PLUGIN and not hasattr(mod, "__path__")
            ),
            "plugin_packages": sorted(
                m
                for m, mod in sys.modules.items()
                if m.split(".")[0] == PLUGIN and hasattr(mod, "__path__")
            ),
            "watched_modules": [m for m in WATCHED if m in sys.modules],
            "provider": QgsApplication.processingRegistry().providerById("rs_embed") is not None,
            "active_tasks": QgsApplication.taskManager().countActiveTasks(),
            "temp_dir_exists": bool(temp_dir) and os.path.exists(temp_dir),
            "grid_layers": [
                lyr.name()
                for lyr in project.mapLayers().values()
                if isinstance(lyr, QgsRasterLayer)
            ],
        }

    step("unload", unload)
    summary["log"] = [entry for entry in log if entry[0] == "rs_embed"]
    qgis.utils.iface = None
    main_window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


if __name__ == "__main__":
    sys.exit(main())
