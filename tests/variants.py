"""The product-variant matrix: the same closed-form numbers in each layout a real file may have.

Every figure of the plugin was first measured on the one layout ``tests/product.py`` writes
(predictor 1, ocean +0.0, pixel-interleaved 256x256 deflate tiles). The real
``embed_map_310k.tif`` was converted by a third party and its bytes are unknown (issue 16),
so the tests run the plugin on every layout it may have: the predictor (1, 2, 3), the
interleave (pixel, band), the blocks (256 and 512 tiles, strips), the compression (deflate,
zstd, lzw, none), the ocean (+0.0, -0.0), the container (classic TIFF, BigTIFF), a COG with
overviews, and windows of the global grid (one across a 256-pixel tile border of the global
grid, one across the file's own tile edges, one of the grid's full width). Not every cross
product: :data:`LAYOUT_VARIANTS` is a covering set (each value of each axis at least once),
and each variant says why it is there.

Expected values come from an independent read of the written file (GDAL's ``ReadAsArray``,
pooled with NumPy here) and, for polygons, from OGR's clipping of each cell
(``tests/core/expected.py``). Nothing in this module imports the plugin.
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests import product

PRODUCT_NAME = product.PRODUCT_NAME

# --------------------------------------------------------------------------- windows


@dataclass(frozen=True)
class Place:
    """A window of the global grid and what the tests ask of it (EPSG:4326, degrees).

    ``bbox`` (pooled mean/max) and ``grid_bbox`` (a grid) have sides over 1 degree, so the
    default expansion leaves them as they are; no coordinate lies on a pixel edge. The
    ``polygon`` spans few rows: the direct reader reads a polygon row by row, and through
    GDAL's ``ReadRaster`` each row still decodes a whole tile (issue 16, item 3).
    ``ref`` is a land pixel (global row, col) whose vector is the similarity reference.
    """

    name: str
    rows: tuple[int, int]
    cols: tuple[int, int]
    bbox: tuple[float, float, float, float]
    grid_bbox: tuple[float, float, float, float]
    polygon: str
    ref: tuple[int, int]

    @property
    def window(self) -> tuple[int, int, int, int]:
        """(row0, row1, col0, col1) of the global grid."""
        return (*self.rows, *self.cols)


# Lat 60..40, lon -10..30 (pixel centres): across the global grid's 256-pixel tile border at
# col 768 (lon 12); Europe, the Eurasia belt north of 55, the checkerboard coast and ocean.
# One tile of the file in 256 tiling: the shape of the other tests' fixture.
EUROPE = Place(
    "europe",
    (120, 200),
    (680, 840),
    bbox=(-6.3, 41.1, 27.2, 58.7),
    grid_bbox=(-1.2, 40.3, 6.6, 46.9),
    polygon="POLYGON ((-1.3 45.6, 9.7 45.7, 8.2 46.3, 0.4 46.25, -1.3 45.6))",
    ref=(150, 760),
)
# Lat 48..43.25, lon -40..34.75: 300 columns, so the file's own 256-pixel tiles have an edge
# at file column 256 (global col 816, lon 24), which the bbox and the polygon cross; ocean
# to the west, Europe (north of 46), the coast. Wide enough (> 256) for a COG to get an
# overview; 20 rows keep it cheap.
WIDE = Place(
    "wide",
    (168, 188),
    (560, 860),
    bbox=(-30.3, 43.3, 25.2, 47.9),
    grid_bbox=(-12.4, 43.4, 3.3, 47.6),
    polygon="POLYGON ((18.3 45.3, 30.2 45.4, 28.7 46.6, 17.6 46.5, 18.3 45.3))",
    ref=(170, 700),
)
# Lat -16..-17.75, every longitude: a file of the grid's full width (the cache's row reads,
# Explore's whole-row path), six 256-pixel tiles across, land on both sides of the
# antimeridian ("Fiji"), South America, Africa, Australia, ocean between.
GLOBAL_STRIP = Place(
    "global_strip",
    (424, 432),
    (0, product.GLOBAL_WIDTH),
    bbox=(110.2, -17.9, 160.3, -16.1),
    grid_bbox=(-70.2, -17.6, -40.3, -16.2),
    polygon=(
        "MULTIPOLYGON (((178.6 -17.9, 180 -17.9, 180 -16.1, 178.6 -16.1, 178.6 -17.9)),"
        " ((-180 -17.9, -178.8 -17.9, -178.8 -16.1, -180 -16.1, -180 -17.9)))"
    ),
    ref=(426, 1250),
)


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Variant:
    """One layout of the product: rasterio creation options over tests/product.py's own."""

    name: str
    place: Place
    why: str
    creation: dict[str, object] = field(default_factory=dict)
    ocean: float = 0.0
    # Written as a plain GeoTIFF, then converted by GDAL's COG driver with these options.
    cog: tuple[str, ...] | None = None
    # (west, north) edge of the global grid in the georeferencing; None: TorchGeo's.
    origin: tuple[float, float] | None = None

    @property
    def id(self) -> str:
        """The pytest id."""
        return self.name

    # What the written file must be (checked by the tests, so a layout is never lost).
    def expect(self) -> dict[str, object]:
        """The layout facts GDAL must report for the written file."""
        c = {**product.CREATION_OPTIONS, **self.creation}
        tiled = bool(c.get("tiled", True))
        if self.cog is not None:
            opts = dict(o.split("=", 1) for o in self.cog)
            block = int(opts.get("BLOCKSIZE", 512))
            return {
                "compression": opts.get("COMPRESS", "LZW").upper(),
                "predictor": {"YES": "2", "STANDARD": "2", "FLOATING_POINT": "3"}.get(
                    opts.get("PREDICTOR", "NO").upper(), "1"
                ),
                "interleave": "PIXEL",
                "block": (block, block),
                "bigtiff": opts.get("BIGTIFF", "NO").upper() == "YES",
                "overviews": True,
            }
        width = self.place.cols[1] - self.place.cols[0]
        return {
            "compression": str(c.get("compress", "none")).upper(),
            "predictor": str(c.get("predictor", 1)),
            "interleave": str(c.get("interleave", "pixel")).upper(),
            "block": (
                (int(c["blockxsize"]), int(c["blockysize"]))
                if tiled
                else (width, int(c["blockysize"]))
            ),
            "bigtiff": str(c.get("BIGTIFF", "")).upper() == "YES",
            "overviews": False,
        }


