"""The stock processes see a QGIS Python without the venv's packages, and the plugin ZIP."""

from __future__ import annotations

import configparser

from tests.stock.util import (
    FORBIDDEN,
    PLUGIN,
    REQUIRED,
    ROOT,
    Stock,
    probe_modules,
    zip_names,
)


def test_clean_env_lacks_the_venv_packages(stock_root: Stock) -> None:
    """Run first: shapely, rasterio, torch... are absent, QGIS and GDAL are there (no skip)."""
    report = probe_modules(stock_root, FORBIDDEN + REQUIRED + (PLUGIN,))
    found = report["found"]
    present = [n for n in FORBIDDEN if found[n]]
    assert not present, (
        f"{', '.join(present)} importable by /usr/bin/python3 in a clean environment on this "
        "machine: the stock tier cannot prove that the plugin works without them."
    )
    assert all(found[n] for n in REQUIRED), found
    # Neither the source tree nor the venv leaks in.
    assert not found[PLUGIN]
    assert report["executable"] == "/usr/bin/python3"
    assert not [p for p in report["path"] if ".venv" in p or p.startswith(str(ROOT))]


def test_zip_installed_and_enabled(stock: Stock) -> None:
    """The profile holds exactly the ZIP's files, and QGIS3.ini enables the plugin."""
    names = zip_names(stock.zip_path)
    assert f"{PLUGIN}/metadata.txt" in names and f"{PLUGIN}/__init__.py" in names
    assert not [n for n in names if "/tests/" in n or n.endswith((".pyc", ".tif"))]
    # Byte-code aside: once any stock QGIS has run the plugin (another test, in a random
    # order), its Python has written __pycache__ folders beside the installed files.
    installed = {
        p.relative_to(stock.plugins).as_posix()
        for p in (stock.plugins / PLUGIN).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert installed == {n for n in names if not n.endswith("/")}
    ini = configparser.ConfigParser()
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini.read(stock.profile / "QGIS" / "QGIS3.ini")
    assert ini.get("PythonPlugins", PLUGIN) == "true"
