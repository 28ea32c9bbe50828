# SPDX-License-Identifier: GPL-2.0-or-later
"""Download the product file through QGIS's network stack (its proxy, SSL and auth settings).

``download_file`` streams the reply into ``<folder>/<name>.part``, resumes a partial file
with a ``Range`` request, hashes while it writes, and renames the file to its final name
only once the SHA-256 matches. Without a SHA-256 the file must at least be the product: a
TIFF (its first bytes), of the size the server announced, that GDAL reads as the product;
and it never replaces a product file already there (only a verified download does). A
malformed SHA-256 is refused before any request. One download per folder at a time: a
lock file ``.rs_embed_download.lock`` (the process id, recognised positively) tells a
second one that another is running; the lock of a process that died is taken over.

It runs a local event loop in the calling thread, so it works on the main thread and
inside ``QgsTask.run()`` (the network access manager of a worker thread is that thread's
own instance). ``DownloadTask`` wraps it in a ``QgsTask``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, BinaryIO

from qgis.core import QgsNetworkAccessManager, QgsTask
from qgis.PyQt.QtCore import QByteArray, QCoreApplication, QEvent, QEventLoop, QTimer, QUrl
from qgis.PyQt.QtNetwork import QNetworkReply, QNetworkRequest

from rs_embed_qgis.core.constants import PRODUCT_FILENAME, PRODUCT_SHA256, PRODUCT_URL
from rs_embed_qgis.core.errors import (
    CancelledError,
    CorruptDataError,
    DataError,
    DataNotFoundError,
    RsEmbedError,
    SpecError,
)
from rs_embed_qgis.i18n import tr

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]
LogFn = Callable[[str], None]

PART_SUFFIX = ".part"
LOCK_NAME = ".rs_embed_download.lock"  # one download into a folder at a time
_LOCK_TAG = "rs_embed_qgis download"  # what makes a lock file ours
# The first bytes of a TIFF (II/MM byte order; 42 = classic TIFF, 43 = BigTIFF).
TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 1 << 20  # bytes per read of a local file while hashing
READ_BUFFER = 4 << 20  # Qt buffers at most this much before we read: memory stays flat
CANCEL_POLL_MS = 100
PROGRESS_EVERY_S = 0.25
SPEED_WINDOW_S = 5.0
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_CONTENT_RANGE_416 = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


def format_bytes(n: float) -> str:
    """A byte count for people: 512 B, 12.3 MB, 3.19 GB (decimal units)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.{2 if unit == 'GB' else 1}f} {unit}"
    return f"{int(n)} B"


class _RestartError(Exception):
    """Internal: the server's answer cannot extend the .part file; start again from 0."""


class _InterruptedError(Exception):
    """Internal: the transfer broke off after some bytes; a Range request can resume it."""


def _hash_file(path: str, cancel: CancelFn | None) -> tuple[Any, int]:
    """(sha256 object, bytes read) of a file, read in chunks, checking ``cancel``."""
    h = hashlib.sha256()
    done = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            if cancel is not None and cancel():
                raise CancelledError(tr("Download cancelled."))
            h.update(block)
            done += len(block)
    return h, done


