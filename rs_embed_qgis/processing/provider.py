# SPDX-License-Identifier: GPL-2.0-or-later
"""The ``rs_embed`` Processing provider."""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from rs_embed_qgis.i18n import plugin_icon, tr

PROVIDER_ID = "rs_embed"


class RsEmbedProvider(QgsProcessingProvider):
    """Provider ``rs_embed``: Copernicus-Embed embeddings of features and extents."""

    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return tr("rs_embed (Copernicus-Embed)")

    def longName(self) -> str:
        return tr("rs_embed: Copernicus-Embed precomputed Earth embeddings")

    def icon(self) -> QIcon:
        return plugin_icon()

    def supportedOutputRasterLayerExtensions(self) -> list[str]:
        return ["tif"]

    def unload(self) -> None:
        """Close the core's open files (GDAL datasets, cache files) with the plugin."""
        from rs_embed_qgis.core.cache import close_cached_readers
        from rs_embed_qgis.core.gdal_reader import close_all_readers

        close_all_readers()
        close_cached_readers()

    def loadAlgorithms(self) -> None:
        from rs_embed_qgis.processing.classify import ClassifyAlgorithm
        from rs_embed_qgis.processing.cluster import ClusterAlgorithm
        from rs_embed_qgis.processing.download_product import DownloadProductAlgorithm
        from rs_embed_qgis.processing.embed_extent import EmbedExtentAlgorithm
        from rs_embed_qgis.processing.embed_features import EmbedFeaturesAlgorithm
        from rs_embed_qgis.processing.similar_places import SimilarPlacesAlgorithm
        from rs_embed_qgis.processing.similarity_map import SimilarityMapAlgorithm
        from rs_embed_qgis.settings import apply_cache_dir

        # qgis_process has no GUI: the cache-folder setting is applied here too.
        apply_cache_dir()
        self.addAlgorithm(EmbedFeaturesAlgorithm())
        self.addAlgorithm(EmbedExtentAlgorithm())
        self.addAlgorithm(DownloadProductAlgorithm())
        self.addAlgorithm(SimilarityMapAlgorithm())
        self.addAlgorithm(SimilarPlacesAlgorithm())
        self.addAlgorithm(ClusterAlgorithm())
        self.addAlgorithm(ClassifyAlgorithm())
