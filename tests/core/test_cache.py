"""The fast cache: equal to the file and TorchGeo, tied to the source, atomic, safe, portable."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import (
    BBox,
    CancelledError,
    OutputSpec,
    PointBuffer,
    TemporalSpec,
    cache_root,
    cache_status,
    cleanup_cache,
    clear_cache,
    get_embedding,
    get_embeddings_batch,
    prepare_cache,
)
from rs_embed_qgis.core import cache as cache_mod
from rs_embed_qgis.core.adapter import open_source
from rs_embed_qgis.core.dataset import inspect_product_file
from rs_embed_qgis.core.errors import CacheError
from rs_embed_qgis.core.grid import Window
from tests import product
from tests.conftest import EUROPE
from tests.core import expected as ex

YEAR = TemporalSpec.year(2021)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prepared(europe_dir: Path) -> Path:
    """The Europe fixture with its cache prepared."""
    prepare_cache(europe_dir / "embed_map_310k.tif")
    return europe_dir


def _windows() -> list[Window]:
    r0, r1, c0, c1 = EUROPE
    return [
        Window(r0, r0 + 3, c0, c0 + 4),
        Window(r0 + 10, r0 + 37, c0 + 5, c0 + 60),
        Window(r0 - 5, r0 + 2, c0 - 3, c0 + 2),  # partly outside the file: zeros there
        Window(r0, r1, c0, c1),  # the whole file in one read
        Window(175, 190, 715, 745),  # the checkerboard coast
    ]


def _expected(w: Window) -> np.ndarray:
    r0, r1, c0, c1 = EUROPE
    rows, cols = np.mgrid[w.row0 : w.row1, w.col0 : w.col1]
    inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
    keep = product.land_mask(rows, cols) & inside
    return np.where(keep[..., None], product.pixel_values(rows, cols), 0).astype(np.float32)


def test_cache_reader_equals_torchgeo_gdal_and_file_pixels(prepared: Path) -> None:
    cache = open_source(prepared, reader="cache").reader
    tg = open_source(prepared, reader="torchgeo").reader
    gd = open_source(prepared, reader="gdal").reader
    assert (cache.name, tg.name, gd.name) == ("cache", "torchgeo", "gdal")
    r0, r1, c0, c1 = EUROPE
    for w in _windows():
        a, b = cache.read(w), tg.read(w)
        assert a.shape == (w.height, w.width, 768)
        np.testing.assert_array_equal(a, b)
        assert a.tobytes() == gd.read(w).tobytes()
        rows, cols = np.mgrid[w.row0 : w.row1, w.col0 : w.col1]
        inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
        expected = np.where(
            (product.land_mask(rows, cols) & inside)[..., None],
            product.pixel_values(rows, cols),
            0,
        )
        np.testing.assert_array_equal(a, expected.astype(np.float32))


def test_get_embedding_uses_cache_and_matches_torchgeo(prepared: Path) -> None:
    for spatial in (PointBuffer(lon=5.0, lat=50.0, buffer_m=3000), BBox(1.0, 41.0, 4.3, 44.2)):
        for output in (OutputSpec.pooled(), OutputSpec.pooled("max"), OutputSpec.grid()):
            fast = get_embedding(spatial=spatial, temporal=YEAR, data_dir=prepared, output=output)
            ref = get_embedding(
                spatial=spatial, temporal=YEAR, data_dir=prepared, output=output, reader="torchgeo"
            )
            assert fast.meta["reader"] == "cache" and ref.meta["reader"] == "torchgeo"
            a = fast.data.values if output.mode == "grid" else fast.data
            b = ref.data.values if output.mode == "grid" else ref.data
            assert np.abs(a - b).max() <= 1e-6
            assert fast.meta["bbox_4326"] == ref.meta["bbox_4326"]


def test_threaded_batch_equals_serial(prepared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    specs = [
        PointBuffer(lon=float(lon), lat=float(lat), buffer_m=float(b))
        for lon, lat, b in zip(
            rng.uniform(-9, 29, 60), rng.uniform(46.5, 54.5, 60), rng.uniform(500, 40000, 60)
        )
    ]
    monkeypatch.setenv("RS_EMBED_COPERNICUS_BATCH_WORKERS", "4")
    threaded = get_embeddings_batch(spatials=specs, temporal=YEAR, data_dir=prepared)
    serial = [get_embedding(spatial=s, temporal=YEAR, data_dir=prepared) for s in specs]
    for t, s in zip(threaded, serial):
        np.testing.assert_array_equal(t.data, s.data)
        assert t.meta["window"] == s.meta["window"]


def test_status_reports_place_and_disk_use(prepared: Path) -> None:
    st = cache_status(prepared / "embed_map_310k.tif")
    r0, r1, c0, c1 = EUROPE
    assert st["ready"] is True
    assert st["bytes"] == (r1 - r0) * (c1 - c0) * 768 * 4
    assert Path(st["folder"]).parent == cache_root()
    assert os.path.getsize(Path(st["folder"]) / "embed.f32") == st["bytes"]


def _fresh_copy(src_dir: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(src_dir / "embed_map_310k.tif", dst / "embed_map_310k.tif")
    return dst


def test_replaced_source_is_detected(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "data")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    before = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert before.meta["reader"] == "cache"
    old_folder = Path(cache_status(tif)["folder"])
    # Replace the file with one whose values differ (doubled), same name and shape.
    r0, r1, c0, c1 = EUROPE
    new = tmp_path / "new.tif"
    product.write_product(
        new, r0, r1, c0, c1, values=lambda r, c, bands=768: 2 * product.pixel_values(r, c, bands)
    )
    os.replace(new, tif)
    after = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert after.meta["reader"] == "gdal"  # the stale cache is not served
    np.testing.assert_allclose(after.data, 2 * before.data, rtol=1e-6)
    assert not old_folder.exists()  # and it was removed
    prepare_cache(tif)
    again = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert again.meta["reader"] == "cache"
    np.testing.assert_array_equal(again.data, after.data)


def test_cancel_mid_preparation_leaves_nothing(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "data")
    tif = data / "embed_map_310k.tif"
    seen: list[float] = []

    def progress(f: float, msg: str) -> None:
        seen.append(f)

    # The Europe window has one 256x256 block; a wider file has several.
    wide = tmp_path / "wide"
    wide.mkdir()
    product.write_product(wide / "embed_map_310k.tif", 120, 130, 0, 1024)
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return len(seen) >= 2

    entries_before = set(os.listdir(cache_root())) if cache_root().exists() else set()
    with pytest.raises(CancelledError):
        prepare_cache(wide / "embed_map_310k.tif", progress=progress, cancel=cancel, workers=1)
    left = set(os.listdir(cache_root())) - entries_before
    assert left == set(), f"left behind: {left}"
    assert cache_status(wide / "embed_map_310k.tif")["ready"] is False
    assert open_source(wide, reader="auto").reader.name == "gdal"
    assert tif.exists()


def test_cleanup_removes_entries_of_vanished_sources(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "gone")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    folder = Path(cache_status(tif)["folder"])
    assert folder.exists()
    tif.unlink()
    removed = cleanup_cache()
    assert str(folder) in removed and not folder.exists()


def test_batch_prepares_cache_and_a_new_process_reuses_it(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "auto")
    tif = data / "embed_map_310k.tif"
    clear_cache(tif)
    messages: list[str] = []
    specs = [BBox(float(x), 50.0, float(x) + 0.5, 50.5) for x in range(0, 20, 2)]
    embs = get_embeddings_batch(
        spatials=specs, temporal=YEAR, data_dir=data, progress=lambda f, m: messages.append(m)
    )
    assert any("Preparing the fast cache" in m for m in messages)
    assert {e.meta["reader"] for e in embs} == {"cache"}
    code = (
        "import sys; from rs_embed_qgis.core import *; "
        f"e = get_embedding(spatial=BBox(2.0, 50.0, 2.5, 50.5), temporal=TemporalSpec.year(2021), "
        f"data_dir={str(data)!r}); print(e.meta['reader'], float(e.data[0]), "
        "'torch' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    reader, first, torch_loaded = out.stdout.split()
    assert reader == "cache"
    assert torch_loaded == "False"  # the fast path never imports torch
    ref = get_embedding(spatial=BBox(2.0, 50.0, 2.5, 50.5), temporal=YEAR, data_dir=data)
    assert float(first) == pytest.approx(float(ref.data[0]), abs=1e-6)


def test_batch_prepare_can_be_refused(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "never")
    specs = [BBox(float(x), 50.0, float(x) + 0.5, 50.5) for x in range(0, 20, 2)]
    embs = get_embeddings_batch(spatials=specs, temporal=YEAR, data_dir=data, prepare_cache=False)
    assert {e.meta["reader"] for e in embs} == {"gdal"}
    assert cache_status(data / "embed_map_310k.tif")["ready"] is False


def test_cancelled_batch_returns_nothing(prepared: Path) -> None:
    specs = [BBox(float(x) / 2, 50.0, float(x) / 2 + 0.5, 50.5) for x in range(40)]
    state = {"n": 0}

    def progress(f: float, m: str) -> None:
        state["n"] += 1

    with pytest.raises(CancelledError):
        get_embeddings_batch(
            spatials=specs,
            temporal=YEAR,
            data_dir=prepared,
            workers=1,
            progress=progress,
            cancel=lambda: state["n"] >= 1,
        )


@pytest.mark.parametrize(
    "fixture, geoms",
    [
        (
            "europe_dir",
            [
                "POLYGON ((2.1 47.3, 9.7 48.05, 6.2 53.9, 1.3 51.2, 2.1 47.3))",
                "POLYGON ((-3.33 41.1, 4.87 41.1, 4.87 46.6, -3.33 46.6, -3.33 41.1))",
                "POLYGON ((-12 45, 2 45, 2 50, -12 50, -12 45))",  # partly west of the file
            ],
        ),
        (
            "strip_dir",
            [
                "MULTIPOLYGON (((179.3 66.1, 180 66.1, 180 68.4, 179.3 68.4, 179.3 66.1)),"
                " ((-180 66.1, -179.2 66.1, -179.2 68.4, -180 68.4, -180 66.1)))",
                "POLYGON ((100 66, 170 66, 170 69, 100 69, 100 66))",
            ],
        ),
    ],
)
def test_polygon_pooling_same_through_cache_and_torchgeo(
    fixture: str, geoms: list[str], request: pytest.FixtureRequest
) -> None:
    from rs_embed_qgis.core import Polygon

    data = request.getfixturevalue(fixture)
    prepare_cache(data / "embed_map_310k.tif")
    for wkt in geoms:
        for pooling in ("mean", "max"):
            kw = {"spatial": Polygon(wkt=wkt), "temporal": YEAR, "data_dir": data}
            fast = get_embedding(**kw, output=OutputSpec.pooled(pooling))
            ref = get_embedding(**kw, output=OutputSpec.pooled(pooling), reader="torchgeo")
            assert fast.meta["reader"] == "cache"
            np.testing.assert_allclose(fast.data, ref.data, rtol=1e-6, atol=1e-6)
            assert fast.meta["valid_pixels"] == ref.meta["valid_pixels"]


# --------------------------------------------------------------------------- portability


def _entry_bytes(tif: Path) -> bytes:
    return (Path(cache_status(tif)["folder"]) / "embed.f32").read_bytes()


def test_portable_io_writes_and_reads_the_same_bytes(
    europe_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without os.preadv/os.pwrite (Windows) the cache has the same bytes and reads."""
    data = _fresh_copy(europe_dir, tmp_path / "portable")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    positional = _entry_bytes(tif)
    clear_cache(tif)
    monkeypatch.setattr(cache_mod, "USE_POSITIONAL_IO", False)
    prepare_cache(tif)
    assert _entry_bytes(tif) == positional
    reader = cache_mod.open_cached_reader(inspect_product_file(tif))
    assert reader is not None and reader._file.positional is False
    for w in _windows():
        np.testing.assert_array_equal(reader.read(w), _expected(w))
    out = reader.read_cells(181, 718, 726)
    np.testing.assert_array_equal(out, _expected(Window(181, 182, 718, 726))[0])


