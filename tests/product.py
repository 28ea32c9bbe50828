"""Synthetic Copernicus-Embed product files, in the exact format of the real product (no QGIS).

The real product is one global GeoTIFF, ``embed_map_310k.tif``: 721 rows x 1440 cols of
0.25 degree pixels, 768 float32 bands, EPSG:4326, transform
``Affine(0.25, 0, -180.125, 0, -0.25, 90.125)`` (pixel centres at ``lon = -180 + 0.25 * col``,
``lat = 90 - 0.25 * row``), tiled 256x256, deflate, pixel-interleaved, no nodata; ocean
pixels are all-zero vectors.  This module writes files in that format (the whole grid or a
window of it) whose values are known in closed form, so tests can compare what a reader
returns with :func:`pixel_values` / :func:`land_mask`.

Values (:func:`pixel_values`): ``v[..., d] = sum_k f_k(lat, lon) * W[k, d]
+ 0.01 * sin(12.9898 * row + 78.233 * col + 0.37 * d)`` with 8 smooth basis fields ``f_k``
(1, sin lat, cos lat cos lon, cos lat sin lon, sin 2lat cos 2lon, cos 3lat sin 3lon,
sin 4lat sin 5lon, cos 6lat) and ``W`` drawn from ``np.random.default_rng(0)``; band 0 is
always > 0.5, so no pixel has an all-zero vector.  The values are computed only with
table look-ups and element-wise float operations, so they are bit-identical whatever the
shape of the request (one pixel or a whole chunk).

Land mask (:func:`land_mask`), pixel-centre coordinates, bounds inclusive unless noted:

* north-polar cap: lat >= 89 (rows 0..4), -90 <= lon < 90 (cols 360..1079);
* "Eurasia" belt across the antimeridian: 55 <= lat <= 72 (rows 72..140) and
  (lon >= 20 or lon <= -165), i.e. cols 800..1439 and 0..60 (land on both sides of
  lon 180 at lat 60..70, like Russia);
* "Europe": 46 <= lat < 55 (rows 141..176), -10 <= lon <= 40 (cols 680..880);
* "Africa": ellipse centre (lon 20, lat 0), semi-axes 25 deg lon x 30 deg lat;
* "North America": ellipse centre (lon -100, lat 45), semi-axes 25 x 15;
* "South America": ellipse centre (lon -60, lat -15), semi-axes 15 x 25;
* "Australia": -38 <= lat <= -12 (rows 408..512), 115 <= lon <= 150 (cols 1180..1320);
* "Antarctica": lat <= -70 (rows 640..720), every longitude;
* "Fiji" island across the antimeridian: -17.5 <= lat <= -16 (rows 424..430) and
  (lon >= 179.5 or lon <= -179.5), i.e. cols 1438..1439 and 0..2;
* one-pixel island at lon 60, lat -30 (row 480, col 960), ocean all around;
* "coast": 40 <= lat <= 45 (rows 180..200), 0 <= lon <= 5 (cols 720..740) is a
  checkerboard of 2x2-pixel squares, land where ``(row // 2 + col // 2) % 2 == 0``
  (e.g. rows 180..181 x cols 720..721 land, rows 180..181 x cols 722..723 ocean); the
  area around it (lat 35..45.75, lon -10..15) is otherwise ocean;
* everything else is ocean; in particular the "Pacific" lon -160..-120, lat -40..0
  (rows 360..520, cols 80..240) is pure ocean.

World mask (:func:`world_land_mask`): land where the pixel centre is inside one of the 240
polygons of the ``countries`` layer of QGIS's own ``world_map.gpkg`` ($RS_EMBED_WORLD_MAP,
else Debian's /usr/share/qgis/resources/data/world_map.gpkg), rasterised once with GDAL
(ALL_TOUCHED off). The full-size file of :func:`cached_full_product` (the demo's and the
benchmarks') uses it, so the synthetic world looks like the world; the values stay
:func:`pixel_values`. Test windows keep :func:`land_mask`.

CLI: ``python tests/product.py full [--dir D] [--mask world|fixture]`` prints the path of
the cached full-size file (generating it if needed); ``python tests/product.py window OUT
row0 row1 col0 col1 [--mask fixture|world]`` writes a window of the global grid to OUT.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import Affine
from rasterio.windows import Window

GLOBAL_HEIGHT = 721
GLOBAL_WIDTH = 1440
BANDS = 768
RES = 0.25
X0 = -180.125
Y0 = 90.125

PRODUCT_NAME = "embed_map_310k.tif"
PRODUCT_SUBDIR = "copernicus_embed"
BLOCK = 256
# Bump when the file format or the generated values change (the cache also checks a
# fingerprint of the values and of the mask, so an unbumped change is still detected).
# 2: the full-size file has the world mask.
FORMAT_VERSION = 2

WORLD_MAP_ENV = "RS_EMBED_WORLD_MAP"
WORLD_MAP_DEFAULT = "/usr/share/qgis/resources/data/world_map.gpkg"  # Debian's QGIS
WORLD_LAYER = "countries"

CREATION_OPTIONS: dict[str, object] = {
    "driver": "GTiff",
    "dtype": "float32",
    "count": BANDS,
    "crs": "EPSG:4326",
    "tiled": True,
    "blockxsize": BLOCK,
    "blockysize": BLOCK,
    "compress": "deflate",
    "interleave": "pixel",
    "nodata": None,
    "BIGTIFF": "IF_SAFER",
    "NUM_THREADS": "ALL_CPUS",
}

_N_SMOOTH = 8  # smooth basis fields
_NOISE = 0.01  # amplitude of the hash-like term
_SUB_BLOCK = 8192  # pixels per matrix product (bounds the float64 temporary to 50 MB)
# Fields are rounded to multiples of 2**-20 (|f| <= 1) and weights to multiples of 2**-16
# (|w| < 16): every product is a multiple of 2**-36 below 2**4 and a sum of 10 of them
# needs < 45 bits, so the float64 matrix product is exact whatever the BLAS summation
# order; rounding that to float32 makes pixel_values bit-identical for any request shape.
_F_SCALE = float(2**20)
_W_SCALE = float(2**16)


# --------------------------------------------------------------------------- values


@functools.lru_cache(maxsize=1)
def _row_table() -> np.ndarray:
    """Per-row factors (GLOBAL_HEIGHT, 8), float64: lat terms and the row part of the hash."""
    rows = np.arange(GLOBAL_HEIGHT, dtype=np.float64)
    lat = np.deg2rad(90.0 - RES * rows)
    a = rows * 12.9898
    t = np.stack(
        [
            np.sin(lat),
            np.cos(lat),
            np.sin(2 * lat),
            np.cos(3 * lat),
            np.sin(4 * lat),
            np.cos(6 * lat),
            np.sin(a),
            np.cos(a),
        ],
        axis=1,
    )
    t.setflags(write=False)
    return t


@functools.lru_cache(maxsize=1)
def _col_table() -> np.ndarray:
    """Per-column factors (GLOBAL_WIDTH, 7), float64: lon terms and the column part of the hash."""
    cols = np.arange(GLOBAL_WIDTH, dtype=np.float64)
    lon = np.deg2rad(-180.0 + RES * cols)
    b = cols * 78.233
    t = np.stack(
        [
            np.cos(lon),
            np.sin(lon),
            np.cos(2 * lon),
            np.sin(3 * lon),
            np.sin(5 * lon),
            np.sin(b),
            np.cos(b),
        ],
        axis=1,
    )
    t.setflags(write=False)
    return t


@functools.lru_cache(maxsize=8)
def _weights(bands: int) -> np.ndarray:
    """Weight matrix (10, bands), float64 on a 2**-16 grid: 8 smooth-field rows, 2 hash rows."""
    n = max(bands, BANDS)
    # Drawn as (n, K) then transposed, so the first columns are the same for any n.
    w = 0.5 * np.random.default_rng(0).standard_normal((n, _N_SMOOTH)).T[:, :bands]
    w = np.array(w, dtype=np.float64)
    if bands:
        # Band 0 > 0.5 everywhere: |f_k| <= 1, so v0 >= w00 - sum|w_k0| - 0.02.
        w[0, 0] = 0.5 + 2 * _NOISE + 0.02 + np.abs(w[1:, 0]).sum()
    c = 0.37 * np.arange(bands, dtype=np.float64)
    out = np.concatenate([w, _NOISE * np.cos(c)[None], _NOISE * np.sin(c)[None]], axis=0)
    out = np.round(out * _W_SCALE) / _W_SCALE
    if out.size and np.abs(out).max() >= 16.0:  # needed for the exactness of pixel_values
        raise AssertionError("weights too large")
    out.setflags(write=False)
    return out


def _check_indices(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Broadcast and validate global pixel indices."""
    r, c = np.broadcast_arrays(np.asarray(rows), np.asarray(cols))
    if not (np.issubdtype(r.dtype, np.integer) and np.issubdtype(c.dtype, np.integer)):
        raise TypeError("rows and cols must be integer arrays")
    if r.size and (r.min() < 0 or r.max() >= GLOBAL_HEIGHT):
        raise IndexError(f"row index outside 0..{GLOBAL_HEIGHT - 1}")
    if c.size and (c.min() < 0 or c.max() >= GLOBAL_WIDTH):
        raise IndexError(f"col index outside 0..{GLOBAL_WIDTH - 1}")
    return r, c


