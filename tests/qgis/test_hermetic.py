"""The session's own world (tests/hermetic.py): what the machine holds changes no outcome.

Found on a bare Debian: ``make demo`` then ``make test`` failed the dock's test of a refused
folder, because the demo leaves an empty ``data/copernicus_embed`` in the working folder and
the dock, with no setting, rightly offered to download into it. The tests saw the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QStandardPaths

from rs_embed_qgis import settings
from rs_embed_qgis.core.cache_paths import cache_root
from rs_embed_qgis.core.constants import DEFAULT_DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
DOCK_TEST = (
    "tests/qgis/test_gui_dock.py::test_a_refused_missing_folder_is_not_offered_for_the_download"
)


def _inside(path: str | Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def test_the_session_runs_in_its_own_world(session_world, qgis_app, saved_setting) -> None:
    w = session_world
    home = Path(w.original_env.get("HOME", "/nonexistent"))
    assert Path(os.environ["HOME"]) == w.home and w.home != home
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        assert _inside(os.environ[name], w.root), name
    assert Path.cwd() == w.cwd
    # Only the test infrastructure's own RS_EMBED_* variables are left.
    left = {k for k in os.environ if k.startswith("RS_EMBED_")}
    assert left <= {"RS_EMBED_COP_CACHE_DIR", "RS_EMBED_BENCH_DIR", "RS_EMBED_STOCK_ROOT"}, left
    assert cache_root() == w.cache
    # QGIS started inside the world: its settings file and Qt's standard folders.
    assert not _inside(QgsSettings().fileName(), home), QgsSettings().fileName()
    for loc in (
        QStandardPaths.StandardLocation.ConfigLocation,
        QStandardPaths.StandardLocation.GenericDataLocation,
        QStandardPaths.StandardLocation.CacheLocation,
    ):
        assert _inside(QStandardPaths.writableLocation(loc), w.home), loc
    # With nothing saved, the default data folder is the world's, and it does not exist.
    settings.set_data_dir_setting("")
    path, origin = settings.effective_data_dir()
    assert (path, origin) == (DEFAULT_DATA_DIR, "default")
    assert _inside(os.path.abspath(path), w.cwd) and not os.path.exists(path)


def _seed_machine(base: Path) -> tuple[Path, Path]:
    """A HOME and a working folder holding what ``make demo`` and a user leave behind."""
    home, cwd = base / "home", base / "repo"
    data = cwd / "data" / "copernicus_embed"
    data.mkdir(parents=True)  # the demo's empty data folder (it generated the product elsewhere)
    (cwd / "out" / "demo").mkdir(parents=True)
    fast = home / ".cache" / "rs_embed_qgis" / "copernicus_embed"
    fast.mkdir(parents=True)
    (fast / "embed_map_310k.tif.cache").write_bytes(b"not a cache")
    # A user's saved data folder, where QGIS keeps settings of the desktop and of scripts.
    ini = f"[rs_embed_qgis]\ndata_dir={data}\ncache_dir={fast}\n"
    for conf in (
        home / ".local/share/QGIS/QGIS3/profiles/default/QGIS/QGIS3.ini",
        home / ".config/QGIS/QGIS3.conf",
    ):
        conf.parent.mkdir(parents=True)
        conf.write_text(ini)
    return home, cwd


def _child_pytest(home: Path, cwd: Path, basetemp: Path, *extra: str):
    """pytest on the dock's test, started from ``cwd`` by a user whose HOME is ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "RS_EMBED_", "QGIS_", "PYTEST_"))
    }
    env.update(
        HOME=str(home),
        PYTHONPATH=str(ROOT),
        QT_QPA_PLATFORM="offscreen",
        RS_EMBED_COP_DIR=str(cwd / "data" / "copernicus_embed"),  # left in the user's shell
    )
    cmd = [sys.executable, "-m", "pytest", str(ROOT / DOCK_TEST), "-q", "-p", "no:randomly"]
    cmd += ["-p", "no:cacheprovider", f"--basetemp={basetemp}", *extra]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_what_make_demo_leaves_changes_no_outcome(tmp_path) -> None:
    home, cwd = _seed_machine(tmp_path)
    run = _child_pytest(home, cwd, tmp_path / "t1")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout
    # Without its own world the same session sees the seeded machine and fails as it did
    # after `make demo`: so the seed is what broke it, and the world is what mends it.
    run = _child_pytest(home, cwd, tmp_path / "t2", "-p", "no:tests.hermetic")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 failed" in run.stdout and "download_button" in run.stdout
