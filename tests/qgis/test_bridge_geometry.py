"""QGIS geometries and extents in EPSG:3857, UTM, polar CRSs, across the antimeridian -> specs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
)

from rs_embed_qgis.bridge.geometry import (
    circular_lon_span,
    extent_to_lonlat_box,
    extent_to_spec,
    features_to_specs,
    geometry_bbox_4326,
    geometry_to_bbox_spec,
    geometry_to_spec,
    lonlat_box_to_spec,
    point_to_spec,
    to_wgs84_transform,
)
from rs_embed_qgis.core.errors import InvalidGeometryError, SpecError
from rs_embed_qgis.core.specs import BBox, PointBuffer, Polygon

CTX = QgsCoordinateTransformContext()


def crs(code: str) -> QgsCoordinateReferenceSystem:
    c = QgsCoordinateReferenceSystem(code)
    assert c.isValid(), code
    return c


def dense_box_truth(code: str, x0: float, y0: float, x1: float, y1: float, n: int = 4000):
    """Lon/lat bounds of a rectangle's boundary sampled very densely, with pyproj."""
    t = np.linspace(0.0, 1.0, n)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(n, x1), x0 + (x1 - x0) * t, np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), y0 + (y1 - y0) * t, np.full(n, y1), y0 + (y1 - y0) * t])
    lon, lat = Transformer.from_crs(code, "EPSG:4326", always_xy=True).transform(xs, ys)
    return lon.min(), lat.min(), lon.max(), lat.max()


def to_crs(geom: QgsGeometry, code: str) -> QgsGeometry:
    out = QgsGeometry(geom)
    out.transform(QgsCoordinateTransform(crs("EPSG:4326"), crs(code), CTX))
    return out


# --------------------------------------------------------------------------- extents


def test_transform_uses_given_or_project_context(qgis_app):
    ct = to_wgs84_transform(crs("EPSG:3857"))
    assert ct.destinationCrs().authid() == "EPSG:4326"
    p = ct.transform(QgsPointXY(0.0, 0.0))
    assert (p.x(), p.y()) == pytest.approx((0.0, 0.0), abs=1e-9)
    with pytest.raises(SpecError, match="no valid coordinate reference system"):
        to_wgs84_transform(QgsCoordinateReferenceSystem())
    assert to_wgs84_transform(crs("EPSG:32633"), QgsProject.instance().transformContext())


def test_extent_epsg3857_matches_inverse_mercator(qgis_app):
    r = 6378137.0

    def merc(lon: float, lat: float) -> tuple[float, float]:
        return math.radians(lon) * r, r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    x0, y0 = merc(-10.0, 40.0)
    x1, y1 = merc(30.0, 60.0)
    spec = extent_to_spec(QgsRectangle(x0, y0, x1, y1), crs("EPSG:3857"), CTX)
    assert isinstance(spec, BBox)
    assert spec.as_tuple() == pytest.approx((-10.0, 40.0, 30.0, 60.0), abs=1e-7)


def test_extent_utm_is_densified(qgis_app):
    # A 600 km square in UTM 33N: its top edge bulges north between the corners.
    x0, y0, x1, y1 = 200_000.0, 5_000_000.0, 800_000.0, 5_600_000.0
    box = extent_to_lonlat_box(QgsRectangle(x0, y0, x1, y1), crs("EPSG:32633"), CTX)
    truth = dense_box_truth("EPSG:32633", x0, y0, x1, y1)
    assert box == pytest.approx(truth, abs=1e-4)
    corners_lat = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True).transform(
        [x0, x1], [y1, y1]
    )[1]
    assert box[3] > max(corners_lat) + 0.05  # the corners alone would miss the bulge


def test_extent_polar_without_pole(qgis_app):
    x0, y0, x1, y1 = 1_000_000.0, 1_000_000.0, 2_000_000.0, 2_000_000.0
    spec = extent_to_spec(QgsRectangle(x0, y0, x1, y1), crs("EPSG:3413"), CTX)
    assert isinstance(spec, BBox)
    assert spec.as_tuple() == pytest.approx(dense_box_truth("EPSG:3413", x0, y0, x1, y1), abs=1e-4)