class _Transfer:
    """One HTTP request: streams the reply into the .part file and hashes what it writes."""

    def __init__(
        self,
        url: str,
        part: str,
        offset: int,
        hasher: Any,
        expected_size: int | None,
        progress: ProgressFn | None,
        cancel: CancelFn | None,
        log: LogFn | None,
    ) -> None:
        self.url = url
        self.part = part
        self.offset = offset  # bytes already in the .part file (and in the hasher)
        self.hasher = hasher
        self.expected_size = expected_size
        self.total = expected_size  # full size of the file, once known
        self.progress = progress
        self.cancel = cancel
        self.log = log
        self.require_tiff = False  # no SHA-256: the body must start as a TIFF
        self.file: BinaryIO | None = None
        self.started = False  # a 200 or 206 was seen and the .part file is open
        self.accepting = False  # the body goes to the file (a 200 or a 206)
        self.received = 0  # body bytes written by this request
        self.cancelled = False
        self.error: BaseException | None = None
        self.status: int | None = None
        self.reply: QNetworkReply | None = None
        self.finished_state: tuple[Any, str, str, dict[str, str]] = (None, "", "", {})
        self._samples: deque[tuple[float, int]] = deque()
        self._last_report = 0.0

    # -- the request ---------------------------------------------------------------------
    def run(self) -> None:
        """Send the request and run a local event loop until the reply has finished."""
        request = QNetworkRequest(QUrl(self.url))
        request.setAttribute(
            QNetworkRequest.Attribute.RedirectPolicyAttribute,
            QNetworkRequest.RedirectPolicy.NoLessSafeRedirectPolicy,
        )
        # A multi-GB body must not go through QGIS's network disk cache.
        request.setAttribute(
            QNetworkRequest.Attribute.CacheLoadControlAttribute,
            QNetworkRequest.CacheLoadControl.AlwaysNetwork,
        )
        request.setAttribute(QNetworkRequest.Attribute.CacheSaveControlAttribute, False)
        # Byte ranges must address the file itself, not a gzip stream of it.
        request.setRawHeader(b"Accept-Encoding", b"identity")
        if self.offset > 0:
            request.setRawHeader(b"Range", f"bytes={self.offset}-".encode("ascii"))
        manager = QgsNetworkAccessManager.instance()  # this thread's instance
        loop = QEventLoop()
        reply = manager.get(request)
        self.reply = reply
        reply.setReadBufferSize(READ_BUFFER)
        reply.readyRead.connect(self._on_ready_read)
        reply.finished.connect(loop.quit)
        timer = QTimer()
        timer.setInterval(CANCEL_POLL_MS)
        timer.timeout.connect(self._on_tick)
        timer.start()
        self._samples.append((time.monotonic(), 0))
        try:
            if not reply.isFinished():
                loop.exec()
            self._on_ready_read()  # whatever arrived with the end of the reply
        finally:
            timer.stop()
            if self.file is not None:
                self.file.close()
                self.file = None
            self.status = self._status()
            reason = reply.attribute(QNetworkRequest.Attribute.HttpReasonPhraseAttribute)
            self.finished_state = (
                reply.error(),
                reply.errorString(),
                str(reason or ""),
                self._header(reply),
            )
            for signal in (reply.readyRead, reply.finished):
                try:
                    signal.disconnect()
                except TypeError:
                    pass
            self.reply = None
            reply.deleteLater()
            # The reply was made by this loop level: delete it now, even in a task thread.
            QCoreApplication.sendPostedEvents(reply, QEvent.Type.DeferredDelete)

    def _status(self) -> int | None:
        reply = self.reply
        if reply is None:
            return self.status
        value = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
        return int(value) if value is not None else None

    @staticmethod
    def _header(reply: QNetworkReply) -> dict[str, str]:
        return {
            bytes(k).decode("latin-1").lower(): bytes(reply.rawHeader(k)).decode("latin-1")
            for k in reply.rawHeaderList()
        }

    # -- slots (never raise: an exception in a Qt slot would abort QGIS) --------------------
    def _on_tick(self) -> None:
        try:
            if self.cancel is not None and self.cancel():
                self.cancelled = True
                if self.reply is not None:
                    self.reply.abort()
        except Exception as exc:  # a broken cancel callback stops the download cleanly
            self._fail(exc)

    def _on_ready_read(self) -> None:
        reply = self.reply
        if reply is None or self.error is not None:
            return
        try:
            if not self.started:
                if reply.bytesAvailable() <= 0 and not reply.isFinished():
                    return
                self._start(reply)
            data: QByteArray = reply.readAll()
            if not self.accepting or data.isEmpty():
                return  # an error page, or a 416's body: not part of the file
            chunk = bytes(data)
            if self.file is None:
                return  # the transfer was already closed: nothing to write to
            if self.require_tiff and self.offset + self.received == 0 and len(chunk) >= 4:
                _check_tiff_magic(chunk[:4], self.url)  # an HTML page: stop right here
            self.file.write(chunk)
            self.hasher.update(chunk)
            self.received += len(chunk)
            self.report()
        except OSError as exc:
            self._fail(DataError(tr("Cannot write {0}: {1}").format(self.part, exc)))
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        if self.reply is not None:
            self.reply.abort()

    def _start(self, reply: QNetworkReply) -> None:
        """Look at the status once the headers are in: append, start over, or discard."""
        status = self._status()
        headers = self._header(reply)
        if status == 206:
            m = _CONTENT_RANGE.match(headers.get("content-range", ""))
            if not m or int(m.group(1)) != self.offset:
                raise _RestartError(
                    tr("The server sent another byte range than asked ({0}).").format(
                        headers.get("content-range", "none")
                    )
                )
            if m.group(3) != "*":
                self.total = int(m.group(3))
            mode = "ab"
        elif status == 200:
            length = headers.get("content-length", "")
            if length.isdigit():
                self.total = int(length)
            mode = "wb"
        else:
            return  # a redirect, an error page or a 416: judged once the reply has finished
        self.started = True
        if self.expected_size is not None and self.total != self.expected_size:
            raise CorruptDataError(
                tr("The file on the server has {0} bytes instead of {1}.").format(
                    self.total, self.expected_size
                )
            )
        if mode == "wb":
            if self.offset > 0 and self.log is not None:
                self.log(tr("The server does not resume downloads: starting from the beginning."))
            self.offset = 0
            self.hasher = hashlib.sha256()
        if self.total:
            folder = os.path.dirname(self.part)
            free = shutil.disk_usage(folder).free
            need = self.total - self.offset
            if free < need:
                raise DataError(
                    tr("Not enough free disk space in {0}: {1} needed, {2} free.").format(
                        folder, format_bytes(need), format_bytes(free)
                    )
                )
        self.file = open(self.part, mode)  # noqa: SIM115 - closed in run()
        self.accepting = True

    def report(self, force: bool = False) -> None:
        """Call ``progress`` with the bytes so far, the total and the speed (throttled)."""
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < PROGRESS_EVERY_S:
            return
        self._last_report = now
        self._samples.append((now, self.received))
        while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW_S:
            self._samples.popleft()
        t0, b0 = self._samples[0]
        speed = (self.received - b0) / (now - t0) if now > t0 else 0.0
        done = self.offset + self.received
        if self.total:
            fraction = min(1.0, done / self.total)
            text = tr("{0} of {1} ({2:.0%}), {3}/s").format(
                format_bytes(done), format_bytes(self.total), fraction, format_bytes(speed)
            )
        else:
            fraction = 0.0
            text = tr("{0}, {1}/s").format(format_bytes(done), format_bytes(speed))
        self.progress(fraction, text)