def test_file_without_the_fast_layout_is_cached_through_gdal(
    europe_dir: Path, tmp_path: Path
) -> None:
    from osgeo import gdal

    d = tmp_path / "predictor"
    d.mkdir()
    tif = d / "embed_map_310k.tif"
    opts = ["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "BLOCKXSIZE=64", "BLOCKYSIZE=64"]
    assert gdal.Translate(str(tif), str(europe_dir / "embed_map_310k.tif"), creationOptions=opts)
    seen: list[float] = []
    prepare_cache(tif, progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0  # 6 blocks, forward only
    reader = cache_mod.open_cached_reader(inspect_product_file(tif))
    for w in _windows():
        np.testing.assert_array_equal(reader.read(w), _expected(w))


def test_cancel_is_honoured_quickly_and_progress_only_grows(tmp_path: Path) -> None:
    wide = tmp_path / "wide"
    product.write_product(wide / "embed_map_310k.tif", 120, 136, 0, 1440)  # 6 tiles
    seen: list[float] = []
    flipped: list[float] = []

    def cancel() -> bool:
        if len(seen) >= 2 and not flipped:
            flipped.append(time.monotonic())
        return bool(flipped)

    with pytest.raises(CancelledError):
        prepare_cache(
            wide / "embed_map_310k.tif", progress=lambda f, m: seen.append(f), cancel=cancel
        )
    assert seen == sorted(seen) and seen[-1] < 1.0  # (how fast it stops: make bench)
    assert not [p for p in cache_root().iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------------- safety


def test_clear_cache_removes_only_its_own_entries(prepared: Path) -> None:
    root = cache_root()
    folder = Path(cache_status(prepared / "embed_map_310k.tif")["folder"])
    foreign_file = root / "notes.txt"
    foreign_file.write_text("mine")
    look_alike = root / "0123456789abcdef"  # our name pattern, but no manifest of ours
    look_alike.mkdir(exist_ok=True)
    (look_alike / "photo.jpg").write_bytes(b"x")
    other_dir = root / "projects"
    other_dir.mkdir(exist_ok=True)
    try:
        clear_cache()
        assert not folder.exists()
        assert root.is_dir() and foreign_file.read_text() == "mine"
        assert (look_alike / "photo.jpg").exists() and other_dir.is_dir()
        assert cleanup_cache() == []  # cleanup leaves them alone too
        assert (look_alike / "photo.jpg").exists() and foreign_file.exists()
    finally:
        foreign_file.unlink()
        shutil.rmtree(look_alike)
        other_dir.rmdir()
        prepare_cache(prepared / "embed_map_310k.tif")


def test_entry_with_foreign_files_is_not_emptied(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "foreign")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    folder = Path(cache_status(tif)["folder"])
    (folder / "keep.txt").write_text("user file")
    clear_cache(tif)
    assert (folder / "keep.txt").read_text() == "user file"  # the folder stays with it
    assert not (folder / "embed.f32").exists()
    shutil.rmtree(folder)


def test_temporary_folders_reclaimed_only_when_their_process_is_gone(tmp_path: Path) -> None:
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    gone = root / f".0123456789abcdef.tmp-{dead_pid}-abcd1234"
    alive = root / f".0123456789abcdef.tmp-{os.getppid()}-abcd1234"
    mine = root / f".fedcba9876543210.tmp-{os.getpid()}-00ff00ff"
    odd = root / ".something-else"
    for d in (gone, alive, mine, odd):
        d.mkdir()
        (d / "embed.f32").write_bytes(b"\0" * 16)
        old = time.time() - 10 * 86400  # age never matters on POSIX
        os.utime(d, (old, old))
    try:
        removed = cleanup_cache()
        if sys.platform != "win32":
            assert removed == [str(gone)] and not gone.exists()
        assert alive.exists() and mine.exists() and odd.exists()
    finally:
        for d in (gone, alive, mine, odd):
            shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------- errors


def test_cache_folder_that_is_a_file_is_a_cache_error(tmp_path: Path) -> None:
    # A product file of its own: the shared Europe fixture may already have its cache
    # prepared and open in this process (the module's `prepared`), and then nothing is made.
    src = tmp_path / "data" / "embed_map_310k.tif"
    product.write_product(src, 120, 136, 680, 696)
    not_a_dir = tmp_path / "cache_is_a_file"
    not_a_dir.write_text("x")
    for root in (not_a_dir, not_a_dir / "below"):
        cache_mod.set_cache_root(root)
        try:
            with pytest.raises(CacheError) as ei:
                prepare_cache(src)
        finally:
            cache_mod.set_cache_root(None)
        assert "is not a folder" in str(ei.value) and str(not_a_dir) in str(ei.value)
    assert not_a_dir.read_text() == "x"


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "no space left on"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
        (errno.ENOTDIR, "is not a folder"),
    ],
)
def test_oserrors_while_writing_become_cache_errors(
    code: int, words: str, europe_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails (disk full, read-only, ...) is a CacheError naming cause and path.

    A real full or read-only disk cannot be made portably in a test, so the write call
    itself fails here, with the OSError the system would raise.
    """
    data = _fresh_copy(europe_dir, tmp_path / f"err{code}")
    tif = data / "embed_map_310k.tif"

    def failing_write(self: object, src: object, offset: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(cache_mod._PositionalFile, "write", failing_write)
    before = set(os.listdir(cache_root()))
    with pytest.raises(CacheError) as ei:
        prepare_cache(tif)
    msg = str(ei.value)
    assert words in msg and str(cache_root()) in msg
    assert set(os.listdir(cache_root())) == before  # the temporary folder is gone
    assert cache_status(tif)["ready"] is False


# --------------------------------------------------------------------------- integrity


def _manifest(tif: Path) -> dict:
    return json.loads((Path(cache_status(tif)["folder"]) / "manifest.json").read_text())


def test_checksums_are_those_of_the_file_pixels(europe_dir: Path, tmp_path: Path) -> None:
    """One CRC-32 per file row and 64-pixel segment, of the product's own values."""
    data = _fresh_copy(europe_dir, tmp_path / "sums")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    m = _manifest(tif)
    assert (m["format"], m["checksum"], m["segment_cols"]) == (2, "crc32", 64)
    r0, r1, c0, c1 = EUROPE  # 80 rows x 160 cols: segments of 64, 64 and 32 pixels per row
    crcs = [int(m["crc32"][i : i + 8], 16) for i in range(0, len(m["crc32"]), 8)]
    assert len(crcs) == (r1 - r0) * 3
    for k in (0, 1, 40, 79):
        for j, (a, b) in enumerate(((0, 64), (64, 128), (128, 160))):
            want = _expected(Window(r0 + k, r0 + k + 1, c0 + a, c0 + b))[0]
            assert crcs[3 * k + j] == zlib.crc32(np.ascontiguousarray(want).tobytes())


def test_a_cache_with_whole_tile_segments_is_still_served(
    europe_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    """Caches prepared before the segments were narrowed (256 pixels) stay valid."""
    data = _fresh_copy(europe_dir, tmp_path / "wide")
    tif = data / "embed_map_310k.tif"
    monkeypatch.setattr(cache_mod, "SEGMENT_COLS", 256)
    prepare_cache(tif)
    monkeypatch.undo()
    assert _manifest(tif)["segment_cols"] == 256
    reader = cache_mod.open_cached_reader(inspect_product_file(tif))
    w = Window(150, 152, 700, 790)
    np.testing.assert_array_equal(reader.read(w), _expected(w))
    assert reader._ok.shape == (80, 1) and reader._ok.sum() == 2


def test_segments_without_land_are_recorded_and_never_read(
    europe_dir: Path, tmp_path: Path
) -> None:
    """The land map of the manifest is the fixture's; ocean segments read as zeros, even
    when their bytes in the file were changed, and are not checked."""
    data = _fresh_copy(europe_dir, tmp_path / "land")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    r0, r1, c0, c1 = EUROPE
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    land = product.land_mask(rr, cc)
    want = np.stack([land[:, a:b].any(axis=1) for a, b in ((0, 64), (64, 128), (128, 160))], 1)
    assert 0 < want.sum() < want.size  # the fixture has both kinds of segment
    reader = cache_mod.open_cached_reader(inspect_product_file(tif))
    np.testing.assert_array_equal(reader._land, want)
    # Garbage written over a whole segment without land: never served, never an error.
    fr, t = (int(v) for v in np.argwhere(~want)[0])
    f32 = Path(cache_status(tif)["folder"]) / "embed.f32"
    with open(f32, "r+b") as fh:
        fh.seek((fr * (c1 - c0) + 64 * t) * 768 * 4)
        fh.write(b"\x7f" * 768 * 4 * min(64, (c1 - c0) - 64 * t))
    reader = cache_mod.open_cached_reader(inspect_product_file(tif))
    w = Window(r0 + fr, r0 + fr + 1, c0, c1)
    np.testing.assert_array_equal(reader.read(w), _expected(w))
    cells = reader.read_cells(r0 + fr, c0, c1, out=np.full((c1 - c0, 768), 5, np.float32))
    np.testing.assert_array_equal(cells, _expected(w)[0])
    assert not reader._ok[fr, t]  # not checked: not read


def test_segments_checked_once_on_first_read(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "once")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    reader = cache_mod.open_cached_reader(inspect_product_file(tif))
    assert not reader._ok.any()
    w = Window(150, 155, 700, 705)
    np.testing.assert_array_equal(reader.read(w), _expected(w))
    assert reader._ok.sum() == 5 and reader._ok[30:35, 0].all()  # rows 150..154, cols < 64
    np.testing.assert_array_equal(
        reader.read_cells(181, 718, 726), _expected(Window(181, 182, 718, 726))[0]
    )
    assert reader._ok.sum() == 6


def _land_cols(row: int) -> np.ndarray:
    """The land columns of a global row inside the Europe fixture."""
    _, _, c0, c1 = EUROPE
    cols = np.arange(c0, c1)
    return cols[product.land_mask(np.full(cols.shape, row), cols)]


def _flip(tif: Path, row: int) -> None:
    """Change the bytes of the first land pixel of a file row of the cache (the file keeps
    its size; the bytes of ocean pixels are never read, so changing them changes nothing)."""
    f32 = Path(cache_status(tif)["folder"]) / "embed.f32"
    r0, _, c0, c1 = EUROPE
    col = int(_land_cols(row)[0])
    with open(f32, "r+b") as fh:
        fh.seek(((row - r0) * (c1 - c0) + (col - c0)) * 768 * 4 + 100)
        b = fh.read(4)
        fh.seek(-4, 1)
        fh.write(bytes(x ^ 0xFF for x in b))


def test_damaged_cache_with_reader_cache_raises_and_is_removed(
    europe_dir: Path, tmp_path: Path
) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "strict")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    _flip(tif, 160)
    with pytest.raises(CacheError, match="damaged") as ei:
        get_embedding(
            spatial=PointBuffer(lon=5.0, lat=50.0, buffer_m=500),
            temporal=YEAR,
            data_dir=data,
            reader="cache",
        )
    assert "row 40" in str(ei.value)  # file row 40 = global row 160
    assert cache_status(tif)["ready"] is False
    assert not Path(cache_status(tif)["folder"]).exists()
    # The dropped reader is closed, not reused.
    assert cache_mod.open_cached_reader(inspect_product_file(tif)) is None


def test_concurrent_reads_of_a_damaged_cache_all_fall_back(
    europe_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "threads")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    for row in range(130, 190, 3):
        if _land_cols(row).size:
            _flip(tif, row)
    specs = [
        BBox(float(x) / 2, 47.0 + (x % 9) * 0.7, float(x) / 2 + 1.0, 48.0 + (x % 9) * 0.7)
        for x in range(40)
    ]
    embs = get_embeddings_batch(
        spatials=specs,
        temporal=YEAR,
        data_dir=data,
        workers=4,
        output=OutputSpec.grid(),
        grid_format="numpy",
        expand_deg=0,
    )
    for sp, e in zip(specs, embs):
        rows, cols = ex.cells_for(sp.as_tuple())
        want = _expected(Window(rows[0], rows[-1] + 1, cols[0], cols[-1] + 1))
        np.testing.assert_array_equal(e.data, np.moveaxis(want, -1, 0))
    assert any(e.meta["reader"] == "gdal" and e.meta["warnings"] for e in embs)
    assert cache_status(tif)["ready"] is False


def test_entry_without_checksums_is_stale_and_rebuilt(europe_dir: Path, tmp_path: Path) -> None:
    """A cache of the previous format (no checksums) is never served unverified."""
    data = _fresh_copy(europe_dir, tmp_path / "old")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    folder = Path(cache_status(tif)["folder"])
    m = _manifest(tif)
    for k in ("checksum", "segment_cols", "crc32", "id"):
        m.pop(k)
    m["format"] = 1
    (folder / "manifest.json").write_text(json.dumps(m))
    cache_mod.close_cached_readers()  # as in a new process: nothing open yet
    assert cache_status(tif)["ready"] is False
    emb = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert emb.meta["reader"] == "gdal"
    assert not folder.exists()
    prepare_cache(tif)
    assert _manifest(tif)["format"] == 2
    again = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert again.meta["reader"] == "cache"
    np.testing.assert_array_equal(again.data, emb.data)


# ----------------------------------------------------------- ocean stored as -0.0 (issue 16)


@pytest.fixture(scope="module")
def negative_zero_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Europe window with its ocean written as -0.0 (what ``values * land_mask`` gives)."""
    d = tmp_path_factory.mktemp("negative_zero")
    product.write_product(d / "embed_map_310k.tif", *EUROPE, ocean=-0.0)
    return d


def _gdal_pixels(tif: Path) -> np.ndarray:
    """(H, W, 768) pixels of the whole file, read by GDAL itself (not the plugin)."""
    from osgeo import gdal

    ds = gdal.Open(str(tif))
    try:
        return ds.ReadAsArray(interleave="pixel")
    finally:
        ds = None


# Run in a new process: the whole file through reader="auto", saved for the parent to check.
_CHILD_READ = """
import sys
import numpy as np
from rs_embed_qgis.core import BBox, OutputSpec, TemporalSpec, get_embedding
e = get_embedding(spatial=BBox(-10.125, 40.125, 29.875, 60.125), temporal=TemporalSpec.year(2021),
    data_dir=sys.argv[1], output=OutputSpec.grid(), grid_format="numpy", expand_deg=0)
np.save(sys.argv[2], np.moveaxis(e.data, 0, -1))
print(e.meta["reader"], len(e.meta.get("warnings", [])))
"""


def test_negative_zero_ocean_cache_is_used_not_deleted_by_a_new_process(
    negative_zero_dir: Path, tmp_path: Path
) -> None:
    """Issue 16: a cache of a file whose ocean is -0.0 survives the next process's reads."""
    data = _fresh_copy(negative_zero_dir, tmp_path / "nz")
    tif = data / "embed_map_310k.tif"
    pixels = _gdal_pixels(tif)
    ocean = ~np.any(pixels != 0, axis=-1)
    assert ocean.any() and np.signbit(pixels[ocean]).all()  # the premise: -0.0 in the file
    prepare_cache(tif)
    folder = Path(cache_status(tif)["folder"])
    before = _manifest(tif)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD_READ, str(data), str(tmp_path / "grid.npy")],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["cache", "0"]  # served by the cache, no fallback warning
    np.testing.assert_array_equal(np.load(tmp_path / "grid.npy"), pixels)
    assert folder.is_dir() and _manifest(tif) == before  # not rebuilt, not deleted
    assert cache_status(tif)["ready"] is True


def test_damage_in_a_negative_zero_cache_is_still_caught(
    negative_zero_dir: Path, tmp_path: Path
) -> None:
    """The checksums cover exactly the bytes written: a flipped byte of a land pixel, or
    the sign of a -0.0 ocean pixel written between land pixels, is caught."""
    pixels = None
    for name, flip in (("land", "land"), ("sign", "sign")):
        data = _fresh_copy(negative_zero_dir, tmp_path / name)
        tif = data / "embed_map_310k.tif"
        pixels = _gdal_pixels(tif) if pixels is None else pixels
        prepare_cache(tif)
        folder = Path(cache_status(tif)["folder"])
        if flip == "land":
            _flip(tif, 130)  # row 130: ocean, then land from col 800 in a mixed segment
        else:
            # Row 180, cols 722..723 are ocean between land squares of the checkerboard
            # coast: written as -0.0; clear the sign bit of band 5 of col 722.
            r0, _, c0, c1 = EUROPE
            assert np.signbit(pixels[180 - r0, 722 - c0, 5])
            with open(folder / "embed.f32", "r+b") as fh:
                fh.seek(((180 - r0) * (c1 - c0) + (722 - c0)) * 768 * 4 + 5 * 4 + 3)
                fh.write(b"\x00")
        cache_mod.close_cached_readers()  # as in a new process: nothing verified yet
        with pytest.raises(CacheError, match="damaged"):
            open_source(data, reader="cache").reader.read(Window(*EUROPE))
        assert not folder.exists()  # the entry was removed
        emb = get_embedding(
            spatial=BBox(-10.125, 40.125, 29.875, 60.125),
            temporal=YEAR,
            data_dir=data,
            output=OutputSpec.grid(),
            grid_format="numpy",
            expand_deg=0,
        )
        assert emb.meta["reader"] == "gdal"  # read from the GeoTIFF
        np.testing.assert_array_equal(np.moveaxis(emb.data, 0, -1), pixels)
