"""TIFF predictors undone in NumPy equal libtiff's definitions, written here as plain loops."""

from __future__ import annotations

import numpy as np
import pytest

from rs_embed_qgis.core import tiff_decode as td


def _samples(rows: int, width: int, spp: int, seed: int = 0) -> np.ndarray:
    """Float32 samples with the awkward values a product holds: -0.0, +0.0, tiny, huge, NaN."""
    rng = np.random.default_rng(seed)
    v = (rng.standard_normal((rows, width, spp)) * 3).astype(np.float32)
    flat = v.reshape(-1)
    flat[::7] = -0.0
    flat[3::11] = 0.0
    flat[5::13] = np.float32(1e-40)  # subnormal
    flat[6::17] = np.float32(3e38)
    flat[9::19] = np.nan
    return v


def _encode_horizontal(v: np.ndarray) -> np.ndarray:
    """libtiff's horDiff32: each word minus the same sample of the previous pixel, mod 2**32."""
    rows, width, spp = v.shape
    words = v.view("<u4").reshape(rows, width * spp).astype(np.int64)
    out = words.copy()
    for r in range(rows):
        for i in range(width * spp - 1, spp - 1, -1):
            out[r, i] = (words[r, i] - words[r, i - spp]) % 2**32
    return out.astype("<u4").view(np.uint8).reshape(rows, -1)


def _encode_floating_point(v: np.ndarray) -> np.ndarray:
    """libtiff's fpDiff: byte planes (most significant first), then byte differences, stride spp."""
    rows, width, spp = v.shape
    wc = width * spp
    out = np.empty((rows, 4 * wc), dtype=np.uint8)
    for r in range(rows):
        b = v[r].reshape(-1).view(np.uint8).reshape(wc, 4)  # little-endian bytes of each sample
        planes = [int(x) for k in range(4) for x in b[:, 3 - k]]  # plane 0 = byte 3 (MSB)
        diff = planes[:]
        for i in range(4 * wc - 1, spp - 1, -1):
            diff[i] = (planes[i] - planes[i - spp]) % 256
        out[r] = diff
    return out


@pytest.mark.parametrize("spp", [1, 3, 768])
@pytest.mark.parametrize("predictor", [1, 2, 3])
def test_undo_predictor_inverts_libtiffs_encoding(
    predictor: int, spp: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, width = 5, 6 if spp == 768 else 9
    v = _samples(rows, width, spp)
    if predictor == 1:
        enc = v.view(np.uint8).reshape(rows, -1).copy()
    elif predictor == 2:
        enc = _encode_horizontal(v)
    else:
        enc = _encode_floating_point(v)
    # Tiny chunks: several chunks per call, the last one shorter.
    monkeypatch.setattr(td, "CHUNK_BYTES", 2 * enc.shape[1])
    monkeypatch.setattr(td, "WIDE_CHUNK_BYTES", 2 * enc.shape[1])
    buf = enc.copy()
    got = td.undo_predictor(buf, predictor, spp)
    assert got.shape == (rows, width, spp) and got.dtype == np.float32
    assert np.shares_memory(got, buf)  # undone in place, no copy of the tile
    assert got.view(np.uint32).tobytes() == v.view(np.uint32).tobytes()  # -0.0 and NaN too


def test_undo_predictor_on_rows_of_a_larger_buffer() -> None:
    """Rows with a stride (a band's rows inside a group buffer) are undone where they are."""
    v = _samples(4, 8, 1, seed=1)
    enc = _encode_floating_point(v)
    big = np.zeros((4, enc.shape[1] + 16), dtype=np.uint8)
    big[:, : enc.shape[1]] = enc
    got = td.undo_predictor(big[:, : enc.shape[1]], 3, 1)
    assert got.view(np.uint32).tobytes() == v.view(np.uint32).tobytes()
    assert not big[:, enc.shape[1] :].any()  # nothing written past the rows


def test_undo_predictor_refuses_what_it_cannot_undo() -> None:
    with pytest.raises(ValueError, match="predictor 5"):
        td.undo_predictor(np.zeros((1, 12), dtype=np.uint8), 5, 3)
    with pytest.raises(ValueError, match="whole pixels"):
        td.undo_predictor(np.zeros((1, 10), dtype=np.uint8), 3, 3)
    with pytest.raises(ValueError, match="uint8"):
        td.undo_predictor(np.zeros((1, 3), dtype=np.uint32), 2, 3)
