"""core/explore.py against values computed here from the fixture's pixels (no QGIS)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import explore as ex
from rs_embed_qgis.core.adapter import open_source
from rs_embed_qgis.core.errors import (
    CancelledError,
    DependencyError,
    NoCoverageError,
    RequestTooLargeError,
    SpecError,
)
from rs_embed_qgis.core.grid import Window, cell_areas_m2
from rs_embed_qgis.core.specs import BBox, Polygon
from tests import product
from tests.conftest import EUROPE

WIN = Window(*EUROPE)  # the europe_dir file: rows 120..200, cols 680..840


def lonlat(row: int, col: int) -> tuple[float, float]:
    """Pixel centre of a global pixel."""
    return -180.0 + 0.25 * col, 90.0 - 0.25 * row


def grid_values(win: Window = WIN) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 768) vectors and (H, W) land mask of a window, from the generator."""
    rr, cc = np.meshgrid(
        np.arange(win.row0, win.row1), np.arange(win.col0, win.col1), indexing="ij"
    )
    land = product.land_mask(rr, cc)
    vals = product.pixel_values(rr, cc).astype(np.float64)
    vals[~land] = 0.0
    return vals, land


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of each vector of a (..., d) against b (d,), in float64."""
    return (a @ b) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b))


@pytest.fixture(scope="module")
def reader(europe_dir: Path):
    return open_source(str(europe_dir), download=False, reader="gdal").reader


@pytest.fixture(scope="module")
def truth():
    return grid_values()


# --------------------------------------------------------------------------- similarity


def test_pixel_is_fully_similar_to_itself_and_map_is_cosine(reader, truth) -> None:
    vals, land = truth
    r, c = 160, 760
    sim = ex.similarity_map(reader, [lonlat(r, c)])
    assert sim.window == WIN
    assert sim.scores.dtype == np.float32
    assert sim.scores[r - WIN.row0, c - WIN.col0] == pytest.approx(1.0, abs=1e-6)
    assert np.array_equal(np.isnan(sim.scores), ~land)
    expect = cosine(vals[land], vals[r - WIN.row0, c - WIN.col0])
    np.testing.assert_allclose(sim.scores[land], expect, atol=2e-6)
    assert sim.valid_pixels == int(land.sum())


def test_similarity_is_symmetric(reader) -> None:
    a, b = (150, 700), (130, 820)
    s_ab = ex.similarity_map(reader, [lonlat(*a)])
    s_ba = ex.similarity_map(reader, [lonlat(*b)])
    v_ab = s_ab.scores[b[0] - WIN.row0, b[1] - WIN.col0]
    v_ba = s_ba.scores[a[0] - WIN.row0, a[1] - WIN.col0]
    assert v_ab == pytest.approx(v_ba, abs=1e-6)
    assert v_ab < 0.999


def test_euclidean_is_minus_the_distance(reader, truth) -> None:
    vals, land = truth
    r, c = 145, 700
    sim = ex.similarity_map(reader, [lonlat(r, c)], metric="euclidean")
    ref = vals[r - WIN.row0, c - WIN.col0]
    expect = -np.linalg.norm(vals[land] - ref, axis=1)
    np.testing.assert_allclose(sim.scores[land], expect, rtol=1e-4, atol=1e-3)
    assert sim.scores[r - WIN.row0, c - WIN.col0] == pytest.approx(0.0, abs=2e-3)
    assert np.nanmax(sim.scores) <= 0.0


def test_combine_mean_medoid_and_max(reader, truth) -> None:
    vals, land = truth
    pix = [(150, 700), (130, 820), (170, 760)]
    refs = np.array([vals[r - WIN.row0, c - WIN.col0] for r, c in pix])
    pts = [lonlat(*p) for p in pix]
    mean = ex.similarity_map(reader, pts, combine="mean")
    np.testing.assert_allclose(mean.scores[land], cosine(vals[land], refs.mean(0)), atol=2e-6)
    mx = ex.similarity_map(reader, pts, combine="max")
    each = np.stack([cosine(vals[land], v) for v in refs])
    np.testing.assert_allclose(mx.scores[land], each.max(0), atol=2e-6)
    # The medoid: the reference with the largest summed cosine to all references.
    unit = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    best = int(np.argmax((unit @ unit.T).sum(1)))
    med = ex.similarity_map(reader, pts, combine="medoid")
    np.testing.assert_allclose(med.scores[land], cosine(vals[land], refs[best]), atol=2e-6)
    r, c = pix[best]
    assert med.scores[r - WIN.row0, c - WIN.col0] == pytest.approx(1.0, abs=1e-6)


def test_box_and_polygon_references_are_exact_area_weighted_means(reader, truth) -> None:
    vals, land = truth
    # A box on pixel edges: rows 150..154, cols 700..705 (every cell whole, all land).
    rows, cols = np.arange(150, 154), np.arange(700, 705)
    box = (-180.125 + 0.25 * 700, 90.125 - 0.25 * 154, -180.125 + 0.25 * 705, 90.125 - 0.25 * 150)
    w = np.repeat(cell_areas_m2(rows), cols.size)
    cells = vals[
        rows[0] - WIN.row0 : rows[-1] + 1 - WIN.row0, cols[0] - WIN.col0 : cols[-1] + 1 - WIN.col0
    ]
    ref = (w[:, None] * cells.reshape(-1, 768)).sum(0) / w.sum()
    for spec in (BBox(*box), Polygon(wkt=_box_wkt(box))):
        sim = ex.similarity_map(reader, [spec])
        np.testing.assert_allclose(sim.scores[land], cosine(vals[land], ref), atol=2e-6)


def _box_wkt(b: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = b
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def test_scope_and_streaming_in_small_blocks_give_the_same_map(reader) -> None:
    full = ex.similarity_map(reader, [lonlat(160, 760)])
    # Tiny blocks: many tile-aligned pieces (GDAL reader), bounded memory.
    small = ex.similarity_map(reader, [lonlat(160, 760)], block_bytes=40 * 768 * 4 * 7)
    np.testing.assert_array_equal(np.isnan(full.scores), np.isnan(small.scores))
    np.testing.assert_allclose(full.scores, small.scores, atol=1e-6)
    # A scope inside the file: the same pixels, cut out.
    scope = (0.0, 45.0, 10.0, 50.0)
    part = ex.similarity_map(reader, [lonlat(160, 760)], scope)
    w = part.window
    assert part.bounds[0] <= 0.0 and part.bounds[2] >= 10.0
    np.testing.assert_allclose(
        part.scores,
        full.scores[w.row0 - WIN.row0 : w.row1 - WIN.row0, w.col0 - WIN.col0 : w.col1 - WIN.col0],
        atol=1e-7,
    )


def test_blocks_cover_the_window_once(reader) -> None:
    win = Window(120, 200, 680, 840)
    for nbytes in (10 * 768 * 4, 300 * 768 * 4, 10**9):
        seen = np.zeros(win.shape, dtype=int)
        for b in ex.blocks(win, reader, nbytes):
            seen[b.row0 - 120 : b.row1 - 120, b.col0 - 680 : b.col1 - 680] += 1
        assert (seen == 1).all()


def test_progress_and_cancel(reader) -> None:
    calls: list[float] = []
    ex.similarity_map(
        reader, [lonlat(160, 760)], progress=lambda f, m: calls.append(f), block_bytes=2**20
    )
    assert calls and calls[-1] == pytest.approx(1.0)
    assert calls == sorted(calls)
    n = {"k": 0}

    def cancel() -> bool:
        n["k"] += 1
        return n["k"] > 3

    with pytest.raises(CancelledError):
        ex.similarity_map(reader, [lonlat(160, 760)], cancel=cancel, block_bytes=2**20)
    with pytest.raises(CancelledError):
        ex.cluster(reader, k=3, cancel=cancel, block_bytes=2**20)


def test_clear_errors(reader) -> None:
    with pytest.raises(SpecError, match="No reference"):
        ex.similarity_map(reader, [])
    # Pixel 190, 700 (lat 42.5, lon -5) is ocean beside the coast checkerboard.
    with pytest.raises(NoCoverageError, match="Reference 2 of 2"):
        ex.similarity_map(reader, [lonlat(160, 760), lonlat(190, 700)])
    with pytest.raises(NoCoverageError, match="outside the product"):
        ex.similarity_map(reader, [lonlat(160, 760)], (100.0, -10.0, 110.0, 0.0))
    with pytest.raises(NoCoverageError, match="no land pixel"):
        ex.similarity_map(reader, [lonlat(160, 760)], (-9.0, 40.5, -1.0, 44.0))
    with pytest.raises(RequestTooLargeError):
        ex.similarity_map(reader, [lonlat(160, 760)], max_bytes=10_000)
    with pytest.raises(SpecError, match="metric"):
        ex.similarity_map(reader, [lonlat(160, 760)], metric="manhattan")
    with pytest.raises(SpecError, match="combine"):
        ex.similarity_map(reader, [lonlat(160, 760)], combine="median")
    with pytest.raises(SpecError, match="k = 5000"):
        ex.cluster(reader, (0.0, 42.0, 1.0, 43.0), k=5000)


# --------------------------------------------------------------------------- places


def brute_places(scores: np.ndarray, win: Window, k: int, km: float) -> list[tuple[int, int]]:
    """Greedy NMS, one candidate at a time (the definition)."""
    flat = scores.ravel()
    idx = [
        i
        for i in np.argsort(-np.nan_to_num(flat, nan=-np.inf), kind="stable")
        if not np.isnan(flat[i])
    ]
    out: list[tuple[int, int]] = []
    for i in idx:
        r, c = win.row0 + i // win.width, win.col0 + i % win.width
        lon, lat = lonlat(r, c)
        ok = True
        for rr, cc in out:
            lo2, la2 = lonlat(rr, cc)
            p1, p2 = math.radians(lat), math.radians(la2)
            a = (
                math.sin((p2 - p1) / 2) ** 2
                + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lo2 - lon) / 2) ** 2
            )
            if 2 * 6371.0088 * math.asin(math.sqrt(a)) < km:
                ok = False
                break
        if ok:
            out.append((r, c))
            if len(out) == k:
                break
    return out


def test_places_like_this(reader, truth) -> None:
    vals, _land = truth
    places = ex.similar_places(reader, [lonlat(160, 760)], k=12, min_distance_km=150.0)
    assert len(places) == 12
    assert [p.rank for p in places] == list(range(1, 13))
    assert (places[0].row, places[0].col) == (160, 760)
    assert places[0].score == pytest.approx(1.0, abs=1e-6)
    ref = vals[160 - WIN.row0, 760 - WIN.col0]
    for p in places:  # exact scores
        v = vals[p.row - WIN.row0, p.col - WIN.col0]
        assert p.score == pytest.approx(float(cosine(v[None], ref)[0]), abs=2e-6)
        assert (p.lon, p.lat) == lonlat(p.row, p.col)
    assert [p.score for p in places] == sorted((p.score for p in places), reverse=True)
    for i, a in enumerate(places):
        for b in places[:i]:
            assert ex.great_circle_km(a.lon, a.lat, b.lon, b.lat) >= 150.0
    sim = ex.similarity_map(reader, [lonlat(160, 760)])
    assert [(p.row, p.col) for p in places] == brute_places(sim.scores, WIN, 12, 150.0)
    # Without spacing: simply the best pixels.
    top = ex.top_places(sim, 5, 0.0)
    best = np.sort(sim.scores[~np.isnan(sim.scores)])[::-1][:5]
    np.testing.assert_allclose([p.score for p in top], best)


def test_great_circle_km() -> None:
    # A quarter of a meridian.
    assert ex.great_circle_km(0, 0, 0, 90) == pytest.approx(math.pi / 2 * 6371.0088)
    assert ex.great_circle_km(179.75, 10, -179.75, 10) == pytest.approx(
        ex.great_circle_km(0, 10, 0.5, 10)
    )


# --------------------------------------------------------------------------- k-means


def plain_lloyd(x: np.ndarray, k: int, seed: int, iters: int = 100) -> float:
    """Textbook k-means: random distinct initial points, Lloyd iterations; its inertia."""
    rng = np.random.default_rng(seed)
    c = x[rng.choice(len(x), k, replace=False)].copy()
    for _ in range(iters):
        d = ((x[:, None, :] - c[None]) ** 2).sum(-1)
        lab = d.argmin(1)
        new = np.array([x[lab == j].mean(0) if (lab == j).any() else c[j] for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    d = ((x[:, None, :] - c[None]) ** 2).sum(-1)
    return float(d.min(1).sum())


def test_kmeans_assigns_each_pixel_to_its_nearest_centroid(reader, truth) -> None:
    vals, land = truth
    res = ex.cluster(reader, k=5, seed=3)
    assert res.labels.dtype == np.int16 and res.labels.shape == WIN.shape
    assert np.array_equal(res.labels < 0, ~land)
    x = vals[land]
    d = ((x[:, None, :] - res.centroids[None].astype(np.float64)) ** 2).sum(-1)
    nearest = d.argmin(1)
    lab = res.labels[land]
    # Ties aside (none expected), each pixel carries its nearest centroid.
    assert (lab == nearest).mean() == 1.0
    assert res.inertia == pytest.approx(float(d.min(1).sum()), rel=1e-5)
    np.testing.assert_array_equal(res.sizes, np.bincount(lab, minlength=5))
    assert res.sizes.sum() == land.sum()
    # Centroids are the means of their pixels (Lloyd's fixed point).
    for j in range(5):
        np.testing.assert_allclose(res.centroids[j], x[lab == j].mean(0), rtol=1e-4, atol=1e-4)
    again = ex.cluster(reader, k=5, seed=3)
    np.testing.assert_array_equal(again.labels, res.labels)
    np.testing.assert_array_equal(again.centroids, res.centroids)


def test_kmeans_inertia_no_worse_than_plain_lloyd(reader, truth) -> None:
    vals, land = truth
    x = vals[land][::4]
    ours = ex.kmeans_fit(x.astype(np.float32), 6, seed=0)[2]
    plain = min(plain_lloyd(x, 6, seed) for seed in range(3))
    assert ours <= plain * (1 + 1e-6)


def test_kmeans_on_a_sample_still_labels_every_pixel(reader, truth) -> None:
    vals, land = truth
    res = ex.cluster(reader, k=4, seed=1, fit_pixels=500, block_bytes=2**20)
    assert res.fit_pixels < land.sum()
    x = vals[land]
    d = ((x[:, None, :] - res.centroids[None].astype(np.float64)) ** 2).sum(-1)
    assert (res.labels[land] == d.argmin(1)).all()
    assert res.inertia == pytest.approx(float(d.min(1).sum()), rel=1e-5)
    assert res.sizes.sum() == land.sum()


def test_kmeans_reports_progress_while_it_iterates(reader) -> None:
    """Found in a real window: the bar sat at 70 % for the whole k-means fit."""
    seen: list[tuple[float, str]] = []
    ex.cluster(reader, k=4, seed=1, progress=lambda f, m: seen.append((f, m)))
    fit = [f for f, m in seen if m.startswith("k-means with k=4: run")]
    assert len(fit) >= 3 and all(0.7 <= f < 0.8 for f in fit)
    assert fit == sorted(fit) and len(set(fit)) == len(fit)  # forward, step by step


def test_kmeans_auto_k_by_silhouette(reader) -> None:
    res = ex.cluster(reader, (0.0, 46.0, 10.0, 55.0), k=0, k_range=(2, 5))
    assert set(res.silhouettes) == {2, 3, 4, 5}
    assert res.k == max(res.silhouettes, key=res.silhouettes.get)
    # The k chosen is the k delivered: k labels in use over the land, k sizes, k centroids.
    assert sorted(set(np.unique(res.labels)) - {-1}) == list(range(res.k))
    assert len(res.sizes) == res.k and res.centroids.shape == (res.k, 768)
    assert all(-1.0 <= v <= 1.0 for v in res.silhouettes.values())
    assert len(set(res.silhouettes.values())) == 4  # four fits scored, not one copied


def test_silhouette_matches_definition() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, (30, 4)), rng.normal(5, 1, (20, 4))]).astype(np.float32)
    lab = np.array([0] * 30 + [1] * 20)
    lab[0] = 1
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1).astype(np.float64))
    s = []
    for i in range(len(x)):
        own = lab == lab[i]
        a = d[i, own].sum() / (own.sum() - 1)
        b = d[i, ~own].mean()
        s.append((b - a) / max(a, b))
    assert ex.silhouette(x, lab) == pytest.approx(np.mean(s), abs=1e-4)


# --------------------------------------------------------------------------- classification


def region_points(rows: range, cols: range, step: int = 3) -> list[tuple[float, float]]:
    return [lonlat(r, c) for r in rows[::step] for c in cols[::step]]


# Three regions of land: the "Eurasia" belt (north-east), western Europe, eastern Europe.
REGIONS = {
    "belt": (range(120, 140), range(805, 840)),
    "west": (range(145, 175), range(680, 715)),
    "east": (range(145, 175), range(800, 840)),
}


def training_samples() -> list:
    out = []
    for name, (rows, cols) in REGIONS.items():
        out += [(p, name) for p in region_points(rows, cols)]
    return out


# Expected cross-validated accuracy and share of each region's pixels classed right: the
# linear model separates the regions; the cosine centroids confuse the south of the belt
# with the east (their fields are alike there).
@pytest.mark.parametrize(
    ("classifier", "accuracy", "region"),
    [("nearest_centroid", 0.9, 0.85), ("logistic", 0.99, 0.99)],
)
def test_classification_reaches_expected_accuracy(reader, classifier, accuracy, region) -> None:
    samples = training_samples()
    res = ex.classify(reader, samples, classifier=classifier, folds=4, seed=0)
    assert res.classes == ["belt", "east", "west"]
    assert res.cv is not None
    cm = res.cv.confusion
    assert cm.shape == (3, 3)
    assert cm.sum() == len(samples) == res.n_training
    for j, name in enumerate(res.classes):  # row sums = training pixels of each class
        assert cm[j].sum() == sum(1 for _, lab in samples if lab == name)
    assert res.cv.accuracy == pytest.approx(np.trace(cm) / cm.sum())
    assert res.cv.accuracy >= accuracy
    assert res.cv.by == "feature"
    # The pixels of each region (training or not) get its class.
    for name, (rows, cols) in REGIONS.items():
        j = res.classes.index(name)
        block = res.labels[
            rows.start - WIN.row0 : rows.stop - WIN.row0,
            cols.start - WIN.col0 : cols.stop - WIN.col0,
        ]
        assert (block == j).mean() >= region
    assert np.array_equal(np.isnan(res.confidence), res.labels < 0)
    conf = res.confidence[res.labels >= 0]
    assert conf.min() >= 0.0 and conf.max() <= 1.0


def test_polygon_training_uses_exact_area_weights(reader) -> None:
    box = (-180.125 + 0.25 * 700, 90.125 - 0.25 * 154, -180.125 + 0.25 * 705, 90.125 - 0.25 * 150)
    ts = ex.training_set(
        reader, [(Polygon(wkt=_box_wkt(box)), 1), (lonlat(130, 820), 2), (lonlat(131, 821), 2)]
    )
    assert ts.classes == [1, 2]
    assert (ts.y == 0).sum() == 20
    np.testing.assert_allclose(
        ts.weights[ts.y == 0], np.repeat(cell_areas_m2(np.arange(150, 154)), 5) / 1e6
    )
    np.testing.assert_array_equal(ts.weights[ts.y == 1], [1.0, 1.0])


def test_classification_errors(reader) -> None:
    with pytest.raises(SpecError, match="only one training pixel"):
        ex.classify(
            reader, [(lonlat(160, 760), "a"), (lonlat(161, 760), "a"), (lonlat(130, 820), "b")]
        )
    with pytest.raises(SpecError, match="two classes"):
        ex.classify(reader, [(lonlat(160, 760), "a"), (lonlat(161, 760), "a")])
    with pytest.raises(NoCoverageError, match="ocean"):
        ex.classify(reader, [(lonlat(190, 700), "a"), (lonlat(191, 700), "b")])
    with pytest.raises(SpecError, match="classifier"):
        ex.classify(reader, training_samples(), classifier="svm")
    if not ex.sklearn_available():
        with pytest.raises(DependencyError, match="scikit-learn"):
            ex.classify(reader, training_samples(), classifier="random_forest")


def test_logistic_regression_is_deterministic_and_separates() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (50, 8)), rng.normal(3, 1, (50, 8))])
    y = np.array([0] * 50 + [1] * 50)
    a = ex.LogisticRegression().fit(x, y).predict_proba(x)
    b = ex.LogisticRegression().fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.sum(1), 1.0)
    # The folded standardisation equals the textbook one.
    m = ex.LogisticRegression().fit(x, y)
    z = (x - m.mu) / m.sd
    logits = z @ m.W.astype(np.float64) + m.b
    e = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(m.predict_proba(x), e / e.sum(1, keepdims=True), atol=1e-5)
    assert (a.argmax(1) == y).mean() >= 0.95


# --------------------------------------------------------------------------- cache reader


def test_cache_reader_rows_and_antimeridian_scope(strip_dir: Path, tmp_path: Path) -> None:
    """The global-width cache is read row by row into one buffer; a scope across 180 wraps."""
    from rs_embed_qgis.core.cache import prepare_cache

    prepare_cache(strip_dir / "embed_map_310k.tif")
    cached = open_source(str(strip_dir), download=False, reader="cache").reader
    direct = open_source(str(strip_dir), download=False, reader="gdal").reader
    assert cached.name == "cache"
    ref = [lonlat(85, 10)]  # lat 68.75, lon 177.5: the "Eurasia" belt east of the antimeridian
    scope = (170.0, 66.0, 190.0, 70.0)  # across the antimeridian
    a = ex.similarity_map(cached, ref, scope, block_bytes=3 * 1440 * 768 * 4)
    b = ex.similarity_map(direct, ref, scope)
    assert a.window == b.window and a.window.col1 > 1440
    np.testing.assert_array_equal(np.isnan(a.scores), np.isnan(b.scores))
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-6)
    w = a.window
    rr, cc = np.meshgrid(np.arange(w.row0, w.row1), np.arange(w.col0, w.col1) % 1440, indexing="ij")
    land = product.land_mask(rr, cc)
    vals = product.pixel_values(rr, cc).astype(np.float64)
    refv = product.pixel_values(np.array(85), np.array(10)).astype(np.float64)
    assert np.array_equal(~np.isnan(a.scores), land)
    np.testing.assert_allclose(a.scores[land], cosine(vals[land], refv), atol=2e-6)
    # k-means through the reused buffer: each pixel with its nearest centroid.
    res = ex.cluster(cached, scope, k=3, block_bytes=3 * 1440 * 768 * 4, fit_pixels=200)
    d = ((vals[land][:, None, :] - res.centroids[None].astype(np.float64)) ** 2).sum(-1)
    assert (res.labels[land] == d.argmin(1)).all()


# --------------------------------------------------------------------------- areas


def components(mask: np.ndarray) -> list[list[tuple[int, int]]]:
    """4-connected groups of True pixels (flood fill)."""
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    for r0, c0 in zip(*np.nonzero(mask), strict=True):
        if seen[r0, c0]:
            continue
        stack, group = [(r0, c0)], []
        seen[r0, c0] = True
        while stack:
            r, c = stack.pop()
            group.append((r, c))
            for rr, cc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                inside = 0 <= rr < mask.shape[0] and 0 <= cc < mask.shape[1]
                if inside and mask[rr, cc] and not seen[rr, cc]:
                    seen[rr, cc] = True
                    stack.append((rr, cc))
        out.append(group)
    return out


def test_threshold_areas_are_exact_ellipsoidal_pixel_areas(reader) -> None:
    # A reference on the coast checkerboard: its 2 x 2 squares touch only at corners, so
    # each is an area of its own (4-connected, as GDAL polygonizes by default).
    sim = ex.similarity_map(reader, [lonlat(180, 720)])
    mask = np.nan_to_num(sim.scores, nan=-2.0) >= 0.98
    groups = components(mask)
    assert len(groups) >= 5
    areas = ex.threshold_areas(sim, 0.98)
    assert len(areas) == len(groups)
    expect = sorted(
        (sum(cell_areas_m2(np.array([WIN.row0 + r]))[0] for r, _c in g) / 1e6, len(g))
        for g in groups
    )
    got = sorted((a.area_km2, a.pixels) for a in areas)
    for (ea, en), (ga, gn) in zip(expect, got, strict=True):
        assert ga == pytest.approx(ea, rel=1e-9)
        assert gn == en
    assert [a.area_km2 for a in areas] == sorted((a.area_km2 for a in areas), reverse=True)
    assert ex.threshold_areas(sim, 1.5) == []


# --------------------------------------------------------------------------- search index


def test_search_index_bounds_and_exact_places(reader, truth, tmp_path, monkeypatch) -> None:
    from rs_embed_qgis.core import cache_paths
    from rs_embed_qgis.core import index as ix

    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path))  # the index: out of the way

    vals, land = truth
    idx = ix.build_index(reader, n_components=16)
    assert idx.proj.dtype == np.float16 and idx.proj.shape == (*WIN.shape, 16)
    np.testing.assert_allclose(idx.norms[land], np.linalg.norm(vals[land], axis=1), rtol=1e-6)
    assert (idx.norms[~land] == 0).all()
    refs = np.array([vals[40, 80], vals[30, 20]], dtype=np.float32)
    approx, bound = idx.cosine_bounds(refs, WIN)
    exact = np.stack([cosine(vals[land], r.astype(np.float64)) for r in refs]).max(0)
    assert np.array_equal(np.isnan(approx), ~land)
    assert (np.abs(approx[land] - exact) <= bound[land] + 1e-7).all()
    assert np.nanmax(bound) < 0.05  # 16 of 768 components: still a tight bound here
    # Places from the index are the exhaustive ones, with exact scores.
    sim = ex.similarity_map(reader, refs, combine="max")
    want = ex.top_places(sim, 10, 120.0)
    got, n_cand = ix.similar_places_indexed(reader, idx, refs, WIN, 10, 120.0)
    assert [(p.row, p.col) for p in got] == [(p.row, p.col) for p in want]
    np.testing.assert_allclose([p.score for p in got], [p.score for p in want], atol=1e-6)
    assert n_cand < land.sum()
    via = ex.similar_places(reader, refs, k=10, min_distance_km=120.0, combine="max", index=idx)
    assert [(p.row, p.col) for p in via] == [(p.row, p.col) for p in want]
    # A similarity map from the index: approximate, each score within the stated bound.
    fast = ex.similarity_map(reader, refs, combine="max", index=idx)
    assert fast.approximate and 0 < fast.max_error == pytest.approx(float(np.nanmax(bound)))
    assert np.array_equal(np.isnan(fast.scores), ~land) and fast.valid_pixels == land.sum()
    assert (np.abs(fast.scores[land] - exact) <= fast.max_error + 1e-7).all()
    assert np.nanmax(fast.scores) <= 1.0 and np.nanmin(fast.scores) >= -1.0  # a cosine's range
    assert not sim.approximate and sim.max_error == 0
    # Euclidean has no index: exact scores even when an index is given.
    euc = ex.similarity_map(reader, refs[:1], metric="euclidean", index=idx)
    assert not euc.approximate
    np.testing.assert_allclose(
        euc.scores[land],
        -np.linalg.norm(vals[land] - refs[0].astype(np.float64), axis=1),
        rtol=1e-5,
    )
    # Saved and loaded (memory-mapped); a changed file makes it stale.
    info = reader.info
    assert ix.save_index(idx, info).parent.parent == tmp_path
    back = ix.load_index(info)
    assert back is not None and back.window == idx.window
    np.testing.assert_array_equal(np.asarray(back.proj), idx.proj)
    stale = type(info)(**{**info.__dict__, "mtime_ns": info.mtime_ns + 1})
    assert ix.load_index(stale) is None
    # "Remove cache" (clear_cache) takes the product's search index with it, nothing else.
    from rs_embed_qgis.core.cache import clear_cache

    other = tmp_path / "search_index" / "not_an_index"
    other.mkdir()
    (other / "keep.txt").write_text("user data")
    clear_cache(info.path)
    assert not ix.index_dir(info).exists() and (other / "keep.txt").exists()


def test_training_samples_without_any_class_say_so(reader) -> None:
    with pytest.raises(SpecError, match="all 2 labels are None") as info:
        ex.training_set(reader, [(lonlat(160, 760), None), (lonlat(130, 820), None)])
    assert "ocean" not in str(info.value)
