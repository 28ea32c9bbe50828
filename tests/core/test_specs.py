"""Request validation: spatial, temporal, backend, model, output; errors come before data access."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import (
    BBox,
    InvalidGeometryError,
    OutputSpec,
    PointBuffer,
    Polygon,
    RsEmbedError,
    SensorSpec,
    SpecError,
    TemporalSpec,
    UnsupportedYearError,
    get_embedding,
    get_embeddings_batch,
)

Y2021 = TemporalSpec.year(2021)
NAN = float("nan")
INF = float("inf")


def _embed(spatial, data_dir, **kw):
    kw.setdefault("temporal", Y2021)
    return get_embedding("copernicus_embed", spatial=spatial, data_dir=data_dir, **kw)


# --------------------------------------------------------------------------- spatial


@pytest.mark.parametrize("field", ["minlon", "minlat", "maxlon", "maxlat"])
@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_bbox_rejects_non_finite(field: str, bad: float) -> None:
    args = {"minlon": 1.0, "minlat": 2.0, "maxlon": 3.0, "maxlat": 4.0, field: bad}
    with pytest.raises(SpecError) as ei:
        BBox(**args)
    msg = str(ei.value)
    assert "finite" in msg and field in msg


@pytest.mark.parametrize(
    "args, words",
    [
        ((3.0, 2.0, 1.0, 4.0), ("minlon", "maxlon", "smaller")),
        ((1.0, 2.0, 1.0, 4.0), ("minlon", "maxlon", "smaller")),
        ((1.0, 4.0, 3.0, 2.0), ("minlat", "maxlat", "smaller")),
        ((1.0, 2.0, 3.0, 2.0), ("minlat", "maxlat", "smaller")),
    ],
)
def test_bbox_rejects_min_not_below_max(args: tuple, words: tuple) -> None:
    with pytest.raises(SpecError) as ei:
        BBox(*args)
    for w in words:
        assert w in str(ei.value)


@pytest.mark.parametrize(
    "args, name, word",
    [
        ((1.0, -90.5, 3.0, 4.0), "minlat", "latitude"),
        ((1.0, 2.0, 3.0, 91.0), "maxlat", "latitude"),
        ((-180.5, 2.0, 3.0, 4.0), "minlon", "longitude"),
        ((1.0, 2.0, 200.0, 4.0), "maxlon", "longitude"),
    ],
)
def test_bbox_rejects_out_of_range(args: tuple, name: str, word: str) -> None:
    with pytest.raises(SpecError) as ei:
        BBox(*args)
    msg = str(ei.value)
    assert name in msg and word in msg


def test_bbox_accepts_the_whole_globe() -> None:
    b = BBox(-180, -90, 180, 90)
    assert b.as_tuple() == (-180.0, -90.0, 180.0, 90.0)


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:32633", "EPSG:4269"])
def test_specs_reject_other_crs(crs: str) -> None:
    for make in (lambda: BBox(1, 2, 3, 4, crs=crs), lambda: PointBuffer(1, 2, 100, crs=crs)):
        with pytest.raises(SpecError) as ei:
            make()
        msg = str(ei.value)
        assert "EPSG:4326" in msg and crs in msg


def test_specs_accept_epsg_4326_spellings() -> None:
    assert BBox(1, 2, 3, 4, crs="epsg:4326").crs == "epsg:4326"
    assert PointBuffer(1, 2, 100, crs="EPSG:4326").buffer_m == 100


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"lon": NAN}, ("finite", "lon")),
        ({"lat": INF}, ("finite", "lat")),
        ({"buffer_m": NAN}, ("finite", "buffer_m")),
        ({"buffer_m": INF}, ("finite", "buffer_m")),
        ({"lat": 90.01}, ("lat", "latitude")),
        ({"lat": -95.0}, ("lat", "latitude")),
        ({"lon": 180.5}, ("lon", "longitude")),
        ({"lon": -181.0}, ("lon", "longitude")),
        ({"buffer_m": 0}, ("buffer_m", "positive")),
        ({"buffer_m": -5.0}, ("buffer_m", "positive")),
    ],
)
def test_point_buffer_validation(kw: dict, words: tuple) -> None:
    args = {"lon": 10.0, "lat": 50.0, "buffer_m": 1000.0, **kw}
    with pytest.raises(SpecError) as ei:
        PointBuffer(**args)
    for w in words:
        assert w in str(ei.value)


def test_spec_errors_belong_to_the_core_tree() -> None:
    assert issubclass(SpecError, RsEmbedError)
    assert issubclass(UnsupportedYearError, SpecError)
    with pytest.raises(RsEmbedError):
        BBox(1, 2, 1, 2)


def test_adapter_revalidates_a_tampered_spec(tmp_path: Path) -> None:
    """A spec mutated after construction is checked again; nothing is read."""
    box = BBox(1, 2, 3, 4)
    object.__setattr__(box, "minlat", math.nan)
    missing = tmp_path / "nothing_here"
    with pytest.raises(SpecError, match="finite"):
        _embed(box, missing)
    assert not missing.exists()


def test_adapter_rejects_a_non_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="BBox, PointBuffer or Polygon"):
        _embed((1, 2, 3, 4), tmp_path / "x")


def test_specs_accept_numpy_numbers_but_not_bools() -> None:
    b = BBox(np.float32(5.0), np.float64(45.5), np.int64(7), np.float32(47.25))
    assert b.as_tuple() == (5.0, 45.5, 7.0, 47.25)
    assert all(type(v) is float for v in b.as_tuple())
    assert PointBuffer(np.float32(10.5), np.float64(50.0), np.int32(100)).buffer_m == 100
    with pytest.raises(SpecError, match="finite"):
        BBox(True, 2, 3, 4)
    with pytest.raises(SpecError, match="finite"):
        PointBuffer(10.0, 50.0, "100")
    with pytest.raises(SpecError, match="finite"):
        BBox(np.float32("nan"), 2, 3, 4)


SQUARE = [(10.0, 50.0), (11.0, 50.0), (11.0, 51.0), (10.0, 51.0), (10.0, 50.0)]


def test_polygon_from_rings_writes_full_precision_wkt() -> None:
    ring = [(10.1, 50.000000000000014), (11.3, 50.0), (10.7, 51.3)]
    p = Polygon.from_rings([[ring]])
    assert p.wkt == (
        "POLYGON ((10.1 50.000000000000014, 11.3 50.0, 10.7 51.3, 10.1 50.000000000000014))"
    )
    assert p == Polygon(wkt=p.wkt) and hash(p) == hash(Polygon(wkt=p.wkt))
    assert p.bounds == (10.1, 50.0, 11.3, 51.3)
    assert len(p.parts) == 1 and p.parts[0][0].shape == (4, 2)
    assert p.crs == "EPSG:4326" and p.geometry is None


def test_polygon_from_rings_multipart_with_hole() -> None:
    hole = [(10.2, 50.2), (10.4, 50.2), (10.4, 50.4), (10.2, 50.2)]
    p = Polygon.from_rings([[SQUARE, hole], [np.array(SQUARE) + 5]])
    assert p.wkt.startswith("MULTIPOLYGON (((10.0 50.0, 11.0 50.0")
    assert [len(part) for part in p.parts] == [2, 1]
    assert p.bounds == (10.0, 50.0, 16.0, 56.0)
    again = Polygon(wkt=p.wkt)
    for a, b in zip(p.parts, again.parts):
        for ra, rb in zip(a, b):
            np.testing.assert_array_equal(ra, rb)


def test_polygon_from_any_geometry_object() -> None:
    class GeoInterface:
        __geo_interface__ = {"type": "Polygon", "coordinates": [[(x, y, 7.0) for x, y in SQUARE]]}

    class HasWkt:
        wkt = "MULTIPOLYGON Z (((10 50 1, 11 50 1, 11 51 1, 10 51 1, 10 50 1)))"

    for geom in (GeoInterface(), HasWkt()):
        p = Polygon(geometry=geom)
        assert p.geometry is geom
        assert p.bounds == (10.0, 50.0, 11.0, 51.0)
        assert p.wkt == "POLYGON ((10.0 50.0, 11.0 50.0, 11.0 51.0, 10.0 51.0, 10.0 50.0))"
    shapely = pytest.importorskip("shapely")
    shp = shapely.Polygon(SQUARE)
    assert Polygon.from_shapely(shp) == Polygon.from_rings([[SQUARE]])


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Polygon(), InvalidGeometryError, ("wkt",)),
        (lambda: Polygon(wkt="POLYGON EMPTY"), InvalidGeometryError, ("empty",)),
        (lambda: Polygon(wkt="POINT (1 2)"), InvalidGeometryError, ("PointBuffer",)),
        (lambda: Polygon(wkt="POLYGON ((0 0, 1 0 0"), InvalidGeometryError, ("parsed",)),
        (lambda: Polygon(wkt=42), InvalidGeometryError, ("string",)),
        (lambda: Polygon.from_rings([[[(0, 0), (1, 0), (1, math.nan)]]]), SpecError, ("finite",)),
        (lambda: Polygon.from_rings([[[(-361, 0), (1, 0), (1, 1)]]]), SpecError, ("[-360, 360]",)),
        (lambda: Polygon.from_rings([[[(0, 0), (1, 90.5), (1, 1)]]]), SpecError, ("[-90, 90]",)),
        (lambda: Polygon.from_rings([SQUARE]), InvalidGeometryError, ("[[ring]]",)),
        (
            lambda: Polygon(wkt="POLYGON ((0 0, 1 0, 1 1, 0 0))", crs="EPSG:3857"),
            SpecError,
            ("EPSG:4326",),
        ),
        (lambda: Polygon(wkt="SRID=3857;POLYGON ((0 0, 1 0, 1 1, 0 0))"), SpecError, ("3857",)),
    ],
)
def test_polygon_validation(make, error, words: tuple) -> None:
    with pytest.raises(error) as ei:
        make()
    for w in words:
        assert w in str(ei.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Polygon(wkt="POLYGON ((5 50, 6 50, 6 51, 5 51))"),
        lambda: Polygon(wkt="MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 50, 6 50, 6 51, 5 51)))"),
        lambda: Polygon(wkt="POLYGON ((0 0, 9 0, 9 9, 0 9, 0 0), (1 1, 2 1, 2 2, 1 2))"),
        lambda: Polygon(
            geometry=type(
                "Geo",
                (),
                {"__geo_interface__": {"type": "Polygon", "coordinates": [SQUARE[:-1]]}},
            )()
        ),
    ],
)
def test_polygon_with_an_unclosed_ring_is_refused(make) -> None:
    """WKT and GeoJSON rings are closed by definition: an open one is an error, never a
    shape closed behind the user's back (issue 18, item 7)."""
    with pytest.raises(InvalidGeometryError, match="not closed") as ei:
        make()
    assert "repeat its first point" in str(ei.value)


