# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed:similarity_map: how much each pixel of a scope looks like the references."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsWkbTypes,
)

from rs_embed_qgis.core import constants
from rs_embed_qgis.core.constants import PRODUCT_CRS
from rs_embed_qgis.core.errors import SpecError
from rs_embed_qgis.i18n import tr
from rs_embed_qgis.processing.base import RsEmbedAlgorithm

if TYPE_CHECKING:
    from rs_embed_qgis.core.adapter import Source
    from rs_embed_qgis.core.grid import LonLatBox
# The algorithms import the core and NumPy when they run: QGIS loads them at start.


# Help paragraphs shared by the explore algorithms: functions, so that each text is a
# literal inside tr() (translation tools see it) and is translated when asked for.
def grid_help() -> str:
    """The paragraph on the product grid of the results."""
    return tr(
        "Results lie on the product's own grid: EPSG:4326, 0.25° pixels (about 28 km at the "
        "equator), Copernicus-Embed year 2021; ocean pixels (no embedding) are no data."
    )


def scope_help() -> str:
    """The paragraph on the SCOPE parameter."""
    return tr(
        "<b>Scope</b>: the extent to map (any CRS); empty = the whole product file (the globe). "
        "It is snapped outward to whole 0.25° pixels and read in blocks of at most 256 MB."
    )


def reference_help() -> str:
    """The paragraph on the reference parameters."""
    return tr(
        "<b>References</b>: point features (the pixel under each point) and/or polygon features "
        "(the exact area-weighted mean of the cells they cover; selected features only when "
        "the layer has a selection and 'selected features only' is ticked), and/or a "
        "reference extent (its area-weighted mean). References over ocean are refused."
    )


