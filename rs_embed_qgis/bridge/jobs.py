# SPDX-License-Identifier: GPL-2.0-or-later
"""One job layer for the dock and the Processing algorithms: QGIS inputs -> core request -> results.

Everything the dock's tasks and the algorithms share lives here, so that they cannot drift:
the spec of an extent, a point or a set of features (any CRS, antimeridian handled once),
the core call (GDAL reader or fast cache, never a download inside QGIS: the plugin
downloads through QGIS's network stack), and the per-feature outcome. Functions here run
in worker threads (QgsTask.run / Processing): they never touch widgets or the project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsPointXY,
    QgsRectangle,
)

from rs_embed_qgis.bridge.geometry import (
    REGION_POLYGON,
    extent_to_lonlat_box,
    features_to_specs,
    lonlat_box_to_spec,
    point_to_spec,
)
from rs_embed_qgis.core.adapter import Embedding, get_embedding, get_embeddings_batch
from rs_embed_qgis.core.constants import SUPPORTED_YEARS
from rs_embed_qgis.core.errors import NoCoverageError
from rs_embed_qgis.core.grid import LonLatBox
from rs_embed_qgis.core.specs import OutputSpec, SpatialSpec, TemporalSpec
from rs_embed_qgis.i18n import tr

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


def year_spec(year: int | None = None) -> TemporalSpec:
    """The requested year (default: the only one the product has) as a temporal spec."""
    return TemporalSpec.year(SUPPORTED_YEARS[0] if year is None else int(year))


@dataclass
class AreaRequest:
    """An extent or a point turned into a core spec, with the EPSG:4326 box that was asked."""

    spec: SpatialSpec
    box: LonLatBox | None = None


def extent_request(
    rect: QgsRectangle,
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None = None,
    expand_deg: float = 0.0,
) -> AreaRequest:
    """A rectangle in any CRS -> BBox (or a polygon across the antimeridian), expand applied."""
    box = extent_to_lonlat_box(rect, crs, context)
    return AreaRequest(lonlat_box_to_spec(box, expand_deg), box)


def point_request(
    point: QgsPointXY,
    crs: QgsCoordinateReferenceSystem,
    buffer_m: float,
    context: QgsCoordinateTransformContext | None = None,
) -> AreaRequest:
    """A clicked point in any CRS and a buffer (metres) -> PointBuffer in EPSG:4326."""
    return AreaRequest(point_to_spec(point, crs, buffer_m, context))


def embed_area(
    request: AreaRequest,
    output: OutputSpec,
    data_dir: str,
    expand_deg: float,
    cancel: CancelFn | None = None,
    year: int | None = None,
) -> Embedding:
    """Embed one extent or point: a pooled vector, or a (d, y, x) NumPy grid with its meta."""
    emb = get_embedding(
        spatial=request.spec,
        temporal=year_spec(year),
        output=output,
        data_dir=data_dir,
        expand_deg=expand_deg,
        download=False,
        grid_format="numpy",
        cancel=cancel,
    )
    if request.box is not None and emb.meta.get("spatial") == "Polygon":
        # Across the antimeridian the core got a polygon; record the box that was asked.
        emb.meta["requested_bbox"] = tuple(float(v) for v in request.box)
        emb.meta["expand_deg"] = expand_deg
    return emb


@dataclass
class FeatureResults:
    """Per feature, in input order: the vector (or None), its meta, and why it failed."""

    vectors: list[Any] = field(default_factory=list)
    metas: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    kinds: list[str | None] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_embedded(self) -> int:
        """Features that got a vector."""
        return sum(v is not None for v in self.vectors)

    @property
    def n_failed(self) -> int:
        """Features left without a vector."""
        return len(self.vectors) - self.n_embedded


# Why a feature has no vector: no geometry, no data under it, or an unusable geometry.
FAIL_GEOMETRY = "geometry"
FAIL_COVERAGE = "coverage"
FAIL_OTHER = "other"


def _failure_kind(feat: QgsFeature, error_type: str | None) -> str:
    geom = feat.geometry()
    if geom is None or geom.isNull() or geom.isEmpty():
        return FAIL_GEOMETRY
    if error_type == NoCoverageError.__name__:
        return FAIL_COVERAGE
    return FAIL_OTHER


def embed_features(
    features: Iterable[QgsFeature],
    crs: QgsCoordinateReferenceSystem,
    context: QgsCoordinateTransformContext | None,
    *,
    output: OutputSpec,
    data_dir: str,
    buffer_m: float,
    region: str = REGION_POLYGON,
    expand_deg: float = 0.0,
    prepare_cache: bool | str = False,
    year: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> FeatureResults:
    """Embed features (polygons exactly, points with a buffer); failures kept per feature.

    Geometries are converted here, in the caller's (worker) thread. Raises CancelledError
    when cancelled and RsEmbedError for what concerns the whole request (no data file).
    """
    report = progress or (lambda f, m: None)
    feats: Sequence[QgsFeature] = list(features)
    report(0.0, tr("Converting {0} geometries to EPSG:4326").format(len(feats)))
    specs = features_to_specs(feats, crs, context, buffer_m, region, expand_deg)
    todo = [i for i, s in enumerate(specs) if not isinstance(s, Exception)]
    out = FeatureResults(
        vectors=[None] * len(feats),
        metas=[{} for _ in feats],
        errors=[None] * len(feats),
        kinds=[None] * len(feats),
    )
    for i, s in enumerate(specs):
        if isinstance(s, Exception):
            out.errors[i] = str(s)
            out.kinds[i] = _failure_kind(feats[i], type(s).__name__)
    if todo:
        embs = get_embeddings_batch(
            spatials=[specs[i] for i in todo],  # type: ignore[misc]
            temporal=year_spec(year),
            output=output,
            data_dir=data_dir,
            expand_deg=expand_deg,
            download=False,
            prepare_cache=prepare_cache,
            on_error="skip",
            progress=lambda f, m: report(0.05 + 0.95 * f, m),
            cancel=cancel,
        )
        seen: set[str] = set()
        for i, emb in zip(todo, embs, strict=True):
            out.vectors[i] = emb.data
            out.metas[i] = emb.meta
            for w in emb.meta.get("warnings", ()):
                if w not in seen:
                    seen.add(w)
                    out.warnings.append(w)
            if emb.data is None:
                out.errors[i] = str(emb.meta.get("error", ""))
                out.kinds[i] = _failure_kind(feats[i], emb.meta.get("error_type"))
    report(1.0, tr("Done"))
    return out
