"""Facts about TorchGeo's slicing the adapter relies on, measured on the fixture file.

An unsnapped bbox (the seed's 1-degree box) makes TorchGeo resample bilinearly: the values
are blends of neighbouring vectors (ocean zeros included), not the product's own vectors.
Bounds on pixel edges return the file's pixels exactly.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from torchgeo.datasets import RasterDataset

from rs_embed_qgis.core.constants import PRODUCT_SHA256
from rs_embed_qgis.core.dataset import get_dataset
from tests.core import expected as ex

TORCHGEO_URL = (
    "https://hf.co/datasets/torchgeo/copernicus_embed/resolve/"
    "435b4a7bdce6f6fdbf4272f9d6e54f2604f35fdb/embed_map_310k.tif"
)
TORCHGEO_MD5 = "63de14ab9f5eeffb785066f3013a40b4"


def _chw(ds, box: tuple[float, float, float, float]) -> np.ndarray:
    minx, miny, maxx, maxy = box
    return ds[minx:maxx, miny:maxy]["image"].numpy()


def _all_file_pixels(data_dir: Path) -> np.ndarray:
    return ex.file_pixels(data_dir, list(range(120, 200)), list(range(680, 840))).reshape(-1, 768)


def _nearest_distance(vec: np.ndarray, pixels: np.ndarray) -> float:
    """Smallest max-abs difference between vec and any of the pixels."""
    return float(np.abs(pixels - vec).max(axis=1).min())


@pytest.mark.parametrize("centre", [(10.1, 50.07), (2.6, 42.3)], ids=["land", "coast"])
def test_unsnapped_seed_box_returns_blends_not_file_pixels(centre: tuple, europe_dir: Path) -> None:
    ds = get_dataset(str(europe_dir))
    chw = _chw(ds, ex.seed_box(*centre))
    assert chw.shape == (768, 4, 4)  # 1 degree at 0.25 degree
    pixels = _all_file_pixels(europe_dir)
    for v in chw.reshape(768, -1).T:
        if not v.any():
            continue  # a pure-ocean output is all zero, like the file's ocean
        assert _nearest_distance(v, pixels) > 1e-3


def test_unsnapped_box_on_the_coast_blends_ocean_zeros_in(europe_dir: Path) -> None:
    """Band 0 is > 0.5 on every land pixel; blends with ocean give values between 0 and that."""
    ds = get_dataset(str(europe_dir))
    band0 = _chw(ds, ex.seed_box(2.6, 42.3))[0]
    rows, cols = ex.cells_for(ex.seed_box(2.6, 42.3))
    land0 = ex.file_pixels(europe_dir, rows, cols)[..., 0]
    lowest_land = land0[land0 > 0].min()
    diluted = (band0 > 0) & (band0 < lowest_land)
    assert diluted.any()


@pytest.mark.parametrize(
    "rows, cols",
    [
        ([158, 159, 160, 161, 162], [758, 759, 760, 761, 762]),  # land
        (list(range(176, 184)), list(range(716, 726))),  # coast checkerboard and ocean
        ([120], [680]),  # the file's north-west corner pixel
        (list(range(190, 200)), list(range(830, 840))),  # the file's south-east corner
    ],
)
def test_snapped_bounds_return_the_file_pixels_exactly(
    rows: list[int], cols: list[int], europe_dir: Path
) -> None:
    ds = get_dataset(str(europe_dir))
    chw = _chw(ds, ex.edges_of(rows, cols))
    want = np.moveaxis(ex.file_pixels(europe_dir, rows, cols), -1, 0)
    assert chw.dtype == np.float32
    assert np.array_equal(chw, want)


def _torchgeo_copernicus_embed() -> type:
    """TorchGeo's own CopernicusEmbed class, or a skip that says why it cannot be checked."""
    import torchgeo
    import torchgeo.datasets as tgd

    cls = getattr(tgd, "CopernicusEmbed", None)
    if cls is None:
        pytest.skip(
            f"TorchGeo {torchgeo.__version__} has no CopernicusEmbed (added in 0.9; Debian 12's "
            "Python 3.11 gets 0.8.1): the plugin's stand-in has nothing real to be checked against"
        )
    return cls


def test_torchgeos_copernicus_embed_has_the_facts_the_plugin_uses() -> None:
    """The real class's file name, URL and checksum, not the plugin's stand-in (TorchGeo >= 0.9)."""
    cls = _torchgeo_copernicus_embed()
    assert cls.filename_glob == "embed_map_*"
    assert cls.url == TORCHGEO_URL
    # TorchGeo 0.9 declares md5, 0.10+ sha256 (and no md5).
    assert getattr(cls, "md5", None) or getattr(cls, "sha256", None)
    if getattr(cls, "md5", None) is not None:
        assert cls.md5 == TORCHGEO_MD5
    if getattr(cls, "sha256", None) is not None:
        assert cls.sha256 == PRODUCT_SHA256


def test_dataset_is_torchgeos_copernicus_embed(europe_dir: Path) -> None:
    cls = _torchgeo_copernicus_embed()
    ds = get_dataset(str(europe_dir))
    assert type(ds) is cls
    assert ds.res == (0.25, 0.25)
    assert ds.crs.to_epsg() == 4326
    assert ds.download is True


def test_dataset_reads_the_fixture_as_a_raster_dataset(europe_dir: Path) -> None:
    """Whichever class TorchGeo offers (its own, or the stand-in on TorchGeo < 0.9)."""
    ds = get_dataset(str(europe_dir))
    assert isinstance(ds, RasterDataset)
    assert ds.res == (0.25, 0.25)
    assert ds.crs.to_epsg() == 4326
    assert Path(ds.files[0] if isinstance(ds.files, list) else sorted(ds.files)[0]).name == (
        "embed_map_310k.tif"
    )


def test_dataset_pool_is_per_data_dir_and_download(europe_dir: Path) -> None:
    a = get_dataset(str(europe_dir))
    assert get_dataset(str(europe_dir)) is a  # returned to the pool, lent again
    assert get_dataset(str(europe_dir), download=False) is not a
    other: list[object] = []
    t = threading.Thread(target=lambda: other.append(get_dataset(str(europe_dir))))
    t.start()
    t.join()
    assert other and other[0] is a  # an idle dataset serves any thread: no thread affinity
