"""Request specs, as in rs-embed: spatial (BBox, PointBuffer, Polygon), temporal, sensor, output."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rs_embed_qgis.core.constants import (
    OUTPUT_MODES,
    POOLINGS,
    PRODUCT_CRS,
    SUPPORTED_YEARS,
)
from rs_embed_qgis.core.errors import InvalidGeometryError, SpecError, UnsupportedYearError

if TYPE_CHECKING:  # pragma: no cover
    from shapely.geometry.base import BaseGeometry

_CRS_4326 = {"EPSG:4326", "OGC:CRS84", "CRS84", "WGS84"}


def _check_crs(crs: str) -> None:
    """Reject any CRS but EPSG:4326: the QGIS side transforms, the core never guesses."""
    if str(crs).strip().upper() not in _CRS_4326:
        raise SpecError(
            f"Spatial specs must be in EPSG:4326 (longitude/latitude degrees); got crs={crs!r}. "
            "Transform the geometry to EPSG:4326 first."
        )


def _check_finite(**values: float) -> None:
    """Reject NaN and infinite coordinates with the offending names."""
    bad = [k for k, v in values.items() if not isinstance(v, (int, float)) or not math.isfinite(v)]
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
    """A (multi)polygon in EPSG:4326, given as WKT or a shapely geometry.

    Longitudes may run past +-180 (up to +-360) so that a polygon drawn across the
    antimeridian (Fiji from 177 to 182) is accepted; it is wrapped onto the product.
    """

    wkt: str | None = None
    geometry: Any = field(default=None, compare=False, repr=False)
    crs: str = PRODUCT_CRS

    def __post_init__(self) -> None:
        if self.geometry is None and self.wkt is None:
            raise InvalidGeometryError(
                "Polygon needs wkt=... or geometry=... (a shapely geometry)."
            )
        if self.geometry is None:
            import shapely
            from shapely.errors import ShapelyError

            try:
                geom = shapely.from_wkt(self.wkt)
            except (ShapelyError, TypeError, ValueError) as exc:
                raise InvalidGeometryError(f"Polygon WKT could not be parsed: {exc}") from exc
            object.__setattr__(self, "geometry", geom)
        elif self.wkt is None:
            object.__setattr__(self, "wkt", self.geometry.wkt)
        self.validate()

    @classmethod
    def from_shapely(cls, geometry: BaseGeometry) -> Polygon:
        """Build a Polygon spec from a shapely (Multi)Polygon in EPSG:4326."""
        return cls(geometry=geometry)

    def validate(self) -> None:
        """Raise SpecError/InvalidGeometryError for a wrong CRS, type, or coordinates."""
        _check_crs(self.crs)
        geom = self.geometry
        if geom is None or geom.is_empty:
            raise InvalidGeometryError("The polygon is empty.")
        if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
            raise InvalidGeometryError(
                f"Expected a Polygon or MultiPolygon, got a {geom.geom_type}. "
                "Use PointBuffer for points."
            )
        minx, miny, maxx, maxy = geom.bounds
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
