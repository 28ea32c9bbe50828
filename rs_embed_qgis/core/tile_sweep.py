# SPDX-License-Identifier: GPL-2.0-or-later
"""A batch on the direct reader: every tile of the file decoded once, items built from tiles.

Reading item after item decodes a whole tile (192 MiB for the product) for each item that
touches it. Here a batch is planned first: each item says which pixels it needs (a window,
or the cells of a polygon), the needs are split by file tile, and the tiles are decoded in
an order chosen to keep few items half-built; each decoded tile is copied into the items
that need it and dropped. An item is finished (pooled) as soon as its last tile is in, by
the same code as a single read. Memory: the tiles being decoded (one, or more while they and
the half-built items fit in ``SWEEP_MEMORY_BYTES``), plus the pixels of the items still
waiting for a tile. One thread decodes a tile; no other ever decodes it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import PRODUCT_BANDS, PRODUCT_WIDTH
from rs_embed_qgis.core.errors import CancelledError, RsEmbedError
from rs_embed_qgis.core.grid import Window
from rs_embed_qgis.core.reader import file_pieces

# A tile is decoded beside those being decoded only while they, it and the pixels of the
# half-built items fit in this many bytes (one tile is always allowed): two tiles of the
# product (192 MiB each) keep two cores decoding while few items are half-built.
SWEEP_MEMORY_BYTES = 512 * 1024**2

# Cells copied per piece from a tile into an item (bounds the temporary to 12 MiB).
_PIECE_CELLS = 4096

Finish = Callable[[np.ndarray], Any]
Outcome = tuple[int, Any, BaseException | None]
_ITEM = 4 * PRODUCT_BANDS


@dataclass(eq=False)
class _Item:
    """One batch item: the pixels it waits for and how its result is made from them."""

    index: int
    shape: tuple[int, ...]
    finish: Finish
    remaining: int = 0
    buf: np.ndarray | None = None
    failed: bool = False
    started: bool = False  # its pixels are being gathered (counted in TileSweep.held)

    @property
    def nbytes(self) -> int:
        """Bytes of the item's pixels."""
        return int(np.prod(self.shape)) * 4


@dataclass
class _Fill:
    """Copy part of one decoded tile into an item: cells (by index) or a rectangle."""

    item: _Item
    dst: Any  # int array of positions in the item, or (row, col) of the rectangle
    src: Any  # (rows, cols) arrays in the tile, or (r0, r1, c0, c1) in the tile

    def whole(self) -> bool:
        """True if this fill alone gives the item all its pixels, in order."""
        if self.item.remaining != 1:
            return False
        if isinstance(self.dst, tuple):
            r0, r1, c0, c1 = self.src
            return self.dst == (0, 0) and (r1 - r0, c1 - c0) == self.item.shape[:2]
        return self.dst.size == self.item.shape[0]  # sorted positions: 0..n-1

    def take(self, tile: np.ndarray) -> np.ndarray:
        """The item's pixels as a new array (a ``whole`` fill): no zeroed buffer, no copy."""
        if isinstance(self.dst, tuple):
            r0, r1, c0, c1 = self.src
            return tile[r0:r1, c0:c1].copy()
        return tile[self.src[0], self.src[1]]

    def apply(self, buf: np.ndarray, tile: np.ndarray) -> None:
        """Copy into the item's buffer (cells in pieces, so temporaries stay small)."""
        if isinstance(self.dst, tuple):
            r0, r1, c0, c1 = self.src
            dr, dc = self.dst
            buf[dr : dr + r1 - r0, dc : dc + c1 - c0] = tile[r0:r1, c0:c1]
            return
        rows, cols = self.src
        for s in range(0, self.dst.size, _PIECE_CELLS):
            e = s + _PIECE_CELLS
            buf[self.dst[s:e]] = tile[rows[s:e], cols[s:e]]


