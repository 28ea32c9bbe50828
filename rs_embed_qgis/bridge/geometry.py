"""QGIS geometries and extents in any CRS -> core specs (BBox, PointBuffer, Polygon) in EPSG:4326.

Edges are densified before the transform so that a straight edge of a UTM or polar
rectangle becomes the curve it really is in longitude/latitude. Results never carry
longitudes past +-180: a shape across the antimeridian is split there into one part
on each side, and a shape around a pole covers every longitude up to the pole.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsCsException,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsUnitTypes,
    QgsWkbTypes,
)

from rs_embed_qgis.core.constants import PRODUCT_CRS
from rs_embed_qgis.core.errors import InvalidGeometryError, RsEmbedError, SpecError
from rs_embed_qgis.core.grid import LonLatBox, expand_box
from rs_embed_qgis.core.specs import BBox, PointBuffer, Polygon, SpatialSpec

REGION_POLYGON = "polygon"
REGION_BBOX = "bbox"
REGIONS = (REGION_POLYGON, REGION_BBOX)

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
            "The layer or extent has no valid coordinate reference system, so it cannot be "
            "transformed to EPSG:4326. Set its CRS first."
        )
    ctx = context if context is not None else QgsProject.instance().transformContext()
    return QgsCoordinateTransform(crs, wgs84(), ctx)


# --------------------------------------------------------------------------- helpers


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


def _polygonal(geom: Any) -> list[Any]:
    """The non-empty polygons of a shapely geometry (lines and points from clipping dropped)."""
    import shapely

    return [
        g
        for g in shapely.get_parts(geom)
        if g.geom_type == "Polygon" and not g.is_empty and g.area > 0
    ]


def _fold(geom: Any) -> Any:
    """Cut a lon-space geometry into 360-degree slices and shift each onto [-180, 180]."""
    import shapely
    from shapely.geometry import box

    minx, _, maxx, _ = geom.bounds
    if minx >= -180.0 and maxx <= 180.0:
        return geom
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    pieces = []
    for k in range(math.floor((minx + 180.0) / 360.0), math.floor((maxx + 180.0) / 360.0) + 1):
        clip = geom.intersection(box(360.0 * k - 180.0, -90.0, 360.0 * k + 180.0, 90.0))
        shift = np.array([360.0 * k, 0.0])
        pieces += [shapely.transform(p, lambda c, s=shift: c - s) for p in _polygonal(clip)]
    if not pieces:
        return shapely.Polygon()
    return shapely.union_all(pieces) if len(pieces) > 1 else pieces[0]


def _ring_region(coords: np.ndarray) -> Any:
    """The lon-space polygon a transformed ring bounds; a ring around a pole is closed at it."""
    import shapely

    lons = _unwrap(coords[:, 0])
    lats = coords[:, 1]
    turn = lons[-1] - lons[0]
    if abs(turn) < 180.0:
        lons[-1] = lons[0]
        return shapely.Polygon(np.column_stack([lons, lats]))
    # The ring goes once round the globe: it encloses the pole on its side.
    pole = 90.0 if float(np.mean(lats)) > 0 else -90.0
    ring = np.vstack([np.column_stack([lons, lats]), [[lons[-1], pole], [lons[0], pole]]])
    return shapely.Polygon(ring)


def _lonspace_polygon(poly: Any) -> Any:
    """A shapely polygon with raw transformed coordinates -> a continuous lon-space region."""
    import shapely

    region = _ring_region(np.asarray(poly.exterior.coords))
    if not region.is_valid:
        region = shapely.make_valid(region)
    for hole in poly.interiors:
        cut = _ring_region(np.asarray(hole.coords))
        if not cut.is_valid:
            cut = shapely.make_valid(cut)
        region = region.difference(cut)
    return region


def _straight_2d(geom: QgsGeometry) -> QgsGeometry:
    """A copy without curves, Z or M (what GEOS and the core expect)."""
    out = QgsGeometry(geom)
    if QgsWkbTypes.isCurvedType(out.wkbType()):
        out.convertToStraightSegment()
    abstract = out.get()
    abstract.dropZValue()
    abstract.dropMValue()
    return out


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


def polygon_spec(geom: Any) -> Polygon:
    """A core Polygon from a 2D shapely geometry, its WKT written with 2 dimensions.

    Inside QGIS (desktop, qgis_process) the executable's own GEOS (3.11 on Debian 12)
    serves shapely's calls; shapely >= 2.1 asks it for 4-dimension WKT by default, which
    GEOS < 3.12 refuses, so the WKT is written here with an explicit dimension.
    """
    import shapely

    return Polygon(
        wkt=shapely.to_wkt(geom, rounding_precision=-1, output_dimension=2), geometry=geom
    )


def _transform_failed(exc: Exception) -> InvalidGeometryError:
    return InvalidGeometryError(
        f"The geometry could not be transformed to EPSG:4326 ({exc}); it may lie outside "
        "the area where its CRS is defined."
    )


def _geometry_type(geom: QgsGeometry | None) -> int:
    if geom is None or geom.isNull() or geom.isEmpty():
        raise InvalidGeometryError("The feature has no geometry (null or empty).")
    return geom.type()


def polygon_to_shapely_4326(
    geom: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> Any:
    """A polygonal QgsGeometry -> shapely (Multi)Polygon in EPSG:4326, lon within [-180, 180]."""
    import shapely
    from shapely.errors import ShapelyError

    if _geometry_type(geom) != QgsWkbTypes.PolygonGeometry:
        raise InvalidGeometryError("Expected a polygon geometry.")
    ct = to_wgs84_transform(crs, context)
    g = _straight_2d(geom)
    projected = not crs.isGeographic()
    if projected:
        g = g.densifyByDistance(_densify_step(g, crs))
    try:
        status = g.transform(ct)
    except QgsCsException as exc:
        raise _transform_failed(exc) from exc
    if status != QgsGeometry.Success:
        raise _transform_failed(RuntimeError(f"status {status}"))
    try:
        shp = shapely.from_wkb(bytes(g.asWkb()))
        if not np.all(np.isfinite(shapely.get_coordinates(shp))):
            raise _transform_failed(ValueError("non-finite coordinates"))
        if projected:
            # A projected outline is continuous on the globe: rebuild it in continuous
            # longitudes (PROJ wraps them at +-180), closing rings that go round a pole.
            parts = [_lonspace_polygon(p) for p in _polygonal(shp)]
            if not parts:
                raise InvalidGeometryError("The polygon has no area.")
            shp = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        out = _fold(shp)
    except ShapelyError as exc:
        raise InvalidGeometryError(f"The polygon cannot be used: {exc}") from exc
    if out.is_empty:
        raise InvalidGeometryError("The polygon has no area after the transform to EPSG:4326.")
    return out


def point_to_spec(
    point: QgsPointXY,
    crs: QgsCoordinateReferenceSystem,
    buffer_m: float | None,
    context: QgsCoordinateTransformContext | None = None,
) -> PointBuffer:
    """A point in ``crs`` and a buffer (metres) -> PointBuffer in EPSG:4326."""
    if buffer_m is None:
        raise SpecError("A point needs a buffer in metres (buffer_m) to define its area.")
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
        return polygon_spec(polygon_to_shapely_4326(geom, crs, context))
    if gtype == QgsWkbTypes.PointGeometry:
        pt = geom.centroid().asPoint() if geom.isMultipart() else geom.asPoint()
        return point_to_spec(pt, crs, buffer_m, context)
    if gtype == QgsWkbTypes.LineGeometry:
        raise InvalidGeometryError(
            "Lines have no area to embed; use polygons, or points with a buffer."
        )
    raise InvalidGeometryError("The geometry type is not supported; use polygons or points.")


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
    shp = polygon_to_shapely_4326(geom, crs, context)
    bounds = [p.bounds for p in _polygonal(shp)]
    west, east = circular_lon_span([(b[0], b[2]) for b in bounds])
    return (west, min(b[1] for b in bounds), east, max(b[3] for b in bounds))


def lonlat_box_to_spec(box: LonLatBox, expand_deg: float = 0.0) -> BBox | Polygon:
    """A lon/lat box (east may pass 180) -> BBox, or a two-part Polygon split at 180.

    ``expand_deg`` is applied here only to a box across the antimeridian (the core does
    not expand polygons); a BBox is returned unexpanded, as the core expands it itself.
    """
    from shapely.geometry import MultiPolygon
    from shapely.geometry import box as shp_box

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
    east = shp_box(minlon, minlat, 180.0, maxlat)
    west = shp_box(-180.0, minlat, maxlon - 360.0, maxlat)
    return polygon_spec(MultiPolygon([east, west]))


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
        raise SpecError("The extent is empty; draw or choose a rectangle with an area.")
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
        raise SpecError("The extent could not be transformed to EPSG:4326.")
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
    """A rectangle in any CRS -> BBox in EPSG:4326, or a Polygon split at 180 across it.

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
    return out
