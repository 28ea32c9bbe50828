"""The dock's tasks, via the real task manager and synchronously: grids and samples land right.

Expected values come from the fixture's closed form (tests/product.py) over windows worked
out by hand (floor/ceil on the cell edges), never from the plugin's own results.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import rasterio
from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsTask,
)
from rasterio.windows import Window

from rs_embed_qgis import settings
from rs_embed_qgis.core import BBox, OutputSpec, PointBuffer, TemporalSpec, get_embedding
from rs_embed_qgis.core.constants import WGS84_A, WGS84_F
from rs_embed_qgis.core.errors import DataNotFoundError
from rs_embed_qgis.gui import layers
from rs_embed_qgis.gui.controller import GuiController
from rs_embed_qgis.gui.tasks import CANCELLED, ERROR, OK, EmbedTask, PrepareCacheTask
from tests import product
from tests.core.expected import hand_window, no_outbound_network  # noqa: F401 - autouse
from tests.qgis.util import wait_for

FILE_ROW0, FILE_COL0 = 120, 680  # europe_dir's window of the global grid
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


# A request over the full-size product that reads about 1 GB: long enough to cancel.
LONG_READ = BBox(-170.0, 0.0, 170.0, 60.0)


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory) -> str:
    """A data directory holding the full-size synthetic product (generated once, cached)."""
    d = tmp_path_factory.mktemp("full")
    (d / "embed_map_310k.tif").symlink_to(product.cached_full_product())
    return str(d)


def closed_form(r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """(h*w, 768) float64 pixels of a window, zero where the fixture is ocean."""
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    v = product.pixel_values(rr, cc).astype(np.float64)
    v[~product.land_mask(rr, cc)] = 0.0
    return v.reshape(-1, 768)


def buffer_box(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """The square of +-metres around a point, from the ellipsoid's radii of curvature."""
    e2 = WGS84_F * (2 - WGS84_F)
    s = np.sin(np.radians(lat))
    n = WGS84_A / np.sqrt(1 - e2 * s * s)  # prime vertical
    m = WGS84_A * (1 - e2) / (1 - e2 * s * s) ** 1.5  # meridian
    dlon = np.degrees(metres / (n * np.cos(np.radians(lat))))
    dlat = np.degrees(metres / m)
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)


@pytest.fixture()
def data_setting(europe_dir):
    old = settings.data_dir_setting()
    settings.set_data_dir_setting(str(europe_dir))
    yield europe_dir
    settings.set_data_dir_setting(old)


@pytest.fixture()
def controller(qgis_iface, qgis_new_project, data_setting):
    ctl = GuiController(qgis_iface)
    ctl.setup()
    yield ctl
    ctl.teardown()


def _fixture_pixels(europe_dir, row0, row1, col0, col1) -> np.ndarray:
    """(768, h, w) read with rasterio from the fixture file, in global indices."""
    with rasterio.open(europe_dir / "embed_map_310k.tif") as src:
        return src.read(window=Window(col0 - FILE_COL0, row0 - FILE_ROW0, col1 - col0, row1 - row0))


def _layer_band(layer: QgsRasterLayer, band: int) -> np.ndarray:
    p = layer.dataProvider()
    block = p.block(band, layer.extent(), layer.width(), layer.height())
    arr = np.frombuffer(bytes(block.data()), dtype=np.float32)
    return arr.reshape(layer.height(), layer.width())


