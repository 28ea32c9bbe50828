# SPDX-License-Identifier: GPL-2.0-or-later
"""A compact search index of the product: every vector projected on 64 components, float16.

Reading the 3.2 GB of full vectors is what makes a global search slow when they are not
in the page cache; the index is about 2 bytes x 64 per pixel (133 MB for the globe). It
holds, per pixel, the projection ``p = C x`` on the top right-singular vectors ``C`` of
the (uncentred) vectors, the norm ``|x|`` and an upper bound of the residual
``|x - C^T p|``. For a reference ``r`` with ``q = C r``,

    x . r = p . q + e_x . e_r,   |e_x . e_r| <= |e_x| |e_r|,

so each approximate cosine comes with a guaranteed error bound (float16 rounding of
``p`` included). ``similar_places_indexed`` uses the bounds to return the *exact* top-k:
candidates are ranked on the index, then re-scored on their full vectors until the
greedy spacing provably cannot change.

Stored under the cache root in ``search_index/<key>/`` with its own ``meta.json`` (the
source file's identity), so the cache's cleanup never mistakes it for a cache entry.

Integrity, like the cache's: ``meta.json`` records each file's size and a CRC-32 of every
4 MiB block, computed from the bytes as they are written. ``load_index`` checks them all
(about 140 MB, a fraction of a second) the first time a process uses the index, and again
whenever a file's stat (size, mtime, ctime, inode) differs from the one it checked; a
damaged, partial or older (unchecked) index is refused with one sentence for the log, and
``index_for`` rebuilds it when building is allowed (else callers read exact scores). The
same bound as the cache's applies: a change that leaves every stat field as it was (a
rewrite within the file system's timestamp tick of the last check) is not seen until the
next process. A killed build leaves ``<key>.tmp-<pid>[-<id>]/``, reclaimed by the next
build, ``cleanup_cache()`` and ``clear_cache()`` once its process is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import PRODUCT_BANDS
from rs_embed_qgis.core.errors import CacheError, NoCoverageError, SpecError
from rs_embed_qgis.core.grid import TORCHGEO_GRID, Window

INDEX_VERSION = 2  # 2: per-block CRC-32 of every file in meta.json; 1 had none
INDEX_COMPONENTS = 64
INDEX_FIT_PIXELS = 100_000
_F16_REL = 2.0**-11  # relative rounding of float16
_SLACK = 1e-5  # relative float32 error allowance of the residuals
CHECKSUM = "crc32"
BLOCK_BYTES = 1 << 22  # one CRC-32 per 4 MiB of each file
ARRAYS = ("components", "proj", "norms", "resid")  # <name>.npy, in meta.json's "files"
META_NAME = "meta.json"

LogFn = Callable[[str], None]
_lock = threading.Lock()
# folder -> (stat stamp of its files, index or None, refusal sentence or None): each
# index is checked once per process, and again when a file's stat changes.
_checked: dict[str, tuple[tuple[Any, ...], SearchIndex | None, str | None]] = {}


def index_dir(info: Any) -> Path:
    """Where the index of a product file lives."""
    from rs_embed_qgis.core.cache import INDEX_FOLDER, _key, cache_root

    return cache_root() / INDEX_FOLDER / _key(info.path)  # clear_cache() removes it too


def _identity(info: Any) -> list[Any]:
    return [str(v) for v in info.identity]


def _grid(info: Any) -> list[float]:
    """The file's grid origin: an index of another grid is never used."""
    return list(getattr(info, "grid", TORCHGEO_GRID).origin)


