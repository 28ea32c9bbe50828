"""The dock as a user meets it: the data directory typed or pasted, checked off the GUI thread,
saved only when usable; the download offer; the cache question before a big batch; the layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject, QgsTask
from qgis.PyQt.QtCore import QSize, Qt, QTimer
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QApplication, QMessageBox, QPushButton

from rs_embed_qgis import settings
from rs_embed_qgis.core import cache_status
from rs_embed_qgis.gui import controller as controller_mod
from rs_embed_qgis.gui.controller import GuiController
from rs_embed_qgis.gui.tasks import DataDirTask, candidate_files
from tests import product
from tests.qgis.util import fid_of, held, show_canvas, type_folder, wait_for

# Countries of world_map.gpkg inside the europe_dir fixture, by name (ids differ by release).
EIGHT_COUNTRIES = (
    "Germany",
    "Austria",
    "Czechia",
    "Switzerland",
    "Hungary",
    "Luxembourg",
    "Belgium",
    "Netherlands",
)


@pytest.fixture()
def controller(qgis_iface, qgis_new_project, saved_setting):
    settings.set_data_dir_setting("")
    ctl = GuiController(qgis_iface)
    ctl.setup()
    ctl.dock.show()
    wait_for(lambda: ctl.data_task is None)  # the start-up check (a task) has reported
    yield ctl
    ctl.teardown()


def _no_cache_for(folder) -> None:
    """Remove the fast cache an earlier test may have prepared for this folder's product."""
    from rs_embed_qgis.core.cache import clear_cache

    clear_cache(Path(folder) / "embed_map_310k.tif")


def test_typing_saves_nothing_until_enter_and_only_a_usable_folder(controller, tmp_path):
    d = controller.dock
    assert d.data_section_first()  # nothing works before the data directory is set
    good = tmp_path / "good"
    product.write_product(good / "embed_map_310k.tif", 100, 104, 100, 108)
    edit = d.data_edit
    edit.setFocus()
    QTest.keyClicks(edit, "/")
    # One keystroke: no check started, nothing saved.
    assert controller.data_task is None and settings.data_dir_setting() == ""

    type_folder(controller, str(tmp_path / "missing"))
    assert isinstance(controller.data_task, DataDirTask)
    wait_for(lambda: controller.data_task is None)
    assert settings.data_dir_setting() == ""  # a bad value is never saved
    text = d.data_check_label.text().replace("\u200b", "")
    assert "does not exist" in text and "not changed" in text

    type_folder(controller, str(good))
    wait_for(lambda: controller.data_task is None)
    assert settings.data_dir_setting() == str(good)
    assert controller.data_report.file == str(good / "embed_map_310k.tif")
    assert d.data_section_first()  # a stable order (issue 19): it no longer jumps
    # The cache line: not prepared, with the size of this file's cache (4 x 8 px x 768 x 4 B).
    assert "not prepared" in d.cache_label.text()
    assert "96.0 KB" in d.cache_label.text()
    assert d.cache_button.isVisibleTo(d) and not d.remove_cache_button.isVisibleTo(d)


def test_missing_file_says_where_it_looked_and_offers_the_download(
    controller, tmp_path, monkeypatch
):
    empty = tmp_path / "empty"
    (empty / "sub" / "deeper").mkdir(parents=True)
    # A file two levels down is not looked for: the check never recurses.
    product.write_product(empty / "sub" / "deeper" / "embed_map_310k.tif", 100, 102, 100, 102)
    assert candidate_files(str(empty))[0] == []
    type_folder(controller, str(empty))
    wait_for(lambda: controller.data_task is None)
    d = controller.dock
    text = d.data_check_label.text().replace("\u200b", "")
    assert f"looked in {empty} and {empty}/*" in text
    assert settings.data_dir_setting() == ""
    assert d.download_button.isVisibleTo(d)
    assert d.download_button.text().replace("\u200b", "") == (
        f"Download Copernicus-Embed into {empty}"
    )
    started = []
    monkeypatch.setattr(
        controller_mod, "make_download_task", lambda folder, cb: started.append(folder)
    )
    QTest.mouseClick(d.download_button, Qt.MouseButton.LeftButton)
    assert started == [str(empty)]


def test_a_product_in_a_direct_child_is_found(controller, tmp_path):
    product.write_product(tmp_path / "sub" / "embed_map_310k.tif", 100, 102, 100, 102)
    type_folder(controller, str(tmp_path))
    wait_for(lambda: controller.data_task is None)
    assert controller.data_report.file == str(tmp_path / "sub" / "embed_map_310k.tif")
    assert settings.data_dir_setting() == str(tmp_path)


