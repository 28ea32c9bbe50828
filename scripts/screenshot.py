"""``make screenshot``: a real QGIS window under Xvfb with the plugin, a grid and samples -> PNG.

Run with the venv's Python, it prepares a throwaway QGIS profile with the plugin
installed and enabled, a synthetic product over Europe (tests/product.py, the real
file format), and starts ``/usr/bin/qgis --code scripts/screenshot.py`` under
``xvfb-run``. Run by QGIS (``--code``), the same file drives the dock like a user: it
draws a rectangle with the map tool for a grid, clicks points for pooled samples, opens
the samples table, and saves ``docs/screenshot.png``; then it clears those layers,
right-clicks a pixel (the dock's "colour by similarity to this pixel"), sets a threshold,
adds the areas above it and saves ``docs/explore.png``; then QGIS quits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT_ENV = "RS_EMBED_SCREENSHOT_OUT"
EXPLORE_OUT_ENV = "RS_EMBED_SCREENSHOT_EXPLORE_OUT"
# The pixel whose similarity the Explore picture shows (lon, lat), and the share of land
# pixels shown above the threshold.
EXPLORE_PIXEL = (2.35, 48.85)
EXPLORE_ABOVE = 0.3
REPO = Path(__file__).resolve().parent.parent if "__file__" in globals() else Path.cwd()
# The product window written for the picture: lat 65..30, lon -20..45 (pixel centres).
WINDOW = (100, 241, 640, 901)
TIMEOUT_S = 300
SIZE = (1600, 1000)
SCREEN = f"{SIZE[0]}x{SIZE[1]}x24"


# --------------------------------------------------------------------------- launcher


def prepare_profile(profiles: Path) -> Path:
    """Install the plugin zip, enabled, into a throwaway profile (via install_plugin.py)."""
    sys.path.insert(0, str(REPO / "scripts"))
    import install_plugin
    import package

    target = install_plugin.install(profiles, zip_path=package.build(profiles / "dist"))
    ini = install_plugin.profile_dir(profiles) / "QGIS" / "QGIS3.ini"
    with open(ini, "a", encoding="utf-8") as fh:
        # No tips, news, version check or datum dialog; attribute tables docked.
        fh.write(
            "\n[qgis]\ncheckVersion=false\nshowTips=false\ndockAttributeTable=true\n"
            "askToSaveMemoryLayers=false\n"
            "\n[core]\nNewsFeed\\httpsfeedqgisorg\\disabled=true\n"
            "\n[app]\nprojections\\promptWhenMultipleTransformsExist=false\n"
            # QGIS 3.22 reads this one under [app]: no "save memory layers?" dialog at exit.
            "askToSaveMemoryLayers=false\n"
        )
    return target


def main() -> int:
    """Prepare profile and data, run QGIS under Xvfb, check the PNG."""
    sys.path.insert(0, str(REPO))
    from tests import product

    out = REPO / "docs" / "screenshot.png"
    explore_out = REPO / "docs" / "explore.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in (out, explore_out):
        if path.exists():
            path.unlink()
    work = Path(tempfile.mkdtemp(prefix="rs_embed_screenshot_"))
    try:
        prepare_profile(work)
        data = work / "data"
        print("writing a synthetic product window ...", flush=True)
        product.write_product(data / product.PRODUCT_NAME, *WINDOW)
        env = dict(os.environ)
        env.pop("QT_QPA_PLATFORM", None)  # a real X window (Xvfb), not offscreen
        env.pop("PYTHONPATH", None)  # the plugin from the profile, on QGIS's own Python
        env.update(
            {
                OUT_ENV: str(out),
                EXPLORE_OUT_ENV: str(explore_out),
                "RS_EMBED_COP_DIR": str(data),
                "RS_EMBED_COP_CACHE_DIR": str(work / "cache"),
                "XDG_RUNTIME_DIR": str(work / "xdg"),
            }
        )
        (work / "xdg").mkdir(mode=0o700)
        cmd = [
            "xvfb-run",
            "-a",
            "-s",
            f"-screen 0 {SCREEN}",
            "/usr/bin/qgis",
            "--noversioncheck",
            "--nologo",
            "--hide-browser",
            "--profiles-path",
            str(work),
            "--code",
            str(Path(__file__).resolve()),
        ]
        print(" ".join(cmd), flush=True)
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        try:
            proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)  # QGIS and the Xvfb that xvfb-run started
            proc.wait()
            print(f"QGIS did not finish within {TIMEOUT_S} s", file=sys.stderr)
        missing = [p for p in (out, explore_out) if not p.exists()]
        if missing:
            print(f"QGIS exited with {proc.returncode}; not written: {missing}", file=sys.stderr)
            return 1
        for path in (out, explore_out):
            print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- inside QGIS


def run_in_qgis() -> None:
    """Drive the plugin's dock in the running QGIS, save the main window, quit."""
    import traceback

    import qgis.utils
    from qgis.core import (
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsPointXY,
        QgsProject,
        QgsRectangle,
        QgsVectorLayer,
    )
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint, Qt, QTimer
    from qgis.PyQt.QtGui import QColor
    from qgis.PyQt.QtWidgets import QDockWidget

    iface = qgis.utils.iface
    out = os.environ[OUT_ENV]
    keep: list = []  # references Python must not collect while QGIS runs
    kept_ids: list = []

    def log(msg: str) -> None:
        sys.stderr.write(f"[screenshot] {msg}\n")
        sys.stderr.flush()

    def quit_qgis(code: int = 0) -> None:
        # File > Exit closes the project before QGIS goes (a bare quit() crashes 3.22 on
        # exit while it clears a project with docked attribute tables).
        QgsProject.instance().setDirty(False)
        QTimer.singleShot(200, iface.actionExit().trigger)

    def gui():
        if "rs_embed_qgis" not in qgis.utils.plugins:
            qgis.utils.loadPlugin("rs_embed_qgis")
            qgis.utils.startPlugin("rs_embed_qgis")
        return qgis.utils.plugins["rs_embed_qgis"].gui

    def click(tool, canvas, kind, x, y, button=Qt.LeftButton):
        buttons = Qt.NoButton if kind == QEvent.MouseButtonRelease else button
        ev = QgsMapMouseEvent(canvas, kind, QPoint(x, y), button, buttons, Qt.NoModifier)
        {
            QEvent.MouseButtonPress: tool.canvasPressEvent,
            QEvent.MouseMove: tool.canvasMoveEvent,
            QEvent.MouseButtonRelease: tool.canvasReleaseEvent,
        }[kind](ev)

    def pixel(canvas, lon, lat):
        ct = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem("EPSG:4326"),
            canvas.mapSettings().destinationCrs(),
            QgsProject.instance(),
        )
        p = canvas.getCoordinateTransform().transform(ct.transform(QgsPointXY(lon, lat)))
        return int(p.x()), int(p.y())

    steps: list = []

    def next_step(delay: int = 300) -> None:
        def go() -> None:
            try:
                if steps:
                    steps.pop(0)()
            except Exception:
                log(traceback.format_exc())
                quit_qgis(1)

        QTimer.singleShot(delay, go)

    def wait_tasks_then_next() -> None:
        g = gui()
        if g.tasks or QgsApplication.taskManager().countActiveTasks():
            QTimer.singleShot(200, wait_tasks_then_next)
        else:
            next_step(300)

    def setup() -> None:
        project = QgsProject.instance()
        world = QgsApplication.pkgDataPath() + "/resources/data/world_map.gpkg"
        countries = QgsVectorLayer(f"{world}|layername=countries", "countries", "ogr")
        sym = countries.renderer().symbol()
        sym.setColor(QColor(246, 244, 238))
        sym.symbolLayer(0).setStrokeColor(QColor(120, 120, 120))
        project.addMapLayer(countries)
        keep.append(countries)
        kept_ids.append(countries.id())  # the one layer the Explore picture keeps
        mw = iface.mainWindow()
        mw.setGeometry(0, 0, *SIZE)  # no window manager under Xvfb: maximise by hand
        for dock in mw.findChildren(QDockWidget):
            if dock.objectName() in ("Browser", "Browser2"):
                dock.hide()  # more room for the map
        g = gui()
        g.action.setChecked(True)  # open the dock like a user: the toolbar button
        mw.resizeDocks([g.dock], [440], Qt.Horizontal)
        layers_panel = mw.findChild(QDockWidget, "Layers")
        if layers_panel is not None:
            mw.resizeDocks([layers_panel], [310], Qt.Horizontal)
        log("setup done")
        next_step(1500)

    def view() -> None:
        # After QGIS has taken the first layer's CRS and zoomed to it: LAEA Europe.
        project = QgsProject.instance()
        project.setCrs(QgsCoordinateReferenceSystem("EPSG:3035"))
        canvas = iface.mapCanvas()
        ct = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem("EPSG:4326"), project.crs(), project
        )
        canvas.setExtent(ct.transformBoundingBox(QgsRectangle(-12.0, 36.0, 34.0, 62.0)))
        canvas.refresh()
        log(f"view: {project.crs().authid()} {canvas.extent().toString(0)}")
        next_step(1500)

    def grid() -> None:
        g = gui()
        d = g.dock
        d.set_output_mode("grid")
        d.expand_spin.setValue(0.0)
        d.set_capture_mode("rectangle")
        d.capture_button.setChecked(True)
        canvas = iface.mapCanvas()
        tool = canvas.mapTool()
        x0, y0 = pixel(canvas, -6.0, 58.5)
        x1, y1 = pixel(canvas, 27.0, 42.0)
        click(tool, canvas, QEvent.MouseButtonPress, x0, y0)
        click(tool, canvas, QEvent.MouseMove, (x0 + x1) // 2, (y0 + y1) // 2, Qt.NoButton)
        click(tool, canvas, QEvent.MouseButtonRelease, x1, y1)
        log("grid requested")
        wait_tasks_then_next()

    def samples() -> None:
        g = gui()
        d = g.dock
        d.set_output_mode("pooled")
        d.set_capture_mode("point")
        d.set_buffer_m(50_000.0)
        d.expand_spin.setValue(0.0)
        canvas = iface.mapCanvas()
        points = [(2.35, 48.85), (13.4, 52.5), (16.37, 48.2), (4.9, 52.37), (21.0, 52.23)]
        for lon, lat in points:
            # The button is released after each capture: press it again, as a user does.
            if not d.capture_button.isChecked():
                d.capture_button.click()
            tool = canvas.mapTool()
            x, y = pixel(canvas, lon, lat)
            click(tool, canvas, QEvent.MouseMove, x, y, Qt.NoButton)
            click(tool, canvas, QEvent.MouseButtonPress, x, y)
            click(tool, canvas, QEvent.MouseButtonRelease, x, y)
            # Each click replaces a running request: wait for each one.
            while g.tasks:
                QgsApplication.processEvents()
                time.sleep(0.01)
        log("samples requested")
        wait_tasks_then_next()

    def table() -> None:
        g = gui()
        g.open_samples_table()
        g.dock.set_status(g.dock.status_label.text())
        canvas = iface.mapCanvas()
        canvas.refreshAllLayers()
        next_step(2500)

    def wait_render() -> None:
        canvas = iface.mapCanvas()
        if canvas.isDrawing():
            QTimer.singleShot(200, wait_render)
        else:
            next_step(800)

    def save(path: str) -> bool:
        iface.messageBar().clearWidgets()  # QGIS's "Task complete" notes cover the map
        QgsApplication.processEvents()
        ok = iface.mainWindow().grab().save(path, "PNG")
        log(f"saved {path}: {ok}")
        return ok

    def grab() -> None:
        if not save(out):
            quit_qgis(1)
            return
        next_step(300)

    def wait_explore_then_next() -> None:
        g = gui()
        if g.explore.tasks or QgsApplication.taskManager().countActiveTasks():
            QTimer.singleShot(200, wait_explore_then_next)
        else:
            next_step(300)

    def similarity() -> None:
        # The first picture's layers go (their attribute table closes with them).
        project = QgsProject.instance()
        project.removeMapLayers([lid for lid in project.mapLayers() if lid not in kept_ids])
        root = project.layerTreeRoot()
        for group in root.findGroups():
            root.removeChildNode(group)
        g = gui()
        g.dock.show_explore()
        g.dock.capture_button.setChecked(True)  # a dock tool is active: right-click works
        canvas = iface.mapCanvas()
        x, y = pixel(canvas, *EXPLORE_PIXEL)
        tool = canvas.mapTool()
        click(tool, canvas, QEvent.MouseButtonPress, x, y, Qt.RightButton)
        click(tool, canvas, QEvent.MouseButtonRelease, x, y, Qt.RightButton)
        log("similarity requested")
        wait_explore_then_next()

    def areas() -> None:
        import numpy as np

        g = gui()
        panel = g.explore
        layer = panel.similarity_layer
        layer.setOpacity(0.85)
        scores = panel.similarity_result.scores
        panel.set_threshold(float(np.nanquantile(scores, 1.0 - EXPLORE_ABOVE)))
        panel.areas_above_threshold()
        log(f"areas above {panel.threshold():.3f} requested")
        wait_explore_then_next()

    def style_areas() -> None:
        # The plugin draws the areas as outlines; the picture only selects their layer.
        for layer in QgsProject.instance().mapLayers().values():
            if isinstance(layer, QgsVectorLayer) and "area_km2" in layer.fields().names():
                iface.setActiveLayer(layer)
        next_step(1500)

    def grab_explore() -> None:
        ok = save(os.environ[EXPLORE_OUT_ENV])
        quit_qgis(0 if ok else 1)

    steps.extend(
        [setup, view, grid, samples, table, wait_render, grab]
        + [similarity, areas, style_areas, wait_render, grab_explore]
    )
    keep.append(steps)
    globals()["_rs_embed_keep"] = keep
    next_step(2000)


def _inside_qgis() -> bool:
    try:
        import qgis.utils
    except ImportError:
        return False
    return getattr(qgis.utils, "iface", None) is not None and OUT_ENV in os.environ


if _inside_qgis():
    run_in_qgis()
elif __name__ == "__main__":
    sys.exit(main())
