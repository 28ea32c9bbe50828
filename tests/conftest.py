"""Shared fixtures: product files generated in the exact format; the session's own world."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import product

# HOME, XDG folders, QGIS profile, RS_EMBED_* variables, working and data folder, fast cache:
# set before pytest-qgis starts QGIS (see tests/hermetic.py).
pytest_plugins = ["tests.hermetic"]

# Windows of the global grid (rows, cols) used by the tests.
EUROPE = (120, 200, 680, 840)  # lat 60..40, lon -10..30 (pixel centres)
ANTIMERIDIAN_STRIP = (80, 100, 0, 1440)  # lat 70..65.25, every longitude


@pytest.fixture(scope="session", autouse=True)
def _close_core_readers():
    """Close the core's open GDAL datasets while GDAL is alive.

    pytest-qgis shuts QGIS (and with it GDAL's driver manager) down when the session ends;
    a dataset collected after that crashes the interpreter at exit. The plugin does the same
    in ``unload()``.
    """
    yield
    import gc

    from rs_embed_qgis.core.cache import close_cached_readers
    from rs_embed_qgis.core.gdal_reader import close_all_readers

    close_all_readers()
    close_cached_readers()
    gc.collect()


def write_window_dir(tmp_path_factory: pytest.TempPathFactory, name: str, win: tuple) -> Path:
    """A fresh data directory holding the product window ``win`` (rows, cols)."""
    d = tmp_path_factory.mktemp(name)
    product.write_product(d / "embed_map_310k.tif", *win)
    return d


@pytest.fixture(scope="session")
def europe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data directory holding a product window over Europe (lat 40..60, lon -10..30)."""
    return write_window_dir(tmp_path_factory, "europe", EUROPE)


@pytest.fixture(scope="session")
def strip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data directory holding a full-width strip (lat 65.25..70) that crosses the antimeridian."""
    return write_window_dir(tmp_path_factory, "strip", ANTIMERIDIAN_STRIP)
