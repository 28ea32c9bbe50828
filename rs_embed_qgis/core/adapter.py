"""The copernicus_embed adapter: get_embedding / get_embeddings_batch, as in rs-embed."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rs_embed_qgis.core import cache as cache_mod
from rs_embed_qgis.core.constants import (
    BACKENDS,
    DEFAULT_BATCH_WORKERS,
    DEFAULT_DOWNLOAD,
    DEFAULT_EXPAND_DEG,
    ENV_BATCH_WORKERS,
    LEGACY_BACKENDS,
    MODEL_ALIASES,
    MODEL_ID,
    PRODUCT_BANDS,
    PRODUCT_CRS,
    PRODUCT_RES,
)
from rs_embed_qgis.core.dataset import (
    ProductInfo,
    find_product_file,
    get_dataset,
    inspect_product_file,
    missing_data_message,
    resolve_data_dir,
)
from rs_embed_qgis.core.errors import (
    CancelledError,
    DataNotFoundError,
    InvalidGeometryError,
    NoCoverageError,
    RequestTooLargeError,
    RsEmbedError,
    SpecError,
)
from rs_embed_qgis.core.grid import Window, expand_box, spatial_to_box, window_for_bbox
from rs_embed_qgis.core.pooling import PoolResult, pool_window
from rs_embed_qgis.core.reader import TorchGeoReader, WindowReader
from rs_embed_qgis.core.specs import (
    BBox,
    OutputSpec,
    PointBuffer,
    Polygon,
    SensorSpec,
    SpatialSpec,
    TemporalSpec,
    validate_temporal,
)

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]

# A grid larger than this is refused before anything is read (override per call).
DEFAULT_MAX_GRID_BYTES = 2 * 1024**3


@dataclass
class Embedding:
    """An embedding: ``data`` (float32 vector, xarray grid, or None if skipped) and ``meta``."""

    data: Any
    meta: dict[str, Any] = field(default_factory=dict)


def check_model(model: str) -> str:
    """Return the canonical model id, or raise SpecError naming the known one."""
    name = str(model).strip().lower()
    if name not in MODEL_ALIASES:
        raise SpecError(f"Unknown model {model!r}; this plugin provides {MODEL_ID!r}.")
    return MODEL_ID


def check_backend(backend: str) -> str:
    """``auto`` (``local`` is a legacy alias); anything else is an error."""
    name = str(backend).strip().lower()
    name = LEGACY_BACKENDS.get(name, name)
    if name not in BACKENDS:
        allowed = ", ".join(repr(b) for b in (*BACKENDS, *LEGACY_BACKENDS))
        raise SpecError(
            f"copernicus_embed is a precomputed product; backend must be one of {allowed}, "
            f"got {backend!r}."
        )
    return name


def check_output(output: OutputSpec) -> OutputSpec:
    """Reject anything that is not an OutputSpec."""
    if not isinstance(output, OutputSpec):
        raise SpecError(f"output must be an OutputSpec, got {type(output).__name__}.")
    return output


def check_spatial(spatial: Any) -> SpatialSpec:
    """Reject anything that is not a BBox, PointBuffer or Polygon."""
    if not isinstance(spatial, (BBox, PointBuffer, Polygon)):
        raise SpecError(
            f"spatial must be a BBox, PointBuffer or Polygon, got {type(spatial).__name__}."
        )
    spatial.validate()
    return spatial


def check_expand(expand_deg: float) -> float:
    """expand_deg must be a finite number >= 0 (0 disables expansion)."""
    try:
        v = float(expand_deg)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"expand_deg must be a number of degrees, got {expand_deg!r}.") from exc
    if not np.isfinite(v) or v < 0 or v > 360:
        raise SpecError(f"expand_deg must be between 0 and 360 degrees, got {expand_deg!r}.")
    return v


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def worker_pool(n: int) -> ThreadPoolExecutor:
    """A long-lived pool of ``n`` batch threads, shared by all batches of this process.

    Long-lived because each thread keeps its own TorchGeo dataset (GDAL handles are not
    thread-safe), and TorchGeo's class-level handle cache keeps every dataset alive: a
    fresh pool per batch would leak one dataset per thread per batch.
    """
    with _pools_lock:
        pool = _pools.get(n)
        if pool is None:
            pool = _pools[n] = ThreadPoolExecutor(max_workers=n, thread_name_prefix=_POOL_PREFIX)
        return pool


_POOL_PREFIX = "rs_embed_core"


def in_worker(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the core's long-lived reader thread (or here, if already on one).

    Data access runs on threads the core owns, so TorchGeo datasets are reused and never
    created on a short-lived thread (QGIS task threads get a new Python thread state per
    task, which pyproj >= 3.7 does not survive: pyproj issues 1509 and 1622).
    """
    if threading.current_thread().name.startswith(_POOL_PREFIX):
        return fn()
    return worker_pool(1).submit(fn).result()


