# SPDX-License-Identifier: GPL-2.0-or-later
"""The shared window-reader interface, and TorchGeo slicing (the reference reader).

TorchGeo and torch are imported only when the TorchGeo reader reads; the readers used
inside QGIS (core/gdal_reader.py, core/cache.py) need only NumPy and GDAL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from rs_embed_qgis.core.constants import PRODUCT_BANDS
from rs_embed_qgis.core.dataset import ProductInfo, borrow_dataset, corrupt_message
from rs_embed_qgis.core.errors import CancelledError, CorruptDataError, DataError, RsEmbedError
from rs_embed_qgis.core.grid import Window


class WindowReader(Protocol):
    """Reads a window of global product pixels as an (H, W, 768) float32 array (HWC)."""

    name: str
    info: ProductInfo

    def read(self, window: Window, cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Pixels of the window; outside the file all-zero (no data). CancelledError on cancel."""
        ...


def file_pieces(info: ProductInfo, window: Window) -> list[tuple[Window, int, int]]:
    """The parts of a (wrapped) window inside the file: (global window, row off, col off in out)."""
    r0 = max(window.row0, info.row_off)
    r1 = min(window.row1, info.row_off + info.height)
    pieces: list[tuple[Window, int, int]] = []
    if r0 >= r1:
        return pieces
    for off, g0, g1 in window.col_segments():
        c0 = max(g0, info.col_off)
        c1 = min(g1, info.col_off + info.width)
        if c0 < c1:
            pieces.append((window.sub(r0, r1, c0, c1), r0 - window.row0, off + (c0 - g0)))
    return pieces


class TorchGeoReader:
    """Reads windows by slicing TorchGeo's CopernicusEmbed with the window's pixel edges.

    Bounds on pixel edges of the file's own grid (``info.grid``, read from its
    georeferencing) make TorchGeo's bilinear resampling return the file's own pixels,
    whichever origin the file has. A file without georeferencing cannot be sliced by
    coordinates: it is refused (the GDAL reader reads it). Each read borrows a dataset
    instance no other thread is using at the time (see ``borrow_dataset``), so the reader
    is safe from any thread.
    """

    name = "torchgeo"

    def __init__(self, info: ProductInfo, data_dir: str, download: bool = True) -> None:
        if info.georeferencing_assumed:
            raise DataError(
                f"The TorchGeo reader cannot read {info.path}: the file has no "
                "georeferencing, and TorchGeo slices by coordinates. Use reader='gdal' or "
                "'auto' (which read it as TorchGeo's grid and say so in the metadata)."
            )
        self.info = info
        self.data_dir = data_dir
        self.download = download

    def read(self, window: Window, cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Slice each in-file piece of the window through TorchGeo and assemble HWC."""
        out = np.zeros((window.height, window.width, PRODUCT_BANDS), dtype=np.float32)
        pieces = file_pieces(self.info, window)
        if not pieces:
            return out
        with borrow_dataset(self.data_dir, self.download, self.info.identity) as ds:
            for piece, ro, co in pieces:
                if cancel is not None and cancel():
                    raise CancelledError("Reading was cancelled.")
                grid = self.info.grid  # pieces are in the file's own grid
                minx, maxx = grid.lon_edge(piece.col0), grid.lon_edge(piece.col1)
                maxy, miny = grid.lat_edge(piece.row0), grid.lat_edge(piece.row1)
                chw = slice_chw(ds, self.info.path, minx, miny, maxx, maxy)
                if chw.shape != (PRODUCT_BANDS, piece.height, piece.width):
                    raise CorruptDataError(
                        corrupt_message(self.info.path, f"TorchGeo returned shape {chw.shape}")
                    )
                out[ro : ro + piece.height, co : co + piece.width, :] = chw.transpose(1, 2, 0)
        return out

    def close(self) -> None:
        """Nothing to release: the datasets belong to the pool of core/dataset.py."""


def slice_chw(
    ds: object, path: str, minx: float, miny: float, maxx: float, maxy: float
) -> np.ndarray:
    """``ds[minx:maxx, miny:maxy]["image"]`` as a float32 numpy CHW array, errors translated."""
    try:
        from rasterio.errors import RasterioError  # TorchGeo reads through rasterio
    except ImportError:  # pragma: no cover - TorchGeo without rasterio does not exist
        RasterioError = RuntimeError  # noqa: N806

    try:
        sample = ds[minx:maxx, miny:maxy]  # type: ignore[index]
    except IndexError as exc:
        raise RsEmbedError(f"TorchGeo found no data in {minx},{miny},{maxx},{maxy}: {exc}") from exc
    except (RasterioError, RuntimeError) as exc:
        raise CorruptDataError(corrupt_message(path, str(exc))) from exc
    return sample["image"].detach().cpu().numpy().astype(np.float32, copy=False)
