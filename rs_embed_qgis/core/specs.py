# SPDX-License-Identifier: GPL-2.0-or-later
"""Request specs, as in rs-embed: spatial (BBox, PointBuffer, Polygon), temporal, sensor, output."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rs_embed_qgis.core.constants import (
    OUTPUT_MODES,
    POOLINGS,
    PRODUCT_CRS,
    SUPPORTED_YEARS,
)
from rs_embed_qgis.core.errors import InvalidGeometryError, SpecError, UnsupportedYearError

if TYPE_CHECKING:
    from rs_embed_qgis.core.coverage import Parts
# core.coverage (NumPy) is imported where a Polygon is made: the dock imports these specs
# at QGIS start, before anything needs NumPy.

_CRS_4326 = {"EPSG:4326", "OGC:CRS84", "CRS84", "WGS84"}


def _check_crs(crs: str) -> None:
    """Reject any CRS but EPSG:4326: the QGIS side transforms, the core never guesses."""
    if str(crs).strip().upper() not in _CRS_4326:
        raise SpecError(
            f"Spatial specs must be in EPSG:4326 (longitude/latitude degrees); got crs={crs!r}. "
            "Transform the geometry to EPSG:4326 first."
        )


def _check_finite(**values: float) -> None:
    """Reject NaN, infinite and non-numeric values (bools too); NumPy numbers are fine."""
    bad = [
        k
        for k, v in values.items()
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v)
    ]
    if bad:
        shown = ", ".join(f"{k}={values[k]!r}" for k in bad)
        raise SpecError(f"Coordinates must be finite numbers; got {shown}.")


def _check_lon(name: str, value: float) -> None:
    if not -180.0 <= value <= 180.0:
        raise SpecError(f"{name}={value} is outside the longitude range [-180, 180].")


def _check_lat(name: str, value: float) -> None:
    if not -90.0 <= value <= 90.0:
        raise SpecError(f"{name}={value} is outside the latitude range [-90, 90].")


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude box in EPSG:4326 degrees."""

    minlon: float
    minlat: float
    maxlon: float
    maxlat: float
    crs: str = PRODUCT_CRS

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise SpecError unless the box is finite, ordered and inside the globe."""
        _check_crs(self.crs)
        _check_finite(
            minlon=self.minlon, minlat=self.minlat, maxlon=self.maxlon, maxlat=self.maxlat
        )
        _check_lon("minlon", self.minlon)
        _check_lon("maxlon", self.maxlon)
        _check_lat("minlat", self.minlat)
        _check_lat("maxlat", self.maxlat)
        if self.minlon >= self.maxlon:
            raise SpecError(
                f"minlon ({self.minlon}) must be smaller than maxlon ({self.maxlon}). "
                "For an area across the antimeridian, use a Polygon with one part on each side."
            )
        if self.minlat >= self.maxlat:
            raise SpecError(f"minlat ({self.minlat}) must be smaller than maxlat ({self.maxlat}).")

    def as_tuple(self) -> tuple[float, float, float, float]:
        """(minlon, minlat, maxlon, maxlat)."""
        return (float(self.minlon), float(self.minlat), float(self.maxlon), float(self.maxlat))


@dataclass(frozen=True)
class PointBuffer:
    """A point in EPSG:4326 with a square buffer of ``buffer_m`` metres on each side of it."""

    lon: float
    lat: float
    buffer_m: float
    crs: str = PRODUCT_CRS

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise SpecError unless the point is finite and on the globe and the buffer positive."""
        _check_crs(self.crs)
        _check_finite(lon=self.lon, lat=self.lat, buffer_m=self.buffer_m)
        _check_lon("lon", self.lon)
        _check_lat("lat", self.lat)
        if self.buffer_m <= 0:
            raise SpecError(f"buffer_m must be a positive number of metres; got {self.buffer_m}.")


