"""Batches on the direct reader: each tile decoded once, results equal to single reads."""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import (
    BBox,
    CancelledError,
    NoCoverageError,
    OutputSpec,
    PointBuffer,
    Polygon,
    TemporalSpec,
    gdal_reader,
    get_embedding,
    get_embeddings_batch,
)
from tests import product
from tests.core import expected as ex

Y2021 = TemporalSpec.year(2021)
# A window of the global grid over Europe written in 64x64 tiles: 2 x 3 tiles
# (rows 120..184..220, columns 680..744..808..830).
WINDOW = (120, 220, 680, 830)
TILE = 64
TRIANGLE = "POLYGON ((-5 40, 15 47, 10 38, -5 40))"
RING = "POLYGON ((18 50, 26 50, 26 58, 18 58, 18 50), (20 52, 24 52, 24 56, 20 56, 20 52))"
# Scattered over the six tiles, in no tile order; some cross tile edges, one is outside.
ITEMS = [
    BBox(20.0, 38.0, 24.0, 40.0),
    PointBuffer(lon=0.0, lat=50.0, buffer_m=3000),
    Polygon(wkt=RING),
    BBox(4.0, 42.0, 8.0, 46.0),
    BBox(100.0, 10.0, 101.0, 11.0),
    PointBuffer(lon=25.0, lat=55.0, buffer_m=2000),
    Polygon(wkt=TRIANGLE),
    BBox(0.0, 40.0, 25.0, 50.0),
    PointBuffer(lon=-8.0, lat=37.0, buffer_m=1000),
]


