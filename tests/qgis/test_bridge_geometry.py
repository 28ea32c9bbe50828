"""QGIS geometries and extents in EPSG:3857, UTM, polar CRSs, across the antimeridian -> specs.

Expectations are computed independently of the bridge: corners and edges transformed one
point at a time with QgsCoordinateTransform, areas by the shoelace formula, containment
by an even-odd ray test, all written here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
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
    _holes_on_branch,
    _shift_part,
    _unwrap,
    _wkb_polygons,
    circular_lon_span,
    extent_to_lonlat_box,
    extent_to_spec,
    features_to_specs,
    geometry_bbox_4326,
    geometry_to_bbox_spec,
    geometry_to_spec,
    lonlat_box_to_spec,
    point_to_spec,
    polygon_rings_4326,
    to_wgs84_transform,
)
from rs_embed_qgis.core.errors import InvalidGeometryError, SpecError
from rs_embed_qgis.core.specs import BBox, PointBuffer, Polygon
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

CTX = QgsCoordinateTransformContext()


def crs(code: str) -> QgsCoordinateReferenceSystem:
    c = QgsCoordinateReferenceSystem(code)
    assert c.isValid(), code
    return c


def transform_points(src: str, dst: str, xs, ys) -> tuple[np.ndarray, np.ndarray]:
    """Points transformed one at a time (no densifying, no geometry machinery)."""
    ct = QgsCoordinateTransform(crs(src), crs(dst), CTX)
    out = [ct.transform(QgsPointXY(float(x), float(y))) for x, y in zip(xs, ys, strict=True)]
    return np.array([p.x() for p in out]), np.array([p.y() for p in out])


def dense_box_truth(code: str, x0: float, y0: float, x1: float, y1: float, n: int = 2000):
    """Lon/lat bounds of a rectangle's boundary sampled very densely, point by point."""
    t = np.linspace(0.0, 1.0, n)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(n, x1), x0 + (x1 - x0) * t, np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), y0 + (y1 - y0) * t, np.full(n, y1), y0 + (y1 - y0) * t])
    lon, lat = transform_points(code, "EPSG:4326", xs, ys)
    return lon.min(), lat.min(), lon.max(), lat.max()


def to_crs(geom: QgsGeometry, code: str) -> QgsGeometry:
    out = QgsGeometry(geom)
    out.transform(QgsCoordinateTransform(crs("EPSG:4326"), crs(code), CTX))
    return out


def shoelace(ring: np.ndarray) -> float:
    x, y = np.asarray(ring, dtype=float).T
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def part_area(part) -> float:
    return abs(shoelace(part[0])) - sum(abs(shoelace(h)) for h in part[1:])


def total_area(parts) -> float:
    return sum(part_area(p) for p in parts)


def bounds(parts) -> tuple[float, float, float, float]:
    pts = np.vstack([r for p in parts for r in p])
    return (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())


