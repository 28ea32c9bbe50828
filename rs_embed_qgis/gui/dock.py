"""The dock: built in code from standard QGIS widgets; it holds no logic, only choices and status.

The controller reads the choices (capture mode, buffer, output, expand_deg) and connects
the dock's signals to the work; the dock shows status, progress, the data directory
and where it comes from, the fast cache, and missing dependencies.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig

from qgis.core import Qgis
from qgis.gui import QgsCollapsibleGroupBox, QgsDockWidget, QgsDoubleSpinBox, QgsFileWidget
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from rs_embed_qgis import settings
from rs_embed_qgis.core.constants import (
    DEFAULT_EXPAND_DEG,
    ENV_DATA_DIR,
    POOLINGS,
    PRODUCT_FILENAME,
    SUPPORTED_YEARS,
)
from rs_embed_qgis.core.specs import OutputSpec
from rs_embed_qgis.plugin import tr

REQUIRED_MODULES = ("torch", "torchgeo")
MODE_RECTANGLE = "rectangle"
MODE_POINT = "point"
OUTPUT_POOLED = "pooled"
OUTPUT_GRID = "grid"
DEFAULT_BUFFER_M = 5000.0
_UNITS = (("km", 1000.0), ("m", 1.0))
_LEVEL_STYLE = {
    Qgis.Info: "",
    Qgis.Success: "color: #1a7f37;",
    Qgis.Warning: "color: #9a6700;",
    Qgis.Critical: "color: #cf222e;",
}


# --------------------------------------------------------------------------- dependencies


def missing_dependencies() -> list[str]:
    """The required modules (torch, torchgeo) that QGIS's Python cannot import."""
    return [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]


def qgis_python() -> str:
    """The Python interpreter QGIS runs (sys.executable is the qgis binary inside QGIS)."""
    exe = sys.executable or ""
    if os.path.basename(exe).lower().startswith("python"):
        return exe
    if os.name == "nt":
        cand = os.path.join(sys.exec_prefix, "python.exe")
        return cand if os.path.isfile(cand) else "python"
    for name in ("python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"):
        cand = os.path.join(sys.exec_prefix, "bin", name)
        if os.path.isfile(cand):
            return cand
    return "python3"


def install_command(missing: list[str]) -> str:
    """The exact command that installs ``missing`` into QGIS's Python."""
    args = [qgis_python(), "-m", "pip", "install"]
    marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
    if sys.prefix == sys.base_prefix and os.path.exists(marker):
        # A distribution's Python (Debian, Ubuntu): pip refuses system-wide installs.
        args += ["--user", "--break-system-packages"]
    return " ".join(args + list(missing))


def breakable(path: str) -> str:
    """A path a word-wrapped label may break after each separator (zero-width spaces)."""
    return path.replace("/", "/\u200b").replace("\\", "\\\u200b")


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KB'."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n:.1f} TB"


# --------------------------------------------------------------------------- the dock


