"""Locating, validating and opening the product file through TorchGeo's CopernicusEmbed."""

from __future__ import annotations

import glob
import hashlib
import os
import threading
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
    PRODUCT_X0,
    PRODUCT_Y0,
)
from rs_embed_qgis.core.errors import CorruptDataError, DataNotFoundError, DependencyError
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


def find_product_file(data_dir: str | os.PathLike) -> Path | None:
    """The product file under ``data_dir`` (TorchGeo's glob ``**/embed_map_*``), or None."""
    root = os.fspath(data_dir)
    if os.path.isfile(root):
        return Path(root)
    if not os.path.isdir(root):
        return None
    hits = sorted(
        p
        for p in glob.iglob(os.path.join(root, "**", FILENAME_GLOB), recursive=True)
        if os.path.isfile(p) and not p.endswith((".tmp", ".part", ".aux.xml"))
    )
    return Path(hits[0]) if hits else None


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
    """A message for an unreadable product file: which file, and what to do."""
    return (
        f"The Copernicus-Embed file {os.fspath(path)} is corrupt or truncated ({detail}). "
        f"Delete it and download it again from {PRODUCT_URL}."
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


def inspect_product_file(path: str | os.PathLike) -> ProductInfo:
    """Open the file's header and check it is the product's format; cached per file identity."""
    try:
        ident = file_stat_identity(path)
    except OSError as exc:
        raise DataNotFoundError(f"Cannot read {os.fspath(path)}: {exc}") from exc
    with _info_lock:
        hit = _info_cache.get(ident)
    if hit is not None:
        return hit
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(ident[0]) as src:
            count, dtypes, crs, tr = src.count, set(src.dtypes), src.crs, src.transform
            height, width = src.height, src.width
    except RasterioError as exc:
        raise CorruptDataError(corrupt_message(ident[0], str(exc))) from exc
    problems = []
    if count != PRODUCT_BANDS:
        problems.append(f"{count} bands instead of {PRODUCT_BANDS}")
    if dtypes != {"float32"}:
        problems.append(f"data type {', '.join(sorted(dtypes))} instead of float32")
    if crs is None or crs.to_epsg() != 4326:
        problems.append(f"CRS {crs} instead of EPSG:4326")
    if abs(tr.a - PRODUCT_RES) > _TOL or abs(tr.e + PRODUCT_RES) > _TOL or tr.b or tr.d:
        problems.append(f"pixel size ({tr.a}, {tr.e}) instead of (0.25, -0.25)")
    col_off_f = (tr.c - PRODUCT_X0) / PRODUCT_RES
    row_off_f = (PRODUCT_Y0 - tr.f) / PRODUCT_RES
    if abs(col_off_f - round(col_off_f)) > 1e-6 or abs(row_off_f - round(row_off_f)) > 1e-6:
        problems.append(f"origin ({tr.c}, {tr.f}) is not on the product's 0.25 degree grid")
    row_off, col_off = round(row_off_f), round(col_off_f)
    if not problems and (
        row_off < 0
        or col_off < 0
        or row_off + height > PRODUCT_HEIGHT
        or col_off + width > PRODUCT_WIDTH
    ):
        problems.append(f"shape {height}x{width} at offset ({row_off}, {col_off}) exceeds 721x1440")
    if problems:
        raise CorruptDataError(
            f"{ident[0]} is not a Copernicus-Embed file: {'; '.join(problems)}. "
            f"The product is one GeoTIFF of {PRODUCT_HEIGHT}x{PRODUCT_WIDTH} pixels, "
            f"{PRODUCT_BANDS} float32 bands, EPSG:4326 ({PRODUCT_URL})."
        )
    info = ProductInfo(ident[0], row_off, col_off, height, width, ident[1], ident[2], ident[3])
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
                "copernicus_embed needs TorchGeo (and PyTorch) to read the product: "
                f"pip install torchgeo ({exc})."
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


_ds_local = threading.local()


def get_dataset(data_dir: str, download: bool = True, identity: Any = None) -> Any:
    """The TorchGeo dataset for ``data_dir``, cached per (data_dir, download) and per thread.

    One instance per thread because an instance caches its rasterio handle, and GDAL
    handles shared between threads return corrupt blocks. ``identity`` (the file's
    stat identity) is part of the key, so a replaced file gets a fresh dataset.
    """
    cache: dict[tuple[Any, ...], Any] = _ds_local.__dict__.setdefault("cache", {})
    key = (os.path.abspath(data_dir), bool(download), identity)
    ds = cache.get(key)
    if ds is not None:
        return ds
    stale = [k for k in cache if k[:2] == key[:2]]
    if stale:
        # The file was replaced: drop this thread's old dataset, and TorchGeo's cached
        # handles (a class-level lru_cache that would keep the old dataset alive).
        for k in stale:
            old = cache.pop(k)
            clear = getattr(type(old)._cached_load_warp_file, "cache_clear", None)
            if clear is not None:
                clear()
    cls = copernicus_embed_class()
    if download and not os.path.isfile(data_dir):
        # Only a download needs the folder; never leave a stray one at a mistyped path.
        os.makedirs(data_dir, exist_ok=True)
    try:
        ds = cls(paths=data_dir, download=download)
    except FileNotFoundError as exc:  # TorchGeo's DatasetNotFoundError
        raise DataNotFoundError(missing_data_message(data_dir, "download disabled")) from exc
    except (OSError, RuntimeError, ValueError) as exc:  # offline, HTTP error, bad checksum
        if find_product_file(data_dir) is not None:
            raise CorruptDataError(corrupt_message(find_product_file(data_dir), str(exc))) from exc
        raise DataNotFoundError(
            missing_data_message(data_dir, str(exc) or type(exc).__name__)
        ) from exc
    cache[key] = ds
    return ds


def clear_dataset_cache() -> None:
    """Forget this thread's cached datasets and all file checks (after a data file changed)."""
    _ds_local.__dict__.pop("cache", None)
    with _info_lock:
        _info_cache.clear()
