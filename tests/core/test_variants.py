"""The plugin on every layout of the product (tests/variants.py) against independent reads.

For each variant: a pooled mean and max of a bbox, a grid, a polygon's exact area-weighted
mean and max, and a similarity map (Explore) equal what GDAL's ``ReadAsArray`` of the file,
pooled with NumPy in the test, gives; through ``reader="auto"`` without a cache, with a cache
prepared in this process, and (for a few variants) with a cache prepared here and used, not
rebuilt and not deleted, by a new process; and a flipped byte in the cache is still caught.

Run as ``python -m tests.core.test_variants OUT.npz NAME DIR [NAME DIR ...]`` it is the
new process: it writes what the plugin returns for each variant into OUT.npz.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rs_embed_qgis.core import (
    BBox,
    OutputSpec,
    Polygon,
    TemporalSpec,
    cache_status,
    get_embedding,
    open_source,
    prepare_cache,
)
from rs_embed_qgis.core import cache as cache_mod
from rs_embed_qgis.core.errors import CacheError
from rs_embed_qgis.core.explore import similarity_map
from rs_embed_qgis.core.grid import Window
from tests import variants as va

ROOT = Path(__file__).resolve().parents[2]
MEAN_TOL = 1e-5  # float32 sums; the polygon's coverage fractions agree with OGR's to ~1e-6
COSINE_TOL = 1e-5  # float32 dot products against float64 ones


# --------------------------------------------------------------------------- the plugin side


def plugin_results(name: str, data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """What the plugin returns for a variant's queries through ``reader="auto"``."""

    place = va.BY_NAME[name].place
    year = TemporalSpec.year(2021)
    out: dict[str, Any] = {"readers": set(), "warnings": []}

    def embed(spatial: Any, output: Any, **kw: Any) -> Any:
        emb = get_embedding(spatial=spatial, temporal=year, data_dir=data_dir, output=output, **kw)
        out["readers"].add(emb.meta["reader"])
        out["warnings"] += emb.meta.get("warnings", [])
        return emb

    for pooling in ("mean", "max"):
        emb = embed(BBox(*place.bbox), OutputSpec.pooled(pooling))
        out[f"bbox_{pooling}"] = emb.data
        out["bbox_valid_pixels"] = emb.meta["valid_pixels"]
    emb = embed(Polygon(wkt=place.polygon), OutputSpec.pooled("mean"))
    out["polygon_mean"] = emb.data
    out["polygon_valid_pixels"] = emb.meta["valid_pixels"]
    emb = embed(BBox(*place.grid_bbox), OutputSpec.grid(), grid_format="numpy")
    out["grid"] = np.moveaxis(emb.data, 0, -1)
    source = open_source(data_dir, reader="auto")
    # The reference as a user gives it: a point (the centre of the land pixel ``ref``).
    lon, lat = -180.0 + 0.25 * place.ref[1], 90.0 - 0.25 * place.ref[0]
    sim = similarity_map(source.reader, [(lon, lat)])
    out["similarity"] = sim.scores
    out["similarity_window"] = np.array(
        [sim.window.row0, sim.window.row1, sim.window.col0, sim.window.col1]
    )
    out["readers"].add(source.reader.name)
    return out