# The likely real layout (issue 16): a float conversion through PyTorch written with the
# floating-point predictor (rs-embed's tests meet "PREDICTOR.FLOATINGPOINT requires the
# imagecodecs package") and ``values * land_mask`` giving -0.0 at sea.
LIKELY_REAL = Variant(
    "likely_real",
    EUROPE,
    "the likely real file: predictor 3, -0.0 ocean, pixel-interleaved 256 deflate tiles",
    {"predictor": 3},
    ocean=-0.0,
)

LAYOUT_VARIANTS: list[Variant] = [
    LIKELY_REAL,
    Variant(
        "ours",
        WIDE,
        "tests/product.py's own layout (the plugin's fast path: predictor 1, +0.0 ocean, "
        "pixel-interleaved 256 deflate tiles) on a window across the file's tile edge",
    ),
    Variant(
        "predictor2_band_zstd",
        WIDE,
        "predictor 2 (horizontal differencing of the float bits), band interleave and zstd, "
        "with -0.0 ocean, across the file's tile edge",
        {"predictor": 2, "interleave": "band", "compress": "zstd"},
        ocean=-0.0,
    ),
    Variant(
        "band_512_zstd_bigtiff",
        EUROPE,
        "512x512 tiles, zstd, predictor 3, BigTIFF, band interleave (a pixel-interleaved "
        "512 tile of 768 bands is 805 MB decoded: too heavy for make test), +0.0 ocean",
        {
            "predictor": 3,
            "interleave": "band",
            "compress": "zstd",
            "blockxsize": 512,
            "blockysize": 512,
            "BIGTIFF": "YES",
        },
    ),
    Variant(
        "strips_none_bigtiff",
        GLOBAL_STRIP,
        "uncompressed one-row strips (GDAL's default strip for rows over 8 KB) in a BigTIFF, "
        "-0.0 ocean, on the grid's full width (across the antimeridian)",
        {"tiled": False, "blockysize": 1, "compress": "none", "BIGTIFF": "YES"},
        ocean=-0.0,
    ),
    Variant(
        "strips_pixel_lzw_predictor3",
        EUROPE,
        "pixel-interleaved strips of 7 rows (the last one short) with LZW and predictor 3, "
        "-0.0 ocean",
        {"tiled": False, "blockysize": 7, "compress": "lzw", "predictor": 3},
        ocean=-0.0,
    ),
    Variant(
        "strips_band_deflate_predictor2",
        EUROPE,
        "band-interleaved strips of 12 rows (GDAL's default for a 160-pixel row of one band; "
        "the last one short) with deflate and predictor 2, +0.0 ocean",
        {"tiled": False, "blockysize": 12, "predictor": 2, "interleave": "band"},
    ),
    Variant(
        "cog_overviews",
        WIDE,
        "a Cloud-Optimized GeoTIFF from GDAL's COG driver (256 deflate tiles, one overview, "
        "tiles in COG order after a ghost header), -0.0 ocean",
        ocean=-0.0,
        cog=("BLOCKSIZE=256", "COMPRESS=DEFLATE", "OVERVIEWS=AUTO", "RESAMPLING=NEAREST"),
    ),
]

