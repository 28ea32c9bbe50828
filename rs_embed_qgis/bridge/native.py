"""Keep the GEOS, PROJ and GDAL bundled in Python wheels apart from the ones QGIS links.

The ``qgis`` and ``qgis_process`` executables link the system GEOS, PROJ and GDAL (3.11,
9.1 and 3.6 on Debian 12), so their symbols sit in the process's global scope, and the
dynamic linker binds the calls of the wheels' extension modules (shapely, exactextract,
pyproj, rasterio, pyogrio) to them instead of to the copies those wheels bundle. Seen
in qgis_process: shapely fails (``WKB output dimension must be 2 or 3``), exactextract
crashes, and two PROJ copies sharing static objects abort the process at exit (double
free). Loading those extension modules with ``RTLD_DEEPBIND`` makes each look in its own
dependencies first, as it does in a plain Python process.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import sys
from pathlib import Path

# Packages whose extension modules link a bundled GEOS, PROJ or GDAL.
BUNDLED_PACKAGES = ("shapely", "exactextract", "pyproj", "rasterio", "pyogrio")
# A symbol of each system library the QGIS executables link.
_HOST_SYMBOLS = ("GEOSversion", "proj_context_create", "GDALVersionInfo")

_done = False


def host_links_native_libs() -> bool:
    """True if the process's global symbol scope has GEOS, PROJ or GDAL (the QGIS executables)."""
    try:
        scope = ctypes.CDLL(None)
    except OSError:  # pragma: no cover - no dlopen(NULL) on this platform
        return False
    return any(hasattr(scope, name) for name in _HOST_SYMBOLS)


def _extension_modules(package: str) -> list[str]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    names = []
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.so")):
            names.append(f"{package}.{path.name.split('.', 1)[0]}")
    return names


def isolate_bundled_libs() -> list[str]:
    """Import the wheels' extension modules with RTLD_DEEPBIND once; returns their names.

    Does nothing outside Linux, in a process without those libraries in its global scope
    (a plain Python), or for a package imported before (too late then: left as it is).
    """
    global _done
    if _done:
        return []
    _done = True
    deepbind = getattr(os, "RTLD_DEEPBIND", 0)
    if not deepbind or not sys.platform.startswith("linux") or not host_links_native_libs():
        return []
    loaded: list[str] = []
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | deepbind)
    try:
        for package in BUNDLED_PACKAGES:
            if package in sys.modules:
                continue
            try:
                for name in _extension_modules(package):
                    importlib.import_module(name)
                    loaded.append(name)
            except ImportError:
                continue  # a missing optional package is reported where it is used
    finally:
        sys.setdlopenflags(flags)
    return loaded
