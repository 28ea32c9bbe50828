"""Downloads through QGIS's network stack, against a loopback HTTP server with Range support."""

from __future__ import annotations

import hashlib
import os
import random
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback, QgsTask
from qgis.PyQt.QtCore import QTimer

from rs_embed_qgis.bridge.download import PART_SUFFIX, DownloadTask, download_file
from rs_embed_qgis.core.errors import (
    CancelledError,
    CorruptDataError,
    DataError,
    DataNotFoundError,
)
from rs_embed_qgis.processing.download_product import DownloadProductAlgorithm
from rs_embed_qgis.processing.provider import RsEmbedProvider
from tests.qgis.util import wait_for

NAME = "embed_map_310k.tif"
SIZE = 3 * 1024 * 1024 + 12345  # a few MB, not a multiple of any buffer size
DATA = random.Random(310).randbytes(SIZE)
SHA = hashlib.sha256(DATA).hexdigest()
SERVER_LIFETIME_S = 300  # the server shuts itself down after this, whatever the tests do
DROP_AT = 1_000_000  # /drop breaks its first answer off after this many body bytes
HOLD_AT = 400_000  # /hold sends this many body bytes, then waits until the test releases it


class Server:
    """A loopback HTTP server of DATA: Range requests, errors, a dropped and a held answer.

    /hold sends its first HOLD_AT body bytes, sets ``holding`` and sends the rest only once
    ``release`` is set: a download of it cannot end before the test lets it.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.dropped = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.watchdog = threading.Timer(SERVER_LIFETIME_S, self.httpd.shutdown)
        self.watchdog.daemon = True
        self.watchdog.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{path}/{NAME}"

    def ranges(self, path: str) -> list[str | None]:
        return [r for p, r in self.requests if p.startswith(f"/{path}/")]

    def stop(self) -> None:
        self.release.set()
        self.watchdog.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                kind = self.path.strip("/").split("/")[0]
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                if kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", self.path.replace("/redirect/", "/file/", 1))
                    self.send_header("Content-Length", "7")
                    self.end_headers()
                    self.wfile.write(b"moved\r\n"[:7])
                    return
                if kind in ("404", "500"):
                    body = b"<html>no</html>"
                    self.send_response(int(kind))
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                start = 0
                m = re.fullmatch(r"bytes=(\d+)-", rng or "")
                if m and kind != "norange":
                    start = int(m.group(1))
                    if start >= SIZE:
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{SIZE}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{SIZE - 1}/{SIZE}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(SIZE - start))
                self.send_header("Content-Type", "image/tiff")
                self.end_headers()
                body = memoryview(DATA)[start:]
                try:
                    if kind == "drop" and not server.dropped:
                        server.dropped = True
                        self.wfile.write(body[:DROP_AT])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if kind == "hold" and start < HOLD_AT:
                        self.wfile.write(body[: HOLD_AT - start])
                        self.wfile.flush()
                        server.holding.set()
                        server.release.wait(SERVER_LIFETIME_S)
                        body = body[HOLD_AT - start :]
                    step = 256 * 1024
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i : i + step])
                except OSError:  # the client went away (cancel)
                    self.close_connection = True

        return Handler


@pytest.fixture()
def server():
    srv = Server()
    yield srv
    srv.stop()


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_full_download(server, tmp_path):
    seen = []
    path = download_file(
        server.url("file"),
        str(tmp_path),
        sha256=SHA,
        expected_size=SIZE,
        progress=lambda f, t: seen.append((f, t)),
    )
    assert path == str(tmp_path / NAME)
    assert Path(path).read_bytes() == DATA
    assert _left(tmp_path) == [NAME]
    assert server.ranges("file") == [None]
    assert seen[-1][0] == 1.0
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    pattern = r"[\d.]+ [kM]?B of 3\.2 MB \(\d+%\), [\d.]+ [kMG]?B/s"
    assert any(re.fullmatch(pattern, t) for _, t in seen)
    assert seen[-1][1] == f"Downloaded {path} (3.2 MB)"


def test_existing_verified_file_is_kept_without_a_request(server, tmp_path):
    (tmp_path / NAME).write_bytes(DATA)
    assert download_file(server.url("file"), str(tmp_path), sha256=SHA) == str(tmp_path / NAME)
    assert server.requests == []


def test_existing_wrong_file_is_replaced_by_a_verified_download(server, tmp_path):
    (tmp_path / NAME).write_bytes(b"an older, different file")
    download_file(server.url("file"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert len(server.requests) == 1


def test_interrupted_then_resumed_by_a_second_call(server, tmp_path):
    with pytest.raises(DataNotFoundError, match="kept to resume"):
        download_file(server.url("drop"), str(tmp_path), sha256=SHA, retries=0)
    part = tmp_path / (NAME + PART_SUFFIX)
    assert part.stat().st_size == DROP_AT
    assert part.read_bytes() == DATA[:DROP_AT]
    assert not (tmp_path / NAME).exists()
    logs: list[str] = []
    download_file(server.url("drop"), str(tmp_path), sha256=SHA, log=logs.append)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert _left(tmp_path) == [NAME]
    assert server.ranges("drop") == [None, f"bytes={DROP_AT}-"]
    assert any("Resuming" in m for m in logs)


def test_interrupted_transfer_resumes_by_itself(server, tmp_path):
    download_file(server.url("drop"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert server.ranges("drop") == [None, f"bytes={DROP_AT}-"]


def test_partial_file_left_by_an_earlier_run_is_resumed(server, tmp_path):
    (tmp_path / (NAME + PART_SUFFIX)).write_bytes(DATA[:777_777])
    download_file(server.url("file"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert server.ranges("file") == ["bytes=777777-"]
    assert _left(tmp_path) == [NAME]


def test_redirect_is_followed_with_the_range(server, tmp_path):
    (tmp_path / (NAME + PART_SUFFIX)).write_bytes(DATA[:4096])
    download_file(server.url("redirect"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert server.ranges("redirect") == ["bytes=4096-"]
    assert server.ranges("file") == ["bytes=4096-"]


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    # A wrong prefix proves the .part was rewritten, not appended to.
    (tmp_path / (NAME + PART_SUFFIX)).write_bytes(b"x" * 5000)
    download_file(server.url("norange"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert server.ranges("norange") == ["bytes=5000-"]


def test_complete_part_and_416_is_verified_and_renamed(server, tmp_path):
    (tmp_path / (NAME + PART_SUFFIX)).write_bytes(DATA)
    download_file(server.url("file"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert server.ranges("file") == [f"bytes={SIZE}-"]
    assert _left(tmp_path) == [NAME]


def test_complete_but_corrupt_part_and_416_is_deleted(server, tmp_path):
    bad = bytearray(DATA)
    bad[123] ^= 0xFF
    (tmp_path / (NAME + PART_SUFFIX)).write_bytes(bytes(bad))
    with pytest.raises(CorruptDataError, match="SHA-256"):
        download_file(server.url("file"), str(tmp_path), sha256=SHA)
    assert _left(tmp_path) == []


def test_wrong_checksum_keeps_nothing(server, tmp_path):
    with pytest.raises(CorruptDataError, match="SHA-256") as info:
        download_file(server.url("file"), str(tmp_path), sha256="0" * 64)
    assert SHA in str(info.value)
    assert _left(tmp_path) == []


def test_wrong_expected_size_keeps_nothing(server, tmp_path):
    with pytest.raises(CorruptDataError, match="bytes instead of"):
        download_file(server.url("file"), str(tmp_path), sha256=None, expected_size=SIZE + 1)
    assert _left(tmp_path) == []


def test_no_checksum_given_still_downloads(server, tmp_path):
    download_file(server.url("file"), str(tmp_path), sha256="")
    assert (tmp_path / NAME).read_bytes() == DATA


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_is_clear_and_leaves_nothing(server, tmp_path, status):
    with pytest.raises(DataNotFoundError, match=f"HTTP {status}"):
        download_file(server.url(str(status)), str(tmp_path), sha256=SHA)
    assert _left(tmp_path) == []
    assert len(server.requests) == 1  # an HTTP error is not retried


def test_connection_refused_is_clear(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataNotFoundError, match="(?i)refused"):
        download_file(f"http://127.0.0.1:{port}/{NAME}", str(tmp_path), sha256=SHA)
    assert _left(tmp_path) == []


def test_unwritable_folder_is_a_data_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="Cannot create the folder"):
        download_file("http://127.0.0.1:9/x", str(blocker / "sub"), sha256=SHA)


def _part_held(server: Server, part: Path) -> bool:
    """The server holds the rest back and (but for the writer's buffer) its bytes are in."""
    return server.holding.is_set() and part.exists() and part.stat().st_size >= HOLD_AT // 2


def test_cancel_stops_the_transfer_and_keeps_the_part(server, tmp_path):
    part = tmp_path / (NAME + PART_SUFFIX)
    with pytest.raises(CancelledError, match="kept to resume"):
        download_file(
            server.url("hold"), str(tmp_path), sha256=SHA, cancel=lambda: _part_held(server, part)
        )
    # Stopped while the server held the rest back: the download could not have completed.
    kept = part.stat().st_size
    assert HOLD_AT // 2 <= kept <= HOLD_AT
    assert part.read_bytes() == DATA[:kept]
    assert not (tmp_path / NAME).exists()
    server.release.set()
    download_file(server.url("hold"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert server.ranges("hold") == [None, f"bytes={kept}-"]


class ThreadRecordingTask(DownloadTask):
    """A DownloadTask that notes the thread its run() is in."""

    def run(self) -> bool:
        self.thread_id = threading.get_ident()
        return super().run()


def test_download_task_in_the_task_manager(server, tmp_path):
    done: list[DownloadTask] = []
    task = ThreadRecordingTask(str(tmp_path), server.url("drop"), SHA, on_done=done.append)
    QgsApplication.taskManager().addTask(task)
    wait_for(lambda: bool(done), 60)
    assert done == [task]
    assert task.exception is None, task.details
    assert task.result == str(tmp_path / NAME)
    assert task.status() == QgsTask.TaskStatus.Complete
    assert task.thread_id != threading.get_ident()  # really ran in a worker thread
    assert (tmp_path / NAME).read_bytes() == DATA
    assert server.ranges("drop") == [None, f"bytes={DROP_AT}-"]  # resumed in that thread
    assert task.progress() == 100.0
    assert "MB" in task.message


def test_download_task_cancel_in_the_task_manager(server, tmp_path):
    done: list[DownloadTask] = []
    part = tmp_path / (NAME + PART_SUFFIX)
    task = DownloadTask(str(tmp_path), server.url("hold"), SHA, on_done=done.append)
    QgsApplication.taskManager().addTask(task)
    wait_for(lambda: _part_held(server, part), 60)
    task.cancel()  # while the server holds the rest back: the task cannot have completed
    wait_for(lambda: bool(done), 60)
    assert isinstance(task.exception, CancelledError)
    assert task.result is None
    assert task.status() == QgsTask.TaskStatus.Terminated
    assert HOLD_AT // 2 <= part.stat().st_size <= HOLD_AT
    assert part.read_bytes() == DATA[: part.stat().st_size]
    assert not (tmp_path / NAME).exists()


def test_download_task_synchronously(server, tmp_path):
    done: list[DownloadTask] = []
    task = DownloadTask(str(tmp_path), server.url("500"), SHA, on_done=done.append)
    assert task.run() is False
    task.finished(False)
    assert done == [task]
    assert isinstance(task.exception, DataNotFoundError)
    assert task.details == ""  # an expected failure: no traceback for the log
    task = DownloadTask(str(tmp_path), server.url("file"), SHA)
    assert task.run() is True
    task.finished(True)  # no callback: nothing happens
    assert task.result == str(tmp_path / NAME)
    assert (tmp_path / NAME).read_bytes() == DATA


# -- Processing -----------------------------------------------------------------------------


class _Provider(RsEmbedProvider):
    """The rs_embed provider, with download_product added if provider.py lacks it."""

    def loadAlgorithms(self) -> None:
        super().loadAlgorithms()
        if not any(a.name() == "download_product" for a in self.algorithms()):
            self.addAlgorithm(DownloadProductAlgorithm())


@pytest.fixture(scope="module")
def provider(qgis_processing):
    registry = QgsApplication.processingRegistry()
    prov = _Provider()
    assert registry.addProvider(prov)
    yield prov
    registry.removeProvider(prov)


def _run(params: dict, feedback: QgsProcessingFeedback | None = None) -> dict:
    import processing  # on sys.path once the qgis_processing fixture has run

    return processing.run("rs_embed:download_product", params, feedback=feedback)


def test_algorithm_downloads(provider, server, tmp_path):
    alg = QgsApplication.processingRegistry().algorithmById("rs_embed:download_product")
    assert alg is not None
    assert alg.parameterDefinition("URL").defaultValue().endswith(NAME)
    assert len(alg.parameterDefinition("SHA256").defaultValue()) == 64
    assert "resume" in alg.shortHelpString().lower()
    feedback = QgsProcessingFeedback()
    res = _run({"FOLDER": str(tmp_path), "URL": server.url("file"), "SHA256": SHA}, feedback)
    assert res["FILE"] == str(tmp_path / NAME)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert feedback.progress() == pytest.approx(100.0)


def test_algorithm_errors_and_cancel(provider, server, tmp_path):
    with pytest.raises(QgsProcessingException, match="HTTP 404"):
        _run({"FOLDER": str(tmp_path), "URL": server.url("404"), "SHA256": SHA})
    with pytest.raises(QgsProcessingException, match="SHA-256"):
        _run({"FOLDER": str(tmp_path), "URL": server.url("file"), "SHA256": "1" * 64})
    assert _left(tmp_path) == []
    feedback = QgsProcessingFeedback()
    part = tmp_path / (NAME + PART_SUFFIX)
    # The user's Cancel, once the server holds the rest back (the transfer's event loop runs
    # this timer): the run cannot have completed first.
    timer = QTimer()
    timer.timeout.connect(lambda: _part_held(server, part) and feedback.cancel())
    timer.start(10)
    try:
        with pytest.raises(QgsProcessingException, match="cancelled; .* kept to resume"):
            _run({"FOLDER": str(tmp_path), "URL": server.url("hold"), "SHA256": SHA}, feedback)
    finally:
        timer.stop()
    assert HOLD_AT // 2 <= part.stat().st_size <= HOLD_AT
    assert not (tmp_path / NAME).exists()


def test_algorithm_default_folder_is_the_data_dir(provider, monkeypatch, tmp_path):
    monkeypatch.setenv("RS_EMBED_COP_DIR", str(tmp_path / "data"))
    from rs_embed_qgis import settings

    monkeypatch.setattr(settings, "data_dir_setting", lambda: "")
    alg = DownloadProductAlgorithm()
    alg.initAlgorithm()
    assert alg.parameterDefinition("FOLDER").defaultValue() == str(tmp_path / "data")
    assert os.path.isabs(alg.parameterDefinition("FOLDER").defaultValue())
