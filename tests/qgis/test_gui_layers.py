"""Batches of selected features: values equal to the core's, one undo step, nothing half-written."""

from __future__ import annotations

import time

import numpy as np
import pytest
from qgis.core import (
    NULL,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from rs_embed_qgis import settings
from rs_embed_qgis.bridge.geometry import features_to_specs
from rs_embed_qgis.core import OutputSpec, TemporalSpec, get_embeddings_batch
from rs_embed_qgis.gui import layers, tasks
from rs_embed_qgis.gui.controller import GuiController
from rs_embed_qgis.gui.tasks import CANCELLED, OK
from tests.qgis.util import wait_for

# Countries entirely inside the europe_dir fixture (lat 40..60, lon -10..30).
EUROPE_FIDS = [3, 283, 374, 353, 312, 4509]  # Germany .. Luxembourg
NAMES = [f"emb_{i:03d}" for i in range(768)]


@pytest.fixture()
def controller(qgis_iface, qgis_new_project, europe_dir):
    old = settings.data_dir_setting()
    settings.set_data_dir_setting(str(europe_dir))
    ctl = GuiController(qgis_iface)
    ctl.setup()
    yield ctl
    ctl.teardown()
    settings.set_data_dir_setting(old)


@pytest.fixture()
def countries(qgis_countries_layer, qgis_iface):
    layer = qgis_countries_layer
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    layer.selectByIds(EUROPE_FIDS)
    return layer


def core_vectors(layer, fids, europe_dir, pooling="mean", buffer_m=None, fracs=None):
    feats = list(layer.getFeatures(QgsFeatureRequest().setFilterFids(fids)))
    specs = features_to_specs(
        feats, layer.crs(), QgsProject.instance().transformContext(), buffer_m=buffer_m
    )
    embs = get_embeddings_batch(
        spatials=specs,
        temporal=TemporalSpec.year(2021),
        output=OutputSpec.pooled(pooling),
        data_dir=str(europe_dir),
        workers=1,  # the same values; fewer TorchGeo datasets kept alive in the session
    )
    if fracs is not None:
        fracs.update({f.id(): e.meta["valid_fraction"] for f, e in zip(feats, embs, strict=True)})
    return {f.id(): e.data for f, e in zip(feats, embs, strict=True)}


def layer_vectors(layer, fids):
    out = {}
    for f in layer.getFeatures(QgsFeatureRequest().setFilterFids(list(fids))):
        out[f.id()] = np.array([f[n] for n in NAMES], dtype=np.float64)
    return out


def snapshot(layer):
    return (
        layer.fields().names(),
        {f.id(): f.attributes() for f in layer.getFeatures()},
        layer.isEditable(),
    )


def run_batch(controller):
    task = controller.embed_selected()
    assert task is not None
    wait_for(lambda: task not in controller.tasks)
    return task


def test_batch_writes_core_values_as_one_undo_step(controller, countries, europe_dir):
    n_fields = countries.fields().count()
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    assert countries.isEditable()  # left in edit mode: the user saves or undoes
    assert countries.fields().count() == n_fields + 769  # emb_000..767 + emb_valid_frac
    fracs = {}
    expected = core_vectors(countries, EUROPE_FIDS, europe_dir, fracs=fracs)
    got = layer_vectors(countries, EUROPE_FIDS)
    for fid in EUROPE_FIDS:
        np.testing.assert_allclose(got[fid], expected[fid], rtol=1e-7, atol=0)
        # The same emb_valid_frac the Processing algorithm writes.
        assert countries.getFeature(fid)["emb_valid_frac"] == pytest.approx(fracs[fid])
        assert 0.0 < fracs[fid] <= 1.0
    # Unselected features got NULLs in the new fields.
    other = next(f for f in countries.getFeatures() if f.id() not in EUROPE_FIDS)
    assert other["emb_000"] == NULL
    # One undo step removes everything.
    stack = countries.undoStack()
    assert stack.count() == 1
    stack.undo()
    assert countries.fields().count() == n_fields
    assert countries.rollBack()


def test_batch_keeps_pending_edits(controller, countries, europe_dir):
    countries.startEditing()
    idx = countries.fields().indexOf("NAME")
    countries.changeAttributeValue(3, idx, "Deutschland (pending)")
    assert countries.undoStack().count() == 1
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    assert countries.getFeature(3)["NAME"] == "Deutschland (pending)"
    assert countries.undoStack().count() == 2
    countries.undoStack().undo()  # our step only
    assert countries.getFeature(3)["NAME"] == "Deutschland (pending)"
    assert "emb_000" not in countries.fields().names()
    assert countries.isEditable()
    countries.rollBack()


def test_cancel_leaves_the_layer_unchanged(controller, countries, monkeypatch):
    real = tasks.embed_features

    def wait_for_cancel(*args, **kwargs):
        t0 = time.monotonic()
        while not kwargs["cancel"]() and time.monotonic() - t0 < 30:
            time.sleep(0.01)
        return real(*args, **kwargs)  # sees the cancel and raises CancelledError

    monkeypatch.setattr(tasks, "embed_features", wait_for_cancel)
    before = snapshot(countries)
    task = controller.embed_selected()
    controller.cancel_all()
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == CANCELLED
    # QGIS's own task manager sees a terminated task, not a finished one.
    assert task.status() == task.TaskStatus.Terminated
    assert snapshot(countries) == before
    assert countries.fields().count() == 7
    assert "nothing was changed" in controller.dock.status_label.text()


def test_error_while_writing_leaves_the_layer_as_it_was(countries):
    countries.startEditing()
    countries.changeAttributeValue(283, countries.fields().indexOf("NAME"), "pending")
    before = snapshot(countries)
    good = np.ones(768, dtype=np.float32)
    with pytest.raises(ValueError):
        layers.write_embeddings_to_layer(countries, {3: good, 283: np.ones(5)})
    assert snapshot(countries) == before
    assert countries.undoStack().count() == 1
    countries.rollBack()
    # A layer not in edit mode is rolled back out of it.
    before = snapshot(countries)
    with pytest.raises(ValueError):
        layers.write_embeddings_to_layer(countries, {3: good, 283: np.ones(5)})
    assert snapshot(countries) == before


def test_existing_fields_are_overwritten_only_when_agreed(
    controller, countries, europe_dir, monkeypatch
):
    assert run_batch(controller).outcome == OK
    assert countries.commitChanges()
    mean = layer_vectors(countries, EUROPE_FIDS)
    controller.dock.pooling_combo.setCurrentIndex(controller.dock.pooling_combo.findData("max"))
    asked = []
    monkeypatch.setattr(layers, "ask_overwrite", lambda p, lyr, ex: asked.append(ex) or False)
    assert controller.embed_selected() is None
    assert len(asked[0]) == 769
    assert not countries.isEditable()
    np.testing.assert_array_equal(layer_vectors(countries, EUROPE_FIDS)[3], mean[3])

    monkeypatch.setattr(layers, "ask_overwrite", lambda p, lyr, ex: True)
    assert run_batch(controller).outcome == OK
    expected = core_vectors(countries, EUROPE_FIDS, europe_dir, pooling="max")
    got = layer_vectors(countries, EUROPE_FIDS)
    for fid in EUROPE_FIDS:
        np.testing.assert_array_equal(got[fid].astype(np.float32), expected[fid])
    assert countries.fields().count() == 7 + 769
    countries.rollBack()


def _shapefile(layer, fids, path) -> QgsVectorLayer:
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "ESRI Shapefile"
    opts.onlySelectedFeatures = True
    layer.selectByIds(fids)
    err, msg, *_ = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(path), QgsProject.instance().transformContext(), opts
    )
    assert err == QgsVectorFileWriter.NoError, msg
    shp = QgsVectorLayer(str(path), "few countries", "ogr")
    assert shp.isValid() and shp.featureCount() == len(fids)
    return shp


