"""The GDAL reader: the file's own pixels on every path (own decoding, ReadRaster, TorchGeo)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from rs_embed_qgis.core import gdal_reader as gr
from rs_embed_qgis.core.dataset import inspect_product_file
from rs_embed_qgis.core.errors import CancelledError, CorruptDataError
from rs_embed_qgis.core.gdal_reader import GdalReader, close_all_readers, open_gdal_reader
from rs_embed_qgis.core.grid import Window
from tests import product
from tests.conftest import ANTIMERIDIAN_STRIP, EUROPE

ROOT = Path(__file__).resolve().parents[2]
HAVE_LIBDEFLATE = gr.libdeflate() is not None


def expected(w: Window, file_win: tuple[int, int, int, int]) -> np.ndarray:
    """The closed-form pixels of a (wrapped) global window from a file holding ``file_win``."""
    r0, r1, c0, c1 = file_win
    rows, cols = np.mgrid[w.row0 : w.row1, w.col0 : w.col1]
    rows_c = np.clip(rows, 0, 720)
    cols = cols % 1440
    inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
    keep = product.land_mask(rows_c, cols) & inside
    return np.where(keep[..., None], product.pixel_values(rows_c, cols), 0).astype(np.float32)


def europe_windows() -> list[Window]:
    r0, r1, c0, c1 = EUROPE
    return [
        Window(r0, r0 + 1, c0, c0 + 1),  # the file's north-west corner pixel
        Window(r0 + 10, r0 + 37, c0 + 5, c0 + 60),
        Window(r0 - 5, r0 + 2, c0 - 3, c0 + 2),  # partly outside the file: zeros there
        Window(r0, r1, c0, c1),  # the whole file
        Window(175, 190, 715, 745),  # the checkerboard coast
        Window(300, 310, 100, 110),  # entirely outside the file
    ]


@pytest.fixture
def tif(europe_dir: Path) -> Path:
    """The Europe fixture's product file."""
    return europe_dir / "embed_map_310k.tif"