class ExploreAlgorithm(RsEmbedAlgorithm):
    """Shared parameters of the explore algorithms: references, combine, metric, scope."""

    REFERENCES = "REFERENCES"
    REFERENCE_EXTENT = "REFERENCE_EXTENT"
    COMBINE = "COMBINE"
    METRIC = "METRIC"
    SCOPE = "SCOPE"
    USE_INDEX = "USE_INDEX"
    BUILD_INDEX = "BUILD_INDEX"

    def add_reference_parameters(self) -> None:
        """REFERENCES (points/polygons), REFERENCE_EXTENT, COMBINE and METRIC."""
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.REFERENCES,
                self.tr("Reference features (points or polygons)"),
                [QgsProcessing.TypeVectorPoint, QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent(
                self.REFERENCE_EXTENT, self.tr("Reference extent"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.COMBINE,
                self.tr("Combine references"),
                options=[
                    self.tr("Mean vector"),
                    self.tr("Medoid"),
                    self.tr("Maximum over references"),
                ],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.METRIC,
                self.tr("Metric"),
                options=[self.tr("Cosine similarity"), self.tr("Euclidean (minus distance)")],
                defaultValue=0,
            )
        )

    def add_scope_parameter(self) -> None:
        """SCOPE: the extent explored (optional; empty = the whole file)."""
        self.addParameter(
            QgsProcessingParameterExtent(
                self.SCOPE, self.tr("Scope (empty = whole product)"), optional=True
            )
        )

    def add_index_parameters(self, use_label: str, use_default: bool) -> None:
        """USE_INDEX and BUILD_INDEX: the compact search index (cosine only)."""
        self.addParameter(QgsProcessingParameterBoolean(self.USE_INDEX, use_label, use_default))
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.BUILD_INDEX, self.tr("Build the search index if it is missing"), False
            )
        )

    def search_index(
        self, parameters: dict, context: Any, feedback: Any, source: Source, metric: str
    ) -> Any:
        """The product's search index when asked for (built once if asked), else None."""
        if metric != "cosine" or not self.parameterAsBool(parameters, self.USE_INDEX, context):
            return None
        from rs_embed_qgis.core.index import index_for, load_index

        index = load_index(source.info)
        if index is None:
            # Missing, or refused (damaged, partial): index_for says why once, and builds
            # it again only when allowed.
            build = self.parameterAsBool(parameters, self.BUILD_INDEX, context)
            if build:
                feedback.pushInfo(self.tr("Building the search index (one pass)"))
            index = index_for(
                source.reader,
                build,
                self.progress_to(feedback, 0.0, 60.0),
                feedback.isCanceled,
                log=feedback.pushWarning,
            )
        feedback.pushInfo(
            self.tr("Search index: {0}").format(
                self.tr("used") if index is not None else self.tr("none")
            )
        )
        return index

    def open_product(self, parameters: dict, context: Any, feedback: Any) -> Source:
        """The product file (no download inside QGIS) and its reader."""
        from rs_embed_qgis.core.adapter import open_source

        data_dir = self.data_dir(self.parameterAsFile(parameters, self.DATA_DIR, context), feedback)
        source = open_source(data_dir, download=False)
        feedback.pushInfo(
            self.tr("Reading {0} with the {1} reader").format(source.info.path, source.reader.name)
        )
        for w in source.warnings:
            feedback.pushWarning(w)
        return source

    def scope_box(self, parameters: dict, context: Any, feedback: Any) -> LonLatBox | None:
        """The scope as an EPSG:4326 box, or None for the whole file."""
        from rs_embed_qgis.bridge.explore_outputs import extent_scope

        if parameters.get(self.SCOPE) in (None, ""):
            feedback.pushInfo(self.tr("Scope: the whole product file"))
            return None
        rect = self.parameterAsExtent(parameters, self.SCOPE, context)
        crs = self.parameterAsExtentCrs(parameters, self.SCOPE, context)
        box = extent_scope(rect, crs, context.transformContext())
        if box is not None:
            feedback.pushInfo(
                self.tr("Scope in EPSG:4326: {0}").format(", ".join(f"{v:.4f}" for v in box))
            )
        return box

    def references(self, parameters: dict, context: Any, feedback: Any) -> list[Any]:
        """Point/polygon features and the reference extent as core references."""
        from rs_embed_qgis.bridge.explore_outputs import features_to_references
        from rs_embed_qgis.bridge.geometry import extent_to_lonlat_box, lonlat_box_to_spec

        refs: list[Any] = []
        source = self.parameterAsSource(parameters, self.REFERENCES, context)
        if source is not None:
            feats = list(source.getFeatures(QgsFeatureRequest()))
            refs += features_to_references(feats, source.sourceCrs(), context.transformContext())
        if parameters.get(self.REFERENCE_EXTENT) not in (None, ""):
            rect = self.parameterAsExtent(parameters, self.REFERENCE_EXTENT, context)
            crs = self.parameterAsExtentCrs(parameters, self.REFERENCE_EXTENT, context)
            if not crs.isValid():
                crs = QgsCoordinateReferenceSystem(PRODUCT_CRS)
            if not rect.isNull() and not rect.isEmpty():
                box = extent_to_lonlat_box(rect, crs, context.transformContext())
                refs.append(lonlat_box_to_spec(box))
        if not refs:
            raise SpecError(
                self.tr(
                    "No reference: give reference features (points or polygons) or a "
                    "reference extent."
                )
            )
        feedback.pushInfo(self.tr("{0} reference(s)").format(len(refs)))
        return refs

    def combine_metric(self, parameters: dict, context: Any) -> tuple[str, str]:
        """The chosen combine and metric as core names."""
        combine = constants.COMBINES[self.parameterAsEnum(parameters, self.COMBINE, context)]
        metric = constants.METRICS[self.parameterAsEnum(parameters, self.METRIC, context)]
        return combine, metric