@pytest.mark.parametrize(("code", "pole"), [("EPSG:3413", 90.0), ("EPSG:3031", -90.0)])
def test_extent_holding_a_pole_takes_every_longitude(qgis_app, code, pole):
    x0, y0, x1, y1 = -1_000_000.0, -1_500_000.0, 1_500_000.0, 1_000_000.0
    spec = extent_to_spec(QgsRectangle(x0, y0, x1, y1), crs(code), CTX)
    truth = dense_box_truth(code, x0, y0, x1, y1)
    assert isinstance(spec, BBox)
    assert (spec.minlon, spec.maxlon) == (-180.0, 180.0)
    if pole > 0:
        assert spec.maxlat == 90.0
        assert spec.minlat == pytest.approx(truth[1], abs=1e-4)
    else:
        assert spec.minlat == -90.0
        assert spec.maxlat == pytest.approx(truth[3], abs=1e-4)


def test_extent_across_antimeridian_epsg3857_splits_at_180(qgis_app):
    # x from 170 E to 170 W (wrapping past the Mercator edge at 20037508 m).
    half = 20037508.342789244
    rect = QgsRectangle(half * 170 / 180, -2_000_000.0, half * 190 / 180, -1_000_000.0)
    box = extent_to_lonlat_box(rect, crs("EPSG:3857"), CTX)
    assert box[0] == pytest.approx(170.0, abs=1e-7)
    assert box[2] == pytest.approx(190.0, abs=1e-7)
    spec = lonlat_box_to_spec(box)
    assert isinstance(spec, Polygon)
    parts = sorted(p.bounds for p in shapely.get_parts(spec.geometry))
    assert parts[0] == pytest.approx((-180.0, box[1], -170.0, box[3]), abs=1e-7)
    assert parts[1] == pytest.approx((170.0, box[1], 180.0, box[3]), abs=1e-7)


def test_extent_across_antimeridian_epsg4326_and_pdc_mercator(qgis_app):
    spec = extent_to_spec(QgsRectangle(175.0, 60.0, 185.0, 70.0), crs("EPSG:4326"), CTX)
    assert isinstance(spec, Polygon)
    assert spec.geometry.area == pytest.approx(100.0)
    assert spec.geometry.bounds == (-180.0, 60.0, 180.0, 70.0)
    # EPSG:3832 is centred on 150 E: the antimeridian is in the middle of its x range.
    g = to_crs(QgsGeometry.fromRect(QgsRectangle(175.0, -20.0, 185.0, -10.0)), "EPSG:3832")
    box = extent_to_lonlat_box(g.boundingBox(), crs("EPSG:3832"), CTX)
    assert box == pytest.approx((175.0, -20.0, 185.0, -10.0), abs=1e-6)
    # Expansion is applied to the split box (the core does not expand polygons).
    small = lonlat_box_to_spec((179.9, 10.0, 180.1, 10.2), expand_deg=1.0)
    assert isinstance(small, Polygon)
    assert small.geometry.area == pytest.approx(1.0)
    # A box that does not cross stays a BBox, unexpanded (the core expands it).
    assert lonlat_box_to_spec((10.0, 10.0, 10.1, 10.1), expand_deg=1.0).as_tuple() == (
        10.0,
        10.0,
        10.1,
        10.1,
    )


def test_extent_clamps_and_rejects_empty(qgis_app):
    spec = extent_to_spec(QgsRectangle(-200.0, -95.0, 200.0, 95.0), crs("EPSG:4326"), CTX)
    assert spec.as_tuple() == (-180.0, -90.0, 180.0, 90.0)
    spec = extent_to_spec(QgsRectangle(-190.0, 0.0, -170.0, 5.0), crs("EPSG:4326"), CTX)
    assert isinstance(spec, Polygon)
    assert sorted(p.bounds for p in shapely.get_parts(spec.geometry)) == [
        (-180.0, 0.0, -170.0, 5.0),
        (170.0, 0.0, 180.0, 5.0),
    ]
    with pytest.raises(SpecError, match="empty"):
        extent_to_spec(QgsRectangle(), crs("EPSG:4326"), CTX)


# --------------------------------------------------------------------------- geometries


