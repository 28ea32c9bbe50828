"""QGIS tests: GDAL handles the core keeps open are closed before QGIS shuts GDAL down."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(scope="session", autouse=True)
def _close_core_readers(qgis_app):
    """Close the core's cached readers while QGIS (and GDAL) are still alive."""
    yield
    from rs_embed_qgis.core.gdal_reader import close_all_readers

    close_all_readers()
    gc.collect()
