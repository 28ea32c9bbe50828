"""Every Qt name the plugin and the tests use exists in PyQt6 (QGIS 4) under that spelling.

No QGIS 4 runs here, so an AST walk finds each name imported from ``qgis.PyQt.<module>``
and each attribute chain used on it (``Qt.MouseButton.LeftButton``), and resolves it in the
PyQt6 wheel from PyPI (see requirements.txt). Also flagged: imports of ``PyQt5``/``PyQt6``
(only ``qgis.PyQt`` follows QGIS's Qt) and ``exec_`` on any object (gone in PyQt6).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("rs_embed_qgis", "tests")

# qgis.PyQt's Qt6 QtWidgets re-exports the classes that Qt6 moved from QtWidgets to QtGui.
MOVED_TO_QTGUI = {
    ("QtWidgets", "QAction"),
    ("QtWidgets", "QActionGroup"),
    ("QtWidgets", "QShortcut"),
}


# PyQt6 is resolved in a child process: inside this one QGIS's import hook (QGIS >= 3.40)
# refuses PyQt6 in a Qt5 build, and a Qt5 and a Qt6 binding should not share a process.
_RESOLVER = r"""
import importlib, json, sys
moved = {tuple(m) for m in json.loads(sys.argv[1])}
out = []
for module, path in json.load(sys.stdin):
    try:
        obj = importlib.import_module("PyQt6." + module)
        if path and (module, path[0]) in moved:
            obj = importlib.import_module("PyQt6.QtGui")
    except ImportError as exc:
        print(json.dumps({"error": f"cannot import PyQt6.{module} ({exc})"}))
        sys.exit(0)
    missing = None
    for i, part in enumerate(path):
        if not hasattr(obj, part):
            missing = ".".join(path[: i + 1])
            break
        obj = getattr(obj, part)
    out.append(missing)
print(json.dumps({"missing": out}))
"""
_cache: dict[tuple[str, tuple[str, ...]], str | None] = {}
_pending: set[tuple[str, tuple[str, ...]]] = set()


def _resolve_pending() -> None:
    """Look every queued (module, path) up in PyQt6, in one child process."""
    todo = sorted(_pending)
    _pending.clear()
    if not todo:
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", _RESOLVER, json.dumps(sorted(MOVED_TO_QTGUI))],
        input=json.dumps([[m, list(p)] for m, p in todo]),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"the PyQt6 resolver failed: {proc.stderr[-2000:]}")
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    if "error" in answer:
        pytest.fail(
            f"{answer['error']}; PyQt6 is in requirements.txt: run `make setup` or "
            "`.venv/bin/python -m pip install PyQt6 -c constraints.txt`"
        )
    for key, missing in zip(todo, answer["missing"], strict=True):
        _cache[key] = missing


def _chain(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None when the root is not a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _resolve(module: str, path: list[str]) -> str | None:
    """The first part of ``path`` missing from PyQt6's ``module``, or None (queued if unknown)."""
    key = (module, tuple(path))
    if key not in _cache:
        _pending.add(key)
        return None
    return _cache[key]


def qt6_violations(source: str, filename: str = "<snippet>") -> list[str]:
    """Every Qt5-only name in ``source``, as ``file:line: message``."""
    _scan(source, filename)  # first pass queues the names to look up
    _resolve_pending()
    return _scan(source, filename)


