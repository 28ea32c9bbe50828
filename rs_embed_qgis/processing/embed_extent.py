# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed:embed_extent: the Copernicus-Embed grid of an extent as a 768-band GeoTIFF."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterExtent,
    QgsProcessingParameterRasterDestination,
)

from rs_embed_qgis.core.constants import PRODUCT_CRS
from rs_embed_qgis.core.errors import CancelledError
from rs_embed_qgis.processing.base import RsEmbedAlgorithm


class EmbedExtentAlgorithm(RsEmbedAlgorithm):
    """Write the product pixels of an extent (any CRS) as a 768-band GeoTIFF, and a PCA RGB."""

    EXTENT = "EXTENT"
    OUTPUT = "OUTPUT"
    OUTPUT_RGB = "OUTPUT_RGB"

    def name(self) -> str:
        return "embed_extent"

    def displayName(self) -> str:
        return self.tr("Embed extent as a grid (Copernicus-Embed)")

    def shortHelpString(self) -> str:
        return self.tr(
            "Writes the Copernicus-Embed pixels (year 2021) of an extent as a GeoTIFF of "
            "768 float32 bands named emb_000 .. emb_767, in EPSG:4326 on the product's own "
            "grid (0.25° pixels, about 28 km at the equator; edges where the file's "
            "georeferencing puts them, e.g. -180.125 + 0.25 k and 90.125 - 0.25 k). Ocean "
            "pixels are all zeros.<br><br>"
            "<b>Extent</b>: any CRS; its boundary is densified before the transform to "
            "EPSG:4326, so UTM and polar rectangles get the right box. An extent across "
            "the antimeridian gives a grid whose longitudes run past 180; one holding a "
            "pole covers every longitude. An extent without a CRS is read as EPSG:4326.<br>"
            "<b>Expand</b> (degrees): a side shorter than this is grown to it around its "
            "centre; 0 keeps the extent as it is. The box is then snapped outward to "
            "whole product pixels.<br>"
            "<b>PCA RGB</b> (optional): a 4-band RGBA GeoTIFF of the first three principal "
            "components of the vectors, 2-98 % stretched; ocean is transparent.<br><br>"
            "<b>Limits</b>: a grid over 2 GB (about 700 000 pixels) is refused; the data "
            "directory is DATA_DIR, else the plugin setting, else $RS_EMBED_COP_DIR, else "
            "data/copernicus_embed."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Extent")))
        self.add_expand_parameter(self.tr("Expand to at least (degrees)"))
        self.add_data_dir_parameter()
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT, self.tr("Embedding grid (768 bands)")
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_RGB,
                self.tr("PCA RGB rendering"),
                optional=True,
                createByDefault=False,
            )
        )

    def process(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        from rs_embed_qgis.bridge.jobs import embed_area, extent_request
        from rs_embed_qgis.bridge.outputs import write_grid_geotiff, write_rgb_geotiff
        from rs_embed_qgis.core.specs import OutputSpec

        rect = self.parameterAsExtent(parameters, self.EXTENT, context)
        crs = self.parameterAsExtentCrs(parameters, self.EXTENT, context)
        if not crs.isValid():
            crs = QgsCoordinateReferenceSystem(PRODUCT_CRS)
        expand_deg = self.parameterAsDouble(parameters, self.EXPAND_DEG, context)
        data_dir = self.data_dir(self.parameterAsFile(parameters, self.DATA_DIR, context), feedback)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        rgb_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_RGB, context) or None
        request = extent_request(rect, crs, context.transformContext(), expand_deg)
        feedback.pushInfo(
            self.tr("Extent in EPSG:4326: {0}").format(", ".join(f"{v:.6f}" for v in request.box))
        )
        feedback.setProgress(5.0)
        emb = embed_area(request, OutputSpec.grid(), data_dir, expand_deg, feedback.isCanceled)
        if feedback.isCanceled():
            raise CancelledError("Cancelled.")
        meta = dict(emb.meta)
        for warning in meta.get("warnings", ()):
            feedback.pushWarning(warning)
        grid = emb.data
        feedback.pushInfo(
            self.tr("Grid: {0} x {1} pixels, {2:.0%} with data").format(
                grid.shape[1], grid.shape[2], meta.get("valid_fraction", 0.0)
            )
        )
        feedback.setProgress(60.0)
        # Registered once written whole: a later failure of the run removes them, a failed
        # write leaves an older file of that name as it was.
        self.will_write(write_grid_geotiff(grid, out_path, meta))
        results: dict[str, Any] = {self.OUTPUT: out_path, self.OUTPUT_RGB: None}
        if rgb_path:
            feedback.setProgress(85.0)
            results[self.OUTPUT_RGB] = self.will_write(write_rgb_geotiff(grid, rgb_path, meta))
        feedback.setProgress(100.0)
        return results
