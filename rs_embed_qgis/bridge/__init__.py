# SPDX-License-Identifier: GPL-2.0-or-later
"""The QGIS side's shared bridges: QGIS geometries to core specs, core results to files and layers.

The dock, the tasks and the Processing algorithms all go through these modules, so that
each conversion is written once. Inside QGIS they use only the QGIS API, GDAL's ``osgeo``,
NumPy and the standard library.
"""