def _check_grid_layers(rgb, grid, europe_dir, rows, cols) -> None:
    (r0, r1), (c0, c1) = rows, cols
    assert grid.bandCount() == 768
    assert grid.crs().authid() == "EPSG:4326"
    assert (grid.width(), grid.height()) == (c1 - c0, r1 - r0)
    ext = grid.extent()
    assert ext.xMinimum() == pytest.approx(-180.125 + 0.25 * c0)
    assert ext.xMaximum() == pytest.approx(-180.125 + 0.25 * c1)
    assert ext.yMaximum() == pytest.approx(90.125 - 0.25 * r0)
    assert ext.yMinimum() == pytest.approx(90.125 - 0.25 * r1)
    assert grid.rasterUnitsPerPixelX() == pytest.approx(0.25)
    assert "emb_000" in grid.bandName(1)
    assert "emb_767" in grid.bandName(768)
    expected = _fixture_pixels(europe_dir, r0, r1, c0, c1)
    for band in (1, 2, 384, 768):
        np.testing.assert_array_equal(_layer_band(grid, band), expected[band - 1])
    # The companion PCA layer: same georeference, 4 bands, transparent where the fixture is empty.
    assert rgb.bandCount() == 4
    assert rgb.extent() == ext
    root = QgsProject.instance().layerTreeRoot()
    assert root.findLayer(rgb.id()).isVisible()
    assert not root.findLayer(grid.id()).itemVisibilityChecked()
    assert root.findLayer(rgb.id()).parent() is root.findLayer(grid.id()).parent()
    md = grid.metadata().abstract()
    assert "copernicus_embed" in md and "Year: 2021" in md


def test_grid_task_through_task_manager(controller, europe_dir):
    controller.dock.set_output_mode("grid")
    controller.dock.expand_spin.setValue(0.0)
    spec = BBox(5.0, 48.0, 10.0, 52.0)
    n_before = len(QgsProject.instance().mapLayers())
    task = controller.start_embed(spec, QgsGeometry.fromRect(QgsRectangle(5, 48, 10, 52)), WGS84)
    assert task.request.spec == spec
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == OK, task.details
    new = [
        lyr for lyr in QgsProject.instance().mapLayers().values() if isinstance(lyr, QgsRasterLayer)
    ]
    assert len(QgsProject.instance().mapLayers()) == n_before + 2
    rgb = next(lyr for lyr in new if lyr.bandCount() == 4)
    grid = next(lyr for lyr in new if lyr.bandCount() == 768)
    # Box 5..10 E, 48..52 N snapped outward to the pixel edges: rows 152..169, cols 740..761.
    _check_grid_layers(rgb, grid, europe_dir, (152, 169), (740, 761))
    assert grid.source().startswith(controller.temp_dir)
    # The PCA layer is transparent exactly where the product is empty (none here: all land).
    alpha = _layer_band_u8(rgb, 4)
    assert alpha.min() == 255
    # The user hides the grids' group; the next grid shows it again (else nothing is seen).
    group = QgsProject.instance().layerTreeRoot().findGroup(layers.GRID_GROUP_NAME)
    group.setItemVisibilityChecked(False)
    task = controller.start_embed(spec, QgsGeometry.fromRect(QgsRectangle(5, 48, 10, 52)), WGS84)
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == OK and group.isVisible()


def _layer_band_u8(layer: QgsRasterLayer, band: int) -> np.ndarray:
    block = layer.dataProvider().block(band, layer.extent(), layer.width(), layer.height())
    return np.frombuffer(bytes(block.data()), dtype=np.uint8).reshape(layer.height(), layer.width())


def test_grid_task_synchronously_with_ocean(qgis_new_project, europe_dir, tmp_path):
    # The coast checkerboard: lat 40..45, lon 0..5 alternates 2x2 land and ocean squares.
    spec = BBox(0.0, 41.0, 3.0, 43.0)
    task = EmbedTask(spec, OutputSpec.grid(), str(europe_dir), 0.0, grid_folder=str(tmp_path))
    got = []
    task.done.connect(got.append)
    ok = task.run()
    task.finished(ok)
    assert ok and got == [task] and task.outcome == OK
    rgb, grid = layers.add_grid_layers(task.result.files, QgsProject.instance())
    rows, cols = (188, 197), (720, 733)
    _check_grid_layers(rgb, grid, europe_dir, rows, cols)
    rr, cc = np.meshgrid(np.arange(*rows), np.arange(*cols), indexing="ij")
    land = product.land_mask(rr, cc)
    assert 0 < land.sum() < land.size
    np.testing.assert_array_equal(_layer_band_u8(rgb, 4), np.where(land, 255, 0))


