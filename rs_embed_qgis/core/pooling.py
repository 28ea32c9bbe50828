# SPDX-License-Identifier: GPL-2.0-or-later
"""Pooling maths: mean/max over valid (non-zero) pixels, streamed in row bands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rs_embed_qgis.core.constants import PRODUCT_BANDS
from rs_embed_qgis.core.errors import CancelledError
from rs_embed_qgis.core.grid import Window

# Pooled requests are read in bands of rows of at most this many bytes, so a continent
# can be pooled in bounded memory.
POOL_BAND_BYTES = 128 * 1024 * 1024


def valid_mask(hwc: np.ndarray) -> np.ndarray:
    """True where a pixel holds data: the product fills ocean with all-zero vectors."""
    return np.any(hwc != 0, axis=-1)


@dataclass
class PoolResult:
    """A pooled vector and the pixel counts it came from."""

    vector: np.ndarray | None
    valid_pixels: int
    total_pixels: int


def pool_array(hwc: np.ndarray, pooling: str) -> PoolResult:
    """Mean or max over the valid pixels of an (H, W, D) array."""
    flat = hwc.reshape(-1, hwc.shape[-1])
    valid = valid_mask(flat)
    n = int(valid.sum())
    if n == 0:
        return PoolResult(None, 0, flat.shape[0])
    if pooling == "mean":
        # Invalid pixels are all zero, so they add nothing to the sum.
        vec = flat.sum(axis=0, dtype=np.float64) / n
    else:
        vec = flat[valid].max(axis=0)
    return PoolResult(vec.astype(np.float32), n, flat.shape[0])


def pool_window(
    read: Callable[[Window], np.ndarray],
    window: Window,
    pooling: str,
    cancel: Callable[[], bool] | None = None,
    band_bytes: int = POOL_BAND_BYTES,
) -> PoolResult:
    """Pool a window of any size, reading it in row bands of bounded memory."""
    row_bytes = max(1, window.width * PRODUCT_BANDS * 4)
    bands = window.row_bands(max(1, band_bytes // row_bytes))
    if len(bands) == 1:
        return pool_array(read(window), pooling)
    total_sum = np.zeros(PRODUCT_BANDS, dtype=np.float64)
    total_max = np.full(PRODUCT_BANDS, -np.inf, dtype=np.float32)
    n_valid = n_total = 0
    for band in bands:
        if cancel is not None and cancel():
            raise CancelledError("Cancelled.")
        flat = read(band).reshape(-1, PRODUCT_BANDS)
        valid = valid_mask(flat)
        k = int(valid.sum())
        n_total += flat.shape[0]
        if k == 0:
            continue
        n_valid += k
        if pooling == "mean":
            total_sum += flat.sum(axis=0, dtype=np.float64)
        else:
            np.maximum(total_max, flat[valid].max(axis=0), out=total_max)
    if n_valid == 0:
        return PoolResult(None, 0, n_total)
    vec = total_sum / n_valid if pooling == "mean" else total_max
    return PoolResult(vec.astype(np.float32), n_valid, n_total)
