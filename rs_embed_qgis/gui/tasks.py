# SPDX-License-Identifier: GPL-2.0-or-later
"""Background work of the dock: QgsTask subclasses whose ``run()`` does the work itself.

``run()`` (worker thread) stores a result or the exception and never raises; it passes
``cancel=self.isCanceled`` and a progress callback to the job layer. A cancelled task
returns False, so QGIS's task manager shows it as terminated, and ``outcome`` says
``cancelled``. ``finished()`` (main thread) only emits ``done``; the controller's slot
does the GUI and project work. No thread or executor outlives a task.
"""

from __future__ import annotations

import glob
import os
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsTask,
)
from qgis.PyQt.QtCore import pyqtSignal

from rs_embed_qgis.core.constants import FILENAME_GLOB
from rs_embed_qgis.core.errors import CacheError, CancelledError, RsEmbedError
from rs_embed_qgis.core.specs import OutputSpec
from rs_embed_qgis.i18n import tr

OK = "ok"
CANCELLED = "cancelled"
ERROR = "error"

if TYPE_CHECKING:
    from rs_embed_qgis.bridge.jobs import FeatureResults
# bridge.jobs (the core, NumPy) is imported when a task runs, not when QGIS starts.


class RsEmbedTask(QgsTask):
    """Base task: run ``work()`` in ``run()``; ``done`` is emitted on the main thread at the end."""

    done = pyqtSignal(object)

    def __init__(self, description: str) -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.result: Any = None
        self.exception: BaseException | None = None
        self.details = ""
        self.message = ""
        self.outcome = ""
        self._fraction = 0.0

    def work(self) -> Any:  # pragma: no cover - overridden
        """The job itself; runs in the worker thread."""
        raise NotImplementedError

    def report(self, fraction: float, message: str = "") -> None:
        """Progress callback: fraction 0..1 and the phase; progress never moves backwards."""
        if message:
            self.message = message
        self._fraction = max(self._fraction, min(1.0, max(0.0, float(fraction))))
        self.setProgress(100.0 * self._fraction)

    def run(self) -> bool:
        try:
            result = self.work()
        except CancelledError:
            return self._cancelled()
        except Exception as exc:  # run() never raises: the exception is kept for finished()
            self.exception = exc
            # A traceback helps with a bug, not with a refused folder or a network error.
            self.details = "" if isinstance(exc, RsEmbedError) else traceback.format_exc()
            return False
        if self.isCanceled():
            return self._cancelled()
        self.result = result
        return True

    def _cancelled(self) -> bool:
        # QGIS says "Task failed: <description>" for any task that ends without success
        # (a notification for long tasks); the description says what really happened.
        self.setDescription(tr("{0} (cancelled)").format(self.description()))
        return False

    def finished(self, result: bool) -> None:
        if result and self.exception is None:
            self.outcome = OK
        elif self.exception is None or isinstance(self.exception, CancelledError):
            # Cancelled while running, or before run() (QGIS then never calls run()).
            self.outcome = CANCELLED
        else:
            self.outcome = ERROR
        self.done.emit(self)


@dataclass
class EmbedResult:
    """What an EmbedTask produced: the embedding and, for grids, the GeoTIFFs written."""

    embedding: Any
    files: Any = None


