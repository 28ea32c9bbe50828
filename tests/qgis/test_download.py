"""Downloads through QGIS's network stack, against a loopback HTTP server with Range support."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback, QgsTask
from qgis.PyQt.QtCore import QTimer

from rs_embed_qgis.bridge.download import LOCK_NAME, PART_SUFFIX, DownloadTask, download_file
from rs_embed_qgis.core.errors import (
    CancelledError,
    CorruptDataError,
    DataError,
    DataNotFoundError,
    SpecError,
)
from rs_embed_qgis.processing.download_product import DownloadProductAlgorithm
from rs_embed_qgis.processing.provider import RsEmbedProvider
from tests import product
from tests.qgis.util import wait_for

NAME = "embed_map_310k.tif"
SIZE = 3 * 1024 * 1024 + 12345  # a few MB, not a multiple of any buffer size
DATA = random.Random(310).randbytes(SIZE)
SHA = hashlib.sha256(DATA).hexdigest()
SERVER_LIFETIME_S = 300  # the server shuts itself down after this, whatever the tests do
DROP_AT = 1_000_000  # /drop breaks its first answer off after this many body bytes
HOLD_AT = 400_000  # /hold sends this many body bytes, then waits until the test releases it


LOGIN_PAGE = b"<html><body>Please log in to the network</body></html>"


class Server:
    """A loopback HTTP server of DATA: Range requests, errors, a dropped and a held answer;
    ``bodies`` serves other files under their own path (a real product TIFF, a login page).

    /hold sends its first HOLD_AT body bytes, sets ``holding`` and sends the rest only once
    ``release`` is set: a download of it cannot end before the test lets it.
    """

    def __init__(self, bodies: dict[str, bytes] | None = None) -> None:
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.bodies = {"login": LOGIN_PAGE, **(bodies or {})}
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
                data = server.bodies.get(kind, DATA)
                size = len(data)
                start = 0
                m = re.fullmatch(r"bytes=(\d+)-", rng or "")
                if m and kind not in ("norange", "login"):
                    start = int(m.group(1))
                    if start >= size:
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{size}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(size - start))
                self.send_header("Content-Type", "text/html" if kind == "login" else "image/tiff")
                self.end_headers()
                body = memoryview(data)[start:]
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


@pytest.fixture(scope="module")
def product_tiff(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real product file (a small window in the exact format), as bytes."""
    path = tmp_path_factory.mktemp("product") / NAME
    product.write_product(path, 150, 160, 750, 770)
    return path.read_bytes()


@pytest.fixture()
def server(product_tiff: bytes):
    srv = Server({"tiff": product_tiff, "tiffjunk": b"II*\x00" + DATA[4:]})
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


def test_no_checksum_given_still_downloads_the_product(server, tmp_path, product_tiff):
    download_file(server.url("tiff"), str(tmp_path), sha256="")
    assert (tmp_path / NAME).read_bytes() == product_tiff
    assert _left(tmp_path) == [NAME]


# -- without a SHA-256, only the product; a good product is never replaced unverified -------


def test_login_page_without_checksum_never_replaces_a_good_product(server, tmp_path, product_tiff):
    (tmp_path / NAME).write_bytes(product_tiff)
    with pytest.raises(DataError, match="without a SHA-256 cannot be verified"):
        download_file(server.url("login"), str(tmp_path), sha256=None)
    assert (tmp_path / NAME).read_bytes() == product_tiff
    assert _left(tmp_path) == [NAME]
    assert server.requests == []  # refused before any transfer


def test_login_page_without_checksum_is_refused_and_nothing_kept(server, tmp_path):
    with pytest.raises(CorruptDataError, match="did not send a GeoTIFF") as info:
        download_file(server.url("login"), str(tmp_path), sha256="")
    assert "<htm" in str(info.value)
    assert _left(tmp_path) == []