def test_shapefile_gets_a_new_memory_layer(
    controller, countries, europe_dir, tmp_path, qgis_iface, monkeypatch
):
    shp = _shapefile(countries, [3, 283, 353], tmp_path / "few.shp")
    QgsProject.instance().addMapLayer(shp)
    qgis_iface.setActiveLayer(shp)
    shp.selectAll()
    reasons = []
    monkeypatch.setattr(
        layers, "ask_other_route", lambda p, lyr, why: reasons.append(why) or layers.ROUTE_MEMORY
    )
    assert "255" in layers.capacity_problem(shp, NAMES)
    before = snapshot(shp)
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    assert "255" in reasons[0]
    assert snapshot(shp) == before  # the shapefile is untouched
    out = [
        lyr
        for lyr in QgsProject.instance().mapLayers().values()
        if lyr.name() == "few countries embeddings"
    ]
    assert len(out) == 1
    mem = out[0]
    assert mem.providerType() == "memory"
    assert mem.fields().names() == shp.fields().names() + NAMES + ["emb_valid_frac"]
    assert mem.featureCount() == 3
    expected = core_vectors(shp, [f.id() for f in shp.getFeatures()], europe_dir)
    by_name = {f["NAME"]: f for f in shp.getFeatures()}
    for f in mem.getFeatures():
        src = by_name[f["NAME"]]
        np.testing.assert_allclose([f[n] for n in NAMES], expected[src.id()], rtol=1e-7)
        assert f.geometry().equals(src.geometry())