def test_prepare_and_remove_the_cache_with_the_buttons(controller, tmp_path):
    product.write_product(tmp_path / "embed_map_310k.tif", 140, 150, 700, 720)
    path = str(tmp_path / "embed_map_310k.tif")
    type_folder(controller, str(tmp_path))
    wait_for(lambda: controller.data_task is None)
    d = controller.dock
    QTest.mouseClick(d.cache_button, Qt.MouseButton.LeftButton)
    wait_for(lambda: cache_status(path)["ready"] and not controller.tasks)
    wait_for(lambda: d.remove_cache_button.isVisibleTo(d))
    assert "Fast cache ready" in d.cache_label.text()
    assert "600.0 KB" in d.cache_label.text()  # 10 x 20 px x 768 x 4 B
    QTest.mouseClick(d.remove_cache_button, Qt.MouseButton.LeftButton)
    wait_for(lambda: not cache_status(path)["ready"] and not controller.tasks)
    wait_for(lambda: d.cache_button.isVisibleTo(d))


def _click_when_shown(button_name: str, seen: list) -> QTimer:
    """Find the cache question (a real QMessageBox) when it shows and click one of its buttons."""

    def poll() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.objectName() == "RsEmbedCacheQuestion":
                if w.isVisible():
                    seen.append(w.text())
                    w.findChild(QPushButton, button_name).click()
                    timer.stop()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(20)
    return timer


@pytest.mark.parametrize(("button", "prepared"), [("RsEmbedReadDirectly", False)])
def test_big_batch_asks_before_building_the_cache(
    controller, qgis_iface, qgis_countries_layer, europe_dir, button, prepared, quiet_canvas
):
    _no_cache_for(europe_dir)
    type_folder(controller, str(europe_dir))
    wait_for(lambda: controller.data_task is None)
    assert controller.data_report.usable and not controller.data_report.cache["ready"]
    layer = qgis_countries_layer
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    layer.selectByIds([fid_of(layer, n) for n in EIGHT_COUNTRIES])
    seen: list[str] = []
    timer = _click_when_shown(button, seen)
    task = controller.embed_selected()
    timer.stop()
    assert len(seen) == 1 and "8 features" in seen[0]
    assert task is not None and task.prepare_cache is prepared
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == "ok", task.details
    path = controller.data_report.file
    assert cache_status(path)["ready"] is prepared
    assert task.status() == QgsTask.TaskStatus.Complete
    layer.rollBack()


def test_cancelled_cache_question_writes_nothing(
    controller, qgis_iface, qgis_countries_layer, europe_dir, quiet_canvas
):
    _no_cache_for(europe_dir)
    type_folder(controller, str(europe_dir))
    wait_for(lambda: controller.data_task is None)
    layer = qgis_countries_layer
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    layer.selectByIds([fid_of(layer, n) for n in EIGHT_COUNTRIES])
    seen: list[str] = []
    timer = _click_when_shown("RsEmbedCancelBatch", seen)
    assert controller.embed_selected() is None
    timer.stop()
    assert seen and not layer.isEditable()
    assert controller.dock.status_label.text() == "Nothing was written."
    assert QgsApplication.taskManager().count() >= 0


def _show_floating(dock, width: int, height: int) -> None:
    """Show the dock as a floating window of this size, laid out (a hidden one is not)."""
    dock.setFloating(True)
    dock.show()
    dock.resize(width, height)
    wait_for(lambda: dock.isVisible() and dock.size() == QSize(width, height), timeout=10)
    QApplication.processEvents()


def test_dock_fits_350_px(controller, tmp_path):
    d = controller.dock
    _show_floating(d, 350, 700)
    long_dir = tmp_path / ("a_rather_long_folder_name_" * 4) / "and_deeper"
    long_dir.mkdir(parents=True)
    type_folder(controller, str(long_dir))
    wait_for(lambda: controller.data_task is None)
    QApplication.processEvents()
    body = d.scroll.widget()
    # The body never needs more than a 350 px dock minus its scrollbar and frame: long
    # paths and the download button wrap, so the scroll area never clips horizontally.
    assert d.download_button.isVisibleTo(d)
    assert body.minimumSizeHint().width() <= 350 - 30
    assert d.scroll.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    # The status line, progress and Cancel below the tabs fit too, whatever the message.
    controller.notify(f"Downloading Copernicus-Embed into {long_dir}...")
    d.phase_label.setText(f"Reading {long_dir / 'embed_map_310k.tif'}")
    d.set_busy(True)
    QApplication.processEvents()
    assert d.widget().minimumSizeHint().width() <= 350
    for w in (d.status_label, d.phase_label, d.progress_bar, d.cancel_button):
        right = w.mapTo(d, w.rect().topRight()).x()
        assert w.isVisibleTo(d) and right < d.width(), w


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory) -> Path:
    """A data directory holding the full-size synthetic product (generated once, cached)."""
    d = tmp_path_factory.mktemp("full_dock")
    (d / "embed_map_310k.tif").symlink_to(product.cached_full_product())
    return d


