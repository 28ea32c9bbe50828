"""Batches of selected features: the product's values, one undo step, nothing half-written.

Expected values never come from the plugin: polygon means from cells clipped with OGR and
weighted by ellipsoidal cell areas, point squares from the ellipsoid's radii and the cell
edges, pixels from tests/product.py's closed form (tests/core/expected.py). Countries are
found by name (feature ids differ between QGIS releases' world_map.gpkg), in a copy of the
GeoPackage made for each test (pytest-qgis) that no canvas render job reads meanwhile.

The questions a batch asks (overwrite, new layer, where to save) are the real dialogs,
answered as a user would: a timer finds the visible window and clicks its button.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
    QgsTask,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from rs_embed_qgis.core.constants import WGS84_A, WGS84_F
from rs_embed_qgis.gui import controller as controller_mod
from rs_embed_qgis.gui import layers
from rs_embed_qgis.gui.tasks import CANCELLED, OK
from tests import product
from tests.conftest import EUROPE
from tests.core.expected import hand_window, polygon_oracle
from tests.qgis.util import fid_of, held, type_folder, wait_for

# Countries entirely inside the europe_dir fixture (lat 40..60, lon -10..30).
EUROPE_NAMES = ["Germany", "Austria", "Czechia", "Switzerland", "Hungary", "Luxembourg"]
# Tolerance of a pooled mean: float32 pixels pooled in another order, float32 weights.
RTOL, ATOL = 1e-6, 5e-6
NAMES = [f"emb_{i:03d}" for i in range(768)]
OVERWRITE = "Overwrite embeddings?"
OTHER_ROUTE = "Write embeddings to a new layer?"
SAVE_AS = "Save embeddings as"
CACHE_QUESTION = "Prepare the fast cache?"


# --------------------------------------------------------------------------- real dialogs

Answer = Callable[[QWidget], None]


class Dialogs:
    """Answers the real dialogs in order, as a user would, and records what each one said.

    A timer polls the visible top-level windows (a modal dialog runs its own event loop,
    so the timer fires while ``exec()`` blocks). Each expected dialog is matched by its
    window title and answered by ``answer(widget)``; any other dialog is recorded in
    ``unexpected`` and rejected, so a wrong question fails the test instead of hanging it.
    """

    def __init__(self) -> None:
        self.expected: list[tuple[str, Answer]] = []
        self.seen: list[dict] = []
        self.unexpected: list[str] = []
        self.timer = QTimer()
        self.timer.timeout.connect(self._poll)
        self.timer.start(20)

    def expect(self, title: str, answer: Answer) -> None:
        self.expected.append((title, answer))

    def _poll(self) -> None:
        # An exception escaping a Qt slot aborts the interpreter (PyQt): record it, close.
        try:
            self._answer_visible()
        except Exception as exc:  # noqa: BLE001
            self.unexpected.append(f"{type(exc).__name__}: {exc}")
            for w in QApplication.topLevelWidgets():
                if isinstance(w, (QMessageBox, QFileDialog)) and w.isVisible():
                    w.reject()

    def _answer_visible(self) -> None:
        for w in QApplication.topLevelWidgets():
            if not isinstance(w, (QMessageBox, QFileDialog)) or not w.isVisible():
                continue
            if self.expected and w.windowTitle() == self.expected[0][0]:
                title, answer = self.expected.pop(0)
                seen = {"title": title}
                if isinstance(w, QMessageBox):
                    seen.update(text=w.text(), informative=w.informativeText())
                    seen["buttons"] = [_plain(b.text()) for b in w.buttons()]
                else:
                    seen["suggested"] = w.selectedFiles()
                self.seen.append(seen)
                answer(w)
            else:
                self.unexpected.append(w.windowTitle())
                w.reject()
            return

    def texts(self) -> list[str]:
        return [d.get("text", "") for d in self.seen]


def _plain(text: str) -> str:
    return text.replace("&", "")


def click_standard(button: QMessageBox.StandardButton) -> Answer:
    return lambda box: box.button(button).click()


def click_text(text: str) -> Answer:
    """Click the push button whose text (mnemonic removed) is ``text``."""

    def answer(box: QWidget) -> None:
        matches = [b for b in box.findChildren(QPushButton) if _plain(b.text()) == text]
        assert len(matches) == 1, [b.text() for b in box.findChildren(QPushButton)]
        matches[0].click()

    return answer


def click_named(name: str) -> Answer:
    return lambda box: box.findChild(QPushButton, name).click()


def save_as(path: Path) -> Answer:
    """Choose ``path`` in the (Qt, non-native) save dialog and click its Save button."""

    def answer(dialog: QWidget) -> None:
        # Type the path in the file name field (selectFile() leaves the field alone once it
        # has the focus, which the dialog gives it at some point after showing).
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        edit.setFocus()
        edit.setText(str(path))
        assert edit.text() == str(path)
        # accept() is protected on a dialog made by getSaveFileName (C++): click as a user.
        box = dialog.findChild(QDialogButtonBox, "buttonBox")
        box.button(QDialogButtonBox.StandardButton.Save).click()

    return answer


@pytest.fixture(autouse=True)
def dialogs():
    """In every test: a dialog nobody expected is rejected and fails the test (never hangs)."""
    d = Dialogs()
    yield d
    d.timer.stop()
    assert not d.unexpected, d.unexpected


@pytest.fixture()
def countries(qgis_countries_layer, qgis_iface, tmp_path, quiet_canvas):
    """The countries of this test's own copy of world_map.gpkg, Europe's selected.

    pytest-qgis's stand-in iface puts every project layer on its canvas, whose render jobs
    then read the GeoPackage in other threads while the test edits and reads it (a
    getFeature() once came back invalid: KeyError 'NAME'): the canvas is quiet here.
    """
    layer = qgis_countries_layer
    assert Path(layer.source().split("|")[0]).is_relative_to(tmp_path)  # a per-test copy
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    layer.selectByIds(europe_fids(layer))
    return layer


def europe_fids(layer) -> list[int]:
    return [fid_of(layer, n) for n in EUROPE_NAMES]


def in_europe(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cells held by the europe_dir fixture file."""
    return (rows >= EUROPE[0]) & (rows < EUROPE[1]) & (cols >= EUROPE[2]) & (cols < EUROPE[3])