def test_read_only_layer_gets_a_new_geopackage(
    controller, countries, europe_dir, tmp_path, monkeypatch
):
    countries.setReadOnly(True)
    monkeypatch.setattr(layers, "ask_other_route", lambda p, lyr, why: layers.ROUTE_GPKG)
    target = tmp_path / "out.gpkg"
    monkeypatch.setattr(layers, "ask_gpkg_path", lambda p, s: str(target))
    assert layers.capacity_problem(countries, NAMES) == "The layer is read-only."
    before = snapshot(countries)
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    assert snapshot(countries) == before
    gpkg = QgsVectorLayer(f"{target}|layername=Natural Earth Countries embeddings", "x", "ogr")
    assert gpkg.isValid()
    assert gpkg.featureCount() == len(EUROPE_FIDS)
    assert NAMES[0] in gpkg.fields().names() and NAMES[-1] in gpkg.fields().names()
    expected = core_vectors(countries, EUROPE_FIDS, europe_dir)
    names = {countries.getFeature(fid)["NAME"]: fid for fid in EUROPE_FIDS}
    for f in gpkg.getFeatures():
        np.testing.assert_allclose([f[n] for n in NAMES], expected[names[f["NAME"]]], rtol=1e-7)
    added = [
        lyr for lyr in QgsProject.instance().mapLayers().values() if lyr.source() == gpkg.source()
    ]
    assert len(added) == 1


def test_cancelled_dialog_writes_nothing(controller, countries, monkeypatch):
    countries.setReadOnly(True)
    monkeypatch.setattr(layers, "ask_other_route", lambda p, lyr, why: None)
    n = len(QgsProject.instance().mapLayers())
    assert controller.embed_selected() is None
    assert len(QgsProject.instance().mapLayers()) == n
    assert controller.dock.status_label.text() == "Nothing was written."


def test_points_are_embedded_with_the_buffer(controller, qgis_iface, europe_dir):
    crs = QgsCoordinateReferenceSystem("EPSG:3857")
    pts = QgsVectorLayer("Point?crs=EPSG:3857&field=name:string", "towns", "memory")
    from qgis.core import QgsCoordinateTransform

    ct = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"), crs, QgsProject.instance()
    )
    feats = []
    for name, lon, lat in [("a", 10.0, 50.0), ("b", 2.1, 48.9), ("c", 16.4, 48.2)]:
        f = QgsFeature(pts.fields())
        f.setAttributes([name])
        f.setGeometry(QgsGeometry.fromPointXY(ct.transform(QgsPointXY(lon, lat))))
        feats.append(f)
    pts.dataProvider().addFeatures(feats)
    QgsProject.instance().addMapLayer(pts)
    qgis_iface.setActiveLayer(pts)
    pts.selectAll()
    controller.dock.set_buffer_m(15_000.0)
    assert controller.dock.buffer_m() == 15_000.0
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    fids = [f.id() for f in pts.getFeatures()]
    expected = core_vectors(pts, fids, europe_dir, buffer_m=15_000.0)
    # The core expands PointBuffers by expand_deg, as the dock asked (default 1 degree).
    got = layer_vectors(pts, fids)
    for fid in fids:
        np.testing.assert_allclose(got[fid], expected[fid], rtol=1e-7)
    assert task.buffer_m == 15_000.0
