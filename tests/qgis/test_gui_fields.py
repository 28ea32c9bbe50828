"""Embedding fields QGIS handles well: one JSON field as the compact store, emb_* columns hidden
in the attribute table, values equal to the fixture's pixels, plugin start-up imports."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from qgis.core import NULL, QgsProject, QgsVectorLayerCache
from qgis.gui import QgsAttributeTableModel
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtTest import QTest

from rs_embed_qgis.bridge.outputs import embedding_json_value, json_field, json_field_name
from rs_embed_qgis.gui import layers
from tests import product
from tests.qgis.util import fid_of, wait_for

NAMES = [f"emb_{i:03d}" for i in range(768)]


def test_json_value_round_trips_float32_exactly():
    rows, cols = np.array([150, 150, 481]), np.array([700, 701, 960])
    vecs = product.pixel_values(rows, cols)  # (3, 768) float32 of the fixture
    for vec in vecs:
        text = embedding_json_value(vec)
        back = json.loads(text)
        assert len(back) == 768
        # float64 values equal to the float32 ones: nothing lost, nothing rounded.
        np.testing.assert_array_equal(np.array(back, dtype=np.float64), vec.astype(np.float64))
        np.testing.assert_array_equal(np.array(back, dtype=np.float32), vec)
    nan = vecs[0].copy()
    nan[5] = np.nan
    assert json.loads(embedding_json_value(nan))[5] is None
    with pytest.raises(ValueError):
        embedding_json_value(np.ones(5))
    field = json_field("x_")
    assert field.name() == "x_json" == json_field_name("x_")
    assert field.typeName().lower() in ("string", "text", "")


def test_json_store_writes_one_field_and_undoes_it(qgis_countries_layer):
    layer = qgis_countries_layer
    n = layer.fields().count()
    de, at = fid_of(layer, "Germany"), fid_of(layer, "Austria")
    vecs = {de: product.pixel_values(np.array([150]), np.array([700]))[0], at: None}
    layers.write_embeddings_to_layer(layer, vecs, valid_fracs={de: 0.25}, store=layers.STORE_JSON)
    assert layer.fields().names()[n:] == ["emb_json", "emb_valid_frac"]
    got = json.loads(layer.getFeature(de)["emb_json"])
    np.testing.assert_array_equal(np.array(got, dtype=np.float32), vecs[de])
    assert layer.getFeature(de)["emb_valid_frac"] == 0.25
    assert layer.getFeature(at)["emb_json"] == NULL
    assert layer.undoStack().count() == 1
    layer.undoStack().undo()
    assert layer.fields().count() == n
    assert layer.rollBack()


def test_embedding_columns_are_hidden_in_the_table_but_kept(qgis_countries_layer):
    layer = qgis_countries_layer
    vec = product.pixel_values(np.array([150]), np.array([700]))[0]
    de = fid_of(layer, "Germany")
    layers.write_embeddings_to_layer(layer, {de: vec}, valid_fracs={de: 1.0})
    config = layer.attributeTableConfig()
    hidden = {c.name for c in config.columns() if c.hidden and c.name}  # '' = actions
    assert hidden == set(NAMES)  # emb_valid_frac and the user's columns stay visible
    cache = QgsVectorLayerCache(layer, 1000)
    model = QgsAttributeTableModel(cache)
    model.loadLayer()
    assert model.columnCount() == 7 + 769  # the data is all there
    assert layer.getFeature(de)["emb_100"] == pytest.approx(float(vec[100]), rel=0, abs=0)
    layer.rollBack()


def test_dock_store_as_json_batch_matches_the_fields_batch(
    controller, qgis_countries_layer, qgis_iface, quiet_canvas
):
    layer = qgis_countries_layer
    fids = [fid_of(layer, "Germany"), fid_of(layer, "Austria")]
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    controller._watch_layer()  # what QGIS's currentLayerChanged does (the stub iface has none)
    layer.selectByIds(fids)
    d = controller.dock
    wait_for(d.batch_button.isEnabled, timeout=10)
    assert d.store_combo.currentData() == "fields"
    QTest.mouseClick(d.batch_button, Qt.MouseButton.LeftButton)
    task = controller.batch_task
    assert task is not None, d.status_label.text()
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == "ok", task.details
    fields_vals = {fid: np.array([layer.getFeature(fid)[n] for n in NAMES]) for fid in fids}
    layer.rollBack()
    d.store_combo.setCurrentIndex(d.store_combo.findData("json"))
    assert d.store() == "json"
    QTest.mouseClick(d.batch_button, Qt.MouseButton.LeftButton)
    task = controller.batch_task
    assert task is not None, d.status_label.text()
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == "ok", task.details
    assert "emb_000" not in layer.fields().names()
    for fid in fids:
        got = np.array(json.loads(layer.getFeature(fid)["emb_json"]), dtype=np.float64)
        np.testing.assert_array_equal(got.astype(np.float32), fields_vals[fid].astype(np.float32))
        assert 0.0 < layer.getFeature(fid)["emb_valid_frac"] <= 1.0
    layer.rollBack()


def test_start_up_imports_nothing_heavy():
    """classFactory + initGui in a fresh QGIS process: the modules it imported (sys.modules)."""
    import subprocess
    import textwrap
    from pathlib import Path

    bench = Path(__file__).resolve().parents[2] / "benchmarks"
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(bench)!r})
        import gui_bench
        gui_bench._app()
        r = gui_bench.bench_startup()
        print("HEAVY:" + "|".join(r["imported_heavy"]))  # those of gui_bench.HEAVY
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("HEAVY:")][-1]
    heavy = [m for m in line[len("HEAVY:") :].split("|") if m]
    assert not heavy, heavy
