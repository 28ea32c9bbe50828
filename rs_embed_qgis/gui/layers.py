# SPDX-License-Identifier: GPL-2.0-or-later
"""Core results -> project layers: grid rasters, the samples table, emb_* fields of a user layer.

Only ``write_grid_files`` may run in a task (it writes files and touches no layer); the
rest runs on the main thread, called from the controller's task slots.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qgis.core import (
    NULL,
    QgsAttributeTableConfig,
    QgsContrastEnhancement,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureRequest,
    QgsField,
    QgsFields,
    QgsFillSymbol,
    QgsGeometry,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsMapLayer,
    QgsMarkerSymbol,
    QgsMultiBandColorRenderer,
    QgsProject,
    QgsRasterLayer,
    QgsRasterRange,
    QgsSingleBandGrayRenderer,
    QgsSingleSymbolRenderer,
    QgsVectorDataProvider,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtWidgets import QFileDialog, QMessageBox, QWidget

try:  # Qt6 (QGIS 4) moved it to QtGui
    from qgis.PyQt.QtGui import QUndoCommand
except ImportError:  # Qt5
    from qgis.PyQt.QtWidgets import QUndoCommand

from rs_embed_qgis.i18n import tr

SAMPLES_NAME = "Copernicus-Embed samples"
SAMPLES_POINTS_NAME = "Copernicus-Embed samples (points)"
SAMPLES_RECTANGLES_NAME = "Copernicus-Embed samples (rectangles)"
GRID_GROUP_NAME = "Copernicus-Embed grids"
# Custom layer properties that mark what the plugin created.
PROP_SAMPLES = "rs_embed/samples"  # "point" or "rectangle"
PROP_TEMPORARY = "rs_embed/temporary"  # "1" on layers whose files live in the temp folder
# Most fields a provider's storage accepts (the dBase table of a shapefile: 255).
STORAGE_MAX_FIELDS = {"ESRI Shapefile": 255, "GPKG": 1999, "SQLite": 1999}

# How a batch stores each vector: 768 Double fields, or one text field of JSON array text.
STORE_FIELDS = "fields"
STORE_JSON = "json"

ROUTE_LAYER = "layer"
ROUTE_MEMORY = "memory"
ROUTE_GPKG = "gpkg"


def _box_text(box: Any) -> str:
    if not box:
        return ""
    return ", ".join(f"{float(v):.3f}" for v in box)


# --------------------------------------------------------------------------- grid rasters


@dataclass
class GridFiles:
    """The two GeoTIFFs of a grid result: the PCA rendering and the 768 bands."""

    rgb: str
    grid: str
    meta: dict


def write_grid_files(embedding: Any, folder: str) -> GridFiles:
    """Write the 768-band GeoTIFF and its PCA RGBA companion into ``folder`` (thread-safe)."""
    from rs_embed_qgis.bridge.outputs import write_grid_geotiff, write_rgb_geotiff

    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(folder, f"grid_{time.strftime('%H%M%S')}_{uuid.uuid4().hex[:6]}")
    meta = dict(embedding.meta)
    meta.setdefault("time", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    grid = write_grid_geotiff(embedding.data, stem + "_emb.tif", meta)
    rgb = write_rgb_geotiff(embedding.data, stem + "_pca.tif", meta)
    return GridFiles(rgb=rgb, grid=grid, meta=meta)


def _grid_group(project: QgsProject) -> QgsLayerTreeGroup:
    """The group of grid layers; created just under the samples layers (points stay visible)."""
    root = project.layerTreeRoot()
    group = root.findGroup(GRID_GROUP_NAME)
    if group is None:
        index = 0
        for k, node in enumerate(root.children()):
            if isinstance(node, QgsLayerTreeLayer) and node.layer() is not None:
                if node.layer().customProperty(PROP_SAMPLES):
                    index = k + 1
        group = root.insertGroup(index, GRID_GROUP_NAME)
    return group


def _rgb_renderer(layer: QgsRasterLayer) -> None:
    """Show the PCA bands as they are (already stretched to 0..255), band 4 as alpha."""
    renderer = QgsMultiBandColorRenderer(layer.dataProvider(), 1, 2, 3)
    renderer.setAlphaBand(4)
    layer.setRenderer(renderer)


def _grid_renderer(layer: QgsRasterLayer) -> None:
    """Band emb_000 in grey, min..max of its land pixels; empty (all-zero) pixels clear."""
    provider = layer.dataProvider()
    provider.setUserNoDataValue(1, [QgsRasterRange(0.0, 0.0)])
    renderer = QgsSingleBandGrayRenderer(provider, 1)
    stats = provider.bandStatistics(1)
    ce = QgsContrastEnhancement(provider.dataType(1))
    ce.setContrastEnhancementAlgorithm(
        QgsContrastEnhancement.ContrastEnhancementAlgorithm.StretchToMinimumMaximum
    )
    ce.setMinimumValue(stats.minimumValue)
    ce.setMaximumValue(stats.maximumValue)
    renderer.setContrastEnhancement(ce)
    layer.setRenderer(renderer)


def add_grid_layers(
    files: GridFiles, project: QgsProject | None = None, name: str | None = None
) -> tuple[QgsRasterLayer, QgsRasterLayer]:
    """Add the PCA layer (visible) and the 768-band layer (hidden) in a group of the project."""
    from rs_embed_qgis.bridge.outputs import set_layer_provenance

    project = project or QgsProject.instance()
    year = files.meta.get("year", "")
    stamp = time.strftime("%H:%M:%S")
    base = name or tr("{year} grid {time}").format(year=year, time=stamp)
    # The time in each name too: layer lists (e.g. a scope's layer box) show no groups.
    rgb = QgsRasterLayer(files.rgb, tr("PCA colours {time}").format(time=stamp), "gdal")
    grid = QgsRasterLayer(files.grid, tr("768 bands {time}").format(time=stamp), "gdal")
    for layer in (rgb, grid):
        if not layer.isValid():
            raise OSError(tr("QGIS could not open {path}.").format(path=layer.source()))
    _rgb_renderer(rgb)
    _grid_renderer(grid)
    for layer in (rgb, grid):
        set_layer_provenance(layer, files.meta)
        layer.setCustomProperty(PROP_TEMPORARY, "1")
    group = _grid_group(project)
    project.addMapLayer(grid, False)
    project.addMapLayer(rgb, False)
    sub = group.insertGroup(0, base)
    sub.addLayer(rgb).setExpanded(False)
    node = sub.addLayer(grid)
    node.setItemVisibilityChecked(False)
    node.setExpanded(False)
    group.setItemVisibilityChecked(True)  # a new grid is seen even if the user hid the group
    for g in (group, sub):
        # Show both layers: a view only re-reads the state when it changes.
        g.setExpanded(False)
        g.setExpanded(True)
    return rgb, grid


def add_on_top(layer: QgsMapLayer, project: QgsProject | None = None) -> QgsMapLayer:
    """Add a result layer at the top of the layer tree (not inside whatever group or under
    whatever layer happens to be selected, where it could be hidden), under a name no other
    layer of the project has."""
    project = project or QgsProject.instance()
    taken = {lyr.name() for lyr in project.mapLayers().values()}
    base, n = layer.name(), 1
    while layer.name() in taken:  # a second "Clusters (k = 6)" becomes "Clusters (k = 6) 2"
        n += 1
        layer.setName(f"{base} {n}")
    project.addMapLayer(layer, False)
    project.layerTreeRoot().insertLayer(0, layer)
    return layer


def remove_temporary_layers(project: QgsProject, folder: str) -> int:
    """Remove the plugin's layers whose files are in ``folder`` (before the folder goes)."""
    folder = os.path.realpath(folder)
    ids = [
        lid
        for lid, layer in project.mapLayers().items()
        if layer.customProperty(PROP_TEMPORARY) == "1"
        and os.path.realpath(layer.source()).startswith(folder + os.sep)
    ]
    project.removeMapLayers(ids)
    group = project.layerTreeRoot().findGroup(GRID_GROUP_NAME)
    if group is not None:
        for sub in [g for g in group.children() if isinstance(g, QgsLayerTreeGroup)]:
            if not sub.findLayers():
                group.removeChildNode(sub)
        if not group.children():
            project.layerTreeRoot().removeChildNode(group)
    return len(ids)