def expected_vectors(layer, fids, pooling="mean", fracs=None):
    """{fid: pooled vector} of polygons, from the independent oracle (the layer is EPSG:4326)."""
    assert layer.crs().authid() == "EPSG:4326"
    out = {}
    for f in layer.getFeatures(QgsFeatureRequest().setFilterFids(list(fids))):
        vec, frac = polygon_oracle(f.geometry().asWkt(17), pooling, in_europe)
        out[f.id()] = vec
        if fracs is not None:
            fracs[f.id()] = frac
    return out


def buffer_box(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """The square of +-metres around a point, from the ellipsoid's radii of curvature."""
    e2 = WGS84_F * (2 - WGS84_F)
    s = np.sin(np.radians(lat))
    n = WGS84_A / np.sqrt(1 - e2 * s * s)  # prime vertical
    m = WGS84_A * (1 - e2) / (1 - e2 * s * s) ** 1.5  # meridian
    dlon = np.degrees(metres / (n * np.cos(np.radians(lat))))
    dlat = np.degrees(metres / m)
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def point_oracle(lon: float, lat: float, metres: float, expand_deg: float) -> np.ndarray:
    """Mean of the land pixels of the square around a point, snapped outward to the cells.

    "Expand to" (the seed's expand_deg): a side shorter than ``expand_deg`` becomes
    ``expand_deg`` long around the point; a longer side is kept.
    """
    x0, y0, x1, y1 = buffer_box(lon, lat, metres)
    if x1 - x0 < expand_deg:
        x0, x1 = lon - expand_deg / 2, lon + expand_deg / 2
    if y1 - y0 < expand_deg:
        y0, y1 = lat - expand_deg / 2, lat + expand_deg / 2
    r0, r1, c0, c1 = hand_window(x0, y0, x1, y1)
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    keep = product.land_mask(rr, cc) & in_europe(rr, cc)
    return product.pixel_values(rr[keep], cc[keep]).astype(np.float64).mean(axis=0)


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


def test_batch_writes_the_products_values_as_one_undo_step(controller, countries):
    n_fields = countries.fields().count()
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    assert countries.isEditable()  # left in edit mode: the user saves or undoes
    assert countries.fields().count() == n_fields + 769  # emb_000..767 + emb_valid_frac
    fids = europe_fids(countries)
    fracs = {}
    expected = expected_vectors(countries, fids, fracs=fracs)
    got = layer_vectors(countries, fids)
    for fid in fids:
        np.testing.assert_allclose(got[fid], expected[fid], rtol=RTOL, atol=ATOL)
        assert countries.getFeature(fid)["emb_valid_frac"] == pytest.approx(fracs[fid], abs=1e-9)
    # Part of the synthetic Europe is ocean: some countries are all land, some are not.
    assert fracs[fid_of(countries, "Czechia")] == pytest.approx(1.0)
    assert min(fracs.values()) < 1.0
    # Unselected features got NULLs in the new fields.
    other = next(f for f in countries.getFeatures() if f.id() not in fids)
    assert other["emb_000"] == NULL
    # One undo step removes everything.
    stack = countries.undoStack()
    assert stack.count() == 1
    stack.undo()
    assert countries.fields().count() == n_fields
    assert countries.rollBack()


def test_batch_keeps_pending_edits(controller, countries, europe_dir):
    germany = fid_of(countries, "Germany")
    countries.startEditing()
    idx = countries.fields().indexOf("NAME")
    countries.changeAttributeValue(germany, idx, "Deutschland (pending)")
    assert countries.undoStack().count() == 1
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    assert countries.getFeature(germany)["NAME"] == "Deutschland (pending)"
    assert countries.undoStack().count() == 2
    countries.undoStack().undo()  # our step only
    assert countries.getFeature(germany)["NAME"] == "Deutschland (pending)"
    assert "emb_000" not in countries.fields().names()
    assert countries.isEditable()
    countries.rollBack()


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory) -> Path:
    """A data directory holding the full-size synthetic product (generated once, cached)."""
    d = tmp_path_factory.mktemp("full_layers")
    (d / product.PRODUCT_NAME).symlink_to(product.cached_full_product())
    return d


