# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed:similar_places: the k most similar pixels of a scope, spread out, as points."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureSink,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
    QgsWkbTypes,
)

from rs_embed_qgis.core.constants import PRODUCT_CRS
from rs_embed_qgis.processing.similarity_map import (
    ExploreAlgorithm,
    grid_help,
    reference_help,
    scope_help,
)


class SimilarPlacesAlgorithm(ExploreAlgorithm):
    """Places like this: top-k pixels by similarity, at least a minimum distance apart."""

    K = "K"
    MIN_DISTANCE_KM = "MIN_DISTANCE_KM"
    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "similar_places"

    def displayName(self) -> str:
        return self.tr("Places like this (Copernicus-Embed)")

    def shortHelpString(self) -> str:
        return (
            self.tr(
                "Finds the k pixels of the scope most similar to the references and writes "
                "them as points (EPSG:4326, pixel centres) with rank (1 = most similar), "
                "similarity, lon, lat (degrees) and the product row/col."
            )
            + "<br><br>"
            + reference_help()
            + "<br>"
            + self.tr(
                "<b>Combine</b> and <b>Metric</b>: as in the similarity map (Euclidean "
                "similarity is minus the distance).<br>"
                "<b>Minimum distance</b> (km): each result is at least this far (great circle "
                "between pixel centres, mean Earth radius 6371 km) from every better one; 0 "
                "allows neighbouring pixels. The reference pixels themselves may be among the "
                "results."
            )
            + "<br>"
            + scope_help()
            + "<br>"
            + self.tr(
                "<b>Search index</b> (cosine only): a compact copy of the product (64 "
                "components per pixel, float16, about 140 MB for the globe, kept beside the "
                "cache) ranks the candidates, and only they are re-scored on their full "
                "vectors; error bounds make the result the same exact top-k. 'Build the index' "
                "makes it once (one pass over the product) when it is missing."
            )
            + "<br><br>"
            + grid_help()
            + "<br><br>"
            + self.tr(
                "<b>Limits</b>: k is 1..10000; the scores are exact (every pixel "
                "of the scope is scored on its full vector); fewer than k points are returned "
                "when the scope holds fewer places far enough apart."
            )
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:
        self.add_reference_parameters()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.K,
                self.tr("Number of places"),
                QgsProcessingParameterNumber.Integer,
                defaultValue=50,
                minValue=1,
                maxValue=10000,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_DISTANCE_KM,
                self.tr("Minimum distance between places (km)"),
                QgsProcessingParameterNumber.Double,
                defaultValue=100.0,
                minValue=0.0,
            )
        )
        self.add_scope_parameter()
        self.add_index_parameters(self.tr("Use the search index when there is one"), True)
        self.add_data_dir_parameter()
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Places like this"))
        )

    def process(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        from rs_embed_qgis.bridge.explore_outputs import place_feature, places_fields
        from rs_embed_qgis.core import explore

        combine, metric = self.combine_metric(parameters, context)
        k = self.parameterAsInt(parameters, self.K, context)
        min_km = self.parameterAsDouble(parameters, self.MIN_DISTANCE_KM, context)
        refs = self.references(parameters, context, feedback)
        scope = self.scope_box(parameters, context, feedback)
        source = self.open_product(parameters, context, feedback)
        index = self.search_index(parameters, context, feedback, source, metric)
        places = explore.similar_places(
            source.reader,
            refs,
            scope,
            k=k,
            min_distance_km=min_km,
            combine=combine,
            metric=metric,
            index=index,
            progress=self.progress_to(feedback, 60.0 if index is not None else 5.0, 95.0),
            cancel=feedback.isCanceled,
        )
        fields = places_fields()
        sink, dest = self.file_sink(
            parameters,
            self.OUTPUT,
            context,
            fields,
            QgsWkbTypes.Point,
            QgsCoordinateReferenceSystem(PRODUCT_CRS),
        )
        for place in places:
            sink.addFeature(place_feature(place, fields), QgsFeatureSink.FastInsert)
        feedback.pushInfo(self.tr("{0} places (asked for {1})").format(len(places), k))
        feedback.setProgress(100.0)
        return {self.OUTPUT: dest}
