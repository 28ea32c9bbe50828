"""Unloading the plugin keeps the user's result layers; temporary folders go (issue 19, 2 and 4).

A real grid is computed through the task manager; the plugin's controller is torn down as
``unload()`` does. Folders of dead QGIS processes are made as a killed QGIS leaves them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest
from qgis.core import QgsApplication, QgsGeometry, QgsProject, QgsRectangle

from rs_embed_qgis import settings
from rs_embed_qgis.core.specs import BBox
from rs_embed_qgis.gui import layers, temp_folders
from rs_embed_qgis.gui.controller import GuiController
from tests.qgis.util import wait_for

WGS84 = "EPSG:4326"


@pytest.fixture()
def data_setting(europe_dir):
    old = settings.data_dir_setting()
    settings.set_data_dir_setting(str(europe_dir))
    yield
    settings.set_data_dir_setting(old)


def test_unload_keeps_grid_layers_and_says_where_their_files_are(
    qgis_iface, qgis_new_project, data_setting
):
    from qgis.core import QgsCoordinateReferenceSystem

    ctl = GuiController(qgis_iface)
    ctl.setup()
    ctl.dock.set_output_mode("grid")
    ctl.dock.expand_spin.setValue(0.0)
    task = ctl.start_embed(
        BBox(5.0, 48.0, 6.0, 49.0),
        QgsGeometry.fromRect(QgsRectangle(5, 48, 6, 49)),
        QgsCoordinateReferenceSystem(WGS84),
    )
    wait_for(lambda: task not in ctl.tasks)
    files = task.result.files
    temp = ctl.temp_dir
    ids = set(QgsProject.instance().mapLayers())
    assert len(ids) == 2
    logged = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda msg, tag, _lvl: logged.append(msg) if tag == "rs_embed" else None
    )
    ctl.teardown()
    # The layers, their group and their files are still there.
    assert set(QgsProject.instance().mapLayers()) == ids
    assert QgsProject.instance().layerTreeRoot().findGroup(layers.GRID_GROUP_NAME) is not None
    assert os.path.isfile(files.grid) and os.path.isfile(files.rgb)
    assert all(lyr.isValid() for lyr in QgsProject.instance().mapLayers().values())
    assert temp in temp_folders.kept_folders()  # removed when QGIS exits
    assert any("removed when QGIS exits" in m and temp in m for m in logged), logged
    QgsProject.instance().removeAllMapLayers()
    temp_folders._remove_kept()  # what QGIS's exit does
    assert not os.path.exists(temp)


def test_unload_removes_unused_temporary_folders(qgis_iface, qgis_new_project, data_setting):
    ctl = GuiController(qgis_iface)
    ctl.setup()
    temp = ctl.temp_dir
    explore = ctl.explore._out_path("similarity")  # the Explore tab's folder, made on use
    folder = os.path.dirname(explore)
    assert os.path.basename(folder).startswith("rs_embed_explore_")
    ctl.teardown()
    assert not os.path.exists(temp)
    assert not os.path.exists(folder)


def test_folders_of_dead_processes_are_reclaimed_at_start(qgis_iface, qgis_new_project):
    # A QGIS that was killed: its folder (with marker) stays, its pid is gone.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from rs_embed_qgis.gui import temp_folders as t;"
        "f = t.make_folder(t.GRID_PREFIX); open(f + '/grid_emb.tif', 'wb').write(b'0' * 4096);"
        "print(f)"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    dead = subprocess.run(
        [sys.executable, "-c", code, root], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert os.path.isdir(dead)
    # Not ours: a folder whose name does not say which process made it.
    stranger = tempfile.mkdtemp(prefix="rs_embed_qgis_")
    logged = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda msg, tag, _lvl: logged.append(msg) if tag == "rs_embed" else None
    )
    ctl = GuiController(qgis_iface)
    ctl.setup()
    try:
        wait_for(lambda: dead not in temp_folders.dead_folders() or not os.path.exists(dead))
        wait_for(lambda: any("left by QGIS sessions" in m for m in logged))
        assert not os.path.exists(dead)
        assert os.path.isdir(stranger)  # not recognisably ours: kept
        assert os.path.isdir(ctl.temp_dir)  # this process's own folder: kept
        assert ctl.reclaim_task is not None  # a task, started a little after setup
        assert any(dead in m for m in logged)
    finally:
        ctl.teardown()
        os.rmdir(stranger)
