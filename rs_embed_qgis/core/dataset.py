# SPDX-License-Identifier: GPL-2.0-or-later
"""Locating and validating the product file (GDAL), and TorchGeo's CopernicusEmbed (optional).

Finding and checking the file needs only GDAL's ``osgeo`` and the standard library;
torch and TorchGeo are imported only by the functions that build TorchGeo datasets.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rs_embed_qgis.core.constants import (
    DEFAULT_DATA_DIR,
    ENV_DATA_DIR,
    FILENAME_GLOB,
    PRODUCT_BANDS,
    PRODUCT_FILENAME,
    PRODUCT_HEIGHT,
    PRODUCT_MD5,
    PRODUCT_RES,
    PRODUCT_SHA256,
    PRODUCT_URL,
    PRODUCT_WIDTH,
)
from rs_embed_qgis.core.errors import (
    CorruptDataError,
    DataError,
    DataNotFoundError,
    DependencyError,
    PermissionDeniedError,
)
from rs_embed_qgis.core.georef import ACCEPTED_X0, TORCHGEO_GRID, ProductGrid, grid_of_origin
from rs_embed_qgis.core.specs import SensorSpec

_TOL = 1e-9


def resolve_data_dir(
    data_dir: str | os.PathLike | None = None, sensor: SensorSpec | None = None
) -> str:
    """``data_dir=`` > ``sensor.collection="dir:..."`` > $RS_EMBED_COP_DIR > default."""
    if data_dir:
        return os.fspath(data_dir)
    if sensor is not None and isinstance(sensor.collection, str):
        coll = sensor.collection.strip()
        if coll.startswith("dir:") and coll[4:].strip():
            return coll[4:].strip()
    return os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR


# Names of partial or temporary downloads and GDAL side files: never the product.
_NOT_PRODUCT = (".part", ".crdownload", ".tmp", ".download", ".aux.xml", ".ovr", ".msk")
# The product is a GeoTIFF: any other name that matches the glob (a stamp ``.json``, a
# ``.lock``, a checksum) is a side file.
_TIFF_SUFFIXES = (".tif", ".tiff")


def _permission_error(path: str | os.PathLike, exc: OSError | None = None) -> DataError:
    detail = f" ({exc.strerror or exc})" if exc is not None else ""
    return PermissionDeniedError(
        f"Permission denied: {os.fspath(path)} cannot be read{detail}. Give your user read "
        "access to it, or point the data directory setting at a copy you can read."
    )


def _candidates_in(folder: str) -> list[str]:
    """GeoTIFF files named like the product directly in ``folder``."""
    try:
        names = os.listdir(folder)
    except PermissionError as exc:
        raise _permission_error(folder, exc) from exc
    except OSError:
        return []
    out = []
    for name in names:
        low = name.lower()
        if not fnmatch.fnmatchcase(name, FILENAME_GLOB) or not low.endswith(_TIFF_SUFFIXES):
            continue
        # A temporary name that ends in .tif ("embed_map_310k.tif.tmp-123.tif") is no product.
        if any(f"{suffix}." in low or f"{suffix}-" in low for suffix in _NOT_PRODUCT):
            continue
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            out.append(path)
    return out


def find_product_candidates(data_dir: str | os.PathLike) -> list[Path]:
    """Every product-like file in ``data_dir`` and its direct sub-folders, best first.

    Only GeoTIFF names (``embed_map_*`` ending in ``.tif`` or ``.tiff``, any case) are
    candidates, so partial downloads (``*.part``, ``*.crdownload``, ``*.tmp``, also as
    ``*.tmp-123.tif``) and side files (``*.aux.xml``, ``*.ovr``, ``*.stamp.json``,
    ``*.lock``) never are. The exact name ``embed_map_310k.tif`` comes first (in the folder
    itself before a sub-folder).
    """
    root = os.fspath(data_dir)
    if os.path.isfile(root):
        return [Path(root)]
    if not os.path.isdir(root):
        return []
    direct = sorted(_candidates_in(root))
    nested: list[str] = []
    try:
        children = sorted(os.scandir(root), key=lambda e: e.name)
    except PermissionError as exc:
        raise _permission_error(root, exc) from exc
    for entry in children:
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir and not entry.name.startswith("."):
            try:
                nested.extend(sorted(_candidates_in(entry.path)))
            except DataError:
                continue  # an unreadable sub-folder is not where the product is
    hits = direct + nested
    hits.sort(key=lambda p: (os.path.basename(p) != PRODUCT_FILENAME, p not in direct))
    return [Path(p) for p in hits]


def find_product_file(data_dir: str | os.PathLike) -> Path | None:
    """The product file in ``data_dir`` or a direct sub-folder (see find_product_candidates).

    Raises DataError ("Permission denied: <path>") when the folder or the file cannot be read.
    """
    hits = find_product_candidates(data_dir)
    if not hits:
        return None
    if not os.access(hits[0], os.R_OK):
        raise _permission_error(hits[0])
    return hits[0]


def missing_data_message(data_dir: str, reason: str = "") -> str:
    """A message that says where the file was looked for and how to put it there by hand."""
    where = os.path.abspath(data_dir)
    msg = (
        f"The Copernicus-Embed file was not found in {where} (looked for {FILENAME_GLOB}, "
        f"expected {PRODUCT_FILENAME})"
    )
    if reason:
        msg += f" and could not be downloaded ({reason})"
    msg += (
        f". Download {PRODUCT_URL} by hand (sha256 {PRODUCT_SHA256}) and place it at "
        f"{os.path.join(where, PRODUCT_FILENAME)}, or point {ENV_DATA_DIR} / the data "
        "directory setting at the folder that holds it."
    )
    return msg


def corrupt_message(path: str | os.PathLike, detail: str) -> str:
    """A message for an unreadable product file: which file, and what to do.

    A file that only lacks read permission is not corrupt: the message then says so and
    does not tell the user to delete it.
    """
    unreadable = "permission denied" in detail.lower()
    if not unreadable:
        try:
            unreadable = os.path.exists(path) and not os.access(path, os.R_OK)
        except (OSError, ValueError):
            unreadable = False
    if unreadable:
        return (
            f"Permission denied: the Copernicus-Embed file {os.fspath(path)} cannot be read "
            f"({detail}). Give your user read access to it; the file itself may be fine."
        )
    return (
        f"The Copernicus-Embed file {os.fspath(path)} is corrupt or truncated ({detail}). "
        f"Delete it and download it again from {PRODUCT_URL}."
    )


GEOREF_FROM_FILE = "file"
# GDAL's (and rasterio's) "not georeferenced" geotransform: pixel = coordinate.
_NO_GEOTRANSFORM = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
GEOREF_ASSUMED = (
    "assumed: the file has no geotransform and no CRS; read as TorchGeo's grid "
    f"({TORCHGEO_GRID.describe()})"
)


@dataclass(frozen=True)
class ProductInfo:
    """What was checked about a product file: where it is and which part of the grid it holds."""

    path: str
    row_off: int
    col_off: int
    height: int
    width: int
    size: int
    mtime_ns: int
    inode: int
    # The global grid the file is on, read from its georeferencing (core/georef.py).
    grid: ProductGrid = TORCHGEO_GRID
    # "file" when read from the file; else says what was assumed (never silently).
    georeferencing: str = GEOREF_FROM_FILE

    @property
    def georeferencing_assumed(self) -> bool:
        """True when the file has no georeferencing and TorchGeo's grid was assumed."""
        return self.georeferencing != GEOREF_FROM_FILE

    @property
    def identity(self) -> tuple[str, int, int, int]:
        """Changes whenever the file is replaced or rewritten."""
        return (self.path, self.size, self.mtime_ns, self.inode)

    @property
    def is_global(self) -> bool:
        """True for the full 721 x 1440 product (whose columns wrap at the antimeridian)."""
        return self.width == PRODUCT_WIDTH and self.height == PRODUCT_HEIGHT

    def contains_window(self, row0: int, row1: int, col0: int, col1: int) -> bool:
        """True if the (wrapped) global window intersects the file at all."""
        rows = max(row0, self.row_off) < min(row1, self.row_off + self.height)
        if not rows:
            return False
        for shift in (-PRODUCT_WIDTH, 0, PRODUCT_WIDTH):
            if max(col0 + shift, self.col_off) < min(col1 + shift, self.col_off + self.width):
                return True
        return False


