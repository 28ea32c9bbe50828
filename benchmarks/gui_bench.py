"""GUI figures of issue 10: embedding fields in a GeoPackage layer, the attribute table, start-up.

Run by QGIS's Python (``/usr/bin/python3 benchmarks/gui_bench.py``, or the venv, which sees
the same system packages) with ``QT_QPA_PLATFORM=offscreen``. QGIS's ``world_map.gpkg``
countries are copied to a temporary GeoPackage; a vector of 768 values (+ emb_valid_frac)
is written to every feature through ``rs_embed_qgis.gui.layers.write_embeddings_to_layer``
(the dock's batch path), then saved; a second copy is written and undone; the attribute
table (``QgsAttributeTableModel`` over a ``QgsVectorLayerCache``, and ``QgsDualView``) is
loaded. Plugin start-up is ``classFactory`` + ``initGui`` with a stub iface, and the
modules of ``rs_embed_qgis`` it imports are listed. Prints one table with targets and
PASS/FAIL; ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGETS = {
    "write_s": 3.0,
    "save_s": 3.0,
    "undo_s": 3.0,
    "rollback_s": 3.0,
    "open_write_s": 3.0,
    "open_undo_s": 3.0,
    "open_redo_s": 3.0,
    "open_rollback_s": 3.0,
    "table_model_s": 2.0,
    "dual_view_s": 2.0,
    "startup_s": 0.3,
}
# Modules that must not be imported by classFactory + initGui (read on first use instead).
# The start-up test (tests/qgis/test_gui_fields.py) checks this same list.
HEAVY = (
    "rs_embed_qgis.core.gdal_reader",
    "rs_embed_qgis.core.cache",
    "rs_embed_qgis.core.coverage",
    "rs_embed_qgis.core.adapter",
    "rs_embed_qgis.core.pooling",
    "rs_embed_qgis.core.reader",
    "rs_embed_qgis.core.polygon",
    "rs_embed_qgis.core.explore",
    "rs_embed_qgis.core.grid",
    "rs_embed_qgis.core.index",
    "rs_embed_qgis.bridge.outputs",
    "rs_embed_qgis.bridge.jobs",
    "rs_embed_qgis.bridge.geometry",
    "rs_embed_qgis.bridge.explore_outputs",
    "numpy",
)


_APP: list[Any] = []  # the application lives as long as the process


def _app() -> Any:
    from qgis.core import QgsApplication

    if not _APP:
        QgsApplication.setPrefixPath("/usr", True)
        app = QgsApplication([], True)
        app.initQgis()
        _APP.append(app)
    return _APP[0]


def countries_copy(folder: str) -> Any:
    """The countries of QGIS's world_map.gpkg, copied to a GeoPackage in ``folder``."""
    from qgis.core import QgsApplication, QgsVectorLayer

    src = Path(QgsApplication.pkgDataPath(), "resources", "data", "world_map.gpkg")
    dst = Path(shutil.copy(src, Path(folder) / f"world_{time.monotonic_ns()}.gpkg"))
    layer = QgsVectorLayer(f"{dst}|layername=countries", "countries", "ogr")
    assert layer.isValid(), dst
    return layer


