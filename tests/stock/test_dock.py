"""The dock in an offscreen Debian QGIS (clean env, plugin from the ZIP), driven by a script.

tests/stock/dock_script.py runs under /usr/bin/python3 and writes a JSON summary; the tests
here check it against the fixture's pixels (tests/stock/expected.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from tests import product
from tests.stock.expected import (
    ATOL,
    BANDS,
    OCEAN_POLYGON,
    RECT,
    RECT_CELLS,
    RTOL,
    TRIANGLE_CELLS,
    box_wkt,
    col_of,
    pixel_block,
    row_of,
    triangle_wkt,
    weighted_mean,
)
from tests.stock.util import FORBIDDEN, SYSTEM_PYTHON, Stock, copy_script, run_stock

gdal.UseExceptions()

# Pixel-edge rectangle over 3 land rows (lat 46.5..46.0) and 2 ocean rows (45.75, 45.5),
# 4 columns (lon 10.25..11.0): a bbox mean is the plain mean of the 12 land pixels.
RECTANGLE = (10.125, 45.375, 11.125, 46.625)
GRID = (10.0, 45.5, 12.0, 47.0)
POINT = (12.0, 50.0)
# Two tiles of the product (rows 0..255, cols 512..1023): a preparation long enough to cancel.
BIG_WINDOW = (0, 256, 512, 1024)
LEVEL_CRITICAL = 2


@pytest.fixture(scope="module")
def summary(stock: Stock, europe_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the dock script once; its JSON summary."""
    big_dir = tmp_path_factory.mktemp("stock_big")
    product.write_product(big_dir / "embed_map_310k.tif", *BIG_WINDOW)
    out_dir = tmp_path_factory.mktemp("stock_dock")
    spec = {
        "data_dir": str(europe_dir),
        "big_dir": str(big_dir),
        "out_dir": str(out_dir),
        "rectangle": RECTANGLE,
        "point": POINT,
        "point_buffer_m": 1000.0,
        "grid": GRID,
        "batch": {
            "rect": box_wkt(*RECT),
            "triangle": triangle_wkt(),
            "ocean": box_wkt(*OCEAN_POLYGON),
            "unselected": box_wkt(5.125, 48.125, 6.125, 49.125),
        },
        "batch_selected": ["rect", "triangle", "ocean"],
    }
    spec_path = out_dir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    script = copy_script(stock, "dock_script.py")
    result_path = out_dir / "summary.json"
    proc = run_stock(
        stock,
        [SYSTEM_PYTHON, script, stock.plugins, spec_path, result_path],
        timeout=300,
        XDG_CACHE_HOME=str(out_dir / "cache"),
    )
    output = proc.stdout + proc.stderr
    # The summary is written before QGIS exits; the exit itself is checked on its own.
    assert result_path.is_file(), f"exit code {proc.returncode}\n{output[-5000:]}"
    data = json.loads(result_path.read_text())
    data["output"] = output
    data["returncode"] = proc.returncode
    return data


def step_ok(summary: dict, name: str) -> dict:
    """A step's part of the summary, failing with the script's traceback if it raised."""
    assert name not in summary["errors"], summary["errors"][name]
    return summary[name]


def test_plugin_loaded_from_profile(summary: dict, stock: Stock) -> None:
    assert summary["loaded"] and summary["started"]
    assert summary["plugin_file"].startswith(str(stock.plugins))
    assert not [p for p in summary["sys_path"] if ".venv" in p]
    assert summary["preloaded"] == []
    assert summary["dock_object_name"] == "RsEmbedDock"
    data = step_ok(summary, "data_dir")
    assert data["usable"] and data["outcome"] == "ok"
    assert Path(data["file"]).name == "embed_map_310k.tif"


def test_exits_cleanly(summary: dict) -> None:
    """Unload, exitQgis and the interpreter's exit without a crash (as QGIS closing)."""
    assert summary["returncode"] == 0, (
        f"dock script exit code {summary['returncode']} after writing its summary: "
        + summary["output"][-2000:]
    )


def test_no_traceback_and_no_critical_message(summary: dict) -> None:
    assert "Traceback" not in summary["output"], summary["output"][-5000:]
    assert not [m for m in summary["messages"] if m[1] == LEVEL_CRITICAL], summary["messages"]
    assert not [e for e in summary["log"] if e[1] == LEVEL_CRITICAL], summary["log"]


def test_rectangle_pooled_sample(summary: dict) -> None:
    """Plain mean of the land pixels of the rectangle; valid fraction 12 of 20."""
    rect = step_ok(summary, "rectangle")
    assert rect["outcome"] == "ok", rect["status"]
    assert rect["layer"] == "Copernicus-Embed samples (rectangles)"
    assert len(rect["samples"]) == 1
    sample = rect["samples"][0]
    want, land = pixel_block(46.5, 45.5, 10.25, 11.0)
    assert land.sum() == 12 and land.size == 20
    mean = want[land].astype(np.float64).mean(axis=0).astype(np.float32)
    np.testing.assert_allclose(sample["vector"], mean, rtol=1e-6, atol=1e-6)
    assert sample["valid_frac"] == pytest.approx(0.6)
    assert sample["pooling"] == "mean"