def batch_workers(n_items: int, workers: int | None = None) -> int:
    """Worker count: argument > $RS_EMBED_COPERNICUS_BATCH_WORKERS > 4, at most one per item."""
    if workers is None:
        raw = os.environ.get(ENV_BATCH_WORKERS, str(DEFAULT_BATCH_WORKERS))
        try:
            workers = int(raw)
        except ValueError as exc:
            raise SpecError(f"{ENV_BATCH_WORKERS} must be an integer, got {raw!r}.") from exc
    return max(1, min(int(n_items), int(workers)))


# --------------------------------------------------------------------------- sources


@dataclass
class Source:
    """A resolved product file and the reader that serves it."""

    data_dir: str
    download: bool
    info: ProductInfo
    reader: WindowReader


_file_lock = threading.Lock()
_file_cache: dict[tuple[str, bool], str] = {}


def locate_file(data_dir: str, download: bool) -> str:
    """The product file in ``data_dir``; downloads it through TorchGeo when allowed."""
    key = (os.path.abspath(data_dir), bool(download))
    with _file_lock:
        hit = _file_cache.get(key)
    if hit is not None and os.path.isfile(hit):
        return hit
    path = find_product_file(data_dir)
    if path is None:
        # TorchGeo's own download path (download=True in the seed); raises our error.
        get_dataset(data_dir, download)
        path = find_product_file(data_dir)
        if path is None:
            raise DataNotFoundError(missing_data_message(data_dir))
    with _file_lock:
        _file_cache[key] = str(path)
    return str(path)


def open_source(
    data_dir: str | None = None,
    sensor: SensorSpec | None = None,
    download: bool = DEFAULT_DOWNLOAD,
    reader: str = "auto",
) -> Source:
    """Resolve the data directory and file, and choose the reader.

    ``reader``: ``auto`` (the prepared cache when there is one, else TorchGeo),
    ``torchgeo`` (always TorchGeo slicing, the reference path) or ``cache`` (the cache,
    which must be prepared).
    """
    if reader not in ("auto", "torchgeo", "cache"):
        raise SpecError(f"reader must be 'auto', 'torchgeo' or 'cache', got {reader!r}.")
    ddir = resolve_data_dir(data_dir, sensor)
    info = inspect_product_file(locate_file(ddir, download))
    chosen: WindowReader | None = None
    if reader in ("auto", "cache"):
        chosen = cache_mod.open_cached_reader(info)
        if chosen is None and reader == "cache":
            raise DataNotFoundError(
                f"No prepared cache for {info.path}; call prepare_cache() first."
            )
    if chosen is None:
        chosen = TorchGeoReader(info, ddir, download)
    return Source(ddir, download, info, chosen)


# --------------------------------------------------------------------------- single items


def _base_meta(source: Source, year: int, expand_deg: float, output: OutputSpec) -> dict[str, Any]:
    return {
        "model": MODEL_ID,
        "kind": "precomputed",
        "source": "torchgeo.datasets.CopernicusEmbed",
        "backend": "auto",
        "reader": source.reader.name,
        "data_dir": os.path.abspath(source.data_dir),
        "file": source.info.path,
        "download": source.download,
        "expand_deg": expand_deg,
        "year": year,
        "temporal": {"mode": "year", "year": year},
        "output": output.mode,
        "pooling": f"{output.pooling}_hw" if output.mode == "pooled" else None,
        "resolution_deg": PRODUCT_RES,
        "crs": PRODUCT_CRS,
    }