def vectors_for(layer: Any) -> tuple[dict[int, Any], dict[int, float]]:
    """A float32 vector of 768 values and a valid fraction per feature (distinct per feature)."""
    import numpy as np

    rng = np.random.default_rng(0)
    fids = [f.id() for f in layer.getFeatures()]
    vecs = {fid: rng.standard_normal(768).astype(np.float32) for fid in fids}
    return vecs, {fid: 0.5 for fid in fids}


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_fields(folder: str, store: str = "fields") -> dict[str, Any]:
    """Write, save, undo and open the table of 240 x 768 values in a GeoPackage layer."""
    from qgis.core import QgsVectorLayerCache
    from qgis.gui import QgsAttributeTableFilterModel, QgsAttributeTableModel, QgsDualView
    from qgis.PyQt.QtCore import QCoreApplication

    from rs_embed_qgis.gui import layers

    out: dict[str, Any] = {"store": store}
    layer = countries_copy(folder)
    vecs, fracs = vectors_for(layer)
    out["features"] = len(vecs)
    n_before = layer.fields().count()
    kw = {"store": store} if store != "fields" else {}
    out["write_s"], _ = _timed(
        lambda: layers.write_embeddings_to_layer(layer, vecs, valid_fracs=fracs, **kw)
    )
    out["fields_after"] = layer.fields().count()
    out["save_s"], ok = _timed(lambda: layer.commitChanges())
    out["saved"] = bool(ok)

    t0 = time.perf_counter()
    cache = QgsVectorLayerCache(layer, 10000)
    model = QgsAttributeTableModel(cache)
    model.loadLayer()
    out["table_model_s"] = time.perf_counter() - t0
    out["table_columns"] = model.columnCount()
    del model, cache

    from qgis.gui import QgsMapCanvas

    canvas = QgsMapCanvas()
    t0 = time.perf_counter()
    view = QgsDualView()
    view.init(layer, canvas)
    view.setView(QgsDualView.ViewMode.AttributeTable)
    view.show()
    QCoreApplication.processEvents()
    out["dual_view_s"] = time.perf_counter() - t0
    filt = view.findChild(QgsAttributeTableFilterModel)
    out["dual_view_visible_columns"] = filt.columnCount() if filt is not None else -1
    view.hide()
    view.deleteLater()
    QCoreApplication.processEvents()

    # Undo: a fresh copy, written and undone (the user's "discard" of the batch).
    layer2 = countries_copy(folder)
    layers.write_embeddings_to_layer(layer2, vecs, valid_fracs=fracs, **kw)
    stack = layer2.undoStack()
    out["undo_s"], _ = _timed(stack.undo)
    out["fields_after_undo"] = layer2.fields().count()
    out["restored"] = layer2.fields().count() == n_before
    layer2.rollBack()
    # Discard: a third copy, written and rolled back ("Stop editing" -> "Discard").
    layer3 = countries_copy(folder)
    layers.write_embeddings_to_layer(layer3, vecs, valid_fracs=fracs, **kw)
    out["rollback_s"], _ = _timed(layer3.rollBack)
    out["restored"] = out["restored"] and layer3.fields().count() == n_before
    return out


def bench_fields_open(folder: str, store: str = "fields") -> dict[str, Any]:
    """Write, undo, redo and discard with the layer's attribute table and a form open.

    The table is a ``QgsDualView`` (what the attribute table dialog holds), the form a
    ``QgsAttributeDialog``: both rebuild themselves when the layer's fields change, the
    case that froze QGIS for minutes in issue 19.
    """
    from qgis.gui import QgsAttributeDialog, QgsDualView, QgsMapCanvas
    from qgis.PyQt.QtCore import QCoreApplication

    from rs_embed_qgis.gui import layers

    layer = countries_copy(folder)
    vecs, fracs = vectors_for(layer)
    kw = {"store": store} if store != "fields" else {}
    canvas = QgsMapCanvas()
    view = QgsDualView()
    view.init(layer, canvas)
    view.setView(QgsDualView.ViewMode.AttributeTable)
    view.show()
    form = QgsAttributeDialog(layer, next(layer.getFeatures()), False, None, True)
    form.show()
    QCoreApplication.processEvents()

    def step(fn: Any) -> float:
        t0 = time.perf_counter()
        fn()
        QCoreApplication.processEvents()  # the table's queued reload is part of the wait
        return time.perf_counter() - t0

    out: dict[str, Any] = {"store": store, "features": len(vecs)}
    out["open_write_s"] = step(
        lambda: layers.write_embeddings_to_layer(layer, vecs, valid_fracs=fracs, **kw)
    )
    out["open_undo_s"] = step(layer.undoStack().undo)
    out["open_redo_s"] = step(layer.undoStack().redo)
    out["open_rollback_s"] = step(layer.rollBack)
    form.close()
    view.close()
    QCoreApplication.processEvents()
    return out


