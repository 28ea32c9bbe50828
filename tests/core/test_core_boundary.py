"""The core is QGIS-free: it imports and embeds with qgis/PyQt unimportable; torch stays lazy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from tests.core import expected as ex

REPO = Path(__file__).resolve().parents[2]

BLOCK_FINDER = """
import importlib.abc, sys
BLOCKED = ("qgis", "PyQt5", "PyQt6", "sip")
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked for this test")
        return None
sys.meta_path.insert(0, _Block())
"""

BLOCK_MODULES = """
import sys
BLOCKED = ("qgis", "PyQt5", "PyQt6", "sip")
for _name in BLOCKED:
    sys.modules[_name] = None
"""

CHECKS = """
def _loaded(prefixes):
    mods = [m for m, mod in sys.modules.items() if mod is not None]
    return sorted(m for m in mods if m.split(".")[0] in prefixes)
try:
    import qgis.core  # noqa
except ImportError:
    pass
else:
    raise SystemExit("qgis is still importable: the test is broken")
import rs_embed_qgis.core as core
report = {"after_import": {"torch": _loaded(("torch", "torchgeo")), "qt": _loaded(BLOCKED)}}
"""

EMBED = """
import numpy as np
emb = core.get_embedding(
    "copernicus_embed",
    spatial=core.PointBuffer(lon=10.1, lat=50.07, buffer_m=5000),
    temporal=core.TemporalSpec.year(2021),
    data_dir=sys.argv[1],
    reader="torchgeo",
)
np.save(sys.argv[2], emb.data)
report["valid_pixels"] = emb.meta["valid_pixels"]
report["after_embed"] = {"qt": _loaded(BLOCKED)}
"""

PRINT = """
import json
print("REPORT" + json.dumps(report))
"""


def _run(code: str, *args: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.pop("QGIS_PREFIX_PATH", None)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(REPO),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(s for s in proc.stdout.splitlines() if s.startswith("REPORT"))
    return json.loads(line[len("REPORT") :])


def test_core_embeds_with_qgis_unimportable(europe_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "vec.npy"
    report = _run(BLOCK_FINDER + CHECKS + EMBED + PRINT, str(europe_dir), str(out))
    assert report["after_import"] == {"torch": [], "qt": []}  # torch is imported lazily
    assert report["after_embed"] == {"qt": []}
    vec = np.load(out)
    rows, cols = ex.cells_for(ex.seed_box(10.1, 50.07))
    want = ex.mean_valid(ex.file_pixels(europe_dir, rows, cols))
    assert vec.dtype == np.float32 and vec.shape == (768,)
    np.testing.assert_allclose(vec, want, rtol=1e-6, atol=1e-7)
    assert report["valid_pixels"] == len(rows) * len(cols)


def test_core_imports_with_qgis_set_to_none_in_sys_modules() -> None:
    report = _run(BLOCK_MODULES + CHECKS + PRINT)
    assert report["after_import"] == {"torch": [], "qt": []}