def test_pooled_point_sample_through_task_manager(controller, europe_dir):
    controller.dock.set_output_mode("pooled")
    controller.dock.set_capture_mode("point")
    controller.dock.set_buffer_m(20_000.0)
    controller.dock.expand_spin.setValue(0.0)
    # The canvas is in EPSG:3857: the controller goes through bridge.point_to_spec.
    canvas = controller.canvas
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    from qgis.core import QgsCoordinateTransform

    ct = QgsCoordinateTransform(WGS84, canvas.mapSettings().destinationCrs(), QgsProject.instance())
    pt = ct.transform(QgsPointXY(12.0, 50.0))
    task = controller.on_point(pt)
    assert isinstance(task.spec, PointBuffer)
    assert (task.spec.lon, task.spec.lat) == pytest.approx((12.0, 50.0))
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == OK, task.details
    layer = layers.samples_layer(QgsProject.instance(), "point", create=False)
    assert layer is not None and layer.name() == layers.SAMPLES_POINTS_NAME
    assert layer.crs() == QgsProject.instance().crs()
    feats = list(layer.getFeatures())
    assert len(feats) == 1
    f = feats[0]
    # Independent expectation: the 20 km square around 12 E 50 N (0.28 x 0.18 degrees)
    # snapped outward to the cell edges, mean of the closed-form pixels (all land).
    r0, r1, c0, c1 = hand_window(*buffer_box(12.0, 50.0, 20_000.0))
    assert (r0, r1, c0, c1) == (159, 162, 767, 770)
    px = closed_form(r0, r1, c0, c1)
    vec = np.array([f[f"emb_{i:03d}"] for i in range(768)])
    np.testing.assert_allclose(vec, px.mean(axis=0), rtol=1e-6, atol=1e-6)
    assert f["year"] == 2021 and f["pooling"] == "mean" and f["valid_frac"] == 1.0
    minlon, minlat, maxlon, maxlat = (float(v) for v in f["bbox"].split(","))
    assert (minlon, maxlat) == (-180.125 + 0.25 * c0, 90.125 - 0.25 * r0)
    # Geometry: the clicked point, in the project CRS.
    ctp = QgsCoordinateTransform(
        canvas.mapSettings().destinationCrs(), layer.crs(), QgsProject.instance()
    )
    exp = ctp.transform(pt)
    assert f.geometry().asPoint().x() == pytest.approx(exp.x())
    assert f.geometry().asPoint().y() == pytest.approx(exp.y())


def test_rectangle_sample_max_pooling_and_replace(controller, full_dir):
    settings.set_data_dir_setting(full_dir)
    controller.dock.set_output_mode("pooled")
    controller.dock.pooling_combo.setCurrentIndex(controller.dock.pooling_combo.findData("max"))
    controller.dock.expand_spin.setValue(0.0)
    controller.canvas.setDestinationCrs(WGS84)
    r = LONG_READ
    first = controller.on_rectangle(QgsRectangle(r.minlon, r.minlat, r.maxlon, r.maxlat))
    wait_for(lambda: first.progress() > 0, timeout=60)  # reading its ~1 GB
    second = controller.on_rectangle(QgsRectangle(0.0, 41.0, 3.0, 43.0))  # replaces the first
    wait_for(lambda: not controller.tasks)
    assert first.outcome == CANCELLED
    assert second.outcome == OK, second.details
    layer = layers.samples_layer(QgsProject.instance(), "rectangle", create=False)
    feats = list(layer.getFeatures())
    assert len(feats) == 1  # nothing from the cancelled task
    f = feats[0]
    # 0..3 E, 41..43 N snapped outward: rows 188..196, cols 720..732 (Catalonia and the sea).
    r0, r1, c0, c1 = hand_window(0.0, 41.0, 3.0, 43.0)
    assert (r0, r1, c0, c1) == (188, 197, 720, 733)
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    land = product.world_land_mask(rr, cc)  # the full-size file has the world mask
    assert 0 < land.sum() < land.size
    want = product.pixel_values(rr[land], cc[land]).max(axis=0)
    vec = np.array([f[f"emb_{i:03d}"] for i in range(768)])
    np.testing.assert_array_equal(vec.astype(np.float32), want)
    assert f["pooling"] == "max"
    assert f["valid_frac"] == pytest.approx(land.mean())
    assert f.geometry().boundingBox() == QgsRectangle(0.0, 41.0, 3.0, 43.0)


