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
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import PRODUCT_BANDS
from rs_embed_qgis.core.errors import CacheError, NoCoverageError, SpecError
from rs_embed_qgis.core.grid import TORCHGEO_GRID, Window

INDEX_VERSION = 1
INDEX_COMPONENTS = 64
INDEX_FIT_PIXELS = 100_000
_F16_REL = 2.0**-11  # relative rounding of float16
_SLACK = 1e-5  # relative float32 error allowance of the residuals


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


def save_index(index: SearchIndex, info: Any) -> Path:
    """Write the index next to the cache (atomic: a temporary folder renamed)."""
    folder = index_dir(info)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        np.save(tmp / "components.npy", index.components)
        np.save(tmp / "proj.npy", index.proj)
        np.save(tmp / "norms.npy", index.norms)
        np.save(tmp / "resid.npy", index.resid)
        w = index.window
        meta = {
            "version": INDEX_VERSION,
            "source": info.path,
            "identity": _identity(info),
            "grid": _grid(info),
            "window": [w.row0, w.row1, w.col0, w.col1],
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CacheError(f"The search index cannot be written to {folder}: {exc}") from exc
    return folder


def load_index(info: Any) -> SearchIndex | None:
    """The saved index of this file (memory-mapped), or None if absent or stale."""
    folder = index_dir(info)
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("version") != INDEX_VERSION or meta.get("identity") != _identity(info):
        return None
    if meta.get("grid") != _grid(info):
        return None
    try:
        return SearchIndex(
            Window(*meta["window"], getattr(info, "grid", TORCHGEO_GRID)),
            np.load(folder / "components.npy"),
            np.load(folder / "proj.npy", mmap_mode="r"),
            np.load(folder / "norms.npy", mmap_mode="r"),
            np.load(folder / "resid.npy", mmap_mode="r"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def index_for(
    reader: Any, build: bool = False, progress: Any = None, cancel: Any = None
) -> SearchIndex | None:
    """The saved index of the reader's file; built (one pass) and saved when missing and asked."""
    index = load_index(reader.info)
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
