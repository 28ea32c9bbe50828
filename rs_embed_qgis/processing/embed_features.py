# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed:embed_features: one pooled Copernicus-Embed vector per feature, as attribute fields."""

from __future__ import annotations

import re
from typing import Any

from qgis.core import (
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsFields,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSource,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from rs_embed_qgis.core.constants import (
    DEFAULT_BUFFER_M,
    DEFAULT_PREFIX,
    POOLINGS,
    PRODUCT_BANDS,
    REGIONS,
    SUPPORTED_YEARS,
)
from rs_embed_qgis.core.errors import CancelledError
from rs_embed_qgis.processing.base import RsEmbedAlgorithm

_PREFIX_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,20}$")
# How many skipped features are named one by one in the log.
_LISTED_SKIPS = 20


class EmbedFeaturesAlgorithm(RsEmbedAlgorithm):
    """Embed every feature of a polygon or point layer (pooled mean/max of Copernicus-Embed)."""

    INPUT = "INPUT"
    BUFFER_M = "BUFFER_M"
    POOLING = "POOLING"
    REGION = "REGION"
    YEAR = "YEAR"
    FIELD_PREFIX = "FIELD_PREFIX"
    OUTPUT = "OUTPUT"
    EMBEDDED = "EMBEDDED"
    SKIPPED = "SKIPPED"

    def name(self) -> str:
        return "embed_features"

    def displayName(self) -> str:
        return self.tr("Embed features (Copernicus-Embed)")

    def shortHelpString(self) -> str:
        return self.tr(
            "Adds the Copernicus-Embed embedding (768 numbers, year 2021) of every feature "
            "as fields <i>prefix</i>000 .. <i>prefix</i>767, plus <i>prefix</i>valid_frac, "
            "the fraction of the area that has data.<br><br>"
            "<b>Input</b>: polygons, or points with a buffer. Any CRS: geometries are "
            "transformed to EPSG:4326 (edges densified; polygons across the antimeridian "
            "are handled). Use 'Selected features only' to embed a selection.<br>"
            "<b>Region</b>: <i>polygon</i> pools the product pixels inside each polygon, "
            "weighted by their exact covered area in m²; <i>bbox</i> pools every pixel of "
            "the polygon's EPSG:4326 bounding box, grown to at least <i>Expand</i> degrees "
            "(the rs-embed seed's behaviour).<br>"
            "<b>Buffer</b> (metres): half the side of the square around each point. "
            "<b>Expand</b> (degrees): points and bboxes with a side shorter than this get "
            "that side; 0 keeps them as they are.<br>"
            "<b>Pooling</b>: mean (area-weighted for polygons) or max, over pixels with "
            "data.<br><br>"
            "<b>Limits</b>: the product has 0.25° pixels (about 28 km at the equator) and "
            "only the year 2021. Features over ocean, outside the data file, or without a "
            "usable geometry (null, empty, lines) are kept with NULL embeddings and "
            "counted in a warning. The data directory is DATA_DIR, else the plugin "
            "setting, else $RS_EMBED_COP_DIR, else data/copernicus_embed; it must hold "
            "embed_map_310k.tif (get it with 'Download the Copernicus-Embed product')."
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.INPUT,
                self.tr("Input layer (polygons or points)"),
                [QgsProcessing.TypeVectorPolygon, QgsProcessing.TypeVectorPoint],
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.BUFFER_M,
                self.tr("Buffer around points (metres)"),
                QgsProcessingParameterNumber.Double,
                defaultValue=DEFAULT_BUFFER_M,
                minValue=0.001,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.POOLING,
                self.tr("Pooling"),
                # Shown translated; the value is the index, the same in every language.
                options=[{"mean": self.tr("mean"), "max": self.tr("max")}[p] for p in POOLINGS],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.REGION,
                self.tr("Region pooled for polygons"),
                options=list(REGIONS),
                defaultValue=0,
            )
        )
        self.add_expand_parameter(self.tr("Expand to at least (degrees)"))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.YEAR,
                self.tr("Year"),
                QgsProcessingParameterNumber.Integer,
                defaultValue=SUPPORTED_YEARS[0],
            )
        )
        self.add_data_dir_parameter()
        self.addParameter(
            QgsProcessingParameterString(
                self.FIELD_PREFIX, self.tr("Field name prefix"), defaultValue=DEFAULT_PREFIX
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Embedded features"))
        )
        self.addOutput(QgsProcessingOutputNumber(self.EMBEDDED, self.tr("Features embedded")))
        self.addOutput(
            QgsProcessingOutputNumber(self.SKIPPED, self.tr("Features left with NULL embeddings"))
        )

    def process(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        from rs_embed_qgis.bridge.jobs import embed_features
        from rs_embed_qgis.bridge.outputs import (
            embedding_fields,
            embedding_values,
            valid_fraction_value,
        )
        from rs_embed_qgis.core.specs import OutputSpec

        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        buffer_m = self.parameterAsDouble(parameters, self.BUFFER_M, context)
        pooling = POOLINGS[self.parameterAsEnum(parameters, self.POOLING, context)]
        region = REGIONS[self.parameterAsEnum(parameters, self.REGION, context)]
        expand_deg = self.parameterAsDouble(parameters, self.EXPAND_DEG, context)
        year = self.parameterAsInt(parameters, self.YEAR, context)
        if year not in SUPPORTED_YEARS:
            raise QgsProcessingException(
                self.tr("Year {0} is not available: Copernicus-Embed has only {1}.").format(
                    year, ", ".join(str(y) for y in SUPPORTED_YEARS)
                )
            )
        prefix = self.parameterAsString(parameters, self.FIELD_PREFIX, context).strip()
        if not _PREFIX_RE.match(prefix):
            raise QgsProcessingException(
                self.tr(
                    "The field prefix {0!r} is not usable: use up to 21 letters, digits or "
                    "underscores, starting with a letter or underscore."
                ).format(prefix)
            )
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context) or ""
        if out_path.lower().split("|")[0].endswith((".shp", ".dbf")):
            raise QgsProcessingException(
                self.tr(
                    "A shapefile cannot hold the {0} embedding fields (dBase allows 255 fields "
                    "of 10 characters). Save the output as a GeoPackage (.gpkg) instead."
                ).format(PRODUCT_BANDS + 1)
            )
        data_dir = self.data_dir(self.parameterAsFile(parameters, self.DATA_DIR, context), feedback)

        new_fields = embedding_fields(prefix, valid_fraction=True)
        new_names = set(new_fields.names())
        in_fields = source.fields()
        keep = [i for i, f in enumerate(in_fields) if f.name() not in new_names]
        if len(keep) < in_fields.count():
            feedback.pushWarning(
                self.tr("The input already has {0} fields named {1}*; they are replaced.").format(
                    in_fields.count() - len(keep), prefix
                )
            )
        fields = QgsFields()
        for i in keep:
            fields.append(in_fields.at(i))
        for f in new_fields:
            fields.append(f)

        # The core repairs invalid polygons itself, so none is dropped by a validity check.
        features = list(
            source.getFeatures(
                QgsFeatureRequest(), QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks
            )
        )
        feedback.pushInfo(
            self.tr("{0} features, region {1}, pooling {2}").format(len(features), region, pooling)
        )
        # All the work first: the output is created only once every vector is known, so a
        # failed or cancelled run leaves no partial file behind.
        res = embed_features(
            features,
            source.sourceCrs(),
            context.transformContext(),
            output=OutputSpec.pooled(pooling),
            data_dir=data_dir,
            buffer_m=buffer_m,
            region=region,
            expand_deg=expand_deg,
            prepare_cache="auto",
            year=year,
            progress=self.progress_to(feedback, 0.0, 90.0),
            cancel=feedback.isCanceled,
        )
        for warning in res.warnings:
            feedback.pushWarning(warning)
        sink, dest_id = self.file_sink(
            parameters, self.OUTPUT, context, fields, source.wkbType(), source.sourceCrs()
        )
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        skipped: dict[str, list[tuple[Any, str]]] = {"geometry": [], "coverage": [], "other": []}
        n_new = new_fields.count()
        for i, feat in enumerate(features):
            if feedback.isCanceled():
                raise CancelledError("Cancelled.")
            vector = res.vectors[i]
            if vector is None:
                skipped[res.kinds[i] or "other"].append((feat.id(), res.errors[i] or ""))
            out = QgsFeature(fields)
            out.setGeometry(feat.geometry())
            attrs = feat.attributes()
            values = embedding_values(vector) + [valid_fraction_value(res.metas[i])]
            if len(values) != n_new:  # pragma: no cover - guards the field layout
                raise QgsProcessingException("internal error: field count mismatch")
            out.setAttributes([attrs[k] for k in keep] + values)
            if not sink.addFeature(out, QgsFeatureSink.FastInsert):
                raise QgsProcessingException(self.writeFeatureError(sink, parameters, self.OUTPUT))
            feedback.setProgress(90.0 + 10.0 * (i + 1) / max(1, len(features)))

        n_skipped = sum(len(v) for v in skipped.values())
        self._report_skipped(skipped, n_skipped, len(features), feedback)
        return {
            self.OUTPUT: dest_id,
            self.EMBEDDED: len(features) - n_skipped,
            self.SKIPPED: n_skipped,
        }

    def _report_skipped(
        self,
        skipped: dict[str, list],
        n_skipped: int,
        total: int,
        feedback: QgsProcessingFeedback,
    ) -> None:
        if not n_skipped:
            feedback.pushInfo(self.tr("All {0} features were embedded.").format(total))
            return
        feedback.pushWarning(
            self.tr(
                "{0} of {1} features are kept with NULL embeddings: {2} without geometry "
                "(null or empty), {3} without data (ocean, or outside the data file), "
                "{4} with an unusable geometry."
            ).format(
                n_skipped,
                total,
                len(skipped["geometry"]),
                len(skipped["coverage"]),
                len(skipped["other"]),
            )
        )
        listed = [item for key in ("geometry", "coverage", "other") for item in skipped[key]]
        for fid, reason in listed[:_LISTED_SKIPS]:
            feedback.pushInfo(self.tr("Feature {0}: {1}").format(fid, reason))
        if len(listed) > _LISTED_SKIPS:
            feedback.pushInfo(self.tr("... and {0} more.").format(len(listed) - _LISTED_SKIPS))
