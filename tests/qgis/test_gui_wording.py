"""What the dock and its results say (issue 19, point 5), in a real controller."""

from __future__ import annotations

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsRectangle

from rs_embed_qgis.core.explore import Place
from rs_embed_qgis.core.specs import BBox
from rs_embed_qgis.gui.dock import MAX_BUFFER_M
from rs_embed_qgis.gui.explore_panel import reference_boxes, without_references
from tests.qgis.util import wait_for


def test_toolbar_button_on_the_plugins_toolbar(qgis_iface, qgis_new_project, saved_setting):
    """A default profile shows the Plugins toolbar, not the Raster one."""
    from rs_embed_qgis.gui.controller import GuiController

    added, on_raster = [], []
    real = qgis_iface.addToolBarIcon
    qgis_iface.addToolBarIcon = lambda a: (added.append(a), real(a))[1]
    # As QGIS's own iface: the Raster toolbar exists too (hidden in a default profile).
    qgis_iface.addRasterToolBarIcon = on_raster.append
    qgis_iface.removeRasterToolBarIcon = on_raster.remove
    ctl = GuiController(qgis_iface)
    try:
        ctl.setup()
        assert added == [ctl.action] and on_raster == []
    finally:
        ctl.teardown()
        qgis_iface.addToolBarIcon = real
        del qgis_iface.addRasterToolBarIcon, qgis_iface.removeRasterToolBarIcon


def test_status_line_keeps_the_cause_after_a_long_url(controller):
    d = controller.dock
    d.resize(300, 600)
    d.show()
    url = "https://hf.co/datasets/torchgeo/copernicus_embed/resolve/435b" + "0" * 60 + "/x.tif"
    d.set_status(f"Cannot download {url}: HTTP 403 Forbidden (the server refused the file).")
    shown = d.status_label.displayed_text().replace("\n", " ")
    assert "403 Forbidden" in shown
    assert url in d.status_label.toolTip()  # all of it
    d.hide()


def test_buffer_is_bounded_and_says_why(controller):
    d = controller.dock
    d.unit_combo.setCurrentIndex(0)  # km
    d.buffer_spin.setValue(999_999)
    assert d.buffer_m() == MAX_BUFFER_M
    assert "2,000 km" in d.buffer_spin.toolTip()
    d.unit_combo.setCurrentIndex(1)  # m
    d.buffer_spin.setValue(999_999_999)
    assert d.buffer_m() == MAX_BUFFER_M


def test_grid_message_says_columns_by_rows(controller):
    controller.dock.set_output_mode("grid")
    controller.dock.expand_spin.setValue(0.0)
    task = controller.start_embed(
        BBox(5.0, 48.0, 7.0, 49.0),
        QgsGeometry.fromRect(QgsRectangle(5, 48, 7, 49)),
        QgsCoordinateReferenceSystem("EPSG:4326"),
    )
    wait_for(lambda: task not in controller.tasks)
    _, h, w = task.result.embedding.data.shape
    assert w > h  # 2° of longitude, 1° of latitude: wider than high
    text = controller.dock.status_label.text()
    assert f"{w} columns x {h} rows" in text, text


def test_places_leave_the_references_out_by_default(controller):
    panel = controller.explore
    assert panel.places_skip_refs.isChecked()
    ref = (9.9, 48.6)
    boxes = reference_boxes([ref])
    (x0, y0, x1, y1) = boxes[0]
    assert x0 <= 9.9 <= x1 and x1 - x0 == pytest.approx(0.25)
    places = [
        Place(1, 0, 0, 9.875, 48.625, 1.0),  # the reference's own pixel
        Place(2, 0, 0, 12.125, 50.125, 0.9),
        Place(3, 0, 0, 1.125, 45.125, 0.8),
    ]
    kept = without_references(places, boxes)
    assert [(p.rank, p.lon) for p in kept] == [(1, 12.125), (2, 1.125)]


def test_clusters_name_their_scope(controller):
    panel = controller.explore
    assert panel.scope_name() == "map extent"