def test_point_sample_is_the_pixel(summary: dict) -> None:
    """A 1 km square around a pixel centre (canvas in EPSG:3857): exactly that pixel."""
    pt = step_ok(summary, "point")
    assert pt["outcome"] == "ok", pt["status"]
    assert pt["buffer_m"] == 1000.0
    assert pt["layer"] == "Copernicus-Embed samples (points)"
    assert len(pt["samples"]) == 1
    want = product.pixel_values(np.array(row_of(POINT[1])), np.array(col_of(POINT[0])))
    np.testing.assert_array_equal(np.array(pt["samples"][0]["vector"]), want.astype(np.float64))


def test_grid_layers(summary: dict) -> None:
    """The grid GeoTIFF the dock wrote equals the fixture's pixels, ocean zeros included."""
    grid = step_ok(summary, "grid")
    assert grid["outcome"] == "ok", grid["status"]
    assert grid["n_grid_layers"] == 1 and grid["in_temp_dir"]
    names = " | ".join(grid["layers"])
    assert "PCA colours " in names and "768 bands " in names  # each with its time
    ds = gdal.Open(grid["copy"])
    assert (ds.RasterCount, ds.RasterYSize, ds.RasterXSize) == (BANDS, 7, 9)
    np.testing.assert_allclose(ds.GetGeoTransform(), (9.875, 0.25, 0, 47.125, 0, -0.25))
    want, land = pixel_block(47.0, 45.5, 10.0, 12.0)
    assert land.any() and not land.all()
    np.testing.assert_array_equal(ds.ReadAsArray(), np.moveaxis(want, -1, 0))


def test_batch_of_selected_features(summary: dict) -> None:
    """Selected polygons get the area-weighted mean; ocean NULLs; the unselected untouched."""
    batch = step_ok(summary, "batch")
    assert batch["outcome"] == "ok", batch["status"]
    assert batch["n_emb_fields"] == BANDS + 1  # emb_000..emb_767 and emb_valid_frac
    feats = batch["features"]
    for name, cells in (("rect", RECT_CELLS), ("triangle", TRIANGLE_CELLS)):
        vec = feats[name]["vector"]
        assert vec is not None, name
        np.testing.assert_allclose(vec, weighted_mean(cells), rtol=RTOL, atol=ATOL, err_msg=name)
        assert feats[name]["valid_frac"] == pytest.approx(1.0)
    assert feats["ocean"]["vector"] is None
    assert feats["ocean"]["valid_frac"] in (None, 0.0)
    assert feats["unselected"]["vector"] is None and feats["unselected"]["valid_frac"] is None


def test_cache_preparation(summary: dict) -> None:
    """The cache is built, reported ready, and a read through it gives the same numbers."""
    cache = step_ok(summary, "cache")
    assert cache["outcome"] == "ok", cache["status"]
    assert cache["ready"]
    again = step_ok(summary, "rectangle_cached")
    assert again["outcome"] == "ok" and len(again["samples"]) == 2
    assert again["samples"][1]["vector"] == again["samples"][0]["vector"]


def test_cancel_of_a_running_preparation(summary: dict) -> None:
    """Cancelled while decoding: stops before the end, reported as cancelled, no cache ready.

    The script holds the workers at a cancel check until the cancel (no clock: a bound of
    2 s on the time to stop failed on loaded machines; how fast it stops: make bench).
    """
    cancel = step_ok(summary, "cancel")
    assert cancel["running_when_cancelled"]
    assert cancel["outcome"] == "cancelled", cancel["status"]
    # Each block done reports its share: a preparation that went on would reach 100 %.
    assert cancel["progress_at_end"] < 100.0
    assert not cancel["ready_after"]
    assert "Cancelled" in cancel["status"]


def test_unload_leaves_nothing(summary: dict) -> None:
    after = step_ok(summary, "after_unload") if "unload" not in summary["errors"] else None
    assert after is not None, summary["errors"].get("unload")
    assert summary["unloaded"], summary.get("unload_exception")
    assert after["docks"] == [] and after["actions"] == []
    assert after["remove_dock_called"]
    assert after["rs_embed_threads"] == []
    # "Dummy-N" are QGIS's task-pool threads that ran Python code (threading's name for
    # threads it did not start); any thread the plugin started has another name.
    assert [t for t in after["threads"] if not t.startswith("Dummy-")] == [], after["threads"]
    assert after["plugin_modules"] == []
    assert "rs_embed_qgis" not in after["plugin_packages"]
    assert not [m for m in after["watched_modules"] if m in FORBIDDEN]
    assert not after["provider"]
    assert after["active_tasks"] == 0
    # The user's result layers stay in the project (issue 19: unticking the plugin deleted
    # them); their files stay in the temporary folder until QGIS exits, and the log says so.
    assert step_ok(summary, "grid")["n_grid_layers"] == 1
    assert after["grid_layers"], "the grid layer was removed with the plugin"
    assert after["temp_dir_exists"]
    said = [e for e in summary["log"] if "stay in the project" in str(e)]
    assert len(said) == 1, summary["log"]