# --------------------------------------------------------------------------- samples


def sample_fields() -> QgsFields:
    """Fields of the samples layer: year, pooling, bbox, valid_frac, emb_000..emb_767."""
    from rs_embed_qgis.bridge.outputs import embedding_fields, field_type

    fields = QgsFields()
    fields.append(QgsField("year", field_type("Int")))
    fields.append(QgsField("pooling", field_type("String"), len=8))
    fields.append(QgsField("bbox", field_type("String"), len=80))
    fields.append(QgsField("valid_frac", field_type("Double")))
    for f in embedding_fields():
        fields.append(f)
    return fields


def samples_layer(project: QgsProject, kind: str, create: bool = True) -> QgsVectorLayer | None:
    """The project's samples layer of a kind ("point" or "rectangle"); created once in its CRS.

    A memory layer holds one geometry type, so points and rectangles have a layer each.
    """
    for layer in project.mapLayers().values():
        if isinstance(layer, QgsVectorLayer) and layer.customProperty(PROP_SAMPLES) == kind:
            return layer
    if not create:
        return None
    wkb = "Point" if kind == "point" else "Polygon"
    if kind == "point":
        name = tr("Copernicus-Embed samples (points)")
    else:
        name = tr("Copernicus-Embed samples (rectangles)")
    layer = QgsVectorLayer(wkb, name, "memory")
    layer.setCrs(project.crs())
    layer.dataProvider().addAttributes(sample_fields().toList())
    layer.updateFields()
    layer.setCustomProperty(PROP_SAMPLES, kind)
    _sample_style(layer, kind)
    hide_embedding_columns(layer)
    project.addMapLayer(layer, False)
    project.layerTreeRoot().insertLayer(0, layer)  # on top of grids and basemaps
    return layer


