# SPDX-License-Identifier: GPL-2.0-or-later
"""Undoing the TIFF predictors of decoded float32 blocks, in place, with vectorised NumPy.

A decoded block is a run of rows; each row holds ``width`` pixels of ``spp`` samples
(``spp`` is 768 for a pixel-interleaved file, 1 for one band's block of a band-interleaved
one). The predictors are undone per row, as libtiff does:

* PREDICTOR=2 (horizontal differencing): each 32-bit word is stored as its difference
  from the same sample of the previous pixel, modulo 2**32; undone by a cumulative sum of
  uint32 words along the row with a stride of ``spp`` words.
* PREDICTOR=3 (floating point, libtiff's ``fpAcc``): the row's 4-byte samples are split
  into 4 byte planes, the most significant first, and the whole row of ``4 * width * spp``
  bytes is then differenced byte-wise with a stride of ``spp`` bytes (across the plane
  borders too); undone by a byte-wise cumulative sum modulo 256 with that stride, then
  putting the planes back together as little-endian float32.

Only little-endian files on a little-endian machine are handled here (the reader sends
anything else to GDAL). No GDAL, no QGIS: plain NumPy on byte arrays.
"""

from __future__ import annotations

import numpy as np

# Rows are undone in chunks, so temporaries stay small (a 512 x 512 x 768 tile is 768 MiB;
# a second copy would double the peak). Blocks of one sample per pixel: chunks of 1 MiB,
# whose uint32 copy (4 MiB) stays in the CPU cache. Pixel-interleaved blocks: each vector
# add spans one pixel column of every row of the chunk, so 16 MiB chunks make the adds long
# enough to amortise Python's cost per call (measured: 0.14 s per 192 MiB tile vs 0.31 s
# with 1 MiB chunks).
CHUNK_BYTES = 1024 * 1024
WIDE_CHUNK_BYTES = 16 * 1024 * 1024

_U32 = np.dtype("<u4")
_F32 = np.dtype("<f4")


def undo_predictor(rows: np.ndarray, predictor: int, spp: int) -> np.ndarray:
    """Undo ``predictor`` (1, 2 or 3) in place on ``rows`` (n, row_bytes) uint8; (n, width, spp) float32 view."""  # noqa: E501
    if rows.dtype != np.uint8 or rows.ndim != 2 or rows.strides[1] != 1:
        raise ValueError("rows must be a 2-D uint8 array with contiguous rows")
    n, row_bytes = rows.shape
    if row_bytes % (4 * spp):
        raise ValueError(f"a row of {row_bytes} bytes does not hold whole pixels of {spp} samples")
    width = row_bytes // (4 * spp)
    if predictor == 2:
        _undo_horizontal(rows, width, spp)
    elif predictor == 3:
        _undo_floating_point(rows, width, spp)
    elif predictor != 1:
        raise ValueError(f"unknown TIFF predictor {predictor}")
    return rows.view(_F32).reshape(n, width, spp)


def _chunk_rows(row_bytes: int, spp: int) -> int:
    budget = CHUNK_BYTES if spp == 1 else WIDE_CHUNK_BYTES
    return max(1, budget // max(1, row_bytes))


def _undo_horizontal(rows: np.ndarray, width: int, spp: int) -> None:
    """PREDICTOR=2 on 32-bit samples: a wrap-around cumulative sum of words along each row."""
    n = rows.shape[0]
    words = rows.view(_U32).reshape(n, width, spp)
    step = _chunk_rows(rows.shape[1], spp)
    for r0 in range(0, n, step):
        part = words[r0 : r0 + step]
        if spp == 1:
            # A same-type accumulate along the contiguous axis runs NumPy's fast loop.
            np.cumsum(part[:, :, 0], axis=1, out=part[:, :, 0])
        else:
            # One vector add per pixel column, over every sample of the chunk's rows.
            for x in range(1, width):
                np.add(part[:, x], part[:, x - 1], out=part[:, x])


def _undo_floating_point(rows: np.ndarray, width: int, spp: int) -> None:
    """PREDICTOR=3: byte-wise cumulative sum with stride ``spp``, then byte planes to floats."""
    n, row_bytes = rows.shape
    step = min(n, _chunk_rows(row_bytes, spp))
    words = rows.view(_U32)  # the floats are written back over their own rows
    # Scratch buffers reused by every chunk: fresh ones would be paged in each time.
    scratch = np.empty((step, row_bytes), dtype=np.uint32 if spp == 1 else np.uint8)
    tmp = np.empty((step, width * spp), dtype=np.uint32)
    for r0 in range(0, n, step):
        part = rows[r0 : r0 + step]
        m = part.shape[0]
        acc = scratch[:m]
        if spp == 1:
            # NumPy accumulates uint8 through a slow casting loop (5x slower); uint32 runs
            # the fast loop, and the low byte of a uint32 sum is the byte sum modulo 256.
            np.copyto(acc, part)
            np.cumsum(acc, axis=1, out=acc)
        else:
            diffs = part.reshape(m, 4 * width, spp)
            for x in range(1, 4 * width):
                np.add(diffs[:, x], diffs[:, x - 1], out=diffs[:, x])
            np.copyto(acc, part)  # the planes, before the floats overwrite them
        _join_planes(acc.reshape(m, 4, width * spp), words[r0 : r0 + m], tmp[:m])


def _join_planes(planes: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> None:
    """``out`` = uint32 words from 4 byte planes (the low bytes of ``planes[:, k]``), MSB first."""
    np.left_shift(planes[:, 0], 24, out=out, dtype=np.uint32)
    for k, shift in ((1, 16), (2, 8), (3, 0)):
        np.bitwise_and(planes[:, k], 0xFF, out=tmp, dtype=np.uint32)
        if shift:
            np.left_shift(tmp, shift, out=tmp)
        np.bitwise_or(out, tmp, out=out)
