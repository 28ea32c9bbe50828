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


def _translated(src: Path, dst: Path, options: list[str], fmt: str = "GTiff") -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    out = gdal.Translate(str(dst), str(src), format=fmt, creationOptions=options)
    assert out is not None
    out = None
    return dst


# A window of the global grid two 256-tiles wide (the second one an edge tile), with the
# checkerboard coast and ocean, written with ocean as -0.0 (what a conversion gives).
LAYOUT_WINDOW = (120, 200, 600, 900)
# Global windows: a corner pixel, across the 256-tile border (file column 256), the
# bottom-right edge tile, partly outside the file, the coast.
LAYOUT_WINDOWS = [
    Window(120, 121, 600, 601),
    Window(150, 170, 840, 870),
    Window(185, 200, 880, 900),
    Window(115, 125, 595, 605),
    Window(178, 190, 718, 744),
]
P3 = {"predictor": 3}
BAND = {"interleave": "band"}
TILE512 = {"blockxsize": 512, "blockysize": 512}
# name: (creation options of tests/product.write_product, whether the reader's own
# decoding takes it). The COG has its own, smaller test (GDAL's COG driver needs minutes
# to make the overviews of 768 bands on this window).
LAYOUTS: dict[str, tuple[dict[str, object], bool]] = {
    "deflate predictor 1 pixel 256": ({}, True),
    "deflate predictor 2 pixel 256": ({"predictor": 2}, True),
    "deflate predictor 3 pixel 256": (P3, True),
    "deflate predictor 1 band 256": (BAND, True),
    "deflate predictor 2 band 256": ({**BAND, "predictor": 2}, True),
    "deflate predictor 3 band 256": ({**BAND, **P3}, True),
    "deflate predictor 3 pixel 512": ({**P3, **TILE512}, True),
    "deflate predictor 3 band 512": ({**BAND, **P3, **TILE512}, True),
    "deflate predictor 3 pixel strips": ({**P3, "tiled": False, "blockysize": 7}, True),
    "deflate predictor 2 band strips": (
        {**BAND, "predictor": 2, "tiled": False, "blockysize": 16},
        True,
    ),
    "no compression pixel 256": ({"compress": None}, True),
    "no compression band strips": ({**BAND, "compress": None, "tiled": False}, True),
    "BigTIFF predictor 3 pixel 256": ({**P3, "BIGTIFF": "YES"}, True),
    "zstd": ({"compress": "zstd"}, False),
    "lzw predictor 2": ({"compress": "lzw", "predictor": 2}, False),
    "big-endian": ({**P3, "ENDIANNESS": "BIG"}, False),
}


class _LayoutFiles:
    """The same product window in each layout of LAYOUTS, written on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self.files:
            creation = LAYOUTS[name][0]
            path = self.root / f"l{list(LAYOUTS).index(name)}" / "embed_map_310k.tif"
            product.write_product(path, *LAYOUT_WINDOW, creation=creation, ocean=-0.0)
            self.files[name] = path
        return self.files[name]


@pytest.fixture(scope="module")
def layout_files(tmp_path_factory: pytest.TempPathFactory) -> _LayoutFiles:
    """The product window of LAYOUT_WINDOW in every layout (each made once per module)."""
    return _LayoutFiles(tmp_path_factory.mktemp("layouts"))


def _gdal_pixels(path: Path) -> np.ndarray:
    """Every pixel of the file as (h, w, 768), read by GDAL itself (not by the plugin)."""
    ds = gdal.Open(str(path))
    h, w = ds.RasterYSize, ds.RasterXSize
    buf = np.empty((h, w, 768), dtype=np.float32)
    ds.ReadRaster(
        0,
        0,
        w,
        h,
        buf_type=gdal.GDT_Float32,
        buf_pixel_space=3072,
        buf_line_space=3072 * w,
        buf_band_space=4,
        buf_obj=buf,
    )
    return buf


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_layout_reads_gdals_own_pixels_bit_for_bit(
    name: str, layout_files: _LayoutFiles
) -> None:
    """Issue 16: the reader equals GDAL's ReadRaster of the same file, -0.0 included."""
    path = layout_files[name]
    reader = GdalReader(inspect_product_file(path))
    assert reader.fast_path is LAYOUTS[name][1], reader.fast_path_refusal
    truth = _gdal_pixels(path)
    r0, r1, c0, c1 = LAYOUT_WINDOW
    assert truth.shape == (r1 - r0, c1 - c0, 768)
    # The file holds -0.0 over the ocean: a +0.0 anywhere would be a decoding error.
    ocean = ~product.land_mask(*np.mgrid[r0:r1, c0:c1])
    assert ocean.any() and (truth[ocean].view(np.uint32) == 0x80000000).all()
    for w in LAYOUT_WINDOWS:
        got = reader.read(w)
        ref = np.zeros_like(got)
        a0, a1 = max(w.row0, r0), min(w.row1, r1)
        b0, b1 = max(w.col0, c0), min(w.col1, c1)
        ref[a0 - w.row0 : a1 - w.row0, b0 - w.col0 : b1 - w.col0] = truth[
            a0 - r0 : a1 - r0, b0 - c0 : b1 - c0
        ]
        assert np.array_equal(got.view(np.uint32), ref.view(np.uint32)), w
        np.testing.assert_array_equal(got, expected(w, LAYOUT_WINDOW))  # the closed form
    whole = reader.read(Window(*LAYOUT_WINDOW))
    assert np.array_equal(whole.view(np.uint32), truth.view(np.uint32))
    row = reader.read_cells(181, 700, 760)
    assert np.array_equal(row.view(np.uint32), truth[181 - r0, 700 - c0 : 760 - c0].view(np.uint32))
    if reader.fast_path:
        assert reader.slow_path_warning == ""
    else:
        warning = reader.slow_path_warning
        assert "read through GDAL" in warning and "times slower" in warning, warning
        assert str(path) in warning
    reader.close()


