"""The seed adapter's retrieval path, reproduced for benchmarking: TorchGeo slicing, 1 degree box.

This is what rs-embed's copernicus_embed does per request (one cached dataset, the ROI
replaced by an ``expand_deg`` box around its centre, ``ds[minlon:maxlon, minlat:maxlat]``,
mean over H and W including ocean zeros). It is the baseline of ``make bench``.
"""

from __future__ import annotations

import numpy as np

from rs_embed_qgis.core.dataset import copernicus_embed_class


class SeedPath:
    """One cached TorchGeo dataset, sliced per request as the seed does."""

    def __init__(self, data_dir: str, expand_deg: float = 1.0) -> None:
        self.ds = copernicus_embed_class()(paths=data_dir, download=True)
        self.expand_deg = expand_deg

    def bbox_mean(self, minlon: float, minlat: float, maxlon: float, maxlat: float) -> np.ndarray:
        """The seed's pooled mean of a bbox."""
        half = self.expand_deg / 2
        clon, clat = (minlon + maxlon) / 2, (minlat + maxlat) / 2
        sample = self.ds[clon - half : clon + half, clat - half : clat + half]
        chw = sample["image"].numpy().astype(np.float32)
        return chw.mean(axis=(1, 2))

    def grid(self, minlon: float, minlat: float, maxlon: float, maxlat: float) -> np.ndarray:
        """A CHW grid sliced straight from TorchGeo (no expansion)."""
        return self.ds[minlon:maxlon, minlat:maxlat]["image"].numpy()
