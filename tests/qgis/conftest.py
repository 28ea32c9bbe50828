"""Fixtures shared by the GUI tests (a module may define its own ``controller``)."""

from __future__ import annotations

import pytest

from rs_embed_qgis import settings


@pytest.fixture()
def saved_setting():
    """The data-directory setting as it was before the test, restored after it."""
    old = settings.data_dir_setting()
    yield
    settings.set_data_dir_setting(old)


@pytest.fixture()
def controller(qgis_iface, qgis_new_project, saved_setting, europe_dir):
    """A set-up GuiController whose data directory is the Europe fixture."""
    from rs_embed_qgis.gui.controller import GuiController

    settings.set_data_dir_setting(str(europe_dir))
    ctl = GuiController(qgis_iface)
    ctl.setup()
    yield ctl
    ctl.teardown()


@pytest.fixture()
def quiet_canvas(qgis_iface):
    """The canvas does not render during the test, and renders again after it.

    pytest-qgis's iface puts every project layer on its canvas, whose render jobs would read
    a layer's file in other threads while the test edits and reads it (a getFeature() once
    came back invalid in CI: KeyError 'NAME').
    """
    canvas = qgis_iface.mapCanvas()
    canvas.setRenderFlag(False)
    canvas.stopRendering()
    yield canvas
    canvas.setRenderFlag(True)
