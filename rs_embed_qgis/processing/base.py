"""Shared base of the rs_embed algorithms: translation, instances, group, help and error mapping."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

from qgis.core import (
    Qgis,
    QgsMessageLog,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtGui import QIcon

from rs_embed_qgis.core.constants import DEFAULT_EXPAND_DEG, ENV_DATA_DIR
from rs_embed_qgis.core.errors import CancelledError, RsEmbedError
from rs_embed_qgis.i18n import plugin_icon, tr
from rs_embed_qgis.settings import effective_data_dir

HELP_URL = "https://github.com/rs-embed/rs_embed_qgis#processing"


class ClassLegend(QgsProcessingLayerPostProcessorInterface):
    """Gives a class/cluster raster loaded on completion a legend of its classes only.

    Without it QGIS shows the GeoTIFF's colour table: 65536 entries for a UInt16 band.
    """

    _alive: list[ClassLegend] = []  # QGIS holds post-processors by pointer only

    def __init__(self, values: list[int], names: list[str]) -> None:
        super().__init__()
        self.values = values
        self.names = names
        ClassLegend._alive = [*ClassLegend._alive[-15:], self]

    def postProcessLayer(self, layer: Any, context: Any, feedback: Any) -> None:  # noqa: N802
        from rs_embed_qgis.bridge.explore_outputs import style_class_layer

        style_class_layer(layer, self.values, self.names)

    @staticmethod
    def attach(context: Any, path: str, values: list[int], names: list[str]) -> None:
        """When ``path`` is loaded into the project after the run, style it."""
        if context.willLoadLayerOnCompletion(path):
            details = context.layerToLoadOnCompletionDetails(path)
            details.setPostProcessor(ClassLegend(list(values), [str(n) for n in names]))


class RsEmbedAlgorithm(QgsProcessingAlgorithm):
    """Base of the rs_embed algorithms: one group, icon, help link and error handling."""

    EXPAND_DEG = "EXPAND_DEG"
    DATA_DIR = "DATA_DIR"

    def add_expand_parameter(self, description: str) -> None:
        """EXPAND_DEG: grow short sides to at least this many degrees (the seed's 1.0)."""
        self.addParameter(
            QgsProcessingParameterNumber(
                self.EXPAND_DEG,
                description,
                QgsProcessingParameterNumber.Double,
                defaultValue=DEFAULT_EXPAND_DEG,
                minValue=0.0,
                maxValue=360.0,
            )
        )

    def add_data_dir_parameter(self) -> None:
        """DATA_DIR: optional folder holding embed_map_310k.tif.

        The label stays short (a long one widened the dialog's first column and clipped
        it); what the folder holds is the parameter's help (its tooltip).
        """
        param = QgsProcessingParameterFile(
            self.DATA_DIR,
            self.tr("Data directory"),
            behavior=QgsProcessingParameterFile.Folder,
            optional=True,
        )
        param.setHelp(
            self.tr(
                "The folder holding embed_map_310k.tif (or a folder directly inside it); "
                "empty: the plugin's data directory."
            )
        )
        self.addParameter(param)

    def tr(self, text: str) -> str:
        """Translate a UI string."""
        return tr(text)

    def createInstance(self) -> QgsProcessingAlgorithm:
        return type(self)()

    def group(self) -> str:
        return self.tr("Copernicus-Embed")

    def groupId(self) -> str:
        return "copernicus_embed"

    def icon(self) -> QIcon:
        return plugin_icon()

    def helpUrl(self) -> str:
        return HELP_URL

    @staticmethod
    def data_dir(explicit: str | None, feedback: QgsProcessingFeedback) -> str:
        """The data directory (parameter > plugin setting > $RS_EMBED_COP_DIR > default)."""
        path, origin = effective_data_dir(explicit)
        where = {"parameter": "DATA_DIR", ENV_DATA_DIR: f"${ENV_DATA_DIR}"}.get(origin, origin)
        feedback.pushInfo(tr("Data directory: {0} (from {1})").format(os.path.abspath(path), where))
        return path

    @staticmethod
    def progress_to(
        feedback: QgsProcessingFeedback, start: float = 0.0, end: float = 100.0
    ) -> Callable[[float, str], None]:
        """A core ``progress(fraction, message)`` that drives the feedback between two %."""

        def report(fraction: float, message: str) -> None:
            feedback.setProgress(start + (end - start) * max(0.0, min(1.0, float(fraction))))
            if message:
                feedback.setProgressText(message)

        return report

    @staticmethod
    def processing_error(exc: BaseException) -> QgsProcessingException:
        """Any failure as the QgsProcessingException Processing shows: one actionable sentence.

        Core errors carry their own message; a cancel says nothing was written; anything
        unexpected names its kind, and its traceback goes to the log (tag rs_embed), never
        to the user as a crash.
        """
        if isinstance(exc, QgsProcessingException):
            return exc
        if isinstance(exc, CancelledError):
            return QgsProcessingException(tr("Cancelled: nothing was written."))
        if isinstance(exc, RsEmbedError):
            return QgsProcessingException(str(exc))
        if isinstance(exc, OSError):
            return QgsProcessingException(
                tr("A file could not be read or written: {0}").format(exc)
            )
        QgsMessageLog.logMessage(
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            "rs_embed",
            Qgis.Critical,
        )
        return QgsProcessingException(
            tr("Unexpected {0}: {1} (details in the log panel, tab rs_embed).").format(
                type(exc).__name__, exc
            )
        )

    def processAlgorithm(self, parameters: dict[str, Any], context: Any, feedback: Any) -> dict:
        """Run ``process()``; every failure becomes a QgsProcessingException, outputs removed."""
        self._written: list[str] = []
        try:
            result = self.process(parameters, context, feedback)
            if feedback is not None and feedback.isCanceled():
                raise CancelledError("Cancelled.")
            return result
        except Exception as exc:
            from rs_embed_qgis.bridge.outputs import remove_partial

            for path in self._written:
                remove_partial(path)
            raise self.processing_error(exc) from exc

    def will_write(self, path: str | None) -> str | None:
        """Remember a file output, so that a failed or cancelled run removes it."""
        if path:
            self._written.append(str(path))
        return path

    def process(self, parameters: dict[str, Any], context: Any, feedback: Any) -> dict:
        """The algorithm's work (subclasses); may raise anything."""
        raise NotImplementedError
