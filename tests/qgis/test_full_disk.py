"""A full disk while writing results (issue 18, item 2): the run fails in one sentence that
names the cause, and nothing stays (no temporary file, no .aux.xml, no partial output).

A real full disk: a 2 MB tmpfs mounted for the test (root only: mounting needs the
privilege), nearly filled by a filler file. Without root the same path is taken through a
file size limit (RLIMIT_FSIZE) in a child process: its writes fail with EFBIG.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from qgis.core import (
    QgsApplication,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsRectangle,
    QgsVectorLayer,
)

from rs_embed_qgis.bridge.outputs import OutputError, write_grid_geotiff, write_rgb_geotiff
from rs_embed_qgis.core.errors import RsEmbedError
from rs_embed_qgis.processing.provider import RsEmbedProvider
from tests.core.expected import no_outbound_network  # noqa: F401 - autouse guard

ROOT = Path(__file__).resolve().parents[2]
FILLER = "filler.bin"
# Free bytes left on the disk: room for a GeoTIFF header, not for any result.
LEFT_FREE = 16 * 1024


def grid(bands: int = 768, h: int = 24, w: int = 24) -> tuple[np.ndarray, dict]:
    """Incompressible float32 numbers (DEFLATE cannot shrink them below 1.7 MB)."""
    arr = np.random.default_rng(7).standard_normal((bands, h, w)).astype(np.float32)
    meta = {"bbox_4326": (10.0, 45.0, 10.0 + 0.25 * w, 45.0 + 0.25 * h), "year": 2021}
    return arr, meta


@pytest.fixture()
def full_disk(tmp_path: Path):
    """A folder on a 2 MB tmpfs with LEFT_FREE bytes free (unmounted afterwards)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; test_file_size_limit covers the same path")
    mnt = tmp_path / "small_disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"tmpfs not mountable here: {done.stderr.strip()}")
    try:
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        with open(mnt / FILLER, "wb") as f:
            f.write(b"\0" * (free - LEFT_FREE))
        assert 0 < os.statvfs(mnt).f_bavail * st.f_frsize <= 2 * LEFT_FREE
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != FILLER)


def test_grid_on_a_full_disk_leaves_nothing(full_disk: Path) -> None:
    arr, meta = grid()
    out = full_disk / "grid.tif"
    with pytest.raises(OutputError) as info:
        write_grid_geotiff(arr, str(out), meta)
    text = str(info.value)
    assert isinstance(info.value, RsEmbedError)
    assert f"no space left on the disk of {full_disk}" in text, text
    assert "grid.tif" in text and "\n" not in text
    assert left_in(full_disk) == []


def test_existing_output_survives_a_failed_rewrite(full_disk: Path) -> None:
    """The old file of that name is replaced only by a complete new one."""
    arr, meta = grid(bands=4, h=8, w=8)
    os.remove(full_disk / FILLER)
    out = write_rgb_geotiff(arr, str(full_disk / "rgb.tif"), meta)
    before = Path(out).read_bytes()
    st = os.statvfs(full_disk)
    with open(full_disk / FILLER, "wb") as f:
        f.write(b"\0" * (st.f_bavail * st.f_frsize - LEFT_FREE))
    big, meta = grid()
    with pytest.raises(OutputError, match="no space left"):
        write_grid_geotiff(big, out, meta)
    assert Path(out).read_bytes() == before
    assert left_in(full_disk) == ["rgb.tif"]


@pytest.fixture(scope="module")
def provider(qgis_processing):
    prov = RsEmbedProvider()
    assert QgsApplication.processingRegistry().addProvider(prov)
    yield prov
    QgsApplication.processingRegistry().removeProvider(prov)


def points() -> QgsVectorLayer:
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "refs", "memory")
    feats = []
    for lon, lat in ((10.0, 50.0), (5.0, 52.5)):
        f = QgsFeature()
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(lon, lat)))
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    return layer


