"""Data directory, missing and bad files: resolution order, error messages, no partial result."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine

from rs_embed_qgis.core import (
    BBox,
    CorruptDataError,
    DataError,
    DataNotFoundError,
    NoCoverageError,
    OutputSpec,
    PointBuffer,
    RsEmbedError,
    SensorSpec,
    TemporalSpec,
    get_embedding,
    get_embeddings_batch,
)
from tests import product
from tests.core import expected as ex
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

Y2021 = TemporalSpec.year(2021)
# TorchGeo 0.9's torchgeo/datasets/copernicus/embed.py, copied literally.
TORCHGEO_URL = (
    "https://hf.co/datasets/torchgeo/copernicus_embed/resolve/"
    "435b4a7bdce6f6fdbf4272f9d6e54f2604f35fdb/embed_map_310k.tif"
)
LAND = PointBuffer(lon=10.1, lat=50.07, buffer_m=5000)


def embed(spatial=LAND, **kw):
    kw.setdefault("temporal", Y2021)
    kw.setdefault("reader", "torchgeo")
    kw.setdefault("download", False)  # the core's default is True; a download is not the subject
    return get_embedding("copernicus_embed", spatial=spatial, **kw)


def _linked_dir(path: Path, europe_dir: Path) -> Path:
    """A data directory whose product file is a symlink to the Europe fixture."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "embed_map_310k.tif").symlink_to(ex.product_file(europe_dir))
    return path


# --------------------------------------------------------------------------- data directory


@pytest.fixture(scope="module")
def _linked_dirs(tmp_path_factory: pytest.TempPathFactory, europe_dir: Path) -> dict:
    """One data dir per level (kept for the module so TorchGeo's datasets are reused)."""
    root = tmp_path_factory.mktemp("precedence")
    dirs = {k: _linked_dir(root / k, europe_dir) for k in ("kw", "sensor", "env")}
    dirs["cwd"] = root / "cwd"
    dirs["default"] = _linked_dir(dirs["cwd"] / "data" / "copernicus_embed", europe_dir)
    return dirs