class EmbedDock(QgsDockWidget):
    """Copernicus-Embed dock: what to capture, what to produce, data and cache, status."""

    capture_toggled = pyqtSignal(bool)
    capture_mode_changed = pyqtSignal(str)
    buffer_changed = pyqtSignal(float)
    embed_selected_requested = pyqtSignal()
    prepare_cache_requested = pyqtSignal()
    cancel_requested = pyqtSignal()
    open_table_requested = pyqtSignal()
    data_dir_changed = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("Copernicus-Embed"), parent)
        self.setObjectName("RsEmbedDock")
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)

        head = QLabel(
            tr("<b>Copernicus-Embed</b> precomputed embeddings: 768 dimensions, 0.25° pixels")
        )
        head.setWordWrap(True)
        lay.addWidget(head)
        self.year_label = QLabel(
            tr("Year: <b>{year}</b> (the only year of the product)").format(year=SUPPORTED_YEARS[0])
        )
        lay.addWidget(self.year_label)

        self.deps_box = QWidget()
        self.deps_box.setObjectName("RsEmbedDeps")
        self.deps_box.setStyleSheet(
            "#RsEmbedDeps { background: #fff4e5; border: 1px solid #f0b46a; }"
        )
        deps = QVBoxLayout(self.deps_box)
        self.deps_label = QLabel()
        self.deps_label.setWordWrap(True)
        deps.addWidget(self.deps_label)
        self.deps_command = QLineEdit()  # copyable as it is, unlike wrapped label text
        self.deps_command.setReadOnly(True)
        deps.addWidget(self.deps_command)
        lay.addWidget(self.deps_box)
        lay.addLayout(self._build_status())

        lay.addWidget(self._build_area())
        lay.addWidget(self._build_output())
        lay.addWidget(self._build_batch())
        lay.addWidget(self._build_data())
        lay.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.refresh_dependencies()
        self.refresh_data()
        self.set_busy(False)
        self.set_progress(None)

    # ------------------------------------------------------------------ building

    def _build_area(self) -> QGroupBox:
        box = QGroupBox(tr("Area"))
        form = QFormLayout(box)
        self.rect_radio = QRadioButton(tr("Rectangle (drag on the map)"))
        self.point_radio = QRadioButton(tr("Point with buffer (click on the map)"))
        self.rect_radio.setChecked(True)
        self.mode_group = QButtonGroup(box)
        self.mode_group.addButton(self.rect_radio)
        self.mode_group.addButton(self.point_radio)
        form.addRow(self.rect_radio)
        form.addRow(self.point_radio)

        self.buffer_spin = QgsDoubleSpinBox()
        self.buffer_spin.setDecimals(2)
        self.buffer_spin.setRange(0.01, 20_000_000.0)
        self.buffer_spin.setShowClearButton(False)
        self.unit_combo = QComboBox()
        for unit, factor in _UNITS:
            self.unit_combo.addItem(tr(unit), factor)
        self.buffer_spin.setValue(DEFAULT_BUFFER_M / 1000.0)
        self.buffer_spin.setToolTip(tr("Half the side of the square area around the point."))
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
        self.capture_button.setToolTip(tr("Activate the map tool for the chosen area type."))
        form.addRow(self.capture_button)

        self.capture_button.toggled.connect(self.capture_toggled)
        self.rect_radio.toggled.connect(self._mode_changed)
        self.buffer_spin.valueChanged.connect(self._buffer_changed)
        self.unit_combo.currentIndexChanged.connect(self._buffer_changed)
        self._mode_changed()
        return box

    def _build_output(self) -> QGroupBox:
        box = QGroupBox(tr("Result"))
        form = QFormLayout(box)
        self.pooled_radio = QRadioButton(tr("Pooled vector into the samples table"))
        self.grid_radio = QRadioButton(tr("Grid into a raster layer (768 bands + PCA colours)"))
        self.pooled_radio.setChecked(True)
        group = QButtonGroup(box)
        group.addButton(self.pooled_radio)
        group.addButton(self.grid_radio)
        self._output_group = group
        form.addRow(self.pooled_radio)
        self.pooling_combo = QComboBox()
        for name in POOLINGS:
            self.pooling_combo.addItem(tr(name), name)
        form.addRow(tr("Pooling"), self.pooling_combo)
        form.addRow(self.grid_radio)
        self.pooled_radio.toggled.connect(self.pooling_combo.setEnabled)
        return box

    def _build_batch(self) -> QGroupBox:
        box = QGroupBox(tr("Selected features"))
        lay = QVBoxLayout(box)
        self.selection_label = QLabel(tr("No vector layer is active."))
        self.selection_label.setWordWrap(True)
        lay.addWidget(self.selection_label)
        self.batch_button = QPushButton(tr("Embed selected features"))
        self.batch_button.setToolTip(
            tr(
                "Area-weighted mean over each selected polygon (points: the buffer above), "
                "written to emb_000..emb_767 of the layer as one undoable edit."
            )
        )
        self.batch_button.setEnabled(False)
        self.batch_button.clicked.connect(self.embed_selected_requested)
        lay.addWidget(self.batch_button)
        return box

    def _build_data(self) -> QgsCollapsibleGroupBox:
        box = QgsCollapsibleGroupBox(tr("Data and fast cache"))
        box.setObjectName("RsEmbedDataGroup")
        lay = QVBoxLayout(box)
        self.data_widget = QgsFileWidget()
        self.data_widget.setStorageMode(QgsFileWidget.GetDirectory)
        self.data_widget.setDialogTitle(tr("Folder holding {file}").format(file=PRODUCT_FILENAME))
        self.data_widget.setFilePath(settings.data_dir_setting())
        self.data_widget.fileChanged.connect(self._data_dir_edited)
        lay.addWidget(QLabel(tr("Data directory")))
        lay.addWidget(self.data_widget)
        self.data_source_label = QLabel()
        self.data_source_label.setWordWrap(True)
        self.data_source_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay.addWidget(self.data_source_label)
        self.cache_label = QLabel()
        self.cache_label.setWordWrap(True)
        self.cache_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay.addWidget(self.cache_label)
        self.cache_button = QPushButton(tr("Prepare fast cache"))
        self.cache_button.setToolTip(
            tr("Decompress the product once on local disk: every read afterwards is fast.")
        )
        self.cache_button.clicked.connect(self.prepare_cache_requested)
        lay.addWidget(self.cache_button)
        return box

    def _build_status(self) -> QVBoxLayout:
        lay = QVBoxLayout()
        self.status_label = QLabel(tr("Ready."))
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.status_label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
        lay.addWidget(self.status_label)
        row = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        row.addWidget(self.progress_bar, 1)
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        self.table_button = QPushButton(tr("Open attribute table of the samples"))
        self.table_button.clicked.connect(self.open_table_requested)
        lay.addWidget(self.table_button)
        return lay

    # ------------------------------------------------------------------ slots

    def _mode_changed(self) -> None:
        point = self.point_radio.isChecked()
        self.buffer_spin.setEnabled(point)
        self.unit_combo.setEnabled(point)
        self.capture_mode_changed.emit(self.capture_mode())

    def _buffer_changed(self) -> None:
        self.buffer_changed.emit(self.buffer_m())

    def _data_dir_edited(self, path: str) -> None:
        settings.set_data_dir_setting(path)
        self.refresh_data()
        self.data_dir_changed.emit(path)

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
        self.buffer_spin.setValue(metres / 1000.0 if km else metres)

    def output_mode(self) -> str:
        """``pooled`` or ``grid``."""
        return OUTPUT_GRID if self.grid_radio.isChecked() else OUTPUT_POOLED

    def set_output_mode(self, mode: str) -> None:
        """Choose pooled or grid output."""
        (self.grid_radio if mode == OUTPUT_GRID else self.pooled_radio).setChecked(True)

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
        """The effective data directory (setting > $RS_EMBED_COP_DIR > default)."""
        return settings.effective_data_dir()[0]

    # ------------------------------------------------------------------ display

    def set_capture_checked(self, checked: bool) -> None:
        """Reflect whether the map tool is active, without re-emitting."""
        self.capture_button.blockSignals(True)
        self.capture_button.setChecked(checked)
        self.capture_button.blockSignals(False)

    def set_status(self, text: str, level: int = Qgis.Info) -> None:
        """Show a one-line status (coloured by level)."""
        self.status_label.setStyleSheet(_LEVEL_STYLE.get(level, ""))
        self.status_label.setText(text)

    def set_progress(self, value: float | None) -> None:
        """Show progress 0..100, or hide the bar (None)."""
        if value is None:
            self.progress_bar.setValue(0)
            self.progress_bar.setEnabled(False)
            self.progress_bar.setTextVisible(False)
            return
        self.progress_bar.setEnabled(True)
        self.progress_bar.setTextVisible(True)
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

    def refresh_dependencies(self) -> list[str]:
        """Show what is missing (torch, torchgeo) and the command that installs it."""
        missing = missing_dependencies()
        if missing:
            self.deps_label.setText(
                tr(
                    "<b>Missing Python packages: {names}.</b> Reading the product needs them. "
                    "Install them into QGIS's Python with this command, then restart QGIS:"
                ).format(names=", ".join(missing))
            )
            self.deps_command.setText(install_command(missing))
            self.deps_command.setCursorPosition(0)
        self.deps_box.setVisible(bool(missing))
        return missing

    def refresh_data(self) -> None:
        """Show the effective data directory, where it comes from, and the fast cache."""
        path, source = settings.effective_data_dir()
        origin = {
            "setting": tr("the folder chosen above"),
            ENV_DATA_DIR: tr("the environment variable {env}").format(env=ENV_DATA_DIR),
            "default": tr("the default, relative to the working directory"),
        }.get(source, source)
        self.data_source_label.setText(
            tr("Using <b>{path}</b> (from {origin}).").format(
                path=breakable(os.path.abspath(path)), origin=origin
            )
        )
        self.data_source_label.setToolTip(os.path.abspath(path))
        text, can_prepare = cache_summary(path)
        self.cache_label.setText(text)
        self.cache_button.setVisible(can_prepare)