def _type_folder(ctl, path: str) -> None:
    """Type the data directory into the dock as a user does, press Enter, wait for the check."""
    type_folder(ctl, path)
    wait_for(lambda: ctl.data_task is None and ctl.dock.data_dir() == path, timeout=60)


def test_cancel_button_stops_a_long_batch_and_leaves_the_layer_unchanged(
    controller, countries, full_dir, dialogs, monkeypatch
):
    from rs_embed_qgis.core.cache import clear_cache

    monkeypatch.setattr(controller_mod, "BatchEmbedTask", held(controller_mod.BatchEmbedTask))
    clear_cache(str(full_dir / product.PRODUCT_NAME))  # uncached: every feature is a slow read
    d = controller.dock
    d.show()
    _type_folder(controller, str(full_dir))
    rep = controller.data_report
    assert rep.usable and Path(rep.file).resolve() == product.cached_full_product().resolve()
    assert not rep.cache["ready"]
    countries.selectAll()  # every country of the world, Russia and Canada included
    n = countries.selectedFeatureCount()
    assert n > 100
    before = snapshot(countries)
    dialogs.expect(CACHE_QUESTION, click_named("RsEmbedReadDirectly"))
    task = controller.embed_selected()
    assert task is not None and task.prepare_cache is False
    assert f"{n} features" in dialogs.texts()[0]
    wait_for(task.held.is_set, timeout=60)  # the workers wait at a cancel check
    assert task in controller.tasks  # still running when the user clicks
    assert d.cancel_button.isEnabled()
    QTest.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton)
    wait_for(lambda: task not in controller.tasks, timeout=60)  # (how fast: make bench)
    assert task.outcome == CANCELLED, task.details
    assert task.progress() < 100.0  # stopped before the end (the features are reported)
    # QGIS's own task manager sees a terminated task, not a finished one.
    assert task.status() == QgsTask.TaskStatus.Terminated
    assert snapshot(countries) == before
    assert countries.fields().count() == 7
    assert "nothing was changed" in d.status_label.text()
    assert not d.cancel_button.isEnabled()


def test_a_batch_that_built_the_cache_shows_it_in_the_dock(
    controller, countries, europe_dir, dialogs, tmp_path, monkeypatch
):
    """Found in a real window: the dock still offered "Prepare fast cache" afterwards."""
    import shutil

    from rs_embed_qgis.core import cache_paths

    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(europe_dir / product.PRODUCT_NAME, data / product.PRODUCT_NAME)
    d = controller.dock
    d.show()
    _type_folder(controller, str(data))
    assert not controller.data_report.cache["ready"]
    assert d.cache_label.text().startswith("Fast cache not prepared")
    countries.selectAll()
    dialogs.expect(CACHE_QUESTION, click_named("RsEmbedBuildCache"))
    task = run_batch(controller)
    assert task.outcome == OK and task.prepare_cache
    wait_for(lambda: controller.data_task is None and controller.data_report.cache["ready"])
    assert not d.cache_label.text().startswith("Fast cache not prepared")
    countries.rollBack()


