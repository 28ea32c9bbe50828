"""`make package`'s zip: its layout, and the plugin loaded from a fresh QGIS profile folder."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import install_plugin  # noqa: E402
import package  # noqa: E402

SYSTEM_PYTHON = "/usr/bin/python3"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without PYTHONPATH, so nothing of the source tree is importable."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def plugin_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    if (ROOT / "resources" / "icon.png").is_file():
        # The real command, on the system Python without the venv.
        python = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).exists() else sys.executable
        proc = subprocess.run(
            [python, str(ROOT / "scripts" / "package.py"), "--out-dir", str(out)],
            capture_output=True,
            text=True,
            env=clean_env(),
            cwd=str(out),
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
    else:  # the icon is made elsewhere; a placeholder in a copy, for this test only
        tree = tmp_path_factory.mktemp("tree")
        shutil.copy(ROOT / "metadata.txt", tree)
        shutil.copytree(ROOT / "rs_embed_qgis", tree / "rs_embed_qgis")
        (tree / "resources").mkdir()
        (tree / "resources" / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        package.build(out, tree)
    version = package.read_metadata()["version"]
    path = out / f"rs_embed_qgis-{version}.zip"
    assert path.is_file()
    return path


def test_zip_layout(plugin_zip):
    with zipfile.ZipFile(plugin_zip) as zf:
        names = zf.namelist()
        meta_text = zf.read("rs_embed_qgis/metadata.txt").decode("utf-8")
    assert all(n.startswith("rs_embed_qgis/") for n in names)
    for must in (
        "rs_embed_qgis/__init__.py",
        "rs_embed_qgis/metadata.txt",
        "rs_embed_qgis/resources/icon.png",
        "rs_embed_qgis/plugin.py",
        "rs_embed_qgis/processing/provider.py",
        "rs_embed_qgis/processing/embed_features.py",
        "rs_embed_qgis/bridge/geometry.py",
        "rs_embed_qgis/core/adapter.py",
    ):
        assert must in names
    for n in names:
        assert "__pycache__" not in n and not n.endswith(".pyc")
        assert "/tests/" not in n and ".venv" not in n and "/." not in n
    meta = configparser.ConfigParser(interpolation=None)
    meta.read_string(meta_text)
    general = meta["general"]
    repo_meta = configparser.ConfigParser(interpolation=None)
    repo_meta.read(ROOT / "metadata.txt", encoding="utf-8")
    # metadata.txt as in the repository, but its changelog is CHANGELOG.md's, newest first.
    assert {k: v for k, v in general.items() if k != "changelog"} == {
        k: v for k, v in repo_meta["general"].items() if k != "changelog"
    }
    headings = [
        ln[3:].strip()
        for ln in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
        if ln.startswith("## ")
    ]
    shipped_log = general["changelog"].strip().splitlines()
    assert shipped_log[0] == headings[0]
    assert headings[0].split()[0] == general["version"]
    assert [ln for ln in shipped_log if ln in headings] == headings
    # A licence the repository accepts, shipped whole.
    assert "rs_embed_qgis/LICENSE" in names
    with zipfile.ZipFile(plugin_zip) as zf:
        licence = zf.read("rs_embed_qgis/LICENSE")
    assert licence == (ROOT / "LICENSE").read_bytes()
    assert b"GNU GENERAL PUBLIC LICENSE" in licence and b"Version 2, June 1991" in licence
    # Nothing of the developers' side: tests, tools, set-up and build files.
    for n in names:
        base = n.rsplit("/", 1)[-1]
        assert base not in {
            "Makefile",
            "pyproject.toml",
            "requirements.txt",
            "constraints.txt",
            "conftest.py",
            ".gitignore",
        }, n
        assert not n.startswith(("rs_embed_qgis/scripts/", "rs_embed_qgis/benchmarks/")), n
        assert not n.startswith("rs_embed_qgis/docs/"), n
    # Every module says its licence in its first line (SPDX, as the repository's plugins do).
    with zipfile.ZipFile(plugin_zip) as zf:
        for n in names:
            if n.endswith(".py"):
                first = zf.read(n).decode("utf-8").splitlines()[0]
                assert first == "# SPDX-License-Identifier: GPL-2.0-or-later", n
    # Every module of the package is shipped.
    code = ROOT / "rs_embed_qgis"
    for path in code.rglob("*.py"):
        assert f"rs_embed_qgis/{path.relative_to(code).as_posix()}" in names, path
    for key in package.REQUIRED_METADATA:
        assert general.get(key, "").strip(), key
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["hasProcessingProvider"] == "yes"
    assert general["icon"] == "resources/icon.png"
    assert plugin_zip.name == f"rs_embed_qgis-{general['version']}.zip"
    # The same tree gives the same bytes (fixed timestamps, sorted entries).
    again = package.build(plugin_zip.parent / "again")
    if (ROOT / "resources" / "icon.png").is_file():
        assert again.read_bytes() == plugin_zip.read_bytes()


def test_install_enables_in_ini_and_keeps_other_settings(tmp_path, plugin_zip):
    ini = install_plugin.profile_dir(tmp_path) / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[General]\nfoo=bar\n\n[PythonPlugins]\nother=true\nrs_embed_qgis=false\n")
    target = install_plugin.install(tmp_path, zip_path=plugin_zip)
    assert target == tmp_path / "profiles" / "default" / "python" / "plugins" / "rs_embed_qgis"
    assert (target / "metadata.txt").is_file()
    parser = configparser.ConfigParser()
    parser.read(ini)
    assert parser["General"]["foo"] == "bar"
    assert parser["PythonPlugins"]["other"] == "true"
    assert parser["PythonPlugins"]["rs_embed_qgis"] == "true"
    assert ini.read_text().count("rs_embed_qgis=") == 1
    # A second install replaces the first cleanly.
    (target / "stale.py").write_text("x = 1\n")
    install_plugin.install(tmp_path, zip_path=plugin_zip)
    assert not (target / "stale.py").exists()


LOADER = textwrap.dedent(
    """
    import json, sys
    plugins_dir = sys.argv[1]
    data_dir = sys.argv[2]
    out_tif = sys.argv[3]
    sys.path.insert(0, plugins_dir)
    sys.path.append("/usr/share/qgis/python/plugins")
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    import qgis.utils
    qgis.utils.plugin_paths = [plugins_dir]
    qgis.utils.updateAvailablePlugins()
    report = {"available": "rs_embed_qgis" in qgis.utils.available_plugins}
    report["meta_name"] = qgis.utils.pluginMetadata("rs_embed_qgis", "name")
    assert qgis.utils.loadPlugin("rs_embed_qgis")
    import rs_embed_qgis
    report["module_file"] = rs_embed_qgis.__file__
    plugin = rs_embed_qgis.classFactory(None)
    report["class"] = type(plugin).__name__
    plugin.initProcessing()
    reg = QgsApplication.processingRegistry()
    prov = reg.providerById("rs_embed")
    report["algorithms"] = sorted(a.id() for a in prov.algorithms())
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing
    res = processing.run("rs_embed:embed_extent", {
        "EXTENT": "10,11,50,51 [EPSG:4326]", "EXPAND_DEG": 0.0,
        "DATA_DIR": data_dir, "OUTPUT": out_tif})
    report["extent_output"] = res["OUTPUT"]
    plugin.unload()
    report["after_unload"] = reg.providerById("rs_embed") is None
    print("REPORT " + json.dumps(report))
    """
)


def test_plugin_loads_from_fresh_profile(tmp_path, plugin_zip, europe_dir):
    config = tmp_path / "qgis_config"
    target = install_plugin.install(config, zip_path=plugin_zip)
    plugins_dir = target.parent
    script = tmp_path / "load.py"
    script.write_text(LOADER)
    out_tif = tmp_path / "grid.tif"
    proc = subprocess.run(
        [sys.executable, str(script), str(plugins_dir), str(europe_dir), str(out_tif)],
        capture_output=True,
        text=True,
        env=clean_env(QGIS_CUSTOM_CONFIG_PATH=str(config)),
        cwd=str(tmp_path),
        timeout=300,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    report = json.loads(lines[-1][len("REPORT ") :])
    assert report["available"] is True
    assert report["meta_name"] == package.read_metadata()["name"]
    assert report["module_file"] == str(plugins_dir / "rs_embed_qgis" / "__init__.py")
    assert report["class"] == "RsEmbedPlugin"
    assert report["algorithms"] == [
        "rs_embed:classify",
        "rs_embed:cluster",
        "rs_embed:download_product",
        "rs_embed:embed_extent",
        "rs_embed:embed_features",
        "rs_embed:similar_places",
        "rs_embed:similarity_map",
    ]
    assert report["after_unload"] is True
    import numpy as np
    import rasterio

    from tests import product

    with rasterio.open(report["extent_output"]) as ds:
        assert ds.count == 768 and (ds.height, ds.width) == (5, 5)
        rr, cc = np.meshgrid(np.arange(156, 161), np.arange(760, 765), indexing="ij")
        np.testing.assert_array_equal(np.moveaxis(ds.read(), 0, -1), product.pixel_values(rr, cc))
