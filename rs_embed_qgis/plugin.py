# SPDX-License-Identifier: GPL-2.0-or-later
"""The QGIS shell: wires the dock, its actions and the Processing provider; unload undoes it all."""

from __future__ import annotations

from typing import Any

from qgis.core import QgsApplication

from rs_embed_qgis.i18n import install_translator, remove_translator, tr

__all__ = ["RsEmbedPlugin", "tr"]  # tr re-exported for older imports; it lives in i18n


class RsEmbedPlugin:
    """Entry object QGIS creates through classFactory."""

    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.provider: Any = None
        self.gui: Any = None
        # Before any widget or algorithm asks for a text (qgis_process loads plugins too).
        self.translator = install_translator()

    def initProcessing(self) -> None:  # noqa: N802 - QGIS API
        """Register the rs_embed Processing provider (also used by qgis_process)."""
        from rs_embed_qgis.processing.provider import RsEmbedProvider

        self.provider = RsEmbedProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 - QGIS API
        """Create the toolbar/menu action and the dock (the provider applies the settings)."""
        self.initProcessing()
        if self.iface is not None:
            from rs_embed_qgis.gui.controller import GuiController

            self.gui = GuiController(self.iface)
            self.gui.setup()

    def unload(self) -> None:
        """Remove exactly what initGui/initProcessing added."""
        if self.gui is not None:
            self.gui.teardown()
            self.gui = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator(self.translator)
        self.translator = None