# Georeferencing variants (issue 16: origin -180.0, 90.125 as rs-embed falls back to without
# tags; a file without georeferencing tags) are tested in tests/core/test_grid_origin.py:
# there the expected cells of each request come from the file's own geotransform (GDAL reads),
# where this module's expectations place requests on TorchGeo's grid.
GEOREFERENCING_VARIANTS: list[Variant] = []

VARIANTS: list[Variant] = LAYOUT_VARIANTS + GEOREFERENCING_VARIANTS
BY_NAME: dict[str, Variant] = {v.name: v for v in VARIANTS}


def write_variant(variant: Variant, folder: str | os.PathLike[str]) -> Path:
    """Write the variant's product file into ``folder`` (as the product's file name)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PRODUCT_NAME
    if variant.cog is None:
        return product.write_product(
            path,
            *variant.place.window,
            creation=variant.creation,
            ocean=variant.ocean,
            origin=variant.origin,
        )
    from osgeo import gdal

    plain = folder / ".plain.tif"
    # The COG driver of GDAL 3.6 builds overviews band by band: from a pixel-interleaved
    # source of 768 bands that decodes each tile 768 times (minutes); from a band-interleaved
    # one, seconds. The COG it writes is pixel-interleaved either way.
    product.write_product(
        plain,
        *variant.place.window,
        creation={**variant.creation, "interleave": "band"},
        ocean=variant.ocean,
        origin=variant.origin,
    )
    try:
        ds = gdal.Translate(str(path), str(plain), format="COG", creationOptions=list(variant.cog))
        if ds is None:
            raise RuntimeError(f"GDAL's COG driver could not write {path}")
        ds = None
    finally:
        plain.unlink(missing_ok=True)
    return path


def copy_variant(src_dir: str | os.PathLike[str], dst_dir: str | os.PathLike[str]) -> Path:
    """A copy of a written variant in another folder (another file: another cache entry)."""
    dst_dir = Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(src_dir) / PRODUCT_NAME, dst_dir / PRODUCT_NAME)
    return dst_dir


# --------------------------------------------------------------------------- what the file is


def layout_of(path: str | os.PathLike[str]) -> dict[str, object]:
    """The layout facts of a written file, as GDAL reports them."""
    from osgeo import gdal

    ds = gdal.Open(os.fspath(path))
    try:
        md = ds.GetMetadata("IMAGE_STRUCTURE") or {}
        band = ds.GetRasterBand(1)
        with open(path, "rb") as fh:
            magic = fh.read(4)
        return {
            "compression": (md.get("COMPRESSION") or "NONE").upper(),
            "predictor": md.get("PREDICTOR") or "1",
            "interleave": (md.get("INTERLEAVE") or "").upper(),
            "block": tuple(int(v) for v in band.GetBlockSize()),
            "bigtiff": magic[2:4] == b"+\x00",
            "overviews": band.GetOverviewCount() > 0,
        }
    finally:
        ds = None


# --------------------------------------------------------------------------- independent reads


@functools.lru_cache(maxsize=4)
def file_pixels(path: str, mtime_ns: int) -> np.ndarray:
    """(H, W, 768) float32 pixels of the whole file, read by GDAL's ReadAsArray (read-only)."""
    from osgeo import gdal

    del mtime_ns  # part of the cache key only
    ds = gdal.Open(path)
    try:
        # Pixel-interleaved buffer: GDAL reads all bands of a block in one pass (band by
        # band, a pixel-interleaved tile is decoded once per band: 20x slower).
        hwc = np.ascontiguousarray(ds.ReadAsArray(interleave="pixel"))
    finally:
        ds = None
    if hwc.dtype != np.float32:
        raise AssertionError(f"{path} holds {hwc.dtype}, not float32")
    hwc.setflags(write=False)
    return hwc