def _sample_style(layer: QgsVectorLayer, kind: str) -> None:
    """Samples stand out on any map: orange dots with a white rim, or orange outlines."""
    if kind == "point":
        symbol = QgsMarkerSymbol.createSimple(
            {"name": "circle", "color": "230,85,13", "outline_color": "white", "size": "3"}
        )
    else:
        symbol = QgsFillSymbol.createSimple(
            {"color": "230,85,13,40", "outline_color": "230,85,13", "outline_width": "0.6"}
        )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))


def add_sample(
    project: QgsProject,
    geometry: QgsGeometry,
    crs: QgsCoordinateReferenceSystem,
    embedding: Any,
) -> tuple[QgsVectorLayer, int]:
    """Append a pooled embedding (geometry in ``crs``) to the samples layer; (layer, fid)."""
    from rs_embed_qgis.bridge.outputs import embedding_values, valid_fraction_value

    kind = "point" if geometry.type() == QgsWkbTypes.GeometryType.PointGeometry else "rectangle"
    layer = samples_layer(project, kind)
    geom = QgsGeometry(geometry)
    if crs != layer.crs():
        geom.transform(QgsCoordinateTransform(crs, layer.crs(), project.transformContext()))
    meta = embedding.meta
    pooling = str(meta.get("pooling") or "").replace("_hw", "")
    feat = QgsFeature(layer.fields())
    feat.setGeometry(geom)
    values = [
        int(meta.get("year", 0)),
        pooling,
        _box_text(meta.get("bbox_4326")),
        valid_fraction_value(meta),
    ]
    feat.setAttributes(values + embedding_values(embedding.data))
    ok, added = layer.dataProvider().addFeatures([feat])
    if not ok:
        raise OSError(tr("Could not add the sample to {name}.").format(name=layer.name()))
    layer.updateExtents()
    layer.triggerRepaint()
    return layer, added[0].id()


