"""The tests' network guard works: no test can start a download from the internet.

The guard (tests/core/expected.py ``no_outbound_network``) is imported as an autouse
fixture by the test modules that call the core; here it is checked itself.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from rs_embed_qgis.core import DataNotFoundError, PointBuffer, TemporalSpec, get_embedding
from tests.core.expected import loopback_http, no_outbound_network  # noqa: F401 - autouse


def test_outbound_connection_is_refused_and_recorded(no_outbound_network: list) -> None:  # noqa: F811
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(OSError, match="no outbound connection"):
            s.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
        with pytest.raises(OSError, match="no outbound connection"):
            s.connect_ex(("192.0.2.1", 80))
    finally:
        s.close()
    assert no_outbound_network == [("192.0.2.1", 443), ("192.0.2.1", 80)]
    no_outbound_network.clear()  # expected here; anywhere else it fails the test


def test_loopback_is_allowed(no_outbound_network: list) -> None:  # noqa: F811
    with loopback_http({"/x": (200, b"hello")}) as (base, asked):
        assert urllib.request.urlopen(f"{base}/x", timeout=10).read() == b"hello"
    assert asked == ["/x"] and no_outbound_network == []


def test_the_core_default_download_is_caught(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_outbound_network: list,  # noqa: F811
) -> None:
    """``download=True`` is the core's default: on a missing file it would go to the internet."""
    pytest.importorskip("torchgeo")
    from rs_embed_qgis.core.dataset import copernicus_embed_class

    # An address literal (no DNS), so the attempt is made even on a machine without DNS.
    cls = copernicus_embed_class()
    monkeypatch.setattr(cls, "url", "http://192.0.2.1/embed_map_310k.tif")
    with pytest.raises(DataNotFoundError, match="could not be downloaded"):
        get_embedding(
            spatial=PointBuffer(10.0, 50.0, 1000.0),
            temporal=TemporalSpec.year(2021),
            data_dir=tmp_path / "empty",
            reader="torchgeo",
        )
    assert [a[0] for a in no_outbound_network] == ["192.0.2.1"]
    assert not list((tmp_path / "empty").glob("embed_map_*"))
    no_outbound_network.clear()