def test_polygon_epsg3857_back_to_lonlat(qgis_app):
    src = QgsGeometry.fromWkt("POLYGON((5 45, 15 45, 15 55, 5 55, 5 45))")
    spec = geometry_to_spec(to_crs(src, "EPSG:3857"), crs("EPSG:3857"), CTX)
    assert isinstance(spec, Polygon)
    assert spec.geometry.bounds == pytest.approx((5.0, 45.0, 15.0, 55.0), abs=1e-7)
    assert spec.geometry.area == pytest.approx(100.0, rel=1e-6)
    assert spec.crs == "EPSG:4326"
    assert shapely.from_wkt(spec.wkt).equals_exact(spec.geometry, 1e-9)


def test_polygon_utm_edges_are_curved_after_densifying(qgis_app):
    x0, y0, x1, y1 = 200_000.0, 5_000_000.0, 800_000.0, 5_600_000.0
    geom = QgsGeometry.fromRect(QgsRectangle(x0, y0, x1, y1))
    spec = geometry_to_spec(geom, crs("EPSG:32633"), CTX)
    assert spec.geometry.bounds == pytest.approx(
        dense_box_truth("EPSG:32633", x0, y0, x1, y1), abs=1e-4
    )
    assert len(spec.geometry.exterior.coords) > 100
    # Every vertex lies on the true (pyproj) outline: densified in UTM, then transformed.
    xs, ys = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True).transform(
        *np.asarray(spec.geometry.exterior.coords).T
    )
    on_edge = np.minimum.reduce([abs(xs - x0), abs(xs - x1), abs(ys - y0), abs(ys - y1)])
    assert on_edge.max() < 0.01  # metres


def test_polygon_around_north_pole(qgis_app):
    geom = QgsGeometry.fromRect(QgsRectangle(-1_000_000.0, -1_000_000.0, 1_000_000.0, 1_000_000.0))
    spec = geometry_to_spec(geom, crs("EPSG:3413"), CTX)
    g = spec.geometry
    assert g.is_valid
    assert g.bounds[0] == pytest.approx(-180.0) and g.bounds[2] == pytest.approx(180.0)
    assert g.bounds[3] == pytest.approx(90.0)
    # The pole and the centre of each side are inside; a point south of the corners is not.
    lon_c, lat_c = Transformer.from_crs("EPSG:3413", "EPSG:4326", always_xy=True).transform(
        [0.0, 999_000.0, 0.0], [0.0, 0.0, -999_000.0]
    )
    for lon, lat in zip(lon_c, lat_c, strict=True):
        assert g.contains(shapely.Point(lon, min(lat, 89.999)))
    assert not g.contains(shapely.Point(0.0, 70.0))


def test_polygon_across_antimeridian_is_split(qgis_app):
    src = QgsGeometry.fromWkt("POLYGON((175 -20, 185 -20, 185 -10, 175 -10, 175 -20))")
    spec = geometry_to_spec(to_crs(src, "EPSG:3832"), crs("EPSG:3832"), CTX)
    parts = sorted(p.bounds for p in shapely.get_parts(spec.geometry))
    assert parts[0] == pytest.approx((-180.0, -20.0, -175.0, -10.0), abs=1e-6)
    assert parts[1] == pytest.approx((175.0, -20.0, 180.0, -10.0), abs=1e-6)
    assert spec.geometry.area == pytest.approx(100.0, rel=1e-5)
    # The bbox of the feature is the 10-degree box across 180, not the whole globe.
    box = geometry_bbox_4326(to_crs(src, "EPSG:3832"), crs("EPSG:3832"), CTX)
    assert box == pytest.approx((175.0, -20.0, 185.0, -10.0), abs=1e-6)
    # A geographic polygon drawn past 180 is folded the same way.
    spec2 = geometry_to_spec(src, crs("EPSG:4326"), CTX)
    assert spec2.geometry.area == pytest.approx(100.0)
    assert spec2.geometry.bounds == (-180.0, -20.0, 180.0, -10.0)


