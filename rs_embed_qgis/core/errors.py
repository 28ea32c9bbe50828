# SPDX-License-Identifier: GPL-2.0-or-later
"""The core's exception tree: shown as messages by the GUI, QgsProcessingException by Processing."""

from __future__ import annotations


class RsEmbedError(Exception):
    """Base class of every error the core raises on purpose."""


class SpecError(RsEmbedError, ValueError):
    """A request is malformed: spatial, temporal, output, backend or model."""


class UnsupportedYearError(SpecError):
    """The requested year is not provided by the product."""


class InvalidGeometryError(SpecError):
    """A polygon cannot be used (empty, or invalid and not repairable)."""


class DataError(RsEmbedError):
    """The data file is missing, unreadable or does not cover the request."""


class DataNotFoundError(DataError, FileNotFoundError):
    """No product file in the data directory, and it could not be downloaded."""


class PermissionDeniedError(DataError, PermissionError):
    """The product file or a folder exists but this user may not read (or write) it."""


class CorruptDataError(DataError):
    """The product file is truncated, corrupt or of the wrong shape."""


class NoCoverageError(DataError):
    """The requested area has no Copernicus-Embed pixel with data (ocean or outside)."""


class DependencyError(RsEmbedError, ImportError):
    """An optional dependency (torch, torchgeo, exactextract, xarray) is missing."""


class CancelledError(RsEmbedError):
    """The caller cancelled the work; nothing partial is returned."""


class RequestTooLargeError(RsEmbedError, MemoryError):
    """A request would need more memory than the configured limit."""


class CacheError(DataError):
    """The fast cache cannot be prepared or served (no space, read-only, not a folder, bad bytes).

    Callers fall back to the direct reader: a cache fault never costs a result.
    """
