"""The fast reader: a one-time, uncompressed, pixel-interleaved copy of the product on local disk.

The product is deflate-compressed in 256x256x768 tiles (~3 s to decompress each); a
window read through TorchGeo touches whole tiles. ``prepare_cache`` decompresses every
tile once into ``<cache root>/<key>/embed.f32`` (float32, row-major H x W x 768) so that
any window is then served by positional reads (``os.preadv``), which need no GDAL handle,
are safe from any number of threads and copy straight into the result array.

One entry per source file (keyed by its real path), tied to the file's identity (size,
mtime, inode): an entry whose source changed or vanished is removed, never served.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import ENV_CACHE_DIR, PRODUCT_BANDS
from rs_embed_qgis.core.dataset import ProductInfo, corrupt_message, inspect_product_file
from rs_embed_qgis.core.errors import CacheError, CancelledError, CorruptDataError
from rs_embed_qgis.core.grid import Window
from rs_embed_qgis.core.reader import file_pieces

CACHE_FORMAT = 1
DATA_NAME = "embed.f32"
MANIFEST_NAME = "manifest.json"
# Batches of at least this many items prepare the cache first when prepare_cache="auto".
AUTO_PREPARE_MIN_ITEMS = 8
_ITEM = 4 * PRODUCT_BANDS  # bytes of one pixel's vector

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
            return json.load(fh)
    except (OSError, ValueError):
        return None


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


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


class CacheReader:
    """Serves windows from a prepared cache by positional reads; thread-safe."""

    name = "cache"

    def __init__(self, info: ProductInfo, folder: Path) -> None:
        self.info = info
        self.folder = folder
        self.path = str(folder / DATA_NAME)
        self._fd = os.open(self.path, os.O_RDONLY)
        self._row_bytes = info.width * _ITEM

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def read(self, window: Window) -> np.ndarray:
        """(H, W, 768) float32 pixels of a global window; outside the file stays zero."""
        out = np.zeros((window.height, window.width, PRODUCT_BANDS), dtype=np.float32)
        for piece, ro, co in file_pieces(self.info, window):
            fr0 = piece.row0 - self.info.row_off
            fc0 = piece.col0 - self.info.col_off
            if piece.width == self.info.width and piece.width == window.width:
                # Whole rows of the file: one contiguous read.
                self._pread(out[ro : ro + piece.height], fr0 * self._row_bytes)
                continue
            for k in range(piece.height):
                offset = (fr0 + k) * self._row_bytes + fc0 * _ITEM
                self._pread(out[ro + k, co : co + piece.width], offset)
        return out

    def read_cells(
        self, row: int, col0: int, col1: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 768) pixels of one global row, columns col0..col1 (no wrap), into ``out``."""
        if out is None:
            out = np.empty((col1 - col0, PRODUCT_BANDS), dtype=np.float32)
        offset = (row - self.info.row_off) * self._row_bytes + (col0 - self.info.col_off) * _ITEM
        self._pread(out, offset)
        return out

    def _pread(self, dest: np.ndarray, offset: int) -> None:
        view = memoryview(dest).cast("B")
        got = 0
        while got < len(view):
            n = os.preadv(self._fd, [view[got:]], offset + got)
            if n <= 0:
                raise CorruptDataError(
                    f"The cache {self.path} is truncated; it will be rebuilt on the next "
                    "preparation (or delete it)."
                )
            got += n


def open_cached_reader(info: ProductInfo) -> CacheReader | None:
    """A reader on the prepared cache of this file, or None; removes a stale entry."""
    key = info.identity
    with _lock:
        hit = _readers.get(key)
    if hit is not None:
        return hit
    folder = entry_dir(info)
    if not folder.exists():
        return None
    manifest = _read_manifest(folder)
    if not _matches(manifest, info, folder):
        # The source changed (or the entry is broken): never serve it.
        if manifest is None or manifest.get("source") == info.path:
            _remove(folder)
        return None
    reader = CacheReader(info, folder)
    with _lock:
        _readers[key] = reader
    return reader


def cache_status(path: str | os.PathLike) -> dict[str, Any]:
    """Where the cache of a product file lives, whether it is ready, and its size."""
    info = inspect_product_file(path)
    folder = entry_dir(info)
    ready = _matches(_read_manifest(folder), info, folder)
    free = shutil.disk_usage(_existing_parent(folder)).free
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
    """Remove entries whose source vanished or changed, and abandoned temporary folders."""
    root = cache_root()
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        if folder.name.startswith("."):
            # A preparation that died; live ones belong to running processes, so keep
            # those of the last day.
            if time.time() - folder.stat().st_mtime > 86400:
                _remove(folder)
                removed.append(str(folder))
            continue
        manifest = _read_manifest(folder)
        src = (manifest or {}).get("source")
        stale = True
        if src and os.path.isfile(src):
            try:
                stale = not _matches(manifest, inspect_product_file(src), folder)
            except (CorruptDataError, OSError):
                stale = True
        if stale:
            _remove(folder)
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


