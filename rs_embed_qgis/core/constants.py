# SPDX-License-Identifier: GPL-2.0-or-later
"""Constants of the Copernicus-Embed product and of the adapter: one place for every literal."""

from __future__ import annotations

MODEL_ID = "copernicus_embed"
MODEL_ALIASES = ("copernicus_embed", "copernicus")
SUPPORTED_YEARS: tuple[int, ...] = (2021,)
BACKENDS = ("auto",)
LEGACY_BACKENDS = {"local": "auto"}
OUTPUT_MODES = ("pooled", "grid")
POOLINGS = ("mean", "max")

# Environment variables.
ENV_DATA_DIR = "RS_EMBED_COP_DIR"
ENV_BATCH_WORKERS = "RS_EMBED_COPERNICUS_BATCH_WORKERS"
ENV_CACHE_DIR = "RS_EMBED_COP_CACHE_DIR"

# Defaults (the seed's v0.1 behaviour).
DEFAULT_DATA_DIR = "data/copernicus_embed"
DEFAULT_BATCH_WORKERS = 4
DEFAULT_EXPAND_DEG = 1.0
DEFAULT_DOWNLOAD = True
# Half the side of the square read around a clicked point or a point feature (the seed's
# example uses 5 km); the dock and Processing share it.
DEFAULT_BUFFER_M = 5000.0

# The product, as TorchGeo describes it (torchgeo.datasets.CopernicusEmbed, v0.9+).
FILENAME_GLOB = "embed_map_*"
PRODUCT_FILENAME = "embed_map_310k.tif"
PRODUCT_URL = (
    "https://hf.co/datasets/torchgeo/copernicus_embed/resolve/"
    "435b4a7bdce6f6fdbf4272f9d6e54f2604f35fdb/embed_map_310k.tif"
)
# Public checksums of the public product file, not secrets.
# pragma: allowlist nextline secret
PRODUCT_SHA256 = "38f6fd15b20153f7b3ba2d7b38fb9ef56b751dfcb42e17cc1b02aad1580a59ad"
PRODUCT_MD5 = "63de14ab9f5eeffb785066f3013a40b4"  # pragma: allowlist secret

# The product grid: 721 x 1440 cells of 0.25 degree, cell edges at X0 + RES*k, Y0 - RES*k.
PRODUCT_CRS = "EPSG:4326"
PRODUCT_RES = 0.25
PRODUCT_X0 = -180.125
PRODUCT_Y0 = 90.125
PRODUCT_WIDTH = 1440
PRODUCT_HEIGHT = 721
PRODUCT_BANDS = 768
PRODUCT_DTYPE = "float32"

# Geodesy (WGS84), for metres <-> degrees and cell areas.
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563


# Explore (core/explore.py); here so that the Processing algorithms can describe their
# parameters at QGIS start without importing NumPy.
METRICS = ("cosine", "euclidean")
COMBINES = ("mean", "medoid", "max")
CLASSIFIERS = ("nearest_centroid", "logistic", "random_forest")
KMEANS_FIT_PIXELS = 150_000  # k-means fits on at most this many pixels (mini-batch above)
SILHOUETTE_PIXELS = 3_000  # pixels scored by the silhouette when k is "auto"
AUTO_K_RANGE = (2, 10)
DEFAULT_SEED = 0
# How polygons are pooled (bridge/geometry.py) and the embedding fields' prefix.
REGION_POLYGON = "polygon"
REGION_BBOX = "bbox"
REGIONS = (REGION_POLYGON, REGION_BBOX)
DEFAULT_PREFIX = "emb_"
# A batch of at least this many items prepares the fast cache under the "auto" policy
# (the dock asks first).
AUTO_PREPARE_MIN_ITEMS = 8
