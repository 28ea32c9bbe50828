"""Small shared helpers of the QGIS side: ``tr`` and the plugin icon.

They live here, not in ``plugin.py``, so that gui/ and processing/ never import the
plugin shell back (no import circles).
"""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

TR_CONTEXT = "RsEmbed"
_ICON_CANDIDATES = (
    Path(__file__).resolve().parent / "resources" / "icon.png",  # installed plugin zip
    Path(__file__).resolve().parents[1] / "resources" / "icon.png",  # source tree
)


def tr(text: str) -> str:
    """Translate a UI string."""
    return QCoreApplication.translate(TR_CONTEXT, text)


def icon_path() -> str:
    """Path of the plugin icon ('' if the file is missing)."""
    for path in _ICON_CANDIDATES:
        if path.is_file():
            return str(path)
    return ""


def plugin_icon() -> QIcon:
    """The plugin icon (an empty icon if the file is missing)."""
    path = icon_path()
    return QIcon(path) if path else QIcon()
