"""Polygon pooling: true-area weighted means checked against an independent computation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

# The independent reference intersects cells with shapely and measures them with pyproj:
# test tools only, the core needs neither.
shapely = pytest.importorskip("shapely")
pyproj = pytest.importorskip("pyproj")
from shapely.geometry import MultiPolygon, box  # noqa: E402
from shapely.geometry import Polygon as ShapelyPolygon  # noqa: E402

from rs_embed_qgis.core import (  # noqa: E402
    InvalidGeometryError,
    NoCoverageError,
    OutputSpec,
    Polygon,
    TemporalSpec,
    get_embedding,
    get_embeddings_batch,
)
from rs_embed_qgis.core.polygon import circular_span, polygon_coverage  # noqa: E402
from tests import product  # noqa: E402

YEAR = TemporalSpec.year(2021)
GEOD = pyproj.Geod(ellps="WGS84")


def reference(geom, pooling: str = "mean") -> tuple[np.ndarray, dict]:
    """Independent pooling: shapely intersection of every cell, geodesic area with pyproj."""
    parts = []
    for shift in (-360.0, 0.0, 360.0):  # fold longitudes past +-180 onto the product
        moved = shapely.affinity.translate(geom, xoff=shift)
        clipped = moved.intersection(box(-180.125, -90.125, 179.875, 90.125))
        if not clipped.is_empty:
            parts.append(clipped)
    geom = shapely.union_all(parts)
    minx, miny, maxx, maxy = geom.bounds
    weights: dict[tuple[int, int], float] = {}
    for r in range(math.floor((90.125 - maxy) / 0.25), math.ceil((90.125 - miny) / 0.25)):
        for c in range(math.floor((minx + 180.125) / 0.25), math.ceil((maxx + 180.125) / 0.25)):
            x0, y1 = -180.125 + 0.25 * c, 90.125 - 0.25 * r
            cell = box(x0, max(y1 - 0.25, -90), x0 + 0.25, min(y1, 90))
            inter = cell.intersection(geom)
            if inter.is_empty or inter.area == 0:
                continue
            area = abs(GEOD.geometry_area_perimeter(inter)[0])
            key = (r, c % 1440)
            weights[key] = weights.get(key, 0.0) + area
    keys = list(weights)
    rows = np.array([k[0] for k in keys])
    cols = np.array([k[1] for k in keys])
    w = np.array([weights[k] for k in keys])
    land = product.land_mask(rows, cols)
    vals = product.pixel_values(rows, cols).astype(np.float64)
    meta = {"area": w.sum(), "covered": w[land].sum(), "cells": len(keys), "land": int(land.sum())}
    if not land.any():
        return None, meta
    if pooling == "mean":
        return (w[land] @ vals[land]) / w[land].sum(), meta
    return vals[land].max(axis=0), meta


def _embed(geom, data_dir: Path, pooling: str = "mean"):
    return get_embedding(
        spatial=Polygon.from_shapely(geom),
        temporal=YEAR,
        data_dir=data_dir,
        output=OutputSpec.pooled(pooling),
    )


# Partial cells are weighted by covered fraction x the cell's ellipsoidal area; the
# reference uses the exact geodesic area of each intersection. At these latitudes the two
# differ by well under 0.1 % per partial cell, so means agree to about 1e-4.
MEAN_TOL = 2e-4


@pytest.mark.parametrize(
    "geom",
    [
        ShapelyPolygon([(2.1, 47.3), (9.7, 48.05), (6.2, 53.9), (1.3, 51.2)]),
        box(-3.33, 41.1, 4.87, 46.6),  # across the coast checkerboard and into the ocean
        MultiPolygon([box(10.1, 47.1, 11.9, 48.3), box(20.05, 50.02, 21.5, 52.6)]),
    ],
)
def test_area_weighted_mean_matches_independent(geom, europe_dir: Path) -> None:
    emb = _embed(geom, europe_dir)
    ref, meta = reference(geom)
    assert emb.data.dtype == np.float32 and emb.data.shape == (768,)
    np.testing.assert_allclose(emb.data, ref, atol=MEAN_TOL, rtol=MEAN_TOL)
    assert emb.meta["pixel_count"] == meta["cells"]
    assert emb.meta["valid_pixels"] == meta["land"]
    assert emb.meta["area_m2"] == pytest.approx(meta["area"], rel=1e-3)
    assert emb.meta["valid_fraction"] == pytest.approx(meta["covered"] / meta["area"], rel=1e-3)
    # Edges are straight in lon/lat (as in the layer), so densify before the geodesic area.
    dense = shapely.segmentize(geom, 0.01)
    assert emb.meta["area_m2"] == pytest.approx(
        abs(GEOD.geometry_area_perimeter(dense)[0]), rel=1e-4
    )


def test_mean_weights_by_true_area_not_by_cell_count(europe_dir: Path) -> None:
    # A tall polygon: northern cells are smaller, so the area-weighted mean differs from
    # the plain mean of the cells.
    geom = box(5.0, 46.0, 5.25, 59.0)
    emb = _embed(geom, europe_dir)
    ref, _ = reference(geom)
    rows = np.arange(round((90.125 - 59.0) / 0.25), round((90.125 - 46.0) / 0.25))
    cols = np.full(rows.shape, round((5.0 + 180.125) / 0.25))
    plain = product.pixel_values(rows, cols).astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(emb.data, ref, atol=MEAN_TOL, rtol=MEAN_TOL)
    assert np.abs(plain - ref).max() > 20 * MEAN_TOL


def test_max_over_valid_touched_cells(europe_dir: Path) -> None:
    geom = box(-3.33, 41.1, 4.87, 46.6)
    emb = _embed(geom, europe_dir, "max")
    ref, _ = reference(geom, "max")
    np.testing.assert_array_equal(emb.data, ref.astype(np.float32))
    assert emb.meta["pooling"] == "max_hw"


def test_subpixel_polygon_gets_its_pixel(europe_dir: Path) -> None:
    # Inside the cell centred at (10.0, 50.0).
    emb = _embed(box(9.95, 49.93, 9.97, 49.95), europe_dir)
    expected = product.pixel_values(np.array([160]), np.array([760]))[0]
    np.testing.assert_allclose(emb.data, expected, rtol=1e-6)
    assert emb.meta["pixel_count"] == 1


def test_subpixel_polygon_on_two_pixels_is_weighted_by_overlap(europe_dir: Path) -> None:
    # 3/4 in the cell centred at lon 10.0, 1/4 in the one at 10.25 (edge at 10.125).
    geom = box(10.095, 49.98, 10.135, 49.99)
    emb = _embed(geom, europe_dir)
    a, b = product.pixel_values(np.array([160, 160]), np.array([760, 761])).astype(np.float64)
    np.testing.assert_allclose(emb.data, 0.75 * a + 0.25 * b, rtol=1e-5)


def test_antimeridian_polygon_both_forms_agree(strip_dir: Path) -> None:
    split = MultiPolygon([box(179.3, 66.1, 180.0, 68.4), box(-180.0, 66.1, -179.2, 68.4)])
    across = box(179.3, 66.1, 180.8, 68.4)  # the same area drawn past 180
    a = _embed(split, strip_dir)
    b = _embed(across, strip_dir)
    ref, meta = reference(split)
    np.testing.assert_allclose(a.data, ref, atol=MEAN_TOL, rtol=MEAN_TOL)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
    assert a.meta["pixel_count"] == b.meta["pixel_count"] == meta["cells"]
    # Cells on both sides of the antimeridian were read: the window wraps.
    assert a.meta["bbox_4326"][0] < 180 < a.meta["bbox_4326"][2]


def test_invalid_geometry_is_repaired(europe_dir: Path) -> None:
    bowtie = ShapelyPolygon([(2, 48), (8, 52), (8, 48), (2, 52)])
    assert not bowtie.is_valid
    emb = _embed(bowtie, europe_dir)
    ref, _ = reference(shapely.make_valid(bowtie))
    np.testing.assert_allclose(emb.data, ref, atol=MEAN_TOL, rtol=MEAN_TOL)


def test_unusable_geometries_raise_clear_errors(europe_dir: Path) -> None:
    with pytest.raises(InvalidGeometryError):
        Polygon(wkt="POLYGON EMPTY")
    with pytest.raises(InvalidGeometryError):
        Polygon(wkt="LINESTRING (0 0, 1 1)")
    with pytest.raises(InvalidGeometryError, match="parsed"):
        Polygon(wkt="not wkt")
    flat = ShapelyPolygon([(2, 48), (4, 48), (6, 48), (2, 48)])  # zero area
    with pytest.raises(InvalidGeometryError, match="no area"):
        _embed(flat, europe_dir)


def test_all_ocean_polygon_has_no_coverage(europe_dir: Path) -> None:
    ocean = box(-8.0, 36.0, -4.0, 39.0)  # in the ocean around the coast checkerboard
    with pytest.raises(NoCoverageError, match="coverage"):
        _embed(ocean, europe_dir)


def test_batch_skips_bad_items_and_keeps_order(europe_dir: Path) -> None:
    good = [box(5, 50, 6, 51), box(20, 52, 21, 53)]
    flat = ShapelyPolygon([(2, 48), (4, 48), (6, 48), (2, 48)])
    specs = [
        Polygon.from_shapely(good[0]),
        Polygon.from_shapely(box(-8.0, 36.0, -4.0, 39.0)),
        Polygon.from_shapely(flat),
        Polygon.from_shapely(good[1]),
    ]
    embs = get_embeddings_batch(spatials=specs, temporal=YEAR, data_dir=europe_dir, on_error="skip")
    assert embs[1].data is None and "coverage" in embs[1].meta["error"]
    assert embs[2].data is None and embs[2].meta["error_type"] == "InvalidGeometryError"
    for i, g in ((0, good[0]), (3, good[1])):
        np.testing.assert_array_equal(embs[i].data, _embed(g, europe_dir).data)
    with pytest.raises(NoCoverageError, match="Item 1"):
        get_embeddings_batch(spatials=specs, temporal=YEAR, data_dir=europe_dir)


def test_polygon_grid_is_its_window(europe_dir: Path) -> None:
    geom = box(5.1, 50.1, 6.4, 50.9)
    emb = get_embedding(
        spatial=Polygon.from_shapely(geom),
        temporal=YEAR,
        data_dir=europe_dir,
        output=OutputSpec.grid(),
    )
    assert emb.data.dims == ("d", "y", "x")
    np.testing.assert_allclose(emb.data.x.values, -180 + 0.25 * np.arange(740, 747))
    np.testing.assert_allclose(emb.data.y.values, 90 - 0.25 * np.arange(156, 161))


def test_rings_wkt_and_shapely_specs_pool_alike(europe_dir: Path) -> None:
    ring = [(2.1, 47.3), (9.7, 48.05), (6.2, 53.9), (1.3, 51.2)]
    hole = [(4.0, 49.0), (5.0, 49.0), (5.0, 50.0)]
    geom = ShapelyPolygon(ring, [hole])
    specs = [
        Polygon.from_shapely(geom),
        Polygon.from_rings([[ring, hole]]),
        Polygon(wkt=shapely.to_wkt(geom, rounding_precision=-1)),
    ]
    embs = [
        get_embedding(spatial=s, temporal=YEAR, data_dir=europe_dir, output=OutputSpec.pooled())
        for s in specs
    ]
    ref, meta = reference(geom)
    np.testing.assert_allclose(embs[0].data, ref, atol=MEAN_TOL, rtol=MEAN_TOL)
    assert embs[0].meta["pixel_count"] == meta["cells"]
    for e in embs[1:]:
        np.testing.assert_array_equal(e.data, embs[0].data)
    # The hole is left out: its cells weigh less than in the polygon without it.
    full = polygon_coverage([Polygon.from_rings([[ring]])])[0]
    holed = polygon_coverage([specs[1]])[0]
    assert full.areas_m2.sum() - holed.areas_m2.sum() == pytest.approx(
        abs(GEOD.geometry_area_perimeter(shapely.segmentize(ShapelyPolygon(hole), 0.01))[0]),
        rel=1e-3,
    )


def test_polygon_coverage_takes_specs_or_geometry_objects() -> None:
    geom = box(5.1, 50.1, 6.4, 50.9)
    a, b = polygon_coverage([Polygon.from_shapely(geom), geom])
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.fractions, b.fractions)


def test_circular_span() -> None:
    assert circular_span(np.array([5, 6, 9])) == (5, 10)
    assert circular_span(np.array([0, 1, 1438, 1439])) == (1438, 1442)
    assert circular_span(np.array([700])) == (700, 701)
