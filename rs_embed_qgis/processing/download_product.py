# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed:download_product: fetch the Copernicus-Embed GeoTIFF through QGIS's network stack."""

from __future__ import annotations

import os
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputFile,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
)

from rs_embed_qgis.bridge.download import download_file
from rs_embed_qgis.core.constants import PRODUCT_FILENAME, PRODUCT_SHA256, PRODUCT_URL
from rs_embed_qgis.core.errors import CancelledError
from rs_embed_qgis.processing.base import RsEmbedAlgorithm
from rs_embed_qgis.settings import effective_data_dir


class DownloadProductAlgorithm(RsEmbedAlgorithm):
    """Download embed_map_310k.tif into a folder: resumable, checksum-verified."""

    FOLDER = "FOLDER"
    URL = "URL"
    SHA256 = "SHA256"
    FILE = "FILE"

    def name(self) -> str:
        return "download_product"

    def displayName(self) -> str:
        return self.tr("Download the Copernicus-Embed product")

    def shortHelpString(self) -> str:
        return self.tr(
            "Downloads the product GeoTIFF {0} (721 x 1440 pixels of 0.25°, 768 float32 "
            "bands: about 3.2 GB of uncompressed data) into the folder, through "
            "QGIS's network settings (proxy, authentication, SSL).<br><br>"
            "<b>Folder</b>: where the file goes; by default the plugin's data directory "
            "(the plugin setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed), "
            "which the other rs_embed algorithms read.<br>"
            "<b>Resume</b>: the transfer is written to {0}.part; an interrupted or "
            "cancelled download continues from there the next time (HTTP Range request).<br>"
            "<b>Checksum</b>: the file is checked against its SHA-256 and renamed to {0} "
            "only if it matches; a file that does not match is deleted. A verified file "
            "already in the folder is kept without downloading.<br>"
            "<b>URL</b> and <b>SHA-256</b> (advanced): another source of the same file. An "
            "empty SHA-256 skips the checksum: the file must then still be a GeoTIFF that "
            "GDAL reads as the product, of the size the server announced, and it never "
            "replaces a product file already in the folder. A SHA-256 that is not 64 "
            "hexadecimal digits is refused before anything is downloaded.<br>"
            "<b>One at a time</b>: a second download into the same folder is told that "
            "another one is running (a lock file .rs_embed_download.lock holds its process)."
        ).format(PRODUCT_FILENAME)

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:
        self.addParameter(
            QgsProcessingParameterFile(
                self.FOLDER,
                self.tr("Folder to download into"),
                behavior=QgsProcessingParameterFile.Behavior.Folder,
                defaultValue=os.path.abspath(effective_data_dir()[0]),
                optional=True,
            )
        )
        url = QgsProcessingParameterString(
            self.URL, self.tr("Download URL"), defaultValue=PRODUCT_URL
        )
        sha = QgsProcessingParameterString(
            self.SHA256,
            self.tr("Expected SHA-256 (empty: no check)"),
            defaultValue=PRODUCT_SHA256,
            optional=True,
        )
        for param in (url, sha):
            param.setFlags(param.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(param)
        self.addOutput(QgsProcessingOutputFile(self.FILE, self.tr("Product file")))

    def process(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Download; the base turns core errors into QgsProcessingException."""
        folder = self.data_dir(self.parameterAsFile(parameters, self.FOLDER, context), feedback)
        url = self.parameterAsString(parameters, self.URL, context).strip() or PRODUCT_URL
        sha256 = self.parameterAsString(parameters, self.SHA256, context).strip()
        if not sha256:
            feedback.pushWarning(
                self.tr(
                    "No SHA-256 given: the file is only checked to be the product's GeoTIFF, "
                    "and it will not replace a product file already in the folder."
                )
            )
        feedback.pushInfo(self.tr("Downloading {0}").format(url))
        try:
            path = download_file(
                url=url,
                folder=folder,
                sha256=sha256 or None,
                progress=self.progress_to(feedback),
                cancel=feedback.isCanceled,
                log=feedback.pushInfo,
            )
        except CancelledError as exc:
            # Not the base's "nothing was written": the .part file stays for a resume.
            raise QgsProcessingException(str(exc)) from exc
        feedback.pushInfo(self.tr("Product file: {0}").format(path))
        return {self.FILE: path}
