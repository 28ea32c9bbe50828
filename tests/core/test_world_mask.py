"""The synthetic world mask is QGIS's world_map.gpkg countries, checked with OGR point-in-polygon.

Expected answers come from OGR's own point-in-polygon on the gpkg (GEOS), never from the
rasterisation that tests/product.py does with GDAL.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from tests import product

# Pixel centres are at lon = -180 + 0.25 col, lat = 90 - 0.25 row.
CITIES = {
    "Beijing": (116.40, 39.90),
    "Delhi": (77.21, 28.61),
    "Tokyo": (139.69, 35.69),
    "Ankara": (32.85, 39.93),
    "Athens": (23.73, 37.98),
    "Brasilia": (-47.88, -15.79),
    "Nairobi": (36.82, -1.29),
    "Canberra": (149.13, -35.28),
}
OCEANS = {
    "mid-Pacific": (-150.0, 0.0),
    "mid-Atlantic": (-30.0, 30.0),
    "Indian Ocean": (80.0, -20.0),
    "South Atlantic": (-15.0, -40.0),
    "North Pacific": (-160.0, 40.0),
}


def _pixel(lon: float, lat: float) -> tuple[int, int]:
    """The global pixel whose cell holds (lon, lat)."""
    return round((90.0 - lat) / 0.25), round((lon + 180.0) / 0.25) % 1440


class Countries:
    """OGR point-in-polygon on the countries layer (GEOS), independent of GDAL's rasteriser."""

    def __init__(self) -> None:
        ogr = pytest.importorskip("osgeo.ogr")
        self._ogr = ogr
        src = ogr.Open(str(product.world_map_path()))
        layer = src.GetLayerByName("countries")
        assert layer.GetFeatureCount() == 240
        wkbs = [bytes(feat.GetGeometryRef().ExportToWkb()) for feat in layer]
        del layer, src  # the geometries below own their memory; the file is closed
        self.items = []
        for wkb in wkbs:
            geom = ogr.CreateGeometryFromWkb(wkb)
            minx, maxx, miny, maxy = geom.GetEnvelope()
            self.items.append(((minx, miny, maxx, maxy), geom))

    def _point(self, lon: float, lat: float):
        pt = self._ogr.Geometry(self._ogr.wkbPoint)
        pt.AddPoint_2D(lon, lat)
        return pt

    def _near(self, lon: float, lat: float):
        for (x0, y0, x1, y1), geom in self.items:
            if x0 <= lon <= x1 and y0 <= lat <= y1:
                yield geom

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point is inside a country."""
        pt = self._point(lon, lat)
        return any(geom.Contains(pt) for geom in self._near(lon, lat))

    def on_border(self, lon: float, lat: float) -> bool:
        """True on a country's outline (e.g. 49 N), where either answer is honest."""
        pt = self._point(lon, lat)
        return any(geom.Boundary().Distance(pt) < 1e-7 for geom in self._near(lon, lat))


@pytest.fixture(scope="module")
def countries() -> Countries:
    return Countries()


def test_well_known_land_and_ocean(countries: Countries) -> None:
    for name, (lon, lat) in {**CITIES, **OCEANS}.items():
        r, c = _pixel(lon, lat)
        centre = (-180.0 + 0.25 * c, 90.0 - 0.25 * r)
        assert not countries.on_border(*centre), name
        assert countries.contains(*centre) is (name in CITIES), name  # the points are what they say
        assert bool(product.world_land_mask(np.array(r), np.array(c))) is (name in CITIES), name


def test_sampled_pixel_centres_agree_with_point_in_polygon(countries: Countries) -> None:
    rng = np.random.default_rng(5)
    rows = rng.integers(0, product.GLOBAL_HEIGHT, 300)
    cols = rng.integers(0, product.GLOBAL_WIDTH, 300)
    mask = product.world_land_mask(rows, cols)
    land = borders = 0
    for r, c, got in zip(rows.tolist(), cols.tolist(), mask.tolist()):
        lon, lat = -180.0 + 0.25 * c, 90.0 - 0.25 * r
        want = countries.contains(lon, lat)
        if got is not want:
            assert countries.on_border(lon, lat), (r, c, got)
            borders += 1
        land += want
    assert borders <= 3 and 70 < land < 130  # about a third of pixel centres are land


