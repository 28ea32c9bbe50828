"""The search index under faults: damaged, partial or older files are refused and rebuilt;
the temporary folders of killed builds are reclaimed (only those, recognised positively)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import cache_paths
from rs_embed_qgis.core import explore as ex
from rs_embed_qgis.core import index as ix
from rs_embed_qgis.core.adapter import open_source
from rs_embed_qgis.core.cache import cleanup_cache, clear_cache
from tests import product
from tests.conftest import EUROPE

ROOT = Path(__file__).resolve().parents[2]
REF = (160, 760)  # a land pixel of the Europe fixture (global row, col)
PROJ_HEADER = 128  # np.save's header of a 3-d float16 array


@pytest.fixture()
def reader(europe_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The GDAL reader of the Europe fixture, with the index kept under tmp_path."""
    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path))
    return open_source(str(europe_dir), download=False, reader="gdal").reader


def _ref_vector() -> np.ndarray:
    r, c = np.array([REF[0]]), np.array([REF[1]])
    assert product.land_mask(r, c)[0]
    return product.pixel_values(r, c).astype(np.float32)


def _garble_reference(folder: Path) -> None:
    """4 KiB of garbage in proj.npy, starting at the reference pixel's projection."""
    r, c = REF[0] - EUROPE[0], REF[1] - EUROPE[2]
    width = EUROPE[3] - EUROPE[2]
    offset = PROJ_HEADER + (r * width + c) * ix.INDEX_COMPONENTS * 2
    path = folder / "proj.npy"
    assert path.read_bytes()[:6] == b"\x93NUMPY"
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(np.random.default_rng(4).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def _later_stat(path: Path) -> None:
    """Make a write visible through the file's stat even inside one timestamp tick (the
    documented bound: a rewrite that leaves size, mtime, ctime and inode alike is not seen
    until the next process)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_damaged_projection_is_refused_said_once_and_rebuilt(reader) -> None:
    built = ix.index_for(reader, build=True)
    folder = ix.index_dir(reader.info)
    fresh = np.array(built.proj)
    _garble_reference(folder)
    # First use in this process: the checksums refuse it, with one sentence.
    said: list[str] = []
    assert ix.load_index(reader.info, said.append) is None
    assert len(said) == 1 and "damaged" in said[0] and str(folder) in said[0]
    said.clear()
    assert ix.index_for(reader, build=False, log=said.append) is None
    assert said == [said[0]] and said[0].endswith("Scores are read exactly.")
    # Without the index the places are the exact ones: the reference pixel comes first.
    refs = _ref_vector()
    exact = ex.similar_places(reader, refs, k=5, min_distance_km=50.0, index=None)
    assert (exact[0].row, exact[0].col) == REF and exact[0].score == pytest.approx(1.0, abs=1e-6)
    # Building allowed: rebuilt, said once, and the index is whole again.
    said.clear()
    again = ix.index_for(reader, build=True, log=said.append)
    assert len(said) == 1 and said[0].endswith("It is rebuilt.")
    np.testing.assert_array_equal(np.asarray(again.proj), fresh)
    loaded = ix.load_index(reader.info)
    assert loaded is not None
    np.testing.assert_array_equal(np.asarray(loaded.proj), fresh)
    places = ex.similar_places(reader, refs, k=5, min_distance_km=50.0, index=loaded)
    assert [(p.row, p.col) for p in places] == [(p.row, p.col) for p in exact]
    sim = ex.similarity_map(reader, refs, index=loaded)
    land = product.land_mask(*np.mgrid[EUROPE[0] : EUROPE[1], EUROPE[2] : EUROPE[3]])
    assert np.array_equal(np.isnan(sim.scores), ~land)  # no land pixel lost to NaN


def test_damage_after_a_verified_use_in_the_same_process_is_seen(reader) -> None:
    ix.index_for(reader, build=True)
    folder = ix.index_dir(reader.info)
    first = ix.load_index(reader.info)
    assert first is not None and ix.load_index(reader.info) is first  # checked once
    _garble_reference(folder)
    _later_stat(folder / "proj.npy")
    said: list[str] = []
    assert ix.load_index(reader.info, said.append) is None
    assert len(said) == 1 and "damaged" in said[0]


@pytest.mark.parametrize("fault", ["truncated", "missing", "meta", "older"])
def test_partial_or_unchecked_index_is_refused(reader, fault: str) -> None:
    ix.index_for(reader, build=True)
    folder = ix.index_dir(reader.info)
    if fault == "truncated":
        with open(folder / "resid.npy", "r+b") as fh:
            fh.truncate(1000)
    elif fault == "missing":
        os.unlink(folder / "norms.npy")
    elif fault == "meta":
        (folder / "meta.json").write_bytes(b"\0" * 4096)
    else:  # made by version 1: same arrays, no checksums
        meta = json.loads((folder / "meta.json").read_text())
        for k in ("checksum", "block_bytes", "files"):
            del meta[k]
        meta["version"] = 1
        (folder / "meta.json").write_text(json.dumps(meta))
    said: list[str] = []
    assert ix.load_index(reader.info, said.append) is None
    assert len(said) == 1
    assert ("older version" if fault == "older" else "damaged or incomplete") in said[0]
    assert ix.index_for(reader, build=True) is not None
    assert ix.load_index(reader.info) is not None


# --------------------------------------------------------------------------- killed builds

_KILLED_BUILD = """
import os, signal, sys
from rs_embed_qgis.core import cache_paths, index as ix
from rs_embed_qgis.core.adapter import open_source
cache_paths.set_cache_root(sys.argv[2])
reader = open_source(sys.argv[1], download=False, reader="gdal").reader
built = ix.build_index(reader, n_components=8, fit_pixels=2000)
write = ix._SummingWriter.write
def dying_write(self, data):
    n = write(self, data)
    if self._fh.name.endswith("proj.npy") and self.size > 4096:  # killed mid-build
        os.kill(os.getpid(), signal.SIGKILL)
    return n
ix._SummingWriter.write = dying_write
print(os.getpid(), flush=True)
ix.save_index(built, reader.info)
"""


def _killed_build(data_dir: Path, root: Path) -> tuple[Path, int]:
    """Run a build in a child process that is killed while it writes; its temporary folder."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_BUILD, str(data_dir), str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    pid = int(child.stdout.split()[0])
    left = [p for p in (root / "search_index").iterdir() if f".tmp-{pid}" in p.name]
    assert len(left) == 1 and (left[0] / "proj.npy").is_file()
    return left[0], pid


@pytest.mark.skipif(sys.platform == "win32", reason="pid liveness is POSIX here")
def test_temporary_folders_of_killed_builds_are_reclaimed(
    reader, europe_dir: Path, tmp_path: Path
) -> None:
    index_root = tmp_path / "search_index"
    # By cleanup_cache():
    left, _pid = _killed_build(europe_dir, tmp_path)
    assert str(left) in cleanup_cache()
    assert not left.exists()
    # By the next build:
    left, _pid = _killed_build(europe_dir, tmp_path)
    ix.index_for(reader, build=True)
    assert not left.exists()
    assert sorted(p.name for p in index_root.iterdir()) == [ix.index_dir(reader.info).name]
    # By clear_cache(path) and clear_cache():
    left, _pid = _killed_build(europe_dir, tmp_path)
    clear_cache(reader.info.path)
    assert not left.exists() and not ix.index_dir(reader.info).exists()
    left, _pid = _killed_build(europe_dir, tmp_path)
    clear_cache()
    assert not left.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="pid liveness is POSIX here")
def test_only_the_index_own_dead_temporary_folders_are_reclaimed(
    reader, europe_dir: Path, tmp_path: Path
) -> None:
    left, dead = _killed_build(europe_dir, tmp_path)
    index_root = left.parent
    key = left.name.split(".")[0]
    alive = index_root / f"{key}.tmp-{os.getppid()}-0badc0de"  # a build still running
    foreign = index_root / f"{key}.tmp-{dead}"  # a dead pid, but a user's file inside
    odd = index_root / f"{key}.tmp-{dead}-notours"  # not the index's name pattern
    for d in (alive, foreign, odd):
        d.mkdir()
        (d / "proj.npy").write_bytes(b"x")
    (foreign / "notes.txt").write_text("user data")
    link = index_root / f"{key}.tmp-{dead}-0000beef"
    link.symlink_to(alive, target_is_directory=True)
    removed = cleanup_cache()
    assert removed == [str(left)] and not left.exists()
    assert (alive / "proj.npy").exists() and (foreign / "notes.txt").exists()
    assert (odd / "proj.npy").exists() and link.is_symlink()
    clear_cache()
    assert (alive / "proj.npy").exists() and (foreign / "notes.txt").exists()
    assert (odd / "proj.npy").exists() and link.is_symlink()