def test_from_rings_still_closes_an_open_ring() -> None:
    """``from_rings`` takes vertex arrays, like shapely's constructor: an open ring is closed."""
    p = Polygon.from_rings([[SQUARE[:-1]]])
    np.testing.assert_array_equal(p.parts[0][0], np.array(SQUARE))


def test_polygon_across_the_antimeridian_is_accepted() -> None:
    fiji = Polygon(wkt="POLYGON ((177 -19, 182 -19, 182 -16, 177 -16, 177 -19))")
    assert fiji.bounds == (177.0, -19.0, 182.0, -16.0)
    assert Polygon(wkt="SRID=4326;" + fiji.wkt).bounds == fiji.bounds


# --------------------------------------------------------------------------- temporal


def test_temporal_year_constructor() -> None:
    t = TemporalSpec.year(2021)
    assert (t.mode, t.year) == ("year", 2021)
    assert TemporalSpec.year(2021) == t


@pytest.mark.parametrize(
    "temporal",
    [
        None,
        TemporalSpec.year(2020),
        TemporalSpec.year(2022),
        TemporalSpec.range("2021-01-01", "2021-12-31"),
    ],
    ids=["missing", "2020", "2022", "range"],
)
def test_unsupported_temporal_is_refused_before_data_access(
    temporal: TemporalSpec | None, tmp_path: Path
) -> None:
    """The year error wins over a data directory that does not exist (nothing is touched)."""
    missing = tmp_path / "no_such_dir"
    for call in (
        lambda: _embed(PointBuffer(10, 50, 1000), missing, temporal=temporal),
        lambda: _embed(
            PointBuffer(10, 50, 1000), None, temporal=temporal, sensor=SensorSpec(f"dir:{missing}")
        ),
        lambda: get_embeddings_batch(
            spatials=[PointBuffer(10, 50, 1000)], temporal=temporal, data_dir=missing
        ),
    ):
        with pytest.raises(UnsupportedYearError) as ei:
            call()
        assert "2021" in str(ei.value)
        assert not missing.exists()


