"""RequestTooLargeError through get_embedding: the limit is the exact grid size, by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rs_embed_qgis.core import BBox, OutputSpec, TemporalSpec, get_embedding
from rs_embed_qgis.core.errors import RequestTooLargeError, RsEmbedError
from tests import product
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

Y2021 = TemporalSpec.year(2021)
BOX = BBox(10.0, 50.0, 10.2, 50.2)


def hand_window(minlon: float, minlat: float, maxlon: float, maxlat: float) -> tuple:
    """Rows/cols of the cells a box overlaps: cell edges at -180.125 + 0.25k, 90.125 - 0.25k."""
    c0 = math.floor((minlon + 180.125) / 0.25)
    c1 = math.ceil((maxlon + 180.125) / 0.25)
    r0 = math.floor((90.125 - maxlat) / 0.25)
    r1 = math.ceil((90.125 - minlat) / 0.25)
    return r0, r1, c0, c1


def embed(**kw):
    return get_embedding(spatial=BOX, temporal=Y2021, expand_deg=0.0, download=False, **kw)


def test_grid_limit_is_the_exact_grid_size(europe_dir: Path) -> None:
    r0, r1, c0, c1 = hand_window(*BOX.as_tuple())
    assert (r0, r1, c0, c1) == (159, 161, 760, 762)
    nbytes = (r1 - r0) * (c1 - c0) * 768 * 4  # 12288
    emb = embed(data_dir=europe_dir, output=OutputSpec.grid(), max_grid_bytes=nbytes)
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    np.testing.assert_array_equal(
        np.moveaxis(np.asarray(emb.data), 0, -1), product.pixel_values(rr, cc)
    )
    with pytest.raises(RequestTooLargeError) as ei:
        embed(data_dir=europe_dir, output=OutputSpec.grid(), max_grid_bytes=nbytes - 1)
    assert isinstance(ei.value, RsEmbedError)
    msg = str(ei.value)
    assert "2x2x768" in msg and "smaller area" in msg and "pooled" in msg


def test_whole_globe_grid_is_over_the_default_limit(tmp_path: Path) -> None:
    """A whole-globe grid (721 x 1440 x 768 float32 = 3.2 GB) is over the default 2 GB."""
    assert 721 * 1440 * 768 * 4 > 2 * 1024**3
    d = tmp_path / "data"
    product.write_product(d / "embed_map_310k.tif", 150, 152, 760, 762)
    with pytest.raises(RequestTooLargeError, match="over the limit of 2048 MB"):
        get_embedding(
            spatial=BBox(-180.0, -90.0, 180.0, 90.0),
            temporal=Y2021,
            output=OutputSpec.grid(),
            data_dir=d,
            download=False,
        )


def test_pooled_output_has_no_grid_limit(europe_dir: Path) -> None:
    emb = embed(data_dir=europe_dir, max_grid_bytes=1)
    r0, r1, c0, c1 = hand_window(*BOX.as_tuple())
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    want = product.pixel_values(rr, cc).reshape(-1, 768).astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(emb.data, want, rtol=1e-6, atol=1e-7)
