"""The plugin loads and unloads cleanly, ten times in a row, and loads without torch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from qgis.core import QgsApplication
from qgis.gui import QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QMenu, QToolBar

import rs_embed_qgis
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

ROOT = Path(__file__).resolve().parents[2]


def flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


class RecordingIface:
    """The pytest-qgis iface with real menus and toolbars, as QGIS's own iface has.

    The stub's addPluginToMenu/addToolBarIcon do nothing, so counting menu entries on it
    always gives 0. Here the menu calls put the action into a real QMenu (a sub-menu named
    after the plugin, removed once empty, as QGIS does) and the toolbar calls into a real
    QToolBar, all children of the main window. ``raster`` selects which API QGIS offers:
    the Raster menu/toolbar (QGIS 3) or only the Plugins ones.
    """

    def __init__(self, stub, raster: bool) -> None:
        self._stub = stub
        main = stub.mainWindow()
        kind = "Raster" if raster else "Plugins"
        self.top_menu = QMenu(f"&{kind}", main)
        self.top_menu.setObjectName(f"test{kind}Menu")
        self.toolbar = QToolBar(f"{kind} Toolbar", main)
        self.toolbar.setObjectName(f"test{kind}Toolbar")
        self.calls: list[tuple[str, str]] = []
        if raster:
            self.addPluginToRasterMenu = self._add_menu
            self.removePluginRasterMenu = self._remove_menu
            self.addRasterToolBarIcon = self._add_icon
            self.removeRasterToolBarIcon = self._remove_icon
        else:
            self.addPluginToMenu = self._add_menu
            self.removePluginMenu = self._remove_menu
        # Every QGIS has the Plugins toolbar (shown in a default profile; the Raster one is not).
        self.addToolBarIcon = self._add_icon
        self.removeToolBarIcon = self._remove_icon

    def __getattr__(self, name: str):
        if name in {"addPluginToRasterMenu", "removePluginRasterMenu", "addRasterToolBarIcon",
                    "removeRasterToolBarIcon"}:  # fmt: skip
            raise AttributeError(name)  # a QGIS without a Raster menu
        return getattr(self._stub, name)

    def _sub_menu(self, name: str) -> QMenu | None:
        return next((m for m in self.top_menu.findChildren(QMenu) if m.title() == name), None)

    def _add_menu(self, name: str, action: QAction) -> None:
        self.calls.append(("add_menu", name))
        menu = self._sub_menu(name) or self.top_menu.addMenu(name)
        menu.addAction(action)

    def _remove_menu(self, name: str, action: QAction) -> None:
        self.calls.append(("remove_menu", name))
        menu = self._sub_menu(name)
        assert menu is not None, f"no menu {name!r} to remove {action.text()!r} from"
        assert action in menu.actions(), "removed from a menu it was not in"
        menu.removeAction(action)
        if not menu.actions():
            self.top_menu.removeAction(menu.menuAction())
            menu.setParent(None)
            menu.deleteLater()

    def _add_icon(self, action: QAction) -> None:
        self.calls.append(("add_icon", action.objectName()))
        self.toolbar.addAction(action)

    def _remove_icon(self, action: QAction) -> None:
        self.calls.append(("remove_icon", action.objectName()))
        assert action in self.toolbar.actions(), "removed from a toolbar it was not on"
        self.toolbar.removeAction(action)


@pytest.fixture(params=["raster", "plugins"])
def iface(request, qgis_iface):
    rec = RecordingIface(qgis_iface, raster=request.param == "raster")
    yield rec
    rec.top_menu.setParent(None)
    rec.toolbar.setParent(None)
    rec.top_menu.deleteLater()
    rec.toolbar.deleteLater()
    flush_deletes()


def state(iface) -> dict:
    main = iface.mainWindow()
    canvas = iface.mapCanvas()
    ours_in_menus = sum(
        1
        for menu in main.findChildren(QMenu)
        for a in menu.actions()
        if a.objectName() == "RsEmbedAction"
    )
    ours_on_toolbars = sum(
        1
        for bar in main.findChildren(QToolBar)
        for a in bar.actions()
        if a.objectName() == "RsEmbedAction"
    )
    return {
        "actions": len(main.findChildren(QAction)),
        "our_actions": sum(a.objectName() == "RsEmbedAction" for a in main.findChildren(QAction)),
        "menu_entries": ours_in_menus,
        "toolbar_entries": ours_on_toolbars,
        "menus": sorted(m.title() for m in main.findChildren(QMenu)),
        "docks": len(main.findChildren(QDockWidget)),
        "provider": QgsApplication.processingRegistry().providerById("rs_embed") is not None,
        "rubber_bands": sum(isinstance(i, QgsRubberBand) for i in canvas.scene().items()),
        "map_tools": len(canvas.findChildren(QgsMapTool)),
        "active_tool": type(canvas.mapTool()).__name__ if canvas.mapTool() else None,
    }


def test_load_unload_ten_times_leaves_nothing(iface, qgis_new_project):
    flush_deletes()
    baseline = state(iface)
    assert not baseline["provider"]
    assert baseline["menu_entries"] == baseline["toolbar_entries"] == 0
    temp_dirs = []
    for _ in range(10):
        plugin = rs_embed_qgis.classFactory(iface)
        plugin.initGui()
        loaded = state(iface)
        assert loaded["our_actions"] == 1
        # One menu entry, in a sub-menu of our own, and one toolbar button.
        assert loaded["menu_entries"] == 1 and loaded["toolbar_entries"] == 1
        assert len(loaded["menus"]) == len(baseline["menus"]) + 1
        assert loaded["docks"] == baseline["docks"] + 1
        assert loaded["provider"]
        assert loaded["rubber_bands"] == baseline["rubber_bands"] + 2
        gui = plugin.gui
        assert not gui.action.icon().isNull()
        assert gui.dock.capture_mode() == "rectangle"
        # Activate the point tool through the dock, as a user would: it must be unset on unload.
        gui.dock.set_capture_mode("point")
        gui.dock.capture_button.setChecked(True)
        assert iface.mapCanvas().mapTool() is gui.point_tool
        gui.dock.set_capture_mode("rectangle")
        assert iface.mapCanvas().mapTool() is gui.rect_tool
        assert gui.dock.capture_button.isChecked()
        temp_dirs.append(gui.temp_dir)
        assert os.path.isdir(gui.temp_dir)
        plugin.unload()
        flush_deletes()
        assert state(iface) == baseline
    assert not any(os.path.exists(d) for d in temp_dirs)
    # Every add was undone by its own remove, with the same menu name.
    adds = [c for c in iface.calls if c[0].startswith("add")]
    removes = [c for c in iface.calls if c[0].startswith("remove")]
    assert len(adds) == len(removes) == 20
    assert sorted(n for k, n in adds if k == "add_menu") == sorted(
        n for k, n in removes if k == "remove_menu"
    )


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