def _qt5_fallbacks(tree: ast.AST) -> set[int]:
    """ids of ``from qgis.PyQt... import X`` in an ``except ImportError`` whose ``try`` imports
    the same names from qgis.PyQt: the Qt6 spelling is the one in the ``try`` (checked)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        tried = {
            a.name
            for n in node.body
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("qgis.PyQt")
            for a in n.names
        }
        for handler in node.handlers:
            names = {getattr(handler.type, "id", None)}
            if "ImportError" not in names and "ModuleNotFoundError" not in names:
                continue
            for n in handler.body:
                if (
                    isinstance(n, ast.ImportFrom)
                    and (n.module or "").startswith("qgis.PyQt")
                    and tried
                    and {a.name for a in n.names} <= tried
                ):
                    out.add(id(n))
    return out


def _scan(source: str, filename: str) -> list[str]:
    """One pass of the check; names not looked up yet are queued and pass for now."""
    tree = ast.parse(source, filename)
    found: list[tuple[int, str]] = []
    # local name -> (qgis.PyQt module, path inside it); path is empty for a module.
    bound: dict[str, tuple[str, list[str]]] = {}

    def report(node: ast.AST, message: str) -> None:
        found.append((getattr(node, "lineno", 0), message))

    fallbacks = _qt5_fallbacks(tree)
    for node in ast.walk(tree):
        if id(node) in fallbacks:
            continue  # the Qt5 branch of a try: Qt6 import / except ImportError: Qt5 import
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")
            if top[0] in ("PyQt5", "PyQt6"):
                report(node, f"import from {node.module}: use qgis.PyQt")
            elif top[:2] == ["qgis", "PyQt"]:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if len(top) == 2:  # from qgis.PyQt import QtCore
                        module, path = alias.name, []
                    else:
                        module, path = top[2], [alias.name]
                    bound[local] = (module, path)
                    missing = _resolve(module, path)
                    if missing is not None:
                        report(node, f"qgis.PyQt.{module}.{missing} does not exist in PyQt6")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")
                if top[0] in ("PyQt5", "PyQt6"):
                    report(node, f"import {alias.name}: use qgis.PyQt")
                elif top[:2] == ["qgis", "PyQt"] and len(top) > 2 and alias.asname:
                    bound[alias.asname] = (top[2], [])

    parents = {
        id(child) for n in ast.walk(tree) if isinstance(n, ast.Attribute) for child in [n.value]
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "exec_":
            report(node, "exec_() does not exist in PyQt6: use exec()")
        if not isinstance(node, ast.Attribute) or id(node) in parents:
            continue  # only whole chains, not their prefixes
        chain = _chain(node)
        if chain is None:
            continue
        path: list[str]
        if chain[:2] == ["qgis", "PyQt"] and len(chain) > 2:
            module, path = chain[2], chain[3:]
        elif chain[0] in bound:
            module, base = bound[chain[0]]
            path = base + chain[1:]
        else:
            continue
        missing = _resolve(module, path)
        if missing is not None:
            report(node, f"{'.'.join(chain)}: {module}.{missing} does not exist in PyQt6")
    return [f"{filename}:{line}: {message}" for line, message in sorted(found)]


def test_self_check_reports_qt5_only_names() -> None:
    """The check fails on Qt5-only spellings and passes their scoped forms."""
    bad = (
        "from qgis.PyQt.QtCore import Qt, QVariant\n"
        "from qgis.PyQt.QtWidgets import QMessageBox\n"
        "from PyQt5.QtCore import QTimer\n"
        "a = Qt.LeftButton\n"
        "b = QVariant.Double\n"
        "c = QMessageBox.Yes\n"
        "box.exec_()\n"
    )
    found = qt6_violations(bad)
    assert [f.split(":")[1] for f in found] == ["3", "4", "5", "6", "7"], found
    assert "Qt.LeftButton" in found[1]
    good = (
        "from qgis.PyQt.QtCore import Qt\n"
        "from qgis.PyQt import QtWidgets\n"
        "from qgis.PyQt.QtWidgets import QAction, QMessageBox\n"
        "a = Qt.MouseButton.LeftButton\n"
        "b = QtWidgets.QMessageBox.StandardButton.Yes\n"
        "box.exec()\n"
    )
    assert qt6_violations(good) == []
    # A Qt5 fallback is accepted only behind the Qt6 spelling it falls back from.
    fallback = (
        "try:\n    from qgis.PyQt.QtGui import QUndoCommand\n"
        "except ImportError:\n    from qgis.PyQt.QtWidgets import QUndoCommand\n"
    )
    assert qt6_violations(fallback) == []
    assert len(qt6_violations("from qgis.PyQt.QtWidgets import QUndoCommand\n")) == 1


def test_plugin_and_tests_use_only_qt6_names() -> None:
    """No file of the plugin or the tests uses a Qt name that PyQt6 lacks."""
    files = sorted(p for d in SCANNED for p in (ROOT / d).rglob("*.py"))
    assert len(files) > 20, files
    sources = [(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT))) for p in files]
    for text, name in sources:
        _scan(text, name)
    _resolve_pending()  # every name of every file in one child process
    found = [v for text, name in sources for v in _scan(text, name)]
    assert found == [], "\n".join(found)