def test_error_while_writing_leaves_the_layer_as_it_was(countries):
    de, at = fid_of(countries, "Germany"), fid_of(countries, "Austria")
    countries.startEditing()
    countries.changeAttributeValue(at, countries.fields().indexOf("NAME"), "pending")
    before = snapshot(countries)
    good = np.ones(768, dtype=np.float32)
    with pytest.raises(ValueError):
        layers.write_embeddings_to_layer(countries, {de: good, at: np.ones(5)})
    assert snapshot(countries) == before
    assert countries.undoStack().count() == 1
    countries.rollBack()
    # A layer not in edit mode is rolled back out of it.
    before = snapshot(countries)
    with pytest.raises(ValueError):
        layers.write_embeddings_to_layer(countries, {de: good, at: np.ones(5)})
    assert snapshot(countries) == before


def test_existing_fields_are_overwritten_only_when_agreed(
    controller, countries, europe_dir, dialogs
):
    assert run_batch(controller).outcome == OK
    assert not dialogs.seen  # new fields: nothing to ask
    assert countries.commitChanges()
    fids = europe_fids(countries)
    de = fid_of(countries, "Germany")
    mean = layer_vectors(countries, fids)
    controller.dock.pooling_combo.setCurrentIndex(controller.dock.pooling_combo.findData("max"))
    dialogs.expect(OVERWRITE, click_standard(QMessageBox.StandardButton.No))
    assert controller.embed_selected() is None
    assert not dialogs.expected
    told = dialogs.seen[0]
    assert sorted(told["buttons"]) == ["No", "Yes"]
    assert told["text"].startswith(f"{countries.name()} already has 769 embedding fields (emb_000")
    assert not countries.isEditable()
    assert controller.dock.status_label.text() == (
        "Nothing was written: the existing embeddings were kept."
    )
    np.testing.assert_array_equal(layer_vectors(countries, fids)[de], mean[de])

    dialogs.expect(OVERWRITE, click_standard(QMessageBox.StandardButton.Yes))
    assert run_batch(controller).outcome == OK
    assert len(dialogs.seen) == 2 and dialogs.seen[1]["text"] == told["text"]
    expected = expected_vectors(countries, fids, pooling="max")
    got = layer_vectors(countries, fids)
    for fid in fids:
        np.testing.assert_array_equal(got[fid], expected[fid])
        assert (got[fid] >= mean[fid] - 1e-6).all()
    assert (got[de] > mean[de] + 0.1).any()  # the max replaced the mean
    assert countries.fields().count() == 7 + 769
    countries.rollBack()


