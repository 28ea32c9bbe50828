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