def test_multipolygon_split_at_180_keeps_parts_and_bbox(qgis_app):
    fiji = QgsGeometry.fromWkt(
        "MULTIPOLYGON(((177 -18, 180 -18, 180 -16, 177 -16, 177 -18)),"
        "((-180 -18, -178.5 -18, -178.5 -16, -180 -16, -180 -18)))"
    )
    spec = geometry_to_spec(fiji, crs("EPSG:4326"), CTX)
    assert spec.geometry.geom_type == "MultiPolygon"
    assert spec.geometry.area == pytest.approx(9.0)
    assert geometry_bbox_4326(fiji, crs("EPSG:4326"), CTX) == pytest.approx(
        (177.0, -18.0, 181.5, -16.0)
    )
    bspec = geometry_to_bbox_spec(fiji, crs("EPSG:4326"), CTX, expand_deg=0.0)
    assert isinstance(bspec, Polygon)
    assert bspec.geometry.area == pytest.approx(4.5 * 2.0)
    plain = QgsGeometry.fromWkt("POLYGON((10 50, 12 50, 11 52, 10 50))")
    assert geometry_to_bbox_spec(plain, crs("EPSG:4326"), CTX).as_tuple() == (
        10.0,
        50.0,
        12.0,
        52.0,
    )


def test_circular_lon_span():
    assert circular_lon_span([(-10.0, 10.0)]) == (-10.0, 10.0)
    assert circular_lon_span([(19.0, 180.0), (-180.0, -169.0), (19.0, 22.0)]) == (19.0, 191.0)
    assert circular_lon_span([(-180.0, 0.0), (0.0, 180.0)]) == (-180.0, 180.0)
    assert circular_lon_span([(-170.0, -160.0), (160.0, 170.0)]) == (160.0, 200.0)


def test_points_and_multipoints(qgis_app):
    p = to_crs(QgsGeometry.fromPointXY(QgsPointXY(10.0, 52.5)), "EPSG:3857")
    spec = geometry_to_spec(p, crs("EPSG:3857"), CTX, buffer_m=500.0)
    assert isinstance(spec, PointBuffer)
    assert (spec.lon, spec.lat, spec.buffer_m) == pytest.approx((10.0, 52.5, 500.0), abs=1e-9)
    mp = QgsGeometry.fromWkt("MULTIPOINT((0 0),(2 2),(4 1))")
    spec = geometry_to_spec(mp, crs("EPSG:4326"), CTX, buffer_m=1000.0)
    assert (spec.lon, spec.lat) == pytest.approx((2.0, 1.0))
    utm = point_to_spec(QgsPointXY(500_000.0, 0.0), crs("EPSG:32633"), 250.0, CTX)
    assert (utm.lon, utm.lat) == pytest.approx((15.0, 0.0), abs=1e-9)
    with pytest.raises(SpecError, match="buffer"):
        geometry_to_spec(p, crs("EPSG:3857"), CTX)


@pytest.mark.parametrize(
    "geom",
    [
        QgsGeometry(),
        QgsGeometry.fromWkt("POLYGON EMPTY"),
        QgsGeometry.fromWkt("LINESTRING(0 0, 1 1)"),
    ],
    ids=["null", "empty", "line"],
)
def test_unusable_geometries_raise(qgis_app, geom):
    with pytest.raises(InvalidGeometryError):
        geometry_to_spec(geom, crs("EPSG:4326"), CTX, buffer_m=100.0)


def test_features_to_specs_keeps_order_and_errors(qgis_app):
    feats = []
    for wkt in ("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))", None, "LINESTRING(0 0, 1 1)", "POINT(3 4)"):
        f = QgsFeature()
        if wkt:
            f.setGeometry(QgsGeometry.fromWkt(wkt))
        feats.append(f)
    specs = features_to_specs(feats, crs("EPSG:4326"), CTX, buffer_m=100.0)
    assert isinstance(specs[0], Polygon) and specs[0].geometry.area == pytest.approx(1.0)
    assert isinstance(specs[1], InvalidGeometryError)
    assert isinstance(specs[2], InvalidGeometryError)
    assert specs[3] == PointBuffer(3.0, 4.0, 100.0)
    boxes = features_to_specs(feats, crs("EPSG:4326"), CTX, buffer_m=100.0, region="bbox")
    assert boxes[0] == BBox(0.0, 0.0, 1.0, 1.0)
    assert boxes[3] == PointBuffer(3.0, 4.0, 100.0)
    with pytest.raises(SpecError, match="region"):
        features_to_specs(feats, crs("EPSG:4326"), CTX, region="circle")
