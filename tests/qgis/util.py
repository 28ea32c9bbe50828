"""Helpers shared by the QGIS tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from qgis.PyQt.QtCore import QCoreApplication


def wait_for(cond: Callable[[], bool], timeout: float = 120.0) -> None:
    """Process Qt events until ``cond()`` is true; fail after ``timeout`` seconds."""
    t0 = time.monotonic()
    while not cond():
        QCoreApplication.processEvents()
        time.sleep(0.005)
        assert time.monotonic() - t0 < timeout, "timed out"


def show_canvas(iface) -> object:
    """pytest-qgis's canvas, shown in its main window at 800 x 600 pixels (a hidden canvas
    keeps a tiny output size); the caller hides ``iface.mainWindow()`` afterwards."""
    main = iface.mainWindow()
    main.resize(1200, 700)
    main.show()
    c = iface.mapCanvas()
    c.resize(800, 600)
    c.show()
    wait_for(lambda: c.mapSettings().outputSize().width() > 700, timeout=10)
    return c


def type_folder(ctl, path: str) -> None:
    """Type a data directory into the dock's field as a user does, then press Enter."""
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtTest import QTest

    edit = ctl.dock.data_edit
    edit.setFocus()
    edit.clear()
    QTest.keyClicks(edit, path)
    QTest.keyClick(edit, Qt.Key.Key_Return)