def test_temporal_must_be_a_temporal_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="2021"):
        _embed(PointBuffer(10, 50, 1000), tmp_path / "x", temporal=2021)


# --------------------------------------------------------------------------- backend, model, output


def test_backend_auto_and_local_give_the_same_vector(europe_dir: Path) -> None:
    pb = PointBuffer(lon=10.1, lat=50.07, buffer_m=5000)
    a = _embed(pb, europe_dir, backend="auto", reader="torchgeo")
    b = _embed(pb, europe_dir, backend="local", reader="torchgeo")
    assert np.array_equal(a.data, b.data)
    assert a.meta["backend"] == b.meta["backend"] == "auto"


@pytest.mark.parametrize("backend", ["gee", "torch", ""])
def test_other_backends_are_refused_naming_the_allowed(backend: str, tmp_path: Path) -> None:
    missing = tmp_path / "no_such_dir"
    with pytest.raises(SpecError) as ei:
        _embed(PointBuffer(10, 50, 1000), missing, backend=backend)
    msg = str(ei.value)
    assert "'auto'" in msg and "'local'" in msg and repr(backend) in msg
    assert not missing.exists()


@pytest.mark.parametrize("model", ["prithvi", "tessera", "copernicus_embed_v2"])
def test_unknown_model_is_refused(model: str, tmp_path: Path) -> None:
    with pytest.raises(SpecError) as ei:
        get_embedding(model, spatial=PointBuffer(10, 50, 1000), temporal=Y2021, data_dir=tmp_path)
    assert model in str(ei.value) and "copernicus_embed" in str(ei.value)
    with pytest.raises(SpecError):
        get_embeddings_batch(model, spatials=[PointBuffer(10, 50, 1000)], temporal=Y2021)


def test_unknown_output_mode_and_pooling_are_refused() -> None:
    with pytest.raises(SpecError) as ei:
        OutputSpec(mode="tokens")
    assert "tokens" in str(ei.value) and "pooled" in str(ei.value) and "grid" in str(ei.value)
    with pytest.raises(SpecError) as ei:
        OutputSpec.pooled("median")
    assert "median" in str(ei.value) and "mean" in str(ei.value) and "max" in str(ei.value)


def test_output_must_be_an_output_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="OutputSpec"):
        _embed(PointBuffer(10, 50, 1000), tmp_path, output="pooled")


def test_output_constructors() -> None:
    assert (OutputSpec.pooled().mode, OutputSpec.pooled().pooling) == ("pooled", "mean")
    assert OutputSpec.pooled("max").pooling == "max"
    assert OutputSpec.grid().mode == "grid"


@pytest.mark.parametrize("bad", [-1.0, NAN, INF, "wide"])
def test_expand_deg_must_be_a_non_negative_number(bad, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="expand_deg"):
        _embed(PointBuffer(10, 50, 1000), tmp_path / "x", expand_deg=bad)