def _window_meta(window: Window) -> dict[str, Any]:
    return {
        "bbox_4326": tuple(float(v) for v in window.bounds),
        "window": (window.row0, window.row1, window.col0, window.col1),
        "chw_shape": (PRODUCT_BANDS, window.height, window.width),
    }


def plan_window(spatial: BBox | PointBuffer, expand_deg: float) -> tuple[tuple, tuple, Window]:
    """(requested box, expanded box, window of product pixels) for a box-like spec."""
    requested = spatial_to_box(spatial)
    expanded = expand_box(requested, expand_deg)
    return requested, expanded, window_for_bbox(expanded)


def estimate_request(
    spatial: SpatialSpec,
    output: OutputSpec | None = None,
    expand_deg: float = DEFAULT_EXPAND_DEG,
) -> dict[str, Any]:
    """Size of a request before reading it: pixels, bytes of the grid, bbox read."""
    output = output or OutputSpec.pooled()
    spatial = check_spatial(spatial)
    if isinstance(spatial, Polygon):
        from rs_embed_qgis.core.polygon import polygon_window

        window = polygon_window(spatial.geometry)
    else:
        window = plan_window(spatial, check_expand(expand_deg))[2]
    return {
        "pixels": window.height * window.width,
        "shape": (PRODUCT_BANDS, window.height, window.width),
        "grid_bytes": window.nbytes(),
        "bbox_4326": window.bounds,
        "output": output.mode,
    }


def _no_coverage(what: str, box: Any) -> NoCoverageError:
    return NoCoverageError(
        f"The {what} {tuple(round(float(v), 6) for v in box)} has no Copernicus-Embed "
        "coverage: every pixel there is empty (ocean) or outside the product. Try a larger "
        "area or one over land."
    )


def _embed_box(
    source: Source,
    spatial: BBox | PointBuffer,
    output: OutputSpec,
    meta: dict[str, Any],
    expand_deg: float,
    max_grid_bytes: int,
    cancel: CancelFn | None,
) -> Embedding:
    requested, expanded, window = plan_window(spatial, expand_deg)
    meta.update(
        spatial=type(spatial).__name__,
        requested_bbox=tuple(float(v) for v in requested),
        expanded_bbox=tuple(float(v) for v in expanded),
        **_window_meta(window),
    )
    if not source.info.contains_window(window.row0, window.row1, window.col0, window.col1):
        raise NoCoverageError(
            f"The bbox {meta['bbox_4326']} lies outside the product file {source.info.path}."
        )
    if output.mode == "pooled":
        res = pool_window(source.reader.read, window, output.pooling, cancel)
        if res.vector is None:
            raise _no_coverage("area", meta["bbox_4326"])
        meta.update(_count_meta(res))
        return Embedding(res.vector, meta)
    return _grid_embedding(source, window, meta, max_grid_bytes)


def _count_meta(res: PoolResult) -> dict[str, Any]:
    return {
        "valid_pixels": res.valid_pixels,
        "total_pixels": res.total_pixels,
        "valid_fraction": res.valid_pixels / res.total_pixels if res.total_pixels else 0.0,
    }


def _grid_embedding(
    source: Source, window: Window, meta: dict[str, Any], max_grid_bytes: int
) -> Embedding:
    import xarray as xr

    if window.nbytes() > max_grid_bytes:
        raise RequestTooLargeError(
            f"The grid {window.height}x{window.width}x{PRODUCT_BANDS} would take "
            f"{window.nbytes() / 1024**2:.0f} MB, over the limit of "
            f"{max_grid_bytes / 1024**2:.0f} MB. Choose a smaller area, or pooled output."
        )
    hwc = source.reader.read(window)
    valid = np.any(hwc != 0, axis=-1)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise _no_coverage("area", meta["bbox_4326"])
    meta.update(_count_meta(PoolResult(None, n_valid, int(valid.size))))
    da = xr.DataArray(
        hwc.transpose(2, 0, 1),
        dims=("d", "y", "x"),
        coords={"d": np.arange(PRODUCT_BANDS), "y": window.lats(), "x": window.lons()},
        name="embedding",
        attrs=dict(meta),
    )
    return Embedding(da, meta)


