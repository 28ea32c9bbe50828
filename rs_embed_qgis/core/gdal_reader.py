# SPDX-License-Identifier: GPL-2.0-or-later
"""The QGIS-native window reader: GDAL's ``osgeo`` plus NumPy and the standard library.

The product is a float32 GeoTIFF of 768 bands; the readers return (rows, cols, 768) HWC
blocks. When a file's layout allows (the fast path) the reader takes the block offsets
from GDAL once, reads the compressed bytes itself with positional reads, inflates them
with ``zlib`` (or libdeflate, when the system has it), undoes the TIFF predictor (1, 2 or
3, vectorised NumPy in ``tiff_decode``) and, for band-interleaved files, gathers the 768
bands' blocks into pixel-interleaved tiles; inflating releases the GIL, so threads decode
in parallel. The fast path takes deflate or uncompressed, tiles or strips, pixel or band
interleave, classic TIFF or BigTIFF (a COG too: its first IFD is the full resolution),
little-endian. Any other layout (zstd, lzw, big-endian...) is read through GDAL's
``ReadRaster`` into a pixel-interleaved buffer, one tile-aligned block at a time, and
``slow_path_warning`` says so once for the file. GDAL handles are never used by two
threads at once: each reader opens its own per call.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import PRODUCT_BANDS
from rs_embed_qgis.core.dataset import (
    ProductInfo,
    _gdal,
    _quiet_gdal,
    corrupt_message,
    gdal_open,
)
from rs_embed_qgis.core.errors import (
    CancelledError,
    CorruptDataError,
    DataError,
    PermissionDeniedError,
)
from rs_embed_qgis.core.grid import Window
from rs_embed_qgis.core.reader import file_pieces
from rs_embed_qgis.core.tiff_decode import undo_predictor

_ITEM = 4 * PRODUCT_BANDS  # bytes of one pixel's vector

# Switches, module-level so tests can force the portable paths on any platform.
USE_PREAD = hasattr(os, "pread")  # else seek + read of one file object under a lock
USE_LIBDEFLATE = True  # use libdeflate when the system has it, else zlib
# Decoded tiles kept for reuse across reads (a tile of the product is 192 MiB); larger
# tiles (512 x 512 x 768 is 768 MiB) are not kept: reads decode just what they need.
TILE_CACHE_TILES = 2
TILE_KEEP_BYTES = 256 * 256 * 4 * PRODUCT_BANDS
# Band-interleaved tiles are decoded this many bytes of band blocks at a time.
BAND_GROUP_BYTES = 16 * 1024 * 1024
# Inflate with zlib in pieces of this many output bytes, checking cancel in between.
_INFLATE_PIECE = 16 * 1024 * 1024

_Cancel = Callable[[], bool] | None


# --------------------------------------------------------------------------- GDAL helpers


def _gdal_read_block(ds: Any, path: str, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """(h, w, 768) float32 pixels of a file block through ``ReadRaster``."""
    buf = np.empty((h, w, PRODUCT_BANDS), dtype=np.float32)
    with _quiet_gdal() as gdal:
        err = ""
        try:
            res = ds.ReadRaster(
                x0,
                y0,
                w,
                h,
                buf_type=gdal.GDT_Float32,
                buf_pixel_space=_ITEM,
                buf_line_space=_ITEM * w,
                buf_band_space=4,
                buf_obj=buf,
            )
        except RuntimeError as exc:
            res, err = None, str(exc)
        if res is None:
            err = err or gdal.GetLastErrorMsg() or "GDAL could not read it"
    if res is None:
        raise CorruptDataError(corrupt_message(path, f"block at ({y0}, {x0}): {err}"))
    return buf


# --------------------------------------------------------------------------- inflating

_deflate_lock = threading.Lock()
_deflate_lib: Any = None
_deflate_tried = False


def libdeflate() -> Any:
    """The system's libdeflate through ctypes, or None (an optional accelerator)."""
    global _deflate_lib, _deflate_tried
    with _deflate_lock:
        if _deflate_tried:
            return _deflate_lib
        _deflate_tried = True
        name = ctypes.util.find_library("deflate")
        if not name:
            return None
        try:
            lib = ctypes.CDLL(name)
            lib.libdeflate_alloc_decompressor.restype = ctypes.c_void_p
            lib.libdeflate_alloc_decompressor.argtypes = []
            lib.libdeflate_free_decompressor.restype = None
            lib.libdeflate_free_decompressor.argtypes = [ctypes.c_void_p]
            size_p = ctypes.POINTER(ctypes.c_size_t)
            fn = lib.libdeflate_zlib_decompress
            fn.restype = ctypes.c_int
            fn.argtypes = [
                ctypes.c_void_p,
                ctypes.c_void_p,
                ctypes.c_size_t,
                ctypes.c_void_p,
                ctypes.c_size_t,
                size_p,
            ]
            # The _ex variant (libdeflate >= 1.6) also says how much input the stream used.
            fn_ex = getattr(lib, "libdeflate_zlib_decompress_ex", None)
            if fn_ex is not None:
                fn_ex.restype = ctypes.c_int
                fn_ex.argtypes = [*fn.argtypes, size_p]
        except (OSError, AttributeError):
            return None
        _deflate_lib = lib
        return lib


