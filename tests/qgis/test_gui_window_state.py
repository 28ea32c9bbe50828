"""The dock says what is true now (issue 19, points 3 and 4).

The cache line is checked again after every task; the batch's status goes with *Discard*;
references, markers and the status go with the project (New Project); *Remove cache* says
what it removes, with sizes, and asks before removing the search index.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsProject, QgsRectangle
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QMessageBox

from rs_embed_qgis.core import cache_status
from rs_embed_qgis.core.cache import clear_cache, prepare_cache
from rs_embed_qgis.core.specs import BBox
from rs_embed_qgis.gui.tasks import OK
from tests import product
from tests.qgis.util import type_folder, wait_for

EUROPE_FIDS = [3, 283, 374]


def _settled(ctl) -> bool:
    return not ctl.tasks and ctl.data_task is None


@pytest.fixture()
def own_product(controller, tmp_path):
    """A product of its own (its cache and index are this test's), applied in the dock."""
    product.write_product(tmp_path / "embed_map_310k.tif", 140, 150, 700, 720)
    type_folder(controller, str(tmp_path))
    wait_for(lambda: controller.data_task is None)
    assert controller.data_report.usable
    path = str(tmp_path / "embed_map_310k.tif")
    yield path
    clear_cache(path)


def test_cache_line_follows_the_disk_after_any_task(controller, own_product):
    d = controller.dock
    prepare_cache(own_product)  # built elsewhere (Processing, another dock)
    controller.refresh_data()
    wait_for(lambda: _settled(controller))
    assert "Fast cache ready" in d.cache_label.text()
    clear_cache(own_product)  # removed behind the dock's back
    controller.dock.expand_spin.setValue(0.0)
    task = controller.start_embed(
        BBox(5.0, 48.0, 6.0, 49.0),
        QgsGeometry.fromRect(QgsRectangle(5, 48, 6, 49)),
        QgsCoordinateReferenceSystem("EPSG:4326"),
    )
    wait_for(lambda: task not in controller.tasks)
    wait_for(lambda: _settled(controller))
    assert "Fast cache ready" not in d.cache_label.text()
    assert "not prepared" in d.cache_label.text()
    assert not d.remove_cache_button.isVisibleTo(d)


def _answer(title: str, button_name: str, seen: list) -> QTimer:
    def poll() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == title:
                seen.append(w.text())
                w.findChild(type(w.defaultButton()), button_name).click()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(20)
    return timer


@pytest.mark.parametrize(
    ("button", "index_kept"),
    [("RsEmbedRemoveCacheOnly", True), ("RsEmbedRemoveCacheAndIndex", False)],
)
def test_remove_cache_names_cache_and_index_with_sizes_and_asks(
    controller, own_product, button, index_kept
):
    from rs_embed_qgis.core.adapter import open_source
    from rs_embed_qgis.core.index import index_dir, index_for

    d = controller.dock
    prepare_cache(own_product)
    reader = open_source(os.path.dirname(own_product), download=False, reader="gdal").reader
    index_for(reader, build=True)
    folder = index_dir(reader.info)
    assert (folder / "meta.json").is_file()
    controller.refresh_data()
    wait_for(lambda: _settled(controller))
    assert "Search index:" in d.cache_label.text()
    seen: list = []
    timer = _answer("Remove the fast cache?", button, seen)
    try:
        task = controller.remove_cache()
    finally:
        timer.stop()
    assert task is not None
    assert seen and "search index" in seen[0] and "KB" in seen[0]
    wait_for(lambda: _settled(controller))
    assert not cache_status(own_product)["ready"]
    assert (folder / "meta.json").is_file() is index_kept
    assert ("search index was kept" in d.status_label.text()) is index_kept


def test_discard_and_new_project_clear_what_the_dock_said(
    controller, qgis_countries_layer, qgis_iface
):
    layer = qgis_countries_layer
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    layer.selectByIds(EUROPE_FIDS)
    task = controller.embed_selected()
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == OK, task.details
    d = controller.dock
    assert "Save the layer's edits" in d.status_label.text()
    assert layer.rollBack()  # Stop editing -> Discard
    assert "Save the layer's edits" not in d.status_label.text()
    assert "discarded" in d.status_label.text()

    # A reference and its marker on the map, then New Project.
    controller.explore.add_point_reference(9.882, 48.5)
    assert controller.markers
    QgsProject.instance().clear()
    assert not controller.explore.references()
    assert not controller.markers
    assert d.status_label.text() == "Ready."


def test_project_load_clears_references(controller, tmp_path: Path):
    controller.explore.add_point_reference(9.882, 48.5)
    controller.dock.set_status("Point 9.882, 48.500")
    path = str(tmp_path / "p.qgz")
    assert QgsProject.instance().write(path)
    assert QgsProject.instance().read(path)
    assert not controller.markers and not controller.explore.references()
    assert controller.dock.status_label.text() == "Ready."
