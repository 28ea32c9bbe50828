"""Window readers: TorchGeo slicing (the reference) and the shared reader interface."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from rs_embed_qgis.core.constants import PRODUCT_BANDS, PRODUCT_RES, PRODUCT_X0, PRODUCT_Y0
from rs_embed_qgis.core.dataset import ProductInfo, corrupt_message, get_dataset
from rs_embed_qgis.core.errors import CorruptDataError, RsEmbedError
from rs_embed_qgis.core.grid import Window


class WindowReader(Protocol):
    """Reads a window of global product pixels as an (H, W, 768) float32 array (HWC)."""

    name: str
    info: ProductInfo

    def read(self, window: Window) -> np.ndarray:
        """Pixels of the window; pixels outside the file are all-zero (no data)."""
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
            pieces.append((Window(r0, r1, c0, c1), r0 - window.row0, off + (c0 - g0)))
    return pieces


class TorchGeoReader:
    """Reads windows by slicing TorchGeo's CopernicusEmbed with the window's pixel edges.

    Bounds on pixel edges make TorchGeo's bilinear resampling return the file's own
    pixels. Each thread slices its own dataset instance (see ``get_dataset``).
    """

    name = "torchgeo"

    def __init__(self, info: ProductInfo, data_dir: str, download: bool = True) -> None:
        self.info = info
        self.data_dir = data_dir
        self.download = download

    def dataset(self) -> object:
        """This thread's TorchGeo dataset."""
        return get_dataset(self.data_dir, self.download, self.info.identity)

    def read(self, window: Window) -> np.ndarray:
        """Slice each in-file piece of the window through TorchGeo and assemble HWC."""
        out = np.zeros((window.height, window.width, PRODUCT_BANDS), dtype=np.float32)
        for piece, ro, co in file_pieces(self.info, window):
            minx = PRODUCT_X0 + PRODUCT_RES * piece.col0
            maxx = PRODUCT_X0 + PRODUCT_RES * piece.col1
            maxy = PRODUCT_Y0 - PRODUCT_RES * piece.row0
            miny = PRODUCT_Y0 - PRODUCT_RES * piece.row1
            chw = slice_chw(self.dataset(), self.info.path, minx, miny, maxx, maxy)
            if chw.shape != (PRODUCT_BANDS, piece.height, piece.width):
                raise CorruptDataError(
                    corrupt_message(self.info.path, f"TorchGeo returned shape {chw.shape}")
                )
            out[ro : ro + piece.height, co : co + piece.width, :] = chw.transpose(1, 2, 0)
        return out


def slice_chw(
    ds: object, path: str, minx: float, miny: float, maxx: float, maxy: float
) -> np.ndarray:
    """``ds[minx:maxx, miny:maxy]["image"]`` as a float32 numpy CHW array, errors translated."""
    from rasterio.errors import RasterioError

    try:
        sample = ds[minx:maxx, miny:maxy]  # type: ignore[index]
    except IndexError as exc:
        raise RsEmbedError(f"TorchGeo found no data in {minx},{miny},{maxx},{maxy}: {exc}") from exc
    except (RasterioError, RuntimeError) as exc:
        raise CorruptDataError(corrupt_message(path, str(exc))) from exc
    return sample["image"].detach().cpu().numpy().astype(np.float32, copy=False)