# --------------------------------------------------------------------------- batch output


def capacity_problem(layer: QgsVectorLayer, names: Sequence[str]) -> str | None:
    """Why ``layer`` cannot take the fields ``names`` (a plain sentence), or None if it can."""
    provider = layer.dataProvider()
    if provider is None or not layer.isValid():
        return tr("The layer is not valid.")
    if layer.readOnly():
        return tr("The layer is read-only.")
    caps = provider.capabilities()
    new = [n for n in names if layer.fields().indexOf(n) < 0]
    if not caps & QgsVectorDataProvider.Capability.ChangeAttributeValues:
        return tr("Its data provider cannot change attribute values.")
    if new and not caps & QgsVectorDataProvider.Capability.AddAttributes:
        return tr("Its data provider cannot add fields.")
    limit = STORAGE_MAX_FIELDS.get(provider.storageType())
    total = layer.fields().count() + len(new)
    if limit is not None and total > limit:
        return tr(
            "{storage} holds at most {limit} fields; the layer has {have} and needs {new} more."
        ).format(
            storage=provider.storageType(), limit=limit, have=layer.fields().count(), new=len(new)
        )
    return None


def existing_fields(layer: QgsVectorLayer, names: Sequence[str]) -> list[str]:
    """Which of ``names`` the layer already has."""
    return [n for n in names if layer.fields().indexOf(n) >= 0]


def _vector_values(vector: Any, n: int) -> list[Any]:
    from rs_embed_qgis.bridge.outputs import embedding_values

    return [NULL if v is None else v for v in embedding_values(vector, n)]


def batch_field_names(store: str = STORE_FIELDS) -> list[str]:
    """The fields a batch writes: emb_000..emb_767 (or emb_json) and emb_valid_frac."""
    from rs_embed_qgis.bridge.outputs import (
        embedding_field_names,
        json_field_name,
        valid_fraction_field_name,
    )

    first = [json_field_name()] if store == STORE_JSON else embedding_field_names()
    return first + [valid_fraction_field_name()]


def _field_for(name: str) -> QgsField:
    from rs_embed_qgis.bridge.outputs import field_type, json_field, json_field_name

    return json_field() if name == json_field_name() else QgsField(name, field_type("Double"))


def _rows(
    vectors: Mapping[int, Any],
    names: Sequence[str],
    valid_fracs: Mapping[int, Any] | None,
) -> dict[int, list[Any]]:
    """fid -> the values of ``names`` (emb_json text or one float per field, then the fraction)."""
    from rs_embed_qgis.bridge.outputs import embedding_json_value, json_field_name

    with_frac = valid_fracs is not None
    fracs = valid_fracs or {}
    n_emb = len(names) - (1 if with_frac else 0)
    as_json = n_emb == 1 and names[0] == json_field_name()
    out = {}
    for fid, vec in vectors.items():
        if as_json:
            row = [NULL if vec is None else embedding_json_value(vec)]
        else:
            row = _vector_values(vec, n_emb)
        if with_frac:
            frac = fracs.get(fid)
            row.append(NULL if vec is None or frac is None else float(frac))
        out[int(fid)] = row
    return out


