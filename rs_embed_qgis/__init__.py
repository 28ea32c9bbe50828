# SPDX-License-Identifier: GPL-2.0-or-later
"""rs_embed_qgis: Copernicus-Embed precomputed Earth embeddings in QGIS."""


def classFactory(iface):  # noqa: N802 - QGIS plugin entry point
    """Create the plugin; imports stay lazy so that QGIS starts fast."""
    from rs_embed_qgis.plugin import RsEmbedPlugin

    return RsEmbedPlugin(iface)