def test_error_goes_to_message_bar_and_log(controller, tmp_path, qgis_iface):
    settings.set_data_dir_setting(str(tmp_path / "nothing_here"))
    controller.dock.set_output_mode("pooled")
    task = controller.start_embed(
        BBox(5.0, 48.0, 6.0, 49.0), QgsGeometry.fromRect(QgsRectangle(5, 48, 6, 49)), WGS84
    )
    assert task.data_dir == str(tmp_path / "nothing_here")
    wait_for(lambda: task not in controller.tasks)
    assert task.outcome == ERROR
    assert isinstance(task.exception, DataNotFoundError)
    text = str(task.exception)
    assert "embed_map_310k.tif" in text
    msgs = qgis_iface.messageBar().get_messages(Qgis.Critical)
    assert msgs[-1] == f"Copernicus-Embed:{text}"
    assert controller.dock.status_label.text() == text
    assert task.details == ""  # an expected failure: the log gets the sentence, no traceback
    assert layers.samples_layer(QgsProject.instance(), "rectangle", create=False) is None


def test_prepare_cache_task(tmp_path):
    product.write_product(tmp_path / "embed_map_310k.tif", 140, 150, 700, 720)
    from rs_embed_qgis.core import cache_status

    path = str(tmp_path / "embed_map_310k.tif")
    assert not cache_status(path)["ready"]
    task = PrepareCacheTask(path)
    QgsApplication.taskManager().addTask(task)
    done = []
    task.done.connect(done.append)
    wait_for(lambda: done)
    assert task.outcome == OK, task.details
    st = cache_status(path)
    assert st["ready"] and st["bytes"] == 10 * 20 * 768 * 4
    assert task.result["folder"] == st["folder"]


def test_many_tasks_in_a_row_on_reused_worker_threads(europe_dir):
    """pyproj crashes a reused QThreadPool thread (pyproj 1509/1622); tasks must survive it."""
    outcomes = []
    for k in range(5):
        task = EmbedTask(
            BBox(5.0 + k, 48.0, 6.0 + k, 49.0), OutputSpec.pooled(), str(europe_dir), 0.0
        )
        task.done.connect(lambda t: outcomes.append((t.outcome, t.result)))
        QgsApplication.taskManager().addTask(task)
        wait_for(lambda k=k: len(outcomes) == k + 1)
    assert [o for o, _ in outcomes] == [OK] * 5
    for k, (_, res) in enumerate(outcomes):
        # 5+k .. 6+k E, 48..49 N snapped outward: rows 164..168, cols 740+4k .. 744+4k.
        r0, r1, c0, c1 = hand_window(5.0 + k, 48.0, 6.0 + k, 49.0)
        assert (r0, r1, c0, c1) == (164, 169, 740 + 4 * k, 745 + 4 * k)
        np.testing.assert_allclose(
            res.embedding.data, closed_form(r0, r1, c0, c1).mean(axis=0), rtol=1e-6, atol=1e-6
        )


def test_samples_stay_above_grids(qgis_new_project, europe_dir, tmp_path):
    project = QgsProject.instance()

    def grid_files():
        task = EmbedTask(
            BBox(5.0, 48.0, 6.0, 49.0), OutputSpec.grid(), str(europe_dir), 0.0, str(tmp_path)
        )
        assert task.run()
        return task.result.files

    layers.add_grid_layers(grid_files(), project)
    emb = get_embedding(
        spatial=BBox(5.0, 48.0, 6.0, 49.0),
        temporal=TemporalSpec.year(2021),
        data_dir=str(europe_dir),
        download=False,
    )
    pt = QgsGeometry.fromPointXY(QgsPointXY(5.5, 48.5))
    sample_layer, _ = layers.add_sample(project, pt, WGS84, emb)
    layers.add_grid_layers(grid_files(), project)
    root = project.layerTreeRoot()
    names = [n.name() for n in root.children()]
    assert names == [layers.SAMPLES_POINTS_NAME, layers.GRID_GROUP_NAME]
    assert len(root.findGroup(layers.GRID_GROUP_NAME).children()) == 2
    # Removing the temporary layers of a folder takes the grids and their groups, not samples.
    assert layers.remove_temporary_layers(project, str(tmp_path)) == 4
    assert [n.name() for n in root.children()] == [layers.SAMPLES_POINTS_NAME]
    assert sample_layer.featureCount() == 1