@dataclass(frozen=True)
class Polygon:
    """A (multi)polygon in EPSG:4326: WKT, rings (``from_rings``) or any geometry object.

    ``geometry`` may be any object with ``__geo_interface__`` or ``.wkt`` (a shapely
    geometry, for one); it is kept as given but never needed. The rings are held in
    ``parts``: one ``(exterior, *holes)`` tuple per polygon, each ring a closed (n, 2)
    float64 array of lon/lat. Longitudes may run past +-180 (up to +-360) so that a
    polygon drawn across the antimeridian (Fiji from 177 to 182) is accepted; it is
    wrapped onto the product.
    """

    wkt: str | None = None
    geometry: Any = field(default=None, compare=False, repr=False)
    crs: str = PRODUCT_CRS
    parts: Parts = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        from rs_embed_qgis.core.coverage import format_wkt, parse_wkt, parts_from_geometry

        if self.wkt is not None:
            parts = parse_wkt(self.wkt)
        elif self.geometry is not None:
            parts = parts_from_geometry(self.geometry)
        else:
            raise InvalidGeometryError(
                "Polygon needs wkt=..., geometry=... (an object with __geo_interface__ or "
                ".wkt, such as a shapely geometry), or Polygon.from_rings(...)."
            )
        object.__setattr__(self, "parts", parts)
        self.validate()
        if self.wkt is None:
            object.__setattr__(self, "wkt", format_wkt(parts))

    @classmethod
    def from_rings(cls, parts: Sequence[Sequence[Any]], crs: str = PRODUCT_CRS) -> Polygon:
        """A Polygon from polygons, each a sequence of (n, 2) lon/lat rings, exterior first."""
        from rs_embed_qgis.core.coverage import as_parts, format_wkt

        rings = as_parts(parts)
        obj = cls.__new__(cls)
        object.__setattr__(obj, "wkt", None)
        object.__setattr__(obj, "geometry", None)
        object.__setattr__(obj, "crs", crs)
        object.__setattr__(obj, "parts", rings)
        obj.validate()
        object.__setattr__(obj, "wkt", format_wkt(rings))
        return obj

    @classmethod
    def from_shapely(cls, geometry: Any) -> Polygon:
        """A Polygon from a shapely (Multi)Polygon in EPSG:4326 (kept as ``geometry``)."""
        return cls(geometry=geometry)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in degrees; minx/maxx may lie past +-180."""
        from rs_embed_qgis.core.coverage import bounds_of

        return bounds_of(self.parts)

    def validate(self) -> None:
        """Raise SpecError/InvalidGeometryError for a wrong CRS, no rings, or coordinates."""
        _check_crs(self.crs)
        if not self.parts:
            raise InvalidGeometryError("The polygon is empty.")
        minx, miny, maxx, maxy = self.bounds
        _check_finite(minx=minx, miny=miny, maxx=maxx, maxy=maxy)
        if minx < -360 or maxx > 360:
            raise SpecError(f"Polygon longitudes {minx}..{maxx} are outside [-360, 360].")
        if miny < -90 or maxy > 90:
            raise SpecError(f"Polygon latitudes {miny}..{maxy} are outside [-90, 90].")


SpatialSpec = BBox | PointBuffer | Polygon


@dataclass(frozen=True)
class TemporalSpec:
    """A time selection: ``TemporalSpec.year(2021)`` (the only year the product has)."""

    mode: str
    year: int | None = None
    start: str | None = None
    end: str | None = None

    @classmethod
    def range(cls, start: str, end: str) -> TemporalSpec:
        """A date range (not supported by this product; kept for rs-embed parity)."""
        return cls(mode="range", start=str(start), end=str(end))


# rs-embed spells the constructor TemporalSpec.year(2021); a dataclass field of the same
# name would shadow it, so the classmethod is attached after the class is built.
def _year(cls: type[TemporalSpec], year: int) -> TemporalSpec:
    """The whole calendar year ``year``."""
    return cls(mode="year", year=int(year))


class _YearDescriptor:
    """``TemporalSpec.year(2021)`` on the class, the ``year`` field value on instances."""

    def __get__(self, obj: TemporalSpec | None, owner: type[TemporalSpec]) -> Any:
        if obj is None:
            return _year.__get__(owner, type(owner))
        return obj.__dict__.get("year")

    def __set__(self, obj: TemporalSpec, value: int | None) -> None:
        obj.__dict__["year"] = value


TemporalSpec.year = _YearDescriptor()  # type: ignore[assignment,method-assign]


def validate_temporal(temporal: TemporalSpec | None) -> int:
    """Return the requested year, or raise: the product only has 2021."""
    years = ", ".join(str(y) for y in SUPPORTED_YEARS)
    hint = (
        f"Use TemporalSpec.year({SUPPORTED_YEARS[0]}): {years} is the only year "
        "Copernicus-Embed provides."
    )
    if temporal is None:
        raise UnsupportedYearError(f"copernicus_embed requires a temporal spec. {hint}")
    if not isinstance(temporal, TemporalSpec):
        raise SpecError(f"temporal must be a TemporalSpec, got {type(temporal).__name__}. {hint}")
    if temporal.mode != "year":
        raise UnsupportedYearError(
            f"copernicus_embed only accepts a single year, not mode={temporal.mode!r}. {hint}"
        )
    if temporal.year not in SUPPORTED_YEARS:
        raise UnsupportedYearError(f"Year {temporal.year} is not available. {hint}")
    return int(temporal.year)


@dataclass(frozen=True)
class SensorSpec:
    """Sensor/collection options; ``collection="dir:/path"`` overrides the data directory."""

    collection: str | None = None
    bands: tuple[str, ...] | None = None


@dataclass(frozen=True)
class OutputSpec:
    """What to return: a pooled vector (``mean``/``max``) or the grid (D x H x W)."""

    mode: str = "pooled"
    pooling: str = "mean"

    def __post_init__(self) -> None:
        if self.mode not in OUTPUT_MODES:
            raise SpecError(
                f"Unknown output mode {self.mode!r}; expected one of {', '.join(OUTPUT_MODES)}."
            )
        if self.pooling not in POOLINGS:
            raise SpecError(
                f"Unknown pooling {self.pooling!r}; expected one of {', '.join(POOLINGS)}."
            )

    @classmethod
    def pooled(cls, pooling: str = "mean") -> OutputSpec:
        """One vector per request: ``mean`` (over valid pixels) or ``max``."""
        return cls(mode="pooled", pooling=pooling)

    @classmethod
    def grid(cls) -> OutputSpec:
        """The product's pixels as an xarray.DataArray (d, y, x)."""
        return cls(mode="grid")