def _fields(r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Basis fields (n, 10), float64 on a 2**-20 grid, for flat index arrays r, c."""
    rt = _row_table()[r]
    ct = _col_table()[c]
    sin_lat, cos_lat, sin2, cos3, sin4, cos6, sa, ca = rt.T
    cos_lon, sin_lon, cos2l, sin3l, sin5l, sb, cb = ct.T
    f = np.empty((r.size, _N_SMOOTH + 2), dtype=np.float64)
    f[:, 0] = 1.0
    f[:, 1] = sin_lat
    f[:, 2] = cos_lat * cos_lon
    f[:, 3] = cos_lat * sin_lon
    f[:, 4] = sin2 * cos2l
    f[:, 5] = cos3 * sin3l
    f[:, 6] = sin4 * sin5l
    f[:, 7] = cos6
    f[:, 8] = sa * cb + ca * sb  # sin(a + b)
    f[:, 9] = ca * cb - sa * sb  # cos(a + b)
    return np.round(f * _F_SCALE) / _F_SCALE


def pixel_values(rows: np.ndarray, cols: np.ndarray, bands: int = BANDS) -> np.ndarray:
    """Expected float32 vectors, shape rows.shape + (bands,), for global pixel indices (rows, cols)."""  # noqa: E501
    r, c = _check_indices(rows, cols)
    shape = r.shape
    r = r.ravel()
    c = c.ravel()
    w = _weights(int(bands))
    out = np.empty((r.size, w.shape[1]), dtype=np.float32)
    buf = np.empty((min(_SUB_BLOCK, r.size), w.shape[1]), dtype=np.float64)
    for s in range(0, r.size, _SUB_BLOCK):
        e = min(s + _SUB_BLOCK, r.size)
        b = buf[: e - s]
        np.matmul(_fields(r[s:e], c[s:e]), w, out=b)  # exact in float64 (see _F_SCALE)
        out[s:e] = b
    return out.reshape(shape + (w.shape[1],))


# ----------------------------------------------------------------------------- mask


def _ellipse(
    lon: np.ndarray, lat: np.ndarray, cx: float, cy: float, ax: float, ay: float
) -> np.ndarray:
    """Inside-or-on an axis-aligned lon/lat ellipse."""
    return ((lon - cx) / ax) ** 2 + ((lat - cy) / ay) ** 2 <= 1.0


def land_mask(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Boolean land mask for global pixel indices: True = land (non-zero vector)."""
    r, c = _check_indices(rows, cols)
    lat = 90.0 - RES * r.astype(np.float64)  # exact: multiples of 0.25
    lon = -180.0 + RES * c.astype(np.float64)
    land = (lat >= 89.0) & (lon >= -90.0) & (lon < 90.0)  # north-polar cap
    land |= (lat >= 55.0) & (lat <= 72.0) & ((lon >= 20.0) | (lon <= -165.0))  # Eurasia
    land |= (lat >= 46.0) & (lat < 55.0) & (lon >= -10.0) & (lon <= 40.0)  # Europe
    land |= _ellipse(lon, lat, 20.0, 0.0, 25.0, 30.0)  # Africa
    land |= _ellipse(lon, lat, -100.0, 45.0, 25.0, 15.0)  # North America
    land |= _ellipse(lon, lat, -60.0, -15.0, 15.0, 25.0)  # South America
    land |= (lat >= -38.0) & (lat <= -12.0) & (lon >= 115.0) & (lon <= 150.0)  # Australia
    land |= lat <= -70.0  # Antarctica
    land |= (lat >= -17.5) & (lat <= -16.0) & ((lon >= 179.5) | (lon <= -179.5))  # Fiji
    land |= (lat == -30.0) & (lon == 60.0)  # one-pixel island
    coast = (lat >= 40.0) & (lat <= 45.0) & (lon >= 0.0) & (lon <= 5.0)
    land |= coast & ((r // 2 + c // 2) % 2 == 0)
    return land


def world_map_path() -> Path:
    """QGIS's world_map.gpkg: $RS_EMBED_WORLD_MAP, else Debian's QGIS resources path."""
    path = Path(os.environ.get(WORLD_MAP_ENV) or WORLD_MAP_DEFAULT)
    if not path.is_file():
        raise FileNotFoundError(
            f"QGIS's world_map.gpkg is not at {path}: install QGIS or set {WORLD_MAP_ENV}."
        )
    return path


@functools.lru_cache(maxsize=2)
def _world_grid(path: str) -> np.ndarray:
    """(GLOBAL_HEIGHT, GLOBAL_WIDTH) bool, read-only: pixel centres inside a country of ``path``."""
    from osgeo import gdal, ogr

    src = ogr.Open(path, 0)
    layer = src.GetLayerByName(WORLD_LAYER) if src is not None else None
    if layer is None:
        raise FileNotFoundError(f"{path} has no layer {WORLD_LAYER!r}.")
    ds = gdal.GetDriverByName("MEM").Create("", GLOBAL_WIDTH, GLOBAL_HEIGHT, 1, gdal.GDT_Byte)
    ds.SetGeoTransform((X0, RES, 0.0, Y0, 0.0, -RES))
    ds.SetProjection(layer.GetSpatialRef().ExportToWkt())
    # ALL_TOUCHED off: GDAL burns a pixel when its centre is inside a polygon.
    err = gdal.RasterizeLayer(ds, [1], layer, burn_values=[1], options=["ALL_TOUCHED=FALSE"])
    if err != 0:
        raise RuntimeError(f"Rasterizing {path} failed: {gdal.GetLastErrorMsg()}")
    grid = ds.GetRasterBand(1).ReadAsArray() != 0
    grid.setflags(write=False)
    return grid


def world_land_mask(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Boolean land mask for global pixel indices from QGIS's world_map.gpkg countries."""
    r, c = _check_indices(rows, cols)
    return _world_grid(str(world_map_path().resolve()))[r, c]


# Masks a full-size file can have, by the name its stamp records.
MASKS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "world": world_land_mask,
    "fixture": land_mask,
}
FULL_MASK = "world"  # the mask of cached_full_product's file (the demo's and the benchmarks')


# ---------------------------------------------------------------------------- write


def _chunks(
    height: int, width: int, chunk_rows: int, block: int = BLOCK
) -> Iterator[tuple[int, int, int, int]]:
    """Tile-aligned chunks (r0, r1, c0, c1) of a file, about chunk_rows * 1440 pixels each."""
    budget = max(1, chunk_rows) * GLOBAL_WIDTH
    ncols = max(1, budget // (block * block)) * block
    for r0 in range(0, height, block):
        r1 = min(r0 + block, height)
        for c0 in range(0, width, ncols):
            yield r0, r1, c0, min(c0 + ncols, width)


def write_product(
    path: str | os.PathLike[str],
    row0: int = 0,
    row1: int = GLOBAL_HEIGHT,
    col0: int = 0,
    col1: int = GLOBAL_WIDTH,
    *,
    mask: Callable[[np.ndarray, np.ndarray], np.ndarray] = land_mask,
    values: Callable[[np.ndarray, np.ndarray], np.ndarray] = pixel_values,
    chunk_rows: int = 64,
    progress: Callable[[float], None] | None = None,
    creation: dict[str, object] | None = None,
    ocean: float = 0.0,
    origin: tuple[float, float] | None = None,
) -> Path:
    """Write the window [row0:row1, col0:col1] of the global grid in the product's exact format.

    ``creation`` overrides creation options (another layout of the same numbers: predictor,
    interleave, tiling, compression, BigTIFF...); ``ocean`` is the value written at ocean
    pixels (``-0.0`` is what ``values * land_mask`` gives in a conversion); ``origin`` is the
    (west, north) edge of the global grid written into the georeferencing (TorchGeo's
    -180.125, 90.125 by default).
    """
    if not (0 <= row0 < row1 <= GLOBAL_HEIGHT and 0 <= col0 < col1 <= GLOBAL_WIDTH):
        raise ValueError(f"bad window rows {row0}:{row1} cols {col0}:{col1}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = row1 - row0, col1 - col0
    x0, y0 = origin if origin is not None else (X0, Y0)
    transform = Affine(RES, 0.0, x0 + RES * col0, 0.0, -RES, y0 - RES * row0)
    options = {**CREATION_OPTIONS, **(creation or {})}
    if not options.get("tiled", True):
        options.pop("blockxsize", None)
    total = height * width
    done = 0
    # Writes cover whole 256x256 tiles (chunk_rows only sets the size of a chunk): a write
    # of part of a tile leaves it dirty in GDAL's block cache, and if the cache evicts it
    # the tile is compressed twice and the file bloats (2.5x for 64-row full-width chunks).
    with rasterio.open(
        path, "w", width=width, height=height, transform=transform, **options
    ) as dst:
        block = int(options.get("blockysize", BLOCK)) if options.get("tiled", True) else BLOCK
        for r0, r1, c0, c1 in _chunks(height, width, chunk_rows, max(block, 1)):
            rr, cc = np.meshgrid(
                np.arange(row0 + r0, row0 + r1), np.arange(col0 + c0, col0 + c1), indexing="ij"
            )
            v = np.asarray(values(rr, cc), dtype=np.float32)
            if v.shape != rr.shape + (BANDS,):
                raise ValueError(f"values returned shape {v.shape}, expected {rr.shape + (BANDS,)}")
            v[~np.asarray(mask(rr, cc), dtype=bool)] = ocean
            # (rows, cols, bands) buffer seen as (bands, rows, cols): rasterio passes the
            # strides to GDAL, which gets the pixel-interleaved layout of the file directly.
            dst.write(np.moveaxis(v, -1, 0), window=Window(c0, r0, c1 - c0, r1 - r0))
            del v, rr, cc
            done += (r1 - r0) * (c1 - c0)
            if progress is not None:
                progress(0.99 * done / total)
    if progress is not None:
        progress(1.0)
    return path


def write_corrupt_copy(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], keep_fraction: float = 0.5
) -> Path:
    """Write a truncated copy of a product file (first keep_fraction of bytes), for corrupt-file tests."""  # noqa: E501
    if not 0.0 <= keep_fraction < 1.0:
        raise ValueError("keep_fraction must be in [0, 1)")
    src, dst = Path(src), Path(dst)
    remaining = int(src.stat().st_size * keep_fraction)
    with src.open("rb") as fi, dst.open("wb") as fo:
        while remaining > 0:
            buf = fi.read(min(remaining, 16 << 20))
            if not buf:
                break
            fo.write(buf)
            remaining -= len(buf)
    return dst


# ---------------------------------------------------------------------------- cache


def _fingerprint(mask: str = FULL_MASK) -> str:
    """Hash of the format, the mask and the generated values, to detect a changed generator."""
    h = hashlib.sha256()
    h.update(f"{FORMAT_VERSION}|{GLOBAL_HEIGHT}|{GLOBAL_WIDTH}|{BANDS}|{RES}|{X0}|{Y0}".encode())
    h.update(json.dumps(CREATION_OPTIONS, sort_keys=True, default=str).encode())
    h.update(f"mask={mask}".encode())
    rr, cc = np.meshgrid(np.arange(GLOBAL_HEIGHT), np.arange(GLOBAL_WIDTH), indexing="ij")
    h.update(np.packbits(MASKS[mask](rr, cc)).tobytes())
    rows = np.arange(0, GLOBAL_HEIGHT, 37)
    cols = (np.arange(rows.size) * 211 + 5) % GLOBAL_WIDTH
    h.update(pixel_values(rows, cols).tobytes())
    return h.hexdigest()


def _default_cache_dir() -> Path:
    """$RS_EMBED_BENCH_DIR or ~/.cache/rs_embed_qgis/bench."""
    env = os.environ.get("RS_EMBED_BENCH_DIR")
    return Path(env) if env else Path.home() / ".cache" / "rs_embed_qgis" / "bench"


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Exclusive inter-process lock (no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stderr_progress(start: float) -> Callable[[float], None]:
    """Progress callback printing percentage and elapsed time to stderr."""
    last = [-1]

    def report(fraction: float) -> None:
        pct = int(fraction * 100)
        if pct // 5 != last[0] // 5 or fraction >= 1.0:
            last[0] = pct
            sys.stderr.write(f"\r  generating product: {pct:3d}% ({time.time() - start:.0f} s)")
            if fraction >= 1.0:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return report


def cached_full_product(cache_dir: str | Path | None = None, mask: str = FULL_MASK) -> Path:
    """Return the path of a full-size (721x1440) product file, generating it once.

    ``mask`` is ``"world"`` (QGIS's countries, the default) or ``"fixture"`` (land_mask);
    each has its own folder, so asking for one never regenerates the other.
    """
    if mask not in MASKS:
        raise ValueError(f"mask must be one of {', '.join(MASKS)}, got {mask!r}")
    subdir = PRODUCT_SUBDIR if mask == FULL_MASK else f"{PRODUCT_SUBDIR}_{mask}_mask"
    folder = (Path(cache_dir) if cache_dir is not None else _default_cache_dir()) / subdir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PRODUCT_NAME
    stamp_path = folder / (PRODUCT_NAME + ".stamp.json")
    fingerprint = _fingerprint(mask)
    with _locked(folder / ".lock"):
        try:
            stamp = json.loads(stamp_path.read_text())
            if (
                stamp.get("format_version") == FORMAT_VERSION
                and stamp.get("fingerprint") == fingerprint
                and path.stat().st_size == stamp.get("size")
            ):
                return path
        except (OSError, ValueError):
            pass
        sys.stderr.write(
            f"Generating full-size synthetic product {path} ({mask} mask, one-off)...\n"
        )
        start = time.time()
        tmp = folder / f".{PRODUCT_NAME}.tmp-{os.getpid()}.tif"
        try:
            write_product(tmp, mask=MASKS[mask], progress=_stderr_progress(start))
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        seconds = time.time() - start
        stamp = {
            "format_version": FORMAT_VERSION,
            "fingerprint": fingerprint,
            "mask": mask,
            "size": path.stat().st_size,
            "seconds": round(seconds, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        tmp_stamp = stamp_path.with_name(stamp_path.name + f".tmp-{os.getpid()}")
        tmp_stamp.write_text(json.dumps(stamp, indent=2))
        os.replace(tmp_stamp, stamp_path)
        size_gb = stamp["size"] / 1e9
        sys.stderr.write(f"  done in {seconds:.0f} s, {size_gb:.2f} GB\n")
    return path


# ------------------------------------------------------------------------------ CLI


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Synthetic Copernicus-Embed product files.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_full = sub.add_parser("full", help="print the cached full-size file, generating it once")
    p_full.add_argument("--dir", default=None, help="cache folder (default $RS_EMBED_BENCH_DIR)")
    p_full.add_argument("--mask", choices=sorted(MASKS), default=FULL_MASK, help="land mask")
    p_win = sub.add_parser("window", help="write a window [row0:row1, col0:col1] of the grid")
    p_win.add_argument("out")
    for name in ("row0", "row1", "col0", "col1"):
        p_win.add_argument(name, type=int)
    p_win.add_argument("--mask", choices=sorted(MASKS), default="fixture", help="land mask")
    args = parser.parse_args(argv)
    if args.cmd == "full":
        print(cached_full_product(args.dir, args.mask))
    else:
        start = time.time()
        out = write_product(
            args.out,
            args.row0,
            args.row1,
            args.col0,
            args.col1,
            mask=MASKS[args.mask],
            progress=_stderr_progress(start),
        )
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