def _current_values(
    layer: QgsVectorLayer, rows: Mapping[int, Any], idx: Sequence[int], added: set
) -> dict[int, dict[int, Any]]:
    """fid -> {field index: value before the write}, read in one request.

    Handing QGIS the old values keeps its undo fast: without them, undoing each of the
    240 x 769 changes clones the layer to look the old value up (25 s for 240 countries).
    Fields added by this write were NULL before; existing ones are read from the layer.
    """
    fields = layer.fields()
    new_idx = [i for i in idx if fields.at(i).name() in added]
    old_idx = [i for i in idx if fields.at(i).name() not in added]
    out = {int(fid): dict.fromkeys(new_idx, NULL) for fid in rows}
    if old_idx and rows:
        request = QgsFeatureRequest().setFilterFids([int(f) for f in rows])
        request.setFlags(QgsFeatureRequest.Flag.NoGeometry)
        request.setSubsetOfAttributes(old_idx)
        for feat in layer.getFeatures(request):
            attrs = feat.attributes()
            out[feat.id()].update({i: attrs[i] for i in old_idx})
    return out


def _names(names: Sequence[str] | None, valid_fracs: Any, store: str) -> list[str]:
    from rs_embed_qgis.bridge.outputs import embedding_field_names

    if names:
        return list(names)
    return batch_field_names(store) if valid_fracs is not None else embedding_field_names()


def hide_embedding_columns(layer: QgsVectorLayer) -> None:
    """Hide the emb_000..emb_767 columns in the layer's attribute table (they stay in the data).

    768 columns make the table slow to open and impossible to read; "Organize columns"
    shows them again. emb_valid_frac and emb_json stay visible.
    """
    from rs_embed_qgis.bridge.outputs import embedding_field_names

    hidden = set(embedding_field_names())
    config: QgsAttributeTableConfig = layer.attributeTableConfig()
    config.update(layer.fields())
    columns = config.columns()
    changed = False
    for col in columns:
        if col.name in hidden and not col.hidden:
            col.hidden = True
            changed = True
    if changed:
        config.setColumns(columns)
        layer.setAttributeTableConfig(config)


class _QuietBracket(QUndoCommand):
    """One end of a batch's edit command: the layer's listeners hear the batch once.

    A batch adds 768 fields and changes 240 x 769 values; each of them makes an open
    attribute table and feature form rebuild themselves (``updatedFields`` ->
    ``QgsAttributeForm::init``), which froze QGIS for minutes on undo or *Discard*. Two of
    these commands, the first and the last child of the batch's macro, silence the layer's
    signals while the macro's children run in either direction (write, undo, redo and the
    undo loop of a rollback), then announce the new state once.
    """

    def __init__(self, layer: QgsVectorLayer, opening: bool) -> None:
        super().__init__("")
        self._layer = layer
        self._opening = opening

    def _silence(self) -> None:
        self._layer.blockSignals(True)

    def _announce(self) -> None:
        layer = self._layer
        layer.blockSignals(False)
        # What the listeners would have heard: fields changed (tables and forms rebuild
        # once), data changed (caches of the table reload), the layer is modified.
        layer.updatedFields.emit()
        layer.dataChanged.emit()
        layer.layerModified.emit()
        try:
            _reload_open_forms(layer)
        except Exception as exc:  # never out of a Qt virtual (it would abort QGIS)
            from qgis.core import Qgis, QgsMessageLog

            QgsMessageLog.logMessage(
                tr("An open form of {name} could not be reloaded: {err}").format(
                    name=layer.name(), err=exc
                ),
                "rs_embed",
                Qgis.MessageLevel.Warning,
            )

    def redo(self) -> None:  # noqa: D102 - Qt API
        (self._silence if self._opening else self._announce)()

    def undo(self) -> None:  # noqa: D102 - Qt API
        (self._announce if self._opening else self._silence)()