def _blocks(info: ProductInfo, block: int) -> list[tuple[int, int, int, int]]:
    return [
        (r, min(r + block, info.height), c, min(c + block, info.width))
        for r in range(0, info.height, block)
        for c in range(0, info.width, block)
    ]


def prepare_cache(
    path: str | os.PathLike,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    workers: int = 2,
) -> dict[str, Any]:
    """Decompress the product once into the cache; atomic, cancellable, idempotent.

    Returns ``cache_status``. Raises CancelledError (leaving nothing behind) when
    ``cancel()`` turns true, CacheError when the disk is too small.
    """
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.windows import Window as RioWindow

    info = inspect_product_file(path)
    report = progress or (lambda f, m: None)
    is_cancelled = cancel or (lambda: False)
    cleanup_cache()
    if open_cached_reader(info) is not None:
        report(1.0, "Cache ready")
        return cache_status(info.path)
    folder = entry_dir(info)
    root = folder.parent
    root.mkdir(parents=True, exist_ok=True)
    need = cache_bytes(info)
    free = shutil.disk_usage(root).free
    if free < need + 256 * 1024**2:
        raise CacheError(
            f"Preparing the fast cache needs {need / 1024**3:.1f} GB in {root}, but only "
            f"{free / 1024**3:.1f} GB are free. Free some space or choose another cache folder."
        )
    tmp = root / f".{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        data_path = tmp / DATA_NAME
        fd = os.open(data_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, need)
            blocks = _blocks(info, 256)
            done = 0
            lock = threading.Lock()
            local = threading.local()
            report(0.0, f"Preparing the fast cache ({need / 1024**3:.1f} GB in {root})")

            def work(b: tuple[int, int, int, int]) -> None:
                nonlocal done
                if is_cancelled():
                    return
                r0, r1, c0, c1 = b
                src = getattr(local, "src", None)
                if src is None:
                    src = local.src = rasterio.open(info.path)  # one handle per thread
                # Decoded straight into a pixel-interleaved buffer (rasterio honours the
                # strides of the transposed view): no second copy of the ~200 MB tile.
                hwc = np.empty((r1 - r0, c1 - c0, PRODUCT_BANDS), dtype=np.float32)
                try:
                    src.read(window=RioWindow(c0, r0, c1 - c0, r1 - r0), out=hwc.transpose(2, 0, 1))
                except RasterioError as exc:
                    raise CorruptDataError(corrupt_message(info.path, str(exc))) from exc
                row_bytes = info.width * _ITEM
                for k in range(r1 - r0):
                    os.pwrite(fd, hwc[k].data, (r0 + k) * row_bytes + c0 * _ITEM)
                del hwc
                with lock:
                    done += 1
                    n = done
                report(n / len(blocks), f"Prepared block {n} of {len(blocks)}")

            # Each worker's rasterio handle lives in its thread-local and closes with it.
            # A small GDAL block cache: each tile is decoded once, whole, so caching it
            # would only add ~200 MB per tile to the process's memory.
            with rasterio.Env(GDAL_CACHEMAX=64), ThreadPoolExecutor(max(1, workers)) as ex:
                list(ex.map(work, blocks))
            if is_cancelled():
                raise CancelledError("Cache preparation was cancelled; nothing was kept.")
            os.fsync(fd)
        finally:
            os.close(fd)
        with open(tmp / MANIFEST_NAME, "w", encoding="utf-8") as fh:
            json.dump({**_manifest_for(info), "created": time.time()}, fh, indent=1)
        if inspect_product_file(info.path).identity != info.identity:
            raise CacheError(f"{info.path} changed while the cache was prepared; try again.")
        _remove(folder)
        try:
            os.replace(tmp, folder)
        except OSError:
            # Another process finished the same preparation first: keep its copy.
            if not _matches(_read_manifest(folder), info, folder):
                raise
            _remove(tmp)
    except BaseException:
        _remove(tmp)
        raise
    report(1.0, "Cache ready")
    return cache_status(info.path)


def clear_cache(path: str | os.PathLike | None = None) -> None:
    """Delete the cache of one product file, or the whole cache folder."""
    with _lock:
        _readers.clear()
    if path is None:
        _remove(cache_root())
        return
    _remove(entry_dir(inspect_product_file(path)))
