# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared base of the rs_embed algorithms: translation, instances, group, help and error mapping."""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qgis.core import (
    Qgis,
    QgsFeatureSink,
    QgsMessageLog,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProperty,
    QgsProxyFeatureSink,
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


# A destination that is a provider URI ("memory:", "ogr:dbname=...", "postgres:...") or a
# layer of a file ("out.gpkg|layername=x") is written in place; a plain file path is not.
_URI = re.compile(r"^[A-Za-z][\w+.-]+:|\|")  # a drive letter ("C:") is one character


class CountingSink(QgsProxyFeatureSink):
    """The sink the algorithm writes to: counts the features the real sink accepted, and
    raises the output's OutputError (its cause named) when the real sink refuses one."""

    def __init__(
        self, sink: QgsFeatureSink, pending: Any, gdal_messages: list[str], since: int
    ) -> None:
        super().__init__(sink)
        self.real = sink
        self.pending = pending
        self.count = 0
        # GDAL's failures of the run since the sink was created: the root cause ("database
        # or disk is full") is there; the sink's last error names only what failed after.
        self.gdal_messages = gdal_messages
        self.since = since

    def messages(self) -> list[str]:
        """GDAL's failures since this sink was created."""
        return self.gdal_messages[self.since :]

    def _check(self, ok: bool, n: int) -> bool:
        if not ok:
            said = self.real.lastError() or "a feature was refused"
            raise self.pending.error([*self.messages(), said])
        self.count += n
        return ok

    def addFeature(self, feature: Any, flags: Any = None) -> bool:  # noqa: N802 - QGIS API
        ok = super().addFeature(feature) if flags is None else super().addFeature(feature, flags)
        return self._check(ok, 1)

    def addFeatures(self, features: Any, flags: Any = None) -> bool:  # noqa: N802
        features = list(features)
        if flags is None:
            return self._check(super().addFeatures(features), len(features))
        return self._check(super().addFeatures(features, flags), len(features))


def _log_gdal(message: str) -> None:
    QgsMessageLog.logMessage(f"GDAL: {message}", "rs_embed", Qgis.MessageLevel.Warning)


@dataclass
class _FileSink:
    """A file sink written under a temporary name until the run ends."""

    pending: Any  # bridge.outputs.PendingOutput
    sink: Any  # the real sink: deleting it closes the file
    counter: CountingSink
    dest: str  # the temporary destination id Processing knows
    layer_name: str


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
        """Run ``process()``; every failure becomes a QgsProcessingException, outputs removed.

        File sinks (``file_sink``) are closed, checked and renamed here, once ``process()``
        has written everything: a full disk fails the run and leaves none of them.
        """
        from rs_embed_qgis.bridge.outputs import gdal_failures

        self._written: list[str] = []
        self._sinks: list[_FileSink] = []
        try:
            # GDAL's failures go to the log panel and are kept to name a write's cause.
            with gdal_failures(_log_gdal) as self._gdal_messages:
                result = self.process(parameters, context, feedback)
                if feedback is not None and feedback.isCanceled():
                    raise CancelledError("Cancelled.")
                return self._finish_sinks(result, context)
        except Exception as exc:
            from rs_embed_qgis.bridge.outputs import remove_partial

            with gdal_failures(_log_gdal):
                self._discard_sinks()
            for path in self._written:
                remove_partial(path)
            raise self.processing_error(exc) from exc

    def will_write(self, path: str | None) -> str | None:
        """Remember a file output, so that a failed or cancelled run removes it."""
        if path:
            self._written.append(str(path))
        return path

    def file_sink(
        self,
        parameters: dict[str, Any],
        name: str,
        context: Any,
        fields: Any,
        wkb_type: Any,
        crs: Any,
    ) -> tuple[Any, str | None]:
        """``parameterAsSink``, but a file is written under a temporary name beside it and
        renamed only when the run has succeeded and the file holds every feature written.

        Returns (sink, destination id) as ``parameterAsSink`` does; (None, None) when the
        optional output is not wanted.
        """
        from rs_embed_qgis.bridge.outputs import PendingOutput

        final = self.parameterAsOutputLayer(parameters, name, context) or ""
        if not final or _URI.search(final) or not os.path.splitext(final)[1]:
            return self.parameterAsSink(parameters, name, context, fields, wkb_type, crs)
        pending = PendingOutput(final)
        value = parameters.get(name)
        if isinstance(value, QgsProcessingOutputLayerDefinition):
            definition = QgsProcessingOutputLayerDefinition(value)
        else:
            definition = QgsProcessingOutputLayerDefinition(final)
        definition.sink = QgsProperty.fromValue(pending.tmp)
        options = dict(definition.createOptions or {})
        options.setdefault("fileEncoding", context.defaultEncoding() or "UTF-8")
        options.setdefault("layerName", pending.stem)  # not the temporary name
        definition.createOptions = options
        redirected = {**parameters, name: definition}
        since = len(self._gdal_messages)
        try:
            sink, dest = self.parameterAsSink(redirected, name, context, fields, wkb_type, crs)
        except QgsProcessingException as exc:  # "Could not create layer <temporary name>"
            raise pending.failure([*self._gdal_messages[since:], str(exc)]) from exc
        if sink is None:
            pending.discard()
            return None, None
        counter = CountingSink(sink, pending, self._gdal_messages, since)
        self._sinks.append(_FileSink(pending, sink, counter, dest, str(options["layerName"])))
        return counter, final

    def _close_sink(self, entry: _FileSink) -> None:
        from qgis.PyQt import sip

        if entry.sink is not None and not sip.isdeleted(entry.sink):
            sip.delete(entry.sink)  # the writer commits and closes the file here
        entry.sink = None

    def _discard_sinks(self) -> None:
        for entry in self._sinks:
            self._close_sink(entry)
            entry.pending.discard()
        self._sinks = []

    def _finish_sinks(self, result: dict, context: Any) -> dict:
        """Close each file sink, check it holds what was written, rename it to its name."""
        from osgeo import gdal

        from rs_embed_qgis.bridge.outputs import gdal_failures

        while self._sinks:
            entry = self._sinks[0]
            pending = entry.pending
            with gdal_failures() as failures:
                failures += entry.counter.messages()
                self._close_sink(entry)
                ds = gdal.OpenEx(pending.tmp, gdal.OF_VECTOR) if not failures else None
                if not failures:
                    layer = None if ds is None else ds.GetLayerByName(entry.layer_name)
                    if layer is None and ds is not None and ds.GetLayerCount() == 1:
                        layer = ds.GetLayer(0)
                    held = -1 if layer is None else layer.GetFeatureCount()
                    if held != entry.counter.count:
                        failures.append(
                            f"the file holds {max(held, 0)} of the "
                            f"{entry.counter.count} features written"
                        )
                layer = ds = None
            if failures:
                raise pending.failure(failures)
            self._sinks.pop(0)
            pending.commit()
            self._written.append(pending.path)
            loads = context.layersToLoadOnCompletion()
            if entry.dest in loads:
                details = loads.pop(entry.dest)
                loads[pending.path] = details
                context.setLayersToLoadOnCompletion(loads)
        return result

    def process(self, parameters: dict[str, Any], context: Any, feedback: Any) -> dict:
        """The algorithm's work (subclasses); may raise anything."""
        raise NotImplementedError
