# SPDX-License-Identifier: GPL-2.0-or-later
"""QGIS-free core of rs_embed_qgis: the copernicus_embed adapter, readers and pooling.

Nothing here imports qgis or Qt; torch and TorchGeo are imported only when the
TorchGeo reader is first used. The names below are loaded on first use (PEP 562), so
that importing one small module of the core (constants, errors) costs nothing more.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "BBox": "rs_embed_qgis.core.specs",
    "CacheError": "rs_embed_qgis.core.errors",
    "CancelledError": "rs_embed_qgis.core.errors",
    "CorruptDataError": "rs_embed_qgis.core.errors",
    "DataError": "rs_embed_qgis.core.errors",
    "DataNotFoundError": "rs_embed_qgis.core.errors",
    "DependencyError": "rs_embed_qgis.core.errors",
    "Embedding": "rs_embed_qgis.core.adapter",
    "InvalidGeometryError": "rs_embed_qgis.core.errors",
    "NoCoverageError": "rs_embed_qgis.core.errors",
    "OutputSpec": "rs_embed_qgis.core.specs",
    "PointBuffer": "rs_embed_qgis.core.specs",
    "Polygon": "rs_embed_qgis.core.specs",
    "RequestTooLargeError": "rs_embed_qgis.core.errors",
    "RsEmbedError": "rs_embed_qgis.core.errors",
    "SensorSpec": "rs_embed_qgis.core.specs",
    "SpecError": "rs_embed_qgis.core.errors",
    "TemporalSpec": "rs_embed_qgis.core.specs",
    "UnsupportedYearError": "rs_embed_qgis.core.errors",
    "cache_root": "rs_embed_qgis.core.cache_paths",
    "cache_status": "rs_embed_qgis.core.cache",
    "cleanup_cache": "rs_embed_qgis.core.cache",
    "clear_cache": "rs_embed_qgis.core.cache",
    "estimate_request": "rs_embed_qgis.core.adapter",
    "get_embedding": "rs_embed_qgis.core.adapter",
    "get_embeddings_batch": "rs_embed_qgis.core.adapter",
    "open_source": "rs_embed_qgis.core.adapter",
    "prepare_cache": "rs_embed_qgis.core.cache",
    "set_cache_root": "rs_embed_qgis.core.cache_paths",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` when it is first asked for."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