class _StubIface:
    """Just enough of QgisInterface for initGui: a main window, a canvas, docks, menus."""

    def __init__(self) -> None:
        from qgis.gui import QgsMapCanvas, QgsMessageBar
        from qgis.PyQt.QtWidgets import QMainWindow

        self._main = QMainWindow()
        self._canvas = QgsMapCanvas(self._main)
        self._bar = QgsMessageBar()

    def mainWindow(self) -> Any:  # noqa: N802 - QgisInterface API
        return self._main

    def mapCanvas(self) -> Any:  # noqa: N802 - QgisInterface API
        return self._canvas

    def messageBar(self) -> Any:  # noqa: N802 - QgisInterface API
        return self._bar

    def activeLayer(self) -> Any:  # noqa: N802 - QgisInterface API
        return None

    def addDockWidget(self, area: Any, dock: Any) -> None:  # noqa: N802 - QgisInterface API
        self._main.addDockWidget(area, dock)

    def removeDockWidget(self, dock: Any) -> None:  # noqa: N802 - QgisInterface API
        self._main.removeDockWidget(dock)

    def addToolBarIcon(self, action: Any) -> None:  # noqa: N802 - QgisInterface API
        pass

    def removeToolBarIcon(self, action: Any) -> None:  # noqa: N802 - QgisInterface API
        pass

    def addPluginToMenu(self, name: str, action: Any) -> None:  # noqa: N802
        pass

    def removePluginMenu(self, name: str, action: Any) -> None:  # noqa: N802
        pass


def bench_startup() -> dict[str, Any]:
    """classFactory + initGui with a stub iface: time and the modules it imported."""
    iface = _StubIface()
    before = set(sys.modules)
    t0 = time.perf_counter()
    import rs_embed_qgis

    plugin = rs_embed_qgis.classFactory(iface)
    plugin.initGui()
    elapsed = time.perf_counter() - t0
    new = sorted(set(sys.modules) - before)
    plugin.unload()
    ours = [m for m in new if m.startswith("rs_embed_qgis")]
    heavy = [m for m in new if m in HEAVY]
    return {
        "startup_s": elapsed,
        "imported_ours": ours,
        "imported_heavy": heavy,
        "imported_total": len(new),
    }


def main() -> int:
    """Run the cases and print the table (``--json``: the figures)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument(
        "--store",
        default="fields,json",
        help="comma-separated stores to time: fields (768 columns), json (one column)",
    )
    args = ap.parse_args()
    _app()
    # Start-up first: before anything of the plugin is imported by the other cases.
    results: dict[str, Any] = {"startup": bench_startup()}
    folder = tempfile.mkdtemp(prefix="rs_embed_gui_bench_")
    try:
        for store in [s for s in args.store.split(",") if s]:
            try:
                results[store] = bench_fields(folder, store)
                results[store].update(bench_fields_open(folder, store))
            except TypeError as exc:  # an older layers.py without the store option
                results[store] = {"error": str(exc)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    failed = 0
    rows = [("start-up (classFactory + initGui)", results["startup"]["startup_s"], "startup_s")]
    for store in [s for s in args.store.split(",") if s]:
        r = results[store]
        if "error" in r:
            print(f"{store}: {r['error']}")
            continue
        for key, label in (
            ("write_s", "write"),
            ("save_s", "save"),
            ("undo_s", "undo"),
            ("rollback_s", "discard edits (roll back)"),
            ("table_model_s", "attribute table model"),
            ("dual_view_s", "attribute table (dual view)"),
            ("open_write_s", "write, table + form open"),
            ("open_undo_s", "undo, table + form open"),
            ("open_redo_s", "redo, table + form open"),
            ("open_rollback_s", "discard, table + form open"),
        ):
            rows.append((f"{store}: {label} ({r['features']} features)", r[key], key))
    print(f"{'case':48} {'seconds':>8} {'target':>7}  result")
    for label, value, key in rows:
        ok = value <= TARGETS[key]
        failed += not ok
        print(f"{label:48} {value:8.3f} {TARGETS[key]:7.1f}  {'PASS' if ok else 'FAIL'}")
    su = results["startup"]
    print("imported by start-up:", ", ".join(su["imported_ours"]))
    if su["imported_heavy"]:
        print("heavy modules imported at start-up:", ", ".join(su["imported_heavy"]))
    for store in [s for s in args.store.split(",") if s]:
        r = results[store]
        if "error" not in r:
            print(
                f"{store}: fields {r['fields_after']}, table columns {r['table_columns']}, "
                f"visible {r['dual_view_visible_columns']}, undo restored: {r['restored']}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