@dataclass
class SearchIndex:
    """The compact index of one product file (arrays over the file's window)."""

    window: Window
    components: np.ndarray  # (C, 768) float32, orthonormal rows
    proj: np.ndarray  # (H, W, C) float16
    norms: np.ndarray  # (H, W) float32, 0 = ocean
    resid: np.ndarray  # (H, W) float32, upper bound of |x - C^T p|

    @property
    def nbytes(self) -> int:
        """Bytes of the index arrays."""
        return int(self.proj.nbytes + self.norms.nbytes + self.resid.nbytes)

    def _sub(self, scope: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(proj, norms, resid) of a scope inside the file window (columns may wrap)."""
        w = self.window
        rows = slice(scope.row0 - w.row0, scope.row1 - w.row0)
        cols = (np.arange(scope.col0, scope.col1) - w.col0) % max(1, w.width)
        if w.width == 1440 or (scope.col0 >= w.col0 and scope.col1 <= w.col1):
            if scope.col0 >= w.col0 and scope.col1 <= w.col1:
                c = slice(scope.col0 - w.col0, scope.col1 - w.col0)
                return self.proj[rows, c], self.norms[rows, c], self.resid[rows, c]
            return self.proj[rows][:, cols], self.norms[rows][:, cols], self.resid[rows][:, cols]
        raise SpecError("The scope lies partly outside the indexed file.")

    def similar_places(
        self,
        reader: Any,
        refs: np.ndarray,
        scope: Window,
        k: int,
        min_distance_km: float,
        cancel: Any = None,
    ) -> tuple[list[Any], int]:
        """``similar_places_indexed`` with this index (what ``explore.similar_places`` calls)."""
        return similar_places_indexed(reader, self, refs, scope, k, min_distance_km, cancel)

    def cosine_bounds(self, refs: np.ndarray, scope: Window) -> tuple[np.ndarray, np.ndarray]:
        """(approximate best cosine over refs, its error bound), (H, W) float32; NaN = ocean."""
        refs = np.asarray(refs, dtype=np.float32).reshape(-1, PRODUCT_BANDS)
        q = refs @ self.components.T  # (m, C)
        r_norm = np.linalg.norm(refs.astype(np.float64), axis=1)
        r_res = np.sqrt(np.maximum(r_norm**2 - (q.astype(np.float64) ** 2).sum(1), 0.0))
        r_res = r_res * (1 + _SLACK) + _SLACK * r_norm
        proj, norms, resid = self._sub(scope)
        valid = norms > 0
        p = proj[valid].astype(np.float32)
        nx = norms[valid].astype(np.float64)
        dots = (p @ q.T).astype(np.float64)  # (n, m)
        q_norm = np.linalg.norm(q.astype(np.float64), axis=1)
        err = resid[valid].astype(np.float64)[:, None] * r_res[None, :]
        err += _F16_REL * nx[:, None] * q_norm[None, :]
        den = nx[:, None] * r_norm[None, :]
        approx = dots / den
        bound = err / den
        best = approx.argmax(axis=1)
        a = np.full(norms.shape, np.nan, dtype=np.float32)
        b = np.full(norms.shape, np.nan, dtype=np.float32)
        # With several references the best approximate one may not be the best exact
        # one: the bound covers the maximum over all of them.
        # A cosine lies in [-1, 1]: so do the estimate and the interval around it (a legend
        # reading 1.0002 would puzzle; clipping only brings the estimate closer).
        hi = np.minimum((approx + bound).max(axis=1), 1.0)
        lo = np.maximum((approx - bound).max(axis=1), -1.0)
        a[valid] = np.clip(approx[np.arange(best.size), best], -1.0, 1.0)
        b[valid] = np.maximum(hi - a[valid], a[valid] - lo)
        return a, b


def build_index(
    reader: Any,
    n_components: int = INDEX_COMPONENTS,
    fit_pixels: int = INDEX_FIT_PIXELS,
    seed: int = 0,
    progress: Any = None,
    cancel: Any = None,
) -> SearchIndex:
    """Build the index of the reader's whole file (two streamed passes)."""
    from rs_embed_qgis.core import explore as ex

    report = progress or (lambda f, m: None)
    window = ex.file_window(reader.info)
    x, n_valid, _masks = ex._sample_valid(
        reader, window, fit_pixels, seed, cancel, lambda f, m: report(0.4 * f, m), ex.BLOCK_BYTES
    )
    if n_valid == 0:
        raise NoCoverageError("The product file holds no land pixel to index.")
    gram = np.zeros((PRODUCT_BANDS, PRODUCT_BANDS), dtype=np.float64)
    for s in range(0, x.shape[0], 8192):
        part = x[s : s + 8192].astype(np.float64)
        gram += part.T @ part
    _vals, vecs = np.linalg.eigh(gram)
    comps = np.ascontiguousarray(vecs[:, ::-1][:, :n_components].T).astype(np.float32)
    h, w = window.shape
    proj = np.zeros((h, w, n_components), dtype=np.float16)
    norms = np.zeros((h, w), dtype=np.float32)
    resid = np.zeros((h, w), dtype=np.float32)
    for blk, flat, valid, x2 in ex.stream(
        reader, window, cancel, lambda f, m: report(0.4 + 0.6 * f, m), "Indexing"
    ):
        rs = slice(blk.row0 - window.row0, blk.row1 - window.row0)
        cs = slice(blk.col0 - window.col0, blk.col1 - window.col0)
        p = flat @ comps.T
        e = flat - p @ comps
        res = np.sqrt(np.einsum("ij,ij->i", e, e).astype(np.float64))
        nx = np.sqrt(x2.astype(np.float64))
        res = res * (1 + _SLACK) + _SLACK * nx
        res[~valid] = 0
        p[~valid] = 0
        proj[rs, cs] = p.reshape(blk.height, blk.width, -1).astype(np.float16)
        norms[rs, cs] = nx.reshape(blk.height, blk.width)
        # Rounded up to float32 so that it stays an upper bound.
        resid[rs, cs] = np.nextafter(res.astype(np.float32), np.float32(np.inf)).reshape(
            blk.height, blk.width
        )
    return SearchIndex(window, comps, proj, norms, resid)


class _SummingWriter:
    """A file writer that records the CRC-32 of every BLOCK_BYTES of what passes through."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh
        self.sums: list[int] = []
        self.size = 0
        self._crc = 0
        self._fill = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._fh.write(view)
        self.size += len(view)
        while len(view):
            take = min(len(view), BLOCK_BYTES - self._fill)
            self._crc = zlib.crc32(view[:take], self._crc)
            self._fill += take
            view = view[take:]
            if self._fill == BLOCK_BYTES:
                self.sums.append(self._crc)
                self._crc, self._fill = 0, 0
        return len(data)

    def record(self) -> dict[str, Any]:
        """{"bytes", "crc32"} of everything written (the last block may be short)."""
        sums = self.sums + ([self._crc] if self._fill else [])
        return {"bytes": self.size, CHECKSUM: np.array(sums, ">u4").tobytes().hex()}


def _block_sums(path: Path) -> tuple[int, str]:
    """(size, hex CRC-32 of every BLOCK_BYTES) of a file as it is on disk."""
    sums = []
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK_BYTES):
            sums.append(zlib.crc32(block))
            size += len(block)
    return size, np.array(sums, ">u4").tobytes().hex()


def save_index(index: SearchIndex, info: Any) -> Path:
    """Write the index next to the cache (atomic: a temporary folder renamed), with checksums."""
    from rs_embed_qgis.core.cache import reclaim_index_temporaries

    folder = index_dir(info)
    reclaim_index_temporaries(folder.parent)  # what killed builds left
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        files = {}
        for name in ARRAYS:
            with open(tmp / f"{name}.npy", "wb") as fh:
                writer = _SummingWriter(fh)
                np.save(writer, np.ascontiguousarray(getattr(index, name)))
                fh.flush()
            files[f"{name}.npy"] = writer.record()
        w = index.window
        meta = {
            "version": INDEX_VERSION,
            "source": info.path,
            "identity": _identity(info),
            "grid": _grid(info),
            "window": [w.row0, w.row1, w.col0, w.col1],
            "checksum": CHECKSUM,
            "block_bytes": BLOCK_BYTES,
            "files": files,
        }
        (tmp / META_NAME).write_text(json.dumps(meta))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CacheError(f"The search index cannot be written to {folder}: {exc}") from exc
    with _lock:
        _checked.pop(str(folder), None)
    return folder


def _stamp(folder: Path) -> tuple[Any, ...] | None:
    """The stat of the index's files (None when meta.json is missing): a change re-checks."""
    out = []
    for name in (META_NAME, *(f"{a}.npy" for a in ARRAYS)):
        try:
            st = os.stat(folder / name)
        except OSError:
            if name == META_NAME:
                return None
            out.append((name,))
            continue
        out.append((name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(out)


def _damage(folder: Path, meta: Any) -> str | None:
    """Why the index in ``folder`` cannot be used (damaged, partial, unchecked), or None."""
    bad = (
        f"The search index in {folder} is damaged or incomplete and is not used (it no "
        "longer matches the checksums recorded when it was built)"
    )
    if not isinstance(meta, dict):
        return bad
    if meta.get("version") != INDEX_VERSION:
        return (
            f"The search index in {folder} was made by an older version of the plugin "
            "(without checksums) and is not used"
        )
    files = meta.get("files")
    if (
        meta.get("checksum") != CHECKSUM
        or meta.get("block_bytes") != BLOCK_BYTES
        or not isinstance(files, dict)
    ):
        return bad
    for name in ARRAYS:
        rec = files.get(f"{name}.npy")
        if not isinstance(rec, dict):
            return bad
        try:
            size, sums = _block_sums(folder / f"{name}.npy")
        except OSError:
            return bad
        if size != rec.get("bytes") or sums != rec.get(CHECKSUM):
            return bad
    return None


def _open(folder: Path, meta: dict[str, Any], grid: Any) -> SearchIndex:
    return SearchIndex(
        Window(*meta["window"], grid),
        np.load(folder / "components.npy"),
        np.load(folder / "proj.npy", mmap_mode="r"),
        np.load(folder / "norms.npy", mmap_mode="r"),
        np.load(folder / "resid.npy", mmap_mode="r"),
    )


def load_index(info: Any, log: LogFn | None = None) -> SearchIndex | None:
    """The saved index of this file (memory-mapped) once its checksums hold; else None.

    None when there is none, or it belongs to another state of the file (stale: silent), or
    it is damaged, partial or unchecked: then ``log`` gets one sentence saying so.
    """
    folder = index_dir(info)
    stamp = _stamp(folder)
    if stamp is None:  # no index (or no meta.json: nothing that claims to be one)
        with _lock:
            _checked.pop(str(folder), None)  # a removed index's memory maps go with it
        return None
    try:
        meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    if isinstance(meta, dict) and (
        meta.get("identity") != _identity(info) or meta.get("grid") != _grid(info)
    ):
        return None  # stale: made from another state of the file, or for another grid
    key = str(folder)
    with _lock:
        hit = _checked.get(key)
    if hit is None or hit[0] != stamp:
        index, why = None, _damage(folder, meta)
        if why is None:
            try:
                index = _open(folder, meta, getattr(info, "grid", TORCHGEO_GRID))
            except (OSError, ValueError, KeyError, TypeError):
                why = f"The search index in {folder} cannot be read and is not used"
        hit = (stamp, index, why)
        with _lock:
            _checked[key] = hit
    _, index, why = hit
    if why is not None and log is not None:
        log(why + ".")
    return index


def index_for(
    reader: Any,
    build: bool = False,
    progress: Any = None,
    cancel: Any = None,
    log: LogFn | None = None,
) -> SearchIndex | None:
    """The saved index of the reader's file; built (one pass) and saved when missing or
    refused, and asked. ``log`` gets the sentence of a refused index (once)."""
    refused: list[str] = []
    index = load_index(reader.info, refused.append)
    if refused and log is not None:
        log(refused[0] + (" It is rebuilt." if build else " Scores are read exactly."))
    if index is None and build:
        index = build_index(reader, progress=progress, cancel=cancel)
        save_index(index, reader.info)
    return index


def similar_places_indexed(
    reader: Any,
    index: SearchIndex,
    refs: np.ndarray,
    scope: Window,
    k: int,
    min_distance_km: float,
    cancel: Any = None,
) -> tuple[list[Any], int]:
    """The exact top-k places (cosine, max over refs), reading full vectors only for candidates.

    Returns (places, number of candidates re-scored). The candidates are the pixels whose
    upper bound reaches a level ``t``; when the k-th place found among them scores >= t
    no pixel outside could have been picked before it, so the answer is exact; else ``t``
    is lowered and the search repeated.
    """
    from rs_embed_qgis.core import explore as ex

    refs = np.asarray(refs, dtype=np.float32).reshape(-1, PRODUCT_BANDS)
    a, b = index.cosine_bounds(refs, scope)
    upper = np.where(np.isnan(a), -np.inf, a + b).ravel()
    n_valid = int(np.isfinite(upper).sum())
    if n_valid == 0:
        raise NoCoverageError("The scope holds no land pixel.")
    order = np.argsort(-upper, kind="stable")
    m = min(n_valid, max(64, 32 * k))
    while True:
        ex._check_cancel(cancel)
        t = upper[order[m - 1]] if m < n_valid else -np.inf
        cand = order[:m]
        cand = cand[upper[cand] >= t]
        rows = scope.row0 + cand // scope.width
        cols = scope.col0 + cand % scope.width
        vecs = ex.read_pixels(reader, rows, (cols % 1440))
        exact = ex.scores(vecs, refs, "cosine").max(axis=1)
        grid = np.full(scope.shape, np.nan, dtype=np.float32)
        grid.ravel()[cand] = exact
        sim = ex.SimilarityResult(grid, scope, "cosine", "max", refs, int(cand.size))
        places = ex.top_places(sim, k, min_distance_km)
        if m >= n_valid or (len(places) == k and places[-1].score >= t):
            return places, int(cand.size)
        m = min(n_valid, m * 4)
