"""Odd polygons (a spike, self-touching and crossing rings, an unclosed ring, zero area) in a
batch: through the bridge and through rs_embed:embed_features on a memory layer.

Each either pools right (equal to the area-weighted oracle of the polygon written by hand
without its oddity, tests/core/expected.py) or is kept with NULL and its reason; the
others of the batch always get their values.
"""

from __future__ import annotations

import numpy as np
import pytest
from qgis.core import (
    NULL,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

from rs_embed_qgis.bridge.geometry import geometry_to_spec
from rs_embed_qgis.bridge.jobs import embed_features
from rs_embed_qgis.bridge.outputs import embedding_field_names, field_type
from rs_embed_qgis.core.errors import InvalidGeometryError
from rs_embed_qgis.core.specs import OutputSpec
from rs_embed_qgis.processing.provider import RsEmbedProvider
from tests.core.expected import no_outbound_network, polygon_oracle  # noqa: F401

RTOL, ATOL = 1e-6, 5e-6
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")

# label -> (WKT as stored in the layer, WKT of what it must pool as, or None for NULL;
# words the reason must hold when NULL)
ODD = {
    "square": ("POLYGON((10 50, 11 50, 11 51, 10 51, 10 50))", "same", ()),
    # the ring runs up to (10.5 52) and back down the same line: a zero-area spike
    "spike": (
        "POLYGON((10 50, 11 50, 11 51, 10.5 51, 10.5 52, 10.5 51, 10 51, 10 50))",
        "POLYGON((10 50, 11 50, 11 51, 10 51, 10 50))",
        (),
    ),
    # the ring touches itself at (12 51): two triangles
    "touching": (
        "POLYGON((12 50, 14 50, 13 51, 14 52, 12 52, 13 51, 12 50))",
        "MULTIPOLYGON(((12 50, 14 50, 13 51, 12 50)), ((13 51, 14 52, 12 52, 13 51)))",
        (),
    ),
    # a bow tie: the edges cross at (16 51)
    "bowtie": (
        "POLYGON((15 50, 17 52, 17 50, 15 52, 15 50))",
        "MULTIPOLYGON(((15 50, 16 51, 15 52, 15 50)), ((17 50, 17 52, 16 51, 17 50)))",
        (),
    ),
    "unclosed": ("POLYGON((10 53, 11 53, 11 54, 10 54))", None, ("not closed",)),
    "flat": ("POLYGON((10 55, 11 55, 12 55, 10 55))", None, ("no area",)),
}


def odd_layer() -> QgsVectorLayer:
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "odd", "memory")
    layer.dataProvider().addAttributes([QgsField("label", field_type("String"))])
    layer.updateFields()
    feats = []
    for label, (wkt, _, _) in ODD.items():
        f = QgsFeature(layer.fields())
        f["label"] = label
        g = QgsGeometry.fromWkt(wkt)
        assert not g.isNull(), wkt
        f.setGeometry(g)
        feats.append(f)
    assert layer.dataProvider().addFeatures(feats)[0]
    # the memory layer keeps each ring as drawn (the unclosed one too)
    got = {f["label"]: f.geometry() for f in layer.getFeatures()}
    assert not got["unclosed"].constGet().exteriorRing().isClosed()
    return layer


def expected(label: str) -> np.ndarray | None:
    wkt, want, _ = ODD[label]
    if want is None:
        return None
    vec, frac = polygon_oracle(wkt if want == "same" else want)
    assert frac == 1.0 and vec is not None
    return vec


@pytest.mark.parametrize("label", ["unclosed", "flat"])
def test_refused_odd_polygons_say_why(qgis_new_project, label):
    wkt, _, words = ODD[label]
    with pytest.raises(InvalidGeometryError) as info:
        geometry_to_spec(QgsGeometry.fromWkt(wkt), WGS84, QgsCoordinateTransformContext())
    assert all(w in str(info.value) for w in words), str(info.value)


def test_odd_polygons_through_the_bridge(qgis_new_project, europe_dir):
    layer = odd_layer()
    feats = list(layer.getFeatures())
    res = embed_features(
        feats,
        WGS84,
        QgsCoordinateTransformContext(),
        output=OutputSpec.pooled("mean"),
        data_dir=str(europe_dir),
        buffer_m=0.0,
    )
    for i, f in enumerate(feats):
        label = f["label"]
        want = expected(label)
        if want is None:
            assert res.vectors[i] is None, label
            assert all(w in (res.errors[i] or "") for w in ODD[label][2]), (label, res.errors[i])
        else:
            assert res.errors[i] is None, (label, res.errors[i])
            np.testing.assert_allclose(res.vectors[i], want, rtol=RTOL, atol=ATOL, err_msg=label)


class Feedback(QgsProcessingFeedback):
    """Keeps warnings and infos."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def pushWarning(self, text: str) -> None:  # noqa: N802 - QGIS API
        self.lines.append(text)

    def pushInfo(self, text: str) -> None:  # noqa: N802
        self.lines.append(text)


@pytest.fixture(scope="module")
def provider(qgis_processing):
    prov = RsEmbedProvider()
    assert QgsApplication.processingRegistry().addProvider(prov)
    yield prov
    QgsApplication.processingRegistry().removeProvider(prov)


def test_odd_polygons_through_processing(provider, europe_dir):
    import processing

    layer = odd_layer()
    fids = {f["label"]: f.id() for f in layer.getFeatures()}
    fb = Feedback()
    res = processing.run(
        "rs_embed:embed_features",
        {"INPUT": layer, "DATA_DIR": str(europe_dir), "OUTPUT": "memory:"},
        feedback=fb,
    )
    out = res["OUTPUT"]
    assert out.featureCount() == len(ODD)
    names = embedding_field_names()
    refused = [k for k, v in ODD.items() if v[1] is None]
    assert (res["EMBEDDED"], res["SKIPPED"]) == (len(ODD) - len(refused), len(refused))
    for f in out.getFeatures():
        label = f["label"]
        vals = [f[n] for n in names]
        want = expected(label)
        if want is None:
            assert all(v == NULL for v in vals), label
            said = [ln for ln in fb.lines if ln.startswith(f"Feature {fids[label]}:")]
            assert len(said) == 1 and all(w in said[0] for w in ODD[label][2]), (label, said)
        else:
            got = np.array(vals, dtype=np.float64)
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=label)
            assert f["emb_valid_frac"] == pytest.approx(1.0)


def test_an_unexpected_failure_of_one_geometry_is_its_reason(qgis_new_project, monkeypatch):
    """Whatever goes wrong converting one feature stays that feature's reason."""
    import rs_embed_qgis.bridge.geometry as bg

    real = bg.geometry_to_spec

    def flaky(geom, *args, **kwargs):
        if geom.area() == 4.0:
            raise AttributeError("'bool' object has no attribute 'isNull'")
        return real(geom, *args, **kwargs)

    monkeypatch.setattr(bg, "geometry_to_spec", flaky)
    feats = []
    for wkt in ("POLYGON((0 0, 2 0, 2 2, 0 2, 0 0))", "POLYGON((10 50, 11 50, 11 51, 10 50))"):
        f = QgsFeature()
        f.setGeometry(QgsGeometry.fromWkt(wkt))
        feats.append(f)
    bad, good = bg.features_to_specs(feats, WGS84, QgsCoordinateTransformContext())
    assert isinstance(bad, InvalidGeometryError)
    assert "AttributeError" in str(bad) and "isNull" in str(bad)
    assert good.bounds == (10.0, 50.0, 11.0, 51.0)
