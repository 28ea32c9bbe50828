"""A 768-field batch with the layer's attribute table and a feature form open (issue 19, 1).

The real table (``QgsDualView`` over the layer, as the attribute table dialog holds it) and
a real feature form (``QgsAttributeDialog``) listen to the layer. Before the fix, every
added field and every changed value made them rebuild: undo or *Discard* froze QGIS for
minutes. Now write, undo, redo and *Discard* each tell them once.
"""

from __future__ import annotations

import numpy as np
import pytest
from qgis.core import NULL, QgsProject
from qgis.gui import QgsAttributeDialog, QgsDualView, QgsMapCanvas
from qgis.PyQt.QtCore import QCoreApplication

from rs_embed_qgis.bridge.outputs import embedding_field_names
from rs_embed_qgis.gui import layers

FIDS = [3, 283, 374]


@pytest.fixture()
def open_table(qgis_countries_layer, qgis_new_project):
    """The countries layer in the project, its attribute table and a feature form open."""
    layer = qgis_countries_layer
    QgsProject.instance().addMapLayer(layer)
    canvas = QgsMapCanvas()
    view = QgsDualView()
    view.init(layer, canvas)
    view.setView(QgsDualView.ViewMode.AttributeTable)
    view.show()
    form = QgsAttributeDialog(layer, layer.getFeature(FIDS[0]), False, None, True)
    form.show()
    QCoreApplication.processEvents()
    yield layer, view, form
    if layer.isEditable():
        layer.rollBack()
    form.close()
    view.close()
    form.deleteLater()
    view.deleteLater()
    QCoreApplication.processEvents()


def test_undo_redo_discard_with_table_and_form_open(open_table):
    layer, view, form = open_table
    n_before = layer.fields().count()
    cols_before = view.masterModel().columnCount()
    heard = []
    layer.updatedFields.connect(lambda: heard.append("fields"))
    rng = np.random.default_rng(1)
    vectors = {fid: rng.standard_normal(768).astype(np.float32) for fid in FIDS}
    fracs = dict.fromkeys(FIDS, 0.5)

    layers.write_embeddings_to_layer(layer, vectors, valid_fracs=fracs)
    QCoreApplication.processEvents()
    assert layer.fields().count() == n_before + 769
    assert heard == ["fields"]  # once, not once per field
    f = layer.getFeature(FIDS[1])
    assert f["emb_767"] == pytest.approx(float(vectors[FIDS[1]][767]))
    # The open table sees the new columns and values.
    assert view.masterModel().columnCount() == cols_before + 769
    assert form.attributeForm().feature().fields().count() == n_before + 769
    # The open form shows the values written (not NULL: it is told once, then reloaded).
    assert form.attributeForm().feature()["emb_767"] == pytest.approx(float(vectors[FIDS[0]][767]))

    layer.undoStack().undo()
    QCoreApplication.processEvents()
    assert layer.fields().count() == n_before
    assert len(heard) <= 3
    assert "emb_000" not in layer.fields().names()
    assert view.masterModel().columnCount() == cols_before
    assert layer.getFeature(FIDS[0])["NAME"]  # the user's values are there

    layer.undoStack().redo()
    QCoreApplication.processEvents()
    assert len(heard) <= 5
    for fid in FIDS:
        got = [layer.getFeature(fid)[n] for n in embedding_field_names()]
        np.testing.assert_allclose(got, vectors[fid].astype(np.float64), rtol=0, atol=0)
    assert form.attributeForm().feature()["emb_000"] == pytest.approx(float(vectors[FIDS[0]][0]))
    other = next(f for f in layer.getFeatures() if f.id() not in FIDS)
    assert other["emb_000"] == NULL

    assert layer.rollBack()  # "Stop editing" -> "Discard"
    QCoreApplication.processEvents()
    assert layer.fields().count() == n_before
    assert len(heard) <= 8
    assert not layer.signalsBlocked()
    assert view.masterModel().columnCount() == cols_before
