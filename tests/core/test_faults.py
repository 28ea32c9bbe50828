"""Faults the core must survive: real files, real processes, values from the fixture's formula.

Each test here failed on the code before issue 9: a cache that deleted the user's files,
served changed bytes, let raw OSErrors kill batches, leaked the temporary folder of a
killed preparation, blamed a good file, or refused NumPy numbers.
"""

from __future__ import annotations

import errno
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import (
    BBox,
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
from rs_embed_qgis.core.errors import CacheError
from tests import product
from tests.conftest import EUROPE
from tests.core import expected as ex

YEAR = TemporalSpec.year(2021)
ROOT = Path(__file__).resolve().parents[2]
TIF = "embed_map_310k.tif"
# Ten land items inside the Europe fixture (lat 40..60, lon -10..30): 1-degree seed boxes.
SPECS10 = [PointBuffer(lon=float(x), lat=47.0 + (x % 7), buffer_m=2000) for x in range(0, 20, 2)]


def _copy(europe_dir: Path, dst: Path) -> Path:
    """A data folder of its own holding a copy of the Europe fixture (own cache entry)."""
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(europe_dir / TIF, dst / TIF)
    return dst


def _truth(rows: list[int], cols: list[int]) -> np.ndarray:
    """(h, w, 768) pixels the Europe file holds, from the fixture's closed form."""
    r0, r1, c0, c1 = EUROPE
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    keep = product.land_mask(rr, cc) & (rr >= r0) & (rr < r1) & (cc >= c0) & (cc < c1)
    return np.where(keep[..., None], product.pixel_values(rr, cc), 0).astype(np.float32)


def _point_mean(lon: float, lat: float) -> np.ndarray:
    """Mean of the valid pixels of the seed's 1-degree box around a point."""
    rows, cols = ex.cells_for(ex.seed_box(lon, lat))
    return ex.mean_valid(_truth(rows, cols))


def _check_ten(embs: list) -> None:
    assert len(embs) == len(SPECS10)
    for sp, emb in zip(SPECS10, embs):
        np.testing.assert_allclose(emb.data, _point_mean(sp.lon, sp.lat), rtol=1e-6, atol=1e-7)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


# --------------------------------------------------------------------------- data loss


def test_cache_folder_shared_with_user_notes_and_the_data(europe_dir: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    data = _copy(europe_dir, shared / "data")
    notes = shared / "notes.txt"
    notes.write_text("my notes")
    (shared / "projects").mkdir()
    (shared / "projects" / "map.qgz").write_bytes(b"project")
    (shared / "0123456789abcdef").mkdir()  # looks like an entry, holds no manifest of ours
    (shared / "0123456789abcdef" / "photo.jpg").write_bytes(b"jpg")
    before = (data / TIF).read_bytes()
    cache_mod.set_cache_root(shared)
    try:
        embs = get_embeddings_batch(
            spatials=SPECS10, temporal=YEAR, data_dir=data, prepare_cache=True
        )
        assert {e.meta["reader"] for e in embs} == {"cache"}
        _check_ten(embs)
        assert cleanup_cache() == []
        clear_cache(data / TIF)
        prepare_cache(data / TIF)
        clear_cache()
    finally:
        cache_mod.set_cache_root(None)
    assert sorted(os.listdir(shared)) == ["0123456789abcdef", "data", "notes.txt", "projects"]
    assert notes.read_text() == "my notes"
    assert (shared / "projects" / "map.qgz").read_bytes() == b"project"
    assert (shared / "0123456789abcdef" / "photo.jpg").read_bytes() == b"jpg"
    assert (data / TIF).read_bytes() == before


# --------------------------------------------------------------------------- wrong values

LON, LAT = 5.0, 50.0  # row 160, col 740: inside the Europe file, on land
BOX = BBox(4.5, 49.5, 5.5, 50.5)

_CHILD = r"""
import json, sys
import numpy as np
from rs_embed_qgis.core import BBox, OutputSpec, PointBuffer, TemporalSpec, get_embedding
y = TemporalSpec.year(2021)
out = []
for sp, o in ((PointBuffer(lon=5.0, lat=50.0, buffer_m=1000), OutputSpec.pooled()),
              (BBox(4.5, 49.5, 5.5, 50.5), OutputSpec.grid())):
    e = get_embedding(spatial=sp, temporal=y, data_dir=sys.argv[1], output=o,
                      grid_format="numpy", expand_deg=0 if o.mode == "grid" else 1.0)
    out.append({"reader": e.meta["reader"], "warnings": e.meta.get("warnings", []),
                "data": np.asarray(e.data, dtype=np.float64).ravel().tolist()})
print(json.dumps(out))
"""


def _damage(tif: Path) -> Path:
    """Change the bytes of the pixel (LON, LAT) in the prepared cache; the size stays."""
    f32 = Path(cache_status(tif)["folder"]) / "embed.f32"
    size = f32.stat().st_size
    r0, _, c0, c1 = EUROPE
    row, col = round((90 - LAT) / 0.25), round((LON + 180) / 0.25)
    offset = ((row - r0) * (c1 - c0) + (col - c0)) * 768 * 4
    with open(f32, "r+b") as fh:
        fh.seek(offset)
        pixel = np.frombuffer(fh.read(768 * 4), dtype=np.float32)
        fh.seek(offset)
        fh.write((pixel * 2 + 1).astype(np.float32).tobytes())
    assert f32.stat().st_size == size
    return f32


def _expected_grid() -> np.ndarray:
    rows, cols = ex.cells_for(BOX.as_tuple())
    return np.moveaxis(_truth(rows, cols), -1, 0)


def _check_child(data: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data)], env=_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    pooled, grid = json.loads(out.stdout)
    assert pooled["reader"] == grid["reader"] == "gdal"
    np.testing.assert_allclose(pooled["data"], _point_mean(LON, LAT), rtol=1e-6, atol=1e-7)
    assert np.array_equal(np.asarray(grid["data"], np.float32), _expected_grid().ravel())
    return pooled


def test_changed_cache_bytes_are_never_served(europe_dir: Path, tmp_path: Path) -> None:
    data = _copy(europe_dir, tmp_path / "data")
    tif = data / TIF
    # 1. A fresh process, which has checked nothing yet, meets the changed bytes.
    prepare_cache(tif)
    f32 = _damage(tif)
    pooled = _check_child(data)
    assert any("damaged" in w and "checksum" in w for w in pooled["warnings"])
    assert not f32.exists() and cache_status(tif)["ready"] is False  # the entry is gone

    # 2. This process holds an open reader that has already checked other segments.
    prepare_cache(tif)
    warm = get_embedding(
        spatial=PointBuffer(lon=20.0, lat=52.0, buffer_m=1000), temporal=YEAR, data_dir=data
    )
    assert warm.meta["reader"] == "cache"
    f32 = _damage(tif)
    emb = get_embedding(
        spatial=PointBuffer(lon=LON, lat=LAT, buffer_m=1000), temporal=YEAR, data_dir=data
    )
    assert emb.meta["reader"] == "gdal"
    assert any("damaged" in w for w in emb.meta["warnings"])
    np.testing.assert_allclose(emb.data, _point_mean(LON, LAT), rtol=1e-6, atol=1e-7)
    grid = get_embedding(
        spatial=BOX,
        temporal=YEAR,
        data_dir=data,
        output=OutputSpec.grid(),
        grid_format="numpy",
        expand_deg=0,
    )
    assert grid.meta["reader"] == "gdal"
    np.testing.assert_array_equal(grid.data, _expected_grid())
    assert not f32.exists()
    # 3. And the next process does not serve them either.
    _check_child(data)


# --------------------------------------------------------------------------- cache faults


def _enospc(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    if not cache_mod.USE_POSITIONAL_IO:
        pytest.skip("positional writes are not used on this platform")

    def pwrite(fd: int, data: object, offset: int) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", pwrite)


def _erofs(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    real = os.mkdir

    def mkdir(path: object, *a: object, **kw: object) -> None:
        if Path(os.fspath(path)).resolve().is_relative_to(root.resolve()):  # type: ignore[arg-type]
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))  # type: ignore[arg-type]
        real(path, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", mkdir)


def _a_file(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    root.parent.mkdir(parents=True, exist_ok=True)
    root.write_text("not a folder")


@pytest.mark.parametrize(
    "fault, words",
    [(_enospc, "no space left"), (_erofs, "read-only"), (_a_file, "is not a folder")],
    ids=["disk-full", "read-only", "path-is-a-file"],
)
def test_cache_faults_are_cache_errors_and_batches_still_succeed(
    fault, words: str, europe_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _copy(europe_dir, tmp_path / "data")
    root = tmp_path / "cache"
    if fault is not _a_file:
        root.mkdir()
    cache_mod.set_cache_root(root)
    try:
        fault(monkeypatch, root)
        with pytest.raises(CacheError) as ei:
            prepare_cache(data / TIF)
        assert words in str(ei.value) and str(root) in str(ei.value)
        embs = get_embeddings_batch(
            spatials=SPECS10, temporal=YEAR, data_dir=data, prepare_cache=True
        )
    finally:
        cache_mod.set_cache_root(None)
    assert {e.meta["reader"] for e in embs} == {"gdal"}
    for e in embs:
        assert any(words in w for w in e.meta["warnings"])
    _check_ten(embs)
    if root.is_dir():
        assert os.listdir(root) == []  # no temporary folder left behind


# --------------------------------------------------------------------------- crash

_KILLED = r"""
import sys, time
from rs_embed_qgis.core import prepare_cache

def progress(fraction, message):
    print("preparing", flush=True)
    time.sleep(300)  # killed here, in the middle of the preparation

prepare_cache(sys.argv[1], progress=progress)
"""


def test_sigkilled_preparation_is_reclaimed_by_the_next(europe_dir: Path, tmp_path: Path) -> None:
    data = _copy(europe_dir, tmp_path / "data")
    tif = data / TIF
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    before = set(os.listdir(root))
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(tif)],
        env=_env(RS_EMBED_COP_CACHE_DIR=str(root)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready and proc.stdout.readline().strip() == "preparing", proc.stderr.read()
        left = [n for n in set(os.listdir(root)) - before if f".tmp-{proc.pid}-" in n]
        assert len(left) == 1 and (root / left[0] / "embed.f32").exists()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    tmp = root / left[0]
    assert tmp.exists()  # a killed process cleans nothing up
    prepare_cache(tif)
    assert not tmp.exists()
    assert cache_status(tif)["ready"] is True
    clear_cache(tif)


# --------------------------------------------------------------------------- messages

_AS_NOBODY = r"""
import sys
from rs_embed_qgis.core import PointBuffer, TemporalSpec, get_embedding
try:
    get_embedding(spatial=PointBuffer(lon=5.0, lat=50.0, buffer_m=1000),
                  temporal=TemporalSpec.year(2021), data_dir=sys.argv[1])
except Exception as exc:
    print(type(exc).__name__)
    print(exc)
else:
    print("no error")
"""


def _as_nobody() -> list[str]:
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    pytest.skip("neither setpriv nor runuser is available to drop root's rights")


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX users")
def test_unreadable_file_and_folder_are_permission_errors(europe_dir: Path) -> None:
    prefix = _as_nobody() if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="rs_embed_perm_"))  # /tmp: nobody can reach it
    try:
        base.chmod(0o755)
        data = base / "data"
        data.mkdir()
        data.chmod(0o755)
        tif = data / TIF
        shutil.copy(europe_dir / TIF, tif)
        cache = base / "cache"
        cache.mkdir()
        cache.chmod(0o777)
        # A copy of the package where nobody can read it (the checkout may sit in a private
        # folder such as /root), run by the system's Python (the venv may be private too).
        src = base / "src"
        shutil.copytree(
            ROOT / "rs_embed_qgis",
            src / "rs_embed_qgis",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        for dirpath, _dirnames, filenames in os.walk(src):
            os.chmod(dirpath, 0o755)
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o644)
        env = {**_env(RS_EMBED_COP_CACHE_DIR=str(cache), HOME=str(base)), "PYTHONPATH": str(src)}
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

        def run() -> tuple[str, str]:
            out = subprocess.run(
                [*prefix, python, "-c", _AS_NOBODY, str(data)],
                env=env,
                capture_output=True,
                text=True,
                cwd=str(base),
            )
            assert out.returncode == 0, out.stderr
            kind, _, msg = out.stdout.partition("\n")
            return kind, msg

        assert run()[0] == "no error"  # the subprocess itself can read a readable file
        tif.chmod(0)
        kind, msg = run()
        assert kind == "PermissionDeniedError" and str(tif) in msg
        assert "corrupt" not in msg.lower() and "delete" not in msg.lower()
        tif.chmod(0o644)
        data.chmod(0)
        kind, msg = run()
        assert kind == "PermissionDeniedError" and str(data) in msg
        assert "not found" not in msg.lower() and "download" not in msg.lower()
    finally:
        for p in (base, base / "data", base / "data" / TIF):
            if p.exists():
                p.chmod(0o755)
        shutil.rmtree(base)


@pytest.mark.parametrize("reader", ["auto", "gdal", "torchgeo"])
def test_partial_download_beside_the_good_file(
    reader: str, europe_dir: Path, tmp_path: Path
) -> None:
    data = _copy(europe_dir, tmp_path / "data")
    product.write_corrupt_copy(data / TIF, data / (TIF + ".crdownload"), keep_fraction=0.3)
    emb = get_embedding(
        spatial=PointBuffer(lon=LON, lat=LAT, buffer_m=1000),
        temporal=YEAR,
        data_dir=data,
        reader=reader,
    )
    assert emb.meta["file"] == str((data / TIF).resolve())
    assert "warnings" not in emb.meta  # a partial download is not a candidate at all
    np.testing.assert_allclose(emb.data, _point_mean(LON, LAT), rtol=1e-6, atol=1e-7)


def test_several_candidates_the_exact_name_wins_and_the_others_are_named(
    europe_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # Another product-like file, alphabetically first and holding other values.
    r0, r1, c0, c1 = EUROPE
    product.write_product(
        data / "embed_map_100k.tif",
        r0,
        r1,
        c0,
        c1,
        values=lambda r, c, bands=768: 3 * product.pixel_values(r, c, bands),
    )
    (data / "copernicus_embed").mkdir()
    shutil.copy(europe_dir / TIF, data / "copernicus_embed" / TIF)
    emb = get_embedding(
        spatial=PointBuffer(lon=LON, lat=LAT, buffer_m=1000), temporal=YEAR, data_dir=data
    )
    assert emb.meta["file"] == str((data / "copernicus_embed" / TIF).resolve())
    np.testing.assert_allclose(emb.data, _point_mean(LON, LAT), rtol=1e-6, atol=1e-7)
    (warning,) = emb.meta["warnings"]
    assert "Several" in warning and str(data / "embed_map_100k.tif") in warning


def test_numpy_coordinates_are_accepted(europe_dir: Path) -> None:
    f32 = np.float32
    point = PointBuffer(lon=f32(LON), lat=f32(LAT), buffer_m=f32(1000))
    emb = get_embedding(spatial=point, temporal=YEAR, data_dir=europe_dir)
    np.testing.assert_allclose(emb.data, _point_mean(LON, LAT), rtol=1e-6, atol=1e-7)
    grid = get_embedding(
        spatial=BBox(f32(4.5), np.float64(49.5), np.int64(5) + f32(0.5), f32(50.5)),
        temporal=YEAR,
        data_dir=europe_dir,
        output=OutputSpec.grid(),
        grid_format="numpy",
        expand_deg=np.float32(0),
    )
    np.testing.assert_array_equal(grid.data, _expected_grid())
    embs = get_embeddings_batch(
        spatials=[PointBuffer(lon=f32(s.lon), lat=f32(s.lat), buffer_m=f32(2000)) for s in SPECS10],
        temporal=YEAR,
        data_dir=europe_dir,
        prepare_cache=False,
    )
    _check_ten(embs)
