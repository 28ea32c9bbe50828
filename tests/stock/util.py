"""Helpers of the stock-QGIS tier: Debian's QGIS run on the packaged ZIP in a clean environment.

Every stock process is started by :func:`run_stock` with an ``env -i`` style environment
(no PYTHONPATH, no venv, a throwaway HOME) and the system interpreter, so it sees only what
a stock QGIS ships. Product files are written here, in the pytest (venv) process; the stock
processes only read them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "rs_embed_qgis"
SYSTEM_PYTHON = Path("/usr/bin/python3")
QGIS_PROCESS = Path("/usr/bin/qgis_process.bin")
# Absent from a stock QGIS: the plugin must work without them.
FORBIDDEN = ("shapely", "rasterio", "torch", "torchgeo", "exactextract", "xarray")
# Shipped by every QGIS: the plugin may use them.
REQUIRED = ("qgis.core", "osgeo.gdal", "numpy")
# RS_EMBED_STOCK_ROOT=<Debian root>: every stock command runs there (chroot), on that root's
# QGIS. The caller (scripts/test_matrix.py) mounts the source tree and pytest's basetemp into
# the root at their own paths, so every path here means the same file on both sides.
STOCK_ROOT = os.environ.get("RS_EMBED_STOCK_ROOT") or None


def stock_file(path: Path) -> Path:
    """Where a stock process's absolute ``path`` is seen from here (inside STOCK_ROOT if set)."""
    return Path(STOCK_ROOT, *path.parts[1:]) if STOCK_ROOT else path


_PROBE = """
import importlib.util, json, sys
def spec(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
names = json.loads(sys.argv[1])
print(json.dumps({"found": {n: spec(n) for n in names}, "path": sys.path,
                  "executable": sys.executable}))
"""


@dataclass(frozen=True)
class Stock:
    """A fresh QGIS config folder with the plugin ZIP installed, and the clean environment."""

    root: Path
    zip_path: Path
    config: Path
    home: Path

    @property
    def profile(self) -> Path:
        """The profile folder QGIS uses for ``config``."""
        return self.config / "profiles" / "default"

    @property
    def plugins(self) -> Path:
        """The profile's python/plugins folder (holds the unpacked ZIP)."""
        return self.profile / "python" / "plugins"

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: nothing inherited from the pytest process but what is named."""
        runtime = self.home / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "QT_QPA_PLATFORM": "offscreen",
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(runtime),
            "QGIS_CUSTOM_CONFIG_PATH": str(self.config),
        }
        env.update(extra)
        return env


def run_stock(
    stock: Stock, args: list[str], timeout: float = 120.0, **extra_env: str
) -> subprocess.CompletedProcess:
    """Run a command in the clean environment, from the throwaway HOME (not the source tree)."""
    cmd = [str(a) for a in args]
    if STOCK_ROOT:
        cmd = ["/usr/sbin/chroot", STOCK_ROOT, "/usr/bin/env", "-C", str(stock.home), *cmd]
    return subprocess.run(
        cmd,
        env=stock.env(**extra_env),
        cwd=str(stock.home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def probe_modules(stock: Stock, names: tuple[str, ...]) -> dict:
    """Which modules /usr/bin/python3 finds in the clean environment, and its sys.path."""
    proc = run_stock(stock, [SYSTEM_PYTHON, "-c", _PROBE, json.dumps(list(names))], timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def zip_names(path: Path) -> list[str]:
    """Member names of a zip."""
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def copy_script(stock: Stock, name: str) -> Path:
    """A helper script copied next to nothing of the source tree, so sys.path[0] stays clean."""
    dst = stock.root / "scripts" / name
    dst.parent.mkdir(exist_ok=True)
    shutil.copyfile(Path(__file__).with_name(name), dst)
    return dst


# "<file>:<line>: <Category>: <message>", as Python's warnings module prints a warning.
_PY_WARNING = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<category>[A-Za-z_][\w.]*Warning): ")
_TRACEBACK = "Traceback (most recent call last):"


def plugin_problems(output: str, plugin_dir: Path | str) -> list[str]:
    """The lines of a stock process's output that are the plugin's own warnings or errors.

    A Python warning counts when it was raised in a file of ``plugin_dir``; a traceback when
    one of its frames is there or its last line names the plugin; any other line saying
    "Warning", "Error:" or "error:" when it names the plugin. QGIS's and Python's own warnings
    are not the plugin's (QGIS 3.44 on Python 3.14 warns about its own ``codecs.open()``;
    Debian's 3.22 about ``setapi()``), so a new QGIS release cannot fail these tests.
    """
    folder = str(plugin_dir).rstrip("/") + "/"
    lines = output.splitlines()
    bad: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(_TRACEBACK):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            block = lines[i : j + 1]  # the frames and the exception's line
            if any(folder in b or PLUGIN in b for b in block):
                bad.append("\n".join(block))
            i = j + 1
            continue
        m = _PY_WARNING.match(line)
        if m:
            if m.group("file").startswith(folder):
                bad.append(line)
        elif PLUGIN in line or "rs_embed" in line:
            if any(w in line for w in ("Warning", "Error:", "error:")):
                bad.append(line)
        i += 1
    return bad
