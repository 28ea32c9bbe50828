"""get_embeddings_batch: input order, equal to the serial path, thread-safe TorchGeo reads."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import (
    BBox,
    NoCoverageError,
    OutputSpec,
    PointBuffer,
    SpecError,
    TemporalSpec,
    get_embedding,
    get_embeddings_batch,
)
from rs_embed_qgis.core.adapter import batch_workers
from tests.core import expected as ex

Y2021 = TemporalSpec.year(2021)


def _items() -> list:
    """36 land items spread over the Europe fixture: point buffers and boxes of 2 degrees."""
    items: list = []
    for lat in (46.6, 48.8, 51.3, 53.9):
        for lon in np.linspace(-8.0, 28.0, 7):
            items.append(PointBuffer(lon=float(lon), lat=lat, buffer_m=2000 + 100 * len(items)))
    for lon in (21.0, 24.0, 27.0):
        items.append(PointBuffer(lon=lon, lat=57.4, buffer_m=4000))  # land east of lon 20
    for lon in (-9.0, -2.0, 5.0, 12.0, 19.0):
        items.append(BBox(lon, 47.0 + (lon % 3), lon + 2.0, 49.0 + (lon % 3)))
    return items


ITEMS = _items()
OCEAN = PointBuffer(lon=5.0, lat=57.5, buffer_m=1000)


def _expected(spatial) -> tuple[float, float, float, float]:
    """The box read for an item: 1 degree around a point buffer, a 2-degree box as given."""
    if isinstance(spatial, PointBuffer):
        box = ex.seed_box(spatial.lon, spatial.lat)
    else:
        box = spatial.as_tuple()
    return box


def batch(data_dir: Path, spatials: list, **kw):
    kw.setdefault("temporal", Y2021)
    kw.setdefault("reader", "torchgeo")
    return get_embeddings_batch("copernicus_embed", spatials=spatials, data_dir=data_dir, **kw)


@pytest.fixture(scope="module")
def serial(europe_dir: Path) -> list:
    """get_embedding on each item, one after the other."""
    return [
        get_embedding(spatial=sp, temporal=Y2021, data_dir=europe_dir, reader="torchgeo")
        for sp in ITEMS
    ]


def test_serial_results_are_the_file_means(serial: list, europe_dir: Path) -> None:
    for sp, emb in zip(ITEMS, serial):
        rows, cols = ex.cells_for(_expected(sp))
        want = ex.mean_valid(ex.file_pixels(europe_dir, rows, cols))
        np.testing.assert_allclose(emb.data, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("workers", ["1", "4"])
def test_batch_is_in_input_order_and_equals_serial(
    workers: str, serial: list, europe_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RS_EMBED_COPERNICUS_BATCH_WORKERS", workers)
    assert batch_workers(len(ITEMS)) == int(workers)
    out = batch(europe_dir, ITEMS)
    assert len(out) == len(ITEMS)
    for got, want in zip(out, serial):
        assert got.data.dtype == np.float32 and got.data.shape == (768,)
        assert np.array_equal(got.data, want.data)
        assert got.meta["requested_bbox"] == want.meta["requested_bbox"]
        assert got.meta["bbox_4326"] == want.meta["bbox_4326"]
        assert got.meta["valid_pixels"] == want.meta["valid_pixels"]


def test_one_and_four_workers_are_identical_for_grids(
    europe_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four threads slicing TorchGeo at once return exactly the file's pixels."""
    items = ITEMS[::2]
    runs = {}
    for workers in ("1", "4"):
        monkeypatch.setenv("RS_EMBED_COPERNICUS_BATCH_WORKERS", workers)
        runs[workers] = batch(europe_dir, items, output=OutputSpec.grid())
    for sp, one, four in zip(items, runs["1"], runs["4"]):
        assert np.array_equal(one.data.values, four.data.values)
        rows, cols = ex.cells_for(_expected(sp))
        want = np.moveaxis(ex.file_pixels(europe_dir, rows, cols), -1, 0)
        assert np.array_equal(four.data.values, want)


def test_default_worker_count_is_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RS_EMBED_COPERNICUS_BATCH_WORKERS", raising=False)
    assert batch_workers(100) == 4
    assert batch_workers(2) == 2  # never more than one per item
    monkeypatch.setenv("RS_EMBED_COPERNICUS_BATCH_WORKERS", "many")
    with pytest.raises(SpecError, match="RS_EMBED_COPERNICUS_BATCH_WORKERS"):
        batch_workers(10)


def test_empty_batch() -> None:
    assert get_embeddings_batch(spatials=[], temporal=Y2021) == []


def test_on_error_raise_names_the_item(europe_dir: Path) -> None:
    with pytest.raises(NoCoverageError) as ei:
        batch(europe_dir, [ITEMS[0], ITEMS[1], OCEAN, ITEMS[2]], workers=1)
    assert "Item 2" in str(ei.value) and "coverage" in str(ei.value)
    assert ei.value.index == 2


def test_on_error_raise_names_an_invalid_item(europe_dir: Path) -> None:
    bad = BBox(1, 2, 3, 4)
    object.__setattr__(bad, "maxlat", math.inf)
    with pytest.raises(SpecError) as ei:
        batch(europe_dir, [ITEMS[0], bad], workers=1)
    assert "Item 1" in str(ei.value) and "finite" in str(ei.value)


def test_on_error_skip_leaves_the_others_unaffected(serial: list, europe_dir: Path) -> None:
    items = [ITEMS[0], OCEAN, ITEMS[5], ITEMS[-1]]
    out = batch(europe_dir, items, on_error="skip", workers=1)
    assert [e.data is None for e in out] == [False, True, False, False]
    skipped = out[1]
    assert "coverage" in skipped.meta["error"]
    assert skipped.meta["error_type"] == "NoCoverageError"
    assert skipped.meta["index"] == 1
    for got, want in zip([out[0], out[2], out[3]], [serial[0], serial[5], serial[-1]]):
        assert np.array_equal(got.data, want.data)


def test_on_error_must_be_known(europe_dir: Path) -> None:
    with pytest.raises(SpecError, match="on_error"):
        batch(europe_dir, ITEMS[:1], on_error="ignore")


class _CountingReader:
    """The real GDAL reader, counting the windows read through it."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.info, self.reads = inner, inner.name, inner.info, 0

    def read(self, window, cancel=None):
        self.reads += 1
        return self.inner.read(window, cancel)


@pytest.mark.parametrize("workers", [1, 4])
def test_failing_progress_callback_stops_the_batch_promptly(
    workers: int, europe_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rs_embed_qgis.core import adapter

    readers: list[_CountingReader] = []
    real = adapter._direct_reader

    def counting(info):
        readers.append(_CountingReader(real(info)))
        return readers[-1]

    monkeypatch.setattr(adapter, "_direct_reader", counting)
    items = [ITEMS[i % len(ITEMS)] for i in range(200)]
    reports: list[float] = []

    def progress(fraction: float, message: str) -> None:
        reports.append(fraction)
        if len(reports) == 2:
            raise KeyError("the dock was closed")

    with pytest.raises(KeyError, match="the dock was closed"):
        batch(europe_dir, items, reader="gdal", workers=workers, progress=progress)
    assert len(reports) == 2
    (reader,) = readers
    # The 2nd report comes after 32 items; at most 2 x workers more were already queued.
    assert 0 < reader.reads < 50, reader.reads