def check(name: str, path: Path, got: dict[str, Any]) -> None:
    """Assert that the plugin's results equal the independent read of the file."""
    place = va.BY_NAME[name].place
    pixels = va.pixels_of(path)
    box = va.bbox_expected(pixels, place, place.bbox)
    np.testing.assert_allclose(got["bbox_mean"], box["mean"], rtol=MEAN_TOL, atol=MEAN_TOL)
    np.testing.assert_array_equal(got["bbox_max"], box["max"])
    assert int(got["bbox_valid_pixels"]) == box["valid_pixels"]
    poly = va.polygon_expected(pixels, place, place.polygon)
    np.testing.assert_allclose(got["polygon_mean"], poly["mean"], rtol=MEAN_TOL, atol=MEAN_TOL)
    assert int(got["polygon_valid_pixels"]) == poly["valid_pixels"]
    grid = va.bbox_expected(pixels, place, place.grid_bbox)["grid"]
    np.testing.assert_array_equal(got["grid"], grid)  # -0.0 and +0.0 ocean compare equal
    _, cos = va.similarity_expected(pixels, place)
    assert tuple(int(v) for v in got["similarity_window"]) == place.window
    sim = got["similarity"]
    np.testing.assert_array_equal(np.isnan(sim), np.isnan(cos))
    np.testing.assert_allclose(sim, cos, rtol=0, atol=COSINE_TOL)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Data directories of the variants, written on first use."""
    return {}


def variant_dir(written: dict[str, Path], factory: pytest.TempPathFactory, name: str) -> Path:
    """The data directory of a variant (written once per module)."""
    if name not in written:
        written[name] = factory.mktemp(f"variant_{name}")
        va.write_variant(va.BY_NAME[name], written[name])
    return written[name]


@pytest.fixture(params=va.VARIANTS, ids=lambda v: v.id)
def variant_data(
    request: pytest.FixtureRequest,
    written: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Path]:
    """(variant name, data directory holding its file)."""
    name = request.param.name
    return name, variant_dir(written, tmp_path_factory, name)


def _manifest(tif: Path) -> dict[str, Any]:

    return json.loads((Path(cache_status(tif)["folder"]) / "manifest.json").read_text())


def _flip_land_byte(tif: Path, name: str) -> tuple[int, int]:
    """Flip a byte of the reference pixel (land) in the cache file; (file row, col) flipped."""

    place = va.BY_NAME[name].place
    fr, fc = place.ref[0] - place.rows[0], place.ref[1] - place.cols[0]
    width = place.cols[1] - place.cols[0]
    f32 = Path(cache_status(tif)["folder"]) / "embed.f32"
    with open(f32, "r+b") as fh:
        fh.seek((fr * width + fc) * 768 * 4 + 123)
        b = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([b[0] ^ 0x10]))
    return fr, fc


# --------------------------------------------------------------------------- tests


def test_variant_file_has_its_layout(variant_data: tuple[str, Path]) -> None:
    """Each file is written in the layout it stands for (no axis silently lost)."""
    name, data = variant_data
    variant = va.BY_NAME[name]
    assert va.layout_of(data / va.PRODUCT_NAME) == variant.expect()
    pixels = va.pixels_of(data / va.PRODUCT_NAME)
    ocean = ~va.valid(pixels)
    assert ocean.any() and va.valid(pixels).any()
    assert np.signbit(pixels[ocean]).all() == bool(np.signbit(variant.ocean))


def test_variant_results_equal_the_file_without_cache(variant_data: tuple[str, Path]) -> None:

    name, data = variant_data
    tif = data / va.PRODUCT_NAME
    assert cache_status(tif)["ready"] is False
    got = plugin_results(name, data)
    assert got["readers"] == {"gdal"}
    # A layout the reader does not decode itself (zstd, lzw) goes through GDAL's ReadRaster,
    # and the results say so, with its cost; a layout it decodes says nothing.
    slow = va.BY_NAME[name].expect()["compression"] not in ("DEFLATE", "NONE")
    if slow:
        assert set(got["warnings"]) == {
            f"This file's layout (compression {va.BY_NAME[name].expect()['compression']}) is "
            f"read through GDAL, about 4 times slower than the fast path: {tif.resolve()}."
        }
    else:
        assert not got["warnings"]
    check(name, tif, got)


def test_variant_results_equal_the_file_with_cache(
    variant_data: tuple[str, Path], tmp_path: Path
) -> None:
    """Served by a prepared cache (never rebuilt, never deleted); damage is still caught."""

    name, src = variant_data
    data = va.copy_variant(src, tmp_path / name)
    tif = data / va.PRODUCT_NAME
    prepare_cache(tif)
    before = _manifest(tif)
    cache_mod.close_cached_readers()  # every segment checked again, as in a new process
    got = plugin_results(name, data)
    assert got["readers"] == {"cache"} and not got["warnings"]
    check(name, tif, got)
    assert cache_status(tif)["ready"] is True and _manifest(tif) == before
    # A flipped byte of a land pixel: a CacheError, the entry removed, reads from the file.
    fr, _ = _flip_land_byte(tif, name)
    cache_mod.close_cached_readers()
    place = va.BY_NAME[name].place
    with pytest.raises(CacheError, match="damaged"):
        open_source(data, reader="cache").reader.read(Window(*place.window))
    assert not Path(cache_status(tif)["folder"]).exists()
    reader = open_source(data, reader="auto").reader
    assert reader.name == "gdal"
    row = place.rows[0] + fr
    np.testing.assert_array_equal(
        reader.read(Window(row, row + 1, *place.cols))[0],
        va.pixels_of(tif)[fr],
    )


# Variants whose cache a new process uses: the likely real layout, a full-width strip file
# and a COG, each with -0.0 ocean (issue 16's cache that deleted itself in the next process).
NEXT_PROCESS = ["likely_real", "strips_none_bigtiff", "cog_overviews"]


def test_cache_prepared_here_is_used_by_a_new_process(
    written: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:

    dirs = {}
    before = {}
    for name in NEXT_PROCESS:
        dirs[name] = va.copy_variant(variant_dir(written, tmp_path_factory, name), tmp_path / name)
        prepare_cache(dirs[name] / va.PRODUCT_NAME)
        before[name] = _manifest(dirs[name] / va.PRODUCT_NAME)
    out_file = tmp_path / "results.npz"
    args = [a for name in NEXT_PROCESS for a in (name, str(dirs[name]))]
    run = subprocess.run(
        [sys.executable, "-m", "tests.core.test_variants", str(out_file), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    saved = np.load(out_file)
    for name in NEXT_PROCESS:
        got = {k.split("/", 1)[1]: saved[k] for k in saved.files if k.startswith(f"{name}/")}
        assert str(got["readers"]) == "cache" and str(got["warnings"]) == ""
        check(name, dirs[name] / va.PRODUCT_NAME, got)
        tif = dirs[name] / va.PRODUCT_NAME
        assert cache_status(tif)["ready"] is True
        assert _manifest(tif) == before[name]  # the same entry: not rebuilt, not deleted


def child_main(argv: list[str]) -> int:
    """The new process: the plugin's results of each (name, data dir) into one .npz."""
    out_file, pairs = argv[0], argv[1:]
    arrays: dict[str, Any] = {}
    for name, data_dir in zip(pairs[::2], pairs[1::2], strict=True):
        got = plugin_results(name, data_dir)
        got["readers"] = np.array(",".join(sorted(got["readers"])))
        got["warnings"] = np.array(" | ".join(got["warnings"]))
        arrays.update({f"{name}/{k}": np.asarray(v) for k, v in got.items()})
    np.savez(out_file, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
