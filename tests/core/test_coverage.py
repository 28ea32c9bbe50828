"""Exact coverage fractions against hand-computed areas, a clipping reference, exactextract."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from rs_embed_qgis.core import CancelledError, InvalidGeometryError, Polygon
from rs_embed_qgis.core import coverage as cv
from rs_embed_qgis.core.polygon import Coverage, gather_cells, polygon_coverage, pool_coverage

WORLD_MAP = "/usr/share/qgis/resources/data/world_map.gpkg"


# Grid units, computed here on their own: cell (r, c) is [c, c+1] x [r, r+1].
def lon(u: float) -> float:
    return -180.125 + 0.25 * u


def lat(v: float) -> float:
    return 90.125 - 0.25 * v


def ring_uv(points_uv) -> list[tuple[float, float]]:
    return [(lon(u), lat(v)) for u, v in points_uv]


def cells(parts) -> dict[tuple[int, int], float]:
    rows, cols, frac = cv.coverage_fractions([parts])[0]
    return {(int(r), int(c)): float(f) for r, c, f in zip(rows, cols, frac)}


def shoelace(points) -> float:
    # Relative to the first point: products of large grid coordinates would cancel badly.
    x = np.asarray([p[0] - points[0][0] for p in points], dtype=float)
    y = np.asarray([p[1] - points[0][1] for p in points], dtype=float)
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def clip_to_cell(points_uv, c: int, r: int) -> list[tuple[float, float]]:
    """Sutherland-Hodgman clip of a polygon (grid units) to cell (r, c)."""
    out = list(points_uv)
    for axis, bound, keep_greater in (
        (0, c, True),
        (0, c + 1, False),
        (1, r, True),
        (1, r + 1, False),
    ):
        src, out = out, []
        if not src:
            break
        for i, cur in enumerate(src):
            prev = src[i - 1]
            cin = (cur[axis] >= bound) if keep_greater else (cur[axis] <= bound)
            pin = (prev[axis] >= bound) if keep_greater else (prev[axis] <= bound)
            if cin != pin:
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                out.append(tuple(prev[k] + t * (cur[k] - prev[k]) for k in (0, 1)))
            if cin:
                out.append(cur)
    return out


def reference_cells(points_uv) -> dict[tuple[int, int], float]:
    """Per-cell covered area of a simple polygon (grid units) by clipping every cell."""
    us = [p[0] for p in points_uv]
    vs = [p[1] for p in points_uv]
    ref = {}
    for r in range(math.floor(min(vs)), math.ceil(max(vs))):
        for c in range(math.floor(min(us)), math.ceil(max(us))):
            a = abs(shoelace(clip_to_cell(points_uv, c, r)))
            if a > 1e-12:
                ref[(r, c % 1440)] = ref.get((r, c % 1440), 0.0) + a
    return ref


def star_polygon(rng: np.random.Generator, n: int, cu: float, cv_: float, radius: float):
    """A random simple polygon in grid units: star-shaped, every angle step below pi."""
    n = max(n, 5)
    ang = (np.arange(n) + rng.uniform(0, 0.9, n)) * (2 * np.pi / n)
    rad = rng.uniform(0.2, 1.0, n) * radius
    return list(zip(cu + rad * np.cos(ang), cv_ + rad * np.sin(ang)))


def assert_cells_equal(got: dict, want: dict, tol: float = 1e-9) -> None:
    keys = set(got) | set(want)
    worst = max(abs(got.get(k, 0.0) - want.get(k, 0.0)) for k in keys)
    assert worst <= tol, f"worst cell difference {worst}"


# --------------------------------------------------------------------------- hand-computed


def test_a_cell_exactly_covered_is_one() -> None:
    parts = cv.as_parts([[ring_uv([(800, 100), (801, 100), (801, 101), (800, 101)])]])
    assert cells(parts) == {(100, 800): 1.0}


def test_a_cell_inside_a_larger_polygon_is_one() -> None:
    parts = cv.as_parts([[ring_uv([(799.5, 99.3), (802.2, 99.3), (802.2, 101.9), (799.5, 101.9)])]])
    got = cells(parts)
    assert got[(100, 800)] == pytest.approx(1.0, abs=1e-12)
    assert got[(100, 801)] == pytest.approx(1.0, abs=1e-12)
    assert got[(99, 799)] == pytest.approx(0.5 * 0.7)
    assert got[(101, 802)] == pytest.approx(0.2 * 0.9)
    assert len(got) == 4 * 3


def test_right_triangle_over_known_cells() -> None:
    # Legs of two cells from the corner of cell (50, 300): the diagonal halves two cells.
    parts = cv.as_parts([[ring_uv([(300, 50), (302, 50), (300, 52)])]])
    assert_cells_equal(cells(parts), {(50, 300): 1.0, (50, 301): 0.5, (51, 300): 0.5})


def test_triangle_inside_one_cell_has_its_area() -> None:
    tri = [(400.1, 200.2), (400.9, 200.3), (400.4, 200.95)]
    got = cells(cv.as_parts([[ring_uv(tri)]]))
    assert list(got) == [(200, 400)]
    assert got[(200, 400)] == pytest.approx(abs(shoelace(tri)), rel=1e-9)


def test_hole_is_subtracted_whichever_way_rings_are_drawn() -> None:
    outer = [(600, 300), (603, 300), (603, 303), (600, 303)]
    hole = [(601, 301), (602, 301), (602, 302), (601, 302)]
    want = {(r, c): 1.0 for r in range(300, 303) for c in range(600, 603) if (r, c) != (301, 601)}
    for o, h in (
        (outer, hole),
        (outer[::-1], hole),
        (outer, hole[::-1]),
        (outer[::-1], hole[::-1]),
    ):
        assert_cells_equal(cells(cv.as_parts([[ring_uv(o), ring_uv(h)]])), want)


def test_polar_cells_are_fractions_of_their_part_on_the_globe() -> None:
    # Row 0 is 90.125..89.875, on the globe 90..89.875: lat 89.9..90 covers 0.1/0.125 of it.
    north = cv.as_parts([[[(0.0, 89.9), (10.0, 89.9), (10.0, 90.0), (0.0, 90.0)]]])
    got = cells(north)
    assert {r for r, _ in got} == {0}
    assert got[(0, 720)] == pytest.approx(0.5 * 0.8)  # lon 0 halves column 720
    assert got[(0, 760)] == pytest.approx(0.5 * 0.8)
    assert all(got[(0, c)] == pytest.approx(0.8) for c in range(721, 760))
    south = cv.as_parts([[[(0.0, -90.0), (10.0, -90.0), (10.0, -89.95), (0.0, -89.95)]]])
    got = cells(south)
    assert {r for r, _ in got} == {720}
    assert got[(720, 740)] == pytest.approx(0.05 / 0.125)


def test_across_the_antimeridian_equals_the_split_form() -> None:
    across = Polygon(wkt="POLYGON ((177 -18.3, 182.1 -18.3, 181 -15.9, 177.4 -16.2, 177 -18.3))")
    # The same polygon cut at 180 into two parts in [-180, 180]: the cut points by hand.
    # Only the edge (181, -15.9) -> (177.4, -16.2) crosses 180.
    y_cut = -15.9 + (180 - 181) / (177.4 - 181) * (-16.2 + 15.9)
    split = Polygon.from_rings(
        [
            [[(177, -18.3), (180, -18.3), (180, y_cut), (177.4, -16.2), (177, -18.3)]],
            [[(-180, -18.3), (-177.9, -18.3), (-179, -15.9), (-180, y_cut), (-180, -18.3)]],
        ]
    )
    a, b = polygon_coverage([across, split])
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.cols, b.cols)
    np.testing.assert_allclose(a.fractions, b.fractions, atol=1e-9)
    assert set(a.cols.tolist()) >= {1439, 0}  # both sides of the antimeridian


def test_parts_on_both_sides_of_a_cell_on_the_antimeridian_add_up() -> None:
    # Column 0 spans 179.875..180.125 (= -179.875): half from each side.
    east = [(179.875, 10.125), (180.0, 10.125), (180.0, 9.875), (179.875, 9.875)]
    west = [(-180.0, 10.125), (-179.875, 10.125), (-179.875, 9.875), (-180.0, 9.875)]
    assert_cells_equal(cells(cv.as_parts([[east], [west]])), {(320, 0): 1.0})


# --------------------------------------------------------------------------- independent references


@pytest.mark.parametrize("seed", range(6))
def test_random_polygons_match_a_clipping_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    poly = star_polygon(
        rng, int(rng.integers(3, 40)), rng.uniform(5, 1430), rng.uniform(5, 700), 4.0
    )
    got = cells(cv.as_parts([[ring_uv(poly)]]))
    assert_cells_equal(got, reference_cells(poly), tol=1e-9)
    # Fractions add up to the polygon's area in grid units (cells are 1 x 1).
    assert sum(got.values()) == pytest.approx(abs(shoelace(poly)), rel=1e-10)


def _exactextract_cells(geoms) -> list[dict[tuple[int, int], float]]:
    """Per-cell coverage by exactextract on a raster spanning lon -360.125..360.125."""
    exactextract = pytest.importorskip("exactextract")
    from exactextract.raster import NumPyRasterSource

    width = 2 * 1440 + 1
    src = NumPyRasterSource(
        np.ones((721, width), dtype=np.uint8),
        xmin=-360.125,
        ymin=90.125 - 0.25 * 721,
        xmax=-360.125 + 0.25 * width,
        ymax=90.125,
        nodata=None,
    )
    feats = [{"type": "Feature", "properties": {}, "geometry": g} for g in geoms]
    res = exactextract.exact_extract(src, feats, ["cell_id", "coverage"], output="geojson")
    out = []
    for f in res:
        ref: dict[tuple[int, int], float] = {}
        for cid, frac in zip(f["properties"]["cell_id"], f["properties"]["coverage"]):
            r, c = int(cid) // width, (int(cid) % width - 720) % 1440
            frac = 2 * frac if r in (0, 720) else frac  # rows half off the globe
            ref[(r, c)] = ref.get((r, c), 0.0) + frac
        out.append({k: min(v, 1.0) for k, v in ref.items() if v > 0})
    return out


def test_random_polygons_match_exactextract() -> None:
    rng = np.random.default_rng(42)
    polys = []
    for _ in range(30):
        ring = ring_uv(
            star_polygon(
                rng, int(rng.integers(3, 60)), rng.uniform(-690, 2140), rng.uniform(10, 700), 12.0
            )
        )
        polys.append([(x, min(max(y, -90.0), 90.0)) for x, y in ring])
    geoms = [{"type": "Polygon", "coordinates": [p + p[:1]]} for p in polys]
    refs = _exactextract_cells(geoms)
    got = cv.coverage_fractions([cv.as_parts([[p]]) for p in polys])
    for (rows, cols, frac), ref in zip(got, refs):
        mine = {(int(r), int(c)): float(f) for r, c, f in zip(rows, cols, frac)}
        assert_cells_equal(mine, ref, tol=1e-6)


def test_country_outlines_match_exactextract() -> None:
    ogr = pytest.importorskip("osgeo.ogr")
    ds = ogr.Open(WORLD_MAP)
    if ds is None:
        pytest.skip(f"{WORLD_MAP} is not installed")
    wkts = [f.GetGeometryRef().ExportToIsoWkt() for f in ds.GetLayerByName("countries")]
    specs = [Polygon(wkt=w) for w in wkts]
    covs = polygon_coverage(specs)
    import json

    geoms = [json.loads(ogr.CreateGeometryFromWkt(w).ExportToJson()) for w in wkts]
    refs = _exactextract_cells(geoms)
    assert len(covs) == len(refs) == len(wkts) > 200
    for cov, ref in zip(covs, refs):
        mine = {(int(r), int(c)): float(f) for r, c, f in zip(cov.rows, cov.cols, cov.fractions)}
        assert_cells_equal(mine, ref, tol=1e-6)
        assert set(mine) == {k for k, v in ref.items() if v > 1e-6} | {
            k for k, v in mine.items() if v <= 1e-6
        }


# --------------------------------------------------------------------------- WKT and repair


def test_wkt_reader_drops_z_m_and_reads_collections() -> None:
    a = cv.parse_wkt("POLYGON Z ((1 2 9, 3 2 9, 3 4 9, 1 2 9))")
    b = cv.parse_wkt("POLYGON ZM ((1 2 9 8, 3 2 9 8, 3 4 9 8, 1 2 9 8))")
    c = cv.parse_wkt(
        "GEOMETRYCOLLECTION (POINT (0 0), POLYGON ((1 2, 3 2, 3 4, 1 2)), LINESTRING (0 0, 1 1),"
        " MULTIPOLYGON EMPTY)"
    )
    for parts in (a, b, c):
        assert len(parts) == 1 and len(parts[0]) == 1
        np.testing.assert_array_equal(parts[0][0], [[1, 2], [3, 2], [3, 4], [1, 2]])
    m = cv.parse_wkt(
        "multipolygon (((0 0, 1 0, 1 1, 0 0)), EMPTY,"
        " ((5 5, 6 5, 6 6, 5 5), (5.5 5.2, 5.8 5.2, 5.8 5.5, 5.5 5.2)))"
    )
    assert [len(p) for p in m] == [1, 2]
    assert cv.parse_wkt("POLYGON EMPTY") == ()
    # An unclosed ring is refused (tests/core/test_specs.py), not closed behind the user's back.
    with pytest.raises(InvalidGeometryError, match="not closed"):
        cv.parse_wkt("POLYGON((0 0, 1 0, 1 1))")


@pytest.mark.parametrize(
    "wkt, match",
    [
        ("not wkt", "parsed"),
        ("POLYGON ((0 0, 1 0, 1 1, 0 0)", "parsed"),
        ("POLYGON ((0 0, 1 0 5, 1 1, 0 0))", "parsed"),
        ("POLYGON Z ((0 0, 1 0, 1 1, 0 0))", "parsed"),
        ("POLYGON ((0 0, 1 x, 1 1, 0 0))", "parsed"),
        ("POLYGON ((0 0, 1 0, 1 1, 0 0)) trailing", "parsed"),
        ("POINT (1 2)", "PointBuffer"),
        ("MULTILINESTRING ((0 0, 1 1))", "PointBuffer"),
    ],
)
def test_wkt_reader_errors(wkt: str, match: str) -> None:
    with pytest.raises(InvalidGeometryError, match=match):
        cv.parse_wkt(wkt)


def test_wkt_round_trip_keeps_every_bit() -> None:
    rng = np.random.default_rng(1)
    ring = np.concatenate([rng.uniform(-10, 10, (7, 2)), np.zeros((0, 2))])
    parts = cv.as_parts([[ring], [ring + 20, ring[::-1] * 0.01 + 20]])
    back = cv.parse_wkt(cv.format_wkt(parts))
    assert len(back) == 2
    for p, q in zip(parts, back):
        for a, b in zip(p, q):
            np.testing.assert_array_equal(a, b)


# Bow-tie (700, 300) -> (704, 304) -> (704, 300) -> (700, 304), crossing at (702, 302):
# a left and a right triangle of area 4 each; per cell, counted by hand.
BOWTIE_UV = [(700, 300), (704, 304), (704, 300), (700, 304)]
BOWTIE_CELLS = {
    (300, 700): 0.5,
    (301, 700): 1.0,
    (301, 701): 0.5,
    (302, 700): 1.0,
    (302, 701): 0.5,
    (303, 700): 0.5,
    (300, 703): 0.5,
    (301, 703): 1.0,
    (301, 702): 0.5,
    (302, 703): 1.0,
    (302, 702): 0.5,
    (303, 703): 0.5,
}


def test_bowtie_is_repaired_to_its_two_triangles() -> None:
    pytest.importorskip("osgeo.ogr")
    bowtie = cv.as_parts([[ring_uv(BOWTIE_UV)]])
    fixed = cv.repair(bowtie)
    assert len(fixed) == 2
    assert_cells_equal(cells(fixed), BOWTIE_CELLS)


def test_repair_unites_overlapping_parts() -> None:
    pytest.importorskip("osgeo.ogr")
    a = ring_uv([(10, 10), (12, 10), (12, 12), (10, 12)])
    b = ring_uv([(11, 10), (13, 10), (13, 12), (11, 12)])
    fixed = cv.repair(cv.as_parts([[a], [b]]))
    want = {(r, c): 1.0 for r in (10, 11) for c in (10, 11, 12)}
    assert_cells_equal(cells(fixed), want)


def test_without_ogr_invalid_polygons_stay_within_zero_and_one(monkeypatch) -> None:
    monkeypatch.setattr(cv, "_ogr", lambda: None)
    assert not cv.has_repair()
    bowtie = cv.as_parts([[ring_uv(BOWTIE_UV)]])
    assert cv.repair(bowtie) is bowtie
    # Winding-number magnitudes: right for a bow-tie whose lobes share no cell.
    assert_cells_equal(cells(bowtie), BOWTIE_CELLS)
    # Two overlapping parts count once per cell (clipped), not twice.
    sq = ring_uv([(10, 10), (12, 10), (12, 12), (10, 12)])
    assert set(cells(cv.as_parts([[sq], [sq]])).values()) == {1.0}
    bad = Polygon(wkt="POLYGON ((2 48, 8 52, 8 48, 2 52, 2 48))")
    (cov,) = polygon_coverage([bad])
    assert ((cov.fractions > 0) & (cov.fractions <= 1)).all()


def test_degenerate_polygons_raise_no_area() -> None:
    flat = Polygon(wkt="POLYGON ((2 48, 4 48, 6 48, 2 48))")
    with pytest.raises(InvalidGeometryError, match="no area"):
        polygon_coverage([flat])
    out = polygon_coverage(
        [flat, Polygon(wkt="POLYGON ((2 48, 4 48, 4 50, 2 48))")], on_error="keep"
    )
    assert isinstance(out[0], InvalidGeometryError) and isinstance(out[1], Coverage)


def test_coverage_areas_are_fraction_times_cell_area() -> None:
    from rs_embed_qgis.core.grid import cell_areas_m2

    (cov,) = polygon_coverage(
        [Polygon(wkt="POLYGON ((10.1 50.1, 11.3 50.1, 10.7 51.3, 10.1 50.1))")]
    )
    np.testing.assert_allclose(cov.areas_m2, cov.fractions * cell_areas_m2(cov.rows))
    order = np.lexsort((cov.cols, cov.rows))
    np.testing.assert_array_equal(order, np.arange(cov.n_cells))  # by row, then column


class _CountingReader:
    """Zeros for any row of a full-width file; counts the row reads (no data needed)."""

    info = SimpleNamespace(row_off=0, col_off=0, height=721, width=1440)

    def __init__(self) -> None:
        self.reads = 0

    def read_cells(self, row, col0, col1, out=None):
        self.reads += 1
        vals = np.full((col1 - col0, 768), row, dtype=np.float32)
        if out is None:
            return vals
        out[:] = vals
        return out


def test_gather_cancels_between_rows() -> None:
    (cov,) = polygon_coverage([Polygon(wkt="POLYGON ((0 0, 4 0, 4 4, 0 0))")])
    reader = _CountingReader()
    calls = iter(range(10**6))
    with pytest.raises(CancelledError):
        gather_cells(reader, cov, cancel=lambda: next(calls) >= 3)
    assert reader.reads == 3
    vecs = gather_cells(_CountingReader(), cov, cancel=lambda: False)
    np.testing.assert_array_equal(vecs[:, 0], cov.rows)
    with pytest.raises(CancelledError):
        pool_coverage(_CountingReader(), cov, "mean", lambda: True)