def _check_tiff_magic(head: bytes, source: str) -> None:
    """CorruptDataError unless ``head`` (the first 4 bytes) opens a TIFF."""
    if head[:4] not in TIFF_MAGICS:
        preview = head[:4].decode("latin-1").encode("unicode_escape").decode("ascii")
        raise CorruptDataError(
            tr(
                "{0} did not send a GeoTIFF (it begins with '{1}', e.g. a web page of a "
                "login or an error): nothing was kept."
            ).format(source, preview)
        )


def _starts_as_tiff(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) in TIFF_MAGICS
    except OSError:
        return False


def _checked_sha256(sha256: str | None) -> str | None:
    """The expected SHA-256 in lower case, None for no check; SpecError if malformed."""
    want = (sha256 or "").strip().lower() or None
    if want is not None and not _SHA256.fullmatch(want):
        raise SpecError(
            tr(
                "The SHA-256 '{0}' is not 64 hexadecimal digits: nothing was downloaded. "
                "Correct it, or leave it empty to skip the check."
            ).format((sha256 or "").strip())
        )
    return want


class _FolderLock:
    """``<folder>/.rs_embed_download.lock``: one download into a folder at a time.

    The file holds this process's id and host as JSON; a lock that says so and whose
    process is gone (same host) is taken over; any other lock file is left alone.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, LOCK_NAME)
        self.token = uuid.uuid4().hex
        self.held = False

    def _busy(self, detail: str = "") -> DataError:
        return DataError(
            tr("Another download into {0} is running{1}; wait until it ends, or cancel it.").format(
                self.folder, detail
            )
        )

    def acquire(self) -> None:
        """Take the lock, or raise DataError saying another download is running."""
        me = {"tool": _LOCK_TAG, "pid": os.getpid(), "host": socket.gethostname()}
        body = json.dumps({**me, "token": self.token}).encode("utf-8")
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if not self._reclaim_stale():
                    raise self._busy(self._owner()) from None
                continue
            except OSError as exc:
                raise DataError(
                    tr("Cannot write into the folder {0}: {1}").format(
                        self.folder, exc.strerror or exc
                    )
                ) from exc
            try:
                os.write(fd, body)
            finally:
                os.close(fd)
            self.held = True
            return
        raise self._busy()

    def _read(self) -> dict[str, Any] | None:
        """The lock's content if it is one of ours, else None."""
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("tool") != _LOCK_TAG:
            return None
        if not isinstance(data.get("pid"), int) or isinstance(data.get("pid"), bool):
            return None
        return data

    def _owner(self) -> str:
        data = self._read()
        if data is None:
            return tr(" ({0} exists; delete it if no download is running)").format(self.path)
        return tr(" (process {0} on {1})").format(data["pid"], data.get("host", "?"))

    def _reclaim_stale(self) -> bool:
        """Remove our own lock file of a process that is gone; True if it was removed."""
        from pathlib import Path

        from rs_embed_qgis.core.cache import pid_alive

        data = self._read()
        if data is None or data.get("host") != socket.gethostname():
            return False  # not ours, still being written, or another machine's: not judged
        if pid_alive(int(data["pid"]), Path(self.path)):
            return False
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError:
            return False
        return True

    def release(self) -> None:
        """Remove the lock if it is still this download's own."""
        if not self.held:
            return
        self.held = False
        data = self._read()
        if data is not None and data.get("token") == self.token:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def download_file(
    url: str = PRODUCT_URL,
    folder: str = ".",
    sha256: str | None = PRODUCT_SHA256,
    expected_size: int | None = None,
    filename: str = PRODUCT_FILENAME,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    log: LogFn | None = None,
    retries: int = 3,
) -> str:
    """Download ``url`` to ``<folder>/<filename>`` (resuming ``<filename>.part``); its path.

    ``sha256`` None or '' skips the checksum; then the download must be a TIFF of the size
    the server announced that GDAL reads as the product, and an existing product file is
    never replaced. A file already under the final name whose checksum matches is kept
    without any request; one that does not match is replaced only by a verified download.
    ``retries`` resumes a transfer that broke off after some bytes. Raises SpecError (a
    malformed SHA-256, before any request), DataNotFoundError (server or network error),
    CorruptDataError (wrong checksum, size or content: the download is deleted),
    CancelledError (the .part file is kept for a later resume) or DataError (the folder
    cannot be written, or another download into it is running).
    """
    want = _checked_sha256(sha256)
    folder = os.path.abspath(folder or ".")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise DataError(tr("Cannot create the folder {0}: {1}").format(folder, exc)) from exc
    lock = _FolderLock(folder)
    lock.acquire()
    try:
        return _download_locked(
            url, folder, want, expected_size, filename, progress, cancel, log, retries
        )
    except RsEmbedError:
        raise
    except OSError as exc:  # a file operation of ours, said in one sentence
        raise DataError(
            tr("Download into {0} failed: {1}").format(folder, exc.strerror or exc)
        ) from exc
    finally:
        lock.release()


