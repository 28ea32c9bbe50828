"""Processing with a damaged search index: refused and said once; rebuilt only when allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingFeedback

from rs_embed_qgis.core import cache_paths
from rs_embed_qgis.core import index as ix
from rs_embed_qgis.core.adapter import open_source
from tests.core.test_index_faults import REF, _garble_reference
from tests.qgis.test_explore_processing import (  # noqa: F401 (fixtures)
    lonlat,
    panel,
    points_layer,
    provider,
    run,
)
from tests.qgis.util import wait_for


class LogFeedback(QgsProcessingFeedback):
    """Keeps what an algorithm says."""

    def __init__(self) -> None:
        super().__init__()
        self.infos: list[str] = []
        self.warnings: list[str] = []

    def pushInfo(self, text: str) -> None:  # noqa: N802 - QGIS API
        self.infos.append(text)

    def pushWarning(self, text: str) -> None:  # noqa: N802 - QGIS API
        self.warnings.append(text)


def _damaged_index(europe_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A built index of the Europe fixture (cache root in tmp_path), garbled at the reference;
    returns the reader it was built from."""
    monkeypatch.setattr(cache_paths, "_root_override", str(tmp_path))
    reader = open_source(str(europe_dir), download=False, reader="gdal").reader
    ix.index_for(reader, build=True)
    _garble_reference(ix.index_dir(reader.info))
    return reader


def test_damaged_index_is_refused_said_once_then_rebuilt(
    provider,  # noqa: F811
    europe_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = _damaged_index(europe_dir, tmp_path, monkeypatch)
    params = {
        "REFERENCES": points_layer([REF]),
        "K": 5,
        "MIN_DISTANCE_KM": 50.0,
        "DATA_DIR": str(europe_dir),
        "OUTPUT": "memory:",
        "USE_INDEX": True,
    }
    fb = LogFeedback()
    layer = run("rs_embed:similar_places", {**params, "BUILD_INDEX": False}, fb)["OUTPUT"]
    damaged = [w for w in fb.warnings if "search index" in w]
    assert len(damaged) == 1 and "damaged" in damaged[0], fb.warnings
    assert damaged[0].endswith("Scores are read exactly.")
    assert "Search index: none" in fb.infos and "Search index: used" not in fb.infos
    first = next(iter(layer.getFeatures()))
    assert (first["row"], first["col"]) == REF
    assert first["similarity"] == pytest.approx(1.0, abs=1e-6)
    fb = LogFeedback()
    layer = run("rs_embed:similar_places", {**params, "BUILD_INDEX": True}, fb)["OUTPUT"]
    damaged = [w for w in fb.warnings if "search index" in w]
    assert len(damaged) == 1 and damaged[0].endswith("It is rebuilt."), fb.warnings
    assert "Search index: used" in fb.infos
    first = next(iter(layer.getFeatures()))
    assert (first["row"], first["col"]) == REF
    assert ix.load_index(reader.info) is not None


def test_dock_says_a_damaged_index_once_and_rebuilds_it(
    panel,  # noqa: F811
    europe_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = _damaged_index(europe_dir, tmp_path, monkeypatch)
    logged: list[str] = []

    def keep(message: str, tag: str, _level) -> None:
        if tag == "rs_embed" and "search index" in message:
            logged.append(message)

    QgsApplication.messageLog().messageReceived.connect(keep)
    try:
        places: list = []
        panel.places_layer_ready.connect(places.append)
        panel.add_point_reference(*lonlat(*REF))
        panel.places_skip_refs.setChecked(False)  # the reference itself ranks first
        panel.places_k.setValue(5)
        panel.places_km.setValue(50)
        panel.index_check.setChecked(True)
        panel.find_places()
        wait_for(lambda: not panel.tasks and bool(places) and bool(logged))
    finally:
        QgsApplication.messageLog().messageReceived.disconnect(keep)
    assert len(logged) == 1 and "damaged" in logged[0] and logged[0].endswith("It is rebuilt.")
    first = next(iter(places[0].getFeatures()))
    assert (first["row"], first["col"]) == REF
    assert ix.load_index(reader.info) is not None
