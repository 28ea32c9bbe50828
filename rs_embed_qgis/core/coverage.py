# SPDX-License-Identifier: GPL-2.0-or-later
"""Exact coverage fractions of polygons on the product grid, in plain NumPy.

Polygons are held as *parts*: a tuple of polygons, each a tuple of closed rings
``(exterior, *holes)``, each ring an ``(n, 2)`` float64 array of lon/lat degrees.
This module reads them from WKT or ``__geo_interface__``, writes them back to WKT,
repairs invalid ones with GDAL's ``osgeo.ogr`` when it is importable, and computes the
exact fraction of every product cell each polygon covers.

The coverage is exact for straight edges in lon/lat (as in the layer): it works in grid
units ``u = (lon - x0) / 0.25``, ``v = (y0 - lat) / 0.25`` of the file's grid (TorchGeo's
``x0, y0 = -180.125, 90.125`` by default; see core/georef.py) (cell ``(r, c)`` is
``[c, c+1] x [r, r+1]``) and uses Green's theorem per row strip. With
``g_c(u) = clamp(u - c, 0, 1)``, ``area(P & cell(r, c))`` is the integral of
``g_c(u) dv`` along the boundary of ``P & strip_r``; the strip's own horizontal edges
have ``dv = 0``, so only the polygon's edges, cut into pieces that each lie in one cell
``(r, k)``, contribute: ``(mean_u - k) dv`` to cell ``(r, k)`` and ``dv`` to every cell
left of it. The second part is summed sparsely (a running sum per row over the cells the
boundary crosses); the cells between two crossed cells of a row are fully inside or
fully outside the polygon.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rs_embed_qgis.core.constants import (
    PRODUCT_HEIGHT,
    PRODUCT_RES,
    PRODUCT_WIDTH,
)
from rs_embed_qgis.core.errors import InvalidGeometryError, SpecError
from rs_embed_qgis.core.georef import TORCHGEO_GRID, ProductGrid

Ring = np.ndarray
Part = tuple[Ring, ...]
Parts = tuple[Part, ...]

# Cells covered less than this (in fractions of a cell) are dropped: float round-off.
MIN_FRACTION = 1e-12

# --------------------------------------------------------------------------- rings


def as_ring(points: Any, must_close: bool = False) -> Ring:
    """A closed (n, 2) float64 ring from a sequence of (x, y[, z[, m]]) points.

    An open ring is closed (``from_rings``, like shapely's constructor), unless
    ``must_close``: WKT and GeoJSON define rings as closed, so an open one there is an
    error (pooled as if closed, it would be a shape nobody wrote).
    """
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidGeometryError(f"A polygon ring is not a list of coordinates: {exc}") from exc
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise InvalidGeometryError(
            f"A polygon ring must be an (n, 2) array of lon/lat; got shape {arr.shape}. "
            "Polygons are sequences of rings: a single ring is given as [[ring]]."
        )
    arr = np.ascontiguousarray(arr[:, :2])
    if not np.array_equal(arr[0], arr[-1]):
        if must_close:
            (x0, y0), (x1, y1) = arr[0].tolist(), arr[-1].tolist()
            raise InvalidGeometryError(
                f"A polygon ring is not closed: it starts at ({x0!r} {y0!r}) and ends at "
                f"({x1!r} {y1!r}); repeat its first point at its end."
            )
        arr = np.concatenate([arr, arr[:1]])
    return arr


def as_parts(polygons: Iterable[Iterable[Any]], must_close: bool = False) -> Parts:
    """Parts from a sequence of polygons, each a sequence of rings (exterior first)."""
    out: list[Part] = []
    for rings in polygons:
        if isinstance(rings, np.ndarray) and rings.ndim == 2:
            raise InvalidGeometryError(
                "from_rings expects polygons, each a sequence of rings: "
                "wrap a single ring as [[ring]]."
            )
        part = tuple(as_ring(r, must_close) for r in rings)
        if part and part[0].shape[0] > 0:  # an empty exterior is an empty polygon
            out.append(tuple(r for r in part if r.shape[0] > 0))
    return tuple(out)


def bounds_of(parts: Parts) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of the exteriors (holes lie inside them)."""
    ext = np.concatenate([p[0] for p in parts])
    lo, hi = ext.min(axis=0), ext.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def ring_signed_area(ring: Ring) -> float:
    """Shoelace area of a closed ring in degrees^2 (positive when counter-clockwise)."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


# --------------------------------------------------------------------------- WKT

_WS = re.compile(r"\s*")
_WORD = re.compile(r"\s*([A-Za-z]+)")
_NUM = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_RING_RE = {
    nd: re.compile(
        rf"\s*{_NUM}(?:\s+{_NUM}){{{nd - 1}}}\s*(?:,\s*{_NUM}(?:\s+{_NUM}){{{nd - 1}}}\s*)*",
        re.IGNORECASE,
    )
    for nd in (2, 3, 4)
}
_DIMS = {"Z": 3, "M": 3, "ZM": 4}
_NOT_POLYGONAL = {
    "POINT": "Point",
    "MULTIPOINT": "MultiPoint",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "LINEARRING": "LinearRing",
    "CIRCULARSTRING": "CircularString",
    "COMPOUNDCURVE": "CompoundCurve",
    "TIN": "TIN",
    "TRIANGLE": "Triangle",
}


class _WktReader:
    """A small recursive-descent reader of (multi)polygon WKT; coordinates go to NumPy."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def fail(self, what: str) -> InvalidGeometryError:
        shown = self.s[self.i : self.i + 30]
        return InvalidGeometryError(
            f"Polygon WKT could not be parsed: {what} at character {self.i} ({shown!r})."
        )

    def word(self) -> str | None:
        m = _WORD.match(self.s, self.i)
        if m is None:
            return None
        self.i = m.end()
        return m.group(1).upper()

    def peek(self) -> str:
        self.i = _WS.match(self.s, self.i).end()
        return self.s[self.i : self.i + 1]

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise self.fail(f"expected {ch!r}")
        self.i += 1

    def geometry(self, out: list[Part], nested: bool = False) -> None:
        name = self.word()
        if name is None:
            raise self.fail("expected a geometry type")
        dim = 0
        for suffix in ("ZM", "Z", "M"):  # POLYGONZ, POLYGONZM (rare but seen)
            if name not in _NOT_POLYGONAL and name.endswith(suffix) and len(name) > len(suffix):
                base = name[: -len(suffix)]
                if base in ("POLYGON", "MULTIPOLYGON", "GEOMETRYCOLLECTION"):
                    name, dim = base, _DIMS[suffix]
                    break
        save = self.i
        word = self.word()
        if word in _DIMS:
            dim = _DIMS[word]
            save = self.i
            word = self.word()
        if word == "EMPTY":
            return
        self.i = save
        if name == "POLYGON":
            out.append(self.polygon(dim))
        elif name == "MULTIPOLYGON":
            self.expect("(")
            while True:
                save = self.i
                if self.word() != "EMPTY":
                    self.i = save
                    out.append(self.polygon(dim))
                if self.peek() != ",":
                    break
                self.i += 1
            self.expect(")")
        elif name == "GEOMETRYCOLLECTION":
            self.expect("(")
            while True:
                self.geometry(out, nested=True)
                if self.peek() != ",":
                    break
                self.i += 1
            self.expect(")")
        elif name in _NOT_POLYGONAL:
            if not nested:
                raise InvalidGeometryError(
                    f"Expected a Polygon or MultiPolygon, got a {_NOT_POLYGONAL[name]}. "
                    "Use PointBuffer for points."
                )
            self.skip_body()  # a collection's points and lines have no area: left out
        else:
            raise self.fail(f"unknown geometry type {name!r}")

    def skip_body(self) -> None:
        self.expect("(")
        depth = 1
        while depth:
            j = min(
                (k for k in (self.s.find("(", self.i), self.s.find(")", self.i)) if k >= 0),
                default=-1,
            )
            if j < 0:
                raise self.fail("unbalanced parentheses")
            depth += 1 if self.s[j] == "(" else -1
            self.i = j + 1

    def polygon(self, dim: int) -> Part:
        self.expect("(")
        rings = [self.ring(dim)]
        while self.peek() == ",":
            self.i += 1
            rings.append(self.ring(dim))
        self.expect(")")
        return tuple(rings)

    def ring(self, dim: int) -> Ring:
        self.expect("(")
        j = self.s.find(")", self.i)
        if j < 0:
            raise self.fail("missing ')' at the end of a ring")
        text = self.s[self.i : j]
        if "(" in text:
            raise self.fail("unexpected '('")
        first = text.split(",", 1)[0].split()
        nd = len(first)
        if nd not in _RING_RE or (dim and nd != dim) or _RING_RE[nd].fullmatch(text) is None:
            raise self.fail(f"bad coordinates (expected {dim or '2 to 4'} numbers per point)")
        vals = np.array(text.replace(",", " ").split(), dtype=np.float64)
        self.i = j + 1
        return as_ring(vals.reshape(-1, nd), must_close=True)


def parse_wkt(text: str) -> Parts:
    """Parts of a POLYGON, MULTIPOLYGON or GEOMETRYCOLLECTION WKT (Z/M dropped)."""
    if not isinstance(text, str):
        raise InvalidGeometryError(f"Polygon WKT must be a string, got {type(text).__name__}.")
    body = text.strip()
    m = re.match(r"SRID=(\d+);", body, re.IGNORECASE)
    if m:
        if m.group(1) != "4326":
            raise SpecError(
                f"Spatial specs must be in EPSG:4326; the WKT says SRID={m.group(1)}. "
                "Transform the geometry to EPSG:4326 first."
            )
        body = body[m.end() :]
    reader = _WktReader(body)
    out: list[Part] = []
    reader.geometry(out)
    if reader.peek():
        raise reader.fail("unexpected text after the geometry")
    return as_parts(out)


def _fmt_ring(ring: Ring) -> str:
    xs = map(repr, ring[:, 0].tolist())
    ys = map(repr, ring[:, 1].tolist())
    return "(" + ", ".join(map(" ".join, zip(xs, ys))) + ")"


def format_wkt(parts: Parts) -> str:
    """WKT of parts, every coordinate written in full (shortest round-trip repr)."""
    if not parts:
        return "POLYGON EMPTY"
    bodies = ["(" + ", ".join(_fmt_ring(r) for r in part) + ")" for part in parts]
    if len(bodies) == 1:
        return "POLYGON " + bodies[0]
    return "MULTIPOLYGON (" + ", ".join(bodies) + ")"


def parts_from_geo_interface(geo: dict[str, Any]) -> Parts:
    """Parts of a GeoJSON-like mapping (Polygon, MultiPolygon, GeometryCollection, Feature)."""
    kind = geo.get("type")
    if kind == "Feature":
        return parts_from_geo_interface(geo.get("geometry") or {"type": "GeometryCollection"})
    if kind == "Polygon":
        return as_parts([geo["coordinates"]], must_close=True)
    if kind == "MultiPolygon":
        return as_parts(geo["coordinates"], must_close=True)
    if kind == "GeometryCollection":
        out: list[Part] = []
        for g in geo.get("geometries", ()):
            if g.get("type") in ("Polygon", "MultiPolygon", "GeometryCollection"):
                out.extend(parts_from_geo_interface(g))
        return tuple(out)
    raise InvalidGeometryError(
        f"Expected a Polygon or MultiPolygon, got a {kind}. Use PointBuffer for points."
    )


def parts_from_geometry(geometry: Any) -> Parts:
    """Parts of any object with ``__geo_interface__`` or ``.wkt`` (shapely, QgsGeometry...)."""
    geo = getattr(geometry, "__geo_interface__", None)
    if isinstance(geo, dict):
        return parts_from_geo_interface(geo)
    wkt = getattr(geometry, "wkt", None)
    if callable(wkt):
        wkt = wkt()
    if wkt is None and hasattr(geometry, "asWkt"):
        wkt = geometry.asWkt(17)
    if not isinstance(wkt, str):
        raise InvalidGeometryError(
            f"geometry must have __geo_interface__ or .wkt; got {type(geometry).__name__}."
        )
    return parse_wkt(wkt)


# --------------------------------------------------------------------------- validity


def _ogr() -> Any:
    try:
        from osgeo import ogr
    except ImportError:
        return None
    return ogr


def has_repair() -> bool:
    """True if GDAL's ogr is importable: invalid polygons are then repaired exactly."""
    return _ogr() is not None


def _wkb_polygon(part: Part) -> bytes:
    """ISO WKB of one polygon, written straight from the arrays."""
    chunks = [struct.pack("<BII", 1, 3, len(part))]
    for ring in part:
        chunks.append(struct.pack("<I", ring.shape[0]))
        chunks.append(np.ascontiguousarray(ring, dtype="<f8").tobytes())
    return b"".join(chunks)


def _wkb(parts: Parts) -> bytes:
    """ISO WKB of a MultiPolygon."""
    return struct.pack("<BII", 1, 6, len(parts)) + b"".join(map(_wkb_polygon, parts))


def _ogr_parts(geom: Any, ogr: Any) -> list[Part]:
    """Polygonal parts of an OGR geometry (points and lines of a collection left out)."""
    if geom is None or geom.IsEmpty():
        return []
    kind = ogr.GT_Flatten(geom.GetGeometryType())
    if kind == ogr.wkbPolygon:
        rings = []
        for i in range(geom.GetGeometryCount()):
            pts = geom.GetGeometryRef(i).GetPoints() or []
            rings.append(as_ring(np.asarray(pts, dtype=np.float64).reshape(len(pts), -1)))
        return [tuple(rings)] if rings and rings[0].shape[0] else []
    if kind in (ogr.wkbMultiPolygon, ogr.wkbGeometryCollection):
        out: list[Part] = []
        for i in range(geom.GetGeometryCount()):
            out.extend(_ogr_parts(geom.GetGeometryRef(i), ogr))
        return out
    return []


def repair(parts: Parts) -> Parts:
    """Valid parts: unchanged if OGR finds them valid, else repaired (polygonal parts only).

    Each part is made valid on its own (a bow-tie becomes its two triangles), then the
    parts are united, so overlapping parts count once. Without ``osgeo.ogr`` the parts
    are returned as they are: ``coverage`` then uses winding-number areas, exact for
    valid polygons, and for invalid ones clips the magnitude to [0, 1] per cell.
    """
    ogr = _ogr()
    if ogr is None or not parts:
        return parts
    from osgeo import gdal

    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        geom = ogr.CreateGeometryFromWkb(_wkb(parts))
        if geom is None:
            raise InvalidGeometryError("The polygon could not be read by OGR for validation.")
        if geom.IsValid():
            return parts
        fixed = ogr.Geometry(ogr.wkbMultiPolygon)
        for i in range(geom.GetGeometryCount()):
            part = geom.GetGeometryRef(i)
            made = part if part.IsValid() else part.MakeValid()
            for p in _ogr_parts(made, ogr):
                # A fresh polygon, not a reference into a temporary: the bindings would
                # not keep its parent alive.
                fixed.AddGeometry(ogr.CreateGeometryFromWkb(_wkb_polygon(p)))
        if fixed.GetGeometryCount() > 1 and not fixed.IsValid():
            fixed = fixed.UnionCascaded()
        return as_parts(_ogr_parts(fixed, ogr))
    finally:
        gdal.PopErrorHandler()


# --------------------------------------------------------------------------- coverage

# Sort keys: (polygon, row, unwrapped column), columns offset to be non-negative.
_KW = 4096
_KOFF = 1024  # u runs from -719.5 (lon -360) to 2160.5 (lon 360): k + _KOFF in [304, 3185]
_ROWS = PRODUCT_HEIGHT


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """0..n-1 for each n in ``counts``, concatenated."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def _crossings(a0: np.ndarray, a1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer values strictly between a0 and a1 of each edge, in travel order.

    Returns (edge index, rank along the edge, value) of every crossing.
    """
    lo, hi = np.minimum(a0, a1), np.maximum(a0, a1)
    n = np.maximum(np.ceil(hi) - np.floor(lo) - 1, 0).astype(np.int64)
    edge = np.repeat(np.arange(a0.size, dtype=np.int64), n)
    j = _ragged_arange(n)
    up = a1[edge] > a0[edge]
    val = np.where(up, np.floor(a0[edge]) + 1 + j, np.ceil(a0[edge]) - 1 - j)
    return edge, j, val


def _pieces(
    u0: np.ndarray, v0: np.ndarray, u1: np.ndarray, v1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut edges at every integer u and v; returns (edge, u_start, v_start, u_end, v_end)."""
    du, dv = u1 - u0, v1 - v0
    eu, _, mu = _crossings(u0, u1)
    ev, _, mv = _crossings(v0, v1)
    tu = (mu - u0[eu]) / du[eu]
    tv = (mv - v0[ev]) / dv[ev]
    edge = np.concatenate([eu, ev])
    t = np.concatenate([tu, tv])
    cu = np.concatenate([mu, u0[ev] + tv * du[ev]])  # on a u crossing u is exactly integer
    cv = np.concatenate([v0[eu] + tu * dv[eu], mv])
    order = np.lexsort((t, edge))
    edge, cu, cv = edge[order], cu[order], cv[order]
    n = np.bincount(edge, minlength=u0.size)
    # Points per edge: start, its crossings in order, end.
    offs = np.cumsum(n + 2) - (n + 2)
    size = int(offs[-1] + n[-1] + 2) if u0.size else 0
    pu = np.empty(size)
    pv = np.empty(size)
    pu[offs], pv[offs] = u0, v0
    pu[offs + n + 1], pv[offs + n + 1] = u1, v1
    if edge.size:
        pos = offs[edge] + 1 + _ragged_arange(n)
        pu[pos], pv[pos] = cu, cv
    keep = np.ones(max(size - 1, 0), dtype=bool)
    keep[(offs + n + 1)[:-1]] = False  # the step from one edge's end to the next's start
    pe = np.repeat(np.arange(u0.size, dtype=np.int64), n + 1)
    return pe, pu[:-1][keep], pv[:-1][keep], pu[1:][keep], pv[1:][keep]


def _edges(
    batch: Sequence[Parts], grid: ProductGrid = TORCHGEO_GRID
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges of every ring in grid units, with polygon index and orientation sign."""
    rings: list[Ring] = []
    ring_poly: list[int] = []
    ring_hole: list[bool] = []
    for p, parts in enumerate(batch):
        for part in parts:
            for h, ring in enumerate(part):
                if ring.shape[0] >= 3:
                    rings.append(ring)
                    ring_poly.append(p)
                    ring_hole.append(h > 0)
    if not rings:
        e = np.empty(0)
        return e, e, e, e, np.empty(0, dtype=np.int64), e
    xy = np.concatenate(rings)
    lengths = np.array([r.shape[0] for r in rings], dtype=np.int64)
    ring_id = np.repeat(np.arange(len(rings), dtype=np.int64), lengths)
    u = (xy[:, 0] - grid.x0) / PRODUCT_RES
    v = (grid.y0 - xy[:, 1]) / PRODUCT_RES
    same = ring_id[:-1] == ring_id[1:]
    er = ring_id[:-1][same]
    u0, v0, u1, v1 = u[:-1][same], v[:-1][same], u[1:][same], v[1:][same]
    # Ring orientation: exteriors count +1, holes -1, whichever way they were drawn.
    area = np.bincount(er, weights=0.5 * (u0 + u1) * (v1 - v0), minlength=len(rings))
    sign = np.where(area >= 0, 1.0, -1.0) * np.where(np.array(ring_hole), -1.0, 1.0)
    moving = v0 != v1  # level edges add nothing: their dv is 0
    er = er[moving]
    return (
        u0[moving],
        v0[moving],
        u1[moving],
        v1[moving],
        np.asarray(ring_poly, dtype=np.int64)[er],
        sign[er],
    )


def coverage_fractions(
    batch: Sequence[Parts], grid: ProductGrid = TORCHGEO_GRID
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(rows, cols, fractions) of the cells of ``grid`` each polygon covers, by row then column.

    Fractions are of each cell's part on the globe (rows 0 and 720 reach past the poles,
    so half of their cell counts), folded onto the 1440 columns (longitudes past +-180
    wrap) and clipped to [0, 1]; cells covered less than ``MIN_FRACTION`` are left out.
    Parts must be valid (see ``repair``); for invalid ones each cell gets the magnitude
    of the winding-number area, clipped to 1.
    """
    u0, v0, u1, v1, poly, sign = _edges(batch, grid)
    pe, us, vs, ue, ve = _pieces(u0, v0, u1, v1)
    dv = ve - vs
    moving = dv != 0
    pe, us, vs, ue, dv = pe[moving], us[moving], vs[moving], ue[moving], dv[moving]
    w = sign[pe] * dv
    mu = 0.5 * (us + ue)
    k = np.floor(mu)
    r = np.clip(np.floor(vs + 0.5 * dv), 0, _ROWS - 1).astype(np.int64)
    key = (poly[pe] * _ROWS + r) * _KW + (k.astype(np.int64) + _KOFF)
    ukey, inv = np.unique(key, return_inverse=True)
    partial = np.bincount(inv, weights=w * (mu - k), minlength=ukey.size)
    event = np.bincount(inv, weights=-w, minlength=ukey.size)
    # full(c) = sum of dv of the pieces right of column c in the row = -running sum of
    # the pieces at or left of c (each row's pieces sum to 0: the boundary is closed).
    row_key = ukey // _KW
    new_row = np.ones(ukey.size, dtype=bool)
    new_row[1:] = row_key[1:] != row_key[:-1]
    run = np.cumsum(event)
    starts = np.flatnonzero(new_row)
    full = run - (run[starts] - event[starts])[np.cumsum(new_row) - 1]
    edge_val = full + partial
    # A cell between two crossed cells of a row has no piece: its coverage is full(c), 0
    # or 1 except where a level edge (dv = 0, so no piece) runs through the row.
    gap = np.zeros(ukey.size, dtype=np.int64)
    if ukey.size > 1:
        same_row = ~new_row[1:]
        gap[:-1] = np.where(same_row, ukey[1:] - ukey[:-1] - 1, 0)
    gap[np.abs(full) <= MIN_FRACTION] = 0
    fill = np.repeat(ukey + 1, gap) + _ragged_arange(gap)
    keys = np.concatenate([ukey, fill])
    vals = np.abs(np.concatenate([edge_val, np.repeat(full, gap)]))
    # Fold onto the product: (polygon, row, column mod 1440); halve polar rows' cells.
    pr = keys // _KW
    cols = (keys % _KW - _KOFF) % PRODUCT_WIDTH
    rows = pr % _ROWS
    vals = np.where((rows == 0) | (rows == _ROWS - 1), 2.0 * vals, vals)
    flat = pr * PRODUCT_WIDTH + cols
    uflat, finv = np.unique(flat, return_inverse=True)
    frac = np.minimum(np.bincount(finv, weights=vals, minlength=uflat.size), 1.0)
    ok = frac > MIN_FRACTION
    uflat, frac = uflat[ok], frac[ok]
    cell = uflat % (_ROWS * PRODUCT_WIDTH)
    pid = uflat // (_ROWS * PRODUCT_WIDTH)
    bounds = np.searchsorted(pid, np.arange(len(batch) + 1))
    out = []
    for i in range(len(batch)):
        s, e = bounds[i], bounds[i + 1]
        out.append((cell[s:e] // PRODUCT_WIDTH, cell[s:e] % PRODUCT_WIDTH, frac[s:e]))
    return out
