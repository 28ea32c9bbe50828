# SPDX-License-Identifier: GPL-2.0-or-later
"""Where the fast cache lives: a module light enough for QGIS's start (no NumPy).

The plugin applies its cache-folder setting when QGIS loads it; ``core.cache`` (which
needs NumPy) is imported only when a cache is used and reads the folder from here.
"""

from __future__ import annotations

import os
from pathlib import Path

from rs_embed_qgis.core.constants import ENV_CACHE_DIR

_root_override: str | None = None


def set_cache_root(path: str | os.PathLike | None) -> None:
    """Set the cache folder for this process (the plugin's setting); None restores the default."""
    global _root_override
    _root_override = os.fspath(path) if path else None


def cache_root() -> Path:
    """Cache folder: set_cache_root() > $RS_EMBED_COP_CACHE_DIR > $XDG_CACHE_HOME/rs_embed_qgis."""
    if _root_override:
        return Path(_root_override)
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rs_embed_qgis" / "copernicus_embed"
