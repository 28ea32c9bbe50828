# SPDX-License-Identifier: GPL-2.0-or-later
"""Explore results -> files and layers: score and class GeoTIFFs, palettes, styles, place points.

Shared by the dock and the Processing algorithms: QGIS inputs become core references and
scopes here, and core results become GeoTIFFs on the product file's own grid (EPSG:4326,
0.25 degree pixels, edges where the file's georeferencing puts them: -180.125 + 0.25 k and
90.125 - 0.25 k on TorchGeo's grid) and renderers.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from qgis.core import (
    NULL,
    QgsColorRampShader,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsMapLayer,
    QgsPalettedRasterRenderer,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRasterShader,
    QgsRectangle,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtGui import QColor

from rs_embed_qgis.bridge.geometry import (
    extent_to_lonlat_box,
    geometry_to_spec,
    to_wgs84_transform,
)
from rs_embed_qgis.bridge.outputs import (
    _metadata_tags,
    field_type,
    remove_partial,
    write_band,
    write_raster,
)
from rs_embed_qgis.core.constants import PRODUCT_RES
from rs_embed_qgis.core.errors import InvalidGeometryError, RsEmbedError, SpecError
from rs_embed_qgis.core.explore import (
    Area,
    ClassificationResult,
    CrossValidation,
    Place,
    Reference,
)
from rs_embed_qgis.core.grid import LonLatBox, Window
from rs_embed_qgis.i18n import tr

_OPTIONS = ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]
SCORE_RAMP = "Viridis"


# --------------------------------------------------------------------------- inputs


def features_to_references(
    features: Iterable[QgsFeature],
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> list[Reference]:
    """Points -> (lon, lat) (the pixel under them), polygons -> exact Polygon specs (EPSG:4326).

    Multi-points give one reference per point. Lines and empty geometries raise
    InvalidGeometryError naming the feature.
    """
    ctx = context if context is not None else QgsProject.instance().transformContext()
    ct = to_wgs84_transform(crs, ctx)
    out: list[Reference] = []
    for feat in features:
        geom = feat.geometry()
        if geom is None or geom.isNull() or geom.isEmpty():
            raise InvalidGeometryError(tr("Feature {0} has no geometry.").format(feat.id()))
        if geom.type() == QgsWkbTypes.PointGeometry:
            pts = geom.asMultiPoint() if geom.isMultipart() else [geom.asPoint()]
            for p in pts:
                q = ct.transform(QgsPointXY(p))
                lon = (q.x() + 180.0) % 360.0 - 180.0
                out.append((lon, max(-90.0, min(90.0, q.y()))))
        elif geom.type() == QgsWkbTypes.PolygonGeometry:
            out.append(geometry_to_spec(geom, crs, ctx))  # type: ignore[arg-type]
        else:
            raise InvalidGeometryError(
                tr("Feature {0} is a line: use points or polygons as references.").format(feat.id())
            )
    return out


def extent_scope(
    rect: QgsRectangle | None,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> LonLatBox | None:
    """A rectangle in any CRS -> the EPSG:4326 box of the scope; None (whole file) when empty."""
    if rect is None or rect.isNull() or rect.isEmpty():
        return None
    if not crs.isValid():
        crs = QgsCoordinateReferenceSystem("EPSG:4326")
    return extent_to_lonlat_box(rect, crs, context)


def layer_scope(
    layer: QgsMapLayer, context: QgsCoordinateTransformContext | None = None
) -> LonLatBox:
    """A layer's extent (in its own CRS) -> the EPSG:4326 box of the scope.

    Raises SpecError for a layer without an extent (an empty or geometry-less layer).
    """
    rect = QgsRectangle(layer.extent())
    vals = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
    if rect.isNull() or not all(math.isfinite(v) for v in vals):
        raise SpecError(
            tr("The layer {0!r} has no extent to use as the scope.").format(layer.name())
        )
    if rect.isEmpty():  # a single point: the product pixel under it
        rect.grow(1e-6 if layer.crs().isGeographic() else 0.1)
    box = extent_scope(rect, layer.crs(), context)
    if box is None:
        raise SpecError(
            tr("The layer {0!r} has no extent to use as the scope.").format(layer.name())
        )
    return box


def plain_value(value: Any) -> Any:
    """A QVariant-free attribute value (None for NULL); whole floats become ints."""
    if value is None or value == NULL:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def labelled_samples(
    features: Iterable[QgsFeature],
    field_name: str,
    fields: QgsFields,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
) -> tuple[list[tuple[Reference, Any]], int]:
    """Training samples (reference, class label) of point/polygon features, and how many
    features were skipped for having no class (NULL).

    Raises SpecError when ``fields`` has no ``field_name``, when the layer has no feature,
    or when the field is NULL in every feature; InvalidGeometryError for a line or an empty
    geometry (see ``features_to_references``).
    """
    if not field_name or fields.indexOf(field_name) < 0:
        raise SpecError(tr("The training layer has no field {0!r}.").format(field_name))
    samples: list[tuple[Reference, Any]] = []
    skipped = 0
    for feat in features:
        label = plain_value(feat[field_name])
        if label is None:
            skipped += 1
            continue
        samples += [(r, label) for r in features_to_references([feat], crs, context)]
    if not samples and not skipped:
        raise SpecError("The training layer has no features.")
    if not samples:
        where = "the only feature" if skipped == 1 else f"all {skipped} features"
        raise SpecError(
            f"The class field {field_name!r} has no values: it is NULL in {where} of the "
            "training layer. Fill it in, or choose the field that holds the classes."
        )
    return samples, skipped


# --------------------------------------------------------------------------- rasters


def window_geotransform(window: Window) -> tuple[float, ...]:
    """GDAL geotransform of a window on its grid (the product file's georeferencing)."""
    return (
        window.grid.lon_edge(window.col0),
        PRODUCT_RES,
        0.0,
        window.grid.lat_edge(window.row0),
        0.0,
        -PRODUCT_RES,
    )


def _write(
    path: str,
    window: Window,
    bands: Sequence[np.ndarray],
    gdal_type: int,
    meta: dict[str, Any] | None,
    nodata: float | None,
    descriptions: Sequence[str],
    colours: dict[int, tuple[int, int, int]] | None = None,
    categories: list[str] | None = None,
) -> str:
    from osgeo import gdal

    def fill(ds: Any) -> None:
        ds.SetGeoTransform(window_geotransform(window))
        ds.SetMetadata(_metadata_tags(dict(meta or {})))
        for i, arr in enumerate(bands, start=1):
            band = ds.GetRasterBand(i)
            band.SetDescription(descriptions[i - 1])
            if nodata is not None:
                band.SetNoDataValue(nodata)
            if colours:
                table = gdal.ColorTable()
                for value, rgb in colours.items():
                    table.SetColorEntry(int(value), (*rgb, 255))
                band.SetRasterColorTable(table)
                band.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
            if categories:
                band.SetRasterCategoryNames(categories)
            write_band(band, arr, gdal_type, path)

    return write_raster(str(path), (len(bands), *window.shape), gdal_type, _OPTIONS, fill)


def write_similarity_geotiff(sim: Any, path: str, file: str, n_references: int) -> str:
    """A similarity map (``core.explore.SimilarityResult``) as its GeoTIFF, with what made it
    in the metadata: the product file, metric, combine, references, and whether the scores
    are exact or from the search index (then with their error bound)."""
    meta = {
        "title": "Copernicus-Embed similarity",
        "file": file,
        "year": 2021,
        "metric": sim.metric,
        "combine": sim.combine,
        "references": n_references,
        "bbox_4326": sim.bounds,
        "scores": f"approximate, max error {sim.max_error:.3g}" if sim.approximate else "exact",
    }
    return write_score_geotiff(sim.scores, sim.window, path, meta, sim.metric)


def write_score_geotiff(
    scores: np.ndarray,
    window: Window,
    path: str,
    meta: dict[str, Any] | None = None,
    description: str = "similarity",
) -> str:
    """A float32 GeoTIFF of a score map (NaN = no data: ocean) on the product grid."""
    from osgeo import gdal

    arr = np.asarray(scores, dtype=np.float32)
    return _write(path, window, [arr], gdal.GDT_Float32, meta, float("nan"), [description])


def palette(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct colours (golden-angle hues), the same for the same n."""
    out = []
    for i in range(n):
        h = (i * 0.618033988749895) % 1.0
        s = 0.65 + 0.25 * ((i // 7) % 2)
        v = 0.95 - 0.2 * ((i // 3) % 2)
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        out.append((round(r * 255), round(g * 255), round(b * 255)))
    return out


def class_values(classes: Sequence[Any]) -> tuple[list[int], int]:
    """Raster value of each class and the nodata value.

    Integer labels in 0..65534 are written as themselves (nodata 65535); any other labels
    as 1..C in sorted order (nodata 0), their names kept as category names.
    """
    if all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in classes) and all(
        0 <= int(c) <= 65534 for c in classes
    ):
        return [int(c) for c in classes], 65535
    return list(range(1, len(classes) + 1)), 0


def write_class_geotiff(
    labels: np.ndarray,
    window: Window,
    path: str,
    names: Sequence[Any],
    values: Sequence[int] | None = None,
    nodata: int = 0,
    meta: dict[str, Any] | None = None,
    description: str = "class",
) -> str:
    """A categorical UInt16 GeoTIFF with a colour table: label i (>= 0) -> values[i]; -1 nodata.

    ``values`` defaults to 1..n (cluster 1 is label 0). Category names are set where the
    values are small enough for GDAL's list of names.
    """
    from osgeo import gdal

    lab = np.asarray(labels)
    vals = list(values) if values is not None else list(range(1, len(names) + 1))
    lut = np.asarray(vals + [nodata], dtype=np.uint16)
    arr = lut[np.where(lab < 0, len(vals), lab)]
    cols = palette(len(vals))
    colours = {v: c for v, c in zip(vals, cols, strict=True)} if max(vals) < 4096 else None
    cats = None
    if max(vals) < 4096:
        cats = [""] * (max(vals) + 1)
        for v, n in zip(vals, names, strict=True):
            cats[v] = str(n)
    return _write(
        path, window, [arr], gdal.GDT_UInt16, meta, float(nodata), [description], colours, cats
    )


def write_classification(
    res: ClassificationResult, path: str, confidence_path: str | None, file: str
) -> tuple[list[int], list[str]]:
    """The class raster (and the confidence raster when a path is given) of a classification.

    Returns the raster value and the name of each class. ``file`` is the product file read.
    """
    names = [str(c) for c in res.classes]
    values, nodata = class_values(res.classes)
    meta = {
        "title": "Copernicus-Embed classes",
        "file": file,
        "year": 2021,
        "classifier": res.classifier,
        "classes": names,
        "values": values,
        "cv_accuracy": None if res.cv is None else res.cv.accuracy,
        "bbox_4326": res.window.bounds,
    }
    write_class_geotiff(res.labels, res.window, path, names, values, nodata, meta, "class")
    if confidence_path:
        try:
            write_score_geotiff(res.confidence, res.window, confidence_path, meta, "confidence")
        except BaseException:
            remove_partial(path)  # both rasters or neither
            raise
    return values, names


# --------------------------------------------------------------------------- styles


def class_renderer(
    layer: QgsRasterLayer, values: Sequence[int], names: Sequence[Any]
) -> QgsPalettedRasterRenderer:
    """A paletted renderer of exactly the classes (value -> name), in ``palette`` colours.

    The default renderer of a UInt16 colour table lists every value up to 65535 in the
    legend; this one lists the classes only.
    """
    classes = [
        QgsPalettedRasterRenderer.Class(float(v), QColor(*rgb), str(n))
        for v, n, rgb in zip(values, names, palette(len(values)), strict=True)
    ]
    return QgsPalettedRasterRenderer(layer.dataProvider(), 1, classes)


def style_class_layer(layer: QgsRasterLayer, values: Sequence[int], names: Sequence[Any]) -> None:
    """Give a class or cluster raster its legend: one entry per class, named."""
    layer.setRenderer(class_renderer(layer, values, names))
    layer.triggerRepaint()


def score_renderer(
    layer: QgsRasterLayer,
    minimum: float,
    maximum: float,
    threshold: float | None = None,
    ramp: str = SCORE_RAMP,
) -> QgsSingleBandPseudoColorRenderer:
    """A continuous colour ramp from ``minimum`` (or the threshold) to ``maximum``.

    With a threshold, pixels scoring below it are transparent (the ramp starts at the
    threshold and clips): the threshold slider only swaps this renderer, nothing is
    recomputed.
    """
    lo = float(minimum) if threshold is None else float(threshold)
    hi = float(maximum)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise SpecError(tr("The score range is not finite."))
    if hi <= lo:
        hi = lo + 1e-6
    color_ramp = QgsStyle.defaultStyle().colorRamp(ramp)
    fn = QgsColorRampShader(lo, hi, color_ramp, QgsColorRampShader.Interpolated)
    if color_ramp is None:
        fn.setColorRampItemList(
            [
                QgsColorRampShader.ColorRampItem(lo, QColor(68, 1, 84), f"{lo:.3f}"),
                QgsColorRampShader.ColorRampItem(hi, QColor(253, 231, 37), f"{hi:.3f}"),
            ]
        )
    else:
        fn.classifyColorRamp(5, -1, QgsRectangle(), None)
    fn.setClip(threshold is not None)
    shader = QgsRasterShader(lo, hi)
    shader.setRasterShaderFunction(fn)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    renderer.setClassificationMin(lo)
    renderer.setClassificationMax(hi)
    return renderer


def style_score_layer(layer: QgsRasterLayer, threshold: float | None = None) -> None:
    """Colour a score layer by its own min..max (below ``threshold`` transparent)."""
    minimum, maximum = score_range(layer)
    layer.setRenderer(score_renderer(layer, minimum, maximum, threshold))
    layer.triggerRepaint()


def score_range(layer: QgsRasterLayer) -> tuple[float, float]:
    """The (min, max) of band 1 of a score layer (exact statistics)."""
    from osgeo import gdal

    # GDAL, not QgsRasterInterface.bandStatistics: its flags changed type in QGIS 3.40 (the
    # int form deprecated, and chosen by PyQt even for the new flags) and 4.
    ds = gdal.Open(layer.source())
    if ds is None:
        raise OSError(f"Cannot open {layer.source()}")
    lo, hi = ds.GetRasterBand(1).ComputeRasterMinMax(False)  # exact, NaN and nodata skipped
    return float(lo), float(hi)


# --------------------------------------------------------------------------- vectors


def places_fields() -> QgsFields:
    """Fields of the "places like this" points: rank, similarity, lon, lat, row, col."""
    fields = QgsFields()
    fields.append(QgsField("rank", field_type("Int")))
    fields.append(QgsField("similarity", field_type("Double")))
    fields.append(QgsField("lon", field_type("Double")))
    fields.append(QgsField("lat", field_type("Double")))
    fields.append(QgsField("row", field_type("Int")))
    fields.append(QgsField("col", field_type("Int")))
    return fields


def place_feature(place: Place, fields: QgsFields) -> QgsFeature:
    """A point feature (EPSG:4326, pixel centre) of one place."""
    feat = QgsFeature(fields)
    feat.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(place.lon, place.lat)))
    feat.setAttributes([place.rank, place.score, place.lon, place.lat, place.row, place.col])
    return feat


def style_area_layer(layer: QgsVectorLayer) -> None:
    """Outlines only: the areas above the threshold must not hide the similarity map."""
    from qgis.core import QgsFillSymbol, QgsSingleSymbolRenderer

    symbol = QgsFillSymbol.createSimple(
        {"color": "0,0,0,0", "outline_color": "20,20,90,255", "outline_width": "0.6"}
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))


def area_fields() -> QgsFields:
    """Fields of the threshold areas: id, area_km2 (ellipsoidal), pixels."""
    fields = QgsFields()
    fields.append(QgsField("id", field_type("Int")))
    fields.append(QgsField("area_km2", field_type("Double")))
    fields.append(QgsField("pixels", field_type("Int")))
    return fields


def area_feature(i: int, area: Area, fields: QgsFields) -> QgsFeature:
    """A polygon feature (EPSG:4326) of one area above the threshold."""
    feat = QgsFeature(fields)
    feat.setGeometry(QgsGeometry.fromWkt(area.wkt))
    feat.setAttributes([i, area.area_km2, area.pixels])
    return feat


def cluster_table_fields() -> QgsFields:
    """Fields of the cluster-size table: cluster, pixels, share, nearest other cluster."""
    fields = QgsFields()
    fields.append(QgsField("cluster", field_type("Int")))
    fields.append(QgsField("pixels", field_type("Int")))
    fields.append(QgsField("share", field_type("Double")))
    fields.append(QgsField("nearest", field_type("Int")))
    fields.append(QgsField("nearest_dist", field_type("Double")))
    return fields


def cluster_table_rows(sizes: np.ndarray, distances: np.ndarray) -> list[list[Any]]:
    """One row per cluster (1-based numbers, as in the raster)."""
    total = float(np.sum(sizes)) or 1.0
    rows = []
    for i, n in enumerate(sizes):
        d = np.array(distances[i], dtype=np.float64)
        d[i] = np.inf
        j = int(np.argmin(d)) if d.size > 1 else i
        dist = float(d[j]) if d.size > 1 else 0.0
        rows.append([i + 1, int(n), float(n) / total, j + 1, dist])
    return rows


def table_layer(name: str, fields: QgsFields, rows: Iterable[Sequence[Any]]) -> QgsVectorLayer:
    """A geometry-less memory layer holding ``rows`` (for the dock's result tables)."""
    layer = QgsVectorLayer("None", name, "memory")
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    feats = []
    for row in rows:
        feat = QgsFeature(layer.fields())
        feat.setAttributes(list(row))
        feats.append(feat)
    layer.dataProvider().addFeatures(feats)
    return layer


def confusion_fields(names: Sequence[str]) -> QgsFields:
    """Fields of the confusion matrix table: true_class, then pred_<class> per class."""
    fields = QgsFields()
    fields.append(QgsField("true_class", field_type("String")))
    for n in names:
        fields.append(QgsField(f"pred_{n}"[:63], field_type("Int")))
    return fields


def confusion_rows(names: Sequence[str], confusion: np.ndarray) -> list[list[Any]]:
    """One row per true class: its name, then the pixel counts predicted as each class."""
    return [[n, *(int(v) for v in row)] for n, row in zip(names, confusion, strict=True)]


def confusion_lines(names: Sequence[str], cv: CrossValidation) -> list[str]:
    """The cross-validated accuracy and the confusion matrix as lines of text (for logs)."""
    lines = [
        tr("{0}-fold cross-validated accuracy (held out by {1}): {2:.1%}").format(
            cv.folds,
            {"feature": tr("feature"), "pixel": tr("pixel")}.get(cv.by, cv.by),
            cv.accuracy,
        ),
        tr("Confusion matrix (rows = true, columns = predicted):"),
        "\t" + "\t".join(names),
    ]
    for name, row in zip(names, cv.confusion, strict=True):
        lines.append(name + "\t" + "\t".join(str(int(v)) for v in row))
    return lines


def describe_error(exc: BaseException) -> str:
    """One line for a message bar (the first line of the message, never a traceback)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else ""
    if isinstance(exc, RsEmbedError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