def pixels_of(path: str | os.PathLike[str]) -> np.ndarray:
    """The file's pixels (cached while the file is unchanged)."""
    p = os.path.realpath(path)
    return file_pixels(p, os.stat(p).st_mtime_ns)


def cells(
    pixels: np.ndarray, place: Place, rows: list[int] | np.ndarray, cols: list[int] | np.ndarray
) -> np.ndarray:
    """(len(rows), len(cols), 768) pixels of global rows x (wrapped) cols; zeros off the file."""
    r0, r1 = place.rows
    c0, c1 = place.cols
    out = np.zeros((len(rows), len(cols), pixels.shape[-1]), dtype=np.float32)
    rr = np.asarray(rows)
    cc = np.asarray(cols) % product.GLOBAL_WIDTH
    ri = np.flatnonzero((rr >= r0) & (rr < r1))
    ci = np.flatnonzero((cc >= c0) & (cc < c1))
    out[np.ix_(ri, ci)] = pixels[np.ix_(rr[ri] - r0, cc[ci] - c0)]
    return out


def valid(vectors: np.ndarray) -> np.ndarray:
    """Pixels whose vector is not all zero (+0.0 or -0.0): the product's land."""
    return np.any(vectors != 0, axis=-1)


def bbox_expected(pixels: np.ndarray, place: Place, box: tuple[float, ...]) -> dict[str, object]:
    """Grid (H, W, 768), pooled mean (float64) and max of the cells a bbox overlaps."""
    from tests.core.expected import cells_for

    rows, cols = cells_for(tuple(float(v) for v in box))
    grid = cells(pixels, place, rows, cols)
    flat = grid.reshape(-1, grid.shape[-1])
    keep = valid(flat)
    return {
        "grid": grid,
        "mean": flat[keep].astype(np.float64).mean(axis=0),
        "max": flat[keep].max(axis=0),
        "valid_pixels": int(keep.sum()),
    }


def polygon_expected(pixels: np.ndarray, place: Place, wkt: str) -> dict[str, object]:
    """Area-weighted mean and max of a polygon over the file's own pixels.

    Coverage fractions of each cell from OGR's clipping, cell areas on the WGS84 ellipsoid
    from the authalic-latitude formula (both in tests/core/expected.py), pixels from GDAL.
    """
    from tests.core.expected import authalic_cell_area_m2, ogr_cell_fractions

    # A cell cut by the antimeridian comes back once per side: one cell, fractions summed.
    merged: dict[tuple[int, int], float] = {}
    for r, c, f in ogr_cell_fractions(wkt):
        merged[(r, c)] = merged.get((r, c), 0.0) + f
    rows = np.array([rc[0] for rc in merged])
    cols = np.array([rc[1] for rc in merged])
    w = np.array([f * authalic_cell_area_m2(rc[0]) for rc, f in merged.items()])
    vec = np.stack([cells(pixels, place, [r], [c])[0, 0] for r, c in zip(rows, cols)])
    keep = valid(vec)
    wl = w[keep]
    v = vec[keep].astype(np.float64)
    return {
        "mean": (wl[:, None] * v).sum(axis=0) / wl.sum(),
        "max": vec[keep].max(axis=0),
        "valid_pixels": int(keep.sum()),
    }


def similarity_expected(pixels: np.ndarray, place: Place) -> tuple[np.ndarray, np.ndarray]:
    """(reference vector, cosine map of the whole file in float64, NaN over ocean)."""
    ref = pixels[place.ref[0] - place.rows[0], place.ref[1] - place.cols[0]]
    if not valid(ref):
        raise AssertionError(f"the reference pixel {place.ref} of {place.name} is not land")
    x = pixels.astype(np.float64)
    r = ref.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (x @ r) / (np.linalg.norm(x, axis=-1) * np.linalg.norm(r))
    cos[~valid(pixels)] = np.nan
    return ref.copy(), cos
