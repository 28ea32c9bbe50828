# SPDX-License-Identifier: GPL-2.0-or-later
"""Small shared helpers of the QGIS side: ``tr`` and the plugin icon.

They live here, not in ``plugin.py``, so that gui/ and processing/ never import the
plugin shell back (no import circles).
"""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator
from qgis.PyQt.QtGui import QIcon

TR_CONTEXT = "RsEmbed"
I18N_DIR = Path(__file__).resolve().parent / "i18n"
_ICON_CANDIDATES = (
    Path(__file__).resolve().parent / "resources" / "icon.png",  # installed plugin zip
    Path(__file__).resolve().parents[1] / "resources" / "icon.png",  # source tree
)


def tr(text: str) -> str:
    """Translate a UI string."""
    return QCoreApplication.translate(TR_CONTEXT, text)


def qgis_locale() -> str:
    """The UI locale QGIS uses, e.g. de_DE (its own override setting, else the system's)."""
    from qgis.core import QgsApplication

    return QgsApplication.locale() or QLocale.system().name()


def translation_file(locale: str, folder: Path = I18N_DIR) -> Path | None:
    """The compiled translation for ``locale`` (de_DE, then de), or None."""
    for code in (locale, locale.split("_")[0]):
        path = folder / f"rs_embed_qgis_{code}.qm"
        if code and path.is_file():
            return path
    return None


def install_translator(locale: str | None = None) -> QTranslator | None:
    """Load and install the plugin's translation for QGIS's locale; None when there is none."""
    path = translation_file(locale or qgis_locale())
    if path is None:
        return None
    translator = QTranslator()
    if not translator.load(str(path)):
        return None
    QCoreApplication.installTranslator(translator)
    return translator


def remove_translator(translator: QTranslator | None) -> None:
    """Undo install_translator."""
    if translator is not None:
        QCoreApplication.removeTranslator(translator)


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