@pytest.fixture
def four_dirs(_linked_dirs: dict, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Keyword, sensor and env-var dirs, and ./data/copernicus_embed under the cwd."""
    monkeypatch.chdir(_linked_dirs["cwd"])
    monkeypatch.setenv("RS_EMBED_COP_DIR", str(_linked_dirs["env"]))
    return _linked_dirs


def test_data_dir_keyword_wins(four_dirs: dict) -> None:
    emb = embed(
        data_dir=four_dirs["kw"], sensor=SensorSpec(collection=f"dir:{four_dirs['sensor']}")
    )
    assert emb.meta["data_dir"] == str(four_dirs["kw"])


def test_sensor_collection_dir_beats_the_env_var(four_dirs: dict) -> None:
    emb = embed(sensor=SensorSpec(collection=f"dir:{four_dirs['sensor']}"))
    assert emb.meta["data_dir"] == str(four_dirs["sensor"])
    batch = get_embeddings_batch(
        spatials=[LAND], temporal=Y2021, sensor=SensorSpec(collection=f"dir:{four_dirs['sensor']}"),
        reader="torchgeo", download=False,
    )  # fmt: skip
    assert batch[0].meta["data_dir"] == str(four_dirs["sensor"])


def test_env_var_beats_the_default(four_dirs: dict) -> None:
    assert embed().meta["data_dir"] == str(four_dirs["env"])
    # A collection that is not a "dir:" override is ignored.
    emb = embed(sensor=SensorSpec(collection="COPERNICUS/S2_SR"))
    assert emb.meta["data_dir"] == str(four_dirs["env"])


def test_default_is_data_copernicus_embed(four_dirs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RS_EMBED_COP_DIR")
    emb = embed()
    assert emb.meta["data_dir"] == str(four_dirs["default"])
    assert emb.meta["data_dir"].endswith(os.path.join("data", "copernicus_embed"))


def test_env_var_is_used_even_when_the_default_has_a_file(
    four_dirs: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "env_empty"
    monkeypatch.setenv("RS_EMBED_COP_DIR", str(empty))
    with pytest.raises(DataNotFoundError) as ei:
        embed()
    assert str(empty) in str(ei.value)


# --------------------------------------------------------------------------- missing file


@pytest.mark.parametrize("served", ["404", "bad_checksum"])
def test_missing_file_download_fails_says_where_and_how(
    served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """download=True is the subject: served from a loopback server, never the internet."""
    pytest.importorskip("torchgeo")
    from rs_embed_qgis.core.dataset import copernicus_embed_class

    routes = {} if served == "404" else {"/embed_map_310k.tif": (200, b"II*\0 not the product")}
    empty = tmp_path / "nothing"
    with ex.loopback_http(routes) as (base, asked):
        monkeypatch.setattr(copernicus_embed_class(), "url", f"{base}/embed_map_310k.tif")
        with pytest.raises(DataNotFoundError) as ei:
            embed(data_dir=empty, download=True)
    assert "/embed_map_310k.tif" in asked  # the download really was attempted, here
    err = ei.value
    assert isinstance(err, DataError) and isinstance(err, RsEmbedError)
    assert isinstance(err, FileNotFoundError)
    msg = str(err)
    assert str(empty) in msg  # the directory searched
    assert "embed_map_310k.tif" in msg  # the expected file name
    assert TORCHGEO_URL in msg  # where to get it
    assert "by hand" in msg and os.path.join(str(empty), "embed_map_310k.tif") in msg
    assert "could not be downloaded" in msg  # the download was attempted and failed
    assert os.listdir(empty) == []  # nothing partial left behind (no .part either)


def test_missing_file_without_download(tmp_path: Path) -> None:
    empty = tmp_path / "mistyped" / "nothing"
    with pytest.raises(DataNotFoundError) as ei:
        embed(data_dir=empty, download=False)
    msg = str(ei.value)
    assert str(empty) in msg and "embed_map_310k.tif" in msg and TORCHGEO_URL in msg
    assert not (tmp_path / "mistyped").exists()  # no stray folder at a mistyped path


def test_missing_file_in_a_batch(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="embed_map_310k.tif"):
        get_embeddings_batch(
            spatials=[LAND], temporal=Y2021, data_dir=tmp_path / "nothing", download=False
        )


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("keep", [0.02, 0.5, 0.95])
def test_truncated_file_is_corrupt_data(keep: float, tmp_path: Path, europe_dir: Path) -> None:
    d = tmp_path / "trunc"
    d.mkdir()
    bad = product.write_corrupt_copy(ex.product_file(europe_dir), d / "embed_map_310k.tif", keep)
    for output in ("pooled", "grid"):
        with pytest.raises(CorruptDataError) as ei:
            embed(
                BBox(-10.0, 40.3, 29.8, 59.9), data_dir=d, expand_deg=0, output=OutputSpec(output)
            )
        msg = str(ei.value)
        assert str(bad) in msg
        assert "delete" in msg.lower() and "download it again" in msg.lower()
    assert isinstance(ei.value, DataError)


def _write_tif(path: Path, count: int, height: int, width: int, res: float = 0.25, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "dtype": kw.pop("dtype", "float32"),
        "count": count,
        "height": height,
        "width": width,
        "crs": kw.pop("crs", "EPSG:4326"),
        "transform": kw.pop("transform", Affine(res, 0, -10.125, 0, -res, 60.125)),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((count, height, width), dtype=profile["dtype"]))
    return path


@pytest.mark.parametrize(
    "kind, make, words",
    [
        ("bands", lambda p: _write_tif(p, 3, 16, 16), ("3 bands", "768")),
        ("pixel", lambda p: _write_tif(p, 768, 8, 8, res=0.5), ("pixel size", "0.25")),
        ("dtype", lambda p: _write_tif(p, 768, 4, 4, dtype="uint8"), ("uint8", "float32")),
        (
            "shape",
            lambda p: _write_tif(
                p, 768, 722, 1, transform=Affine(0.25, 0, 0.125, 0, -0.25, 90.125)
            ),
            ("722x1", "721x1440"),
        ),
        (
            "crs",
            lambda p: _write_tif(
                p, 768, 4, 4, crs="EPSG:3857", transform=Affine(1000, 0, 0, 0, -1000, 0)
            ),
            ("CRS", "EPSG:4326"),
        ),
    ],
)
def test_file_of_wrong_format_is_corrupt_data(
    kind: str, make, words: tuple, tmp_path: Path
) -> None:
    d = tmp_path / f"bad_{kind}"
    bad = make(d / "embed_map_bad.tif")
    with pytest.raises(CorruptDataError) as ei:
        embed(data_dir=d)
    msg = str(ei.value)
    assert str(bad) in msg and "not a Copernicus-Embed file" in msg
    for w in words:
        assert w in msg


def test_bbox_that_misses_the_file_is_no_coverage(europe_dir: Path) -> None:
    for box in (BBox(100.0, 40.0, 101.0, 41.0), BBox(-10.0, -30.0, 0.0, -20.0)):
        with pytest.raises(NoCoverageError):
            embed(spatial=box, data_dir=europe_dir)


# --------------------------------------------------------------------------- finding the file


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"II*\0")
    return path


def test_partial_downloads_and_deep_files_are_never_taken(tmp_path: Path) -> None:
    from rs_embed_qgis.core.dataset import find_product_candidates, find_product_file

    root = tmp_path / "data"
    for name in (
        "embed_map_310k.tif.part",
        "embed_map_310k.tif.crdownload",
        "embed_map_310k.tif.tmp",
        "embed_map_310k.tif.download",
        "embed_map_310k.tif.aux.xml",
    ):
        _touch(root / name)
    _touch(root / "a" / "b" / "embed_map_310k.tif")  # two levels down: not looked at
    assert find_product_candidates(root) == []
    assert find_product_file(root) is None
    older = _touch(root / "embed_map_100k.tif")
    child = _touch(root / "copernicus_embed" / "embed_map_310k.tif")
    # The exact name wins, even one level down; the others stay available for a warning.
    assert find_product_candidates(root) == [child, older]
    assert find_product_file(root) == child
    exact = _touch(root / "embed_map_310k.tif")
    assert find_product_candidates(root) == [exact, child, older]
    assert find_product_file(exact) == exact  # a file path is taken as it is


def test_only_geotiff_names_are_candidates(tmp_path: Path) -> None:
    from rs_embed_qgis.core.dataset import find_product_candidates

    root = tmp_path / "data"
    for name in (
        "embed_map_310k.tif.stamp.json",  # the synthetic generator's stamp
        "embed_map_310k.tif.lock",
        "embed_map_310k.lock",
        "embed_map_310k.json",
        "embed_map_310k.stamp",
        "embed_map_310k.tif.ovr",
        "embed_map_310k.tif.msk",
        "embed_map_310k.tif.part.1",
        "embed_map_310k.tif.tmp-123.tif",  # a temporary name that happens to end in .tif
        "embed_map_310k.tif.sha256",
        "embed_map_310k.tif~",
        "embed_map_310k.zip",
        "embed_map_310k",
        "embed_map_310k.vrt",
        "embed_map_310k.nc",
        "my_embed_map_310k.tif",  # not the product's glob
    ):
        _touch(root / name)
    assert find_product_candidates(root) == []
    upper = _touch(root / "copernicus_embed" / "EMBED_MAP_310K.TIF")
    assert find_product_candidates(root) == []  # the glob is case-sensitive, as TorchGeo's
    upper.unlink()
    tiff = _touch(root / "embed_map_310k.TIFF")
    tif = _touch(root / "embed_map_100k.Tif")
    assert find_product_candidates(root) == [tif, tiff]


def test_generator_side_files_give_one_candidate_and_no_warning(
    tmp_path: Path, europe_dir: Path
) -> None:
    from rs_embed_qgis.core.dataset import find_product_candidates

    data = _linked_dir(tmp_path / "data", europe_dir)
    for suffix in (".stamp.json", ".lock", ".aux.xml", ".part"):
        (data / f"embed_map_310k.tif{suffix}").write_text("{}")
    (data / ".lock").write_text("")
    assert find_product_candidates(data) == [data / "embed_map_310k.tif"]
    emb = embed(data_dir=data, reader="gdal")
    assert emb.meta["file"] == str((data / "embed_map_310k.tif").resolve())
    assert "warnings" not in emb.meta  # no "Several Copernicus-Embed files were found"
    np.testing.assert_array_equal(emb.data, embed(data_dir=europe_dir, reader="gdal").data)


def test_unlistable_folder_is_a_permission_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rs_embed_qgis.core import dataset

    root = tmp_path / "locked"
    root.mkdir()

    def denied(path: str) -> list[str]:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(dataset.os, "listdir", denied)
    with pytest.raises(DataError) as ei:
        dataset.find_product_file(root)
    assert f"Permission denied: {root}" in str(ei.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_and_folder_say_permission_denied(europe_dir: Path, tmp_path: Path) -> None:
    from rs_embed_qgis.core.dataset import find_product_file, inspect_product_file

    d = tmp_path / "perm"
    d.mkdir()
    tif = d / "embed_map_310k.tif"
    tif.write_bytes(ex.product_file(europe_dir).read_bytes())
    tif.chmod(0)
    try:
        with pytest.raises(DataError) as ei:
            find_product_file(d)
        assert f"Permission denied: {tif}" in str(ei.value)
        with pytest.raises(DataError) as ei:
            inspect_product_file(tif)
        assert "Permission denied" in str(ei.value) and "delete" not in str(ei.value).lower()
        tif.chmod(0o644)
        d.chmod(0)
        with pytest.raises(DataError, match="Permission denied"):
            find_product_file(d)
    finally:
        d.chmod(0o755)
        tif.chmod(0o644)


def test_corrupt_message_does_not_ask_to_delete_an_unreadable_file(tmp_path: Path) -> None:
    from rs_embed_qgis.core.dataset import corrupt_message

    f = tmp_path / "embed_map_310k.tif"
    f.write_bytes(b"II*\0")
    msg = corrupt_message(f, "TIFFReadDirectory: Permission denied")
    assert "Permission denied" in msg and str(f) in msg
    assert "delete" not in msg.lower()
    msg = corrupt_message(f, "TIFFReadEncodedTile() failed")
    assert "delete it" in msg.lower() and "download it again" in msg.lower()


def test_inspect_reads_the_grid_with_gdal(europe_dir: Path, strip_dir: Path) -> None:
    from rs_embed_qgis.core.dataset import inspect_product_file

    eu = inspect_product_file(ex.product_file(europe_dir))
    assert (eu.row_off, eu.col_off, eu.height, eu.width) == (120, 680, 80, 160)
    assert inspect_product_file(ex.product_file(europe_dir)) is eu  # cached per identity
    strip = inspect_product_file(strip_dir / "embed_map_310k.tif")
    assert (strip.row_off, strip.col_off, strip.height, strip.width) == (80, 0, 20, 1440)


def test_not_a_tiff_is_corrupt_data(tmp_path: Path) -> None:
    from rs_embed_qgis.core.dataset import inspect_product_file

    f = tmp_path / "embed_map_310k.tif"
    f.write_text("<html>404 Not Found</html>")
    with pytest.raises(CorruptDataError) as ei:
        inspect_product_file(f)
    assert str(f) in str(ei.value) and "download it again" in str(ei.value)


# --------------------------------------------------------------------------- TorchGeo pool


def test_torchgeo_datasets_are_lent_not_tied_to_threads(europe_dir: Path) -> None:
    pytest.importorskip("torchgeo")
    import threading

    from rs_embed_qgis.core.dataset import borrow_dataset

    d = str(europe_dir)
    with borrow_dataset(d, download=False) as a:
        with borrow_dataset(d, download=False) as b:
            assert a is not b  # in use at the same time: two instances
    got: list[object] = []

    def other_thread() -> None:
        with borrow_dataset(d, download=False) as c:
            got.append(c)

    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert got[0] in (a, b)  # a free instance is reused by any thread
    with borrow_dataset(d, download=False) as again:
        minx, maxy = -180.125 + 0.25 * 700, 90.125 - 0.25 * 150
        chw = again[minx : minx + 0.25, maxy - 0.25 : maxy]["image"].numpy()
    want = product.pixel_values(np.array([150]), np.array([700]))[0]
    np.testing.assert_array_equal(chw[:, 0, 0], want)
