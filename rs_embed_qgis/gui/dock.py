# SPDX-License-Identifier: GPL-2.0-or-later
"""The dock: built in code from standard QGIS widgets; it holds no logic, only choices and status.

The controller reads the choices (capture mode, buffer, output, expand_deg) and connects
the dock's signals to the work; the dock shows status, progress, the data directory
(applied on Enter, focus-out or browse, checked in a task by the controller), the
product download and the fast cache. A second tab, "Explore", holds the reference map
tool's button and the ExplorePanel the controller puts there. The status line, the
progress bar and Cancel sit below the tabs, outside their scroll areas, at a fixed
height. Everything fits a 350 px wide dock: a scroll area per tab, word-wrapped labels
with breakable paths, status lines elided to their height (the whole text in the tooltip).
"""

from __future__ import annotations

import os
from typing import Any

from qgis.core import Qgis
from qgis.gui import QgsDockWidget, QgsDoubleSpinBox
from qgis.PyQt.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QSize,
    Qt,
    QTimer,
    pyqtSignal,
)
from qgis.PyQt.QtGui import QTextLayout, QTextOption
from qgis.PyQt.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rs_embed_qgis.core import constants
from rs_embed_qgis.core.constants import (
    DEFAULT_EXPAND_DEG,
    ENV_DATA_DIR,
    POOLINGS,
    PRODUCT_FILENAME,
    SUPPORTED_YEARS,
)
from rs_embed_qgis.core.specs import OutputSpec
from rs_embed_qgis.i18n import tr

MODE_RECTANGLE = "rectangle"
MODE_POINT = "point"
OUTPUT_POOLED = "pooled"
OUTPUT_GRID = "grid"
# How a batch stores each vector (the same values as gui.layers.STORE_*).
STORE_FIELDS = "fields"
STORE_JSON = "json"
# The dock and Processing share the default buffer (core/constants.py).
DEFAULT_BUFFER_M = float(getattr(constants, "DEFAULT_BUFFER_M", 5000.0))
_UNITS = (("km", 1000.0), ("m", 1.0))
# Largest point buffer: a square of 4,000 km a side is most of a continent already; a
# larger area is drawn as a rectangle (or explored on the Explore tab).
MAX_BUFFER_M = 2_000_000.0
# Words longer than this (URLs, paths) are shortened in the middle on the status line, so
# that the cause after them stays in view; the tooltip and the log keep them whole.
_LONG_WORD = 40
_LEVEL_STYLE = {
    Qgis.MessageLevel.Info: "",
    Qgis.MessageLevel.Success: "color: #1a7f37;",
    Qgis.MessageLevel.Warning: "color: #9a6700;",
    Qgis.MessageLevel.Critical: "color: #cf222e;",
}


def _unit_labels() -> dict[str, str]:
    """The buffer units as shown (literals, so they are translatable)."""
    return {"km": tr("km"), "m": tr("m")}


def _pooling_labels() -> dict[str, str]:
    """The poolings as shown (literals, so they are translatable)."""
    return {"mean": tr("mean"), "max": tr("max")}


def breakable(path: str) -> str:
    """A path a word-wrapped label may break after each separator (zero-width spaces)."""
    out = path.replace("/", "/\u200b").replace("\\", "\\\u200b")
    return out.replace("_", "_\u200b").replace("-", "-\u200b")


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KB'."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n:.1f} TB"


# --------------------------------------------------------------------------- the dock