@pytest.mark.parametrize(
    "alg, params",
    [
        ("rs_embed:embed_extent", {"EXTENT": "0,20,45,55 [EPSG:4326]", "EXPAND_DEG": 0.0}),
        ("rs_embed:similarity_map", {"REFERENCES": "points"}),
        ("rs_embed:cluster", {"K": 3, "SEED": 1}),
    ],
)
def test_processing_on_a_full_disk_fails_and_leaves_nothing(
    provider, europe_dir, full_disk: Path, alg: str, params: dict
) -> None:
    import processing

    params = dict(params)
    if params.get("REFERENCES") == "points":
        params["REFERENCES"] = points()
    out = full_disk / "result.tif"
    with pytest.raises(QgsProcessingException) as info:
        processing.run(alg, {**params, "DATA_DIR": str(europe_dir), "OUTPUT": str(out)})
    text = str(info.value)
    assert f"no space left on the disk of {full_disk}" in text, text
    assert "\n" not in text.strip()
    assert left_in(full_disk) == []


CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    import numpy as np
    from rs_embed_qgis.bridge.outputs import OutputError, write_grid_geotiff

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    arr = np.random.default_rng(7).standard_normal((768, 24, 24)).astype(np.float32)
    try:
        write_grid_geotiff(arr, sys.argv[1], {"bbox_4326": (10.0, 45.0, 16.0, 51.0)})
    except OutputError as exc:
        print("OutputError:", exc)
    else:
        print("written")
    """
)


def test_file_size_limit_fails_and_leaves_nothing(tmp_path: Path) -> None:
    """The same checks without root: the system refuses writes past RLIMIT_FSIZE."""
    out = tmp_path / "grid.tif"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(out)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    said = done.stdout.strip()
    assert said.startswith("OutputError: grid.tif was not written:"), (said, done.stderr)
    assert f"exceed the size a file may have in {tmp_path}" in said
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def squares(n: int = 60) -> QgsVectorLayer:
    """``n`` quarter-degree squares on land over Europe."""
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "squares", "memory")
    feats = []
    for i in range(n):
        lon, lat = 5.0 + 0.25 * (i % 20), 47.0 + 0.25 * (i // 20)
        f = QgsFeature()
        f.setGeometry(QgsGeometry.fromRect(QgsRectangle(lon, lat, lon + 0.25, lat + 0.25)))
        feats.append(f)
    assert layer.dataProvider().addFeatures(feats)[0]
    return layer


def fill_to(folder: Path, free: int) -> None:
    """Grow the filler until ``free`` bytes are left."""
    st = os.statvfs(folder)
    with open(folder / FILLER, "ab") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - free))


@pytest.mark.parametrize("free", [LEFT_FREE, 160 * 1024])
def test_geopackage_on_a_full_disk_fails_and_leaves_nothing(
    provider, europe_dir, full_disk: Path, free: int
) -> None:
    """16 KiB: the GeoPackage cannot be created; 160 KiB: its commit fails at the end."""
    import processing

    os.remove(full_disk / FILLER)
    fill_to(full_disk, free)
    out = full_disk / "squares.gpkg"
    with pytest.raises(QgsProcessingException) as info:
        processing.run(
            "rs_embed:embed_features",
            {"INPUT": squares(), "DATA_DIR": str(europe_dir), "OUTPUT": str(out)},
        )
    text = str(info.value)
    assert text.startswith("squares.gpkg was not written: no space left on the disk of"), text
    assert "rs_embed-tmp" not in text and "\n" not in text.strip()
    assert left_in(full_disk) == []


def test_geopackage_outputs_keep_their_name_and_load(provider, europe_dir, tmp_path) -> None:
    """Written under a temporary name, the result has the layer name and the place asked
    for, holds every feature, and is the layer QGIS loads when the run ends."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingOutputLayerDefinition, QgsProject

    out = tmp_path / "areas.gpkg"
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    res = processing.run(
        "rs_embed:similarity_map",
        {
            "REFERENCES": points(),
            "THRESHOLD": 0.5,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": str(tmp_path / "sim.tif"),
            "OUTPUT_AREAS": QgsProcessingOutputLayerDefinition(str(out), QgsProject.instance()),
        },
        context=context,
    )
    assert res["OUTPUT_AREAS"] == str(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["areas.gpkg", "sim.tif"]
    layer = QgsVectorLayer(str(out), "areas", "ogr")
    assert layer.isValid() and layer.featureCount() > 0
    assert layer.dataProvider().subLayers()[0].split("!!::!!")[1] == "areas"
    assert list(context.layersToLoadOnCompletion()) == [str(out)]


@pytest.fixture(scope="module")
def qgis_process_config(tmp_path_factory) -> Path:
    """A throwaway QGIS config folder with the plugin zip installed (as a user has it)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import install_plugin
    import package

    if not Path(install_plugin.QGIS_PROCESS).exists():
        pytest.skip("no /usr/bin/qgis_process.bin")
    root = tmp_path_factory.mktemp("qgis_process_full_disk")
    install_plugin.install(root / "config", zip_path=package.build(root / "dist"))
    return root / "config"


def test_qgis_process_on_a_full_disk_exits_non_zero(
    qgis_process_config: Path, europe_dir, full_disk: Path
) -> None:
    """The symptom as reported: qgis_process said 0 and named an unreadable raster."""
    import install_plugin

    out = full_disk / "sim.tif"
    proc = subprocess.run(
        [
            install_plugin.QGIS_PROCESS,
            "run",
            "rs_embed:similarity_map",
            "--",
            "REFERENCE_EXTENT=9,11,49,51 [EPSG:4326]",
            f"DATA_DIR={europe_dir}",
            f"OUTPUT={out}",
        ],
        capture_output=True,
        text=True,
        env=install_plugin.qgis_process_env(qgis_process_config),
        cwd=str(qgis_process_config),
        timeout=600,
    )
    said = proc.stdout + proc.stderr
    assert proc.returncode != 0, said[-3000:]
    assert f"sim.tif was not written: no space left on the disk of {full_disk}" in said
    # GDAL's own lines go to the log, not the terminal. (libtiff 4.7, Debian 13, prints the
    # system's reason "_tiffWriteProc: No space left on device" itself, outside GDAL's
    # per-thread handler: that one line cannot be routed without a process-wide change.)
    assert "TIFFAppendToStrip" not in said and "TIFFWriteDirectory" not in said
    assert left_in(full_disk) == []


def test_processing_keeps_an_older_output_when_the_rewrite_fails(
    provider, europe_dir, full_disk: Path
) -> None:
    import processing

    os.remove(full_disk / FILLER)
    out = full_disk / "clusters.tif"
    params = {"K": 3, "SEED": 1, "DATA_DIR": str(europe_dir), "OUTPUT": str(out)}
    processing.run("rs_embed:cluster", params)
    names = left_in(full_disk)
    assert names == ["clusters.tif", "clusters.tif.aux.xml"]  # the class names live in PAM
    before = [(full_disk / n).read_bytes() for n in names]
    fill_to(full_disk, LEFT_FREE)
    with pytest.raises(QgsProcessingException, match="no space left"):
        processing.run("rs_embed:similarity_map", {**params, "REFERENCES": points()})
    assert left_in(full_disk) == names
    assert [(full_disk / n).read_bytes() for n in names] == before


def test_other_vector_formats_are_renamed_whole(provider, europe_dir, tmp_path) -> None:
    """A shapefile (several files) and a CSV table: every file under the name asked for."""
    import processing

    res = processing.run(
        "rs_embed:similar_places",
        {
            "REFERENCES": points(),
            "K": 5,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": str(tmp_path / "places.shp"),
        },
    )
    cl = processing.run(
        "rs_embed:cluster",
        {
            "K": 3,
            "SEED": 1,
            "DATA_DIR": str(europe_dir),
            "OUTPUT": str(tmp_path / "clusters.tif"),
            "OUTPUT_TABLE": str(tmp_path / "sizes.csv"),
        },
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not [n for n in names if n.startswith(".")], names
    assert {"places.shp", "places.dbf", "places.shx", "places.prj", "sizes.csv"} <= set(names)
    places = QgsVectorLayer(res["OUTPUT"], "places", "ogr")
    assert places.isValid() and places.featureCount() == 5
    sizes = QgsVectorLayer(cl["OUTPUT_TABLE"], "sizes", "ogr")
    assert sizes.isValid() and sizes.featureCount() == 3