def _reload_open_forms(layer: QgsVectorLayer) -> None:
    """Open feature forms of ``layer`` show their feature's values again.

    A form follows value changes one signal at a time; after a quiet batch it would keep
    showing the values it had (NULL in the new fields) until reopened.
    """
    from qgis.gui import QgsAttributeForm
    from qgis.PyQt import sip
    from qgis.PyQt.QtWidgets import QApplication

    lid = layer.id()
    for top in QApplication.topLevelWidgets():
        # By class name: a typed findChildren does not see the forms (no meta-object match
        # through the bindings).
        # Only shown forms: a hidden one (e.g. of a closed table not yet deleted) may point
        # to a layer that is gone.
        if not top.isVisible():
            continue
        found = [
            w for w in top.findChildren(QWidget) if w.inherits("QgsAttributeForm") and w.isVisible()
        ]
        if top.inherits("QgsAttributeForm"):
            found.append(top)
        for widget in found:
            form = sip.cast(widget, QgsAttributeForm)
            shown = form.layer()
            if shown is None or shown.id() != lid or not form.feature().isValid():
                continue
            feat = layer.getFeature(form.feature().id())
            if feat.isValid():
                form.setFeature(feat)


# The Python side of the brackets in undo stacks (a stack does not keep the wrapper, whose
# undo()/redo() would otherwise be lost); dropped when the layer's editing stops.
_BRACKETS: dict[str, list[_QuietBracket]] = {}


def _bracket(layer: QgsVectorLayer, opening: bool) -> None:
    """Push one end of a quiet bracket onto the layer's open edit command."""
    lid = layer.id()
    if lid not in _BRACKETS:
        _BRACKETS[lid] = []
        layer.editingStopped.connect(lambda lid=lid: _BRACKETS.pop(lid, None))
    command = _QuietBracket(layer, opening)
    _BRACKETS[lid].append(command)
    layer.undoStack().push(command)


def write_embeddings_to_layer(
    layer: QgsVectorLayer,
    vectors: Mapping[int, Any],
    names: Sequence[str] | None = None,
    valid_fracs: Mapping[int, Any] | None = None,
    store: str = STORE_FIELDS,
) -> int:
    """Write emb_* values of features (fid -> vector, None -> NULLs) as ONE undoable edit command.

    With ``valid_fracs`` the last of ``names`` (default: emb_valid_frac) takes the
    fraction of the area with data; ``store`` "json" writes one emb_json text field instead
    of 768 Double fields. A layer not in edit mode is put in it (and left there, so the user
    can undo or save); the pending edits of a layer already in edit mode are kept. On any
    failure the command is undone and the layer is as before.
    """
    names = _names(names, valid_fracs, store)
    rows = _rows(vectors, names, valid_fracs)  # a bad vector fails before any edit
    was_editing = layer.isEditable()
    if not was_editing and not layer.startEditing():
        raise OSError(tr("{name} cannot be edited.").format(name=layer.name()))
    layer.beginEditCommand(tr("Copernicus-Embed: write {n} embeddings").format(n=len(vectors)))
    _bracket(layer, opening=True)
    try:
        added = set()
        for name in names:
            if layer.fields().indexOf(name) < 0:
                if not layer.addAttribute(_field_for(name)):
                    raise OSError(tr("Could not add the field {field}.").format(field=name))
                added.add(name)
        idx = [layer.fields().indexOf(n) for n in names]
        before = _current_values(layer, rows, idx, added)
        for fid, row in rows.items():
            if not layer.changeAttributeValues(
                fid, dict(zip(idx, row, strict=True)), before.get(fid, {})
            ):
                raise OSError(tr("Could not write feature {fid}.").format(fid=fid))
        _bracket(layer, opening=False)
    except BaseException:
        layer.destroyEditCommand()  # undoes the opening bracket too: the layer speaks again
        layer.blockSignals(False)
        if not was_editing:
            layer.rollBack()
        raise
    layer.endEditCommand()
    hide_embedding_columns(layer)
    layer.triggerRepaint()
    return len(vectors)