class SimilarityMapAlgorithm(ExploreAlgorithm):
    """A float32 raster of each pixel's similarity to the references."""

    THRESHOLD = "THRESHOLD"
    OUTPUT = "OUTPUT"
    OUTPUT_AREAS = "OUTPUT_AREAS"

    def name(self) -> str:
        return "similarity_map"

    def displayName(self) -> str:
        return self.tr("Similarity map (Copernicus-Embed)")

    def shortHelpString(self) -> str:
        return (
            self.tr(
                "Scores every pixel of the scope by how much its 768-d Copernicus-Embed vector "
                "looks like the references, and writes a float32 GeoTIFF (NaN = no data)."
            )
            + "<br><br>"
            + reference_help()
            + "<br>"
            + self.tr(
                "<b>Combine</b>: the mean of the reference vectors; their medoid (the "
                "reference most similar to the others); or, per pixel, the maximum of the "
                "scores over the references.<br><b>Metric</b>: cosine similarity (-1..1, 1 = "
                "same direction), or Euclidean, written as <i>minus</i> the distance (≤ 0, "
                "0 = identical) so that higher always means more similar."
            )
            + "<br>"
            + scope_help()
            + "<br>"
            + self.tr(
                "<b>Areas above threshold</b> (optional): the 4-connected groups of "
                "pixels scoring at or above the threshold, as polygons (EPSG:4326) with their "
                "exact area on the WGS84 ellipsoid in km² and their pixel count."
            )
            + "<br><br>"
            + grid_help()
            + "<br>"
            + self.tr(
                "<b>Search index</b> (cosine only, off by default): with it the scores "
                "are read from a compact copy of the product (64 components per pixel, float16, "
                "about 140 MB for the globe, kept beside the cache) instead of the full vectors: "
                "much faster on large scopes when the product is not in memory, but "
                "<i>approximate</i>, each score within a guaranteed error bound that the log "
                "states (about 5e-4) and the raster's metadata keeps. Off, every score is exact."
            )
            + "<br><br>"
            + grid_help()
            + "<br><br>"
            + self.tr(
                "<b>Limits</b>: the whole globe (721 x 1440 pixels, 4 MB of scores) "
                "is allowed; the product file is read in full for it (3.2 GB, faster once the "
                "plugin's cache is prepared)."
            )
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:
        self.add_reference_parameters()
        self.add_scope_parameter()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Threshold for the areas"),
                QgsProcessingParameterNumber.Double,
                defaultValue=0.9,
                optional=True,
            )
        )
        self.add_index_parameters(self.tr("Fast approximate scores (search index)"), False)
        self.add_data_dir_parameter()
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Similarity map"))
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_AREAS,
                self.tr("Areas above threshold"),
                QgsProcessing.TypeVectorPolygon,
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
        import numpy as np

        from rs_embed_qgis.bridge.explore_outputs import (
            area_feature,
            area_fields,
            write_similarity_geotiff,
        )
        from rs_embed_qgis.core import explore

        combine, metric = self.combine_metric(parameters, context)
        refs = self.references(parameters, context, feedback)
        scope = self.scope_box(parameters, context, feedback)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        source = self.open_product(parameters, context, feedback)
        index = self.search_index(parameters, context, feedback, source, metric)
        sim = explore.similarity_map(
            source.reader,
            refs,
            scope,
            combine=combine,
            metric=metric,
            index=index,
            progress=self.progress_to(feedback, 60.0 if index is not None else 5.0, 90.0),
            cancel=feedback.isCanceled,
        )
        feedback.pushInfo(
            self.tr("{0} land pixels scored; {1} from {2:.4f} to {3:.4f}").format(
                sim.valid_pixels, metric, float(np.nanmin(sim.scores)), float(np.nanmax(sim.scores))
            )
        )
        if sim.approximate:
            feedback.pushInfo(
                self.tr("Scores from the search index: approximate, each within {0:.3g}").format(
                    sim.max_error
                )
            )
        written = write_similarity_geotiff(sim, out_path, source.info.path, len(refs))
        self.will_write(written)  # a later failure of the run removes it
        results: dict[str, Any] = {self.OUTPUT: out_path, self.OUTPUT_AREAS: None}
        fields = area_fields()
        sink, dest = self.file_sink(
            parameters,
            self.OUTPUT_AREAS,
            context,
            fields,
            QgsWkbTypes.Polygon,
            QgsCoordinateReferenceSystem(PRODUCT_CRS),
        )
        if sink is not None:
            threshold = self.parameterAsDouble(parameters, self.THRESHOLD, context)
            areas = explore.threshold_areas(sim, threshold)
            for i, area in enumerate(areas, start=1):
                sink.addFeature(area_feature(i, area, fields), QgsFeatureSink.FastInsert)
            feedback.pushInfo(
                self.tr("{0} areas at or above {1}: {2:.0f} km² in all").format(
                    len(areas), threshold, sum(a.area_km2 for a in areas)
                )
            )
            results[self.OUTPUT_AREAS] = dest
        feedback.setProgress(100.0)
        return results