def inside(part, lon: float, lat: float) -> bool:
    """Even-odd test of the part folded onto the globe: crossings summed over 360 branches.

    A hole may lie one turn from its exterior in the plane (two rings round a pole cannot
    both span the same 360 degrees); on the globe, as the core folds it, it is the same.
    """
    crossings = 0
    for x in (lon - 720.0, lon - 360.0, lon, lon + 360.0, lon + 720.0):
        for ring in part:
            a = np.asarray(ring, dtype=float)
            b = np.roll(a, -1, axis=0)
            up = (a[:, 1] > lat) != (b[:, 1] > lat)
            with np.errstate(divide="ignore", invalid="ignore"):
                xi = a[:, 0] + (lat - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
            crossings += int(np.count_nonzero(up & (x < xi)))
    return crossings % 2 == 1


# --------------------------------------------------------------------------- array helpers


def test_unwrap_takes_the_short_way():
    lons = np.array([170.0, 179.0, -179.0, -170.0, 179.5, 170.0])
    assert _unwrap(lons) == pytest.approx([170.0, 179.0, 181.0, 190.0, 179.5, 170.0])
    assert _unwrap(np.array([5.0])) == pytest.approx([5.0])


def test_parts_put_holes_on_the_exterior_branch_and_west_in_range():
    ext = np.array([[530.0, 0.0], [550.0, 0.0], [550.0, 10.0], [530.0, 10.0], [530.0, 0.0]])
    hole = np.array([[-178.0, 2.0], [-178.0, 4.0], [-176.0, 4.0], [-176.0, 2.0], [-178.0, 2.0]])
    placed = _shift_part(_holes_on_branch([ext, hole]))
    assert bounds([placed]) == pytest.approx((170.0, 0.0, 190.0, 10.0))
    assert placed[1][:, 0].min() == pytest.approx(182.0)  # 182..184 = -178..-176 + 360
    # A cap starting east of 0 would end past 360: it is placed one turn west instead.
    cap = np.array([[100.0, 80.0], [460.0, 80.0], [460.0, 90.0], [100.0, 90.0], [100.0, 80.0]])
    assert bounds([_shift_part([cap])]) == pytest.approx((-260.0, 80.0, 100.0, 90.0))


def test_wkb_reader_matches_qgis_vertices(qgis_app):
    g = QgsGeometry.fromWkt(
        "GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 3 3),"
        "MULTIPOLYGON(((0 0, 4 0, 4 4, 0 4, 0 0),(1 1, 1 2, 2 2, 1 1)),"
        "((10 10, 11 10, 10 11, 10 10))))"
    )
    parts = _wkb_polygons(bytes(g.asWkb()))
    expected = [
        [[(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)], [(1, 1), (1, 2), (2, 2), (1, 1)]],
        [[(10, 10), (11, 10), (10, 11), (10, 10)]],
    ]
    assert [[r.tolist() for r in p] for p in parts] == [
        [[list(map(float, v)) for v in r] for r in p] for p in expected
    ]
    z = QgsGeometry.fromWkt("POLYGON Z((0 0 5, 1 0 5, 1 1 5, 0 0 5))")
    assert _wkb_polygons(bytes(z.asWkb()))[0][0].tolist() == [[0, 0], [1, 0], [1, 1], [0, 0]]


# --------------------------------------------------------------------------- extents


def test_transform_uses_given_or_project_context(qgis_app):
    ct = to_wgs84_transform(crs("EPSG:3857"))
    assert ct.destinationCrs().authid() == "EPSG:4326"
    p = ct.transform(QgsPointXY(0.0, 0.0))
    assert (p.x(), p.y()) == pytest.approx((0.0, 0.0), abs=1e-9)
    with pytest.raises(SpecError, match="no valid coordinate reference system"):
        to_wgs84_transform(QgsCoordinateReferenceSystem())
    utm = to_wgs84_transform(crs("EPSG:32633"), QgsProject.instance().transformContext())
    assert utm.isValid()
    assert (utm.sourceCrs().authid(), utm.destinationCrs().authid()) == ("EPSG:32633", "EPSG:4326")
    # The central meridian of zone 33 (15 E) at the false easting, on the equator.
    q = utm.transform(QgsPointXY(500_000.0, 0.0))
    assert (q.x(), q.y()) == pytest.approx((15.0, 0.0), abs=1e-9)


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
    corners_lat = transform_points("EPSG:32633", "EPSG:4326", [x0, x1], [y1, y1])[1]
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


def test_extent_across_antimeridian_epsg3857_runs_past_180(qgis_app):
    # x from 170 E to 170 W (wrapping past the Mercator edge at 20037508 m).
    half = 20037508.342789244
    rect = QgsRectangle(half * 170 / 180, -2_000_000.0, half * 190 / 180, -1_000_000.0)
    box = extent_to_lonlat_box(rect, crs("EPSG:3857"), CTX)
    assert box[0] == pytest.approx(170.0, abs=1e-7)
    assert box[2] == pytest.approx(190.0, abs=1e-7)
    spec = lonlat_box_to_spec(box)
    assert isinstance(spec, Polygon)
    assert spec.bounds == pytest.approx(box, abs=1e-9)
    assert total_area(spec.parts) == pytest.approx(20.0 * (box[3] - box[1]))


def test_extent_across_antimeridian_epsg4326_and_pdc_mercator(qgis_app):
    spec = extent_to_spec(QgsRectangle(175.0, 60.0, 185.0, 70.0), crs("EPSG:4326"), CTX)
    assert isinstance(spec, Polygon)
    assert total_area(spec.parts) == pytest.approx(100.0)
    assert spec.bounds == (175.0, 60.0, 185.0, 70.0)
    # EPSG:3832 is centred on 150 E: the antimeridian is in the middle of its x range.
    g = to_crs(QgsGeometry.fromRect(QgsRectangle(175.0, -20.0, 185.0, -10.0)), "EPSG:3832")
    box = extent_to_lonlat_box(g.boundingBox(), crs("EPSG:3832"), CTX)
    assert box == pytest.approx((175.0, -20.0, 185.0, -10.0), abs=1e-6)
    # Expansion is applied to the box across 180 (the core does not expand polygons).
    small = lonlat_box_to_spec((179.9, 10.0, 180.1, 10.2), expand_deg=1.0)
    assert isinstance(small, Polygon)
    assert small.bounds == pytest.approx((179.5, 9.6, 180.5, 10.6))
    assert total_area(small.parts) == pytest.approx(1.0)
    # A box wider than 180 degrees whose east would pass 360 goes one turn west.
    wide = lonlat_box_to_spec((100.0, 0.0, 400.0, 10.0))
    assert wide.bounds == (-260.0, 0.0, 40.0, 10.0)
    assert total_area(wide.parts) == pytest.approx(3000.0)
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
    assert spec.bounds == (170.0, 0.0, 190.0, 5.0)
    with pytest.raises(SpecError, match="empty"):
        extent_to_spec(QgsRectangle(), crs("EPSG:4326"), CTX)


# --------------------------------------------------------------------------- polygons


def test_polygon_epsg3857_back_to_lonlat(qgis_app):
    src = QgsGeometry.fromWkt("POLYGON((5 45, 15 45, 15 55, 5 55, 5 45))")
    parts = polygon_rings_4326(to_crs(src, "EPSG:3857"), crs("EPSG:3857"), CTX)
    assert len(parts) == 1 and len(parts[0]) == 1
    assert bounds(parts) == pytest.approx((5.0, 45.0, 15.0, 55.0), abs=1e-7)
    # Meridians and parallels are straight in Mercator: the area is the lon/lat box's.
    assert total_area(parts) == pytest.approx(100.0, rel=1e-6)
    assert shoelace(parts[0][0]) > 0  # exterior counter-clockwise


def test_polygon_utm_edges_are_curved_after_densifying(qgis_app):
    x0, y0, x1, y1 = 200_000.0, 5_000_000.0, 800_000.0, 5_600_000.0
    geom = QgsGeometry.fromRect(QgsRectangle(x0, y0, x1, y1))
    parts = polygon_rings_4326(geom, crs("EPSG:32633"), CTX)
    ring = parts[0][0]
    assert bounds(parts) == pytest.approx(dense_box_truth("EPSG:32633", x0, y0, x1, y1), abs=1e-4)
    assert len(ring) > 100
    # Every vertex lies on the true outline: densified in UTM, then transformed.
    xs, ys = transform_points("EPSG:4326", "EPSG:32633", ring[:, 0], ring[:, 1])
    on_edge = np.minimum.reduce([abs(xs - x0), abs(xs - x1), abs(ys - y0), abs(ys - y1)])
    assert on_edge.max() < 0.01  # metres


@pytest.mark.parametrize(("code", "sign"), [("EPSG:3413", 1.0), ("EPSG:3031", -1.0)])
def test_polar_square_around_the_pole_is_a_cap(qgis_app, code, sign):
    half = 1_000_000.0
    geom = QgsGeometry.fromRect(QgsRectangle(-half, -half, half, half))
    parts = polygon_rings_4326(geom, crs(code), CTX)
    assert len(parts) == 1
    assert planar_valid(parts)
    west, south, east, north = bounds(parts)
    assert east - west == pytest.approx(360.0)
    assert -180.0 <= west < 180.0
    corner_lat = transform_points(code, "EPSG:4326", [half], [half])[1][0]
    if sign > 0:
        assert north == 90.0 and south == pytest.approx(corner_lat, abs=1e-6)
    else:
        assert south == -90.0 and north == pytest.approx(corner_lat, abs=1e-6)
    # The pole and points just inside each side are in the cap; a point outside is not.
    lons, lats = transform_points(
        code,
        "EPSG:4326",
        [0.0, 0.99 * half, 0.0, -0.99 * half, 0.0],
        [0.0, 0.0, 0.99 * half, 0.0, -0.99 * half],
    )
    for lon, lat in zip(lons, lats, strict=True):
        assert inside(parts[0], lon, float(np.clip(lat, -89.999, 89.999)))
    assert not inside(parts[0], 0.0, sign * 70.0)
    assert geometry_bbox_4326(geom, crs(code), CTX) == pytest.approx((-180.0, south, 180.0, north))


def planar_valid(parts) -> bool:
    """The rings are a valid (multi)polygon in the lon/lat plane (what the core checks)."""
    return QgsGeometry.fromWkt(Polygon.from_rings(parts).wkt).isGeosValid()


def test_polar_ring_with_a_hole_around_the_pole(qgis_app):
    outer = QgsRectangle(-2e6, -2e6, 2e6, 2e6)
    inner = QgsRectangle(-1e6, -1e6, 1e6, 1e6)
    geom = QgsGeometry.fromRect(outer).difference(QgsGeometry.fromRect(inner))
    parts = polygon_rings_4326(geom, crs("EPSG:3413"), CTX)
    # One keyhole ring: the band between the squares, joined along a meridian.
    assert len(parts) == 1 and len(parts[0]) == 1
    assert planar_valid(parts)
    lons, lats = transform_points("EPSG:3413", "EPSG:4326", [1.5e6, 0.0, 0.5e6], [0.0, 0.0, 0.0])
    assert inside(parts[0], lons[0], lats[0])  # in the band between the squares
    assert not inside(parts[0], lons[1], 89.999)  # the pole is in the hole
    assert not inside(parts[0], lons[2], lats[2])
    cap_outer = polygon_rings_4326(QgsGeometry.fromRect(outer), crs("EPSG:3413"), CTX)
    cap_inner = polygon_rings_4326(QgsGeometry.fromRect(inner), crs("EPSG:3413"), CTX)
    assert total_area(parts) == pytest.approx(total_area(cap_outer) - total_area(cap_inner))


def test_polar_cap_with_a_hole_across_its_first_meridian(qgis_app):
    # The square's first corner (-1e6, -1e6) lies on lon -90 in EPSG:3413, and so does the
    # centre of the small hole: the cap is cut elsewhere, so that the hole stays inside.
    cap = QgsGeometry.fromRect(QgsRectangle(-1e6, -1e6, 1e6, 1e6))
    small = QgsGeometry.fromRect(QgsRectangle(-0.75e6, -0.75e6, -0.65e6, -0.65e6))
    parts = polygon_rings_4326(cap.difference(small), crs("EPSG:3413"), CTX)
    assert len(parts) == 1 and len(parts[0]) == 2
    assert planar_valid(parts)
    (lon_h, lon_p), (lat_h, _) = transform_points(
        "EPSG:3413", "EPSG:4326", [-0.7e6, 0], [-0.7e6, 0]
    )
    assert lon_h == pytest.approx(-90.0)
    assert not inside(parts[0], lon_h, lat_h)
    assert inside(parts[0], lon_p, 89.999)
    whole = polygon_rings_4326(cap, crs("EPSG:3413"), CTX)
    hole = polygon_rings_4326(small, crs("EPSG:3413"), CTX)
    assert total_area(parts) == pytest.approx(total_area(whole) - total_area(hole))


def test_polygon_across_antimeridian_runs_past_180(qgis_app):
    src = QgsGeometry.fromWkt("POLYGON((175 -20, 185 -20, 185 -10, 175 -10, 175 -20))")
    fiji = to_crs(src, "EPSG:3832")
    parts = polygon_rings_4326(fiji, crs("EPSG:3832"), CTX)
    assert len(parts) == 1
    assert bounds(parts) == pytest.approx((175.0, -20.0, 185.0, -10.0), abs=1e-6)
    assert total_area(parts) == pytest.approx(100.0, rel=1e-5)
    # The bbox of the feature is the 10-degree box across 180, not the whole globe.
    box = geometry_bbox_4326(fiji, crs("EPSG:3832"), CTX)
    assert box == pytest.approx((175.0, -20.0, 185.0, -10.0), abs=1e-6)
    # A geographic polygon drawn past 180 is kept as drawn.
    drawn = polygon_rings_4326(src, crs("EPSG:4326"), CTX)
    assert drawn[0][0].tolist() == [[175, -20], [185, -20], [185, -10], [175, -10], [175, -20]]
    # ... and one drawn west of -180 is moved one turn east, to the same place.
    west = QgsGeometry.fromWkt("POLYGON((-185 -20, -175 -20, -175 -10, -185 -10, -185 -20))")
    assert bounds(polygon_rings_4326(west, crs("EPSG:4326"), CTX)) == (175.0, -20.0, 185.0, -10.0)


def test_holes_are_kept_on_the_exterior_branch(qgis_app):
    src = QgsGeometry.fromWkt(
        "POLYGON((170 -20, 190 -20, 190 -10, 170 -10, 170 -20),"
        "(181 -15, 181 -12, 178 -12, 178 -15, 181 -15))"
    )
    # The hole's first vertex (181 E) comes back from PROJ as -179.
    parts = polygon_rings_4326(to_crs(src, "EPSG:3832"), crs("EPSG:3832"), CTX)
    assert len(parts) == 1 and len(parts[0]) == 2
    ext, hole = parts[0]
    assert bounds([[ext]]) == pytest.approx((170.0, -20.0, 190.0, -10.0), abs=1e-6)
    assert bounds([[hole]]) == pytest.approx((178.0, -15.0, 181.0, -12.0), abs=1e-6)
    assert total_area(parts) == pytest.approx(200.0 - 9.0, rel=1e-5)
    assert inside(parts[0], 175.0, -15.0) and not inside(parts[0], 179.5, -13.5)


def test_invalid_bow_tie_is_repaired_into_two_triangles(qgis_app):
    bow = QgsGeometry.fromWkt("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))")
    assert not bow.isGeosValid()
    parts = polygon_rings_4326(bow, crs("EPSG:4326"), CTX)
    assert len(parts) == 2
    # Two triangles of base 2 and height 1 meeting at (1, 1).
    assert sorted(part_area(p) for p in parts) == pytest.approx([1.0, 1.0])
    assert sorted(bounds([p]) for p in parts) == [(0.0, 0.0, 1.0, 2.0), (1.0, 0.0, 2.0, 2.0)]
    # The same shape in metres: repaired before densifying and transforming.
    r = 6378137.0 * math.pi / 180.0
    bow_m = QgsGeometry.fromWkt(f"POLYGON((0 0, {2 * r} {2 * r}, {2 * r} 0, 0 {2 * r}, 0 0))")
    parts_m = polygon_rings_4326(bow_m, crs("EPSG:3857"), CTX)
    assert len(parts_m) == 2
    assert bounds(parts_m)[2] == pytest.approx(2.0)


def test_off_the_globe_raises(qgis_app):
    ortho = QgsCoordinateReferenceSystem.fromProj("+proj=ortho +lat_0=0 +lon_0=0 +ellps=WGS84")
    assert ortho.isValid()
    beyond = QgsGeometry.fromRect(QgsRectangle(7e6, 0.0, 8e6, 1e6))  # radius ~6.4e6 m
    with pytest.raises(InvalidGeometryError, match="could not be transformed to EPSG:4326"):
        polygon_rings_4326(beyond, ortho, CTX)


def test_geometry_to_spec_builds_the_core_polygon(qgis_app):
    src = QgsGeometry.fromWkt("POLYGON((175 -20, 185 -20, 185 -10, 175 -10, 175 -20))")
    spec = geometry_to_spec(to_crs(src, "EPSG:3832"), crs("EPSG:3832"), CTX)
    assert isinstance(spec, Polygon)
    assert spec.crs == "EPSG:4326"
    assert spec.bounds == pytest.approx((175.0, -20.0, 185.0, -10.0), abs=1e-6)
    assert total_area(spec.parts) == pytest.approx(100.0, rel=1e-5)


def test_multipolygon_split_at_180_keeps_parts_and_bbox(qgis_app):
    fiji = QgsGeometry.fromWkt(
        "MULTIPOLYGON(((177 -18, 180 -18, 180 -16, 177 -16, 177 -18)),"
        "((-180 -18, -178.5 -18, -178.5 -16, -180 -16, -180 -18)))"
    )
    spec = geometry_to_spec(fiji, crs("EPSG:4326"), CTX)
    assert len(spec.parts) == 2
    assert total_area(spec.parts) == pytest.approx(9.0)
    assert geometry_bbox_4326(fiji, crs("EPSG:4326"), CTX) == pytest.approx(
        (177.0, -18.0, 181.5, -16.0)
    )
    bspec = geometry_to_bbox_spec(fiji, crs("EPSG:4326"), CTX, expand_deg=0.0)
    assert isinstance(bspec, Polygon)
    assert bspec.bounds == pytest.approx((177.0, -18.0, 181.5, -16.0))
    assert total_area(bspec.parts) == pytest.approx(4.5 * 2.0)
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
    assert isinstance(specs[0], Polygon) and total_area(specs[0].parts) == pytest.approx(1.0)
    assert isinstance(specs[1], InvalidGeometryError)
    assert isinstance(specs[2], InvalidGeometryError)
    assert specs[3] == PointBuffer(3.0, 4.0, 100.0)
    boxes = features_to_specs(feats, crs("EPSG:4326"), CTX, buffer_m=100.0, region="bbox")
    assert boxes[0] == BBox(0.0, 0.0, 1.0, 1.0)
    assert boxes[3] == PointBuffer(3.0, 4.0, 100.0)
    with pytest.raises(SpecError, match="region"):
        features_to_specs(feats, crs("EPSG:4326"), CTX, region="circle")
