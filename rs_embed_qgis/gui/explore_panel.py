# SPDX-License-Identifier: GPL-2.0-or-later
"""The dock's "Explore" panel: references, similarity map with a live threshold, places, k-means,
classification; each over a scope (the map extent, a layer's extent or the whole product).

The panel owns no map tool: whoever wires it into the dock calls ``add_point_reference``
and ``add_box_reference`` from its map tools (EPSG:4326 coordinates). Work runs in
QgsTasks (``run()`` reads and writes files, never touches widgets or the project);
``finished`` adds the layer to the project on the main thread; a cancelled or failed task
leaves no file behind. The threshold slider only swaps the similarity layer's renderer:
nothing is recomputed; it lets go of a similarity layer removed from the project.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qgis.core import (
    NULL,
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsMapLayerProxyModel,
    QgsMessageLog,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsVectorLayerFeatureSource,
)
from qgis.gui import QgsFieldComboBox, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rs_embed_qgis.core import constants
from rs_embed_qgis.core.constants import PRODUCT_CRS
from rs_embed_qgis.core.deps import sklearn_available
from rs_embed_qgis.core.errors import RsEmbedError, SpecError
from rs_embed_qgis.gui.layers import add_on_top
from rs_embed_qgis.gui.tasks import OK, RsEmbedTask
from rs_embed_qgis.i18n import tr
from rs_embed_qgis.settings import effective_data_dir

SCOPE_MAP = "map"
SCOPE_LAYER = "layer"
SCOPE_ALL = "all"
SLIDER_STEPS = 1000
LOG_TAG = "rs_embed"
# QGIS >= 3.34 moved the layer filters to Qgis.LayerFilter (the only spelling in QGIS 4).
_LAYER_FILTER: Any = getattr(Qgis, "LayerFilter", None) or QgsMapLayerProxyModel.Filter


def classifier_labels() -> dict[str, str]:
    """The classifiers' names as the user reads them (literals, so they are translatable)."""
    return {
        "nearest_centroid": tr("Nearest centroid (cosine)"),
        "logistic": tr("Logistic regression"),
        "random_forest": tr("Random forest (scikit-learn)"),
    }


def _layer_filters(*names: str) -> Any:
    """Combined layer filters as setFilters() wants them on every QGIS: Qgis.LayerFilters
    from 3.34 (an int there is the deprecated overload, gone in QGIS 4), Filters before."""
    flags = getattr(Qgis, "LayerFilters", None)
    values = [getattr(_LAYER_FILTER, n) for n in names]
    out = flags(values[0]) if flags is not None else values[0]
    for v in values[1:]:
        out = out | v
    return out


if TYPE_CHECKING:
    from rs_embed_qgis.core.explore import SimilarityResult
    from rs_embed_qgis.core.grid import LonLatBox
# The core and NumPy are imported when a task runs, not when QGIS starts.


def _index(source: Any, use: bool, report: Any, cancel: Any) -> Any:
    """The product's search index when the user asked for it (built once if missing)."""
    if not use:
        return None
    from rs_embed_qgis.core.index import index_for, load_index

    if load_index(source.info) is None:
        report(0.0, tr("Building the search index (once; one pass over the product)"))

    def log(text: str) -> None:  # a refused (damaged) index: said once in the log panel
        QgsMessageLog.logMessage(text, LOG_TAG, Qgis.MessageLevel.Warning)

    return index_for(source.reader, True, lambda f, m: report(0.9 * f, m), cancel, log=log)


_WRAP = QFormLayout.RowWrapPolicy.WrapAllRows


class ExploreTask(RsEmbedTask):
    """Run ``job(report, cancel)`` in the worker thread; its return value is ``result``."""

    def __init__(
        self, description: str, job: Callable[[Any, Any], Any], outputs: list[str] | None = None
    ) -> None:
        super().__init__(description)
        self.job = job
        self.outputs = list(outputs or [])  # files the job writes: removed unless it succeeds

    def work(self) -> Any:
        """The job, with this task's progress and cancel."""
        return self.job(self.report, self.isCanceled)