def cache_summary(data_dir: str) -> tuple[str, bool]:
    """A sentence about the product file and its fast cache, and whether it can be prepared."""
    from rs_embed_qgis.core import cache_status
    from rs_embed_qgis.core.dataset import find_product_file
    from rs_embed_qgis.core.errors import RsEmbedError

    try:
        path = find_product_file(data_dir)
    except OSError as exc:
        return tr("The data directory cannot be read: {err}").format(err=exc), False
    if path is None:
        return (
            tr(
                "No {file} in this folder yet: it is downloaded on first use, or put it there "
                "yourself."
            ).format(file=PRODUCT_FILENAME),
            False,
        )
    try:
        st = cache_status(path)
    except (RsEmbedError, OSError) as exc:
        return tr("The product file cannot be used: {err}").format(err=exc), False
    if st["ready"]:
        return (
            tr("Fast cache ready: {folder} ({size} on disk).").format(
                folder=breakable(st["folder"]), size=human_bytes(st["bytes"])
            ),
            False,
        )
    return (
        tr(
            "Fast cache not prepared. It needs {size} in {folder} ({free} free) and makes "
            "every read fast; without it reads decompress whole tiles."
        ).format(
            size=human_bytes(st["bytes"]),
            folder=breakable(st["folder"]),
            free=human_bytes(st["free_bytes"]),
        ),
        True,
    )
