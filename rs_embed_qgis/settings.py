# SPDX-License-Identifier: GPL-2.0-or-later
"""Plugin settings in QgsSettings, and the data-directory order shared by GUI and Processing."""

from __future__ import annotations

import os

from qgis.core import QgsSettings

from rs_embed_qgis.core.constants import DEFAULT_DATA_DIR, ENV_DATA_DIR

_PREFIX = "rs_embed_qgis/"
KEY_DATA_DIR = _PREFIX + "data_dir"
KEY_CACHE_DIR = _PREFIX + "cache_dir"


def _get(key: str) -> str:
    value = QgsSettings().value(key, "", type=str)
    return (value or "").strip()


def _set(key: str, value: str | None) -> None:
    QgsSettings().setValue(key, (value or "").strip())


def data_dir_setting() -> str:
    """The data directory the user chose in the dock ('' if none)."""
    return _get(KEY_DATA_DIR)


def set_data_dir_setting(path: str | None) -> None:
    """Remember the data directory."""
    _set(KEY_DATA_DIR, path)


def cache_dir_setting() -> str:
    """The cache folder the user chose ('' for the default)."""
    return _get(KEY_CACHE_DIR)


def set_cache_dir_setting(path: str | None) -> None:
    """Remember the cache folder and apply it to the core for this session."""
    _set(KEY_CACHE_DIR, path)
    apply_cache_dir()


def apply_cache_dir() -> None:
    """Tell the core which cache folder to use (the setting, else its own default)."""
    from rs_embed_qgis.core.cache_paths import set_cache_root

    set_cache_root(cache_dir_setting() or None)


def effective_data_dir(explicit: str | None = None) -> tuple[str, str]:
    """(data directory, its origin): explicit > plugin setting > $RS_EMBED_COP_DIR > default."""
    if explicit and explicit.strip():
        return explicit.strip(), "parameter"
    setting = data_dir_setting()
    if setting:
        return setting, "setting"
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        return env, ENV_DATA_DIR
    return DEFAULT_DATA_DIR, "default"