def _download_locked(
    url: str,
    folder: str,
    want: str | None,
    expected_size: int | None,
    filename: str,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
    log: LogFn | None,
    retries: int,
) -> str:
    """``download_file`` once the folder's lock is held."""
    final = os.path.join(folder, filename)
    part = final + PART_SUFFIX
    if want and os.path.isfile(final):
        if log is not None:
            log(tr("Checking the existing {0}").format(final))
        if _hash_file(final, cancel)[0].hexdigest() == want:
            if progress is not None:
                progress(1.0, tr("{0} is already present and verified.").format(filename))
            return final
        if log is not None:
            log(tr("{0} does not match the checksum: downloading it again.").format(final))
    if not want and _starts_as_tiff(final):
        raise DataError(
            tr(
                "{0} is already there; a download without a SHA-256 cannot be verified, so "
                "it never replaces it. Give the SHA-256, or move the file away first."
            ).format(final)
        )

    restarted = False
    attempts_left = max(0, int(retries))
    while True:
        offset = os.path.getsize(part) if os.path.isfile(part) else 0
        if expected_size is not None and offset > expected_size:
            os.remove(part)
            offset = 0
        if offset and log is not None:
            log(tr("Resuming {0} at {1}").format(part, format_bytes(offset)))
        hasher, hashed = _hash_file(part, cancel) if offset else (hashlib.sha256(), 0)
        offset = hashed
        if expected_size is not None and offset == expected_size and offset > 0:
            return _finish(part, final, hasher, want, expected_size, progress, url)
        transfer = _Transfer(url, part, offset, hasher, expected_size, progress, cancel, log)
        transfer.require_tiff = want is None
        transfer.run()
        try:
            result = _outcome(transfer, url)
        except CorruptDataError:
            _remove(part)  # a refused answer: no byte of it stays
            raise
        if transfer.cancelled:
            raise CancelledError(
                tr("Download cancelled; {0} is kept to resume later.").format(part)
                if os.path.isfile(part)
                else tr("Download cancelled.")
            )
        if isinstance(result, _RestartError):
            if restarted:
                raise DataNotFoundError(tr("Cannot download {0}: {1}").format(url, result))
            restarted = True
            if log is not None:
                log(str(result) + " " + tr("Starting from the beginning."))
            _remove(part)
            continue
        if isinstance(result, _InterruptedError):
            if attempts_left > 0 and transfer.received > 0:
                attempts_left -= 1
                if log is not None:
                    log(str(result) + " " + tr("Resuming."))
                continue
            raise DataNotFoundError(
                tr("Cannot download {0}: {1} {2} is kept to resume later.").format(
                    url, result, part
                )
            )
        total = expected_size if expected_size is not None else transfer.total
        if result == "complete-part":  # 416: the .part file already holds every byte
            if log is not None:
                log(tr("{0} is already complete.").format(part))
        transfer.report(force=True)
        return _finish(part, final, transfer.hasher, want, total, progress, url)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _outcome(transfer: _Transfer, url: str) -> str | _InterruptedError | _RestartError:
    """'ok', 'complete-part', 'cancelled' or a retry as an exception; raises final errors."""
    error, error_text, reason, headers = transfer.finished_state
    status = transfer.status
    if transfer.cancelled:
        return "cancelled"
    if transfer.error is not None:
        if isinstance(transfer.error, _RestartError):
            return transfer.error
        if isinstance(transfer.error, RsEmbedError):
            raise transfer.error
        raise DataError(
            tr("Download of {0} failed: {1}").format(url, transfer.error)
        ) from transfer.error
    if status == 416 and transfer.offset > 0:
        m = _CONTENT_RANGE_416.match(headers.get("content-range", ""))
        size = int(m.group(1)) if m else None
        if size == transfer.offset:
            transfer.total = size
            return "complete-part"
        return _RestartError(tr("The partial file does not fit the file on the server."))
    if status is not None and status >= 400:
        raise DataNotFoundError(
            tr("Cannot download {0}: the server answered HTTP {1} ({2}).").format(
                url, status, reason or error_text
            )
        )
    if error == QNetworkReply.NetworkError.OperationCanceledError:
        # Not our cancel: QGIS's network timeout (Settings > Options > Network) struck.
        error_text = tr("no data for too long (network timeout)")
    if error != QNetworkReply.NetworkError.NoError:
        if transfer.accepting:
            return _InterruptedError(tr("The transfer broke off: {0}.").format(error_text))
        raise DataNotFoundError(tr("Cannot download {0}: {1}").format(url, error_text))
    if not transfer.accepting:
        raise DataNotFoundError(
            tr("Cannot download {0}: unexpected answer (HTTP {1}).").format(url, status)
        )
    if transfer.total and transfer.offset + transfer.received < transfer.total:
        return _InterruptedError(
            tr("The transfer ended at {0} of {1}.").format(
                format_bytes(transfer.offset + transfer.received), format_bytes(transfer.total)
            )
        )
    return "ok"