def _cancel_with_the_button(ctl, task) -> None:
    """Wait until the held task is in the middle of its work, click the dock's Cancel button."""
    wait_for(task.held.is_set, timeout=60)
    d = ctl.dock
    assert d.cancel_button.isEnabled()
    QTest.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton)
    wait_for(lambda: task not in ctl.tasks, timeout=60)


def test_cancel_button_stops_an_uncached_large_grid(controller, full_dir, monkeypatch):
    from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle

    monkeypatch.setattr(controller_mod, "EmbedTask", held(controller_mod.EmbedTask))
    _no_cache_for(full_dir)
    type_folder(controller, str(full_dir))
    wait_for(lambda: controller.data_task is None)
    d = controller.dock
    d.set_output_mode("grid")
    d.expand_spin.setValue(0.0)
    controller.canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    # 100 x 60 degrees: the grid the issue cancelled (400 x 240 pixels, several tiles).
    task = controller.on_rectangle(QgsRectangle(-50.0, -10.0, 50.0, 50.0))
    _cancel_with_the_button(controller, task)
    # The read check that saw the cancel ended it (a whole read makes hundreds of checks).
    assert task.checks_after <= 2, task.checks_after
    assert task.outcome == "cancelled" and task.status() == QgsTask.TaskStatus.Terminated
    assert "nothing was changed" in d.status_label.text()
    assert not [lyr for lyr in QgsProject.instance().mapLayers().values() if "grid" in lyr.name()]


def test_cancel_button_stops_cache_preparation(controller, full_dir, monkeypatch):
    monkeypatch.setattr(controller_mod, "PrepareCacheTask", held(controller_mod.PrepareCacheTask))
    path = full_dir / "embed_map_310k.tif"
    _no_cache_for(full_dir)
    type_folder(controller, str(full_dir))
    wait_for(lambda: controller.data_task is None)
    d = controller.dock
    QTest.mouseClick(d.cache_button, Qt.MouseButton.LeftButton)
    task = next(t for t in controller.tasks if type(t).__name__ == "PrepareCacheTask")
    _cancel_with_the_button(controller, task)
    # Stopped before the end: the blocks still queued were dropped (each block done reports
    # its share of the progress; a preparation that went on would have reached 100 %).
    assert task.progress() < 100.0, task.progress()
    assert task.outcome == "cancelled" and task.status() == QgsTask.TaskStatus.Terminated
    assert not cache_status(str(path))["ready"]


def _wheel(widget) -> None:
    """One notch of the mouse wheel over ``widget``, as a person scrolling the dock."""
    from qgis.PyQt.QtCore import QPoint, QPointF
    from qgis.PyQt.QtGui import QWheelEvent

    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_scrolling_the_dock_never_changes_a_setting(controller):
    d = controller.dock
    d.show()
    combo, spin = d.pooling_combo, d.expand_spin
    before = (combo.currentIndex(), spin.value())
    for w in (combo, spin):
        assert not w.hasFocus()
        _wheel(w)
    QApplication.processEvents()
    assert (combo.currentIndex(), spin.value()) == before
    # Once the user has clicked into a box, the wheel is theirs to change it with.
    combo.setFocus()
    QApplication.processEvents()
    if combo.hasFocus():  # focus needs an active window, which offscreen may not give
        _wheel(combo)
        assert combo.currentIndex() != before[0]


def test_scrolling_over_the_threshold_slider_leaves_it(controller):
    """Found in a real window: scrolling the Explore tab moved the similarity threshold."""
    d = controller.dock
    d.show()
    d.show_explore()
    slider = controller.explore.threshold_slider
    slider.setEnabled(True)
    slider.setValue(500)
    assert not slider.hasFocus()
    _wheel(slider)
    QApplication.processEvents()
    assert slider.value() == 500


