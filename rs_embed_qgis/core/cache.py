"""The fast reader: a one-time, uncompressed, pixel-interleaved copy of the product on local disk.

The product is deflate-compressed in 256x256x768 tiles; a window read touches whole
tiles. ``prepare_cache`` decompresses every tile once (with the GDAL reader's own tile
decoding) into ``<cache root>/<key>/embed.f32`` (float32, row-major H x W x 768) so that
any window is then served by positional reads, which need no GDAL handle, are safe from
any number of threads and copy straight into the result array. Where the platform has no
positional I/O (``os.preadv``/``os.pwrite``), one file object under a lock does the same.

One entry per source file (keyed by its real path), tied to the file's identity (size,
mtime, inode): an entry whose source changed or vanished is removed, never served.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import ENV_CACHE_DIR, PRODUCT_BANDS
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

CACHE_FORMAT = 1
DATA_NAME = "embed.f32"
MANIFEST_NAME = "manifest.json"
# Batches of at least this many items prepare the cache first when prepare_cache="auto".
AUTO_PREPARE_MIN_ITEMS = 8
_ITEM = 4 * PRODUCT_BANDS  # bytes of one pixel's vector
# Positional reads and writes where the platform has them (not on Windows); False forces
# the portable path (one file object, seek + readinto/write under a lock).
USE_POSITIONAL_IO = hasattr(os, "preadv") and hasattr(os, "pwrite")

_KEY_RE = re.compile(r"^[0-9a-f]{16}$")
_TMP_RE = re.compile(r"^\.([0-9a-f]{16})\.tmp-(\d+)-([0-9a-f]+)$")
_DAY = 86400.0

_root_override: str | None = None
_lock = threading.Lock()
_readers: dict[tuple[Any, ...], CacheReader] = {}


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


def _key(path: str) -> str:
    return hashlib.sha1(os.path.realpath(path).encode("utf-8")).hexdigest()[:16]


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


def _matches(manifest: dict[str, Any] | None, info: ProductInfo, folder: Path) -> bool:
    if manifest is None:
        return False
    want = _manifest_for(info)
    if any(manifest.get(k) != v for k, v in want.items()):
        return False
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
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


class CacheReader:
    """Serves windows from a prepared cache by positional reads; thread-safe."""

    name = "cache"

    def __init__(self, info: ProductInfo, folder: Path) -> None:
        self.info = info
        self.folder = folder
        self.path = str(folder / DATA_NAME)
        self._file = _PositionalFile(self.path, write=False)
        self._row_bytes = info.width * _ITEM

    def close(self) -> None:
        """Close the cache file (the reader must not be used afterwards)."""
        self._file.close()

    def __del__(self) -> None:
        f = getattr(self, "_file", None)
        if f is not None:
            try:
                f.close()
            except OSError:
                pass

    def read(self, window: Window, cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """(H, W, 768) float32 pixels of a global window; outside the file stays zero."""
        out = np.zeros((window.height, window.width, PRODUCT_BANDS), dtype=np.float32)
        for piece, ro, co in file_pieces(self.info, window):
            if cancel is not None and cancel():
                raise CancelledError("Reading was cancelled.")
            fr0 = piece.row0 - self.info.row_off
            fc0 = piece.col0 - self.info.col_off
            if piece.width == self.info.width and piece.width == window.width:
                # Whole rows of the file: one contiguous read.
                self._file.readinto(out[ro : ro + piece.height], fr0 * self._row_bytes)
                continue
            for k in range(piece.height):
                offset = (fr0 + k) * self._row_bytes + fc0 * _ITEM
                self._file.readinto(out[ro + k, co : co + piece.width], offset)
        return out

    def read_cells(
        self, row: int, col0: int, col1: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 768) pixels of one global row, columns col0..col1 (no wrap), into ``out``."""
        if out is None:
            out = np.empty((col1 - col0, PRODUCT_BANDS), dtype=np.float32)
        offset = (row - self.info.row_off) * self._row_bytes + (col0 - self.info.col_off) * _ITEM
        self._file.readinto(out, offset)
        return out


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
        reader = CacheReader(info, folder)
    except OSError:
        return None
    with _lock:
        _readers[key] = reader
    return reader


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
            _fill_cache(reader, data, info, report_fn, is_cancelled, workers, root)
            data.sync()
        finally:
            data.close()
        with open(tmp / MANIFEST_NAME, "w", encoding="utf-8") as fh:
            json.dump({**_manifest_for(info), "created": time.time()}, fh, indent=1)
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


def _fill_cache(
    reader: Any,
    data: _PositionalFile,
    info: ProductInfo,
    report_fn: Callable[[float, str], None],
    is_cancelled: Callable[[], bool],
    workers: int,
    root: Path,
) -> None:
    """Decode every tile (two threads) and write it row by row at its place in the cache."""
    blocks = reader.blocks()
    row_bytes = info.width * _ITEM
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
            for k in range(r1 - r0):
                if k % 32 == 0 and stopped():
                    return
                data.write(pixels[k], (r0 + k) * row_bytes + c0 * _ITEM)
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


def clear_cache(path: str | os.PathLike | None = None) -> None:
    """Delete the cache of one product file, or every entry of the cache (never other files)."""
    with _lock:
        readers = list(_readers.values())
        _readers.clear()
    del readers  # their files close when the last user lets go
    if path is not None:
        folder = entry_dir(inspect_product_file(path))
        if _own_manifest(folder) is not None:
            _remove_own(folder)
        return
    root = cache_root()
    try:
        children = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        return
    for folder in children:
        if _own_manifest(folder) is not None:
            _remove_own(folder)
