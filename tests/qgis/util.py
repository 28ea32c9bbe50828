"""Helpers shared by the QGIS tests."""

from __future__ import annotations

import threading
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


# A held worker gives up waiting for the test's cancel after this long (the test then fails).
HOLD_LIMIT_S = 120.0


def held(cls: type, at_check: int = 3) -> type:
    """A subclass of the task class ``cls`` whose worker waits at a cancel check for a cancel.

    Deterministic cancel tests, with no clock and no race: the workers' ``at_check``-th call
    of ``isCanceled()`` (the core checks between tiles and inside inflates, so the 3rd is in
    the middle of a read) sets ``held``; it and every later check (of any worker thread) return
    only once the task has really been cancelled (by the test, the dock's button or unload,
    from the main thread). So the cancel always lands while the work is under way, and
    ``checks_after`` (checks made once the cancel was seen) says whether it then stopped.
    """

    class Held(cls):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.held = threading.Event()
            self.checks = 0
            self.checks_after = 0
            self._lock = threading.Lock()

        def isCanceled(self) -> bool:  # noqa: N802 - QGIS API
            if threading.current_thread() is threading.main_thread():
                return super().isCanceled()
            with self._lock:
                self.checks += 1
                n = self.checks
                if n > at_check:
                    self.checks_after += 1
            if n >= at_check:
                self.held.set()
                deadline = time.monotonic() + HOLD_LIMIT_S
                while not super().isCanceled() and time.monotonic() < deadline:
                    time.sleep(0.001)
            return super().isCanceled()

    Held.__name__ = Held.__qualname__ = cls.__name__
    return Held


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


def fid_of(layer, name: str) -> int:
    """The feature id of the feature whose NAME is ``name`` (world_map.gpkg's countries: ids
    differ between QGIS releases, names do not)."""
    from qgis.core import QgsFeatureRequest

    request = QgsFeatureRequest().setFilterExpression(f"\"NAME\" = '{name}'")
    ids = [f.id() for f in layer.getFeatures(request)]
    assert len(ids) == 1, (name, ids)
    return ids[0]