def test_a_refused_missing_folder_is_not_offered_for_the_download(controller, tmp_path):
    missing = tmp_path / "no_such_folder"
    type_folder(controller, str(missing))
    wait_for(lambda: controller.data_task is None)
    d = controller.dock
    assert "does not exist" in d.data_check_label.text()
    assert settings.data_dir_setting() == ""
    assert not d.download_button.isVisibleTo(d)


# --------------------------------------------------------------- capture button and map tools


@pytest.fixture()
def canvas(qgis_iface):
    """pytest-qgis's canvas, shown (in its main window) at 800 x 600 pixels, over Europe."""
    from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle

    c = show_canvas(qgis_iface)
    c.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    c.setExtent(QgsRectangle(0.0, 44.0, 20.0, 56.0))
    QApplication.processEvents()
    yield c
    qgis_iface.mainWindow().hide()


def _drag_on_canvas(canvas, p0: tuple[int, int], p1: tuple[int, int]) -> None:
    """Press, move and release the left button on the canvas, as a person drawing a rectangle."""
    from qgis.PyQt.QtCore import QPoint

    view = canvas.viewport()
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*p0))
    QTest.mouseMove(view, QPoint(*p1))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*p1))


def test_capture_button_is_released_after_a_capture_and_starts_the_next_one(
    controller, canvas, europe_dir
):
    from qgis.gui import QgsMapToolPan
    from qgis.PyQt.QtCore import QPoint

    type_folder(controller, str(europe_dir))
    wait_for(lambda: controller.data_task is None)
    pan = QgsMapToolPan(canvas)
    canvas.setMapTool(pan)  # the tool a person had before pressing "Capture on map"
    d = controller.dock
    button = d.capture_button

    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked() and canvas.mapTool() is controller.rect_tool
    _drag_on_canvas(canvas, (200, 150), (400, 350))
    first = controller.current_task
    assert first is not None  # the capture started a task
    # Its rectangle stays drawn while the result is computed, though the tool is released.
    assert controller.rect_tool.band.numberOfVertices() > 0
    # The capture is taken: the button is released and the previous tool is back.
    wait_for(lambda: not button.isChecked(), timeout=10)
    assert canvas.mapTool() is pan
    assert "Capture" in button.text()

    # Pressing it again starts a new capture (it does not silently switch the tool off).
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked() and canvas.mapTool() is controller.rect_tool
    _drag_on_canvas(canvas, (300, 200), (500, 400))
    wait_for(lambda: controller.current_task not in (None, first), timeout=10)
    wait_for(lambda: not button.isChecked(), timeout=10)
    assert canvas.mapTool() is pan
    wait_for(lambda: not controller.tasks)

    # Another QGIS tool chosen while the capture tool is active: the button un-presses.
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked()
    canvas.setMapTool(pan)
    wait_for(lambda: not button.isChecked(), timeout=10)
    # Pressing the pressed button (no capture wanted after all) gives the previous tool back.
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert canvas.mapTool() is controller.rect_tool
    assert d.status_label.text() == "Drag a rectangle on the map."
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isChecked() and canvas.mapTool() is pan
    assert d.status_label.text() == ""  # the prompt went with the tool
    assert controller.rect_tool.band.numberOfVertices() == 0  # the results are in

    # The point capture behaves the same: one click, one task, the previous tool back.
    QTest.mouseClick(d.point_radio, Qt.MouseButton.LeftButton)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked() and canvas.mapTool() is controller.point_tool
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    wait_for(lambda: not button.isChecked(), timeout=10)
    assert controller.current_task is not None and canvas.mapTool() is pan
    wait_for(lambda: not controller.tasks)
    canvas.unsetMapTool(pan)


def test_status_progress_and_cancel_stay_at_the_bottom_with_a_stable_height(controller):
    from qgis.PyQt.QtCore import QPoint

    d = controller.dock
    _show_floating(d, 350, 420)  # shorter than the Embed tab: its content scrolls
    footer = (d.status_label, d.phase_label, d.progress_bar, d.cancel_button)
    for w in footer:
        # Outside the tab's scroll area, inside the dock.
        assert not d.scroll.isAncestorOf(w) and d.isAncestorOf(w) and w.isVisibleTo(d), w
    assert d.scroll.verticalScrollBar().maximum() > 0

    controller.notify("Ready.")
    QApplication.processEvents()
    height = d.status_label.height()
    where = [w.mapTo(d, QPoint(0, 0)) for w in footer]
    long = "The folder /data/" + "a_rather_long_folder_name/" * 12 + " cannot be read. " * 3
    controller.notify(long, Qgis.MessageLevel.Warning)
    QApplication.processEvents()
    # At most two lines, elided; the whole message is the tooltip; the height does not move.
    assert d.status_label.height() == height
    shown = d.status_label.displayed_text()
    assert len(shown.splitlines()) == 2 and shown.endswith("\u2026")
    assert d.status_label.text() == long and d.status_label.toolTip() == long
    assert [w.mapTo(d, QPoint(0, 0)) for w in footer] == where

    # Scrolling the tab's content with the mouse wheel leaves the status where it is.
    for _ in range(5):
        _wheel(d.scroll.viewport())
    QApplication.processEvents()
    assert d.scroll.verticalScrollBar().value() > 0
    assert [w.mapTo(d, QPoint(0, 0)) for w in footer] == where
    for w in footer:
        top_left = w.mapTo(d, QPoint(0, 0))
        assert 0 <= top_left.y() and top_left.y() + w.height() <= d.height(), w