def _finish(
    part: str,
    final: str,
    hasher: Any,
    want: str | None,
    size: int | None,
    progress: ProgressFn | None,
    url: str = "",
) -> str:
    """Check size and checksum (or, without one, the content) of the .part file, then
    rename it; delete it if it is bad."""
    actual_size = os.path.getsize(part)
    if size is not None and actual_size != size:
        os.remove(part)
        raise CorruptDataError(
            tr("The download has {0} bytes instead of {1}; it was deleted.").format(
                actual_size, size
            )
        )
    if want is not None:
        got = hasher.hexdigest()
        if got != want:
            os.remove(part)
            raise CorruptDataError(
                tr("The download's SHA-256 is {0}, not {1}; the file was deleted.").format(
                    got, want
                )
            )
    else:
        _check_unverified(part, url or part)
    os.replace(part, final)
    if progress is not None:
        progress(1.0, tr("Downloaded {0} ({1})").format(final, format_bytes(actual_size)))
    return final


def _check_unverified(part: str, source: str) -> None:
    """Without a SHA-256: the file must be a TIFF that GDAL reads as the product; else it
    is deleted (CorruptDataError)."""
    from rs_embed_qgis.core.dataset import inspect_product_file

    with open(part, "rb") as f:
        head = f.read(4)
    if head not in TIFF_MAGICS:
        _remove(part)
        _check_tiff_magic(head, source)
    try:
        inspect_product_file(part)
    except DataError as exc:
        _remove(part)
        raise CorruptDataError(
            tr(
                "The download from {0} is not the Copernicus-Embed GeoTIFF ({1}); it was deleted."
            ).format(source, exc)
        ) from exc