class ExplorePanel(QWidget):
    """References, similarity map + threshold, places like this and clustering, for the dock."""

    references_changed = pyqtSignal(int)
    threshold_changed = pyqtSignal(float)
    similarity_layer_ready = pyqtSignal(object)
    places_layer_ready = pyqtSignal(object)
    cluster_layer_ready = pyqtSignal(object)
    areas_layer_ready = pyqtSignal(object)
    cluster_table_ready = pyqtSignal(object)
    class_layer_ready = pyqtSignal(object)
    confidence_layer_ready = pyqtSignal(object)
    confusion_layer_ready = pyqtSignal(object)
    message = pyqtSignal(str, object)  # text, Qgis.MessageLevel
    task_started = pyqtSignal(object)  # an ExploreTask, before it is queued

    def __init__(self, iface: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.iface = iface
        self._refs: list[Any] = []
        self.tasks: list[ExploreTask] = []
        self.similarity_layer: QgsRasterLayer | None = None
        self._similarity_id: str | None = None
        self.similarity_result: SimilarityResult | None = None
        self._range: tuple[float, float] = (0.0, 1.0)
        self._folder: str | None = None
        self._n_out = 0
        self._n_maps = 0  # similarity maps made: their layers are numbered
        self._data_dir: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_scope())
        layout.addWidget(self._build_references())
        layout.addWidget(self._build_similarity())
        layout.addWidget(self._build_places())
        layout.addWidget(self._build_cluster())
        layout.addWidget(self._build_classify())
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        # A similarity layer removed from the project lets go of the slider.
        QgsProject.instance().layersRemoved.connect(self._layers_removed)
        self._update_buttons()

    # ------------------------------------------------------------------ widgets

    @staticmethod
    def _narrow(widget: QWidget) -> None:
        """Long item texts must not widen a 350 px dock: the widget takes the row's width."""
        widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        widget.setMinimumWidth(80)

    def _build_scope(self) -> QGroupBox:
        box = QGroupBox(tr("Scope"))
        form = QFormLayout(box)
        form.setRowWrapPolicy(_WRAP)  # long choices get the dock's full width
        self.scope_combo = QComboBox()
        self.scope_combo.addItem(tr("Map extent"), SCOPE_MAP)
        self.scope_combo.addItem(tr("A layer's extent"), SCOPE_LAYER)
        self.scope_combo.addItem(tr("Whole globe"), SCOPE_ALL)
        self.scope_layer_combo = QgsMapLayerComboBox()
        self.scope_layer_combo.setFilters(_layer_filters("HasGeometry", "RasterLayer"))
        self.scope_layer_combo.setAllowEmptyLayer(True)
        for w in (self.scope_combo, self.scope_layer_combo):
            self._narrow(w)
        self.scope_combo.currentIndexChanged.connect(self._scope_changed)
        form.addRow(tr("Explore"), self.scope_combo)
        form.addRow(tr("Layer"), self.scope_layer_combo)
        self.index_check = QCheckBox(tr("Fast search index (cosine)"))
        self.index_check.setToolTip(
            tr(
                "A compact copy of the product (64 components per pixel, about 140 MB beside "
                "the cache), built once in a task the first time (one pass over the product). "
                "Places stay exact; similarity maps become approximate, each score within a "
                "stated bound (about 5e-4), and much faster on large scopes."
            )
        )
        form.addRow(self.index_check)
        self._scope_changed()
        return box

    def _metric_changed(self, *_: Any) -> None:
        # The search index holds cosine geometry only: no use for the Euclidean metric.
        self.index_check.setEnabled(self.metric_combo.currentData() == "cosine")

    def _scope_changed(self, *_: Any) -> None:
        self.scope_layer_combo.setEnabled(self.scope_combo.currentData() == SCOPE_LAYER)

    def _build_references(self) -> QGroupBox:
        box = QGroupBox(tr("References"))
        lay = QVBoxLayout(box)
        self.ref_list = QListWidget()
        self.ref_list.setMaximumHeight(90)
        lay.addWidget(self.ref_list)
        row = QHBoxLayout()
        self.use_selection_button = QPushButton(tr("Add selected features"))
        self.use_selection_button.clicked.connect(self.use_selected_features)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.clicked.connect(self.remove_selected_references)
        self.clear_button = QPushButton(tr("Clear"))
        self.clear_button.clicked.connect(self.clear_references)
        # The selection button on its own row: three buttons side by side widen the dock.
        lay.addWidget(self.use_selection_button)
        for b in (self.remove_button, self.clear_button):
            row.addWidget(b)
        lay.addLayout(row)
        form = QFormLayout()
        form.setRowWrapPolicy(_WRAP)  # long choices get the dock's full width
        self.combine_combo = QComboBox()
        for name, label in zip(
            constants.COMBINES,
            (tr("Mean vector"), tr("Medoid"), tr("Max over references")),
            strict=True,
        ):
            self.combine_combo.addItem(label, name)
        self.metric_combo = QComboBox()
        self.metric_combo.addItem(tr("Cosine"), "cosine")
        self.metric_combo.addItem(tr("Euclidean (minus distance)"), "euclidean")
        for combo in (self.combine_combo, self.metric_combo):
            self._narrow(combo)
        self.metric_combo.currentIndexChanged.connect(self._metric_changed)
        form.addRow(tr("Combine"), self.combine_combo)
        form.addRow(tr("Metric"), self.metric_combo)
        lay.addLayout(form)
        return box

    def _build_similarity(self) -> QGroupBox:
        box = QGroupBox(tr("Similarity map"))
        lay = QVBoxLayout(box)
        self.similarity_button = QPushButton(tr("Compute similarity map"))
        self.similarity_button.clicked.connect(lambda: self.compute_similarity())  # no `checked`
        lay.addWidget(self.similarity_button)
        row = QHBoxLayout()
        self.threshold_check = QCheckBox(tr("Hide below"))
        self.threshold_check.toggled.connect(self._slider_moved)
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, SLIDER_STEPS)
        self.threshold_slider.setValue(SLIDER_STEPS // 2)
        self.threshold_slider.valueChanged.connect(self._slider_moved)
        self.threshold_label = QLabel("-")
        row.addWidget(self.threshold_check)
        row.addWidget(self.threshold_slider, 1)
        row.addWidget(self.threshold_label)
        lay.addLayout(row)
        self.areas_button = QPushButton(tr("Areas above threshold"))
        self.areas_button.clicked.connect(self.areas_above_threshold)
        lay.addWidget(self.areas_button)
        return box

    def _build_places(self) -> QGroupBox:
        box = QGroupBox(tr("Places like this"))
        form = QFormLayout(box)
        self.places_k = QSpinBox()
        self.places_k.setRange(1, 10000)
        self.places_k.setValue(50)
        self.places_km = QSpinBox()
        self.places_km.setRange(0, 20000)
        self.places_km.setValue(100)
        self.places_km.setSuffix(" km")
        self.places_skip_refs = QCheckBox(tr("Leave the references out"))
        self.places_skip_refs.setObjectName("RsEmbedPlacesSkipRefs")
        self.places_skip_refs.setChecked(True)
        self.places_skip_refs.setToolTip(
            tr(
                "A reference is the most similar place to itself: left out, the list starts "
                "with the best place you do not know yet."
            )
        )
        self.places_button = QPushButton(tr("Find places"))
        self.places_button.clicked.connect(self.find_places)
        form.addRow(tr("Number"), self.places_k)
        form.addRow(tr("Min. distance"), self.places_km)
        form.addRow(self.places_skip_refs)
        form.addRow(self.places_button)
        return box

    def _build_cluster(self) -> QGroupBox:
        box = QGroupBox(tr("Clustering (k-means)"))
        form = QFormLayout(box)
        self.cluster_k = QSpinBox()
        self.cluster_k.setRange(0, 254)
        self.cluster_k.setValue(8)
        self.cluster_k.setSpecialValueText(tr("auto"))
        self.cluster_button = QPushButton(tr("Cluster the scope"))
        self.cluster_button.clicked.connect(self.run_clustering)
        form.addRow(tr("Clusters"), self.cluster_k)
        form.addRow(self.cluster_button)
        return box

    def _build_classify(self) -> QGroupBox:
        box = QGroupBox(tr("Classification"))
        form = QFormLayout(box)
        form.setRowWrapPolicy(_WRAP)  # long choices get the dock's full width
        self.training_combo = QgsMapLayerComboBox()
        self.training_combo.setFilters(_layer_filters("PointLayer", "PolygonLayer"))
        self.training_combo.setAllowEmptyLayer(True)
        self.class_field_combo = QgsFieldComboBox()
        # layerChanged follows the user's picks only; currentIndexChanged also programmatic ones.
        self.training_combo.currentIndexChanged.connect(self._training_changed)
        self.classifier_combo = QComboBox()
        for name in constants.CLASSIFIERS:
            if name == "random_forest" and not sklearn_available():
                continue  # offered only where scikit-learn can be imported
            self.classifier_combo.addItem(classifier_labels()[name], name)
        self.classifier_combo.setCurrentIndex(self.classifier_combo.findData("logistic"))
        for w in (self.training_combo, self.class_field_combo, self.classifier_combo):
            self._narrow(w)
        self.folds_spin = QSpinBox()
        self.folds_spin.setRange(0, 20)
        self.folds_spin.setValue(5)
        self.folds_spin.setSpecialValueText(tr("none"))
        self.classify_button = QPushButton(tr("Classify the scope"))
        self.classify_button.clicked.connect(self.run_classification)
        form.addRow(tr("Training layer"), self.training_combo)
        form.addRow(tr("Class field"), self.class_field_combo)
        form.addRow(tr("Classifier"), self.classifier_combo)
        form.addRow(tr("Cross-validation folds"), self.folds_spin)
        form.addRow(self.classify_button)
        self._training_changed()
        return box

    def _training_changed(self, *_: Any) -> None:
        layer = self.training_combo.currentLayer()
        self.class_field_combo.setLayer(layer if isinstance(layer, QgsVectorLayer) else None)

    # ------------------------------------------------------------------ references

    def references(self) -> list[Any]:
        """The current references (core specs / (lon, lat) points), in order."""
        return list(self._refs)

    def _add(self, ref: Any, label: str) -> None:
        self._refs.append(ref)
        self.ref_list.addItem(label)
        self._references_changed()

    def add_point_reference(self, lon: float, lat: float) -> None:
        """A clicked point (EPSG:4326): the product pixel under it."""
        self._add((float(lon), float(lat)), tr("Point {0:.3f}, {1:.3f}").format(lon, lat))

    def add_box_reference(self, box: LonLatBox) -> None:
        """A drawn rectangle (EPSG:4326 box): its exact area-weighted mean."""
        from rs_embed_qgis.core.specs import BBox

        w, s, e, n = (float(v) for v in box)
        self._add(
            BBox(w, s, e, n), tr("Box {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}").format(w, s, e, n)
        )

    def add_area_reference(self, spec: Any) -> None:
        """A drawn area that is no plain box (a rectangle across the antimeridian): a Polygon."""
        w, s, e, n = spec.bounds
        self._add(spec, tr("Area {0:.2f}, {1:.2f} .. {2:.2f}, {3:.2f}").format(w, s, e, n))

    def similarity_from_point(
        self, lon: float, lat: float, scope_kind: str | None = None
    ) -> ExploreTask | None:
        """ "Colour by similarity to this pixel": a map for that one pixel, over ``scope_kind``
        (SCOPE_*; None: the panel's scope). The user's references and scope stay as they are
        (a right-click must not throw away a list of references built with care)."""
        return self.compute_similarity(refs=[(float(lon), float(lat))], scope_kind=scope_kind)

    def use_selected_features(self) -> int:
        """Add the selected point/polygon features of the active layer; returns how many."""
        from rs_embed_qgis.bridge.explore_outputs import features_to_references

        layer = self.iface.activeLayer() if self.iface is not None else None
        if not isinstance(layer, QgsVectorLayer) or layer.selectedFeatureCount() == 0:
            self._say(
                tr("Select point or polygon features in a vector layer first."),
                Qgis.MessageLevel.Warning,
            )
            return 0
        # Each reference is listed under the feature's display name (e.g. the country).
        expr = QgsExpression(layer.displayExpression())
        ctx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
        labelled: list[tuple[Any, str]] = []
        try:
            for feat in layer.selectedFeatures():
                ctx.setFeature(feat)
                name = expr.evaluate(ctx) if expr.isValid() else None
                label = str(name) if name not in (None, NULL, "") else ""
                label = label or tr("{0} feature {1}").format(layer.name(), feat.id())
                refs = features_to_references(
                    [feat], layer.crs(), QgsProject.instance().transformContext()
                )
                labelled += [(ref, label) for ref in refs]
        except Exception as exc:  # shown, not raised: a bad geometry must not break the dock
            self._say(str(exc), Qgis.MessageLevel.Warning)
            return 0
        for ref, label in labelled:
            self._add(ref, label)
        return len(labelled)

    def remove_selected_references(self) -> None:
        """Remove the references selected in the list."""
        rows = sorted((self.ref_list.row(it) for it in self.ref_list.selectedItems()), reverse=True)
        for r in rows:
            self.ref_list.takeItem(r)
            del self._refs[r]
        self._references_changed()

    def clear_references(self) -> None:
        """Remove every reference."""
        self.ref_list.clear()
        self._refs.clear()
        self._references_changed()

    def _references_changed(self) -> None:
        self._update_buttons()
        self.references_changed.emit(len(self._refs))

    def _update_buttons(self) -> None:
        has = bool(self._refs)
        self.similarity_button.setEnabled(has)
        self.places_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.clear_button.setEnabled(has)
        has_layer = self.similarity_layer is not None
        self.threshold_slider.setEnabled(has_layer)
        self.threshold_check.setEnabled(has_layer)
        self.areas_button.setEnabled(has_layer and self.similarity_result is not None)

    # ------------------------------------------------------------------ scope and runs

    def set_data_dir(self, path: str | None) -> None:
        """The data directory to read (None: the plugin setting, else $RS_EMBED_COP_DIR)."""
        self._data_dir = path

    def data_dir(self) -> str:
        """The data directory the next run reads."""
        return self._data_dir or effective_data_dir(None)[0]

    def scope_name(self) -> str:
        """The scope in words, for the names of results: "map extent", a layer's name..."""
        kind = self.scope_combo.currentData()
        if kind == SCOPE_ALL:
            return tr("whole globe")
        if kind == SCOPE_LAYER:
            layer = self.scope_layer_combo.currentLayer()
            return layer.name() if layer is not None else tr("a layer's extent")
        return tr("map extent")

    def scope_box(self, kind: str | None = None) -> LonLatBox | None:
        """The scope in EPSG:4326: the map canvas extent or a layer's extent; None for the
        whole product. Raises SpecError when the chosen layer is missing or has no extent.
        ``kind`` (SCOPE_*) overrides the scope box's choice."""
        from rs_embed_qgis.bridge.explore_outputs import extent_scope, layer_scope

        kind = kind or self.scope_combo.currentData()
        if kind == SCOPE_ALL:
            return None
        if kind == SCOPE_LAYER:
            layer = self.scope_layer_combo.currentLayer()
            if layer is None:
                raise SpecError(tr("Choose the layer whose extent is the scope."))
            return layer_scope(layer, QgsProject.instance().transformContext())
        if self.iface is None:
            return None
        canvas = self.iface.mapCanvas()
        crs = canvas.mapSettings().destinationCrs()
        if not crs.isValid():
            crs = QgsCoordinateReferenceSystem(PRODUCT_CRS)
        return extent_scope(canvas.extent(), crs, QgsProject.instance().transformContext())

    def _out_path(self, stem: str) -> str:
        """A new file name in the panel's temporary folder (unique: tasks may run together)."""
        if self._folder is None:
            from rs_embed_qgis.gui import temp_folders

            self._folder = temp_folders.make_folder(temp_folders.EXPLORE_PREFIX)
        self._n_out += 1
        return os.path.join(self._folder, f"{stem}_{self._n_out}.tif")

    def _scope_or_say(self, kind: str | None = None) -> tuple[bool, LonLatBox | None]:
        """(True, scope) or, with the reason said in the panel, (False, None)."""
        from rs_embed_qgis.bridge.explore_outputs import describe_error

        try:
            return True, self.scope_box(kind)
        except RsEmbedError as exc:
            self._say(describe_error(exc), Qgis.MessageLevel.Warning)
            return False, None

    def _start(
        self,
        description: str,
        job: Callable,
        on_ok: Callable[[Any], None],
        outputs: list[str] | None = None,
    ) -> ExploreTask:
        from rs_embed_qgis.bridge.explore_outputs import describe_error
        from rs_embed_qgis.bridge.outputs import remove_partial

        task = ExploreTask(description, job, outputs)
        self.tasks.append(task)

        def done(t: ExploreTask) -> None:
            if t in self.tasks:
                self.tasks.remove(t)
            if t.outcome == OK:
                try:
                    on_ok(t.result)
                except Exception as exc:  # shown, not raised: the dock stays usable
                    self._say(describe_error(exc), Qgis.MessageLevel.Critical)
                return
            for path in t.outputs:  # cancelled or failed: no partial output stays
                remove_partial(path)
            if t.exception is not None:
                self._say(describe_error(t.exception), Qgis.MessageLevel.Critical)
            else:
                self._say(tr("Cancelled."), Qgis.MessageLevel.Info)

        task.done.connect(done)
        self.task_started.emit(task)  # the dock's progress bar and Cancel follow it
        QgsApplication.taskManager().addTask(task)
        self._say(description + "…", Qgis.MessageLevel.Info)
        return task

    def cancel(self) -> None:
        """Cancel every running task of the panel."""
        for t in list(self.tasks):
            t.cancel()

    def compute_similarity(
        self, refs: list[Any] | None = None, scope_kind: str | None = None
    ) -> ExploreTask | None:
        """Start the similarity map of the references over the scope (a task); ``refs`` and
        ``scope_kind`` override the panel's for one map (the right-click)."""
        from rs_embed_qgis.bridge.explore_outputs import write_similarity_geotiff
        from rs_embed_qgis.core import explore
        from rs_embed_qgis.core.adapter import open_source

        refs = list(refs) if refs is not None else self.references()
        if not refs:
            self._say(tr("Add at least one reference first."), Qgis.MessageLevel.Warning)
            return None
        ok_scope, scope = self._scope_or_say(scope_kind)
        if not ok_scope:
            return None
        combine = self.combine_combo.currentData()
        metric = self.metric_combo.currentData()
        data_dir = self.data_dir()
        path = self._out_path("similarity")

        use_index = self.index_check.isChecked() and metric == "cosine"

        def job(report: Any, cancel: Any) -> tuple[str, float, float, Any]:
            src = open_source(data_dir, download=False)
            sim = explore.similarity_map(
                src.reader,
                refs,
                scope,
                combine=combine,
                metric=metric,
                index=_index(src, use_index, report, cancel),
                progress=report,
                cancel=cancel,
            )
            write_similarity_geotiff(sim, path, src.info.path, len(refs))
            import numpy as np  # in the task: the GUI thread never waits on the import

            return path, float(np.nanmin(sim.scores)), float(np.nanmax(sim.scores)), sim

        def ok(result: tuple[str, float, float, Any]) -> None:
            out, lo, hi, sim = result
            self._n_maps += 1
            shown = {"cosine": tr("cosine"), "euclidean": tr("euclidean")}.get(metric, metric)
            name = tr("Similarity {0} ({1})").format(self._n_maps, shown)
            layer = QgsRasterLayer(out, name)
            add_on_top(layer)
            self.similarity_result = sim
            self.set_similarity_layer(layer, lo, hi)
            self.similarity_layer_ready.emit(layer)
            text = tr("Similarity map ready: {0:.3f} .. {1:.3f}").format(lo, hi)
            if sim.approximate:
                text += " " + tr("(search index: each score within {0:.1g})").format(sim.max_error)
            self._say(text, Qgis.MessageLevel.Success)

        return self._start(tr("Computing the similarity map"), job, ok, [path])

    def find_places(self) -> ExploreTask | None:
        """Start "places like this" (a task); the result is a point layer."""
        from rs_embed_qgis.bridge.explore_outputs import place_feature, places_fields
        from rs_embed_qgis.core import explore
        from rs_embed_qgis.core.adapter import open_source

        if not self._refs:
            self._say(tr("Add at least one reference first."), Qgis.MessageLevel.Warning)
            return None
        ok_scope, scope = self._scope_or_say()
        if not ok_scope:
            return None
        refs = self.references()
        combine = self.combine_combo.currentData()
        metric = self.metric_combo.currentData()
        k, km = self.places_k.value(), float(self.places_km.value())
        data_dir = self.data_dir()

        use_index = self.index_check.isChecked() and metric == "cosine"
        boxes = reference_boxes(refs) if self.places_skip_refs.isChecked() else []

        def job(report: Any, cancel: Any) -> list[Any]:
            src = open_source(data_dir, download=False)
            places = explore.similar_places(
                src.reader,
                refs,
                scope,
                k=k + len(boxes),  # room for the references that are left out
                min_distance_km=km,
                combine=combine,
                metric=metric,
                index=_index(src, use_index, report, cancel),
                progress=report,
                cancel=cancel,
            )
            return without_references(places, boxes)[:k]

        def ok(places: list[Any]) -> None:
            layer = QgsVectorLayer(f"Point?crs={PRODUCT_CRS}", tr("Places like this"), "memory")
            fields = places_fields()
            layer.dataProvider().addAttributes(fields.toList())
            layer.updateFields()
            layer.dataProvider().addFeatures([place_feature(p, fields) for p in places])
            add_on_top(layer)
            self.places_layer_ready.emit(layer)
            text = (
                tr("1 place found")
                if len(places) == 1
                else tr("{n} places found").format(n=len(places))
            )
            self._say(text, Qgis.MessageLevel.Success)

        return self._start(tr("Finding places like this"), job, ok)

    def run_clustering(self) -> ExploreTask | None:
        """Start k-means over the scope (a task): a categorical raster with a named palette
        and a table of the cluster sizes and the distances between centroids."""
        from rs_embed_qgis.bridge.explore_outputs import (
            cluster_table_fields,
            cluster_table_rows,
            style_class_layer,
            table_layer,
            write_class_geotiff,
        )
        from rs_embed_qgis.core import explore
        from rs_embed_qgis.core.adapter import open_source

        ok_scope, scope = self._scope_or_say()
        if not ok_scope:
            return None
        k = self.cluster_k.value()
        data_dir = self.data_dir()
        path = self._out_path("clusters")
        where = self.scope_name()

        def job(report: Any, cancel: Any) -> tuple[str, int, list[list[Any]]]:
            src = open_source(data_dir, download=False)
            res = explore.cluster(src.reader, scope, k=k, progress=report, cancel=cancel)
            names = [tr("Cluster {0}").format(i + 1) for i in range(res.k)]
            meta = {"k": res.k, "seed": res.seed, "inertia": res.inertia}
            write_class_geotiff(res.labels, res.window, path, names, meta=meta)
            return path, res.k, cluster_table_rows(res.sizes, res.centroid_distances())

        def ok(result: tuple[str, int, list[list[Any]]]) -> None:
            out, kk, rows = result
            layer = QgsRasterLayer(out, tr("Clusters (k = {k}, {scope})").format(k=kk, scope=where))
            numbers = list(range(1, kk + 1))
            style_class_layer(layer, numbers, [tr("Cluster {0}").format(i) for i in numbers])
            add_on_top(layer)
            table = table_layer(
                tr("Cluster sizes (k = {k}, {scope})").format(k=kk, scope=where),
                cluster_table_fields(),
                rows,
            )
            add_on_top(table)
            self.cluster_layer_ready.emit(layer)
            self.cluster_table_ready.emit(table)
            self._say(
                tr("{0} clusters; their sizes and distances are in the table {1!r}").format(
                    kk, table.name()
                ),
                Qgis.MessageLevel.Success,
            )

        return self._start(tr("Clustering"), job, ok, [path])

    def run_classification(self) -> ExploreTask | None:
        """Start the classification of the scope from the training layer (a task): a class
        raster named by the class field's values, a confidence raster, and the
        cross-validated accuracy with its confusion matrix (a table layer and the log)."""
        from rs_embed_qgis.bridge.explore_outputs import (
            confusion_fields,
            confusion_lines,
            confusion_rows,
            labelled_samples,
            style_class_layer,
            style_score_layer,
            table_layer,
            write_classification,
        )
        from rs_embed_qgis.core import explore
        from rs_embed_qgis.core.adapter import open_source

        layer = self.training_combo.currentLayer()
        if not isinstance(layer, QgsVectorLayer):
            self._say(
                tr("Choose a training layer: points or polygons with a class field."),
                Qgis.MessageLevel.Warning,
            )
            return None
        field = self.class_field_combo.currentField()
        if not field or layer.fields().indexOf(field) < 0:
            self._say(
                tr("Choose the class field of the training layer."), Qgis.MessageLevel.Warning
            )
            return None
        ok_scope, scope = self._scope_or_say()
        if not ok_scope:
            return None
        # Features are read in the task from a copy of the layer's source (thread-safe).
        source = QgsVectorLayerFeatureSource(layer)
        fields, crs = layer.fields(), layer.crs()
        context = QgsProject.instance().transformContext()
        classifier = self.classifier_combo.currentData()
        folds = self.folds_spin.value()
        data_dir = self.data_dir()
        path, conf_path = self._out_path("classes"), self._out_path("confidence")

        def job(report: Any, cancel: Any) -> tuple[Any, list[int], list[str], int]:
            samples, skipped = labelled_samples(source.getFeatures(), field, fields, crs, context)
            if not samples:
                raise SpecError(
                    tr("No training feature has a class in the field {0!r}.").format(field)
                )
            src = open_source(data_dir, download=False)
            res = explore.classify(
                src.reader,
                samples,
                scope,
                classifier=classifier,
                folds=folds,
                progress=report,
                cancel=cancel,
            )
            values, names = write_classification(res, path, conf_path, src.info.path)
            return res, values, names, skipped

        def ok(result: tuple[Any, list[int], list[str], int]) -> None:
            res, values, names, skipped = result
            project = QgsProject.instance()
            classes = QgsRasterLayer(path, tr("Classes ({0})").format(field))
            style_class_layer(classes, values, names)
            confidence = QgsRasterLayer(conf_path, tr("Confidence ({0})").format(field))
            style_score_layer(confidence)
            add_on_top(confidence, project)
            add_on_top(classes, project)
            self.confidence_layer_ready.emit(confidence)
            self.class_layer_ready.emit(classes)
            text = tr("{0} classes from {1} training pixels").format(len(names), res.n_training)
            if skipped:
                text += tr("; {0} feature(s) without a class skipped").format(skipped)
            if res.cv is None:
                self._say(text + ".", Qgis.MessageLevel.Success)
                return
            for line in confusion_lines(names, res.cv):
                QgsMessageLog.logMessage(line, LOG_TAG, Qgis.MessageLevel.Info)
            table = table_layer(
                tr("Confusion matrix ({0}, accuracy {1:.1%})").format(field, res.cv.accuracy),
                confusion_fields(names),
                confusion_rows(names, res.cv.confusion),
            )
            add_on_top(table, project)
            self.confusion_layer_ready.emit(table)
            text += tr(
                "; {0}-fold cross-validated accuracy {1:.1%} (confusion matrix: table "
                "{2!r} and the log)"
            ).format(res.cv.folds, res.cv.accuracy, table.name())
            if res.cv.folds != folds:
                text += tr(
                    ". {asked} folds were asked; {got} were used because the smallest class "
                    "has only {got} training pixels (each fold needs one of every class)"
                ).format(asked=folds, got=res.cv.folds)
            self._say(text, Qgis.MessageLevel.Success)

        return self._start(tr("Classifying"), job, ok, [path, conf_path])

    def areas_above_threshold(self) -> ExploreTask | None:
        """Polygons of the last similarity map at or above the threshold, with km² (a task)."""
        from rs_embed_qgis.bridge.explore_outputs import (
            area_feature,
            area_fields,
            style_area_layer,
        )
        from rs_embed_qgis.core import explore

        sim = self.similarity_result
        if sim is None:
            self._say(tr("Compute a similarity map first."), Qgis.MessageLevel.Warning)
            return None
        t = self.threshold()
        if t is None:
            lo, hi = self._range
            t = lo + (hi - lo) * self.threshold_slider.value() / SLIDER_STEPS

        def job(report: Any, cancel: Any) -> list[Any]:
            return explore.threshold_areas(sim, t)

        def ok(areas: list[Any]) -> None:
            name = tr("Similarity ≥ {0:.3f}").format(t)
            layer = QgsVectorLayer(f"Polygon?crs={PRODUCT_CRS}", name, "memory")
            fields = area_fields()
            layer.dataProvider().addAttributes(fields.toList())
            layer.updateFields()
            feats = [area_feature(i, a, fields) for i, a in enumerate(areas, start=1)]
            layer.dataProvider().addFeatures(feats)
            style_area_layer(layer)
            add_on_top(layer)
            self.areas_layer_ready.emit(layer)
            total = sum(a.area_km2 for a in areas)
            text = (
                tr("1 area, {km:,.0f} km²").format(km=total)
                if len(areas) == 1
                else tr("{n} areas, {km:,.0f} km² in all").format(n=len(areas), km=total)
            )
            self._say(text, Qgis.MessageLevel.Success)

        return self._start(tr("Areas above the threshold"), job, ok)

    # ------------------------------------------------------------------ threshold

    def set_similarity_layer(
        self,
        layer: QgsRasterLayer | None,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> None:
        """The layer the slider acts on, and its score range (read from it when not given)."""
        self.similarity_layer = layer
        self._similarity_id = layer.id() if layer is not None else None
        if layer is not None:
            if minimum is None or maximum is None:
                from rs_embed_qgis.bridge.explore_outputs import score_range

                minimum, maximum = score_range(layer)
            self._range = (float(minimum), float(maximum))
            self._apply()
        self._update_buttons()

    def _layers_removed(self, layer_ids: list[str]) -> None:
        """The similarity layer left the project: the slider lets go of it."""
        if self._similarity_id is None or self._similarity_id not in layer_ids:
            return
        self.similarity_layer = None
        self.similarity_result = None
        self._similarity_id = None
        self._update_buttons()
        self._say(
            tr("The similarity layer was removed: compute a new one to use the threshold."),
            Qgis.MessageLevel.Info,
        )

    def threshold(self) -> float | None:
        """The threshold in score units, or None when pixels below are shown."""
        if not self.threshold_check.isChecked():
            return None
        lo, hi = self._range
        return lo + (hi - lo) * self.threshold_slider.value() / SLIDER_STEPS

    def set_threshold(self, value: float | None) -> None:
        """Hide pixels scoring below ``value`` (None shows every pixel)."""
        if value is None:
            self.threshold_check.setChecked(False)
            return
        lo, hi = self._range
        f = 0.0 if hi <= lo else (float(value) - lo) / (hi - lo)
        self.threshold_slider.blockSignals(True)
        self.threshold_slider.setValue(round(max(0.0, min(1.0, f)) * SLIDER_STEPS))
        self.threshold_slider.blockSignals(False)
        if self.threshold_check.isChecked():
            self._slider_moved()
        else:
            self.threshold_check.setChecked(True)

    def _slider_moved(self, *_: Any) -> None:
        self._apply()
        t = self.threshold()
        if t is not None:
            self.threshold_changed.emit(t)

    def _apply(self) -> None:
        from rs_embed_qgis.bridge.explore_outputs import score_renderer

        t = self.threshold()
        lo, hi = self._range
        shown = lo + (hi - lo) * self.threshold_slider.value() / SLIDER_STEPS
        self.threshold_label.setText(f"{shown:.3f}")
        layer = self.similarity_layer
        if layer is None:
            return
        layer.setRenderer(score_renderer(layer, lo, hi, t))
        layer.triggerRepaint()

    # ------------------------------------------------------------------ messages

    def _say(self, text: str, level: Any) -> None:
        self.status.setText(text)
        self.message.emit(text, level)


def reference_boxes(refs: list[Any]) -> list[tuple[float, float, float, float]]:
    """Lon/lat boxes of the references: a point's product pixel, a box, a polygon's bounds."""
    from rs_embed_qgis.core.specs import BBox, Polygon

    half = 0.125  # half a product pixel (0.25°)
    out = []
    for ref in refs:
        if isinstance(ref, tuple) and len(ref) == 2:
            lon, lat = float(ref[0]), float(ref[1])
            # The pixel holding the point: its centre is on the 0.25° grid offset by half.
            clon = (lon // 0.25) * 0.25 + half
            clat = (lat // 0.25) * 0.25 + half
            out.append((clon - half, clat - half, clon + half, clat + half))
        elif isinstance(ref, BBox):
            out.append(tuple(float(v) for v in ref.as_tuple()))
        elif isinstance(ref, Polygon) and getattr(ref, "wkt", ""):
            from qgis.core import QgsGeometry

            r = QgsGeometry.fromWkt(ref.wkt).boundingBox()
            out.append((r.xMinimum(), r.yMinimum(), r.xMaximum(), r.yMaximum()))
    return out


def without_references(places: list[Any], boxes: list[tuple]) -> list[Any]:
    """The places whose centre is in no reference box, ranked again from 1."""
    import dataclasses

    kept = [
        p
        for p in places
        if not any(x0 <= p.lon <= x1 and y0 <= p.lat <= y1 for x0, y0, x1, y1 in boxes)
    ]
    return [dataclasses.replace(p, rank=i) for i, p in enumerate(kept, start=1)]