def new_layer_with_embeddings(
    layer: QgsVectorLayer,
    vectors: Mapping[int, Any],
    names: Sequence[str] | None = None,
    name: str | None = None,
    valid_fracs: Mapping[int, Any] | None = None,
    store: str = STORE_FIELDS,
) -> QgsVectorLayer:
    """A memory layer: the features of ``vectors`` with their original fields + emb_* values."""
    names = _names(names, valid_fracs, store)
    rows = _rows(vectors, names, valid_fracs)
    wkb = QgsWkbTypes.displayString(layer.wkbType()) or "NoGeometry"
    out = QgsVectorLayer(wkb, name or tr("{name} embeddings").format(name=layer.name()), "memory")
    out.setCrs(layer.crs())
    keep = [f for f in layer.fields() if f.name() not in names]
    emb = [_field_for(n) for n in names]
    out.dataProvider().addAttributes(keep + emb)
    out.updateFields()
    keep_idx = [layer.fields().indexOf(f.name()) for f in keep]
    feats = []
    request = QgsFeatureRequest().setFilterFids([int(f) for f in vectors])
    for src in layer.getFeatures(request):
        feat = QgsFeature(out.fields())
        feat.setGeometry(src.geometry())
        attrs = src.attributes()
        feat.setAttributes([attrs[i] for i in keep_idx] + rows[src.id()])
        feats.append(feat)
    ok, _ = out.dataProvider().addFeatures(feats)
    if not ok:
        raise OSError(tr("Could not fill the new layer."))
    out.updateExtents()
    hide_embedding_columns(out)
    return out


def save_as_geopackage(layer: QgsVectorLayer, path: str, project: QgsProject) -> QgsVectorLayer:
    """Write a (memory) layer to a GeoPackage file and open it from there."""
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = layer.name()
    options.fileEncoding = "UTF-8"
    if os.path.exists(path):
        options.actionOnExistingFile = (
            QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteLayer
        )
    res = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, path, project.transformContext(), options
    )
    if res[0] != QgsVectorFileWriter.WriterError.NoError:
        raise OSError(tr("Could not write {path}: {msg}").format(path=path, msg=res[1]))
    out = QgsVectorLayer(f"{path}|layername={layer.name()}", layer.name(), "ogr")
    if not out.isValid():
        raise OSError(tr("Could not open {path}.").format(path=path))
    return out


@dataclass
class BatchPlan:
    """Where a batch goes: the user's layer (route "layer") or a new memory/GeoPackage layer."""

    layer_id: str
    fids: list
    route: str = ROUTE_LAYER
    path: str = ""
    store: str = STORE_FIELDS


def apply_batch(
    project: QgsProject,
    plan: BatchPlan,
    vectors: Mapping[int, Any],
    valid_fracs: Mapping[int, Any] | None = None,
) -> QgsVectorLayer:
    """Put a batch's vectors (and emb_valid_frac) where the plan says; the layer written."""
    layer = project.mapLayer(plan.layer_id)
    if not isinstance(layer, QgsVectorLayer):
        raise OSError(tr("The layer of the batch was removed from the project."))
    if plan.route == ROUTE_LAYER:
        write_embeddings_to_layer(layer, vectors, valid_fracs=valid_fracs, store=plan.store)
        return layer
    out = new_layer_with_embeddings(layer, vectors, valid_fracs=valid_fracs, store=plan.store)
    if plan.route == ROUTE_GPKG:
        out = save_as_geopackage(out, plan.path, project)
        hide_embedding_columns(out)
    project.addMapLayer(out)
    return out


# --------------------------------------------------------------------------- questions
# Module-level so that tests can replace them (monkeypatch) without a dialog.