def test_world_mask_shape_and_values() -> None:
    rr, cc = np.meshgrid(
        np.arange(product.GLOBAL_HEIGHT), np.arange(product.GLOBAL_WIDTH), indexing="ij"
    )
    mask = product.world_land_mask(rr, cc)
    assert mask.shape == (721, 1440) and mask.dtype == bool
    assert 0.3 < mask.mean() < 0.36  # rows are not equal-area: Antarctica and the north count more
    # A scalar, a broadcast row and the whole grid agree.
    assert product.world_land_mask(np.array(200), np.array(1200)) == mask[200, 1200]
    np.testing.assert_array_equal(
        product.world_land_mask(np.array([[200]]), np.arange(1440)), mask[200][None]
    )
    with pytest.raises(IndexError):
        product.world_land_mask(np.array([721]), np.array([0]))


def test_world_map_env_override_and_the_centre_rule(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ogr = pytest.importorskip("osgeo.ogr")
    osr = pytest.importorskip("osgeo.osr")
    # One "country": lon 10.1..10.9, lat 20.1..20.9. It touches 5 x 5 cells but holds only
    # the 3 x 3 pixel centres lon 10.25..10.75, lat 20.25..20.75 (ALL_TOUCHED off).
    path = tmp_path / "tiny_world.gpkg"
    src = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    layer = src.CreateLayer("countries", wgs84, ogr.wkbPolygon)
    feat = ogr.Feature(layer.GetLayerDefn())
    feat.SetGeometry(
        ogr.CreateGeometryFromWkt("POLYGON((10.1 20.1,10.9 20.1,10.9 20.9,10.1 20.9,10.1 20.1))")
    )
    layer.CreateFeature(feat)
    del feat, layer, src
    monkeypatch.setenv(product.WORLD_MAP_ENV, str(path))
    rr, cc = np.meshgrid(
        np.arange(product.GLOBAL_HEIGHT), np.arange(product.GLOBAL_WIDTH), indexing="ij"
    )
    rows, cols = np.nonzero(product.world_land_mask(rr, cc))
    assert sorted(set(rows.tolist())) == [277, 278, 279]  # lat 20.75, 20.5, 20.25
    assert sorted(set(cols.tolist())) == [761, 762, 763]  # lon 10.25, 10.5, 10.75
    assert rows.size == 9
    monkeypatch.setenv(product.WORLD_MAP_ENV, str(tmp_path / "missing.gpkg"))
    with pytest.raises(FileNotFoundError, match=product.WORLD_MAP_ENV):
        product.world_land_mask(np.array([0]), np.array([0]))


def test_window_with_the_world_mask(tmp_path: Path) -> None:
    # Greece, the Aegean and Crete: land and sea.
    r0, r1, c0, c1 = 196, 226, 796, 830  # lat 41..33.75, lon 19..27.25
    path = product.write_product(
        tmp_path / "greece.tif", r0, r1, c0, c1, mask=product.world_land_mask
    )
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    land = product.world_land_mask(rr, cc)
    assert 0.2 < land.mean() < 0.8  # land and sea
    with rasterio.open(path) as ds:
        got = np.moveaxis(ds.read(), 0, -1)
    want = product.pixel_values(rr, cc)
    want[~land] = 0.0
    np.testing.assert_array_equal(got, want)


def test_full_product_has_the_world_mask_and_regenerates_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache logic with a small stand-in writer (the real file is 2.5 GB).
    masks: list[object] = []
    write = product.write_product

    def small(path: Path, **kw: object) -> Path:
        masks.append(kw.get("mask"))
        return write(path, 0, 2, 0, 3, mask=kw["mask"])

    monkeypatch.setattr(product, "write_product", small)
    folder = tmp_path / product.PRODUCT_SUBDIR
    folder.mkdir()
    # A file made before the world mask: same format version, the fixture mask's fingerprint.
    old = write(folder / product.PRODUCT_NAME, 0, 2, 0, 3)
    stamp = folder / (product.PRODUCT_NAME + ".stamp.json")
    stamp.write_text(
        json.dumps(
            {
                "format_version": product.FORMAT_VERSION,
                "fingerprint": product._fingerprint("fixture"),
                "size": old.stat().st_size,
            }
        )
    )
    assert product._fingerprint("world") != product._fingerprint("fixture")
    path = product.cached_full_product(tmp_path)
    assert path == old and masks == [product.world_land_mask]  # regenerated with the world
    assert json.loads(stamp.read_text())["mask"] == "world"
    assert product.cached_full_product(tmp_path) == path and len(masks) == 1  # then reused
    # The fixture mask has its own folder: asking for it does not touch the world file.
    fixture = product.cached_full_product(tmp_path, mask="fixture")
    assert fixture.parent.name != product.PRODUCT_SUBDIR and masks[-1] is product.land_mask
    assert product.cached_full_product(tmp_path) == path and len(masks) == 2
    with pytest.raises(ValueError, match="mask"):
        product.cached_full_product(tmp_path, mask="moon")
