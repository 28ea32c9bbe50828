"""Fixtures of the stock-QGIS tier: the ZIP installed in a fresh profile, checked clean env."""

from __future__ import annotations

import pytest

from tests.stock.util import (
    FORBIDDEN,
    PLUGIN,
    QGIS_PROCESS,
    REQUIRED,
    ROOT,
    SYSTEM_PYTHON,
    Stock,
    probe_modules,
    run_stock,
    stock_file,
)


@pytest.fixture(scope="session")
def stock_root(tmp_path_factory: pytest.TempPathFactory) -> Stock:
    """The ZIP built by scripts/package.py and installed by scripts/install_plugin.py."""
    for exe in (SYSTEM_PYTHON, QGIS_PROCESS):
        if not stock_file(exe).exists():
            pytest.fail(f"{exe} is missing: the stock tier needs Debian's QGIS (make setup).")
    root = tmp_path_factory.mktemp("stock")
    home = root / "home"
    home.mkdir()
    stock = Stock(root, root / "dist", root / "config", home)
    # The same commands a user (or `make package` / `make install-plugin`) runs, with the
    # system interpreter and a clean environment: the scripts need the standard library only.
    out = run_stock(
        stock, [SYSTEM_PYTHON, ROOT / "scripts" / "package.py", "--out-dir", stock.zip_path]
    )
    assert out.returncode == 0, out.stdout + out.stderr
    zips = sorted(stock.zip_path.glob(f"{PLUGIN}-*.zip"))
    assert len(zips) == 1, f"package.py wrote {zips}"
    out = run_stock(
        stock,
        [
            SYSTEM_PYTHON,
            ROOT / "scripts" / "install_plugin.py",
            "--config-path",
            stock.config,
            "--zip",
            zips[0],
        ],
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return Stock(root, zips[0], stock.config, home)


@pytest.fixture(scope="session")
def stock(stock_root: Stock) -> Stock:
    """The installed plugin, once the clean environment is known to lack the forbidden packages."""
    found = probe_modules(stock_root, FORBIDDEN + REQUIRED)["found"]
    present = [n for n in FORBIDDEN if found[n]]
    if present:
        pytest.fail(
            "The stock tier needs a QGIS Python without "
            + ", ".join(present)
            + ": they are importable by /usr/bin/python3 in a clean environment on this "
            "machine (system packages?), so the test would not prove the plugin works "
            "without them. Remove them from the system Python."
        )
    missing = [n for n in REQUIRED if not found[n]]
    if missing:
        pytest.fail(f"/usr/bin/python3 cannot import {', '.join(missing)}: no stock QGIS here.")
    return stock_root
