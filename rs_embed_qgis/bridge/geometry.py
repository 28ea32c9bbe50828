# SPDX-License-Identifier: GPL-2.0-or-later
"""QGIS geometries and extents in any CRS -> core specs (BBox, PointBuffer, Polygon) in EPSG:4326.

Only the QGIS API and NumPy are used. Edges are densified before the transform so that
a straight edge of a UTM or polar rectangle becomes the curve it really is in
longitude/latitude. Polygons keep continuous longitudes: a shape across the antimeridian
runs past 180 (the core folds it onto the grid), and a projected ring around a pole is
closed through that pole, so the shape covers every longitude up to it.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsCsException,
    QgsCurvePolygon,
    QgsFeature,
    QgsGeometry,
    QgsGeometryCollection,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsUnitTypes,
    QgsWkbTypes,
)

from rs_embed_qgis.core.constants import PRODUCT_CRS, REGION_POLYGON, REGIONS
from rs_embed_qgis.core.errors import InvalidGeometryError, RsEmbedError, SpecError
from rs_embed_qgis.core.grid import LonLatBox, expand_box
from rs_embed_qgis.core.specs import BBox, PointBuffer, Polygon, SpatialSpec
from rs_embed_qgis.i18n import tr

# Longest edge (metres) left after densifying a projected geometry: well under a product
# pixel (~28 km), so the transformed outline is right at the product's scale.
DENSIFY_M = 2000.0
# Upper bound of vertices densification may add to one geometry (huge outlines in metres).
MAX_DENSIFY_VERTICES = 200_000
# Points per side of a rectangle's boundary when its extent is transformed.
EXTENT_SIDE_POINTS = 256
# Boxes narrower than this (degrees) get this width, so a point-like polygon still has a box.
_MIN_BOX_DEG = 1e-7


def wgs84() -> QgsCoordinateReferenceSystem:
    """The product's CRS (EPSG:4326)."""
    return QgsCoordinateReferenceSystem(PRODUCT_CRS)


