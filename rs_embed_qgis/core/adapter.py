# SPDX-License-Identifier: GPL-2.0-or-later
"""The copernicus_embed adapter: get_embedding / get_embeddings_batch, as in rs-embed."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
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
    find_product_candidates,
    find_product_file,
    inspect_product_file,
    missing_data_message,
    resolve_data_dir,
)
from rs_embed_qgis.core.errors import (
    CacheError,
    CancelledError,
    DataNotFoundError,
    DependencyError,
    InvalidGeometryError,
    NoCoverageError,
    RequestTooLargeError,
    RsEmbedError,
    SpecError,
)
from rs_embed_qgis.core.grid import (
    TORCHGEO_GRID,
    ProductGrid,
    Window,
    expand_box,
    spatial_to_box,
    window_for_bbox,
)
from rs_embed_qgis.core.pooling import POOL_BAND_BYTES, PoolResult, pool_window
from rs_embed_qgis.core.reader import WindowReader
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

READERS = ("auto", "gdal", "cache", "torchgeo")
GRID_FORMATS = ("xarray", "numpy")

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
    warnings: list[str] = field(default_factory=list)


def _torchgeo_download(data_dir: str) -> None:
    """The seed's ``download=True``: TorchGeo's CopernicusEmbed fetches the file (API only)."""
    from rs_embed_qgis.core.dataset import get_dataset

    get_dataset(data_dir, True)


def locate_file(data_dir: str, download: bool) -> str:
    """The product file in ``data_dir``; downloads it through TorchGeo when allowed.

    Without TorchGeo (as in QGIS) a missing file is reported with where it was looked for;
    the plugin downloads it through QGIS's own network stack instead.
    """
    path = find_product_file(data_dir)
    if path is None and download:
        try:
            _torchgeo_download(data_dir)
        except DependencyError as exc:
            raise DataNotFoundError(
                missing_data_message(data_dir, f"download=True needs TorchGeo: {exc}")
            ) from exc
        path = find_product_file(data_dir)
    if path is None:
        raise DataNotFoundError(missing_data_message(data_dir))
    return str(path)


def _other_candidates(data_dir: str, path: str) -> str | None:
    """A warning naming the other product-like files beside the one used, if any."""
    try:
        hits = find_product_candidates(data_dir)
    except RsEmbedError:
        return None
    used = os.path.realpath(path)
    others = [str(p) for p in hits if os.path.realpath(p) != used]
    if not others:
        return None
    return (
        f"Several Copernicus-Embed files were found; using {path}, not "
        f"{', '.join(others)}. Remove or rename the others to silence this warning."
    )


def _direct_reader(info: ProductInfo) -> WindowReader:
    from rs_embed_qgis.core.gdal_reader import open_gdal_reader

    return open_gdal_reader(info)


def open_source(
    data_dir: str | None = None,
    sensor: SensorSpec | None = None,
    download: bool = DEFAULT_DOWNLOAD,
    reader: str = "auto",
) -> Source:
    """Resolve the data directory and file, and choose the reader.

    ``reader``: ``auto`` (the prepared cache when there is one, else GDAL), ``gdal`` (the
    GeoTIFF's own pixels through GDAL), ``cache`` (the prepared cache, which must exist) or
    ``torchgeo`` (TorchGeo's CopernicusEmbed slicing: the reference path, needs torch).
    """
    if reader not in READERS:
        raise SpecError(f"reader must be one of {', '.join(map(repr, READERS))}, got {reader!r}.")
    ddir = resolve_data_dir(data_dir, sensor)
    path = locate_file(ddir, download)
    info = inspect_product_file(path)
    warnings: list[str] = []
    if info.georeferencing_assumed:
        warnings.append(f"{info.path}: georeferencing {info.georeferencing}.")
    others = _other_candidates(ddir, path)
    if others:
        warnings.append(others)
    chosen: WindowReader | None = None
    if reader in ("auto", "cache"):
        try:
            chosen = cache_mod.open_cached_reader(info)
        except CacheError as exc:
            if reader == "cache":
                raise
            warnings.append(f"The fast cache is not used: {exc}")
        if chosen is not None and reader == "auto":
            # A cache that fails its checksums is dropped and the file read directly.
            chosen = cache_mod.FallbackReader(chosen, functools.partial(_direct_reader, info))
        if chosen is None and reader == "cache":
            raise DataNotFoundError(
                f"No prepared cache for {info.path}; call prepare_cache() first."
            )
    if chosen is None and reader == "torchgeo":
        from rs_embed_qgis.core.reader import TorchGeoReader

        chosen = TorchGeoReader(info, ddir, download)
    if chosen is None:
        chosen = _direct_reader(info)
        # A layout the reader cannot decode itself is read through GDAL: say so, and its cost.
        slow = getattr(chosen, "slow_path_warning", "")
        if slow:
            warnings.append(slow)
    return Source(ddir, download, info, chosen, warnings)


# --------------------------------------------------------------------------- single items


def _base_meta(source: Source, year: int, expand_deg: float, output: OutputSpec) -> dict[str, Any]:
    meta = {
        "model": MODEL_ID,
        "kind": "precomputed",
        "source": "Copernicus-Embed (torchgeo.datasets.CopernicusEmbed product)",
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
        # The file's grid: every bbox and coordinate of the result is on it.
        "grid_origin": source.info.grid.origin,
        "georeferencing": source.info.georeferencing,
    }
    if source.warnings:
        meta["warnings"] = list(source.warnings)
    return meta


def _note_fallback(source: Source, meta: dict[str, Any]) -> None:
    """After a read: if the cache failed its checks, say so and name the reader used."""
    warning = getattr(source.reader, "warning", None)
    if warning:
        meta["reader"] = source.reader.name
        warnings = meta.setdefault("warnings", [])
        if warning not in warnings:
            warnings.append(warning)


def _window_meta(window: Window) -> dict[str, Any]:
    return {
        "bbox_4326": tuple(float(v) for v in window.bounds),
        "window": (window.row0, window.row1, window.col0, window.col1),
        "chw_shape": (PRODUCT_BANDS, window.height, window.width),
    }


def plan_window(
    spatial: BBox | PointBuffer, expand_deg: float, grid: ProductGrid = TORCHGEO_GRID
) -> tuple[tuple, tuple, Window]:
    """(requested box, expanded box, window of pixels of ``grid``) for a box-like spec."""
    requested = spatial_to_box(spatial)
    expanded = expand_box(requested, expand_deg)
    return requested, expanded, window_for_bbox(expanded, grid)


def estimate_request(
    spatial: SpatialSpec,
    output: OutputSpec | None = None,
    expand_deg: float = DEFAULT_EXPAND_DEG,
    grid: ProductGrid = TORCHGEO_GRID,
) -> dict[str, Any]:
    """Size of a request before reading it: pixels, bytes of the grid, bbox read.

    ``grid`` is the file's (``ProductInfo.grid``); TorchGeo's when no file is known yet.
    """
    output = output or OutputSpec.pooled()
    spatial = check_spatial(spatial)
    if isinstance(spatial, Polygon):
        from rs_embed_qgis.core.polygon import polygon_window

        window = polygon_window(spatial, grid)
    else:
        window = plan_window(spatial, check_expand(expand_deg), grid)[2]
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


@dataclass(frozen=True)
class _Job:
    """What every item of one request shares."""

    output: OutputSpec
    year: int
    expand_deg: float
    max_grid_bytes: int
    grid_format: str
    cancel: CancelFn | None


def _box_window(source: Source, spatial: BBox | PointBuffer, job: _Job, meta: dict) -> Window:
    """The window a box-like item reads (its meta filled in); NoCoverageError outside the file."""
    requested, expanded, window = plan_window(spatial, job.expand_deg, source.info.grid)
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
    return window


def _pooled_box(
    source: Source, window: Window, meta: dict, job: _Job, read: Callable[[Window], np.ndarray]
) -> Embedding:
    res = pool_window(read, window, job.output.pooling, job.cancel)
    _note_fallback(source, meta)
    if res.vector is None:
        raise _no_coverage("area", meta["bbox_4326"])
    meta.update(_count_meta(res))
    return Embedding(res.vector, meta)


def _embed_box(source: Source, spatial: BBox | PointBuffer, job: _Job, meta: dict) -> Embedding:
    window = _box_window(source, spatial, job, meta)
    if job.output.mode == "pooled":
        read = functools.partial(source.reader.read, cancel=job.cancel)
        return _pooled_box(source, window, meta, job, read)
    return _grid_embedding(source, window, meta, job)


def _count_meta(res: PoolResult) -> dict[str, Any]:
    return {
        "valid_pixels": res.valid_pixels,
        "total_pixels": res.total_pixels,
        "valid_fraction": res.valid_pixels / res.total_pixels if res.total_pixels else 0.0,
    }


def check_grid_size(window: Window, max_grid_bytes: int) -> None:
    """Refuse a grid larger than ``max_grid_bytes`` before anything is read."""
    if window.nbytes() > max_grid_bytes:
        raise RequestTooLargeError(
            f"The grid {window.height}x{window.width}x{PRODUCT_BANDS} would take "
            f"{window.nbytes() / 1024**2:.0f} MB, over the limit of "
            f"{max_grid_bytes / 1024**2:.0f} MB. Choose a smaller area, or pooled output."
        )


def grid_to_xarray(chw: np.ndarray, window: Window, meta: dict[str, Any]) -> Any:
    """A (d, y, x) xarray.DataArray with pixel-centre coordinates (the seed's grid output)."""
    try:
        import xarray as xr
    except ImportError as exc:
        raise DependencyError(
            "Grid output as an xarray.DataArray needs the optional package xarray; "
            f"ask for grid_format='numpy' to get a plain (d, y, x) array ({exc})."
        ) from exc
    return xr.DataArray(
        chw,
        dims=("d", "y", "x"),
        coords={"d": np.arange(PRODUCT_BANDS), "y": window.lats(), "x": window.lons()},
        name="embedding",
        attrs=dict(meta),
    )


def _grid_embedding(
    source: Source, window: Window, meta: dict[str, Any], job: _Job, hwc: np.ndarray | None = None
) -> Embedding:
    """The grid of a window; ``hwc`` is its pixels when they were read already."""
    check_grid_size(window, job.max_grid_bytes)
    if hwc is None:
        hwc = source.reader.read(window, cancel=job.cancel)
    _note_fallback(source, meta)
    valid = np.any(hwc != 0, axis=-1)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise _no_coverage("area", meta["bbox_4326"])
    meta.update(_count_meta(PoolResult(None, n_valid, int(valid.size))))
    chw = hwc.transpose(2, 0, 1)
    if job.grid_format == "numpy":
        return Embedding(chw, meta)
    return Embedding(grid_to_xarray(chw, window, meta), meta)


def _embed_one(source: Source, spatial: SpatialSpec, job: _Job, coverage: Any = None) -> Embedding:
    meta = _base_meta(source, job.year, job.expand_deg, job.output)
    if isinstance(spatial, Polygon):
        from rs_embed_qgis.core import polygon as poly

        meta["expand_deg"] = 0.0  # a polygon is pooled over exactly its area
        grid = source.info.grid
        cov = coverage if coverage is not None else poly.polygon_coverage([spatial], grid=grid)[0]
        if job.output.mode == "grid":
            window = cov.window()
            meta.update(spatial="Polygon", **_window_meta(window))
            return _grid_embedding(source, window, meta, job)
        vecs = poly.gather_cells(source.reader, cov, job.cancel)
        return _pooled_polygon(source, spatial, cov, vecs, meta, job)
    return _embed_box(source, spatial, job, meta)


def _pooled_polygon(
    source: Source, spatial: Polygon, cov: Any, vecs: np.ndarray, meta: dict, job: _Job
) -> Embedding:
    from rs_embed_qgis.core import polygon as poly

    vec, pmeta = poly.pool_cells(vecs, cov, job.output.pooling)
    _note_fallback(source, meta)
    meta.update(spatial="Polygon", **pmeta)
    if vec is None:
        raise _no_coverage("polygon with bounds", spatial.bounds)
    return Embedding(vec, meta)


def _plan_on_tiles(sweep: Any, i: int, source: Source, spatial: Any, job: _Job, cov: Any) -> bool:
    """Add a batch item to a tile sweep (False: too big to hold, read it on its own).

    The item's meta and checks are those of ``_embed_one``; its result is made by the same
    functions, from the pixels the sweep assembles instead of from reads.
    """
    meta = _base_meta(source, job.year, job.expand_deg, job.output)
    if isinstance(spatial, Polygon):
        meta["expand_deg"] = 0.0
        if job.output.mode == "pooled":
            finish = functools.partial(_pooled_polygon, source, spatial, cov, meta=meta, job=job)
            sweep.add_cells(i, cov.rows, cov.cols, finish)
            return True
        window = cov.window()
        meta.update(spatial="Polygon", **_window_meta(window))
    else:
        window = _box_window(source, spatial, job, meta)
    if job.output.mode == "grid":
        check_grid_size(window, job.max_grid_bytes)
        sweep.add_window(i, window, lambda hwc: _grid_embedding(source, window, meta, job, hwc))
        return True
    if window.nbytes() > POOL_BAND_BYTES:  # pooled in bands by a read of its own
        return False

    def pooled(hwc: np.ndarray) -> Embedding:
        return _pooled_box(source, window, meta, job, lambda band: hwc)

    sweep.add_window(i, window, pooled)
    return True


def _check_request(
    model: str,
    temporal: TemporalSpec | None,
    backend: str,
    output: OutputSpec | None,
    expand_deg: float,
    grid_format: str = "xarray",
) -> tuple[int, OutputSpec, float]:
    """Validate what single and batch requests share, year first (before any data access)."""
    check_model(model)
    year = validate_temporal(temporal)
    check_backend(backend)
    if grid_format not in GRID_FORMATS:
        raise SpecError(f"grid_format must be 'xarray' or 'numpy', got {grid_format!r}.")
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
    grid_format: str = "xarray",
    cancel: CancelFn | None = None,
) -> Embedding:
    """Embed one BBox / PointBuffer / Polygon: a pooled vector (768,) or a (d, y, x) grid.

    The year is validated before any data access; the bbox is grown to ``expand_deg``
    (BBox/PointBuffer only) and snapped outward to the product's pixel edges. Grids are
    xarray.DataArrays (the seed's output) or, with ``grid_format="numpy"``, plain (d, y, x)
    float32 arrays whose pixel-edge bounds are ``meta["bbox_4326"]``.
    """
    del device  # precomputed: nothing runs on a device
    year, output, expand = _check_request(model, temporal, backend, output, expand_deg, grid_format)
    spatial = check_spatial(spatial)
    source = open_source(data_dir, sensor, download, reader)
    job = _Job(output, year, expand, max_grid_bytes, grid_format, cancel)
    return _embed_one(source, spatial, job)


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


def _maybe_prepare(
    source: Source,
    policy: bool | str,
    n_items: int,
    reader: str,
    report: ProgressFn,
    is_cancelled: CancelFn,
) -> tuple[bool, str | None]:
    """Build the cache first when asked (or ``auto`` and worth it); (prepared, warning)."""
    if reader != "auto" or source.reader.name == "cache":
        return False, None
    if not cache_mod.should_prepare(policy, source.info, n_items):
        return False, None

    def prep_progress(f: float, msg: str) -> None:
        report(0.5 * f, msg)

    try:
        cache_mod.prepare_cache(source.info.path, progress=prep_progress, cancel=is_cancelled)
    except CacheError as exc:
        # A cache fault never costs the batch: read the GeoTIFF directly instead.
        return False, f"The fast cache could not be prepared; reading the file directly: {exc}"
    return True, None


def _tile_sweep(source: Source) -> Any:
    """A tile sweep over the source's reader when it is the direct GDAL reader, else None."""
    if source.reader.name != "gdal":
        return None
    from rs_embed_qgis.core.gdal_reader import GdalReader
    from rs_embed_qgis.core.tile_sweep import TileSweep

    return TileSweep(source.reader) if isinstance(source.reader, GdalReader) else None


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
    grid_format: str = "xarray",
) -> list[Embedding]:
    """Embed many specs; results in input order, equal to calling get_embedding on each.

    ``on_error="raise"`` raises naming the failing item's index; ``"skip"`` returns an
    Embedding with ``data=None`` and ``meta["error"]`` for items without coverage or with
    an unusable geometry. ``progress(fraction, message)`` and ``cancel() -> bool`` let a
    QgsTask or Processing feedback drive the batch; a cancelled batch raises
    CancelledError and returns nothing, and an exception raised by ``progress`` stops the
    batch at once. ``prepare_cache``: ``True`` builds the fast cache first, ``False``
    never, ``"auto"`` when the batch is large enough to pay for it and the disk has room;
    a cache that cannot be built is reported in ``meta["warnings"]`` and the file is read
    directly.
    """
    del device
    year, output, expand = _check_request(model, temporal, backend, output, expand_deg, grid_format)
    if on_error not in ("raise", "skip"):
        raise SpecError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    items = list(spatials)
    if not items:
        return []
    report = progress or (lambda f, m: None)
    is_cancelled = cancel or (lambda: False)
    job = _Job(output, year, expand, max_grid_bytes, grid_format, is_cancelled)

    source = open_source(data_dir, sensor, download, reader)
    prepared, warning = _maybe_prepare(
        source, prepare_cache, len(items), reader, report, is_cancelled
    )
    if prepared:
        source = open_source(data_dir, sensor, download, reader)
    if warning:
        source.warnings.append(warning)
    base, span = (0.5, 0.5) if prepared else (0.0, 1.0)

    results: list[Embedding | None] = [None] * len(items)
    errors: dict[int, BaseException] = {}
    checked: list[SpatialSpec | None] = []
    for i, sp in enumerate(items):
        try:
            checked.append(check_spatial(sp))
        except RsEmbedError as exc:
            checked.append(None)
            errors[i] = exc

    # Polygons: exact coverage of every polygon at once (vectorised NumPy).
    coverages: dict[int, Any] = {}
    poly_idx = [i for i, sp in enumerate(checked) if isinstance(sp, Polygon)]
    if poly_idx:
        from rs_embed_qgis.core import polygon as poly

        report(base, "Computing polygon coverage")
        covs = poly.polygon_coverage(
            [checked[i] for i in poly_idx], on_error="keep", grid=source.info.grid
        )
        for i, cov in zip(poly_idx, covs):
            if isinstance(cov, BaseException):
                errors[i] = cov
            else:
                coverages[i] = cov

    todo = [i for i in range(len(items)) if i not in errors]
    t0 = time.monotonic()

    def run(i: int) -> tuple[int, Embedding | None, BaseException | None]:
        if is_cancelled():
            return i, None, CancelledError("Cancelled.")
        try:
            return i, _embed_one(source, checked[i], job, coverages.get(i)), None  # type: ignore[arg-type]
        except RsEmbedError as exc:
            return i, None, exc

    count = [0]

    def collect(i: int, emb: Embedding | None, exc: BaseException | None) -> None:
        if isinstance(exc, CancelledError) or is_cancelled():
            raise CancelledError("The batch was cancelled; no results were returned.")
        if exc is not None:
            # The traceback of an item without coverage would keep its frames, and with
            # them its gathered pixels, alive until the end of the batch.
            errors[i] = exc.with_traceback(None) if isinstance(exc, _SKIPPABLE) else exc
        else:
            results[i] = emb
        count[0] += 1
        n = count[0]
        if n == len(todo) or n % 16 == 0:
            report(base + span * n / len(todo), f"Embedded {n} of {len(todo)}")

    n_workers = batch_workers(len(todo), workers) if todo else 1
    sweep = _tile_sweep(source)
    if sweep is not None:
        # The direct reader: each tile is decoded once for the whole batch.
        rest = []
        for i in todo:
            try:
                if not _plan_on_tiles(sweep, i, source, checked[i], job, coverages.get(i)):
                    rest.append(i)
            except RsEmbedError as exc:
                collect(i, None, exc)
        sweep.run(n_workers, is_cancelled, collect)
        todo_rest = rest
    else:
        todo_rest = todo
    if n_workers == 1 or len(todo_rest) <= 1:
        for i in todo_rest:
            collect(*run(i))
    else:
        # Workers only read and pool; progress, cancel and errors are handled here, in
        # the caller's thread, so a failing callback stops the batch at once. The pool
        # lives for this batch only.
        ex = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="rs_embed_batch")
        pending: set[Any] = set()
        try:
            queue = iter(todo_rest)
            for i in queue:
                pending.add(ex.submit(run, i))
                if len(pending) >= 2 * n_workers:
                    break
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                if not finished and is_cancelled():
                    raise CancelledError("The batch was cancelled; no results were returned.")
                for fut in finished:
                    collect(*fut.result())
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.add(ex.submit(run, nxt))
        finally:
            for fut in pending:
                fut.cancel()
            ex.shutdown(wait=True)

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
