"""QGIS-free core of rs_embed_qgis: the copernicus_embed adapter, readers and pooling.

Nothing here imports qgis or Qt; torch and TorchGeo are imported only when the
TorchGeo reader is first used.
"""

from rs_embed_qgis.core.adapter import (
    Embedding,
    estimate_request,
    get_embedding,
    get_embeddings_batch,
    open_source,
)
from rs_embed_qgis.core.cache import (
    cache_root,
    cache_status,
    cleanup_cache,
    clear_cache,
    prepare_cache,
    set_cache_root,
)
from rs_embed_qgis.core.errors import (
    CacheError,
    CancelledError,
    CorruptDataError,
    DataError,
    DataNotFoundError,
    DependencyError,
    InvalidGeometryError,
    NoCoverageError,
    RequestTooLargeError,
    RsEmbedError,
    SpecError,
    UnsupportedYearError,
)
from rs_embed_qgis.core.specs import (
    BBox,
    OutputSpec,
    PointBuffer,
    Polygon,
    SensorSpec,
    TemporalSpec,
)

__all__ = [
    "BBox",
    "CacheError",
    "CancelledError",
    "CorruptDataError",
    "DataError",
    "DataNotFoundError",
    "DependencyError",
    "Embedding",
    "InvalidGeometryError",
    "NoCoverageError",
    "OutputSpec",
    "PointBuffer",
    "Polygon",
    "RequestTooLargeError",
    "RsEmbedError",
    "SensorSpec",
    "SpecError",
    "TemporalSpec",
    "UnsupportedYearError",
    "cache_root",
    "cache_status",
    "cleanup_cache",
    "clear_cache",
    "estimate_request",
    "get_embedding",
    "get_embeddings_batch",
    "open_source",
    "prepare_cache",
    "set_cache_root",
]
