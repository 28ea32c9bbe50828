"""Background work of the dock: QgsTask subclasses that call the core and never touch the GUI.

``run()`` (worker thread) stores a result or the exception and never raises; it passes
``cancel=self.isCanceled`` and a progress callback to the core. ``finished()`` (main
thread) only emits ``done``; the controller's slot does the GUI and project work.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from qgis.core import QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from rs_embed_qgis.core import (
    CancelledError,
    Embedding,
    OutputSpec,
    TemporalSpec,
    get_embedding,
    get_embeddings_batch,
    prepare_cache,
)
from rs_embed_qgis.core.cache import AUTO_PREPARE_MIN_ITEMS
from rs_embed_qgis.core.constants import SUPPORTED_YEARS

T = TypeVar("T")

OK = "ok"
CANCELLED = "cancelled"
ERROR = "error"


def year_spec() -> TemporalSpec:
    """The only year the product has, as a temporal spec."""
    return TemporalSpec.year(SUPPORTED_YEARS[0])


def keep_triton_out() -> bool:
    """Stop torch from importing triton in this QGIS process (Linux); True if it was blocked.

    Why: triton's ``libtriton.so`` carries its own LLVM, whose static initialisers crash
    the process when Mesa's ``libLLVM`` (OpenGL: llvmpipe, radeonsi) is already loaded,
    as it is in QGIS; importing TorchGeo imports torch._dynamo, which imports triton.
    Nothing here runs on a GPU, and torch treats a triton it cannot import as absent.
    """
    if not sys.platform.startswith("linux") or "triton" in sys.modules:
        return False
    sys.modules["triton"] = None  # type: ignore[assignment] - "import triton" -> ImportError
    return True


LANE_INTERACTIVE = "interactive"
LANE_BATCH = "batch"
_lanes: dict[str, ThreadPoolExecutor] = {}
_lanes_lock = threading.Lock()


def _lane(name: str) -> ThreadPoolExecutor:
    with _lanes_lock:
        ex = _lanes.get(name)
        if ex is None:
            ex = _lanes[name] = ThreadPoolExecutor(1, thread_name_prefix=f"rs_embed_{name}")
        return ex


def run_in_python_thread(fn: Callable[[], T], lane: str = LANE_INTERACTIVE) -> T:
    """Run ``fn`` in the lane's long-lived Python worker thread; return or raise its outcome.

    Why a thread made by Python, and the same one each time: pyproj >= 3.7 keeps its PROJ
    context in OS-thread storage but frees it with the Python thread state, and QGIS task
    threads get a fresh thread state per task, so the next task on a reused QThread
    crashes QGIS in ``proj_create`` (pyproj issues 1509, 1622). And the core keeps one
    TorchGeo dataset per thread, which TorchGeo's class-level ``lru_cache`` never frees:
    a new thread per task would leak one dataset (~0.4 GB) per request. Requests of a
    lane therefore run one after the other (a batch does not hold up a click), and the
    two idle lane threads outlive a plugin unload, so that reloading reuses them.
    """
    return _lane(lane).submit(fn).result()


class RsEmbedTask(QgsTask):
    """Base task: run ``work()`` safely; ``done`` is emitted on the main thread when it ends."""

    done = pyqtSignal(object)

    lane = LANE_INTERACTIVE

    def __init__(self, description: str) -> None:
        super().__init__(description, QgsTask.CanCancel)
        self.result: Any = None
        self.exception: BaseException | None = None
        self.details = ""
        self.message = ""
        self.outcome = ""

    def work(self) -> Any:  # pragma: no cover - overridden
        """The job itself; runs in the worker thread."""
        raise NotImplementedError

    def report(self, fraction: float, message: str = "") -> None:
        """Progress callback for the core: fraction 0..1 and a short message."""
        self.setProgress(max(0.0, min(100.0, 100.0 * float(fraction))))
        if message:
            self.message = message

    def run(self) -> bool:
        try:
            result = run_in_python_thread(self.work, self.lane)
            if self.isCanceled():
                raise CancelledError("Cancelled.")
            self.result = result
            return True
        except Exception as exc:  # run() never raises: the exception is kept for finished()
            self.exception = exc
            self.details = traceback.format_exc()
            return False

    def finished(self, result: bool) -> None:
        if result and self.exception is None:
            self.outcome = OK
        elif self.isCanceled() or isinstance(self.exception, CancelledError):
            self.outcome = CANCELLED
        else:
            self.outcome = ERROR
        self.done.emit(self)


@dataclass
class EmbedResult:
    """What an EmbedTask produced: the embedding and, for grids, the GeoTIFFs written."""

    embedding: Embedding
    files: Any = None


class EmbedTask(RsEmbedTask):
    """Embed one spec (rectangle or point buffer); grids are also written to GeoTIFF here."""

    def __init__(
        self,
        spec: Any,
        output: OutputSpec,
        data_dir: str,
        expand_deg: float,
        grid_folder: str | None = None,
        request: Any = None,
        description: str = "Copernicus-Embed",
    ) -> None:
        super().__init__(description)
        self.spec = spec
        self.output = output
        self.data_dir = data_dir
        self.expand_deg = expand_deg
        self.grid_folder = grid_folder
        self.request = request  # what the caller needs back in finished (geometry, crs...)

    def work(self) -> EmbedResult:
        self.report(0.02, "Reading the product")
        emb = get_embedding(
            spatial=self.spec,
            temporal=year_spec(),
            output=self.output,
            data_dir=self.data_dir,
            expand_deg=self.expand_deg,
            cancel=self.isCanceled,
        )
        if self.isCanceled():
            raise CancelledError("Cancelled.")
        files = None
        if self.output.mode == "grid":
            from rs_embed_qgis.gui.layers import write_grid_files

            self.report(0.7, "Writing the grid")
            files = write_grid_files(emb, self.grid_folder or "")
        self.report(1.0, "Done")
        return EmbedResult(emb, files)


@dataclass
class BatchResult:
    """Pooled vectors per feature id (None where it failed) and the error text of failures."""

    vectors: dict[int, Any] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    metas: dict[int, dict] = field(default_factory=dict)


class BatchEmbedTask(RsEmbedTask):
    """Embed many features (polygons, or points with a buffer) in one core batch."""

    lane = LANE_BATCH

    def __init__(
        self,
        fids: list[int],
        specs: list[Any],
        output: OutputSpec,
        data_dir: str,
        expand_deg: float,
        plan: Any = None,
        description: str = "Copernicus-Embed batch",
    ) -> None:
        super().__init__(description)
        self.fids = list(fids)
        self.specs = list(specs)  # a spec, or the exception that made one impossible
        self.output = output
        self.data_dir = data_dir
        self.expand_deg = expand_deg
        self.plan = plan

    def work(self) -> BatchResult:
        out = BatchResult()
        todo = []
        for fid, spec in zip(self.fids, self.specs, strict=True):
            if isinstance(spec, Exception):
                out.vectors[fid] = None
                out.errors[fid] = str(spec)
            else:
                todo.append((fid, spec))
        if todo:
            # Below the size at which the core prepares its fast cache, items are read
            # through TorchGeo: in this lane's thread, whose dataset is reused, rather
            # than in fresh worker threads whose datasets TorchGeo's lru_cache keeps.
            small = len(todo) < AUTO_PREPARE_MIN_ITEMS
            embs = get_embeddings_batch(
                spatials=[s for _, s in todo],
                temporal=year_spec(),
                output=self.output,
                data_dir=self.data_dir,
                expand_deg=self.expand_deg,
                on_error="skip",
                workers=1 if small else None,
                progress=self.report,
                cancel=self.isCanceled,
            )
            for (fid, _), emb in zip(todo, embs, strict=True):
                out.vectors[fid] = emb.data
                out.metas[fid] = emb.meta
                if emb.data is None:
                    out.errors[fid] = str(emb.meta.get("error", ""))
        self.report(1.0, "Done")
        return out


class PrepareCacheTask(RsEmbedTask):
    """Build the fast cache of a product file (one-off decompression)."""

    lane = LANE_BATCH

    def __init__(self, path: str, description: str = "Copernicus-Embed fast cache") -> None:
        super().__init__(description)
        self.path = path

    def work(self) -> dict:
        return prepare_cache(self.path, progress=self.report, cancel=self.isCanceled)