def test_undo_of_an_overwrite_restores_saved_and_pending_values(countries):
    """The old values handed to QGIS (for a fast undo) are the saved and pending ones."""
    de, at, cz = (fid_of(countries, n) for n in ("Germany", "Austria", "Czechia"))
    fids = [de, at, cz]
    saved = {
        fid: np.full(768, k + 1, dtype=np.float32) + np.arange(768) / 1024
        for k, fid in enumerate(fids)
    }
    layers.write_embeddings_to_layer(countries, saved)
    saved[cz] = None  # written as NULLs
    layers.write_embeddings_to_layer(countries, {cz: None})
    assert countries.commitChanges()
    countries.startEditing()
    i7 = countries.fields().indexOf("emb_007")
    countries.changeAttributeValue(at, i7, -7.5)  # a pending edit the user made
    newer = {fid: np.full(768, -1.0, dtype=np.float32) for fid in fids}
    layers.write_embeddings_to_layer(countries, newer)
    assert layer_vectors(countries, fids)[cz][0] == -1.0
    countries.undoStack().undo()  # our write only
    got = layer_vectors(countries, [de, at])
    np.testing.assert_array_equal(got[de], saved[de])
    expected_at = saved[at].astype(float)
    expected_at[7] = -7.5
    np.testing.assert_array_equal(got[at], expected_at)
    assert countries.getFeature(cz)["emb_000"] == NULL
    countries.undoStack().undo()  # the user's edit
    assert countries.getFeature(at)["emb_007"] == pytest.approx(saved[at][7])
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
    controller, countries, europe_dir, tmp_path, qgis_iface, dialogs
):
    few = [fid_of(countries, n) for n in ("Germany", "Austria", "Switzerland")]
    shp = _shapefile(countries, few, tmp_path / "few.shp")
    QgsProject.instance().addMapLayer(shp)
    qgis_iface.setActiveLayer(shp)
    shp.selectAll()
    dialogs.expect(OTHER_ROUTE, click_text("New memory layer"))
    assert "255" in layers.capacity_problem(shp, NAMES)
    before = snapshot(shp)
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    # What the user was told: which layer, why it cannot hold the fields, and the choices.
    (told,) = dialogs.seen
    assert told["text"] == (
        "few countries cannot hold 768 more fields: ESRI Shapefile holds at most 255 fields; "
        f"the layer has {shp.fields().count()} and needs 769 more."
    )
    assert told["buttons"][:2] == ["New memory layer", "New GeoPackage..."]
    assert "Cancel" in told["buttons"]
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
    expected = expected_vectors(shp, [f.id() for f in shp.getFeatures()])
    by_name = {f["NAME"]: f for f in shp.getFeatures()}
    assert sorted(f["NAME"] for f in mem.getFeatures()) == ["Austria", "Germany", "Switzerland"]
    for f in mem.getFeatures():
        src = by_name[f["NAME"]]
        np.testing.assert_allclose(
            [f[n] for n in NAMES], expected[src.id()], rtol=RTOL, atol=ATOL, err_msg=f["NAME"]
        )
        assert f.geometry().equals(src.geometry())


def test_read_only_layer_gets_a_new_geopackage(
    controller, countries, europe_dir, tmp_path, dialogs
):
    countries.setReadOnly(True)
    target = tmp_path / "out.gpkg"
    dialogs.expect(OTHER_ROUTE, click_text("New GeoPackage..."))
    dialogs.expect(SAVE_AS, save_as(target))
    assert layers.capacity_problem(countries, NAMES) == "The layer is read-only."
    before = snapshot(countries)
    task = run_batch(controller)
    assert task.outcome == OK, task.details
    route, save = dialogs.seen
    assert task.plan.path == str(target)  # the path typed in the save dialog
    assert route["text"] == (
        f"{countries.name()} cannot hold 768 more fields: The layer is read-only."
    )
    # The save dialog suggested "<layer name>_embeddings.gpkg".
    assert [Path(p).name for p in save["suggested"]] == [f"{countries.name()}_embeddings.gpkg"]
    assert snapshot(countries) == before
    gpkg = QgsVectorLayer(f"{target}|layername=Natural Earth Countries embeddings", "x", "ogr")
    assert gpkg.isValid()
    assert gpkg.featureCount() == len(EUROPE_NAMES)
    assert NAMES[0] in gpkg.fields().names() and NAMES[-1] in gpkg.fields().names()
    fids = europe_fids(countries)
    expected = expected_vectors(countries, fids)
    names = dict(zip(EUROPE_NAMES, fids, strict=True))
    assert sorted(f["NAME"] for f in gpkg.getFeatures()) == sorted(EUROPE_NAMES)
    for f in gpkg.getFeatures():
        np.testing.assert_allclose(
            [f[n] for n in NAMES], expected[names[f["NAME"]]], rtol=RTOL, atol=ATOL
        )
    added = [
        lyr for lyr in QgsProject.instance().mapLayers().values() if lyr.source() == gpkg.source()
    ]
    assert len(added) == 1


def test_cancelled_dialog_writes_nothing(controller, countries, dialogs):
    countries.setReadOnly(True)
    dialogs.expect(OTHER_ROUTE, click_standard(QMessageBox.StandardButton.Cancel))
    n = len(QgsProject.instance().mapLayers())
    assert controller.embed_selected() is None
    assert len(dialogs.seen) == 1 and "read-only" in dialogs.texts()[0]
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
    expand = controller.dock.expand_deg()
    assert expand == 1.0  # the dock's default: the core expands PointBuffers by it
    places = {"a": (10.0, 50.0), "b": (2.1, 48.9), "c": (16.4, 48.2)}
    for f in pts.getFeatures():
        want = point_oracle(*places[f["name"]], 15_000.0, expand)
        got = np.array([f[n] for n in NAMES], dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f["name"])
    assert task.buffer_m == 15_000.0
