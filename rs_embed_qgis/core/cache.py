# SPDX-License-Identifier: GPL-2.0-or-later
"""The fast reader: a one-time, uncompressed, pixel-interleaved copy of the product on local disk.

The product is deflate-compressed in 256x256x768 tiles; a window read touches whole
tiles. ``prepare_cache`` decompresses every tile once (with the GDAL reader's own tile
decoding) into ``<cache root>/<key>/embed.f32`` (float32, row-major H x W x 768) so that
any window is then served by positional reads, which need no GDAL handle, are safe from
any number of threads and copy straight into the result array. Where the platform has no
positional I/O (``os.preadv``/``os.pwrite``), one file object under a lock does the same.

One entry per source file (keyed by its real path), tied to the file's identity (size,
mtime, inode): an entry whose source changed or vanished is removed, never served.

Integrity: preparation records a CRC-32 of every segment of the cache file, one segment
being 64 pixels of one file row (192 KB; caches made with whole 256-pixel tile columns
stay readable: the width is in the manifest), of exactly the bytes the segment holds once
written: the pixels written, and zeros where nothing was written (ocean outside the span
of a row that holds data; -0.0 ocean there reads back as +0.0, an equal number). A reader
verifies each segment the first
time it reads from it (so a first click checks a few MB, a whole-file read everything
once), and again once the cache file's stat (size, mtime, ctime, inode; one ``fstat`` per
read) differs from the one it last saw, so bytes changed after a check are not served
from the same process either. The bound of that: a rewrite that leaves all four as they
were (within one file-system timestamp tick of the last read, since ctime cannot be set
back) is seen only by the next process, as are bytes changed between a read's check and
its copy. A mismatch raises CacheError, removes the entry and closes its file, and
``FallbackReader`` then serves that read and every later one from the GeoTIFF. Entries
without checksums (older formats) are stale: rebuilt, never served unverified.
The cache only ever deletes what it created, recognised positively: entry folders named
by its key pattern that hold its manifest, and its own temporary folders once the
process that made them is gone; never the cache folder itself or anything else in it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rs_embed_qgis.core.cache_paths import cache_root, set_cache_root  # noqa: F401 (API)
from rs_embed_qgis.core.constants import AUTO_PREPARE_MIN_ITEMS, PRODUCT_BANDS
from rs_embed_qgis.core.dataset import ProductInfo, inspect_product_file
from rs_embed_qgis.core.errors import (
    CacheError,
    CancelledError,
    CorruptDataError,
    DataError,
    RsEmbedError,
)
from rs_embed_qgis.core.grid import Window
from rs_embed_qgis.core.reader import file_pieces

CACHE_FORMAT = 2  # 2: CRC-32 per segment (row x SEGMENT_COLS pixels); 1 had none
# Pixels per checksum segment (192 KiB of a row); the width is in each manifest, so caches
# made with another width (a whole 256-pixel tile before) stay readable.
SEGMENT_COLS = 64
INDEX_FOLDER = "search_index"  # core/index.py keeps its files there, by the same key
# The files core/index.py writes into an index folder (and into its temporary folder
# ``<key>.tmp-<pid>[-<id>]`` while it builds one): nothing else is ever deleted there.
INDEX_FILES = ("meta.json", "components.npy", "proj.npy", "norms.npy", "resid.npy")
LAND_KEY = "land_segments"  # manifest: packed bits, one per segment, 1 = holds land
DATA_NAME = "embed.f32"
MANIFEST_NAME = "manifest.json"
_ITEM = 4 * PRODUCT_BANDS  # bytes of one pixel's vector
# Positional reads and writes where the platform has them (not on Windows); False forces
# the portable path (one file object, seek + readinto/write under a lock).
USE_POSITIONAL_IO = hasattr(os, "preadv") and hasattr(os, "pwrite")

_KEY_RE = re.compile(r"^[0-9a-f]{16}$")
_TMP_RE = re.compile(r"^\.([0-9a-f]{16})\.tmp-(\d+)-([0-9a-f]+)$")
_INDEX_TMP_RE = re.compile(r"^([0-9a-f]{16})\.tmp-(\d+)(?:-[0-9a-f]{8})?$")
_DAY = 86400.0
CHECKSUM = "crc32"  # 10x faster than blake2b here (3.8 vs 0.37 GiB/s on 16 MiB)

_lock = threading.Lock()
_readers: dict[tuple[Any, ...], CacheReader] = {}


def _key(path: str) -> str:
    # A folder name, not a security measure.
    name = os.path.realpath(path).encode("utf-8")
    return hashlib.sha1(name, usedforsecurity=False).hexdigest()[:16]


def entry_dir(info: ProductInfo) -> Path:
    """The folder that holds (or will hold) the cache of this source file."""
    return cache_root() / _key(info.path)


def cache_bytes(info: ProductInfo) -> int:
    """Disk space the cache of this file takes."""
    return info.height * info.width * _ITEM


def _manifest_for(info: ProductInfo) -> dict[str, Any]:
    return {
        "format": CACHE_FORMAT,
        "source": info.path,
        "size": info.size,
        "mtime_ns": info.mtime_ns,
        "inode": info.inode,
        "row_off": info.row_off,
        "col_off": info.col_off,
        "height": info.height,
        "width": info.width,
        # The file's grid origin: a cache is never served for a file on another grid.
        "grid": list(info.grid.origin),
        "bands": PRODUCT_BANDS,
        "dtype": "float32",
        "layout": "HWC",
        "data": DATA_NAME,
        "bytes": cache_bytes(info),
    }


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        with open(folder / MANIFEST_NAME, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _own_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of ``folder`` if it is one of the cache's entries, else None."""
    if not _KEY_RE.match(folder.name) or folder.is_symlink() or not folder.is_dir():
        return None
    manifest = _read_manifest(folder)
    if manifest is None or manifest.get("data") != DATA_NAME or "format" not in manifest:
        return None
    return manifest


