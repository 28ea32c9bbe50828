"""qgis_process runs rs_embed:embed_features and embed_extent end to end, from the installed zip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from qgis.core import NULL, QgsApplication, QgsVectorLayer

from rs_embed_qgis.bridge.outputs import embedding_field_names
from tests import product
from tests.conftest import EUROPE
from tests.core.expected import no_outbound_network, polygon_oracle  # noqa: F401 - autouse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import install_plugin  # noqa: E402
import package  # noqa: E402

QGIS_PROCESS = Path(install_plugin.QGIS_PROCESS)
pytestmark = pytest.mark.skipif(not QGIS_PROCESS.exists(), reason="no /usr/bin/qgis_process.bin")
WORLD = QgsApplication.pkgDataPath() + "/resources/data/world_map.gpkg"
NAMES = ("Czechia", "Austria", "Macedonia", "Hungary")


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    """A throwaway QGIS config folder with the plugin zip installed and enabled."""
    root = tmp_path_factory.mktemp("qgis_process")
    archive = package.build(root / "dist")
    install_plugin.install(root / "config", zip_path=archive)
    return root / "config"


def qgis_process(config: Path, *args: str) -> dict:
    env = install_plugin.qgis_process_env(config)
    proc = subprocess.run(
        [str(QGIS_PROCESS), "--json", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(config),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout[proc.stdout.index("{") :])


def test_plugin_is_listed(config):
    env = install_plugin.qgis_process_env(config)
    proc = subprocess.run(
        [str(QGIS_PROCESS), "list"], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "rs_embed:embed_features" in proc.stdout
    assert "rs_embed:embed_extent" in proc.stdout


def test_embed_features_end_to_end(config, europe_dir, tmp_path):
    names = ",".join(f"'{n}'" for n in NAMES)
    source = f'{WORLD}|layername=countries|subset="NAME" IN ({names})'
    out = tmp_path / "countries.gpkg"
    result = qgis_process(
        config,
        "run",
        "rs_embed:embed_features",
        "--",
        f"INPUT={source}",
        f"DATA_DIR={europe_dir}",
        f"OUTPUT={out}",
    )
    assert result["results"]["EMBEDDED"] == 3 and result["results"]["SKIPPED"] == 1
    assert "1 of 4 features are kept with NULL embeddings" in json.dumps(result["log"])
    layer = QgsVectorLayer(str(out), "out", "ogr")
    assert layer.isValid() and layer.featureCount() == 4
    fields = embedding_field_names()
    got = {}
    for f in layer.getFeatures():
        vals = [f[n] for n in fields]
        got[f["NAME"]] = None if all(v == NULL for v in vals) else np.array(vals, dtype=float)
    fracs = {f["NAME"]: f["emb_valid_frac"] for f in layer.getFeatures()}

    def in_europe(rows, cols):
        return (rows >= EUROPE[0]) & (rows < EUROPE[1]) & (cols >= EUROPE[2]) & (cols < EUROPE[3])

    # Expected: cells clipped with OGR, weighted by ellipsoidal area, closed-form pixels.
    src = QgsVectorLayer(source, "src", "ogr")
    for f in src.getFeatures():
        want, frac = polygon_oracle(f.geometry().asWkt(17), in_file=in_europe)
        if want is None:
            assert f["NAME"] == "Macedonia"  # south of the synthetic Europe: ocean
            assert got["Macedonia"] is None and fracs["Macedonia"] == 0.0
        else:
            # qgis_process runs on the system's NumPy/BLAS, this process on the venv's:
            # float32 sums in another order differ in the last bits.
            np.testing.assert_allclose(got[f["NAME"]], want, rtol=1e-5, atol=5e-6)
            assert fracs[f["NAME"]] == pytest.approx(frac, abs=1e-9)


def test_embed_extent_end_to_end(config, europe_dir, tmp_path):
    out, rgb = tmp_path / "grid.tif", tmp_path / "rgb.tif"
    qgis_process(
        config,
        "run",
        "rs_embed:embed_extent",
        "--",
        # 5 W .. 10 E, 49 .. 53.5 N in Web Mercator.
        "EXTENT=-556597.454,1113194.908,6274861.394,7076025.276 [EPSG:3857]",
        "EXPAND_DEG=0",
        f"DATA_DIR={europe_dir}",
        f"OUTPUT={out}",
        f"OUTPUT_RGB={rgb}",
    )
    with rasterio.open(out) as ds:
        assert ds.count == 768 and ds.descriptions[0] == "emb_000"
        row0 = int(round((product.Y0 - ds.transform.f) / product.RES))
        col0 = int(round((ds.transform.c - product.X0) / product.RES))
        assert (row0, col0) == (146, 700)
        assert (ds.height, ds.width) == (19, 61)
        rr, cc = np.meshgrid(
            np.arange(row0, row0 + ds.height), np.arange(col0, col0 + ds.width), indexing="ij"
        )
        expected = product.pixel_values(rr, cc)
        expected[~product.land_mask(rr, cc)] = 0.0
        np.testing.assert_array_equal(np.moveaxis(ds.read(), 0, -1), expected)
    with rasterio.open(rgb) as ds:
        assert ds.count == 4
        np.testing.assert_array_equal(ds.read(4), np.where(product.land_mask(rr, cc), 255, 0))