def _bar_messages(iface) -> list[str]:
    """Every message pushed to (pytest-qgis's) message bar, all levels."""
    return [m.replace("\u200b", "") for ms in iface.messageBar().messages.values() for m in ms]


def test_a_refused_folder_keeps_the_one_in_use_shown_and_says_so_once(
    controller, qgis_iface, tmp_path, europe_dir
):
    from qgis.PyQt.QtCore import QPoint
    from qgis.PyQt.QtWidgets import QLabel

    d = controller.dock
    _show_floating(d, 350, 420)
    type_folder(controller, str(europe_dir))
    wait_for(lambda: controller.data_task is None)
    in_use, cache_line = d.data_source_label.text(), d.cache_label.text()
    assert "Using" in in_use and "Fast cache" in cache_line
    status = d.status_label.text()

    missing = tmp_path / "no_such_folder"
    type_folder(controller, str(missing))
    wait_for(lambda: controller.data_task is None)
    assert settings.data_dir_setting() == str(europe_dir)
    # The data line still shows the file in use, with its cache line and button.
    assert d.data_source_label.text() == in_use and d.data_source_label.isVisibleTo(d)
    assert d.cache_label.text() == cache_line and d.cache_button.isVisibleTo(d)
    assert controller.data_report.file == str(europe_dir / "embed_map_310k.tif")
    # The refusal once in the dock (under the field; the status line is not repeated)...
    shown = [w.text().replace("\u200b", "") for w in d.findChildren(QLabel) if w.isVisibleTo(d)]
    assert sum("does not exist" in t for t in shown) == 1, shown
    assert d.status_label.text() == status
    line, view = d.data_check_label, d.scroll.viewport()
    wait_for(lambda: view.rect().contains(line.mapTo(view, QPoint(0, line.height() - 1))), 10)
    # ... and once in QGIS's message bar.
    assert sum(str(missing) in m for m in _bar_messages(qgis_iface)) == 1
    # The typed value stays, marked as refused; editing it removes the mark.
    edit = d.data_edit
    assert edit.text() == str(missing)
    assert edit.property("refused") is True and "not changed" in edit.toolTip()
    QTest.keyClick(edit, Qt.Key.Key_Backspace)
    assert not edit.property("refused") and not d.data_check_label.isVisibleTo(d)
    assert d.data_source_label.text() == in_use
    # Typed back and entered again, it is checked again (and refused again, once more).
    QTest.keyClicks(edit, str(missing)[-1])
    QTest.keyClick(edit, Qt.Key.Key_Return)
    wait_for(lambda: controller.data_task is None and edit.property("refused") is True)
    assert sum(str(missing) in m for m in _bar_messages(qgis_iface)) == 2
    assert d.data_source_label.text() == in_use


def test_a_folder_refused_before_the_start_up_check_ended_leaves_the_one_in_use_shown(
    qgis_iface, qgis_new_project, saved_setting, europe_dir, tmp_path
):
    settings.set_data_dir_setting(str(europe_dir))
    ctl = GuiController(qgis_iface)
    ctl.setup()
    try:
        startup = ctl.data_task
        assert startup is not None  # the check of the saved folder runs (in a task)
        type_folder(ctl, str(tmp_path / "missing"))  # supersedes it
        assert ctl.data_task is not startup
        wait_for(lambda: ctl.data_task is None and ctl.data_report is not None, timeout=30)
        d = ctl.dock
        assert "Using" in d.data_source_label.text()
        assert "does not exist" in d.data_check_label.text()
        assert settings.data_dir_setting() == str(europe_dir)
    finally:
        ctl.teardown()