_info_lock = threading.Lock()
_info_cache: dict[tuple[str, int, int, int], ProductInfo] = {}


def file_stat_identity(path: str | os.PathLike) -> tuple[str, int, int, int]:
    """(realpath, size, mtime_ns, inode) of a file."""
    real = os.path.realpath(path)
    st = os.stat(real)
    return (real, st.st_size, st.st_mtime_ns, st.st_ino)


# GDAL data type names as NumPy spells them (the messages name NumPy types).
_GDAL_TYPES = {
    "Byte": "uint8",
    "Int8": "int8",
    "UInt16": "uint16",
    "Int16": "int16",
    "UInt32": "uint32",
    "Int32": "int32",
    "UInt64": "uint64",
    "Int64": "int64",
    "Float32": "float32",
    "Float64": "float64",
    "CInt16": "complex_int16",
    "CInt32": "complex_int32",
    "CFloat32": "complex64",
    "CFloat64": "complex128",
}


def _crs_name(wkt: str) -> tuple[str, int | None]:
    """A readable name of a CRS and its EPSG code (None when it has none)."""
    if not wkt:
        return "None", None
    from osgeo import osr

    srs = osr.SpatialReference()
    if srs.ImportFromWkt(wkt) != 0:
        return "unreadable", None
    srs.AutoIdentifyEPSG()  # fills in the code where only the definition is given
    auth, code = srs.GetAuthorityName(None), srs.GetAuthorityCode(None)
    if auth and code:
        epsg = int(code) if auth.upper() == "EPSG" and code.isdigit() else None
        return f"{auth}:{code}", epsg
    return srs.GetName() or "unknown", None