def test_the_layouts_are_what_they_say(layout_files: _LayoutFiles) -> None:
    """The matrix really holds those layouts (GDAL's view of each file)."""
    seen = {}
    for name in LAYOUTS:
        path = layout_files[name]
        ds = gdal.Open(str(path))
        md = ds.GetMetadata("IMAGE_STRUCTURE")
        seen[name] = (
            md.get("COMPRESSION", "NONE"),
            md.get("PREDICTOR", "1"),
            md.get("INTERLEAVE"),
            ds.GetRasterBand(1).GetBlockSize(),
            ds.GetRasterBand(1).GetOverviewCount(),
        )
        with open(path, "rb") as fh:
            seen[name] += (fh.read(4),)
    assert seen["deflate predictor 3 band 512"][:4] == ("DEFLATE", "3", "BAND", [512, 512])
    assert seen["deflate predictor 3 pixel strips"][3] == [300, 7]
    assert seen["no compression band strips"][:3] == ("NONE", "1", "BAND")
    assert seen["BigTIFF predictor 3 pixel 256"][5] == b"II+\x00"
    assert seen["big-endian"][5] == b"MM\x00*"


def test_a_cog_with_overviews_is_read_from_its_full_resolution(tmp_path: Path) -> None:
    """A COG (predictor 3, overviews after the full-resolution IFD) takes the fast path."""
    src = product.write_product(tmp_path / "src.tif", *EUROPE, creation=P3, ocean=-0.0)
    cog = _translated(
        src,
        tmp_path / "cog" / "embed_map_310k.tif",
        ["COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=128", "OVERVIEW_RESAMPLING=NEAREST"],
        fmt="COG",
    )
    ds = gdal.Open(str(cog))
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert ds.GetRasterBand(1).GetOverviewCount() > 0
    ds = None
    reader = GdalReader(inspect_product_file(cog))
    assert reader.fast_path and reader.layout is not None and reader.layout.predictor == 3
    truth = _gdal_pixels(cog)
    r0, _, c0, _ = EUROPE
    for w in [Window(r0, r0 + 1, c0, c0 + 1), Window(r0 + 10, r0 + 80, c0 + 100, c0 + 160)]:
        got = reader.read(w)
        want = truth[w.row0 - r0 : w.row1 - r0, w.col0 - c0 : w.col1 - c0]
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
        np.testing.assert_array_equal(got, expected(w, EUROPE))
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


def test_a_layout_read_through_gdal_is_said_once_with_its_cost(
    layout_files: _LayoutFiles,
) -> None:
    """The GDAL fallback reaches the caller's warnings, once per request and only for it."""
    from rs_embed_qgis.core import BBox, OutputSpec, TemporalSpec, get_embeddings_batch

    # lon 0..1, lat 49..50: land inside LAYOUT_WINDOW (rows 160..164, cols 720..724).
    specs = [BBox(0.0, 49.0, 1.0, 50.0), BBox(0.5, 49.0, 1.5, 50.0)]
    for name, slow in (("zstd", True), ("deflate predictor 3 band 256", False)):
        embs = get_embeddings_batch(
            "copernicus_embed",
            spatials=specs,
            temporal=TemporalSpec.year(2021),
            output=OutputSpec.pooled(),
            data_dir=str(layout_files[name].parent),
            prepare_cache=False,
        )
        for emb in embs:
            notes = [w for w in emb.meta.get("warnings", []) if "read through GDAL" in w]
            if slow:
                assert notes == [
                    "This file's layout (compression ZSTD) is read through GDAL, about "
                    f"{gr.GDAL_SLOWDOWN} times slower than the fast path: "
                    f"{layout_files[name]}."
                ]
            else:
                assert notes == []
        assert embs[0].data is not None