class EmbedDock(QgsDockWidget):
    """Copernicus-Embed dock: data, what to capture, what to produce, cache, status."""

    capture_toggled = pyqtSignal(bool)
    capture_mode_changed = pyqtSignal(str)
    buffer_changed = pyqtSignal(float)
    expand_changed = pyqtSignal(float)
    embed_selected_requested = pyqtSignal()
    prepare_cache_requested = pyqtSignal()
    remove_cache_requested = pyqtSignal()
    download_requested = pyqtSignal(str)
    cancel_requested = pyqtSignal()
    open_table_requested = pyqtSignal()
    data_dir_entered = pyqtSignal(str)
    reference_toggled = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("Copernicus-Embed"), parent)
        self.setObjectName("RsEmbedDock")
        self._applied_dir = ""
        self._refused = ""  # the typed folder the last check refused, while it is shown
        self.download_folder = ""
        body = QWidget()
        self.body_layout = lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)

        head = QLabel(
            tr("<b>Copernicus-Embed</b> precomputed embeddings: 768 dimensions, 0.25° pixels")
        )
        head.setWordWrap(True)
        lay.addWidget(head)
        self.year_label = QLabel(
            tr("Year: <b>{year}</b> (the only year of the product)").format(year=SUPPORTED_YEARS[0])
        )
        self.year_label.setWordWrap(True)
        lay.addWidget(self.year_label)

        self.data_box = self._build_data()
        self.area_box = self._build_area()
        lay.addWidget(self.data_box)
        lay.addWidget(self.area_box)
        lay.addWidget(self._build_output())
        lay.addWidget(self._build_batch())
        lay.addStretch(1)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scroll.setWidget(body)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("RsEmbedTabs")
        self.tabs.addTab(self.scroll, tr("Embed"))
        self.explore_scroll = self._build_explore()
        self.tabs.addTab(self.explore_scroll, tr("Explore"))
        main = QWidget()
        main_lay = QVBoxLayout(main)
        main_lay.setContentsMargins(0, 0, 0, 0)
        main_lay.setSpacing(0)
        main_lay.addWidget(self.tabs, 1)
        main_lay.addWidget(self._build_status())
        self.setWidget(main)
        self._wheel_guard = WheelGuard(self)
        self._wheel_guard.guard(self.tabs)
        self.set_busy(False)
        self.set_progress(None)
        self.show_data_pending(self.data_edit.text(), "")

    # ------------------------------------------------------------------ building

    def _build_explore(self) -> QScrollArea:
        body = QWidget()
        body.setObjectName("RsEmbedExploreBody")
        self.explore_layout = lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)
        self.reference_button = QPushButton(tr("Add references on the map"))
        self.reference_button.setObjectName("RsEmbedReferenceButton")
        self.reference_button.setCheckable(True)
        self.reference_button.setToolTip(
            tr("Click a pixel or drag a rectangle: each becomes a reference, marked on the map.")
        )
        self.reference_button.toggled.connect(self.reference_toggled)
        lay.addWidget(self.reference_button)
        hint = _wrapping_label()
        hint.setText(
            tr(
                "Right-click the map while a Copernicus-Embed tool is active: a similarity map "
                "of the map extent to the pixel clicked."
            )
        )
        lay.addWidget(hint)
        self.explore_panel: QWidget | None = None
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.setWidget(body)
        return scroll

    def set_explore_panel(self, panel: QWidget) -> None:
        """Put the Explore panel (built by the controller, which owns iface) in its tab."""
        self.explore_panel = panel
        self.explore_layout.addWidget(panel)
        self._wheel_guard.guard(panel)

    def show_explore(self) -> None:
        """Bring the Explore tab to the front."""
        self.tabs.setCurrentWidget(self.explore_scroll)

    def set_reference_checked(self, checked: bool) -> None:
        """Reflect whether the reference tool is active, without re-emitting."""
        self.reference_button.blockSignals(True)
        self.reference_button.setChecked(checked)
        self.reference_button.blockSignals(False)

    def _build_area(self) -> QGroupBox:
        box = QGroupBox(tr("Area"))
        form = QFormLayout(box)
        self.rect_radio = QRadioButton(tr("Rectangle"))
        self.rect_radio.setToolTip(tr("Drag a rectangle on the map."))
        self.point_radio = QRadioButton(tr("Point + buffer"))
        self.point_radio.setToolTip(tr("Click a point: the square of +-buffer around it."))
        self.rect_radio.setChecked(True)
        self.mode_group = QButtonGroup(box)
        self.mode_group.addButton(self.rect_radio)
        self.mode_group.addButton(self.point_radio)
        form.addRow(self.rect_radio)
        form.addRow(self.point_radio)

        self.buffer_spin = QgsDoubleSpinBox()
        self.buffer_spin.setDecimals(2)
        self.buffer_spin.setRange(0.01, MAX_BUFFER_M / 1000.0)
        self.buffer_spin.setShowClearButton(False)
        self.unit_combo = QComboBox()
        for unit, factor in _UNITS:
            self.unit_combo.addItem(_unit_labels()[unit], factor)
        self.buffer_spin.setValue(DEFAULT_BUFFER_M / 1000.0)
        self.buffer_spin.setMinimumWidth(60)
        self.buffer_spin.setToolTip(
            tr(
                "Half the side of the square area around the point: at most 2,000 km (a "
                "larger square is most of a continent; drag a rectangle instead)."
            )
        )
        row = QHBoxLayout()
        row.addWidget(self.buffer_spin, 1)
        row.addWidget(self.unit_combo)
        form.addRow(tr("Buffer"), row)

        self.expand_spin = QgsDoubleSpinBox()
        self.expand_spin.setDecimals(2)
        self.expand_spin.setRange(0.0, 10.0)
        self.expand_spin.setSingleStep(0.25)
        self.expand_spin.setSuffix(" °")
        self.expand_spin.setClearValue(DEFAULT_EXPAND_DEG)
        self.expand_spin.setValue(DEFAULT_EXPAND_DEG)
        self.expand_spin.setToolTip(
            tr(
                "expand_deg: a side of the area shorter than this many degrees is grown to it "
                "around its centre (0 reads exactly the pixels under the area)."
            )
        )
        form.addRow(tr("Expand to"), self.expand_spin)

        self.capture_button = QPushButton(tr("Capture on map"))
        self.capture_button.setCheckable(True)
        self.capture_button.setToolTip(
            tr(
                "Draw one area of the chosen type on the map; the map tool you had comes back "
                "once it is taken. Press again to draw the next one."
            )
        )
        form.addRow(self.capture_button)

        self.capture_button.toggled.connect(self.capture_toggled)
        self.rect_radio.toggled.connect(self._mode_changed)
        self.buffer_spin.valueChanged.connect(self._buffer_changed)
        self.expand_spin.valueChanged.connect(lambda v: self.expand_changed.emit(float(v)))
        self.unit_combo.currentIndexChanged.connect(self._buffer_changed)
        self._mode_changed()
        return box

    def _build_output(self) -> QGroupBox:
        box = QGroupBox(tr("Result"))
        form = QFormLayout(box)
        self.pooled_radio = QRadioButton(tr("Pooled vector"))
        self.grid_radio = QRadioButton(tr("Grid (raster)"))
        self.pooled_radio.setToolTip(tr("One vector per area, into the samples table."))
        self.grid_radio.setToolTip(tr("A raster layer: 768 bands and PCA colours."))
        self.pooled_radio.setChecked(True)
        group = QButtonGroup(box)
        group.addButton(self.pooled_radio)
        group.addButton(self.grid_radio)
        self._output_group = group
        form.addRow(self.pooled_radio)
        self.pooling_combo = QComboBox()
        for name in POOLINGS:
            self.pooling_combo.addItem(_pooling_labels().get(name, name), name)
        form.addRow(tr("Pooling"), self.pooling_combo)
        form.addRow(self.grid_radio)
        self.pooled_radio.toggled.connect(self.pooling_combo.setEnabled)
        self.table_button = QPushButton(tr("Samples table"))
        self.table_button.clicked.connect(self.open_table_requested)
        form.addRow(self.table_button)
        return box

    def _build_batch(self) -> QGroupBox:
        box = QGroupBox(tr("Selected features"))
        lay = QVBoxLayout(box)
        self.selection_label = QLabel(tr("No vector layer is active."))
        self.selection_label.setWordWrap(True)
        lay.addWidget(self.selection_label)
        self.batch_button = QPushButton(tr("Embed selected features"))
        self.batch_button.setObjectName("RsEmbedBatchButton")
        self.batch_button.setToolTip(
            tr(
                "Area-weighted mean over each selected polygon (points: the buffer above), "
                "written to emb_000..emb_767 of the layer as one undoable edit."
            )
        )
        self.batch_button.setEnabled(False)
        self.batch_button.clicked.connect(self.embed_selected_requested)
        row = QHBoxLayout()
        store_label = QLabel(tr("Store as"))
        row.addWidget(store_label)
        self.store_combo = QComboBox()
        self.store_combo.setObjectName("RsEmbedStoreAs")
        self.store_combo.addItem(tr("768 fields"), STORE_FIELDS)
        self.store_combo.addItem(tr("one JSON field"), STORE_JSON)
        self.store_combo.setToolTip(
            tr(
                "768 fields: emb_000..emb_767, one number each (hidden in the attribute table). "
                "One JSON field: emb_json holds the whole vector as JSON array text, for "
                "Python or ML tools; fast to write, save and undo."
            )
        )
        self.store_combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.store_combo.setMinimumWidth(60)
        store_label.setBuddy(self.store_combo)
        row.addWidget(self.store_combo, 1)
        lay.addLayout(row)
        lay.addWidget(self.batch_button)
        return box

    def _build_data(self) -> QGroupBox:
        box = QGroupBox(tr("Data and fast cache"))
        box.setObjectName("RsEmbedDataGroup")
        lay = QVBoxLayout(box)
        title = _wrapping_label()
        title.setText(tr("Data directory (folder holding {file})").format(file=PRODUCT_FILENAME))
        lay.addWidget(title)
        row = QHBoxLayout()
        self.data_edit = QLineEdit()
        self.data_edit.setObjectName("RsEmbedDataDir")
        self.data_edit.setPlaceholderText(tr("Type a folder and press Enter, or browse"))
        self.data_edit.setToolTip(tr("Applied when you press Enter or leave the field."))
        self.data_edit.setMinimumWidth(80)
        row.addWidget(self.data_edit, 1)
        self.browse_button = QToolButton()
        self.browse_button.setText("…")
        self.browse_button.setToolTip(tr("Choose the folder"))
        row.addWidget(self.browse_button)
        lay.addLayout(row)
        # About the typed folder (being checked, or refused); the lines below keep
        # showing the folder in use until a typed one is accepted.
        self.data_check_label = _wrapping_label()
        self.data_check_label.setObjectName("RsEmbedDataCheck")
        self.data_check_label.setVisible(False)
        lay.addWidget(self.data_check_label)
        self.data_source_label = _wrapping_label()
        lay.addWidget(self.data_source_label)
        self.download_button = WrappingButton()
        self.download_button.setObjectName("RsEmbedDownload")
        self.download_button.setVisible(False)
        lay.addWidget(self.download_button)
        self.cache_label = _wrapping_label()
        lay.addWidget(self.cache_label)
        row = QHBoxLayout()
        self.cache_button = QPushButton(tr("Prepare fast cache"))
        self.cache_button.setToolTip(
            tr("Decompress the product once on local disk: every read afterwards is fast.")
        )
        self.remove_cache_button = QPushButton(tr("Remove cache"))
        self.remove_cache_button.setToolTip(tr("Delete the fast cache (reads become slower)."))
        row.addWidget(self.cache_button)
        row.addWidget(self.remove_cache_button)
        lay.addLayout(row)
        self.cache_button.setVisible(False)
        self.remove_cache_button.setVisible(False)

        self.data_edit.editingFinished.connect(self._data_dir_edited)
        self.data_edit.textChanged.connect(self._data_text_changed)
        self.browse_button.clicked.connect(self.browse_data_dir)
        self.download_button.clicked.connect(
            lambda: self.download_requested.emit(self.download_folder)
        )
        self.cache_button.clicked.connect(self.prepare_cache_requested)
        self.remove_cache_button.clicked.connect(self.remove_cache_requested)
        return box

    def _build_status(self) -> QWidget:
        """The bottom of the dock: status (2 lines), task phase (1 line), progress, Cancel."""
        box = QWidget()
        box.setObjectName("RsEmbedStatus")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.setSpacing(2)
        self.status_label = ElidedLabel(2)
        self.status_label.setObjectName("RsEmbedStatusLine")
        self.status_label.setText(tr("Ready."))
        lay.addWidget(self.status_label)
        self.phase_label = ElidedLabel(1)
        lay.addWidget(self.phase_label)
        row = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMinimumWidth(60)
        row.addWidget(self.progress_bar, 1)
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        return box

    # ------------------------------------------------------------------ slots

    def _mode_changed(self) -> None:
        point = self.point_radio.isChecked()
        self.buffer_spin.setEnabled(point)
        self.unit_combo.setEnabled(point)
        self.capture_mode_changed.emit(self.capture_mode())

    def _buffer_changed(self) -> None:
        factor = float(self.unit_combo.currentData() or 1.0)
        if self.buffer_spin.maximum() != MAX_BUFFER_M / factor:
            self.buffer_spin.setMaximum(MAX_BUFFER_M / factor)  # 2,000 km or 2,000,000 m
        self.buffer_changed.emit(self.buffer_m())

    def _data_dir_edited(self) -> None:
        """Enter or focus-out: apply the typed folder once (not on every keystroke)."""
        path = self.data_edit.text().strip()
        if not path or path == self._applied_dir:
            return
        self._applied_dir = path
        self.data_dir_entered.emit(path)

    def _data_text_changed(self, text: str) -> None:
        """The refused value was edited: its mark and message go."""
        if self._refused and text.strip() != self._refused:
            self._mark_refused("")
            self.data_check_label.setVisible(False)
            self._applied_dir = ""  # Enter or focus-out checks whatever it becomes

    def _mark_refused(self, reason: str) -> None:
        """Mark the typed folder as refused (red, the reason in the tooltip), or clear it."""
        refused = bool(reason)
        self._refused = self.data_edit.text().strip() if refused else ""
        self.data_edit.setProperty("refused", refused)
        self.data_edit.setStyleSheet("QLineEdit { color: #cf222e; }" if refused else "")
        self.data_edit.setToolTip(
            tr("Not used: {reason}").format(reason=reason)
            if refused
            else tr("Applied when you press Enter or leave the field.")
        )

    def browse_data_dir(self) -> None:
        """Choose the folder in a (Qt) folder dialog; applied at once."""
        dialog = QFileDialog(self, tr("Folder holding {file}").format(file=PRODUCT_FILENAME))
        dialog.setObjectName("RsEmbedBrowseDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        start = self.data_edit.text().strip()
        if start and os.path.isdir(start):
            dialog.setDirectory(start)
        accepted = dialog.exec()
        chosen = dialog.selectedFiles()
        dialog.deleteLater()
        if accepted and chosen:
            self.data_edit.setText(chosen[0])
            self._applied_dir = ""
            self._data_dir_edited()

    # ------------------------------------------------------------------ choices

    def capture_mode(self) -> str:
        """``rectangle`` or ``point``."""
        return MODE_POINT if self.point_radio.isChecked() else MODE_RECTANGLE

    def set_capture_mode(self, mode: str) -> None:
        """Choose the rectangle or point capture."""
        (self.point_radio if mode == MODE_POINT else self.rect_radio).setChecked(True)

    def buffer_m(self) -> float:
        """The point buffer in metres."""
        return float(self.buffer_spin.value()) * float(self.unit_combo.currentData())

    def set_buffer_m(self, metres: float) -> None:
        """Show a buffer (in km when it is a whole number of km)."""
        km = metres >= 1000.0
        self.unit_combo.setCurrentIndex(0 if km else 1)
        self.buffer_spin.setValue(min(metres, MAX_BUFFER_M) / 1000.0 if km else metres)

    def output_mode(self) -> str:
        """``pooled`` or ``grid``."""
        return OUTPUT_GRID if self.grid_radio.isChecked() else OUTPUT_POOLED

    def set_output_mode(self, mode: str) -> None:
        """Choose pooled or grid output."""
        (self.grid_radio if mode == OUTPUT_GRID else self.pooled_radio).setChecked(True)

    def store(self) -> str:
        """How a batch stores each vector: ``fields`` (768 fields) or ``json`` (one field)."""
        return str(self.store_combo.currentData())

    def set_store(self, store: str) -> None:
        """Choose 768 fields or one JSON field."""
        self.store_combo.setCurrentIndex(max(0, self.store_combo.findData(store)))

    def pooling(self) -> str:
        """``mean`` or ``max``."""
        return str(self.pooling_combo.currentData())

    def output_spec(self) -> OutputSpec:
        """The core's OutputSpec for the chosen output."""
        if self.output_mode() == OUTPUT_GRID:
            return OutputSpec.grid()
        return OutputSpec.pooled(self.pooling())

    def expand_deg(self) -> float:
        """The expand_deg value."""
        return float(self.expand_spin.value())

    def data_dir(self) -> str:
        """The data directory in use (saved setting > $RS_EMBED_COP_DIR > default)."""
        from rs_embed_qgis import settings

        return settings.effective_data_dir()[0]

    # ------------------------------------------------------------------ display

    def set_capture_checked(self, checked: bool) -> None:
        """Reflect whether the map tool is active, without re-emitting."""
        self.capture_button.blockSignals(True)
        self.capture_button.setChecked(checked)
        self.capture_button.blockSignals(False)

    def set_status(self, text: str, level: Any = Qgis.MessageLevel.Info) -> None:
        """Show a one-line status (coloured by level)."""
        self.status_label.setStyleSheet(_LEVEL_STYLE.get(level, ""))
        self.status_label.setText(text)

    def set_progress(self, value: float | None) -> None:
        """Show progress 0..100, or hide the bar (None)."""
        if value is None:
            self.phase_label.setText("")
            self.progress_bar.setValue(0)
            self.progress_bar.setEnabled(False)
            self.progress_bar.setTextVisible(False)
            return
        self.progress_bar.setEnabled(True)
        self.progress_bar.setTextVisible(True)
        # Progress only moves forward while work runs (a new task starts at 0).
        value = max(float(value), float(self.progress_bar.value())) if value else 0.0
        self.progress_bar.setValue(int(round(value)))

    def set_busy(self, busy: bool) -> None:
        """Enable Cancel while work is running."""
        self.cancel_button.setEnabled(busy)

    def set_selection_info(self, layer_name: str | None, n_selected: int, usable: bool) -> None:
        """Say which layer 'Embed selected features' would use."""
        if layer_name is None:
            self.selection_label.setText(tr("No vector layer is active."))
        elif not usable:
            self.selection_label.setText(
                tr("{name}: only polygon and point layers can be embedded.").format(name=layer_name)
            )
        else:
            self.selection_label.setText(
                tr("{name}: {n} selected feature(s).").format(name=layer_name, n=n_selected)
            )
        self.batch_button.setEnabled(bool(layer_name) and usable and n_selected > 0)

    def place_data_first(self, first: bool = True) -> None:
        """Keep the data section above the area section.

        It used to move below *Area* once a folder was valid: the dock jumped under the
        user's pointer. The order now stays; ``first`` is kept for older callers.
        """
        del first
        lay = self.body_layout
        if lay.indexOf(self.data_box) < lay.indexOf(self.area_box):
            return
        lay.removeWidget(self.data_box)
        lay.insertWidget(lay.indexOf(self.area_box), self.data_box)

    def data_section_first(self) -> bool:
        """Whether the data section is above the area section."""
        return self.body_layout.indexOf(self.data_box) < self.body_layout.indexOf(self.area_box)

    def show_data_pending(self, folder: str, origin: str) -> None:
        """A folder is being checked (in a task): say so, offer nothing yet.

        A typed folder (origin ``entered``) is announced under the field; the folder in use
        stays shown until the typed one is accepted.
        """
        if origin == "entered":
            self._mark_refused("")
            self.data_check_label.setStyleSheet("")
            self.data_check_label.setText(tr("Checking {path}...").format(path=breakable(folder)))
            self.data_check_label.setToolTip(folder)
            self.data_check_label.setVisible(True)
            return
        if folder:
            self.data_source_label.setText(
                tr("Checking {path}{origin}...").format(
                    path=breakable(folder), origin=_origin_text(origin)
                )
            )
        else:
            self.data_source_label.setText(tr("No data directory chosen yet."))
        self.data_source_label.setToolTip(folder)
        self.download_button.setVisible(False)
        self.cache_label.setText("")
        self.cache_button.setVisible(False)
        self.remove_cache_button.setVisible(False)

    def show_data_refused(self, text: str) -> None:
        """The typed folder was refused: say why once, under the field, and mark the field."""
        self.data_check_label.setStyleSheet(_LEVEL_STYLE[Qgis.MessageLevel.Critical])
        self.data_check_label.setText(text)
        self.data_check_label.setToolTip(text.replace("\u200b", ""))
        self.data_check_label.setVisible(True)
        self._mark_refused(text.replace("\u200b", ""))
        QTimer.singleShot(0, self._reveal_data_check)  # once the layout has placed it

    def _reveal_data_check(self) -> None:
        """Scroll the Embed tab so the line about the typed folder is in view."""
        if self.data_check_label.isVisibleTo(self):
            self.scroll.ensureWidgetVisible(self.data_check_label)

    def show_data_report(self, rep: Any, saved: bool) -> None:
        """Show what the check of a folder found (a tasks.DataDirReport).

        ``saved`` False: a typed folder was refused; the folder in use stays shown, the
        refusal goes under the field (with the download offer when the folder could take it).
        """
        if not saved:
            self.show_data_refused(_problem_text(rep) + " " + tr("The setting was not changed."))
            self._offer_download(rep)
            return
        if rep.origin == "entered":
            self.data_check_label.setVisible(False)
        self.data_source_label.setToolTip(rep.folder)
        self.download_button.setVisible(False)
        self.cache_button.setVisible(False)
        self.remove_cache_button.setVisible(False)
        self.cache_label.setText("")
        if rep.usable:
            self.data_source_label.setText(
                tr("Using <b>{file}</b>{origin}.").format(
                    file=breakable(rep.file), origin=_origin_text(rep.origin)
                )
            )
            self._show_cache(rep.cache or {})
            self.place_data_first(False)
            return
        self.place_data_first(True)
        self.data_source_label.setText(_problem_text(rep))
        self._offer_download(rep)

    def _offer_download(self, rep: Any) -> None:
        """Offer the download into the folder of an unusable report, when it could take it."""
        if not rep.file and rep.writable and rep.exists:
            # Only into a folder that exists: a mistyped path is refused, not downloaded to.
            self.download_folder = rep.folder
            size = getattr(constants, "PRODUCT_SIZE", None)
            label = (
                tr("Download Copernicus-Embed ({size}) into {folder}").format(
                    size=human_bytes(size), folder=breakable(rep.folder)
                )
                if size
                else tr("Download Copernicus-Embed into {folder}").format(
                    folder=breakable(rep.folder)
                )
            )
            self.download_button.setText(label)
            self.download_button.setToolTip(rep.folder)
            self.download_button.setVisible(True)

    def _show_cache(self, st: dict) -> None:
        if st.get("error"):
            self.cache_label.setText(
                tr("The fast cache cannot be used: {err}").format(err=st["error"])
            )
            return
        if st.get("ready"):
            text = tr("Fast cache ready: {folder} ({size} on disk).").format(
                folder=breakable(st["folder"]), size=human_bytes(st["bytes"])
            )
            if st.get("index_bytes"):
                text += " " + tr("Search index: {size}.").format(
                    size=human_bytes(st["index_bytes"])
                )
            self.cache_label.setText(text)
            self.remove_cache_button.setVisible(True)
            return
        self.cache_label.setText(
            tr(
                "Fast cache not prepared. It needs {size} in {folder} ({free} free) and makes "
                "every read fast; without it reads decompress whole tiles."
            ).format(
                size=human_bytes(st.get("bytes", 0)),
                folder=breakable(st.get("folder", "")),
                free=human_bytes(st.get("free_bytes", 0)),
            )
        )
        self.cache_button.setVisible(True)


def _problem_text(rep: Any) -> str:
    """Why a checked folder (a tasks.DataDirReport) cannot be used."""
    if rep.problem and rep.file:
        return tr("{file} cannot be used: {err}").format(file=breakable(rep.file), err=rep.problem)
    if rep.problem:
        return tr("{folder} cannot be read: {err}").format(
            folder=breakable(rep.folder), err=rep.problem
        )
    if not rep.exists:
        return tr("The folder {folder} does not exist.").format(folder=breakable(rep.folder))
    return tr("No {file} found; looked in {places}.").format(
        file=PRODUCT_FILENAME, places=tr(" and ").join(breakable(p) for p in rep.looked)
    )


def _origin_text(origin: str) -> str:
    return {
        "setting": tr(" (saved setting)"),
        "entered": "",
        ENV_DATA_DIR: tr(" (from the environment variable {env})").format(env=ENV_DATA_DIR),
        "default": tr(" (the default folder, relative to the working directory)"),
    }.get(origin, "")


def _wrapping_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    label.setMinimumWidth(50)
    return label


class ElidedLabel(QLabel):
    """A label of a fixed number of lines: long text wraps, then is elided; the tooltip has it all.

    Its height never changes with the message, so the layout around it does not jump.
    ``text()`` is the whole text; ``displayed_text()`` what fits.
    """

    def __init__(self, lines: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines = max(1, lines)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)  # the lines are broken here, to elide the last one
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(50)
        self._fit_height()

    def _fit_height(self) -> None:
        m = self.contentsMargins()
        # +2: underscores of the last line sit below its descent in some fonts.
        self.setFixedHeight(
            self._lines * self.fontMetrics().lineSpacing() + m.top() + m.bottom() + 2
        )

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        """Show as much of ``text`` as fits; the whole of it is the tooltip."""
        self._full = text or ""
        self.setToolTip(self._full.replace("\u200b", ""))
        self._relayout()

    def text(self) -> str:
        """The whole text (not only what fits)."""
        return self._full

    def displayed_text(self) -> str:
        """The lines shown, the last one elided when the text is longer."""
        return super().text()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.minimumWidth(), self.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.minimumWidth(), self.height())

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._relayout()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_height()
            self._relayout()

    def _relayout(self) -> None:
        width = max(1, self.contentsRect().width())
        text = " ".join(_shorten_long_words(line) for line in self._full.splitlines())
        layout = QTextLayout(text, self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        spans: list[tuple[int, int]] = []
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            spans.append((line.textStart(), line.textLength()))
        layout.endLayout()
        if len(spans) <= self._lines:
            shown = [text[a : a + n].rstrip() for a, n in spans]
        else:
            shown = [text[a : a + n].rstrip() for a, n in spans[: self._lines - 1]]
            rest = text[spans[self._lines - 1][0] :]
            shown.append(self.fontMetrics().elidedText(rest, Qt.TextElideMode.ElideRight, width))
        super().setText("\n".join(shown))


def _shorten_long_words(text: str) -> str:
    """Long words (URLs, paths) shortened in the middle: what follows them stays in view."""
    words = []
    for word in text.split(" "):
        if len(word) > _LONG_WORD:
            keep = _LONG_WORD // 2 - 1
            word = word[:keep] + "…" + word[-keep:]
        words.append(word)
    return " ".join(words)


class WheelGuard(QObject):
    """Lets the mouse wheel scroll the dock instead of changing the box under the pointer.

    Combo and spin boxes and sliders of a scroll area take wheel events without focus, so
    scrolling the dock silently changed settings (the similarity threshold too); they now
    react to the wheel only once clicked.
    """

    def guard(self, root: QWidget) -> None:
        """Guard every combo box, spin box and slider (not scroll bars) under ``root``."""
        sliders = [w for w in root.findChildren(QAbstractSlider) if not isinstance(w, QScrollBar)]
        for w in root.findChildren(QComboBox) + root.findChildren(QAbstractSpinBox) + sliders:
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            w.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            area = obj.parentWidget()
            while area is not None and not isinstance(area, QAbstractScrollArea):
                area = area.parentWidget()
            if area is not None:
                QCoreApplication.sendEvent(area.verticalScrollBar(), event)
            return True  # the box under the pointer keeps its value
        return False


class WrappingButton(QPushButton):
    """A push button whose long text (a path) wraps instead of widening the dock."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self._label)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(50)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        """Show ``text`` wrapped in the button."""
        self._label.setText(text)
        self.setAccessibleName(text.replace("\u200b", ""))

    def text(self) -> str:
        """The text shown."""
        return self._label.text()

    def sizeHint(self):  # noqa: ANN201, N802 - Qt API
        hint = super().sizeHint()
        hint.setHeight(
            max(hint.height(), self._label.heightForWidth(max(50, self.width() - 16)) + 8)
        )
        return hint