def _open_readable(path: str) -> None:
    """Raise DataError / CorruptDataError when the file cannot even be opened by us."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except PermissionError as exc:
        raise _permission_error(path, exc) from exc
    except OSError as exc:
        raise CorruptDataError(corrupt_message(path, str(exc))) from exc
    if head[:2] not in (b"II", b"MM"):
        raise CorruptDataError(corrupt_message(path, "it is not a TIFF file"))


# ---- GDAL access without process-wide settings (shared with the GDAL window reader)


def _gdal() -> Any:
    from osgeo import gdal

    return gdal


@contextlib.contextmanager
def _quiet_gdal() -> Iterator[Any]:
    """GDAL with errors kept off stderr, in this thread only (GDAL's handlers are per thread)."""
    gdal = _gdal()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    gdal.ErrorReset()
    try:
        yield gdal
    finally:
        gdal.PopErrorHandler()


def gdal_open(path: str) -> Any:
    """Open a GeoTIFF read-only with GDAL; failures become CorruptDataError/DataError.

    Works whether or not another part of the process enabled GDAL exceptions: the return
    value and the error are checked either way, and no process-wide setting is changed.
    """
    with _quiet_gdal() as gdal:
        err = ""
        try:
            ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY, allowed_drivers=["GTiff"])
        except RuntimeError as exc:  # GDAL exceptions enabled by someone else
            ds, err = None, str(exc)
        if ds is None:
            err = err or gdal.GetLastErrorMsg() or "GDAL could not open it"
    if ds is None:
        if not os.access(path, os.R_OK) and os.path.exists(path):
            raise PermissionDeniedError(f"Permission denied: {path} cannot be read ({err}).")
        raise CorruptDataError(corrupt_message(path, err))
    return ds


