"""The QGIS side's shared bridges: QGIS geometries to core specs, core results to files and layers.

The dock, the tasks and the Processing algorithms all go through these modules, so that
each conversion is written once. Importing the package first isolates the GEOS, PROJ and
GDAL that the wheels (shapely, pyproj, rasterio...) bundle from QGIS's own (``native``).
"""

from rs_embed_qgis.bridge.native import isolate_bundled_libs

isolate_bundled_libs()
