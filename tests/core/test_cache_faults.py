"""The fast cache under faults: bytes changed after a segment was verified are never served
from the same process (the stat bound of core/cache.py's docstring)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import cache as cache_mod
from rs_embed_qgis.core import cache_paths
from rs_embed_qgis.core.adapter import open_source
from rs_embed_qgis.core.cache import DATA_NAME, close_cached_readers, entry_dir, prepare_cache
from rs_embed_qgis.core.errors import CacheError
from rs_embed_qgis.core.grid import Window
from tests import product
from tests.conftest import EUROPE

LAND = (160, 760)  # a land pixel of the Europe fixture (global row, col)
WIN = Window(LAND[0] - 2, LAND[0] + 3, LAND[1] - 2, LAND[1] + 3)


@pytest.fixture()
def cached(europe_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The Europe fixture with a cache of its own, prepared under tmp_path (no shared reader)."""
    close_cached_readers()
    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path))
    prepare_cache(europe_dir / "embed_map_310k.tif")
    yield europe_dir
    close_cached_readers()


def _expected(w: Window) -> np.ndarray:
    rows, cols = np.mgrid[w.row0 : w.row1, w.col0 : w.col1]
    keep = product.land_mask(rows, cols)
    return np.where(keep[..., None], product.pixel_values(rows, cols), 0).astype(np.float32)


def _overwrite_land_pixel(data: Path, info) -> None:
    """Change the vector of LAND in embed.f32 in place (same size), and move its mtime on."""
    r, c = LAND[0] - EUROPE[0], LAND[1] - EUROPE[2]
    offset = (r * info.width + c) * 4 * 768
    with open(data, "r+b") as fh:
        fh.seek(offset)
        fh.write(np.full(768, 7.25, dtype=np.float32).tobytes())
    # The write's own mtime may fall in the tick of the last read (the documented bound);
    # a later mtime is what any later writer leaves.
    st = data.stat()
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_bytes_changed_after_verification_fall_back_to_the_file(cached: Path) -> None:
    src = open_source(str(cached), download=False)
    reader = src.reader
    assert reader.name == "cache"
    want = _expected(WIN)
    np.testing.assert_array_equal(reader.read(WIN), want)  # every segment verified
    data = entry_dir(reader.info) / DATA_NAME
    _overwrite_land_pixel(data, reader.info)
    got = reader.read(WIN)  # same process, same reader
    np.testing.assert_array_equal(got, want)  # the GeoTIFF's values, never 7.25
    assert reader.name == "gdal"
    assert "damaged" in reader.warning
    assert not entry_dir(reader.info).exists()  # the changed cache was removed
    cells = reader.read_cells(LAND[0], LAND[1], LAND[1] + 1)
    np.testing.assert_array_equal(cells[0], want[2, 2])


def test_bytes_changed_after_verification_raise_with_the_cache_reader(cached: Path) -> None:
    reader = open_source(str(cached), download=False, reader="cache").reader
    assert isinstance(reader, cache_mod.CacheReader)
    row = reader.read_cells(LAND[0], LAND[1], LAND[1] + 1)  # verifies this segment
    np.testing.assert_array_equal(row[0], _expected(WIN)[2, 2])
    _overwrite_land_pixel(Path(reader.path), reader.info)
    with pytest.raises(CacheError, match="damaged"):
        reader.read_cells(LAND[0], LAND[1], LAND[1] + 1)
    with pytest.raises(CacheError, match="damaged"):
        reader.read(WIN)


def test_a_touch_without_changed_bytes_is_checked_again_and_still_served(cached: Path) -> None:
    reader = open_source(str(cached), download=False).reader
    want = _expected(WIN)
    np.testing.assert_array_equal(reader.read(WIN), want)
    data = entry_dir(reader.info) / DATA_NAME
    st = data.stat()
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    checked: list[tuple[int, int]] = []
    verify = reader.cache._verify_segment

    def counting(row: int, t: int) -> None:
        checked.append((row, t))
        verify(row, t)

    reader.cache._verify_segment = counting
    np.testing.assert_array_equal(reader.read(WIN), want)
    assert reader.name == "cache" and reader.warning is None
    assert checked  # the segments of WIN were checked again after the change
    n = len(checked)
    reader.read(WIN)
    assert len(checked) == n  # and only once


def test_a_cache_file_truncated_after_verification_falls_back(cached: Path) -> None:
    reader = open_source(str(cached), download=False).reader
    want = _expected(WIN)
    np.testing.assert_array_equal(reader.read(WIN), want)
    data = entry_dir(reader.info) / DATA_NAME
    r = LAND[0] - EUROPE[0]
    with open(data, "r+b") as fh:
        fh.truncate(r * reader.info.width * 4 * 768)  # ends before the rows of WIN
    np.testing.assert_array_equal(reader.read(WIN), want)
    assert reader.name == "gdal" and "damaged" in reader.warning