def to_wgs84_transform(
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> QgsCoordinateTransform:
    """A transform from ``crs`` to EPSG:4326 (context: the project's, unless given)."""
    if crs is None or not crs.isValid():
        raise SpecError(
            tr(
                "The layer or extent has no valid coordinate reference system, so it cannot be "
                "transformed to EPSG:4326. Set its CRS first."
            )
        )
    ctx = context if context is not None else QgsProject.instance().transformContext()
    return QgsCoordinateTransform(crs, wgs84(), ctx)


# --------------------------------------------------------------------------- helpers

Ring = np.ndarray  # (n, 2) float64 lon/lat (or x/y before the transform)
Part = list[Ring]  # exterior first, then holes


def _unwrap(lons: np.ndarray) -> np.ndarray:
    """Longitudes made continuous: each step taken the short way round (<= 180 degrees)."""
    if lons.size < 2:
        return lons.copy()
    steps = (np.diff(lons) + 180.0) % 360.0 - 180.0
    return np.concatenate([lons[:1], lons[0] + np.cumsum(steps)])


def _wrap_lon(lon: float) -> float:
    """A longitude brought into [-180, 180] (180 stays 180)."""
    if -180.0 <= lon <= 180.0:
        return float(lon)
    return float((lon + 180.0) % 360.0 - 180.0)


# WKB geometry types (ISO numbering, before the Z/M thousands).
_WKB_POINT, _WKB_LINE, _WKB_POLYGON = 1, 2, 3
_WKB_MULTI = (4, 5, 6, 7)


def _wkb_polygons(wkb: bytes) -> list[Part]:
    """The polygons of a WKB geometry as rings of (n, 2) arrays; points and lines are skipped.

    QGIS 3.22 has no array access to a geometry's coordinates from Python, and a QgsPoint
    per vertex is slow for a densified outline, so the WKB is read with NumPy instead.
    """
    parts: list[Part] = []

    def read(off: int) -> int:
        order = "<" if wkb[off] == 1 else ">"
        (code,) = struct.unpack_from(order + "I", wkb, off + 1)
        off += 5
        base, dims = code % 1000, code // 1000
        ndim = 2 + (dims in (1, 3)) + (dims in (2, 3))
        dtype = np.dtype(order + "f8")

        def coords(off: int) -> tuple[np.ndarray, int]:
            (n,) = struct.unpack_from(order + "I", wkb, off)
            arr = np.frombuffer(wkb, dtype=dtype, count=n * ndim, offset=off + 4)
            return arr.reshape(n, ndim)[:, :2].astype(np.float64), off + 4 + 8 * n * ndim

        if base == _WKB_POINT:
            return off + 8 * ndim
        if base == _WKB_LINE:
            return coords(off)[1]
        (count,) = struct.unpack_from(order + "I", wkb, off)
        off += 4
        if base == _WKB_POLYGON:
            rings = []
            for _ in range(count):
                ring, off = coords(off)
                rings.append(ring)
            if rings:
                parts.append(rings)
            return off
        if base in _WKB_MULTI:
            for _ in range(count):
                off = read(off)
            return off
        raise InvalidGeometryError(f"Unexpected WKB geometry type {code} in a polygon.")

    read(0)
    return parts


def _signed_area(ring: Ring) -> float:
    """Shoelace area of a ring (positive when counter-clockwise)."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _has_area(ring: Ring) -> bool:
    """True for a ring of at least three distinct corners enclosing some area."""
    return len(ring) >= 4 and _signed_area(ring) != 0.0


def _oriented(ring: Ring, ccw: bool) -> Ring:
    """The ring counter-clockwise (``ccw``) or clockwise: exteriors CCW, holes CW."""
    return ring[::-1].copy() if (_signed_area(ring) > 0) != ccw else ring


def _lift(ring: Ring) -> tuple[Ring, int]:
    """A transformed ring in continuous longitudes, and how often it goes round the globe."""
    lifted = np.column_stack([_unwrap(ring[:, 0]), ring[:, 1]])
    turns = round(float(lifted[-1, 0] - lifted[0, 0]) / 360.0)
    lifted[-1] = lifted[0] + np.array([360.0 * turns, 0.0])  # exactly, without round-off
    return lifted, turns


def _cut_at(path: Ring, lon: float, pole: float, nearest: bool, beyond: float | None) -> Ring:
    """A ring going once round the globe, re-started where it crosses the meridian ``lon``.

    Returns the open path from that crossing X eastward to X + 360. Of several crossings,
    the one ``nearest`` the pole (or the farthest) is taken; with ``beyond``, only those
    farther from the pole than that latitude count. A vertical line from the crossing
    nearest the pole up to the pole then meets the ring nowhere else.
    """
    if path[-1, 0] < path[0, 0]:
        path = path[::-1]
    a = path[0, 0] + (lon - path[0, 0]) % 360.0
    if a >= path[-1, 0]:  # (x % 360 may round up to 360)
        a -= 360.0
    x0, y0, x1, y1 = path[:-1, 0], path[:-1, 1], path[1:, 0], path[1:, 1]
    idx = np.flatnonzero(((x0 <= a) & (a < x1)) | ((x1 <= a) & (a < x0)))
    lats = y0[idx] + (a - x0[idx]) / (x1[idx] - x0[idx]) * (y1[idx] - y0[idx])
    key = lats * np.sign(pole)  # larger = nearer the pole
    ok = np.ones(idx.size, dtype=bool) if beyond is None else key < beyond * np.sign(pole)
    if not ok.any():
        ok[:] = True
    j = np.flatnonzero(ok)[np.argmax(key[ok]) if nearest else np.argmin(key[ok])]
    i, x = int(idx[j]), np.array([a, lats[j]])
    turn = np.array([360.0, 0.0])
    return np.vstack([x, path[i + 1 : -1], path[: i + 1] + turn, x + turn])


def _cut_lon(start: float, holes: Sequence[Ring]) -> float:
    """A meridian through no hole (mod 360), to cut a ring round a pole at; else ``start``."""
    spans = [(float(h[:, 0].min()), float(h[:, 0].max())) for h in holes]
    for lon in [start] + [hi + 1e-6 for _, hi in spans]:
        if all((lon - lo) % 360.0 > hi - lo for lo, hi in spans):
            return lon
    return start


def _polar_part(ext: Ring, holes: list[tuple[Ring, int]]) -> Part:
    """A part whose exterior goes round a pole, as rings that are valid in the plane.

    The exterior is cut at a meridian through none of its ordinary holes and closed
    through the pole; a hole that goes round the pole too is joined to it along that
    meridian (one keyhole ring, the band between them). Ordinary holes are placed within
    the 360 degrees the cut ring spans.
    """
    pole = 90.0 if float(np.mean(ext[:, 1])) > 0 else -90.0
    ordinary = [h for h, turns in holes if not turns]
    around = [h for h, turns in holes if turns]
    lon = _cut_lon(float(ext[0, 0]), ordinary)
    if around:
        inner = _cut_at(around[0], lon, pole, nearest=False, beyond=None)
        outer = _cut_at(ext, lon, pole, nearest=True, beyond=float(inner[0, 1]))
        inner = inner + np.array([outer[0, 0] - inner[0, 0], 0.0])
        ring = np.vstack([outer, inner[::-1], outer[:1]])
        ordinary += around[1:]  # more than one cannot be valid; left to the core's repair
    else:
        outer = _cut_at(ext, lon, pole, nearest=True, beyond=None)
        west, east = outer[0, 0], outer[-1, 0]
        ring = np.vstack([outer, [[east, pole], [west, pole]], outer[:1]])
    west = float(ring[0, 0])
    placed = [
        h + np.array([west + (h[:, 0].min() - west) % 360.0 - h[:, 0].min(), 0.0]) for h in ordinary
    ]
    return [ring, *placed]


def _same_branch(ring: Ring, ref: Ring) -> Ring:
    """Each vertex of ``ring`` moved by whole turns onto the branch of the vertex in ``ref``."""
    out = ring.copy()
    out[:, 0] += 360.0 * np.round((ref[:, 0] - ring[:, 0]) / 360.0)
    return out


def _holes_on_branch(rings: Part) -> Part:
    """Each hole moved by whole turns so that its mean longitude is within 180 of the exterior's."""
    centre = float(np.mean(rings[0][:, 0]))
    placed = [rings[0]]
    for hole in rings[1:]:
        turns = round((centre - float(np.mean(hole[:, 0]))) / 360.0)
        placed.append(hole + np.array([360.0 * turns, 0.0]) if turns else hole)
    return placed


def _shift_part(placed: Part) -> Part:
    """The part moved by whole turns so that its west lies in [-180, 180).

    A part wider than 180 degrees whose east would pass 360 (a polar cap starting east of
    0) goes one turn west instead, as the core takes longitudes in [-360, 360].
    """
    west = min(float(r[:, 0].min()) for r in placed)
    east = max(float(r[:, 0].max()) for r in placed)
    shift = 360.0 * math.floor((west + 180.0) / 360.0)
    if east - shift > 360.0:
        shift += 360.0
    if shift:
        placed = [r - np.array([shift, 0.0]) for r in placed]
    return placed


def _straight_2d(geom: QgsGeometry) -> QgsGeometry:
    """A copy without curves, Z or M (what GEOS and the core expect)."""
    out = QgsGeometry(geom)
    if QgsWkbTypes.isCurvedType(out.wkbType()):
        out.convertToStraightSegment()
    abstract = out.get()
    abstract.dropZValue()
    abstract.dropMValue()
    return out


def _unclosed_ring(geom: QgsGeometry) -> str | None:
    """A description of the first ring whose last vertex is not its first, else None.

    GEOS closes such a ring silently, so the check comes before any repair: QGIS's own
    validity check calls it "ring not closed" and so do we.
    """
    abstract = geom.constGet()
    parts = (
        [abstract.geometryN(i) for i in range(abstract.numGeometries())]
        if isinstance(abstract, QgsGeometryCollection)
        else [abstract]
    )
    for part in parts:
        if not isinstance(part, QgsCurvePolygon):
            continue
        rings = [part.exteriorRing()] + [
            part.interiorRing(k) for k in range(part.numInteriorRings())
        ]
        for k, ring in enumerate(rings):
            if ring is not None and ring.numPoints() > 0 and not ring.isClosed():
                first, last = ring.startPoint(), ring.endPoint()
                ends = (first.x(), first.y(), last.x(), last.y())
                if k == 0:
                    return tr(
                        "its exterior ring is not closed: it starts at ({0:g} {1:g}) and ends "
                        "at ({2:g} {3:g})"
                    ).format(*ends)
                return tr(
                    "its hole {4} is not closed: it starts at ({0:g} {1:g}) and ends at "
                    "({2:g} {3:g})"
                ).format(*ends, k)
    return None


def _repaired(geom: QgsGeometry) -> QgsGeometry:
    """A GEOS-valid copy (self-intersections resolved, spikes removed); its polygons only.

    Raises InvalidGeometryError for an unclosed ring and for a polygon without area.
    """
    unclosed = _unclosed_ring(geom)
    if unclosed:
        raise InvalidGeometryError(tr("The polygon is invalid: {0}.").format(unclosed))
    if geom.isGeosValid():
        return geom
    fixed = geom.makeValid()
    if fixed.isNull() or fixed.isEmpty() or not fixed.isGeosValid():
        fixed = geom.buffer(0.0, 1)
    if not fixed.isNull() and fixed.type() != QgsWkbTypes.PolygonGeometry:
        # A spike repairs to a collection of the polygon and the spike's line. The
        # conversion works in place and says only whether it could (a bool).
        fixed = QgsGeometry(fixed)
        if not fixed.convertGeometryCollectionToSubclass(QgsWkbTypes.PolygonGeometry):
            fixed = QgsGeometry()
    if fixed.isNull() or fixed.isEmpty() or fixed.area() <= 0.0:
        raise InvalidGeometryError(tr("The polygon is invalid and has no area once repaired."))
    return fixed


def _densify_step(geom: QgsGeometry, crs: QgsCoordinateReferenceSystem) -> float:
    """Densification distance in the layer's units: <= DENSIFY_M and <= 1/64 of the size."""
    factor = QgsUnitTypes.fromUnitToUnitFactor(QgsUnitTypes.DistanceMeters, crs.mapUnits())
    step = DENSIFY_M * (factor if factor > 0 else 1.0)
    bb = geom.boundingBox()
    size = max(bb.width(), bb.height())
    if size > 0:
        step = min(step, size / 64.0)
    perimeter = geom.constGet().perimeter() if geom.type() == QgsWkbTypes.PolygonGeometry else 0
    if perimeter > 0 and perimeter / step > MAX_DENSIFY_VERTICES:
        step = perimeter / MAX_DENSIFY_VERTICES
    return step


def _transform_failed(exc: Exception) -> InvalidGeometryError:
    return InvalidGeometryError(
        tr(
            "The geometry could not be transformed to EPSG:4326 ({0}); it may lie outside "
            "the area where its CRS is defined."
        ).format(exc)
    )


def _geometry_type(geom: QgsGeometry | None) -> int:
    if geom is None or geom.isNull() or geom.isEmpty():
        raise InvalidGeometryError(tr("The feature has no geometry (null or empty)."))
    return geom.type()


def polygon_rings_4326(
    geom: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> list[Part]:
    """A polygonal QgsGeometry -> its parts in EPSG:4326, each a list of (n, 2) lon/lat rings.

    Exterior first (counter-clockwise), then holes (clockwise). Longitudes are continuous
    along each part, whose west lies in [-180, 180): a part across the antimeridian runs
    past 180, and a ring of a projected outline that goes round a pole is closed through
    it (a hole round the pole too is joined to its exterior), so that the rings are valid
    in the lon/lat plane as the core checks them. A geographic polygon keeps the
    longitudes it was drawn with (Fiji as 177..182).
    """
    if _geometry_type(geom) != QgsWkbTypes.PolygonGeometry:
        raise InvalidGeometryError(tr("Expected a polygon geometry."))
    ct = to_wgs84_transform(crs, context)
    g = _repaired(_straight_2d(geom))
    projected = not crs.isGeographic()
    if projected:
        g = g.densifyByDistance(_densify_step(g, crs))
    source = None if projected else _wkb_polygons(bytes(g.asWkb()))
    try:
        status = g.transform(ct)
    except QgsCsException as exc:
        raise _transform_failed(exc) from exc
    if status != QgsGeometry.Success:
        raise _transform_failed(RuntimeError(f"status {status}"))
    parts = _wkb_polygons(bytes(g.asWkb()))
    if not all(np.isfinite(r).all() for part in parts for r in part):
        raise _transform_failed(ValueError("non-finite coordinates"))
    out: list[Part] = []
    for i, part in enumerate(parts):
        for r in part:
            np.clip(r[:, 1], -90.0, 90.0, out=r[:, 1])
        if projected:
            # A projected outline is continuous on the globe; PROJ wraps it at +-180.
            lifted = [_lift(r) for r in part]
            ext, turns = lifted[0]
            holes = [(h, t) for h, t in lifted[1:] if t or _has_area(h)]
            if turns:
                rings = _polar_part(ext, holes)
            else:
                rings = _holes_on_branch([ext, *(h for h, _ in holes)])
        else:
            # As drawn: only a datum or prime-meridian change may have wrapped a vertex.
            rings = [_same_branch(r, s) for r, s in zip(part, source[i], strict=True)]
        if not _has_area(rings[0]):
            continue
        holes = [_oriented(h, ccw=False) for h in rings[1:] if _has_area(h)]
        out.append(_shift_part([_oriented(rings[0], ccw=True), *holes]))
    if not out:
        raise InvalidGeometryError(tr("The polygon has no area after the transform to EPSG:4326."))
    return out


def point_to_spec(
    point: QgsPointXY,
    crs: QgsCoordinateReferenceSystem,
    buffer_m: float | None,
    context: QgsCoordinateTransformContext | None = None,
) -> PointBuffer:
    """A point in ``crs`` and a buffer (metres) -> PointBuffer in EPSG:4326."""
    if buffer_m is None:
        raise SpecError(tr("A point needs a buffer in metres (buffer_m) to define its area."))
    ct = to_wgs84_transform(crs, context)
    try:
        p = ct.transform(QgsPointXY(point))
    except QgsCsException as exc:
        raise _transform_failed(exc) from exc
    if not (math.isfinite(p.x()) and math.isfinite(p.y())):
        raise _transform_failed(ValueError("non-finite coordinates"))
    lat = min(90.0, max(-90.0, p.y()))
    return PointBuffer(_wrap_lon(p.x()), lat, float(buffer_m))


def geometry_to_spec(
    geom: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
    buffer_m: float | None = None,
) -> SpatialSpec:
    """Polygons -> Polygon, points -> PointBuffer(buffer_m) (multi-point: centroid), in EPSG:4326.

    Lines, null and empty geometries raise InvalidGeometryError.
    """
    gtype = _geometry_type(geom)
    if gtype == QgsWkbTypes.PolygonGeometry:
        return Polygon.from_rings(polygon_rings_4326(geom, crs, context))
    if gtype == QgsWkbTypes.PointGeometry:
        pt = geom.centroid().asPoint() if geom.isMultipart() else geom.asPoint()
        return point_to_spec(pt, crs, buffer_m, context)
    if gtype == QgsWkbTypes.LineGeometry:
        raise InvalidGeometryError(
            tr("Lines have no area to embed; use polygons, or points with a buffer.")
        )
    raise InvalidGeometryError(tr("The geometry type is not supported; use polygons or points."))


# --------------------------------------------------------------------------- boxes


def circular_lon_span(intervals: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Smallest arc of longitudes holding every [west, east] interval (inputs in [-180, 180]).

    The arc's east end may pass 180 (e.g. Fiji: (177.0, 181.5)); (-180, 180) for all.
    """
    merged: list[list[float]] = []
    for a, b in sorted((float(a), float(b)) for a, b in intervals):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    if not merged:
        raise InvalidGeometryError("No longitudes to span.")
    gaps = [(merged[i + 1][0] - merged[i][1], i + 1) for i in range(len(merged) - 1)]
    gaps.append((merged[0][0] + 360.0 - merged[-1][1], 0))
    size, j = max(gaps)
    if size <= 0:
        return (-180.0, 180.0)
    west, east = merged[j][0], merged[j - 1][1]
    if east < west:
        east += 360.0
    return (west, east)


def geometry_bbox_4326(
    geom: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> LonLatBox:
    """The EPSG:4326 bbox of a polygon; across the antimeridian its east edge passes 180."""
    exteriors = [part[0] for part in polygon_rings_4326(geom, crs, context)]
    intervals: list[tuple[float, float]] = []
    for ring in exteriors:
        west, east = float(ring[:, 0].min()), float(ring[:, 0].max())
        if east - west >= 360.0:
            intervals.append((-180.0, 180.0))
            continue
        shift = 360.0 * math.floor((west + 180.0) / 360.0)
        west, east = west - shift, east - shift
        if east > 180.0:  # across the antimeridian: one interval on each side
            intervals += [(west, 180.0), (-180.0, east - 360.0)]
        else:
            intervals.append((west, east))
    west, east = circular_lon_span(intervals)
    south = min(float(r[:, 1].min()) for r in exteriors)
    north = max(float(r[:, 1].max()) for r in exteriors)
    return (west, south, east, north)


def lonlat_box_to_spec(box: LonLatBox, expand_deg: float = 0.0) -> BBox | Polygon:
    """A lon/lat box (east may pass 180) -> BBox, or a Polygon whose east passes 180.

    ``expand_deg`` is applied here only to a box across the antimeridian (the core does
    not expand polygons); a BBox is returned unexpanded, as the core expands it itself.
    """
    minlon, minlat, maxlon, maxlat = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (minlon, minlat, maxlon, maxlat)):
        raise SpecError(f"The box {box} has non-finite coordinates.")
    minlat, maxlat = max(-90.0, minlat), min(90.0, maxlat)
    if maxlat - minlat < _MIN_BOX_DEG:
        mid = (minlat + maxlat) / 2.0
        minlat, maxlat = max(-90.0, mid - _MIN_BOX_DEG), min(90.0, mid + _MIN_BOX_DEG)
    if maxlon - minlon < _MIN_BOX_DEG:
        mid = (minlon + maxlon) / 2.0
        minlon, maxlon = mid - _MIN_BOX_DEG, mid + _MIN_BOX_DEG
    if maxlon - minlon >= 360.0:
        return BBox(-180.0, minlat, 180.0, maxlat)
    shift = 360.0 * math.floor((minlon + 180.0) / 360.0)
    minlon, maxlon = minlon - shift, maxlon - shift
    if maxlon <= 180.0:
        return BBox(max(-180.0, minlon), minlat, min(180.0, maxlon), maxlat)
    minlon, minlat, maxlon, maxlat = expand_box((minlon, minlat, maxlon, maxlat), expand_deg)
    if maxlon - minlon >= 360.0:
        return BBox(-180.0, minlat, 180.0, maxlat)
    if maxlon > 360.0:  # the core takes longitudes in [-360, 360]
        minlon, maxlon = minlon - 360.0, maxlon - 360.0
    ring = np.array(
        [[minlon, minlat], [maxlon, minlat], [maxlon, maxlat], [minlon, maxlat], [minlon, minlat]]
    )
    return Polygon.from_rings([[ring]])


def _rect_boundary(rect: QgsRectangle, n: int) -> list[QgsPointXY]:
    """``n`` points per side along a rectangle's boundary, counter-clockwise, closed."""
    x0, y0, x1, y1 = rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()
    t = np.linspace(0.0, 1.0, n, endpoint=False)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(n, x1), x1 - (x1 - x0) * t, np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), y0 + (y1 - y0) * t, np.full(n, y1), y1 - (y1 - y0) * t])
    pts = [QgsPointXY(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    return pts + [pts[0]]


def _contained_pole(rect: QgsRectangle, ct: QgsCoordinateTransform) -> float | None:
    """90 or -90 if that pole lies inside the rectangle (in its own CRS), else None."""
    for pole in (90.0, -90.0):
        try:
            p = ct.transform(QgsPointXY(0.0, pole), QgsCoordinateTransform.ReverseTransform)
        except QgsCsException:
            continue
        if math.isfinite(p.x()) and math.isfinite(p.y()) and rect.contains(p):
            return pole
    return None


def extent_to_lonlat_box(
    rect: QgsRectangle,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> LonLatBox:
    """The EPSG:4326 box of a rectangle in any CRS: densified boundary, continuous longitudes.

    West is in [-180, 180); east may pass 180 when the rectangle crosses the antimeridian;
    a rectangle holding a pole spans (-180, 180) up to that pole.
    """
    vals = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
    if rect.isNull() or not all(math.isfinite(v) for v in vals) or rect.isEmpty():
        raise SpecError(tr("The extent is empty; draw or choose a rectangle with an area."))
    ct = to_wgs84_transform(crs, context)
    geographic = crs.isGeographic()
    lons, lats = [], []
    for p in _rect_boundary(rect, 16 if geographic else EXTENT_SIDE_POINTS):
        try:
            q = ct.transform(p)
        except QgsCsException:
            continue  # off the globe (a corner of a huge polar rectangle): the rest decides
        if math.isfinite(q.x()) and math.isfinite(q.y()):
            lons.append(q.x())
            lats.append(q.y())
    if len(lons) < 3:
        raise SpecError(tr("The extent could not be transformed to EPSG:4326."))
    lon = np.asarray(lons)
    lat = np.clip(np.asarray(lats), -90.0, 90.0)
    if geographic:
        # Edges are straight in lon/lat already; lon past +-180 means across the antimeridian.
        west, east = float(lon.min()), float(lon.max())
    else:
        pole = _contained_pole(rect, ct)
        ulon = _unwrap(lon)
        if pole is None and abs(ulon[-1] - ulon[0]) > 180.0:
            pole = 90.0 if float(lat.mean()) > 0 else -90.0
        if pole is not None:
            if pole > 0:
                return (-180.0, float(lat.min()), 180.0, 90.0)
            return (-180.0, -90.0, 180.0, float(lat.max()))
        west, east = float(ulon.min()), float(ulon.max())
    if east - west >= 360.0:
        return (-180.0, float(lat.min()), 180.0, float(lat.max()))
    shift = 360.0 * math.floor((west + 180.0) / 360.0)
    return (west - shift, float(lat.min()), east - shift, float(lat.max()))


def extent_to_spec(
    rect: QgsRectangle,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
    expand_deg: float = 0.0,
) -> BBox | Polygon:
    """A rectangle in any CRS -> BBox in EPSG:4326, or a Polygon past 180 across it.

    ``expand_deg`` only matters for the antimeridian Polygon (see ``lonlat_box_to_spec``).
    """
    return lonlat_box_to_spec(extent_to_lonlat_box(rect, crs, context), expand_deg)


def geometry_to_bbox_spec(
    geom: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
    buffer_m: float | None = None,
    expand_deg: float = 0.0,
) -> SpatialSpec:
    """The seed's bbox semantics: a polygon's EPSG:4326 bbox as a BBox; points as PointBuffer."""
    gtype = _geometry_type(geom)
    if gtype == QgsWkbTypes.PolygonGeometry:
        return lonlat_box_to_spec(geometry_bbox_4326(geom, crs, context), expand_deg)
    return geometry_to_spec(geom, crs, context, buffer_m)


def features_to_specs(
    features: Iterable[QgsFeature],
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
    buffer_m: float | None = None,
    region: str = REGION_POLYGON,
    expand_deg: float = 0.0,
) -> list[SpatialSpec | Exception]:
    """One spec per feature, in order; the error itself in place of an unusable geometry.

    ``region="polygon"``: the polygon itself; ``"bbox"``: its EPSG:4326 bbox (see
    ``geometry_to_bbox_spec``). Points always become PointBuffer(buffer_m).
    """
    if region not in REGIONS:
        raise SpecError(f"region must be one of {', '.join(REGIONS)}, got {region!r}.")
    ct_context = context if context is not None else QgsProject.instance().transformContext()
    to_wgs84_transform(crs, ct_context)  # a layer without a CRS fails once, for all features
    out: list[SpatialSpec | Exception] = []
    for feat in features:
        try:
            geom = feat.geometry()
            if region == REGION_POLYGON:
                out.append(geometry_to_spec(geom, crs, ct_context, buffer_m))
            else:
                out.append(geometry_to_bbox_spec(geom, crs, ct_context, buffer_m, expand_deg))
        except RsEmbedError as exc:
            out.append(exc)
        except Exception as exc:  # noqa: BLE001 - one odd geometry never ends a batch
            out.append(
                InvalidGeometryError(
                    f"The geometry could not be converted ({type(exc).__name__}: {exc})."
                )
            )
    return out