@pytest.fixture(params=["libdeflate", "zlib"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libdeflate (when the system has it) and with zlib."""
    if request.param == "libdeflate" and not HAVE_LIBDEFLATE:
        pytest.skip("libdeflate is not installed")
    monkeypatch.setattr(gr, "USE_LIBDEFLATE", request.param == "libdeflate")
    gr._tiles_drop()
    yield request.param
    gr._tiles_drop()


def test_fast_path_returns_the_file_pixels(tif: Path, inflater: str) -> None:
    reader = GdalReader(inspect_product_file(tif))
    assert reader.name == "gdal" and reader.fast_path, reader.fast_path_refusal
    assert reader.layout is not None and reader.layout.deflate
    for w in europe_windows():
        got = reader.read(w)
        assert got.shape == (w.height, w.width, 768) and got.dtype == np.float32
        np.testing.assert_array_equal(got, expected(w, EUROPE))
    reader.close()


def test_readraster_fallback_equals_fast_path_bit_for_bit(tif: Path) -> None:
    info = inspect_product_file(tif)
    fast, slow = GdalReader(info), GdalReader(info, fast=False)
    assert fast.fast_path and not slow.fast_path
    for w in europe_windows():
        a, b = fast.read(w), slow.read(w)
        assert a.tobytes() == b.tobytes()
    # The fallback's values are the closed-form ones too (not just equal to the fast path).
    w = europe_windows()[1]
    np.testing.assert_array_equal(slow.read(w), expected(w, EUROPE))


def test_portable_byte_reads_give_the_same_pixels(
    tif: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seek + read path under a lock (what Windows uses) returns the same bytes."""
    monkeypatch.setattr(gr, "USE_PREAD", False)
    gr._tiles_drop()
    reader = GdalReader(inspect_product_file(tif))
    w = Window(125, 190, 690, 830)
    np.testing.assert_array_equal(reader.read(w), expected(w, EUROPE))
    reader.close()


def test_read_cells_equals_the_file_row(tif: Path) -> None:
    info = inspect_product_file(tif)
    for reader in (GdalReader(info), GdalReader(info, fast=False)):
        got = reader.read_cells(150, 700, 730)
        np.testing.assert_array_equal(got, expected(Window(150, 151, 700, 730), EUROPE)[0])
        out = np.full((5, 768), -1.0, dtype=np.float32)
        assert reader.read_cells(181, 720, 725, out=out) is out
        np.testing.assert_array_equal(out, expected(Window(181, 182, 720, 725), EUROPE)[0])


def test_wrapped_window_across_the_antimeridian(strip_dir: Path) -> None:
    info = inspect_product_file(strip_dir / "embed_map_310k.tif")
    reader = open_gdal_reader(info)
    assert info.is_global is False and info.width == 1440
    for w in (Window(82, 90, 1430, 1450), Window(78, 84, -6, 5), Window(95, 101, 1435, 1445)):
        np.testing.assert_array_equal(reader.read(w), expected(w, ANTIMERIDIAN_STRIP))


def _translated(src: Path, dst: Path, options: list[str]) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    out = gdal.Translate(str(dst), str(src), creationOptions=options)
    assert out is not None
    out = None
    return dst


@pytest.mark.parametrize(
    "options, fast",
    [
        (["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", "INTERLEAVE=PIXEL"], False),
        (["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "INTERLEAVE=PIXEL"], False),
        (["TILED=YES", "COMPRESS=DEFLATE", "INTERLEAVE=BAND"], False),
        (["TILED=YES", "COMPRESS=LZW", "INTERLEAVE=PIXEL"], False),
        (["TILED=YES", "COMPRESS=NONE", "INTERLEAVE=PIXEL"], True),
        (["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=32", "COMPRESS=DEFLATE"], True),
        (["TILED=NO", "BLOCKYSIZE=7", "COMPRESS=DEFLATE", "INTERLEAVE=PIXEL"], True),  # strips
    ],
)
def test_other_layouts_take_the_right_path_and_values(
    options: list[str], fast: bool, tif: Path, tmp_path: Path
) -> None:
    other = _translated(tif, tmp_path / "embed_map_310k.tif", options)
    reader = GdalReader(inspect_product_file(other))
    assert reader.fast_path is fast, reader.fast_path_refusal
    for w in europe_windows()[1:5]:
        np.testing.assert_array_equal(reader.read(w), expected(w, EUROPE))
    np.testing.assert_array_equal(
        reader.read_cells(130, 700, 760), expected(Window(130, 131, 700, 760), EUROPE)[0]
    )
    reader.close()


def test_equals_torchgeo_snapped_windows_bit_for_bit(europe_dir: Path) -> None:
    pytest.importorskip("torchgeo")
    from rs_embed_qgis.core.reader import TorchGeoReader

    info = inspect_product_file(europe_dir / "embed_map_310k.tif")
    tg = TorchGeoReader(info, str(europe_dir), download=False)
    reader = GdalReader(info)
    for w in europe_windows()[:5]:
        assert reader.read(w).tobytes() == tg.read(w).tobytes()


def test_cancel_between_tiles(strip_dir: Path) -> None:
    reader = GdalReader(inspect_product_file(strip_dir / "embed_map_310k.tif"))
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 1  # let the first tile through, then cancel

    with pytest.raises(CancelledError):
        reader.read(Window(80, 100, 0, 1440), cancel=cancel)  # 6 tiles
    assert calls["n"] == 2  # checked before each tile; nothing read after the cancel
    w = Window(80, 100, 250, 260)  # a cancelled read leaves the reader usable
    np.testing.assert_array_equal(
        reader.read(w, cancel=lambda: False), expected(w, ANTIMERIDIAN_STRIP)
    )


def test_cancel_inside_a_tile_decode(tif: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The zlib path decodes in pieces and checks cancel between them."""
    monkeypatch.setattr(gr, "USE_LIBDEFLATE", False)
    monkeypatch.setattr(gr, "_INFLATE_PIECE", 1 << 20)
    reader = GdalReader(inspect_product_file(tif))
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(CancelledError):
        reader.decode_tile(0, 0, cancel=cancel)
    assert calls["n"] == 4


def test_threads_read_the_same_as_one_thread(strip_dir: Path) -> None:
    info = inspect_product_file(strip_dir / "embed_map_310k.tif")
    windows = [
        Window(80 + k % 15, 85 + k % 15, 113 * k % 1440, 113 * k % 1440 + 40) for k in range(12)
    ]
    for fast in (True, False):
        gr._tiles_drop()
        reader = GdalReader(info, fast=fast)
        with ThreadPoolExecutor(4) as ex:
            got = list(ex.map(reader.read, windows))
        for w, g in zip(windows, got):
            np.testing.assert_array_equal(g, expected(w, ANTIMERIDIAN_STRIP))
        reader.close()


def test_shared_reader_per_file_identity(tif: Path, tmp_path: Path) -> None:
    info = inspect_product_file(tif)
    a = open_gdal_reader(info)
    assert open_gdal_reader(info) is a
    seen: list[GdalReader] = []
    t = threading.Thread(target=lambda: seen.append(open_gdal_reader(info)))
    t.start()
    t.join()
    assert seen == [a]  # no thread affinity
    close_all_readers()
    b = open_gdal_reader(info)
    assert b is not a
    w = Window(150, 152, 700, 703)
    np.testing.assert_array_equal(b.read(w), expected(w, EUROPE))


def test_truncated_file_is_corrupt_on_both_paths(tif: Path, tmp_path: Path) -> None:
    bad = product.write_corrupt_copy(tif, tmp_path / "embed_map_310k.tif", 0.5)
    info = inspect_product_file(bad)
    for reader in (GdalReader(info), GdalReader(info, fast=False)):
        with pytest.raises(CorruptDataError) as ei:
            reader.read(Window(*EUROPE))
        assert str(bad) in str(ei.value) and "download it again" in str(ei.value)


def test_core_reads_without_rasterio_or_torch(tif: Path) -> None:
    """Inspecting and reading through GDAL works with rasterio and torch unimportable."""
    code = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("rasterio", "torch", "torchgeo"):
            raise ImportError("blocked " + name)
sys.meta_path.insert(0, Block())
from rs_embed_qgis.core.dataset import inspect_product_file
from rs_embed_qgis.core.gdal_reader import open_gdal_reader
from rs_embed_qgis.core.grid import Window
info = inspect_product_file({str(tif)!r})
a = open_gdal_reader(info).read(Window(150, 153, 700, 704))
sys.stdout.write(a.tobytes().hex())
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = np.frombuffer(bytes.fromhex(out.stdout), dtype=np.float32).reshape(3, 4, 768)
    np.testing.assert_array_equal(got, expected(Window(150, 153, 700, 704), EUROPE))


# --------------------------------------------------------------------------- damaged streams


def _streams() -> dict[str, tuple[bytes, int]]:
    """A good zlib stream and damaged ones, with the length each must decode to."""
    data = np.arange(300_000, dtype=np.float32).tobytes()
    n = len(data)
    good = zlib.compress(data, 6)
    # Stored blocks (level 0): a changed byte inside them changes the output and nothing
    # else, so only the stream's Adler-32 can tell.
    stored = bytearray(zlib.compress(data, 0))
    stored[len(stored) // 2] ^= 0x5A
    bad_adler = bytearray(good)
    bad_adler[-1] ^= 0xFF
    return {
        "good": (good, n),
        "changed stored byte": (bytes(stored), n),
        "bad adler32": (bytes(bad_adler), n),
        "adler32 cut off": (good[:-4], n),
        "cut in the middle": (good[: len(good) // 2], n),
        "bytes after the end": (good + b"\x00\x00", n),
        "longer than the tile": (good, n - 4),
        "shorter than the tile": (good, n + 4),
    }


@pytest.mark.parametrize("with_cancel", [False, True])
@pytest.mark.parametrize("case", list(_streams()))
def test_a_stream_is_accepted_only_if_it_ends_exactly(
    case: str, with_cancel: bool, inflater: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every decoder path (libdeflate, zlib whole, zlib in pieces with cancel) refuses the same."""
    monkeypatch.setattr(gr, "_INFLATE_PIECE", 1 << 16)  # many pieces on the zlib path
    raw, n = _streams()[case]
    got = gr.inflate(raw, n, cancel=(lambda: False) if with_cancel else None)
    if case == "good":
        assert got is not None and got.tobytes() == zlib.decompress(raw)
    else:
        assert got is None


def _damaged_copy(src: Path, dst: Path, tx: int, ty: int) -> Path:
    """A copy of ``src`` whose tile (ty, tx) has the last byte (Adler-32) of its stream changed."""
    shutil.copy(src, dst)
    ds = gdal.Open(str(dst))
    band = ds.GetRasterBand(1)
    off = int(band.GetMetadataItem(f"BLOCK_OFFSET_{tx}_{ty}", "TIFF"))
    size = int(band.GetMetadataItem(f"BLOCK_SIZE_{tx}_{ty}", "TIFF"))
    ds = None
    with open(dst, "r+b") as fh:
        fh.seek(off + size - 1)
        last = fh.read(1)[0]
        fh.seek(off + size - 1)
        fh.write(bytes([last ^ 0xFF]))
    return dst


def test_a_damaged_tile_is_refused_by_reads_and_by_the_cache(tmp_path: Path, inflater: str) -> None:
    """Issue 18: the cache is never built from a tile that a direct read refuses."""
    from rs_embed_qgis.core import cache_root, cache_status, prepare_cache
    from rs_embed_qgis.core.cache import entry_dir

    good = product.write_product(
        tmp_path / "good" / "embed_map_310k.tif",
        *EUROPE,
        creation={"blockxsize": 64, "blockysize": 64},
    )
    (tmp_path / "bad").mkdir()
    bad = _damaged_copy(good, tmp_path / "bad" / "embed_map_310k.tif", tx=1, ty=1)
    info = inspect_product_file(bad)
    reader = GdalReader(info)
    assert reader.fast_path, reader.fast_path_refusal
    r0, _, c0, _ = EUROPE
    with pytest.raises(CorruptDataError) as direct:
        reader.read(Window(r0 + 70, r0 + 72, c0 + 70, c0 + 72))  # inside tile (1, 1)
    message = str(direct.value)
    assert "is corrupt or truncated" in message and "tile (1, 1)" in message
    w = Window(r0, r0 + 64, c0, c0 + 64)  # tile (0, 0) is intact
    np.testing.assert_array_equal(reader.read(w), expected(w, EUROPE))
    reader.close()

    with pytest.raises(CorruptDataError) as prep:
        prepare_cache(bad)
    assert str(prep.value) == message
    assert not cache_status(bad)["ready"]
    key = entry_dir(info).name
    assert not [p.name for p in cache_root().iterdir() if key in p.name]