def test_a_tiff_that_is_not_the_product_is_refused_without_checksum(server, tmp_path):
    with pytest.raises(CorruptDataError, match="not the Copernicus-Embed GeoTIFF"):
        download_file(server.url("tiffjunk"), str(tmp_path), sha256=None)
    assert _left(tmp_path) == []


def test_a_broken_old_file_is_replaced_by_a_checked_download(server, tmp_path, product_tiff):
    (tmp_path / NAME).write_bytes(LOGIN_PAGE)  # what an older version may have kept
    download_file(server.url("tiff"), str(tmp_path), sha256=None)
    assert (tmp_path / NAME).read_bytes() == product_tiff


def test_login_page_with_checksum_never_replaces_a_good_product(server, tmp_path):
    (tmp_path / NAME).write_bytes(b"II*\x00 an older product")
    with pytest.raises(CorruptDataError, match="SHA-256"):
        download_file(server.url("login"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == b"II*\x00 an older product"
    assert _left(tmp_path) == [NAME]


@pytest.mark.parametrize("sha", ["abc", SHA[:-1] + "g", SHA + "0", "sha256:" + SHA])
def test_malformed_checksum_is_refused_before_the_transfer(server, tmp_path, sha):
    with pytest.raises(SpecError, match="not 64 hexadecimal digits"):
        download_file(server.url("file"), str(tmp_path), sha256=sha)
    assert server.requests == []
    assert _left(tmp_path) == []


def test_checksum_in_capitals_with_spaces_is_accepted(server, tmp_path):
    download_file(server.url("file"), str(tmp_path), sha256=f"  {SHA.upper()} ")
    assert (tmp_path / NAME).read_bytes() == DATA


# -- one download into a folder at a time ---------------------------------------------------


def test_second_download_into_the_same_folder_is_told(server, tmp_path):
    done: list[DownloadTask] = []
    part = tmp_path / (NAME + PART_SUFFIX)
    # The first download is held by the server mid-transfer: it is surely still running.
    task = DownloadTask(str(tmp_path), server.url("hold"), SHA, on_done=done.append)
    QgsApplication.taskManager().addTask(task)
    wait_for(lambda: _part_held(server, part), 60)
    with pytest.raises(DataError) as info:
        download_file(server.url("file"), str(tmp_path), sha256=SHA)
    assert str(info.value).startswith(f"Another download into {tmp_path} is running")
    assert "Errno" not in str(info.value)
    assert server.ranges("file") == []  # told before any request
    server.release.set()
    wait_for(lambda: bool(done), 60)
    assert task.exception is None, task.details
    assert (tmp_path / NAME).read_bytes() == DATA
    assert _left(tmp_path) == [NAME]  # the lock went with the download
    download_file(server.url("file"), str(tmp_path), sha256=SHA)  # the folder is free again


def test_lock_of_a_dead_process_is_taken_over(server, tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    lock = {"tool": "rs_embed_qgis download", "pid": int(dead.stdout), "token": "x"}
    lock["host"] = socket.gethostname()
    (tmp_path / LOCK_NAME).write_text(json.dumps(lock))
    download_file(server.url("file"), str(tmp_path), sha256=SHA)
    assert (tmp_path / NAME).read_bytes() == DATA
    assert _left(tmp_path) == [NAME]


def test_a_lock_file_not_made_by_a_download_is_left_alone(server, tmp_path):
    (tmp_path / LOCK_NAME).write_text("someone else's notes")
    with pytest.raises(DataError, match="Another download into .* is running .*delete it"):
        download_file(server.url("file"), str(tmp_path), sha256=SHA)
    assert (tmp_path / LOCK_NAME).read_text() == "someone else's notes"
    assert server.requests == []


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
    n = len(server.requests)
    with pytest.raises(QgsProcessingException, match="not 64 hexadecimal digits"):
        _run({"FOLDER": str(tmp_path), "URL": server.url("file"), "SHA256": "12ab"})
    assert len(server.requests) == n  # refused before the transfer
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