def inspect_product_file(path: str | os.PathLike) -> ProductInfo:
    """Check with GDAL that the file has the product's format; cached per file identity."""
    try:
        ident = file_stat_identity(path)
    except PermissionError as exc:
        raise _permission_error(path, exc) from exc
    except OSError as exc:
        raise DataNotFoundError(f"Cannot read {os.fspath(path)}: {exc}") from exc
    with _info_lock:
        hit = _info_cache.get(ident)
    if hit is not None:
        return hit
    _open_readable(ident[0])
    from osgeo import gdal

    ds = gdal_open(ident[0])
    try:
        count, height, width = ds.RasterCount, ds.RasterYSize, ds.RasterXSize
        dtypes = {
            _GDAL_TYPES.get(n, n.lower())
            for n in {
                gdal.GetDataTypeName(ds.GetRasterBand(i).DataType) for i in range(1, count + 1)
            }
        }
        wkt = ds.GetProjection() or ""
        crs, epsg = _crs_name(wkt)
        gt = ds.GetGeoTransform(can_return_null=True)
    finally:
        ds = None
    problems = []
    if count != PRODUCT_BANDS:
        problems.append(f"{count} bands instead of {PRODUCT_BANDS}")
    if dtypes != {"float32"}:
        problems.append(f"data type {', '.join(sorted(dtypes))} instead of float32")
    grid, row_off, col_off, georef = TORCHGEO_GRID, 0, 0, GEOREF_FROM_FILE
    if tuple(gt or ()) == _NO_GEOTRANSFORM:
        gt = None  # stored by some writers (and by GDAL when one is unset): none at all
    if gt is None and not wkt:
        # No georeferencing at all (a conversion that wrote bare TIFF tags): the product's
        # shape places it, on TorchGeo's grid; the assumption goes into every result's meta.
        georef = GEOREF_ASSUMED
        if (height, width) != (PRODUCT_HEIGHT, PRODUCT_WIDTH):
            problems.append(
                f"no georeferencing (no geotransform, no CRS) and shape {height}x{width}: "
                f"only a file of the whole {PRODUCT_HEIGHT}x{PRODUCT_WIDTH} grid can be "
                "placed without it"
            )
    else:
        c, a, b, f, d, e = gt or (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
        if epsg != 4326:
            problems.append(f"CRS {crs} instead of EPSG:4326")
        if gt is None:
            problems.append("no geotransform")
        elif abs(a - PRODUCT_RES) > _TOL or abs(e + PRODUCT_RES) > _TOL or b or d:
            problems.append(f"pixel size ({a}, {e}) instead of (0.25, -0.25)")
        else:
            try:
                grid, row_off, col_off = grid_of_origin(c, f)
            except ValueError as exc:
                problems.append(
                    f"origin ({c}, {f}) is not on an accepted 0.25 degree global grid: {exc}"
                )
    if not problems and (
        row_off < 0
        or col_off < 0
        or row_off + height > PRODUCT_HEIGHT
        or col_off + width > PRODUCT_WIDTH
    ):
        problems.append(f"shape {height}x{width} at offset ({row_off}, {col_off}) exceeds 721x1440")
    if problems:
        lo, hi = ACCEPTED_X0
        raise CorruptDataError(
            f"{ident[0]} is not a Copernicus-Embed file: {'; '.join(problems)}. "
            f"The product is one GeoTIFF of {PRODUCT_HEIGHT}x{PRODUCT_WIDTH} pixels, "
            f"{PRODUCT_BANDS} float32 bands, EPSG:4326, on a 0.25 degree grid whose west "
            f"edge is between {lo} and {hi} and north edge 90.125 ({PRODUCT_URL})."
        )
    info = ProductInfo(
        ident[0], row_off, col_off, height, width, ident[1], ident[2], ident[3], grid, georef
    )
    with _info_lock:
        _info_cache[ident] = info
    return info


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


_class_lock = threading.Lock()
_dataset_class: Any = None


def copernicus_embed_class() -> Any:
    """``torchgeo.datasets.CopernicusEmbed`` when TorchGeo has it (>= 0.9), else an equivalent."""
    global _dataset_class
    with _class_lock:
        if _dataset_class is not None:
            return _dataset_class
        try:
            import torchgeo.datasets as tgd
        except ImportError as exc:
            raise DependencyError(
                "The TorchGeo reader (reader='torchgeo', or download=True of a missing file) "
                "needs the optional packages torchgeo and torch in this Python environment; "
                "the default GDAL reader needs neither. For the download use the plugin's "
                f"'Download Copernicus-Embed' instead ({exc})."
            ) from exc
        cls = getattr(tgd, "CopernicusEmbed", None)
        _dataset_class = cls if cls is not None else _fallback_class(tgd)
        return _dataset_class


def _fallback_class(tgd: Any) -> Any:
    """A RasterDataset subclass equivalent to TorchGeo 0.9's CopernicusEmbed (TorchGeo < 0.9)."""
    from torchgeo.datasets.errors import DatasetNotFoundError
    from torchvision.datasets.utils import download_url

    class CopernicusEmbed(tgd.RasterDataset):  # type: ignore[misc,name-defined]
        """Copernicus-Embed: one global 0.25 degree GeoTIFF of 768-d embeddings (2021)."""

        filename_glob = FILENAME_GLOB
        url = PRODUCT_URL
        sha256 = PRODUCT_SHA256
        md5 = PRODUCT_MD5

        def __init__(
            self,
            paths: Any = "data",
            crs: Any = None,
            res: Any = None,
            transforms: Any = None,
            cache: bool = True,
            download: bool = False,
            checksum: bool = True,
        ) -> None:
            self.paths = paths
            self.download = download
            self.checksum = checksum
            self._verify()
            super().__init__(paths, crs, res, transforms=transforms, cache=cache)

        def _verify(self) -> None:
            if self.files:
                return
            if not self.download:
                raise DatasetNotFoundError(self)
            root = os.fspath(self.paths)
            name = os.path.basename(self.url)
            # Downloaded under a .part name, so an interrupted download is never taken
            # for the product (find_product_file skips .part files).
            part = os.path.join(root, name + ".part")
            try:
                download_url(self.url, root, filename=name + ".part")
                if self.checksum and sha256_of(part) != self.sha256:
                    raise RuntimeError(f"{name} failed its sha256 check and was removed.")
                os.replace(part, os.path.join(root, name))
            finally:
                if os.path.exists(part):
                    os.remove(part)

    return CopernicusEmbed


class _DatasetPool:
    """TorchGeo datasets of one (data_dir, download), lent to one caller at a time.

    A dataset caches its rasterio handle, and GDAL handles used by two threads at once
    return corrupt blocks; so each use borrows an instance no one else is using (a new
    one when all are busy) and gives it back. No instance is tied to a thread.
    """

    def __init__(self, identity: Any) -> None:
        self.identity = identity
        self.idle: list[Any] = []
        self.all: list[Any] = []


_pool_lock = threading.Lock()
_pools: dict[tuple[str, bool], _DatasetPool] = {}


def _new_dataset(data_dir: str, download: bool) -> Any:
    cls = copernicus_embed_class()
    if download and not os.path.isfile(data_dir):
        # Only a download needs the folder; never leave a stray one at a mistyped path.
        os.makedirs(data_dir, exist_ok=True)
    # The file we chose, not the folder: TorchGeo globs embed_map_* recursively, which takes
    # partial downloads (*.crdownload) and stray copies in deeper folders for the product.
    found = find_product_file(data_dir)
    try:
        return cls(paths=str(found) if found is not None else data_dir, download=download)
    except FileNotFoundError as exc:  # TorchGeo's DatasetNotFoundError
        raise DataNotFoundError(missing_data_message(data_dir, "download disabled")) from exc
    except (OSError, RuntimeError, ValueError) as exc:  # offline, HTTP error, bad checksum
        after = find_product_file(data_dir)
        if after is not None and found is None and download:
            # What this failed download left (TorchGeo >= 0.10 keeps a file that failed its
            # check under the final name): never leave it to be taken for the product.
            for leftover in (after, Path(f"{after}.part")):
                try:
                    os.remove(leftover)
                except OSError:
                    pass
            after = None
        if after is not None:
            raise CorruptDataError(corrupt_message(after, str(exc))) from exc
        raise DataNotFoundError(
            missing_data_message(data_dir, str(exc) or type(exc).__name__)
        ) from exc


def _forget(datasets: list[Any]) -> None:
    """Drop TorchGeo's cached handles of replaced datasets (a class-level lru_cache)."""
    for old in datasets:
        clear = getattr(getattr(type(old), "_cached_load_warp_file", None), "cache_clear", None)
        if clear is not None:
            clear()


def _take(data_dir: str, download: bool, identity: Any) -> tuple[_DatasetPool, Any]:
    key = (os.path.abspath(data_dir), bool(download))
    stale: list[Any] = []
    with _pool_lock:
        pool = _pools.get(key)
        if pool is None or pool.identity != identity:
            if pool is not None:
                stale = pool.all  # the file was replaced
            pool = _pools[key] = _DatasetPool(identity)
        ds = pool.idle.pop() if pool.idle else None
    _forget(stale)
    if ds is None:
        ds = _new_dataset(data_dir, download)
        with _pool_lock:
            pool.all.append(ds)
    return pool, ds


def _give_back(pool: _DatasetPool, ds: Any) -> None:
    with _pool_lock:
        if any(p is pool for p in _pools.values()):
            pool.idle.append(ds)


@contextlib.contextmanager
def borrow_dataset(data_dir: str, download: bool = True, identity: Any = None) -> Iterator[Any]:
    """A TorchGeo dataset for ``data_dir`` that no other caller uses until the block ends.

    ``identity`` (the file's stat identity) is part of the key, so a replaced file gets
    fresh datasets.
    """
    pool, ds = _take(data_dir, download, identity)
    try:
        yield ds
    finally:
        _give_back(pool, ds)


def get_dataset(data_dir: str, download: bool = True, identity: Any = None) -> Any:
    """A TorchGeo dataset for ``data_dir`` (downloading the file when allowed).

    The instance is the pool's: it is for one caller at a time. Code that reads from
    several threads uses ``borrow_dataset``, which lends each caller its own instance.
    """
    pool, ds = _take(data_dir, download, identity)
    _give_back(pool, ds)
    return ds


def clear_dataset_cache() -> None:
    """Forget the pooled datasets and all file checks (after a data file changed)."""
    with _pool_lock:
        stale = [ds for pool in _pools.values() for ds in pool.all]
        _pools.clear()
    _forget(stale)
    with _info_lock:
        _info_cache.clear()