def _inflate_libdeflate(lib: Any, raw: bytes, out: np.ndarray) -> bool:
    """Inflate a zlib stream into all of ``out`` with libdeflate; False unless it ends exactly."""
    # A decompressor is not thread-safe; one per call costs microseconds.
    dec = lib.libdeflate_alloc_decompressor()
    if not dec:
        return False
    got_in, got_out = ctypes.c_size_t(0), ctypes.c_size_t(0)
    n = out.size
    try:
        src = ctypes.c_char_p(raw)
        fn_ex = getattr(lib, "libdeflate_zlib_decompress_ex", None)
        if fn_ex is not None:
            rc = fn_ex(
                dec, src, len(raw), out.ctypes.data, n, ctypes.byref(got_in), ctypes.byref(got_out)
            )
        else:
            got_in.value = len(raw)
            rc = lib.libdeflate_zlib_decompress(
                dec, src, len(raw), out.ctypes.data, n, ctypes.byref(got_out)
            )
    finally:
        lib.libdeflate_free_decompressor(dec)
    # Success means the stream ended with a valid Adler-32; it must also fill ``out`` exactly
    # and use every byte of the tile, or the tile is not what its writer stored.
    return rc == 0 and got_out.value == n and got_in.value == len(raw)


def _inflate_zlib(raw: bytes, out: np.ndarray, cancel: _Cancel) -> bool:
    """Inflate with zlib into all of ``out``, in pieces (checking ``cancel``); False unless it ends exactly."""  # noqa: E501
    nbytes = out.size
    d = zlib.decompressobj()
    pos = 0
    tail = raw
    try:
        while not d.eof:
            if cancel is not None and cancel():
                raise CancelledError("Reading was cancelled.")
            # One byte more than is left: an overlong stream shows itself, and once the
            # output is complete zlib goes on to read and check the stream's Adler-32.
            piece = d.decompress(tail, min(_INFLATE_PIECE, nbytes - pos + 1))
            tail = d.unconsumed_tail
            if len(piece) > nbytes - pos:
                return False
            out[pos : pos + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
            pos += len(piece)
            if not piece and not d.eof:  # the input ran out before the stream ended
                return False
    except zlib.error:
        return False
    return pos == nbytes and not d.unused_data and not tail


def inflate(
    raw: bytes, nbytes: int, cancel: _Cancel = None, out: np.ndarray | None = None
) -> np.ndarray | None:
    """``nbytes`` bytes of a zlib stream (libdeflate when available); None unless it ends exactly.

    A stream is accepted only when it ends with a valid checksum exactly after ``nbytes``
    bytes of output and exactly at the end of ``raw``, whichever decoder runs: both refuse
    the same damaged tiles. ``out`` (uint8, at least ``nbytes``) receives the bytes.
    """
    buf = np.empty(nbytes, dtype=np.uint8) if out is None else out[:nbytes]
    if buf.size != nbytes or not buf.flags.c_contiguous:
        raise ValueError("out must be a contiguous uint8 array of at least nbytes")
    lib = libdeflate() if USE_LIBDEFLATE else None
    if lib is not None:
        if cancel is not None and cancel():
            raise CancelledError("Reading was cancelled.")
        ok = _inflate_libdeflate(lib, raw, buf)
    else:
        ok = _inflate_zlib(raw, buf, cancel)
    return buf if ok else None


# --------------------------------------------------------------------------- file layout

# More stored blocks than this (band-interleaved strips of one row: 553,728 in the full
# product) take seconds to list through GDAL's metadata; GDAL reads such files itself.
_MAX_BLOCKS = 100_000
# How many times slower GDAL's ReadRaster is than the fast path, per 256 x 256 x 768 tile
# of the product (quiet machine, 2026-12: the fast path takes 0.29 s on deflate; GDAL 1.2 s
# on the same tile, 1.0 s with zstd, 1.6 s with lzw; band-interleaved files cost GDAL less).
GDAL_SLOWDOWN = 4


@dataclass(frozen=True, eq=False)
class TileLayout:
    """Where the compressed blocks of a fast-path file are and how they decode (from GDAL)."""

    block_w: int
    block_h: int
    nx: int
    ny: int
    offsets: np.ndarray  # (planes, ny, nx) int64; 0 = sparse block (all zero)
    sizes: np.ndarray  # (planes, ny, nx) int64, compressed bytes
    deflate: bool
    predictor: int = 1  # 1 none, 2 horizontal differencing, 3 floating point
    separate: bool = False  # band-interleaved: one block per band (planes = 768)

    @property
    def samples(self) -> int:
        """Samples per pixel inside one stored block (768, or 1 when band-interleaved)."""
        return 1 if self.separate else PRODUCT_BANDS


_layout_lock = threading.Lock()
_layouts: dict[tuple[Any, ...], tuple[TileLayout | None, str, tuple[int, int]]] = {}


def _fast_path_refusal(ds: Any, path: str) -> str:
    """Why the file cannot take the fast path ("" when it can)."""
    gdal = _gdal()
    if ds.GetDriver().ShortName != "GTiff":
        return "not a GeoTIFF"
    band = ds.GetRasterBand(1)
    if ds.RasterCount != PRODUCT_BANDS or band.DataType != gdal.GDT_Float32:
        return "not 768 float32 bands"
    md = ds.GetMetadata("IMAGE_STRUCTURE") or {}
    compression = (md.get("COMPRESSION") or "NONE").upper()
    if compression not in ("NONE", "DEFLATE"):
        return f"compression {compression}"
    predictor = md.get("PREDICTOR") or "1"
    if predictor not in ("1", "2", "3") or (compression == "NONE" and predictor != "1"):
        return f"predictor {predictor} with compression {compression}"
    if (md.get("INTERLEAVE") or "").upper() not in ("PIXEL", "BAND"):
        return f"interleave {md.get('INTERLEAVE')}"
    if md.get("NBITS") or md.get("PIXELTYPE"):
        return "unusual sample layout"
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic in (b"MM\x00*", b"MM\x00+"):
        return "big-endian TIFF"
    if magic not in (b"II*\x00", b"II+\x00"):
        return "not a little-endian TIFF"
    if sys.byteorder != "little":  # the predictors are undone on native words
        return "a big-endian machine"
    return ""


def _scan_layout(ds: Any, path: str) -> tuple[TileLayout | None, str, tuple[int, int]]:
    band = ds.GetRasterBand(1)
    bw, bh = (int(v) for v in band.GetBlockSize())
    why = _fast_path_refusal(ds, path)
    if why:
        return None, why, (bw, bh)
    md = ds.GetMetadata("IMAGE_STRUCTURE") or {}
    separate = (md.get("INTERLEAVE") or "").upper() == "BAND"
    planes = PRODUCT_BANDS if separate else 1
    nx = -(-ds.RasterXSize // bw)
    ny = -(-ds.RasterYSize // bh)
    if planes * ny * nx > _MAX_BLOCKS:
        return None, f"{planes * ny * nx} blocks", (bw, bh)
    offsets = np.zeros((planes, ny, nx), dtype=np.int64)
    sizes = np.zeros((planes, ny, nx), dtype=np.int64)
    for p in range(planes):
        b = ds.GetRasterBand(p + 1)
        for ty in range(ny):
            for tx in range(nx):
                off = b.GetMetadataItem(f"BLOCK_OFFSET_{tx}_{ty}", "TIFF")
                size = b.GetMetadataItem(f"BLOCK_SIZE_{tx}_{ty}", "TIFF")
                offsets[p, ty, tx] = int(off) if off else 0
                sizes[p, ty, tx] = int(size) if size else 0
    if not offsets.any():
        return None, "GDAL does not report tile offsets", (bw, bh)
    offsets.setflags(write=False)
    sizes.setflags(write=False)
    deflate = (md.get("COMPRESSION") or "").upper() == "DEFLATE"
    predictor = int(md.get("PREDICTOR") or 1)
    lay = TileLayout(bw, bh, nx, ny, offsets, sizes, deflate, predictor, separate)
    return lay, "", (bw, bh)


# --------------------------------------------------------------------------- tile memory

_tiles_lock = threading.Lock()
_tiles: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()


def _tile_get(key: tuple[Any, ...]) -> np.ndarray | None:
    with _tiles_lock:
        hit = _tiles.get(key)
        if hit is not None:
            _tiles.move_to_end(key)
        return hit


def _tile_put(key: tuple[Any, ...], tile: np.ndarray) -> None:
    with _tiles_lock:
        _tiles[key] = tile
        _tiles.move_to_end(key)
        while len(_tiles) > max(0, TILE_CACHE_TILES):
            _tiles.popitem(last=False)


def _tiles_drop(identity: tuple[Any, ...] | None = None) -> None:
    with _tiles_lock:
        for k in [k for k in _tiles if identity is None or k[0] == identity]:
            del _tiles[k]


# --------------------------------------------------------------------------- the reader


class GdalReader:
    """Reads windows of a product file with GDAL (or its own tile decoding); thread-safe."""

    name = "gdal"

    def __init__(self, info: ProductInfo, fast: bool = True) -> None:
        """``fast=False`` forces GDAL's ``ReadRaster`` even where the fast path applies."""
        self.info = info
        self._lock = threading.Lock()
        self._closed = False
        self._fh: Any = None
        self._fh_lock = threading.Lock()
        layout, why, block = self._layout()
        self.layout: TileLayout | None = layout if fast else None
        self.fast_path_refusal = why if fast else "fast path switched off"
        # Why the file's own layout is read through GDAL ("" when the fast path takes it).
        self.layout_refusal = why
        self.block_w, self.block_h = block

    # ---- GDAL handles

    def _acquire(self) -> Any:
        return gdal_open(self.info.path)

    def _release(self, ds: Any) -> None:
        # Not kept between calls: a GDAL dataset that outlives the call may be freed after
        # the host shut GDAL down (qgis_process unloads plugins after that, and pytest-qgis
        # exits QGIS before Python's last collection), which crashes the process. Opening
        # costs milliseconds beside a tile decode; the fast path needs no handle at all.
        del ds

    @contextlib.contextmanager
    def _dataset(self) -> Iterator[Any]:
        ds = self._acquire()
        try:
            yield ds
        finally:
            self._release(ds)

    def _layout(self) -> tuple[TileLayout | None, str, tuple[int, int]]:
        key = self.info.identity
        with _layout_lock:
            hit = _layouts.get(key)
        if hit is None:
            with self._dataset() as ds:
                hit = _scan_layout(ds, self.info.path)
            with _layout_lock:
                _layouts[key] = hit
        return hit

    @property
    def fast_path(self) -> bool:
        """True when tiles are decoded by the reader itself rather than by GDAL."""
        return self.layout is not None

    @property
    def slow_path_warning(self) -> str:
        """The sentence telling users that this file's layout is read through GDAL ("" if not)."""
        if not self.layout_refusal:
            return ""
        return (
            f"This file's layout ({self.layout_refusal}) is read through GDAL, about "
            f"{GDAL_SLOWDOWN} times slower than the fast path: {self.info.path}."
        )

    # ---- raw bytes

    def _file(self) -> Any:
        with self._fh_lock:
            if self._fh is None:
                if self._closed:
                    raise DataError(f"The reader of {self.info.path} was closed.")
                try:
                    fh = open(self.info.path, "rb", buffering=0)  # noqa: SIM115
                except PermissionError as exc:
                    raise PermissionDeniedError(
                        f"Permission denied: {self.info.path} ({exc})."
                    ) from exc
                except OSError as exc:
                    raise CorruptDataError(corrupt_message(self.info.path, str(exc))) from exc
                if os.fstat(fh.fileno()).st_size != self.info.size:
                    fh.close()
                    raise DataError(f"{self.info.path} changed since it was checked; try again.")
                self._fh = fh
            return self._fh

    def _read_bytes(self, offset: int, size: int) -> bytes:
        fh = self._file()
        if USE_PREAD:
            parts: list[bytes] = []
            got = 0
            while got < size:
                chunk = os.pread(fh.fileno(), size - got, offset + got)
                if not chunk:
                    break
                parts.append(chunk)
                got += len(chunk)
            data = parts[0] if len(parts) == 1 else b"".join(parts)
        else:
            with self._fh_lock:
                fh.seek(offset)
                data = fh.read(size)
        if len(data) != size:
            raise CorruptDataError(
                corrupt_message(
                    self.info.path, f"a tile at byte {offset} is cut short ({len(data)} of {size})"
                )
            )
        return data

    # ---- tiles

    def tile_rows_cols(self, ty: int, tx: int) -> tuple[int, int]:
        """Rows and columns of the file inside tile (ty, tx) (edge tiles are cut)."""
        h = min(self.block_h, self.info.height - ty * self.block_h)
        w = min(self.block_w, self.info.width - tx * self.block_w)
        return h, w

    def _block_bytes(
        self, plane: int, ty: int, tx: int, out: np.ndarray | None, cancel: _Cancel
    ) -> np.ndarray | None:
        """Decoded bytes (rows, row bytes) of one stored block (into ``out``); None if sparse."""
        lay = self._fast_layout()
        off, size = int(lay.offsets[plane, ty, tx]), int(lay.sizes[plane, ty, tx])
        if off == 0 or size == 0:  # a sparse block: GDAL reads it as zeros (no nodata)
            return None
        row_bytes = lay.block_w * lay.samples * 4
        raw = self._read_bytes(off, size)
        # A strip file's last strip may hold fewer rows than a block; a tile is always whole.
        for rows in dict.fromkeys((lay.block_h, self.tile_rows_cols(ty, tx)[0])):
            n = rows * row_bytes
            data: np.ndarray | None = None
            if lay.deflate:
                data = inflate(raw, n, cancel, out)
            elif len(raw) == n:
                data = np.frombuffer(raw, dtype=np.uint8)
                if out is not None:
                    out[:n] = data
                    data = out[:n]
            if data is not None:
                return data.reshape(rows, row_bytes)
        where = f"tile ({ty}, {tx})" + (f" of band {plane + 1}" if lay.separate else "")
        raise CorruptDataError(corrupt_message(self.info.path, f"{where} does not decode"))

    def _decode(
        self, ty: int, tx: int, y0: int, y1: int, x0: int, x1: int, cancel: _Cancel
    ) -> np.ndarray:
        """Pixels [y0:y1, x0:x1] (inside the tile) of tile (ty, tx) as (h, w, 768) float32."""
        lay = self._fast_layout()
        if lay.separate:
            return self._decode_bands(ty, tx, y0, y1, x0, x1, cancel)
        data = self._block_bytes(0, ty, tx, None, cancel)
        if data is None:
            return np.zeros((y1 - y0, x1 - x0, PRODUCT_BANDS), dtype=np.float32)
        # Predictors work row by row: only the rows asked for are undone.
        return undo_predictor(data[y0:y1], lay.predictor, PRODUCT_BANDS)[:, x0:x1]

    def _decode_bands(
        self, ty: int, tx: int, y0: int, y1: int, x0: int, x1: int, cancel: _Cancel
    ) -> np.ndarray:
        """A band-interleaved tile's pixels [y0:y1, x0:x1] as (h, w, 768), a group of bands at a time."""  # noqa: E501
        lay = self._fast_layout()
        row_bytes = lay.block_w * 4
        block_bytes = lay.block_h * row_bytes
        out = np.empty((y1 - y0, x1 - x0, PRODUCT_BANDS), dtype=np.float32)
        # The bands' blocks are decoded into a buffer of a few MiB, then turned into the
        # pixel-interleaved tile: the peak is the output plus that buffer.
        group = max(1, min(PRODUCT_BANDS, BAND_GROUP_BYTES // block_bytes))
        buf = np.empty((group, block_bytes), dtype=np.uint8)
        for g0 in range(0, PRODUCT_BANDS, group):
            g1 = min(g0 + group, PRODUCT_BANDS)
            if cancel is not None and cancel():
                raise CancelledError("Reading was cancelled.")
            for b in range(g0, g1):
                if self._block_bytes(b, ty, tx, buf[b - g0], cancel) is None:
                    buf[b - g0, : y1 * row_bytes] = 0
            # A view when every row is asked for; else a copy of just the rows needed.
            rows = buf[: g1 - g0, y0 * row_bytes : y1 * row_bytes].reshape(-1, row_bytes)
            vals = undo_predictor(rows, lay.predictor, 1).reshape(g1 - g0, y1 - y0, lay.block_w)
            out[:, :, g0:g1] = vals[:, :, x0:x1].transpose(1, 2, 0)
        return out

    def _fast_layout(self) -> TileLayout:
        """The layout of the fast path (only the fast path's methods ask for it)."""
        if self.layout is None:
            raise DataError(f"{self.info.path} is not read by the fast path.")
        return self.layout

    def decode_tile(self, ty: int, tx: int, cancel: _Cancel = None) -> np.ndarray:
        """The whole decoded tile (rows inside the file, block_w, 768) of the fast path."""
        lay = self._fast_layout()
        rows = self.tile_rows_cols(ty, tx)[0]
        return self._decode(ty, tx, 0, rows, 0, lay.block_w, cancel)

    def _tile(self, ty: int, tx: int, cancel: _Cancel) -> np.ndarray:
        key = (self.info.identity, ty, tx)
        tile = _tile_get(key)
        if tile is None:
            tile = self.decode_tile(ty, tx, cancel)
            tile.setflags(write=False)
            _tile_put(key, tile)
        return tile

    def file_block(
        self, r0: int, r1: int, c0: int, c1: int, cancel: _Cancel = None, keep: bool = False
    ) -> np.ndarray:
        """Pixels [r0:r1, c0:c1] of the file (file indices) inside ONE tile, as (h, w, 768).

        ``keep`` keeps the decoded tile for later reads (the fast path's tile memory) when
        a tile is no larger than ``TILE_KEEP_BYTES``; without it a tile already kept is
        still used, but a decoded one is not kept. The result may be a read-only view of a
        decoded tile.
        """
        if self.layout is None:
            with self._dataset() as ds:
                return _gdal_read_block(ds, self.info.path, c0, r0, c1 - c0, r1 - r0)
        ty, tx = r0 // self.block_h, c0 // self.block_w
        y0, x0 = ty * self.block_h, tx * self.block_w
        if keep and self.block_h * self.block_w * _ITEM <= TILE_KEEP_BYTES:
            tile = self._tile(ty, tx, cancel)
            return tile[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0]
        kept = _tile_get((self.info.identity, ty, tx))
        if kept is not None:
            return kept[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0]
        if (r1 - r0, c1 - c0) == self.tile_rows_cols(ty, tx):  # the whole tile (a batch's sweep)
            return self.decode_tile(ty, tx, cancel)[:, : c1 - c0]
        return self._decode(ty, tx, r0 - y0, r1 - y0, c0 - x0, c1 - x0, cancel)

    def blocks(self) -> list[tuple[int, int, int, int]]:
        """The file's tile-aligned blocks (r0, r1, c0, c1), row-major."""
        return self._blocks_in(0, self.info.height, 0, self.info.width)

    def _blocks_in(self, r0: int, r1: int, c0: int, c1: int) -> list[tuple[int, int, int, int]]:
        bh, bw = self.block_h, self.block_w
        out = []
        for ty in range(r0 // bh, -(-r1 // bh)):
            for tx in range(c0 // bw, -(-c1 // bw)):
                out.append(
                    (
                        max(r0, ty * bh),
                        min(r1, (ty + 1) * bh),
                        max(c0, tx * bw),
                        min(c1, (tx + 1) * bw),
                    )
                )
        return out

    def _fill(self, dest: np.ndarray, r0: int, r1: int, c0: int, c1: int, cancel: _Cancel) -> None:
        """Copy file pixels [r0:r1, c0:c1] into ``dest``, tile by tile."""
        for b0, b1, d0, d1 in self._blocks_in(r0, r1, c0, c1):
            if cancel is not None and cancel():
                raise CancelledError("Reading was cancelled.")
            dest[b0 - r0 : b1 - r0, d0 - c0 : d1 - c0] = self.file_block(
                b0, b1, d0, d1, cancel, keep=True
            )

    # ---- the WindowReader interface

    def read(self, window: Window, cancel: _Cancel = None) -> np.ndarray:
        """(H, W, 768) float32 pixels of a global window; outside the file stays zero."""
        out = np.zeros((window.height, window.width, PRODUCT_BANDS), dtype=np.float32)
        for piece, ro, co in file_pieces(self.info, window):
            fr0 = piece.row0 - self.info.row_off
            fc0 = piece.col0 - self.info.col_off
            dest = out[ro : ro + piece.height, co : co + piece.width]
            self._fill(dest, fr0, fr0 + piece.height, fc0, fc0 + piece.width, cancel)
        return out

    def read_cells(
        self, row: int, col0: int, col1: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 768) pixels of one global row, columns col0..col1 (no wrap, inside the file)."""
        if out is None:
            out = np.empty((col1 - col0, PRODUCT_BANDS), dtype=np.float32)
        r = row - self.info.row_off
        c0, c1 = col0 - self.info.col_off, col1 - self.info.col_off
        self._fill(out[None], r, r + 1, c0, c1, None)
        return out

    def __del__(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            try:
                fh.close()
            except OSError:
                pass

    def close(self) -> None:
        """Drop the file handle and the decoded tiles of this file (no GDAL handle is kept)."""
        with self._lock:
            self._closed = True
        with self._fh_lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
        _tiles_drop(self.info.identity)


# --------------------------------------------------------------------------- shared readers

_readers_lock = threading.Lock()
_readers: dict[str, GdalReader] = {}


def open_gdal_reader(info: ProductInfo) -> GdalReader:
    """The shared GdalReader of a file (one per file identity; a replaced file gets a new one)."""
    with _readers_lock:
        hit = _readers.get(info.path)
        if hit is not None and hit.info.identity == info.identity:
            return hit
    reader = GdalReader(info)
    with _readers_lock:
        old = _readers.get(info.path)
        if old is not None and old.info.identity == info.identity:
            reader.close()
            return old
        _readers[info.path] = reader
    if old is not None:
        old.close()
        with _layout_lock:
            _layouts.pop(old.info.identity, None)
    return reader


def close_all_readers() -> None:
    """Close every shared reader and forget decoded tiles and layouts (plugin unload)."""
    with _readers_lock:
        readers = list(_readers.values())
        _readers.clear()
    for r in readers:
        r.close()
    _tiles_drop()
    with _layout_lock:
        _layouts.clear()
