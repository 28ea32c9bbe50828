"""The fast cache: equal to the snapped TorchGeo path, tied to the source file, atomic, bounded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import (
    BBox,
    CancelledError,
    OutputSpec,
    PointBuffer,
    TemporalSpec,
    cache_root,
    cache_status,
    cleanup_cache,
    clear_cache,
    get_embedding,
    get_embeddings_batch,
    prepare_cache,
)
from rs_embed_qgis.core.adapter import open_source
from rs_embed_qgis.core.grid import Window
from tests import product
from tests.conftest import EUROPE

YEAR = TemporalSpec.year(2021)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prepared(europe_dir: Path) -> Path:
    """The Europe fixture with its cache prepared."""
    prepare_cache(europe_dir / "embed_map_310k.tif")
    return europe_dir


def _windows() -> list[Window]:
    r0, r1, c0, c1 = EUROPE
    return [
        Window(r0, r0 + 3, c0, c0 + 4),
        Window(r0 + 10, r0 + 37, c0 + 5, c0 + 60),
        Window(r0 - 5, r0 + 2, c0 - 3, c0 + 2),  # partly outside the file: zeros there
        Window(r0, r1, c0, c1),  # the whole file in one read
        Window(175, 190, 715, 745),  # the checkerboard coast
    ]


def test_cache_reader_equals_torchgeo_and_file_pixels(prepared: Path) -> None:
    cache = open_source(prepared, reader="cache").reader
    tg = open_source(prepared, reader="torchgeo").reader
    assert (cache.name, tg.name) == ("cache", "torchgeo")
    r0, r1, c0, c1 = EUROPE
    for w in _windows():
        a, b = cache.read(w), tg.read(w)
        assert a.shape == (w.height, w.width, 768)
        np.testing.assert_array_equal(a, b)
        rows, cols = np.mgrid[w.row0 : w.row1, w.col0 : w.col1]
        inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
        expected = np.where(
            (product.land_mask(rows, cols) & inside)[..., None],
            product.pixel_values(rows, cols),
            0,
        )
        np.testing.assert_array_equal(a, expected.astype(np.float32))


def test_get_embedding_uses_cache_and_matches_torchgeo(prepared: Path) -> None:
    for spatial in (PointBuffer(lon=5.0, lat=50.0, buffer_m=3000), BBox(1.0, 41.0, 4.3, 44.2)):
        for output in (OutputSpec.pooled(), OutputSpec.pooled("max"), OutputSpec.grid()):
            fast = get_embedding(spatial=spatial, temporal=YEAR, data_dir=prepared, output=output)
            ref = get_embedding(
                spatial=spatial, temporal=YEAR, data_dir=prepared, output=output, reader="torchgeo"
            )
            assert fast.meta["reader"] == "cache" and ref.meta["reader"] == "torchgeo"
            a = fast.data.values if output.mode == "grid" else fast.data
            b = ref.data.values if output.mode == "grid" else ref.data
            assert np.abs(a - b).max() <= 1e-6
            assert fast.meta["bbox_4326"] == ref.meta["bbox_4326"]


def test_threaded_batch_equals_serial(prepared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    specs = [
        PointBuffer(lon=float(lon), lat=float(lat), buffer_m=float(b))
        for lon, lat, b in zip(
            rng.uniform(-9, 29, 60), rng.uniform(46.5, 54.5, 60), rng.uniform(500, 40000, 60)
        )
    ]
    monkeypatch.setenv("RS_EMBED_COPERNICUS_BATCH_WORKERS", "4")
    threaded = get_embeddings_batch(spatials=specs, temporal=YEAR, data_dir=prepared)
    serial = [get_embedding(spatial=s, temporal=YEAR, data_dir=prepared) for s in specs]
    for t, s in zip(threaded, serial):
        np.testing.assert_array_equal(t.data, s.data)
        assert t.meta["window"] == s.meta["window"]


def test_status_reports_place_and_disk_use(prepared: Path) -> None:
    st = cache_status(prepared / "embed_map_310k.tif")
    r0, r1, c0, c1 = EUROPE
    assert st["ready"] is True
    assert st["bytes"] == (r1 - r0) * (c1 - c0) * 768 * 4
    assert Path(st["folder"]).parent == cache_root()
    assert os.path.getsize(Path(st["folder"]) / "embed.f32") == st["bytes"]


def _fresh_copy(src_dir: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(src_dir / "embed_map_310k.tif", dst / "embed_map_310k.tif")
    return dst


def test_replaced_source_is_detected(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "data")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    before = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert before.meta["reader"] == "cache"
    old_folder = Path(cache_status(tif)["folder"])
    # Replace the file with one whose values differ (doubled), same name and shape.
    r0, r1, c0, c1 = EUROPE
    new = tmp_path / "new.tif"
    product.write_product(
        new, r0, r1, c0, c1, values=lambda r, c, bands=768: 2 * product.pixel_values(r, c, bands)
    )
    os.replace(new, tif)
    after = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert after.meta["reader"] == "torchgeo"  # the stale cache is not served
    np.testing.assert_allclose(after.data, 2 * before.data, rtol=1e-6)
    assert not old_folder.exists()  # and it was removed
    prepare_cache(tif)
    again = get_embedding(spatial=BBox(5.0, 50.0, 5.2, 50.2), temporal=YEAR, data_dir=data)
    assert again.meta["reader"] == "cache"
    np.testing.assert_array_equal(again.data, after.data)


def test_cancel_mid_preparation_leaves_nothing(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "data")
    tif = data / "embed_map_310k.tif"
    seen: list[float] = []

    def progress(f: float, msg: str) -> None:
        seen.append(f)

    # The Europe window has one 256x256 block; a wider file has several.
    wide = tmp_path / "wide"
    wide.mkdir()
    product.write_product(wide / "embed_map_310k.tif", 120, 130, 0, 1024)
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return len(seen) >= 2

    entries_before = set(os.listdir(cache_root())) if cache_root().exists() else set()
    with pytest.raises(CancelledError):
        prepare_cache(wide / "embed_map_310k.tif", progress=progress, cancel=cancel, workers=1)
    left = set(os.listdir(cache_root())) - entries_before
    assert left == set(), f"left behind: {left}"
    assert cache_status(wide / "embed_map_310k.tif")["ready"] is False
    assert open_source(wide, reader="auto").reader.name == "torchgeo"
    assert tif.exists()


def test_cleanup_removes_entries_of_vanished_sources(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "gone")
    tif = data / "embed_map_310k.tif"
    prepare_cache(tif)
    folder = Path(cache_status(tif)["folder"])
    assert folder.exists()
    tif.unlink()
    removed = cleanup_cache()
    assert str(folder) in removed and not folder.exists()


def test_batch_prepares_cache_and_a_new_process_reuses_it(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "auto")
    tif = data / "embed_map_310k.tif"
    clear_cache(tif)
    messages: list[str] = []
    specs = [BBox(float(x), 50.0, float(x) + 0.5, 50.5) for x in range(0, 20, 2)]
    embs = get_embeddings_batch(
        spatials=specs, temporal=YEAR, data_dir=data, progress=lambda f, m: messages.append(m)
    )
    assert any("Preparing the fast cache" in m for m in messages)
    assert {e.meta["reader"] for e in embs} == {"cache"}
    code = (
        "import sys; from rs_embed_qgis.core import *; "
        f"e = get_embedding(spatial=BBox(2.0, 50.0, 2.5, 50.5), temporal=TemporalSpec.year(2021), "
        f"data_dir={str(data)!r}); print(e.meta['reader'], float(e.data[0]), "
        "'torch' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    reader, first, torch_loaded = out.stdout.split()
    assert reader == "cache"
    assert torch_loaded == "False"  # the fast path never imports torch
    ref = get_embedding(spatial=BBox(2.0, 50.0, 2.5, 50.5), temporal=YEAR, data_dir=data)
    assert float(first) == pytest.approx(float(ref.data[0]), abs=1e-6)


def test_batch_prepare_can_be_refused(europe_dir: Path, tmp_path: Path) -> None:
    data = _fresh_copy(europe_dir, tmp_path / "never")
    specs = [BBox(float(x), 50.0, float(x) + 0.5, 50.5) for x in range(0, 20, 2)]
    embs = get_embeddings_batch(spatials=specs, temporal=YEAR, data_dir=data, prepare_cache=False)
    assert {e.meta["reader"] for e in embs} == {"torchgeo"}
    assert cache_status(data / "embed_map_310k.tif")["ready"] is False


def test_cancelled_batch_returns_nothing(prepared: Path) -> None:
    specs = [BBox(float(x) / 2, 50.0, float(x) / 2 + 0.5, 50.5) for x in range(40)]
    state = {"n": 0}

    def progress(f: float, m: str) -> None:
        state["n"] += 1

    with pytest.raises(CancelledError):
        get_embeddings_batch(
            spatials=specs,
            temporal=YEAR,
            data_dir=prepared,
            workers=1,
            progress=progress,
            cancel=lambda: state["n"] >= 1,
        )


@pytest.mark.parametrize(
    "fixture, geoms",
    [
        (
            "europe_dir",
            [
                "POLYGON ((2.1 47.3, 9.7 48.05, 6.2 53.9, 1.3 51.2, 2.1 47.3))",
                "POLYGON ((-3.33 41.1, 4.87 41.1, 4.87 46.6, -3.33 46.6, -3.33 41.1))",
                "POLYGON ((-12 45, 2 45, 2 50, -12 50, -12 45))",  # partly west of the file
            ],
        ),
        (
            "strip_dir",
            [
                "MULTIPOLYGON (((179.3 66.1, 180 66.1, 180 68.4, 179.3 68.4, 179.3 66.1)),"
                " ((-180 66.1, -179.2 66.1, -179.2 68.4, -180 68.4, -180 66.1)))",
                "POLYGON ((100 66, 170 66, 170 69, 100 69, 100 66))",
            ],
        ),
    ],
)
def test_polygon_pooling_same_through_cache_and_torchgeo(
    fixture: str, geoms: list[str], request: pytest.FixtureRequest
) -> None:
    from rs_embed_qgis.core import Polygon

    data = request.getfixturevalue(fixture)
    prepare_cache(data / "embed_map_310k.tif")
    for wkt in geoms:
        for pooling in ("mean", "max"):
            kw = {"spatial": Polygon(wkt=wkt), "temporal": YEAR, "data_dir": data}
            fast = get_embedding(**kw, output=OutputSpec.pooled(pooling))
            ref = get_embedding(**kw, output=OutputSpec.pooled(pooling), reader="torchgeo")
            assert fast.meta["reader"] == "cache"
            np.testing.assert_allclose(fast.data, ref.data, rtol=1e-6, atol=1e-6)
            assert fast.meta["valid_pixels"] == ref.meta["valid_pixels"]
