# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed:cluster: k-means of the land pixels of a scope as a categorical raster."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsWkbTypes,
)

from rs_embed_qgis.core import constants
from rs_embed_qgis.processing.base import ClassLegend
from rs_embed_qgis.processing.similarity_map import ExploreAlgorithm, grid_help, scope_help


class ClusterAlgorithm(ExploreAlgorithm):
    """k-means (k-means++, fixed seed) of the land pixels; k given or chosen by silhouette."""

    K = "K"
    SEED = "SEED"
    OUTPUT = "OUTPUT"
    OUTPUT_TABLE = "OUTPUT_TABLE"

    def name(self) -> str:
        return "cluster"

    def displayName(self) -> str:
        return self.tr("Cluster embeddings (k-means, Copernicus-Embed)")

    def shortHelpString(self) -> str:
        lo, hi = constants.AUTO_K_RANGE
        return (
            self.tr(
                "Groups the land pixels of the scope into k clusters of similar 768-d vectors "
                "(k-means with k-means++ seeding and a fixed random seed, Euclidean distance) "
                "and writes a categorical UInt16 GeoTIFF: cluster 1 .. k, 0 = ocean (no data), "
                "with a colour table.<br><br>"
                "<b>Number of clusters</b>: 1..254; 0 = automatic: k in {0}..{1} with the best "
                "mean silhouette on a sample of {2} pixels.<br>"
                "<b>Seed</b>: the same seed gives the same clusters.<br>"
                "<b>Cluster table</b> (optional): pixels and share of each cluster, and its "
                "nearest other cluster with the distance between centroids."
            ).format(lo, hi, constants.SILHOUETTE_PIXELS)
            + "<br>"
            + scope_help()
            + "<br><br>"
            + grid_help()
            + "<br><br>"
            + self.tr(
                "<b>Limits</b>: scopes over {0} land pixels are fitted on a fixed-seed "
                "sample of that many pixels (about 0.5 degrees apart on average over the whole "
                "globe); every pixel is then assigned to its nearest centroid. k larger than "
                "the land pixels is refused."
            ).format(constants.KMEANS_FIT_PIXELS)
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:
        self.addParameter(
            QgsProcessingParameterNumber(
                self.K,
                self.tr("Number of clusters (0 = automatic)"),
                QgsProcessingParameterNumber.Integer,
                defaultValue=8,
                minValue=0,
                maxValue=254,
            )
        )
        self.add_scope_parameter()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SEED,
                self.tr("Random seed"),
                QgsProcessingParameterNumber.Integer,
                defaultValue=constants.DEFAULT_SEED,
                minValue=0,
            )
        )
        self.add_data_dir_parameter()
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Clusters")))
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_TABLE,
                self.tr("Cluster table"),
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
        from rs_embed_qgis.bridge.explore_outputs import (
            cluster_table_fields,
            cluster_table_rows,
            write_class_geotiff,
        )
        from rs_embed_qgis.core import explore

        k = self.parameterAsInt(parameters, self.K, context)
        seed = self.parameterAsInt(parameters, self.SEED, context)
        scope = self.scope_box(parameters, context, feedback)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        source = self.open_product(parameters, context, feedback)
        res = explore.cluster(
            source.reader,
            scope,
            k=k,
            seed=seed,
            progress=self.progress_to(feedback, 5.0, 90.0),
            cancel=feedback.isCanceled,
        )
        for kk, s in sorted(res.silhouettes.items()):
            feedback.pushInfo(self.tr("k = {0}: silhouette {1:.3f}").format(kk, s))
        feedback.pushInfo(
            self.tr("k = {0}; {1} land pixels (fitted on {2}); inertia {3:.6g}").format(
                res.k, int(res.sizes.sum()), res.fit_pixels, res.inertia
            )
        )
        names = [self.tr("Cluster {0}").format(i + 1) for i in range(res.k)]
        meta = {
            "title": "Copernicus-Embed clusters",
            "file": source.info.path,
            "year": 2021,
            "k": res.k,
            "seed": seed,
            "inertia": res.inertia,
            "bbox_4326": res.window.bounds,
        }
        write_class_geotiff(
            res.labels,
            res.window,
            out_path,
            names,
            meta=meta,
            description="cluster",
        )
        self.will_write(out_path)  # written whole: a later failure of the run removes it
        ClassLegend.attach(context, out_path, list(range(1, len(names) + 1)), names)
        results: dict[str, Any] = {self.OUTPUT: out_path, self.OUTPUT_TABLE: None}
        fields = cluster_table_fields()
        sink, dest = self.file_sink(
            parameters,
            self.OUTPUT_TABLE,
            context,
            fields,
            QgsWkbTypes.NoGeometry,
            QgsCoordinateReferenceSystem(),
        )
        if sink is not None:
            for row in cluster_table_rows(res.sizes, res.centroid_distances()):
                feat = QgsFeature(fields)
                feat.setAttributes(row)
                sink.addFeature(feat, QgsFeatureSink.FastInsert)
            results[self.OUTPUT_TABLE] = dest
        feedback.setProgress(100.0)
        return results
