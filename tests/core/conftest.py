"""Core-test fixtures: product windows at the poles, and helpers to call the adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_window_dir

NORTH_POLE = (0, 8, 600, 840)  # lat 90..88.25, lon -30..29.75
SOUTH_POLE = (713, 721, 600, 840)  # lat -88.25..-90, lon -30..29.75


@pytest.fixture(scope="session")
def north_pole_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data directory holding rows 0..8 (lat 90..88.25), cols 600..840 (lon -30..29.75)."""
    return write_window_dir(tmp_path_factory, "north_pole", NORTH_POLE)


@pytest.fixture(scope="session")
def south_pole_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data directory holding rows 713..721 (lat -88.25..-90), cols 600..840 (lon -30..29.75)."""
    return write_window_dir(tmp_path_factory, "south_pole", SOUTH_POLE)