def _embed_one(
    source: Source,
    spatial: SpatialSpec,
    output: OutputSpec,
    year: int,
    expand_deg: float,
    max_grid_bytes: int,
    cancel: CancelFn | None = None,
    coverage: Any = None,
) -> Embedding:
    meta = _base_meta(source, year, expand_deg, output)
    if isinstance(spatial, Polygon):
        from rs_embed_qgis.core import polygon as poly

        meta["expand_deg"] = 0.0  # a polygon is pooled over exactly its area
        cov = coverage if coverage is not None else poly.polygon_coverage([spatial.geometry])[0]
        if output.mode == "grid":
            window = cov.window()
            meta.update(spatial="Polygon", **_window_meta(window))
            return _grid_embedding(source, window, meta, max_grid_bytes)
        vec, pmeta = poly.pool_coverage(source.reader, cov, output.pooling)
        meta.update(spatial="Polygon", **pmeta)
        if vec is None:
            raise _no_coverage("polygon with bounds", spatial.geometry.bounds)
        return Embedding(vec, meta)
    return _embed_box(source, spatial, output, meta, expand_deg, max_grid_bytes, cancel)


def _check_request(
    model: str,
    temporal: TemporalSpec | None,
    backend: str,
    output: OutputSpec | None,
    expand_deg: float,
) -> tuple[int, OutputSpec, float]:
    """Validate what single and batch requests share, year first (before any data access)."""
    check_model(model)
    year = validate_temporal(temporal)
    check_backend(backend)
    return year, check_output(output or OutputSpec.pooled()), check_expand(expand_deg)


def get_embedding(
    model: str = MODEL_ID,
    *,
    spatial: SpatialSpec,
    temporal: TemporalSpec | None = None,
    sensor: SensorSpec | None = None,
    output: OutputSpec | None = None,
    backend: str = "auto",
    device: str = "auto",
    data_dir: str | os.PathLike | None = None,
    expand_deg: float = DEFAULT_EXPAND_DEG,
    download: bool = DEFAULT_DOWNLOAD,
    reader: str = "auto",
    max_grid_bytes: int = DEFAULT_MAX_GRID_BYTES,
    cancel: CancelFn | None = None,
) -> Embedding:
    """Embed one BBox / PointBuffer / Polygon: a pooled vector (768,) or a (d, y, x) grid.

    The year is validated before any data access; the bbox is grown to ``expand_deg``
    (BBox/PointBuffer only) and snapped outward to the product's pixel edges.
    """
    del device  # precomputed: nothing runs on a device
    year, output, expand = _check_request(model, temporal, backend, output, expand_deg)
    spatial = check_spatial(spatial)

    def work() -> Embedding:
        source = open_source(data_dir, sensor, download, reader)
        return _embed_one(source, spatial, output, year, expand, max_grid_bytes, cancel)

    return in_worker(work)


# --------------------------------------------------------------------------- batches

_SKIPPABLE = (NoCoverageError, InvalidGeometryError, SpecError, RequestTooLargeError)


def _item_error(index: int, exc: BaseException) -> BaseException:
    """The same kind of error, with the failing item's index in front."""
    msg = f"Item {index}: {exc}"
    if isinstance(exc, RsEmbedError):
        try:
            new = type(exc)(msg)
        except TypeError:
            new = RsEmbedError(msg)
    else:
        new = RsEmbedError(f"Item {index} failed: {exc!r}")
    new.index = index  # type: ignore[attr-defined]
    return new


