"""Each test session in its own world: nothing the demo, a benchmark or a user left changes it.

A pytest plugin, loaded by the root conftest (``pytest_plugins``) before any test module and
before pytest-qgis starts QGIS: its ``pytest_configure`` is ``tryfirst`` and registered after
pytest-qgis's, so pluggy calls it first (LIFO among ``tryfirst``). QgsSettings and
QStandardPaths read HOME and XDG_* once QGIS has started, so the world must be in place by
then. It sets, under one temporary folder removed when the session ends:

- HOME and the XDG base folders (config, cache, data, state, runtime);
- QGIS_CUSTOM_CONFIG_PATH (pytest-qgis then puts its own temporary profile over it);
- every RS_EMBED_* variable cleared, the fast cache ($RS_EMBED_COP_CACHE_DIR) in the world;
- the working folder, so the default data folder ``data/copernicus_embed`` (relative to it)
  is the world's, which does not exist: the suite never sees the repository's or the user's;
- the locale (C.UTF-8), and QGIS's start-up hooks of the user's shell (plugin paths, a
  startup script, a global settings file) removed.

Every subprocess (qgis_process, the stock tier, a child pytest) inherits the environment.

One thing is shared on purpose: the full-size synthetic product of ``tests/product.py``
(760 MB, 15 s to make) stays in $RS_EMBED_BENCH_DIR, else the invoking user's
``~/.cache/rs_embed_qgis/bench``, where ``make demo`` and ``make bench`` keep it. It is a
fixture cache, not a user's data: tests/product.py remakes it unless its stamp (format
version, a fingerprint of the generator's values, the file size) matches.

``pytest -p no:tests.hermetic`` turns the world off (tests/test_hermetic.py does so to show
that a seeded machine breaks the suite without it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Test infrastructure, not the plugin's: kept (scripts/test_matrix.py sets the stock root).
KEEP = ("RS_EMBED_STOCK_ROOT", "RS_EMBED_MATRIX_DIR", "RS_EMBED_MATRIX_MIRROR")
# What a user's shell may hold that changes what QGIS loads or how it starts.
QGIS_HOOKS = (
    "QGIS_PLUGINPATH",
    "PYQGIS_STARTUP",
    "QGIS_GLOBAL_SETTINGS_FILE",
    "QGIS_AUTH_DB_DIR_PATH",
    "QGIS_CUSTOM_CONFIG_PATH",
    "LANGUAGE",
)
XDG = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
}


@dataclass(frozen=True)
class World:
    """The folders of this session's world, and what the machine had before."""

    root: Path
    home: Path
    cwd: Path
    cache: Path
    qgis_config: Path
    original_env: dict[str, str]
    original_cwd: Path


_world: World | None = None


def world() -> World:
    """This session's world (the plugin must be active)."""
    assert _world is not None, "the tests.hermetic plugin is not active"
    return _world


def _bench_dir(env: dict[str, str]) -> str:
    """The shared fixture cache of the full-size product (see the module's docstring)."""
    return env.get("RS_EMBED_BENCH_DIR") or str(
        Path(os.path.expanduser("~")) / ".cache" / "rs_embed_qgis" / "bench"
    )


def enter() -> World:
    """Make the world and move this process into it."""
    global _world
    original_env = dict(os.environ)
    original_cwd = Path.cwd()
    bench = _bench_dir(original_env)
    root = Path(tempfile.mkdtemp(prefix="rs_embed_tests-")).resolve()
    home, cwd, cache, qgis_config = (root / n for n in ("home", "cwd", "cache", "qgis"))
    runtime = root / "runtime"
    for d in (home, cwd, cache, qgis_config):
        d.mkdir()
    runtime.mkdir(mode=0o700)

    for name in list(os.environ):
        if (name.startswith("RS_EMBED_") and name not in KEEP) or name in QGIS_HOOKS:
            del os.environ[name]
    os.environ["HOME"] = str(home)
    for name, sub in XDG.items():
        (home / sub).mkdir(parents=True)
        os.environ[name] = str(home / sub)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    os.environ["QGIS_CUSTOM_CONFIG_PATH"] = str(qgis_config)
    os.environ["RS_EMBED_COP_CACHE_DIR"] = str(cache)
    os.environ["RS_EMBED_BENCH_DIR"] = bench
    os.environ["LANG"] = os.environ["LC_ALL"] = "C.UTF-8"
    os.chdir(cwd)
    _world = World(root, home, cwd, cache, qgis_config, original_env, original_cwd)
    return _world


def leave() -> None:
    """Back to the machine's environment and folder; the world is removed."""
    global _world
    w = _world
    if w is None:
        return
    _world = None
    os.chdir(w.original_cwd)
    os.environ.clear()
    os.environ.update(w.original_env)
    shutil.rmtree(w.root, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    enter()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    leave()


@pytest.fixture(scope="session")
def session_world() -> World:
    """This session's world."""
    return world()