def ask_overwrite(parent: QWidget | None, layer: QgsVectorLayer, existing: Sequence[str]) -> bool:
    """Ask whether existing emb_* fields may be overwritten."""
    answer = QMessageBox.question(
        parent,
        tr("Overwrite embeddings?"),
        tr(
            "{name} already has {n} embedding fields ({first}...). Overwrite their values "
            "for the selected features?"
        ).format(name=layer.name(), n=len(existing), first=existing[0]),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_other_route(parent: QWidget | None, layer: QgsVectorLayer, reason: str) -> str | None:
    """Offer a new memory layer or GeoPackage when the layer cannot hold the fields."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(tr("Write embeddings to a new layer?"))
    box.setText(
        tr("{name} cannot hold 768 more fields: {reason}").format(name=layer.name(), reason=reason)
    )
    box.setInformativeText(
        tr("Write the selected features with their fields and emb_000..emb_767 to a new layer?")
    )
    memory = box.addButton(tr("New memory layer"), QMessageBox.ButtonRole.AcceptRole)
    gpkg = box.addButton(tr("New GeoPackage..."), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is memory:
        return ROUTE_MEMORY
    if clicked is gpkg:
        return ROUTE_GPKG
    return None


def ask_gpkg_path(parent: QWidget | None, suggested: str) -> str:
    """Ask where to save the GeoPackage ('' when cancelled)."""
    path, _ = QFileDialog.getSaveFileName(
        parent, tr("Save embeddings as"), suggested, tr("GeoPackage (*.gpkg)")
    )
    if path and not path.lower().endswith(".gpkg"):
        path += ".gpkg"
    return path


def ask_cache(parent: QWidget | None, n_features: int, size: str, folder: str) -> str | None:
    """Ask whether a batch should build the fast cache first: "build", "direct" or None.

    A real QMessageBox (object name RsEmbedCacheQuestion), so that nothing large happens
    without the user knowing.
    """
    box = QMessageBox(parent)
    box.setObjectName("RsEmbedCacheQuestion")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(tr("Prepare the fast cache?"))
    box.setText(
        tr(
            "{n} features: reading them is much faster with the fast cache, which needs "
            "{size} in {folder} and takes a while to build once."
        ).format(n=n_features, size=size, folder=folder)
    )
    box.setInformativeText(tr("Build the cache first, or read the product file directly?"))
    build = box.addButton(
        tr("Build the cache ({size})").format(size=size), QMessageBox.ButtonRole.AcceptRole
    )
    build.setObjectName("RsEmbedBuildCache")
    direct = box.addButton(tr("Read directly"), QMessageBox.ButtonRole.AcceptRole)
    direct.setObjectName("RsEmbedReadDirectly")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("RsEmbedCancelBatch")
    box.setDefaultButton(direct)
    return _answer(box, {"build": build, "direct": direct})


def _answer(box: QMessageBox, answers: dict[str, Any]) -> str | None:
    """Show a question box; the key of the button clicked (None: cancelled or closed)."""
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return next((key for key, button in answers.items() if clicked is button), None)


def ask_remove_cache(
    parent: QWidget | None, size: str, folder: str, index_size: str, index_folder: str
) -> str | None:
    """Ask whether *Remove cache* also removes the search index: "cache", "both" or None.

    A real QMessageBox (object name RsEmbedRemoveCacheQuestion): the index takes minutes
    to build again.
    """
    box = QMessageBox(parent)
    box.setObjectName("RsEmbedRemoveCacheQuestion")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(tr("Remove the fast cache?"))
    box.setText(
        tr(
            "The fast cache ({size}, {folder}) makes reads fast; the search index "
            "({index_size}, {index_folder}) makes fast similarity searches and takes minutes "
            "to build again."
        ).format(size=size, folder=folder, index_size=index_size, index_folder=index_folder)
    )
    box.setInformativeText(tr("Remove the cache only, or the cache and the search index?"))
    only = box.addButton(tr("Remove the cache only"), QMessageBox.ButtonRole.AcceptRole)
    only.setObjectName("RsEmbedRemoveCacheOnly")
    both = box.addButton(
        tr("Remove the cache and the index ({size})").format(size=index_size),
        QMessageBox.ButtonRole.DestructiveRole,
    )
    both.setObjectName("RsEmbedRemoveCacheAndIndex")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("RsEmbedRemoveCacheCancel")
    box.setDefaultButton(only)
    return _answer(box, {"cache": only, "both": both})