@pytest.fixture(scope="module")
def tiled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2 x 3 tile window of the product (64x64 tiles, otherwise the product's format)."""
    d = tmp_path_factory.mktemp("tiled6")
    product.write_product(
        d / "embed_map_310k.tif", *WINDOW, creation={"blockxsize": TILE, "blockysize": TILE}
    )
    return d


def _cells(sp) -> tuple[np.ndarray, np.ndarray]:
    """Global (row, col) of the cells an item reads, computed without the plugin."""
    if isinstance(sp, Polygon):
        cells = ex.ogr_cell_fractions(sp.wkt)
        return np.array([c[0] for c in cells]), np.array([c[1] for c in cells])
    box = ex.seed_box(sp.lon, sp.lat) if isinstance(sp, PointBuffer) else sp.as_tuple()
    rows, cols = ex.cells_for(box)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return rr.ravel(), cc.ravel() % ex.WIDTH


def _tiles_touched(items) -> set[tuple[int, int]]:
    """The file tiles holding any cell of any item."""
    r0, r1, c0, c1 = WINDOW
    out: set[tuple[int, int]] = set()
    for sp in items:
        rows, cols = _cells(sp)
        inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
        out |= set(
            zip(((rows[inside] - r0) // TILE).tolist(), ((cols[inside] - c0) // TILE).tolist())
        )
    return out


def _in_file(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    r0, r1, c0, c1 = WINDOW
    return (rows >= r0) & (rows < r1) & (cols % ex.WIDTH >= c0) & (cols % ex.WIDTH < c1)


class _Decodes:
    """Counts GdalReader.decode_tile calls per tile, and the decoded tiles alive at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: Counter = Counter()
        self.alive = self.max_alive = 0
        self._lock = threading.Lock()
        real = gdal_reader.GdalReader.decode_tile

        def counting(reader, ty, tx, cancel=None):
            tile = real(reader, ty, tx, cancel)
            with self._lock:
                self.calls[(ty, tx)] += 1
                self.alive += 1
                self.max_alive = max(self.max_alive, self.alive)
            weakref.finalize(tile, self._freed)
            return tile

        monkeypatch.setattr(gdal_reader.GdalReader, "decode_tile", counting)
        gdal_reader.close_all_readers()  # no tile kept from an earlier read

    def _freed(self) -> None:
        with self._lock:
            self.alive -= 1


def _serial(data_dir: Path, output: OutputSpec) -> list:
    out = []
    for sp in ITEMS:
        try:
            e = get_embedding(
                spatial=sp, temporal=Y2021, data_dir=data_dir, output=output, reader="gdal"
            )
            out.append(e.data)
        except NoCoverageError:
            out.append(None)
    return out


OUTPUTS = {
    "mean": OutputSpec.pooled("mean"),
    "max": OutputSpec.pooled("max"),
    "grid": OutputSpec.grid(),
}


@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_each_tile_is_decoded_once_and_results_equal_single_reads(
    kind: str, workers: int, tiled_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = OUTPUTS[kind]
    serial = _serial(tiled_dir, output)
    touched = _tiles_touched(ITEMS)
    assert len(touched) == 6  # the items reach every tile of the file
    decodes = _Decodes(monkeypatch)
    out = get_embeddings_batch(
        spatials=ITEMS,
        temporal=Y2021,
        data_dir=tiled_dir,
        output=output,
        reader="gdal",
        workers=workers,
        on_error="skip",
    )
    assert set(decodes.calls) == touched
    assert sum(decodes.calls.values()) == len(touched), decodes.calls
    assert decodes.max_alive <= workers
    assert [e.data is None for e in out] == [s is None for s in serial]
    assert out[4].meta["error_type"] == "NoCoverageError"
    for got, want in zip(out, serial):
        if want is None:
            continue
        got_data = got.data.values if kind == "grid" else got.data
        want_data = want.values if kind == "grid" else want
        assert np.array_equal(got_data, want_data)


def test_batch_values_are_the_closed_form_values(tiled_dir: Path) -> None:
    out = get_embeddings_batch(
        spatials=ITEMS, temporal=Y2021, data_dir=tiled_dir, reader="gdal", on_error="skip"
    )
    n_checked = 0
    for sp, emb in zip(ITEMS, out):
        if isinstance(sp, Polygon):
            want, frac = ex.polygon_oracle(sp.wkt, in_file=_in_file)
            assert emb.meta["valid_fraction"] == pytest.approx(frac, rel=1e-6)
        else:
            box = ex.seed_box(sp.lon, sp.lat) if isinstance(sp, PointBuffer) else sp.as_tuple()
            pixels = ex.file_pixels(tiled_dir, *ex.cells_for(box))
            want = ex.mean_valid(pixels) if ex.valid(pixels).any() else None
        if want is None:
            assert emb.data is None
            continue
        np.testing.assert_allclose(emb.data, want, rtol=1e-5, atol=1e-6)
        n_checked += 1
    assert n_checked >= 6


def test_cancel_stops_the_sweep(tiled_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = _Decodes(monkeypatch)
    state = {"n": 0}

    def cancel() -> bool:
        state["n"] += 1
        return sum(decodes.calls.values()) >= 2

    with pytest.raises(CancelledError, match="cancelled"):
        get_embeddings_batch(
            spatials=ITEMS,
            temporal=Y2021,
            data_dir=tiled_dir,
            reader="gdal",
            workers=1,
            on_error="skip",
            cancel=cancel,
        )
    assert sum(decodes.calls.values()) == 2


@pytest.mark.parametrize("workers", [1, 4])
def test_a_failing_progress_callback_stops_the_sweep(
    workers: int, tiled_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes = _Decodes(monkeypatch)
    items = ITEMS * 4  # 36 items: a report after 16

    def progress(fraction: float, message: str) -> None:
        if "Embedded" in message:
            raise KeyError("the dock was closed")

    with pytest.raises(KeyError, match="the dock was closed"):
        get_embeddings_batch(
            spatials=items,
            temporal=Y2021,
            data_dir=tiled_dir,
            reader="gdal",
            workers=workers,
            on_error="skip",
            progress=progress,
        )
    assert sum(decodes.calls.values()) <= 6