def test_open_samples_table(controller, europe_dir, qgis_iface, monkeypatch):
    shown = []
    monkeypatch.setattr(qgis_iface, "showAttributeTable", shown.append, raising=False)
    controller.open_samples_table()  # nothing yet: says so
    assert shown == [] and "No samples yet" in controller.dock.status_label.text()
    controller.dock.set_output_mode("pooled")
    controller.canvas.setDestinationCrs(WGS84)
    task = controller.on_rectangle(QgsRectangle(5.0, 48.0, 6.0, 49.0))
    wait_for(lambda: task not in controller.tasks)
    controller.open_samples_table()
    assert [lyr.name() for lyr in shown] == [layers.SAMPLES_RECTANGLES_NAME]
    assert shown[0].featureCount() == 1


def test_cancel_a_single_large_read_through_the_task_manager(qgis_new_project, full_dir, tmp_path):
    """QgsTask.cancel() during one ~1 GB grid read: cancelled within 2 s, no file written."""
    folder = tmp_path / "grids"
    folder.mkdir()
    task = EmbedTask(LONG_READ, OutputSpec.grid(), full_dir, 0.0, grid_folder=str(folder))
    done = []
    task.done.connect(done.append)
    QgsApplication.taskManager().addTask(task)
    wait_for(lambda: task.progress() > 0, timeout=60)  # in the read
    assert task.status() == QgsTask.TaskStatus.Running
    t0 = time.monotonic()
    task.cancel()
    wait_for(lambda: done, timeout=30)
    assert time.monotonic() - t0 < 2.0
    assert task.outcome == CANCELLED and task.result is None and task.exception is None
    assert list(folder.iterdir()) == []


def test_unload_while_a_task_runs(qgis_iface, qgis_new_project, full_dir):
    old = settings.data_dir_setting()
    settings.set_data_dir_setting(full_dir)
    try:
        ctl = GuiController(qgis_iface)
        ctl.setup()
        ctl.dock.set_output_mode("grid")
        ctl.dock.expand_spin.setValue(0.0)
        r = LONG_READ
        first = ctl.start_embed(
            r, QgsGeometry.fromRect(QgsRectangle(r.minlon, r.minlat, r.maxlon, r.maxlat)), WGS84
        )
        wait_for(lambda: first.progress() > 0, timeout=60)  # the real read has started
        temp = ctl.temp_dir
        t0 = time.monotonic()
        ctl.teardown()
        # Well under the teardown's own 10 s wait: the read saw the cancel.
        assert time.monotonic() - t0 < 2.0
        wait_for(lambda: first.outcome != "", timeout=30)  # finished() ran on this thread
        assert first.outcome == CANCELLED
        assert not os.path.exists(temp)
        assert ctl.dock is None and not ctl.tasks
        # Nothing was added by the cancelled task after unload.
        assert not [
            lyr
            for lyr in QgsProject.instance().mapLayers().values()
            if isinstance(lyr, QgsRasterLayer)
        ]
    finally:
        settings.set_data_dir_setting(old)


def test_unload_removes_the_temporary_grid_layers(qgis_iface, qgis_new_project, data_setting):
    ctl = GuiController(qgis_iface)
    ctl.setup()
    ctl.dock.set_output_mode("grid")
    ctl.dock.expand_spin.setValue(0.0)
    task = ctl.start_embed(
        BBox(5.0, 48.0, 6.0, 49.0), QgsGeometry.fromRect(QgsRectangle(5, 48, 6, 49)), WGS84
    )
    wait_for(lambda: task not in ctl.tasks)
    files = task.result.files
    assert os.path.isfile(files.grid) and os.path.isfile(files.rgb)
    assert len(QgsProject.instance().mapLayers()) == 2
    ctl.teardown()
    assert QgsProject.instance().mapLayers() == {}
    assert not os.path.exists(files.grid)
    assert QgsProject.instance().layerTreeRoot().findGroup(layers.GRID_GROUP_NAME) is None
