# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed:classify: supervised classification of the land pixels from labelled features."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsWkbTypes,
)

from rs_embed_qgis.core.errors import SpecError
from rs_embed_qgis.processing.base import ClassLegend
from rs_embed_qgis.processing.similarity_map import ExploreAlgorithm, grid_help, scope_help


class ClassifyAlgorithm(ExploreAlgorithm):
    """Train on points/polygons with a class field, cross-validate, classify the scope."""

    TRAINING = "TRAINING"
    CLASS_FIELD = "CLASS_FIELD"
    CLASSIFIER = "CLASSIFIER"
    FOLDS = "FOLDS"
    OUTPUT = "OUTPUT"
    OUTPUT_CONFIDENCE = "OUTPUT_CONFIDENCE"
    OUTPUT_CONFUSION = "OUTPUT_CONFUSION"

    def name(self) -> str:
        return "classify"

    def displayName(self) -> str:
        return self.tr("Classify embeddings (Copernicus-Embed)")

    def shortHelpString(self) -> str:
        about = self.tr(
            "Learns classes from labelled training features and classifies every land pixel "
            "of the scope.<br><br>"
            "<b>Training</b>: points (the pixel under each) or polygons (every land cell they "
            "cover, weighted by its covered area in km², the exact weights of the pooling); "
            "<b>Class field</b>: the label of each feature (text or number).<br>"
            "<b>Classifier</b>: nearest centroid by cosine (confidence = cosine to the chosen "
            "class centroid); multinomial logistic regression in NumPy (L2 penalty, "
            "deterministic; confidence = top probability); random forest (needs "
            "scikit-learn, which a stock QGIS does not have).<br>"
            "<b>Folds</b>: k-fold cross-validation (2..20; 0 or 1 = none). Whole features are "
            "held out when every class has at least k of them, else single pixels (then "
            "the accuracy is optimistic for neighbouring pixels). Accuracy and confusion "
            "matrix (rows = true class, columns = predicted, counts of pixels) go to the log "
            "and to the optional table.<br>"
            "<b>Outputs</b>: class raster (UInt16: integer labels 0..65534 as themselves, "
            "nodata 65535; other labels 1..C in sorted order, nodata 0; the labels are "
            "category names, with a colour table) and confidence raster (float32, 0..1, "
            "NaN = ocean)."
        )
        limits = self.tr(
            "<b>Limits</b>: at least two classes, each with at least two training "
            "pixels on land; training features over ocean are ignored; training pixels "
            "must fit in memory (about 500 000 pixels)."
        )
        return f"{about}<br>{scope_help()}<br><br>{grid_help()}<br><br>{limits}"

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.TRAINING,
                self.tr("Training features (points or polygons)"),
                [QgsProcessing.TypeVectorPoint, QgsProcessing.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.CLASS_FIELD, self.tr("Class field"), parentLayerParameterName=self.TRAINING
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.CLASSIFIER,
                self.tr("Classifier"),
                options=[
                    self.tr("Nearest centroid (cosine)"),
                    self.tr("Logistic regression"),
                    self.tr("Random forest (needs scikit-learn)"),
                ],
                defaultValue=1,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.FOLDS,
                self.tr("Cross-validation folds (0 = none)"),
                QgsProcessingParameterNumber.Integer,
                defaultValue=5,
                minValue=0,
                maxValue=20,
            )
        )
        self.add_scope_parameter()
        self.add_data_dir_parameter()
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Classes")))
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_CONFIDENCE, self.tr("Confidence"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_CONFUSION,
                self.tr("Confusion matrix"),
                optional=True,
                createByDefault=False,
            )
        )

    def _samples(self, parameters: dict, context: Any, feedback: Any) -> list[tuple[Any, Any]]:
        from rs_embed_qgis.bridge.explore_outputs import labelled_samples

        source = self.parameterAsSource(parameters, self.TRAINING, context)
        if source is None:
            raise SpecError(self.tr("No training layer."))
        name = self.parameterAsString(parameters, self.CLASS_FIELD, context)
        samples, skipped = labelled_samples(
            source.getFeatures(),
            name,
            source.fields(),
            source.sourceCrs(),
            context.transformContext(),
        )
        if skipped:
            feedback.pushWarning(
                self.tr("{0} training feature(s) without a class were skipped").format(skipped)
            )
        return samples

    def process(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        from rs_embed_qgis.bridge.explore_outputs import (
            confusion_fields,
            confusion_lines,
            confusion_rows,
            write_classification,
        )
        from rs_embed_qgis.core import explore

        classifier = explore.CLASSIFIERS[self.parameterAsEnum(parameters, self.CLASSIFIER, context)]
        folds = self.parameterAsInt(parameters, self.FOLDS, context)
        samples = self._samples(parameters, context, feedback)
        scope = self.scope_box(parameters, context, feedback)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        conf_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_CONFIDENCE, context)
        source = self.open_product(parameters, context, feedback)
        res = explore.classify(
            source.reader,
            samples,
            scope,
            classifier=classifier,
            folds=folds,
            progress=self.progress_to(feedback, 5.0, 90.0),
            cancel=feedback.isCanceled,
        )
        names = [str(c) for c in res.classes]
        feedback.pushInfo(
            self.tr("{0} classes, {1} training pixels, classifier {2}").format(
                len(names), res.n_training, classifier
            )
        )
        if res.cv is not None:
            for line in confusion_lines(names, res.cv):
                feedback.pushInfo(line)
        values, _names = write_classification(
            res,
            out_path,
            conf_path,
            source.info.path,
        )
        self.will_write(out_path)  # written whole: a later failure of the run removes them
        self.will_write(conf_path)
        ClassLegend.attach(context, out_path, values, names)
        results: dict[str, Any] = {
            self.OUTPUT: out_path,
            self.OUTPUT_CONFIDENCE: conf_path or None,
            self.OUTPUT_CONFUSION: None,
        }
        if res.cv is not None:
            fields = confusion_fields(names)
            sink, dest = self.file_sink(
                parameters,
                self.OUTPUT_CONFUSION,
                context,
                fields,
                QgsWkbTypes.NoGeometry,
                QgsCoordinateReferenceSystem(),
            )
            if sink is not None:
                for row in confusion_rows(names, res.cv.confusion):
                    feat = QgsFeature(fields)
                    feat.setAttributes(row)
                    sink.addFeature(feat, QgsFeatureSink.FastInsert)
                results[self.OUTPUT_CONFUSION] = dest
        feedback.setProgress(100.0)
        return results