class DownloadTask(QgsTask):
    """Background download: ``run()`` stores the path or the exception, never raises."""

    def __init__(
        self,
        folder: str,
        url: str = PRODUCT_URL,
        sha256: str | None = PRODUCT_SHA256,
        expected_size: int | None = None,
        filename: str = PRODUCT_FILENAME,
        on_done: Callable[[DownloadTask], None] | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(
            description or tr("Downloading {0}").format(filename), QgsTask.Flag.CanCancel
        )
        self.folder = folder
        self.url = url
        self.sha256 = sha256
        self.expected_size = expected_size
        self.filename = filename
        self.on_done = on_done
        self.result: str | None = None
        self.exception: BaseException | None = None
        self.details = ""
        self.message = ""
        self.messages: list[str] = []

    def report(self, fraction: float, message: str = "") -> None:
        """Progress callback: fraction 0..1 and a short text (bytes, total, speed)."""
        self.setProgress(max(0.0, min(100.0, 100.0 * float(fraction))))
        if message:
            self.message = message

    def run(self) -> bool:
        try:
            self.result = download_file(
                url=self.url,
                folder=self.folder,
                sha256=self.sha256,
                expected_size=self.expected_size,
                filename=self.filename,
                progress=self.report,
                cancel=self.isCanceled,
                log=self.messages.append,
            )
            return True
        except Exception as exc:  # run() never raises: the exception is kept for finished()
            self.exception = exc
            # A traceback helps with a bug, not with a refused folder or a network error.
            self.details = "" if isinstance(exc, RsEmbedError) else traceback.format_exc()
            return False

    def finished(self, result: bool) -> None:
        if self.on_done is not None:
            self.on_done(self)
