"""The plugin loads and unloads cleanly, ten times in a row, and loads without torch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from qgis.core import QgsApplication
from qgis.gui import QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QMenu

import rs_embed_qgis

ROOT = Path(__file__).resolve().parents[2]


def flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def state(iface) -> dict:
    main = iface.mainWindow()
    canvas = iface.mapCanvas()
    ours_in_menus = sum(
        1
        for menu in main.findChildren(QMenu)
        for a in menu.actions()
        if a.objectName() == "RsEmbedAction"
    )
    return {
        "actions": len(main.findChildren(QAction)),
        "our_actions": sum(a.objectName() == "RsEmbedAction" for a in main.findChildren(QAction)),
        "menu_entries": ours_in_menus,
        "docks": len(main.findChildren(QDockWidget)),
        "provider": QgsApplication.processingRegistry().providerById("rs_embed") is not None,
        "rubber_bands": sum(isinstance(i, QgsRubberBand) for i in canvas.scene().items()),
        "map_tools": len(canvas.findChildren(QgsMapTool)),
        "active_tool": type(canvas.mapTool()).__name__ if canvas.mapTool() else None,
    }


def test_load_unload_ten_times_leaves_nothing(qgis_iface, qgis_new_project):
    flush_deletes()
    baseline = state(qgis_iface)
    assert not baseline["provider"]
    temp_dirs = []
    for _ in range(10):
        plugin = rs_embed_qgis.classFactory(qgis_iface)
        plugin.initGui()
        loaded = state(qgis_iface)
        assert loaded["our_actions"] == 1
        assert loaded["docks"] == baseline["docks"] + 1
        assert loaded["provider"]
        assert loaded["rubber_bands"] == baseline["rubber_bands"] + 2
        gui = plugin.gui
        assert not gui.action.icon().isNull()
        assert gui.dock.capture_mode() == "rectangle"
        # Activate the point tool through the dock, as a user would: it must be unset on unload.
        gui.dock.set_capture_mode("point")
        gui.dock.capture_button.setChecked(True)
        assert qgis_iface.mapCanvas().mapTool() is gui.point_tool
        gui.dock.set_capture_mode("rectangle")
        assert qgis_iface.mapCanvas().mapTool() is gui.rect_tool
        assert gui.dock.capture_button.isChecked()
        temp_dirs.append(gui.temp_dir)
        assert os.path.isdir(gui.temp_dir)
        plugin.unload()
        flush_deletes()
        assert state(qgis_iface) == baseline
    assert not any(os.path.exists(d) for d in temp_dirs)


def test_action_toggles_the_dock(qgis_iface, qgis_new_project):
    plugin = rs_embed_qgis.classFactory(qgis_iface)
    plugin.initGui()
    try:
        gui = plugin.gui
        # The pytest-qgis main window is never shown: isHidden() is what the action sets.
        assert gui.dock.isHidden() and not gui.action.isChecked()
        gui.action.trigger()
        assert not gui.dock.isHidden() and gui.action.isChecked()
        assert "2021" in gui.dock.year_label.text()
        gui.action.trigger()
        assert gui.dock.isHidden()
    finally:
        plugin.unload()
        flush_deletes()


def test_plugin_loads_without_torch(tmp_path):
    """In a fresh process where torch and torchgeo cannot be imported."""
    (tmp_path / "test_no_torch.py").write_text(
        textwrap.dedent(
            """
            import sys

            from qgis.PyQt.QtWidgets import QLabel

            for name in ("torch", "torchgeo"):
                sys.modules[name] = None  # import torch -> ImportError


            def test_load(qgis_iface):
                import rs_embed_qgis
                from rs_embed_qgis.gui import dock

                plugin = rs_embed_qgis.classFactory(qgis_iface)
                plugin.initGui()
                # No advice to install anything into QGIS's Python.
                labels = " ".join(w.text() for w in plugin.gui.dock.findChildren(QLabel))
                assert "pip" not in labels and "torch" not in labels
                print("LOADED", type(plugin.gui.dock).__name__)
                plugin.unload()
                assert sys.modules["torch"] is None
            """
        )
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "LOADED EmbedDock" in out.stdout