class EmbedTask(RsEmbedTask):
    """Embed one extent or point; grids are also written to GeoTIFF here."""

    def __init__(
        self,
        request: Any,
        output: OutputSpec,
        data_dir: str,
        expand_deg: float,
        grid_folder: str | None = None,
        context: Any = None,
        description: str = "Copernicus-Embed",
    ) -> None:
        from rs_embed_qgis.bridge.jobs import AreaRequest

        super().__init__(description)
        # An AreaRequest of the job layer, or a bare core spec (BBox, PointBuffer, Polygon).
        self.request = request if isinstance(request, AreaRequest) else AreaRequest(request)
        self.spec = self.request.spec
        self.output = output
        self.data_dir = data_dir
        self.expand_deg = expand_deg
        self.grid_folder = grid_folder
        self.context = context  # what the caller needs back in finished (geometry, crs...)

    def work(self) -> EmbedResult:
        from rs_embed_qgis.bridge.jobs import embed_area

        self.report(0.02, tr("Reading the product"))
        emb = embed_area(
            self.request, self.output, self.data_dir, self.expand_deg, cancel=self.isCanceled
        )
        if self.isCanceled():
            raise CancelledError("Cancelled.")
        files = None
        if self.output.mode == "grid":
            from rs_embed_qgis.gui.layers import write_grid_files

            self.report(0.7, tr("Writing the grid"))
            files = write_grid_files(emb, self.grid_folder or "")
        self.report(1.0, tr("Done"))
        return EmbedResult(emb, files)


@dataclass
class BatchResult:
    """The job layer's per-feature results, with the feature ids they belong to."""

    fids: list[int]
    features: FeatureResults
    cache_warning: str = ""

    @property
    def vectors(self) -> dict[int, Any]:
        """fid -> vector (None where it failed)."""
        return dict(zip(self.fids, self.features.vectors, strict=True))

    @property
    def errors(self) -> dict[int, str]:
        """fid -> why it has no vector."""
        return {
            fid: str(err)
            for fid, err, vec in zip(
                self.fids, self.features.errors, self.features.vectors, strict=True
            )
            if vec is None
        }


class BatchEmbedTask(RsEmbedTask):
    """Embed many features (polygons, or points with a buffer); geometries converted in run()."""

    def __init__(
        self,
        features: list[QgsFeature],
        crs: QgsCoordinateReferenceSystem,
        context: QgsCoordinateTransformContext,
        output: OutputSpec,
        data_dir: str,
        buffer_m: float,
        expand_deg: float = 0.0,
        prepare_cache: bool = False,
        plan: Any = None,
        description: str = "Copernicus-Embed batch",
    ) -> None:
        super().__init__(description)
        # Copies made on the main thread: the layer may change while the task runs.
        self.features = [QgsFeature(f) for f in features]
        self.fids = [int(f.id()) for f in self.features]
        self.crs = QgsCoordinateReferenceSystem(crs)
        self.context = QgsCoordinateTransformContext(context)
        self.output = output
        self.data_dir = data_dir
        self.buffer_m = float(buffer_m)
        self.expand_deg = float(expand_deg)
        self.prepare_cache = prepare_cache
        self.plan = plan

    def _embed(self, prepare: bool) -> FeatureResults:
        from rs_embed_qgis.bridge.jobs import embed_features

        return embed_features(
            self.features,
            self.crs,
            self.context,
            output=self.output,
            data_dir=self.data_dir,
            buffer_m=self.buffer_m,
            expand_deg=self.expand_deg,
            prepare_cache=prepare,
            progress=self.report,
            cancel=self.isCanceled,
        )

    def work(self) -> BatchResult:
        warning = ""
        try:
            res = self._embed(self.prepare_cache)
        except CacheError as exc:
            if not self.prepare_cache:
                raise
            # A cache fault never costs a result: read directly instead.
            warning = str(exc)
            res = self._embed(False)
        return BatchResult(self.fids, res, warning)


class PrepareCacheTask(RsEmbedTask):
    """Build the fast cache of a product file (one-off decompression)."""

    def __init__(self, path: str, description: str = "Copernicus-Embed fast cache") -> None:
        super().__init__(description)
        self.path = path

    def work(self) -> dict:
        from rs_embed_qgis.core.cache import prepare_cache

        return prepare_cache(self.path, progress=self.report, cancel=self.isCanceled)


class RemoveCacheTask(RsEmbedTask):
    """Delete the fast cache of a product file (gigabytes: not on the GUI thread)."""

    def __init__(
        self, path: str, description: str = "Copernicus-Embed: remove cache", index: bool = True
    ) -> None:
        super().__init__(description)
        self.path = path
        self.index = index  # the search index goes too

    def work(self) -> str:
        from rs_embed_qgis.core.cache import clear_cache

        clear_cache(self.path, index=self.index)
        return self.path