def get_embeddings_batch(
    model: str = MODEL_ID,
    *,
    spatials: Sequence[SpatialSpec],
    temporal: TemporalSpec | None = None,
    sensor: SensorSpec | None = None,
    output: OutputSpec | None = None,
    backend: str = "auto",
    device: str = "auto",
    data_dir: str | os.PathLike | None = None,
    expand_deg: float = DEFAULT_EXPAND_DEG,
    download: bool = DEFAULT_DOWNLOAD,
    reader: str = "auto",
    prepare_cache: bool | str = "auto",
    workers: int | None = None,
    on_error: str = "raise",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    max_grid_bytes: int = DEFAULT_MAX_GRID_BYTES,
) -> list[Embedding]:
    """Embed many specs; results in input order, equal to calling get_embedding on each.

    ``on_error="raise"`` raises naming the failing item's index; ``"skip"`` returns an
    Embedding with ``data=None`` and ``meta["error"]`` for items without coverage or with
    an unusable geometry. ``progress(fraction, message)`` and ``cancel() -> bool`` let a
    QgsTask or Processing feedback drive the batch; a cancelled batch raises
    CancelledError and returns nothing. ``prepare_cache="auto"`` builds the fast cache
    first when the batch is large enough to pay for it (reported through ``progress``).
    """
    del device
    year, output, expand = _check_request(model, temporal, backend, output, expand_deg)
    if on_error not in ("raise", "skip"):
        raise SpecError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    items = list(spatials)
    if not items:
        return []
    report = progress or (lambda f, m: None)
    is_cancelled = cancel or (lambda: False)

    source = open_source(data_dir, sensor, download, reader)
    if (
        reader == "auto"
        and source.reader.name == "torchgeo"
        and cache_mod.should_prepare(prepare_cache, source.info, len(items))
    ):

        def prep_progress(f: float, msg: str) -> None:
            report(0.5 * f, msg)

        cache_mod.prepare_cache(source.info.path, progress=prep_progress, cancel=is_cancelled)
        source = open_source(data_dir, sensor, download, reader)
        base, span = 0.5, 0.5
    else:
        base, span = 0.0, 1.0

    results: list[Embedding | None] = [None] * len(items)
    errors: dict[int, BaseException] = {}
    checked: list[SpatialSpec | None] = []
    for i, sp in enumerate(items):
        try:
            checked.append(check_spatial(sp))
        except RsEmbedError as exc:
            checked.append(None)
            errors[i] = exc

    # Polygons: exact coverage of every polygon at once (fast, vectorised by exactextract).
    coverages: dict[int, Any] = {}
    poly_idx = [i for i, sp in enumerate(checked) if isinstance(sp, Polygon)]
    if poly_idx:
        from rs_embed_qgis.core import polygon as poly

        report(base, "Computing polygon coverage")
        covs = poly.polygon_coverage(
            [checked[i].geometry for i in poly_idx],  # type: ignore[union-attr]
            on_error="keep",
        )
        for i, cov in zip(poly_idx, covs):
            if isinstance(cov, BaseException):
                errors[i] = cov
            else:
                coverages[i] = cov

    todo = [i for i in range(len(items)) if i not in errors]
    done = 0
    lock = threading.Lock()
    t0 = time.monotonic()

    def run(i: int) -> None:
        nonlocal done
        if is_cancelled():
            return
        try:
            results[i] = _embed_one(
                source,
                checked[i],  # type: ignore[arg-type]
                output,
                year,
                expand,
                max_grid_bytes,
                is_cancelled,
                coverages.get(i),
            )
        except RsEmbedError as exc:
            if isinstance(exc, CancelledError):
                return
            with lock:
                errors[i] = exc
        with lock:
            done += 1
            n = done
        if n == len(todo) or n % 16 == 0:
            report(base + span * n / len(todo), f"Embedded {n} of {len(todo)}")

    n_workers = batch_workers(len(todo), workers) if todo else 1
    # Windows of the cache are served by positional reads that release the GIL; TorchGeo
    # readers get one dataset (and GDAL handle) per worker thread.
    if n_workers == 1:

        def serial() -> None:
            for i in todo:
                if is_cancelled():
                    break
                run(i)

        in_worker(serial)
    else:
        list(worker_pool(n_workers).map(run, todo))

    if is_cancelled():
        raise CancelledError("The batch was cancelled; no results were returned.")
    for i in sorted(errors):
        exc = errors[i]
        if on_error == "raise" or not isinstance(exc, _SKIPPABLE):
            raise _item_error(i, exc) from exc
        meta = _base_meta(source, year, expand, output)
        meta.update(error=str(exc), error_type=type(exc).__name__, index=i)
        results[i] = Embedding(None, meta)
    report(1.0, f"Done: {len(items)} items in {time.monotonic() - t0:.1f} s")
    return [r for r in results]  # type: ignore[misc]
