"""The synthetic product generator writes files in the exact Copernicus-Embed format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import Compression, Interleaving
from rasterio.errors import RasterioError
from rasterio.transform import Affine

from tests import product

# Window over the "coast" checkerboard, the gap below "Europe" and Europe itself:
# rows 170..209 (lat 47.5..37.75), cols 700..999 (lon -5..69.75); 2 tiles wide.
WINDOW = (170, 210, 700, 1000)


def _grid(row0: int, row1: int, col0: int, col1: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(row0, row1), np.arange(col0, col1), indexing="ij")


@pytest.fixture(scope="module")
def window_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return product.write_product(tmp_path_factory.mktemp("product") / "w.tif", *WINDOW)


def test_constants() -> None:
    assert (product.GLOBAL_HEIGHT, product.GLOBAL_WIDTH, product.BANDS) == (721, 1440, 768)
    assert (product.RES, product.X0, product.Y0) == (0.25, -180.125, 90.125)


def test_format(window_file: Path) -> None:
    row0, row1, col0, col1 = WINDOW
    with rasterio.open(window_file) as ds:
        assert ds.driver == "GTiff"
        assert ds.count == 768
        assert ds.dtypes == ("float32",) * 768
        assert ds.crs.to_epsg() == 4326
        assert (ds.height, ds.width) == (row1 - row0, col1 - col0)
        assert ds.transform == Affine(
            0.25, 0.0, -180.125 + 0.25 * col0, 0.0, -0.25, 90.125 - 0.25 * row0
        )
        assert set(ds.block_shapes) == {(256, 256)}
        assert ds.profile["tiled"] is True
        assert ds.compression == Compression.deflate
        assert ds.interleaving == Interleaving.pixel
        assert ds.nodata is None
        assert ds.nodatavals == (None,) * 768


def test_full_grid_transform(tmp_path: Path) -> None:
    # A window starting at (0, 0) has the product's own transform; pixel centres as documented.
    path = product.write_product(tmp_path / product.PRODUCT_NAME, 0, 3, 0, 5)
    with rasterio.open(path) as ds:
        assert ds.transform == Affine(0.25, 0, -180.125, 0, -0.25, 90.125)
        assert ds.xy(0, 0) == (-180.0, 90.0)
        assert ds.xy(2, 4) == (-179.0, 89.5)


def test_values_round_trip(window_file: Path) -> None:
    rr, cc = _grid(*WINDOW)
    with rasterio.open(window_file) as ds:
        data = np.moveaxis(ds.read(), 0, -1)  # (rows, cols, bands)
    land = product.land_mask(rr, cc)
    assert land.any() and (~land).any()
    expected = product.pixel_values(rr, cc)
    np.testing.assert_array_equal(data[land], expected[land])
    assert not np.any(data[~land])  # ocean: exactly 0.0 in every band
    assert np.all(np.any(data[land] != 0, axis=-1))


def test_window_read_matches(window_file: Path) -> None:
    # A sub-window read gives the same values as the closed form (reader-independent check).
    with rasterio.open(window_file) as ds:
        block = ds.read(window=rasterio.windows.Window(15, 5, 30, 20))
    rr, cc = _grid(175, 195, 715, 745)
    expected = product.pixel_values(rr, cc) * product.land_mask(rr, cc)[..., None]
    np.testing.assert_array_equal(np.moveaxis(block, 0, -1), expected)


def test_truncated_copy_fails(window_file: Path, tmp_path: Path) -> None:
    bad = product.write_corrupt_copy(window_file, tmp_path / "bad.tif", 0.5)
    assert bad.stat().st_size == int(window_file.stat().st_size * 0.5)
    with pytest.raises(RasterioError):
        with rasterio.open(bad) as ds:
            ds.read()


def test_pixel_values_shape_and_determinism() -> None:
    rr, cc = _grid(100, 110, 1430, 1440)
    grid = product.pixel_values(rr, cc)
    assert grid.shape == (10, 10, 768) and grid.dtype == np.float32
    single = product.pixel_values(np.array(105), np.array(1433))
    assert single.shape == (768,)
    np.testing.assert_array_equal(single, grid[5, 3])
    flat = product.pixel_values(rr.ravel()[::-1], cc.ravel()[::-1])
    np.testing.assert_array_equal(flat[::-1].reshape(grid.shape), grid)
    assert product.pixel_values(rr, cc, bands=16).shape == (10, 10, 16)
    np.testing.assert_array_equal(product.pixel_values(rr, cc, bands=16), grid[..., :16])
    # Neighbouring pixels differ.
    assert not np.array_equal(grid[0, 0], grid[0, 1])


def test_pixel_values_nonzero_everywhere() -> None:
    rr, cc = _grid(0, 721, 0, 1440)
    rr, cc = rr[::5, ::5], cc[::5, ::5]
    v = product.pixel_values(rr, cc)
    assert np.isfinite(v).all() and np.abs(v).max() < 100
    assert (v[..., 0] > 0.5).all()  # band 0 is bounded away from 0 by construction


def test_pixel_values_pca_structure() -> None:
    # Smooth fields dominate the hash term: a PCA of a grid has a few strong components.
    rr, cc = _grid(0, 721, 0, 1440)
    v = product.pixel_values(rr[::8, ::8], cc[::8, ::8]).reshape(-1, 768).astype(np.float64)
    s = np.linalg.svd(v - v.mean(0), compute_uv=False)
    explained = s**2 / (s**2).sum()
    assert explained[:7].sum() > 0.99


def test_pixel_values_rejects_out_of_range() -> None:
    with pytest.raises(IndexError):
        product.pixel_values(np.array([721]), np.array([0]))
    with pytest.raises(IndexError):
        product.land_mask(np.array([0]), np.array([-1]))


def _rc(lon: float, lat: float) -> tuple[int, int]:
    return round((90 - lat) / 0.25), round((lon + 180) / 0.25)


def test_land_mask_documented_regions() -> None:
    m = product.land_mask(*_grid(0, 721, 0, 1440))
    # Antimeridian: land on both sides around lat 60..70.
    assert m[80:121, 0:4].all() and m[80:121, 1436:1440].all()
    # North pole rows 0..4 partly land, partly ocean.
    assert m[0:5, 360:1080].all() and not m[0:5, :360].any() and not m[0:5, 1080:].any()
    # Pure-ocean Pacific lon -160..-120, lat -40..0.
    assert not m[360:521, 80:241].any()
    # Coast: 2x2 checkerboard in lat 40..45, lon 0..5, ocean around it.
    coast = m[180:201, 720:741]
    assert coast[0:2, 0:2].all() and not coast[0:2, 2:4].any() and coast[2:4, 2:4].all()
    assert 0.4 < coast.mean() < 0.6
    box = m[177:221, 680:781].copy()  # lat 45.75..35, lon -10..15
    box[3:24, 40:61] = False
    assert not box.any()
    # Point checks.
    assert m[_rc(60, -30)] and not m[_rc(60.25, -30)] and not m[_rc(59.75, -30)]  # island
    assert m[_rc(20, 0)] and m[_rc(-100, 45)] and m[_rc(-60, -15)]  # Africa, Americas
    assert m[_rc(130, -25)] and m[_rc(0, -80)] and m[_rc(10, 50)]  # Australia, Antarctica, Europe
    assert m[_rc(179.75, -17)] and m[_rc(-180, -17)] and not m[_rc(179.25, -17)]  # Fiji
    assert 0.15 < m.mean() < 0.5


def test_custom_mask_and_values(tmp_path: Path) -> None:
    def all_ocean(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return np.zeros(np.broadcast(rows, cols).shape, dtype=bool)

    seen: list[float] = []
    path = product.write_product(
        tmp_path / "o.tif", 10, 20, 30, 50, mask=all_ocean, progress=seen.append
    )
    with rasterio.open(path) as ds:
        assert not ds.read().any()
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_bad_window_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        product.write_product(tmp_path / "x.tif", 10, 10, 0, 5)
    with pytest.raises(ValueError):
        product.write_product(tmp_path / "x.tif", 0, 722, 0, 5)


def test_cached_product_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Exercise the cache logic with a small stand-in writer (the real file is 2.5 GB).
    calls: list[Path] = []
    write = product.write_product

    def small(path: Path, **kw: object) -> Path:
        calls.append(Path(path))
        return write(path, 0, 2, 0, 3)

    monkeypatch.setattr(product, "write_product", small)
    p1 = product.cached_full_product(tmp_path)
    assert p1 == tmp_path / "copernicus_embed" / "embed_map_310k.tif" and p1.exists()
    assert product.cached_full_product(tmp_path) == p1
    assert len(calls) == 1  # second call reuses the file
    assert sorted(f.name for f in p1.parent.iterdir()) == [
        ".lock",
        "embed_map_310k.tif",
        "embed_map_310k.tif.stamp.json",
    ]
    monkeypatch.setattr(product, "FORMAT_VERSION", product.FORMAT_VERSION + 1)
    product.cached_full_product(tmp_path)
    assert len(calls) == 2  # changed generator: regenerated