def _segments(info: ProductInfo, seg_cols: int) -> int:
    """Checksum segments per file row."""
    return -(-info.width // seg_cols)


def _checksums(manifest: dict[str, Any], info: ProductInfo) -> tuple[int, np.ndarray] | None:
    """(segment width in pixels, CRC-32 per (row, segment)) of a manifest; None if unusable."""
    seg = manifest.get("segment_cols")
    hexes = manifest.get(CHECKSUM)
    if manifest.get("checksum") != CHECKSUM or not isinstance(hexes, str):
        return None
    if not isinstance(seg, int) or isinstance(seg, bool) or seg <= 0:
        return None
    shape = (info.height, _segments(info, seg))
    if len(hexes) != 8 * shape[0] * shape[1]:
        return None
    try:
        crcs = np.frombuffer(bytes.fromhex(hexes), dtype=">u4").astype(np.uint32)
    except ValueError:
        return None
    return seg, crcs.reshape(shape)


def _land_segments(manifest: dict[str, Any], shape: tuple[int, int]) -> np.ndarray | None:
    """(rows, segments) bool: True where a segment holds a land pixel; None if not recorded.

    Recorded at preparation (caches made before have none and are read in full). A segment
    without land was never written: reads fill it with zeros without touching the file, so
    no bytes there are served, and none need checking.
    """
    hexes = manifest.get(LAND_KEY)
    n = shape[0] * shape[1]
    if not isinstance(hexes, str) or len(hexes) != 2 * (-(-n // 8)):
        return None
    try:
        bits = np.unpackbits(np.frombuffer(bytes.fromhex(hexes), dtype=np.uint8))[:n]
    except ValueError:
        return None
    return bits.astype(bool).reshape(shape)


def _matches(manifest: dict[str, Any] | None, info: ProductInfo, folder: Path) -> bool:
    if manifest is None:
        return False
    want = _manifest_for(info)
    if any(manifest.get(k) != v for k, v in want.items()):
        return False
    if _checksums(manifest, info) is None:
        return False  # no checksums (an older format): never served unverified
    try:
        return os.path.getsize(folder / DATA_NAME) == want["bytes"]
    except OSError:
        return False


def _remove_own(folder: Path) -> bool:
    """Delete an entry or temporary folder of the cache: its own files, then the folder.

    Anything else found inside stays, and so does the folder then.
    """
    for name in (DATA_NAME, MANIFEST_NAME):
        try:
            os.unlink(folder / name)
        except FileNotFoundError:
            pass
        except OSError:
            return False
    try:
        os.rmdir(folder)
    except OSError:
        return False
    return True


def _pid_alive(pid: int, folder: Path) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        # No cheap, safe liveness test: trust a temporary folder for a day.
        try:
            return time.time() - folder.stat().st_mtime < _DAY
        except OSError:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


def pid_alive(pid: int, path: Path) -> bool:
    """Whether process ``pid``, which made ``path`` (a temporary folder, a download's lock),
    may still be running; on Windows, where no cheap safe test exists, whether it is a day old."""
    return _pid_alive(pid, path)


# --------------------------------------------------------------------------- file I/O


class _PositionalFile:
    """Reads and writes at byte offsets: ``os.preadv``/``os.pwrite``, or seek under a lock."""

    def __init__(self, path: str, write: bool, size: int = 0) -> None:
        self.path = path
        self.positional = USE_POSITIONAL_IO
        self._lock = threading.Lock()
        mode = "w+b" if write else "rb"
        self._fh = open(path, mode, buffering=0)  # noqa: SIM115
        if write:
            self._fh.truncate(size)

    def will_need(self, ranges: list[tuple[int, int]]) -> None:
        """Tell the kernel these (offset, length) ranges are read next (a hint, where it exists).

        A first read verifies its pieces one after the other; announced together, a cold
        disk serves them with a deep queue instead of one 192 KB request at a time.
        """
        advise = getattr(os, "posix_fadvise", None)
        if advise is None:
            return
        try:
            fd = self._fh.fileno()
            for offset, length in ranges:
                advise(fd, offset, length, os.POSIX_FADV_WILLNEED)
        except (OSError, ValueError):
            pass  # only a hint

    def readinto(self, dest: np.ndarray, offset: int) -> None:
        view = memoryview(dest).cast("B")
        got = 0
        while got < len(view):
            if self.positional:
                n = os.preadv(self._fh.fileno(), [view[got:]], offset + got)
            else:
                with self._lock:
                    self._fh.seek(offset + got)
                    n = self._fh.readinto(view[got:]) or 0
            if n <= 0:
                raise CorruptDataError(
                    f"The cache {self.path} is truncated; it will be rebuilt on the next "
                    "preparation (or clear the cache)."
                )
            got += n

    def write(self, src: np.ndarray, offset: int) -> None:
        view = memoryview(np.ascontiguousarray(src)).cast("B")
        done = 0
        while done < len(view):
            if self.positional:
                n = os.pwrite(self._fh.fileno(), view[done:], offset + done)
            else:
                with self._lock:
                    self._fh.seek(offset + done)
                    n = self._fh.write(view[done:]) or 0
            if n <= 0:
                raise OSError(errno.EIO, "write returned nothing", self.path)
            done += n

    def sync(self) -> None:
        # No fsync: the cache is derived data, every block is checksummed at preparation
        # and verified on first read, so bytes lost in a crash are caught and rebuilt.
        # Forcing 3 GB to disk would only make the one-time preparation wait on the disk.
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def stamp(self) -> tuple[int, int, int, int] | None:
        """(size, mtime, ctime, inode) of the open file; None once it is closed."""
        try:
            st = os.fstat(self._fh.fileno())
        except (OSError, ValueError):
            return None
        return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


class CacheReader:
    """Serves windows from a prepared cache by positional reads; thread-safe.

    Every segment is checked against its CRC-32 the first time this reader reads from it,
    and again after the cache file's stat (size, mtime, ctime, inode: one ``fstat`` per
    read) changed; a mismatch raises CacheError, removes the entry and closes the file once
    no read is in flight (the bytes are never served).
    """

    name = "cache"

    def __init__(
        self, info: ProductInfo, folder: Path, manifest: dict[str, Any] | None = None
    ) -> None:
        self.info = info
        self.folder = folder
        self.path = str(folder / DATA_NAME)
        manifest = manifest if manifest is not None else _read_manifest(folder)
        sums = _checksums(manifest, info) if manifest is not None else None
        if sums is None:
            raise CacheError(f"The fast cache {folder} has no checksums; it must be rebuilt.")
        self.entry_id = manifest.get("id")
        self._seg, self._crc = sums
        self._ok = np.zeros(self._crc.shape, dtype=bool)
        self._land = _land_segments(manifest, self._crc.shape)
        self._seg_locks = [threading.Lock() for _ in range(64)]
        self._state = threading.Lock()
        self._active = 0
        self._bad: CacheError | None = None
        self._closed = False
        self._file = _PositionalFile(self.path, write=False)
        self._row_bytes = info.width * _ITEM
        self._stamp = self._file.stamp()
        self._generation = 0  # bumped when the file's stat changed: older checks count no more

    def close(self) -> None:
        """Close the cache file (the reader must not be used afterwards)."""
        with self._state:
            self._closed = True
        self._file.close()

    def __del__(self) -> None:
        f = getattr(self, "_file", None)
        if f is not None:
            try:
                f.close()
            except OSError:
                pass

    # ---- integrity

    def _enter(self) -> None:
        with self._state:
            if self._bad is not None:
                raise CacheError(str(self._bad))
            self._active += 1
        self._check_stamp()

    def _check_stamp(self) -> None:
        """Forget every segment checked so far when the cache file's stat changed.

        Something wrote to the file after it was prepared: each segment is checked again
        before its bytes are served. (The bound: a rewrite that leaves size, mtime, ctime and
        inode as they were, i.e. inside one timestamp tick of the last read, is seen only by
        the next process; and bytes changed between a read's check and its copy.)
        """
        now = self._file.stamp()
        if now is None or now == self._stamp:
            return
        with self._state:
            if now != self._stamp:
                self._stamp = now
                self._generation += 1
                self._ok[...] = False

    def _leave(self) -> None:
        with self._state:
            self._active -= 1
            close_now = self._bad is not None and self._active == 0 and not self._closed
            if close_now:
                self._closed = True
        if close_now:
            self._file.close()
            _discard_entry(self)  # again: where an open file cannot be deleted (Windows)

    def _verify(
        self, r0: int, r1: int, c0: int, c1: int, cancel: Callable[[], bool] | None = None
    ) -> None:
        """Check the segments of file rows r0..r1, columns c0..c1 not yet checked."""
        if r1 <= r0 or c1 <= c0:
            return
        t0, t1 = c0 // self._seg, (c1 - 1) // self._seg + 1
        unchecked = ~self._ok[r0:r1, t0:t1]
        if self._land is not None:
            unchecked &= self._land[r0:r1, t0:t1]  # ocean segments are never read
        todo = np.argwhere(unchecked)
        if len(todo) > 1:
            self._file.will_need(self._ranges(r0, t0, todo))
        for n, (dr, dt) in enumerate(todo.tolist()):
            if cancel is not None and n % 64 == 63 and cancel():
                raise CancelledError("Reading was cancelled.")
            self._verify_segment(r0 + dr, t0 + dt)

    def _ranges(self, r0: int, t0: int, todo: np.ndarray) -> list[tuple[int, int]]:
        """Byte ranges of segments (row r0 + dr, segment t0 + dt), neighbours in a row merged."""
        seg_bytes = self._seg * _ITEM
        out: list[tuple[int, int]] = []
        for dr, dt in todo.tolist():
            start = (r0 + dr) * self._row_bytes + (t0 + dt) * seg_bytes
            end = min(start + seg_bytes, (r0 + dr + 1) * self._row_bytes)
            if out and out[-1][0] + out[-1][1] == start:
                out[-1] = (out[-1][0], end - out[-1][0])
            else:
                out.append((start, end - start))
        return out

    def _verify_segment(self, row: int, t: int) -> None:
        lock = self._seg_locks[(row * self._crc.shape[1] + t) % len(self._seg_locks)]
        with lock:
            if self._ok[row, t]:
                return
            generation = self._generation
            c0 = t * self._seg
            c1 = min(c0 + self._seg, self.info.width)
            buf = np.empty((c1 - c0) * _ITEM, dtype=np.uint8)
            try:
                self._file.readinto(buf, row * self._row_bytes + c0 * _ITEM)
            except (CorruptDataError, OSError):  # truncated since it was prepared
                self._fail(row, c0, c1)
            if zlib.crc32(buf) != int(self._crc[row, t]):
                self._fail(row, c0, c1)
            with self._state:
                if generation == self._generation:  # else the file changed meanwhile
                    self._ok[row, t] = True

    def _fail(self, row: int, c0: int, c1: int) -> None:
        exc = CacheError(
            f"The fast cache {self.path} is damaged: file row {row}, columns {c0}..{c1 - 1} "
            "do not match the checksum recorded when it was prepared. The cache was removed "
            "and will be rebuilt by the next preparation."
        )
        with self._state:
            if self._bad is None:
                self._bad = exc
        _discard_entry(self)
        raise exc

    # ---- reads

    def read(self, window: Window, cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """(H, W, 768) float32 pixels of a global window; outside the file stays zero."""
        out = np.zeros((window.height, window.width, PRODUCT_BANDS), dtype=np.float32)
        self._enter()
        try:
            for piece, ro, co in file_pieces(self.info, window):
                if cancel is not None and cancel():
                    raise CancelledError("Reading was cancelled.")
                fr0 = piece.row0 - self.info.row_off
                fc0 = piece.col0 - self.info.col_off
                self._verify(fr0, fr0 + piece.height, fc0, fc0 + piece.width, cancel)
                if self._land is not None:
                    for k in range(piece.height):
                        dst = out[ro + k, co : co + piece.width]
                        self._read_land(fr0 + k, fc0, fc0 + piece.width, dst)
                    continue
                if piece.width == self.info.width and piece.width == window.width:
                    # Whole rows of the file: one contiguous read.
                    self._file.readinto(out[ro : ro + piece.height], fr0 * self._row_bytes)
                    continue
                for k in range(piece.height):
                    offset = (fr0 + k) * self._row_bytes + fc0 * _ITEM
                    self._file.readinto(out[ro + k, co : co + piece.width], offset)
        finally:
            self._leave()
        return out

    def read_cells(
        self, row: int, col0: int, col1: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 768) pixels of one global row, columns col0..col1 (no wrap), into ``out``."""
        if out is None:
            out = np.empty((col1 - col0, PRODUCT_BANDS), dtype=np.float32)
        fr, fc = row - self.info.row_off, col0 - self.info.col_off
        self._enter()
        try:
            self._verify(fr, fr + 1, fc, fc + (col1 - col0))
            if self._land is None:
                self._file.readinto(out, fr * self._row_bytes + fc * _ITEM)
            else:
                self._read_land(fr, fc, fc + (col1 - col0), out)
        finally:
            self._leave()
        return out

    def _read_land(self, fr: int, c0: int, c1: int, dst: np.ndarray) -> None:
        """File row ``fr``, columns c0..c1 into ``dst``: the runs of land segments read, the
        rest (segments without land, never written) zeros."""
        seg = self._seg
        t0, t1 = c0 // seg, (c1 - 1) // seg + 1
        land = self._land[fr, t0:t1]
        if land.all():
            self._file.readinto(dst, fr * self._row_bytes + c0 * _ITEM)
            return
        dst[...] = 0
        if not land.any():
            return
        # Runs of consecutive land segments, clipped to c0..c1: one read each.
        edges = np.flatnonzero(np.diff(np.concatenate(([0], land.view(np.int8), [0]))))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            lo = max(c0, (t0 + int(a)) * seg)
            hi = min(c1, (t0 + int(b)) * seg)
            self._file.readinto(dst[lo - c0 : hi - c0], fr * self._row_bytes + lo * _ITEM)


def _discard_entry(reader: CacheReader) -> None:
    """Forget a damaged reader and delete its entry (only if it is still the same entry)."""
    with _lock:
        for k in [k for k, r in _readers.items() if r is reader]:
            del _readers[k]
    manifest = _own_manifest(reader.folder)
    if manifest is not None and manifest.get("id") == reader.entry_id:
        _remove_own(reader.folder)


class FallbackReader:
    """The prepared cache, switching for good to the direct reader when the cache fails.

    A CacheError of the cache (a segment that fails its checksum) is never passed on: the
    read is served by ``direct()`` (the GeoTIFF through GDAL) and so is every later one;
    ``warning`` then says why, and ``name`` is the direct reader's.
    """

    def __init__(self, cache: CacheReader, direct: Callable[[], Any]) -> None:
        self.info = cache.info
        self.cache = cache
        self._direct_factory = direct
        self._direct: Any = None
        self._lock = threading.Lock()
        self.warning: str | None = None

    @property
    def name(self) -> str:
        """``cache`` until the cache failed, then the direct reader's name."""
        return self.cache.name if self._direct is None else self._direct.name

    def _switch(self, exc: CacheError) -> Any:
        with self._lock:
            if self._direct is None:
                self._direct = self._direct_factory()
                self.warning = f"The fast cache is not used; reading the file directly: {exc}"
            return self._direct

    def read(self, window: Window, cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Pixels of the window from the cache, or from the file once the cache failed."""
        direct = self._direct
        if direct is None:
            try:
                return self.cache.read(window, cancel)
            except CacheError as exc:
                direct = self._switch(exc)
        return direct.read(window, cancel)

    def read_cells(
        self, row: int, col0: int, col1: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 768) pixels of one global row, as CacheReader.read_cells, with the fallback."""
        direct = self._direct
        if direct is None:
            try:
                return self.cache.read_cells(row, col0, col1, out)
            except CacheError as exc:
                direct = self._switch(exc)
        return direct.read_cells(row, col0, col1, out)

    def close(self) -> None:
        """Nothing to release: the cache reader and the GDAL readers are shared."""


def open_cached_reader(info: ProductInfo) -> CacheReader | None:
    """A reader on the prepared cache of this file, or None; removes a stale entry."""
    key = info.identity
    with _lock:
        hit = _readers.get(key)
    if hit is not None:
        return hit
    folder = entry_dir(info)
    manifest = _own_manifest(folder)
    if manifest is None:
        return None
    if not _matches(manifest, info, folder):
        # The source changed (or the entry is broken): never serve it.
        if manifest.get("source") == info.path:
            _remove_own(folder)
        return None
    try:
        reader = CacheReader(info, folder, manifest)
    except (OSError, CacheError):
        return None
    with _lock:
        hit = _readers.setdefault(key, reader)
    if hit is not reader:
        reader.close()  # another thread opened it first: one reader (one check) per entry
    return hit


def close_cached_readers() -> None:
    """Close every open cache file of this process (plugin unload; a removed cache)."""
    with _lock:
        readers = list(_readers.values())
        _readers.clear()
    for reader in readers:
        try:
            reader.close()
        except OSError:
            pass


def cache_status(path: str | os.PathLike) -> dict[str, Any]:
    """Where the cache of a product file lives, whether it is ready, and its size."""
    info = inspect_product_file(path)
    folder = entry_dir(info)
    ready = _matches(_own_manifest(folder), info, folder)
    try:
        free = shutil.disk_usage(_existing_parent(folder)).free
    except OSError:
        free = 0
    return {
        "ready": ready,
        "folder": str(folder),
        "bytes": cache_bytes(info),
        "free_bytes": free,
        "source": info.path,
    }


def _existing_parent(p: Path) -> Path:
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def cleanup_cache() -> list[str]:
    """Remove entries whose source vanished or changed, and temporary folders of dead processes."""
    root = cache_root()
    removed: list[str] = []
    try:
        children = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        return removed
    for folder in children:
        tmp = _TMP_RE.match(folder.name)
        if tmp is not None:
            if (
                not folder.is_symlink()
                and folder.is_dir()
                and not _pid_alive(int(tmp.group(2)), folder)
                and _remove_own(folder)
            ):
                removed.append(str(folder))
            continue
        manifest = _own_manifest(folder)
        if manifest is None:
            continue  # not ours: never touched
        src = manifest.get("source")
        stale = True
        if isinstance(src, str) and os.path.isfile(src):
            try:
                stale = not _matches(manifest, inspect_product_file(src), folder)
            except (DataError, OSError):
                stale = True
        if stale and _remove_own(folder):
            removed.append(str(folder))
    removed += reclaim_index_temporaries(root / INDEX_FOLDER)
    with _lock:
        for k in [k for k, r in _readers.items() if not r.folder.exists()]:
            del _readers[k]
    return removed


def should_prepare(policy: bool | str, info: ProductInfo, n_items: int) -> bool:
    """Whether a batch should build the cache first (``auto``: big batch and room on disk)."""
    if policy is True:
        return True
    if policy is False or policy == "never":
        return False
    if n_items < AUTO_PREPARE_MIN_ITEMS:
        return False
    folder = entry_dir(info)
    try:
        free = shutil.disk_usage(_existing_parent(folder)).free
    except OSError:
        return False
    return free > cache_bytes(info) * 1.1 + 512 * 1024**2


def cache_error(exc: OSError, path: str | os.PathLike) -> CacheError:
    """A CacheError that names the cause of an OSError in words, and the path."""
    where = os.fspath(exc.filename) if exc.filename else os.fspath(path)
    code = exc.errno
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        cause = f"no space left on the disk of {where}"
    elif code == errno.EROFS:
        cause = f"{where} is on a read-only disk"
    elif code in (errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError):
        cause = f"permission denied for {where}"
    elif code in (errno.ENOTDIR, errno.EEXIST) or isinstance(
        exc, (NotADirectoryError, FileExistsError)
    ):
        cause = f"{where} is not a folder"
    else:
        cause = f"{exc.strerror or exc} ({where})"
    return CacheError(
        f"The fast cache could not be prepared: {cause}. Free some space or choose another "
        "cache folder; reading works without the cache, only slower."
    )


def prepare_cache(
    path: str | os.PathLike,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    workers: int = 2,
) -> dict[str, Any]:
    """Decompress the product once into the cache; atomic, cancellable, idempotent.

    Returns ``cache_status``. Raises CancelledError (leaving nothing behind) when
    ``cancel()`` turns true, CacheError when the cache cannot be written (no space,
    read-only, no permission, not a folder).
    """
    info = inspect_product_file(path)
    folder = entry_dir(info)
    try:
        return _prepare(info, folder, progress, cancel, workers)
    except RsEmbedError:
        raise
    except OSError as exc:
        raise cache_error(exc, folder) from exc


def _prepare(
    info: ProductInfo,
    folder: Path,
    progress: Callable[[float, str], None] | None,
    cancel: Callable[[], bool] | None,
    workers: int,
) -> dict[str, Any]:
    from rs_embed_qgis.core.gdal_reader import GdalReader

    report_fn = progress or (lambda f, m: None)
    is_cancelled = cancel or (lambda: False)
    cleanup_cache()
    if open_cached_reader(info) is not None:
        report_fn(1.0, "Cache ready")
        return cache_status(info.path)
    root = folder.parent
    if root.exists() and not root.is_dir():
        raise CacheError(
            f"The fast cache could not be prepared: {root} is not a folder. "
            "Choose another cache folder."
        )
    root.mkdir(parents=True, exist_ok=True)
    if folder.exists() and _own_manifest(folder) is None:
        raise CacheError(
            f"The fast cache could not be prepared: {folder} exists and was not made by the "
            "cache; move it away or choose another cache folder."
        )
    need = cache_bytes(info)
    free = shutil.disk_usage(root).free
    if free < need + 256 * 1024**2:
        raise CacheError(
            f"Preparing the fast cache needs {need / 1024**3:.1f} GB in {root}, but only "
            f"{free / 1024**3:.1f} GB are free (no space left on it for the cache). Free "
            "some space or choose another cache folder."
        )
    tmp = root / f".{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    reader = GdalReader(info)
    try:
        data = _PositionalFile(str(tmp / DATA_NAME), write=True, size=need)
        try:
            seg, crcs, land_segs = _fill_cache(
                reader, data, info, report_fn, is_cancelled, workers, root
            )
            data.sync()
        finally:
            data.close()
        manifest = {
            **_manifest_for(info),
            "created": time.time(),
            "id": uuid.uuid4().hex,
            "checksum": CHECKSUM,
            "segment_cols": seg,
            CHECKSUM: crcs.astype(">u4").tobytes().hex(),
            LAND_KEY: np.packbits(land_segs.ravel()).tobytes().hex(),
        }
        with open(tmp / MANIFEST_NAME, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        if inspect_product_file(info.path).identity != info.identity:
            raise CacheError(f"{info.path} changed while the cache was prepared; try again.")
        if _own_manifest(folder) is not None:
            _remove_own(folder)
        try:
            os.replace(tmp, folder)
        except OSError:
            # Another process finished the same preparation first: keep its copy.
            if not _matches(_own_manifest(folder), info, folder):
                raise
            _remove_own(tmp)
    except BaseException:
        _remove_own(tmp)
        raise
    finally:
        reader.close()
    report_fn(1.0, "Cache ready")
    return cache_status(info.path)


class _Zeros:
    """CRC-32s of runs of zero bytes (what the unwritten parts of the cache read back as)."""

    def __init__(self, nbytes: int) -> None:
        self.view = memoryview(bytes(nbytes))
        self._full: dict[int, int] = {}  # CRC-32 of n zero bytes, for whole segments

    def crc(self, nbytes: int, crc: int = 0) -> int:
        """CRC-32 of ``nbytes`` zero bytes continuing ``crc``."""
        if nbytes <= 0:
            return crc
        if crc == 0:
            hit = self._full.get(nbytes)
            if hit is None:
                hit = self._full[nbytes] = zlib.crc32(self.view[:nbytes])
            return hit
        return zlib.crc32(self.view[:nbytes], crc)


def _written_crc(row: np.ndarray, j: int, e: int, a: int, b: int, zeros: _Zeros) -> int:
    """CRC-32 of the bytes of the cache's segment ``row[j:e]`` once pixels [a, b) are written.

    The rest reads back as zero bytes (the file was made at full size), whatever the row
    holds there: -0.0 ocean is stored as +0.0. Chained, so no copy of the row is made.
    """
    lo, hi = min(max(a, j), e), max(min(b, e), j)
    if lo >= hi:  # nothing written in this segment
        return zeros.crc((e - j) * _ITEM)
    crc = zeros.crc((lo - j) * _ITEM)
    crc = zlib.crc32(row[lo:hi], crc)
    return zeros.crc((e - hi) * _ITEM, crc)


def _fill_cache(
    reader: Any,
    data: _PositionalFile,
    info: ProductInfo,
    report_fn: Callable[[float, str], None],
    is_cancelled: Callable[[], bool],
    workers: int,
    root: Path,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Decode every tile (two threads) and write it row by row at its place in the cache.

    Returns (segment width, CRC-32 of every (row, segment) segment, which segments hold
    land): each CRC-32 of exactly the bytes that segment of the cache file holds.
    """
    blocks = reader.blocks()
    row_bytes = info.width * _ITEM
    tile = int(reader.block_w)
    # Segments narrower than a tile: a first read verifies less than it does not need.
    seg = SEGMENT_COLS if tile % SEGMENT_COLS == 0 else tile
    crcs = np.zeros((info.height, _segments(info, seg)), dtype=np.uint32)
    land_segs = np.zeros(crcs.shape, dtype=bool)
    for _r0, _r1, c0, c1 in blocks:
        if c0 % tile or c1 != min(c0 + tile, info.width):
            raise CacheError(f"The tiles of {info.path} are irregular; it cannot be cached.")
    zeros = _Zeros(seg * _ITEM)
    stop = threading.Event()  # a failure in one worker stops the others
    state = {"done": 0, "last": 0.0}
    lock = threading.Lock()

    def stopped() -> bool:
        return stop.is_set() or is_cancelled()

    def report(fraction: float, message: str) -> None:
        # Called with ``lock`` held, so the reported fractions only ever grow.
        if fraction >= state["last"]:
            state["last"] = fraction
            report_fn(fraction, message)

    report(0.0, f"Preparing the fast cache ({cache_bytes(info) / 1024**3:.1f} GB in {root})")

    def work(block: tuple[int, int, int, int]) -> None:
        if stopped():
            return
        r0, r1, c0, c1 = block
        try:
            pixels = reader.file_block(r0, r1, c0, c1, cancel=stopped)
            t = c0 // seg
            width = c1 - c0
            for k in range(r1 - r0):
                if k % 32 == 0 and stopped():
                    return
                row = np.ascontiguousarray(pixels[k])
                has_data = row.any(axis=1)  # -0.0 is no data, as +0.0
                # Only the span from the first to the last pixel with data is written: the
                # file was made at full size, so what is not written (ocean, about 70 % of
                # the globe) reads back as +0.0 and costs the disk nothing where holes
                # are supported.
                land = np.flatnonzero(has_data)
                a, b = (int(land[0]), int(land[-1]) + 1) if land.size else (width, width)
                if a < b:
                    data.write(row[a:b], (r0 + k) * row_bytes + (c0 + a) * _ITEM)
                for j in range(0, width, seg):
                    e = min(j + seg, width)
                    crcs[r0 + k, t + j // seg] = _written_crc(row, j, e, a, b, zeros)
                    land_segs[r0 + k, t + j // seg] = has_data[j:e].any()
        except CancelledError:
            return
        except BaseException:
            stop.set()
            raise
        del pixels
        with lock:
            state["done"] += 1
            n = state["done"]
            report(n / len(blocks), f"Prepared block {n} of {len(blocks)}")

    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="rs_embed_cache") as ex:
        futures = [ex.submit(work, b) for b in blocks]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]
    if is_cancelled() or state["done"] != len(blocks):
        raise CancelledError("Cache preparation was cancelled; nothing was kept.")
    return seg, crcs, land_segs


def reclaim_index_temporaries(index_root: Path, key: str | None = None) -> list[str]:
    """Delete the temporary folders of search-index builds whose process is gone.

    Only a folder named ``<key>.tmp-<pid>[-<id>]`` that holds nothing but the index's own
    files (recognised positively); anything else in it keeps the folder. ``key`` limits it
    to one product file's index.
    """
    removed: list[str] = []
    try:
        children = list(index_root.iterdir()) if index_root.is_dir() else []
    except OSError:
        return removed
    for folder in children:
        m = _INDEX_TMP_RE.match(folder.name)
        if m is None or (key is not None and m.group(1) != key):
            continue
        if folder.is_symlink() or not folder.is_dir() or _pid_alive(int(m.group(2)), folder):
            continue
        try:
            inside = list(folder.iterdir())
        except OSError:
            continue
        if any(p.name not in INDEX_FILES or p.is_symlink() or not p.is_file() for p in inside):
            continue  # not only the index's files: not ours to delete
        try:
            for p in inside:
                os.unlink(p)
            os.rmdir(folder)
        except OSError:
            continue
        removed.append(str(folder))
    return removed


def _remove_search_index(folder: Path) -> None:
    """Delete a search index folder (core/index.py) of this cache root: only one holding the
    index's own meta.json, as it wrote it; never anything else."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(meta, dict) and "identity" in meta and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)


def clear_cache(path: str | os.PathLike | None = None, index: bool = True) -> None:
    """Delete the cache of one product file, or every entry of the cache (never other files).

    ``index`` False keeps the search index of ``path`` (the dock asks before removing it).
    """
    with _lock:
        readers = list(_readers.values())
        _readers.clear()
    del readers  # their files close when the last user lets go
    if path is not None:
        folder = entry_dir(inspect_product_file(path))
        if _own_manifest(folder) is not None:
            _remove_own(folder)
        if index:
            _remove_search_index(cache_root() / INDEX_FOLDER / folder.name)
            reclaim_index_temporaries(cache_root() / INDEX_FOLDER, folder.name)
        return
    root = cache_root()
    index_root = root / INDEX_FOLDER
    reclaim_index_temporaries(index_root)
    if index_root.is_dir():
        for folder in list(index_root.iterdir()):
            if _INDEX_TMP_RE.match(folder.name) is None:  # a build may be running there
                _remove_search_index(folder)
    try:
        children = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        return
    for folder in children:
        if _own_manifest(folder) is not None:
            _remove_own(folder)