@dataclass
class TileSweep:
    """Plans batch items against the tiles of a ``GdalReader`` and runs them tile by tile."""

    reader: Any
    items: list[_Item] = field(default_factory=list)
    fills: dict[tuple[int, int], list[_Fill]] = field(default_factory=dict)
    held: int = 0  # bytes of the half-built items (under the run's lock)

    @property
    def _bh(self) -> int:
        return int(self.reader.block_h)

    @property
    def _bw(self) -> int:
        return int(self.reader.block_w)

    def _item(self, index: int, shape: tuple[int, ...], finish: Finish) -> _Item:
        item = _Item(index, shape, finish)
        self.items.append(item)
        return item

    def _add(self, tile: tuple[int, int], fill: _Fill) -> None:
        self.fills.setdefault(tile, []).append(fill)
        fill.item.remaining += 1

    def add_window(self, index: int, window: Window, finish: Finish) -> None:
        """An item that needs the (H, W, 768) pixels of a global window (zero outside)."""
        item = self._item(index, (window.height, window.width, PRODUCT_BANDS), finish)
        info, bh, bw = self.reader.info, self._bh, self._bw
        for piece, ro, co in file_pieces(info, window):
            fr0, fc0 = piece.row0 - info.row_off, piece.col0 - info.col_off
            fr1, fc1 = fr0 + piece.height, fc0 + piece.width
            for ty in range(fr0 // bh, -(-fr1 // bh)):
                for tx in range(fc0 // bw, -(-fc1 // bw)):
                    r0, r1 = max(fr0, ty * bh), min(fr1, (ty + 1) * bh)
                    c0, c1 = max(fc0, tx * bw), min(fc1, (tx + 1) * bw)
                    src = (r0 - ty * bh, r1 - ty * bh, c0 - tx * bw, c1 - tx * bw)
                    self._add((ty, tx), _Fill(item, (ro + r0 - fr0, co + c0 - fc0), src))

    def add_cells(self, index: int, rows: np.ndarray, cols: np.ndarray, finish: Finish) -> None:
        """An item that needs the (n, 768) vectors of global cells (zero outside the file)."""
        item = self._item(index, (int(rows.size), PRODUCT_BANDS), finish)
        info, bh, bw = self.reader.info, self._bh, self._bw
        fr = np.asarray(rows, dtype=np.int64) - info.row_off
        fc = np.asarray(cols, dtype=np.int64) % PRODUCT_WIDTH - info.col_off
        inside = np.flatnonzero((fr >= 0) & (fr < info.height) & (fc >= 0) & (fc < info.width))
        if inside.size == 0:
            return
        ty, tx = fr[inside] // bh, fc[inside] // bw
        key = ty * (-(-info.width // bw)) + tx
        order = np.argsort(key, kind="stable")
        inside, key, ty, tx = inside[order], key[order], ty[order], tx[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], key.size]
        for s, e in zip(starts.tolist(), ends.tolist()):
            idx = inside[s:e]
            t = (int(ty[s]), int(tx[s]))
            src = (fr[idx] - t[0] * bh, fc[idx] - t[1] * bw)
            self._add(t, _Fill(item, idx, src))

    # ---- order

    def tile_order(self) -> list[tuple[int, int]]:
        """The tiles to decode: row- or column-major, whichever keeps fewer bytes half-built."""
        tiles = list(self.fills)
        best: tuple[int, list[tuple[int, int]]] | None = None
        for key in (lambda t: t, lambda t: (t[1], t[0])):
            order = sorted(tiles, key=key)
            peak = self._pending_peak(order)
            if best is None or peak < best[0]:
                best = (peak, order)
        return best[1] if best else []

    def _pending_peak(self, order: list[tuple[int, int]]) -> int:
        """Largest sum of item buffers alive at once when tiles come in this order."""
        left = {id(it): it.remaining for it in self.items}
        started: set[int] = set()
        alive = peak = 0
        for t in order:
            for f in self.fills[t]:
                k = id(f.item)
                if k not in started:
                    started.add(k)
                    alive += f.item.nbytes
                    peak = max(peak, alive)
            for f in self.fills[t]:
                k = id(f.item)
                left[k] -= 1
                if left[k] == 0:
                    alive -= f.item.nbytes
        return peak

    def tile_bytes(self) -> int:
        """Bytes of one decoded tile."""
        return self._bh * self._bw * _ITEM

    # ---- run

    def run(
        self,
        workers: int,
        cancel: Callable[[], bool],
        collect: Callable[[int, Any, BaseException | None], None],
    ) -> None:
        """Decode each needed tile once (``workers`` threads) and ``collect`` every item.

        ``collect(index, result, error)`` runs in the caller's thread; an exception it
        raises stops the sweep at once (tiles being decoded are abandoned).
        """
        lock = threading.Lock()
        stop = threading.Event()

        def stopped() -> bool:
            return stop.is_set() or cancel()

        for item in self.items:
            if item.remaining == 0:  # wholly outside the file: every pixel is empty
                collect(*self._finish(item, np.zeros(item.shape, dtype=np.float32)))

        def do_tile(t: tuple[int, int]) -> list[Outcome]:
            return self._do_tile(t, lock, stopped)

        order = self.tile_order()
        in_flight = max(1, int(workers))
        if in_flight == 1:
            for t in order:
                if stopped():
                    raise CancelledError("The batch was cancelled; no results were returned.")
                for out in do_tile(t):
                    collect(*out)
            return
        ex = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="rs_embed_tiles")
        pending: set[Future] = set()
        queue = iter(order)
        tile_bytes = self.tile_bytes()

        def refill() -> None:
            while len(pending) < in_flight:
                with lock:
                    held = self.held
                if pending and held + (len(pending) + 1) * tile_bytes > SWEEP_MEMORY_BYTES:
                    return
                t = next(queue, None)
                if t is None:
                    return
                pending.add(ex.submit(do_tile, t))

        try:
            refill()
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                if not finished and cancel():
                    raise CancelledError("The batch was cancelled; no results were returned.")
                for fut in finished:
                    try:
                        outs = fut.result()
                    except CancelledError as exc:
                        raise CancelledError(
                            "The batch was cancelled; no results were returned."
                        ) from exc
                    for out in outs:
                        collect(*out)
                refill()
        finally:
            stop.set()
            for fut in pending:
                fut.cancel()
            ex.shutdown(wait=True)

    def _do_tile(
        self, t: tuple[int, int], lock: threading.Lock, stopped: Callable[[], bool]
    ) -> list[Outcome]:
        """Decode tile ``t``, copy it into its items, finish the items it completes."""
        if stopped():
            raise CancelledError("The batch was cancelled; no results were returned.")
        fills = self.fills[t]
        ty, tx = t
        h, w = self.reader.tile_rows_cols(ty, tx)
        r0, c0 = ty * self._bh, tx * self._bw
        try:
            tile = self.reader.file_block(r0, r0 + h, c0, c0 + w, stopped)
        except CancelledError as exc:
            raise CancelledError("The batch was cancelled; no results were returned.") from exc
        except RsEmbedError as exc:
            return self._fail(fills, exc, lock)
        for f in fills:
            if stopped():
                raise CancelledError("The batch was cancelled; no results were returned.")
            with lock:
                if f.item.failed:
                    continue
                whole = not f.item.started and f.whole()
                if not f.item.started:
                    f.item.started = True
                    self.held += f.item.nbytes
                    if not whole:
                        f.item.buf = np.zeros(f.item.shape, dtype=np.float32)
                buf = f.item.buf
            if whole:
                f.item.buf = f.take(tile)
            else:
                f.apply(buf, tile)
        del tile
        done: list[_Item] = []
        with lock:
            for f in fills:
                f.item.remaining -= 1
                if f.item.remaining == 0 and not f.item.failed:
                    done.append(f.item)
        out = []
        for item in done:
            buf, item.buf = item.buf, None
            out.append(self._finish(item, buf))
            del buf
            with lock:
                self.held -= item.nbytes
        return out

    @staticmethod
    def _finish(item: _Item, pixels: Any) -> Outcome:
        try:
            return item.index, item.finish(pixels), None
        except RsEmbedError as exc:
            return item.index, None, exc

    def _fail(self, fills: list[_Fill], exc: RsEmbedError, lock: threading.Lock) -> list[Outcome]:
        """Every item waiting for a tile that cannot be read fails with its error."""
        out: list[Outcome] = []
        with lock:
            for f in fills:
                if not f.item.failed:
                    if f.item.started:
                        self.held -= f.item.nbytes
                    f.item.failed, f.item.buf = True, None
                    out.append((f.item.index, None, exc))
        return out
