"""rs_embed_qgis: Copernicus-Embed precomputed Earth embeddings in QGIS."""


def classFactory(iface):  # noqa: N802 - QGIS plugin entry point
    """Create the plugin; imports stay lazy so QGIS starts fast and loads without torch."""
    # Before anything imports shapely/pyproj/rasterio: keep the GEOS/PROJ/GDAL bundled in
    # their wheels apart from the copies the QGIS executable links (see bridge.native).
    from rs_embed_qgis.bridge.native import isolate_bundled_libs

    isolate_bundled_libs()
    from rs_embed_qgis.plugin import RsEmbedPlugin

    return RsEmbedPlugin(iface)