# --------------------------------------------------------------------------- data directory


def candidate_files(folder: str) -> tuple[list[str], list[str]]:
    """(product files found, places looked): the folder itself and its direct children only.

    Never recursive: a folder such as "/" or a home directory costs one listing.
    """
    looked = [folder, os.path.join(folder, "*")]
    hits: list[str] = []
    for pattern in (
        os.path.join(glob.escape(folder), FILENAME_GLOB),
        os.path.join(glob.escape(folder), "*", FILENAME_GLOB),
    ):
        hits += sorted(
            p
            for p in glob.glob(pattern)
            if os.path.isfile(p) and not p.endswith((".tmp", ".part", ".aux.xml"))
        )
    return hits, looked


@dataclass
class DataDirReport:
    """What a data directory holds: the product file (or why not), and its fast cache."""

    folder: str
    origin: str = ""
    exists: bool = False
    writable: bool = False
    file: str = ""
    looked: list[str] = field(default_factory=list)
    problem: str = ""
    cache: dict[str, Any] | None = None
    # The product file's grid (west, north edge) as read from its georeferencing.
    grid_origin: tuple[float, float] | None = None

    @property
    def usable(self) -> bool:
        """A product file was found and could be opened."""
        return bool(self.file) and not self.problem


def inspect_data_dir(folder: str, origin: str = "") -> DataDirReport:
    """Look for the product in ``folder`` and its direct children, open it, read its cache state."""
    from rs_embed_qgis.core.cache import cache_status
    from rs_embed_qgis.core.dataset import inspect_product_file
    from rs_embed_qgis.core.errors import RsEmbedError

    folder = os.path.abspath(os.path.expanduser(folder.strip()))
    rep = DataDirReport(folder=folder, origin=origin)
    rep.exists = os.path.isdir(folder)
    rep.looked = [folder, os.path.join(folder, "*")]
    if not rep.exists:
        parent = folder
        while parent and not os.path.isdir(parent) and os.path.dirname(parent) != parent:
            parent = os.path.dirname(parent)
        rep.writable = os.access(parent, os.W_OK)
        return rep
    rep.writable = os.access(folder, os.W_OK)
    try:
        hits, rep.looked = candidate_files(folder)
    except OSError as exc:
        rep.problem = str(exc)
        return rep
    if not hits:
        return rep
    rep.file = hits[0]
    try:
        rep.grid_origin = inspect_product_file(rep.file).grid.origin
    except (RsEmbedError, OSError) as exc:
        rep.problem = str(exc)
        return rep
    try:
        rep.cache = cache_status(rep.file)
        rep.cache.update(_on_disk(rep.file, rep.cache))
    except (RsEmbedError, OSError) as exc:
        rep.cache = {"ready": False, "error": str(exc)}
    return rep


def _on_disk(path: str, st: dict) -> dict:
    """What *Remove cache* would delete: the cache's and the search index's bytes on disk."""
    from rs_embed_qgis.core.dataset import inspect_product_file
    from rs_embed_qgis.core.index import index_dir
    from rs_embed_qgis.gui.temp_folders import folder_bytes

    index = str(index_dir(inspect_product_file(path)))
    has_index = os.path.isfile(os.path.join(index, "meta.json"))
    return {
        "disk_bytes": folder_bytes(st["folder"]) if st.get("ready") else 0,
        "index_folder": index,
        "index_bytes": folder_bytes(index) if has_index else 0,
    }


class DataDirTask(RsEmbedTask):
    """Validate a data directory off the GUI thread."""

    def __init__(self, folder: str, origin: str = "", save: bool = False) -> None:
        super().__init__(tr("Copernicus-Embed: check the data directory"))
        self.folder = folder
        self.origin = origin
        self.save = save  # save the setting if the folder holds a usable product

    def work(self) -> DataDirReport:
        return inspect_data_dir(self.folder, self.origin)
