"""`make demo`: embed the world's countries and a grid over Europe through qgis_process.

1. The Copernicus-Embed file: from the data directory if it is there, else TorchGeo's
   download, else (offline) a synthetic full-size file in the product's exact format,
   announced loudly: its numbers are not real embeddings.
2. The plugin zip is installed into a throwaway QGIS profile under the output folder.
3. ``qgis_process`` runs ``rs_embed:embed_features`` on the ``countries`` layer of QGIS's
   world_map.gpkg, and ``rs_embed:embed_extent`` over Europe (grid + PCA RGB).
4. QGIS's own map renderer draws the PCA RGB grid with the country outlines to a PNG,
   and a world map of the countries coloured by the PCA of their pooled embeddings.

    python scripts/demo.py [--out out/demo] [--data-dir DIR] [--no-download]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import install_plugin  # noqa: E402
import numpy as np  # noqa: E402
import package  # noqa: E402
from qgis.core import (  # noqa: E402
    NULL,
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsField,
    QgsFillSymbol,
    QgsMapLayer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsRendererCategory,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize, Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter  # noqa: E402

EUROPE_EXTENT = "-25,45,34,72 [EPSG:4326]"  # lon -25..45, lat 34..72
RENDER_CRS = "EPSG:3035"  # ETRS89 / LAEA Europe
WORLD_CRS = "EPSG:4326"
TITLE = "Copernicus-Embed 2021: PCA (components 1-3 as RGB) of the 768-d embeddings"
WORLD_TITLE = "Countries coloured by the PCA of their pooled embeddings (red: NULL)"
BANNER = "#" * 78


def say(text: str = "") -> None:
    """Print and flush (qgis_process output interleaves with ours)."""
    print(text, flush=True)


def loud(lines: list[str]) -> None:
    """A banner nobody can miss."""
    say(BANNER)
    for line in lines:
        say(f"## {line:<72} ##")
    say(BANNER)


def find_data(data_dir: str | None, download: bool) -> tuple[str, bool]:
    """(data directory, synthetic?): the real file, its download, or the synthetic one."""
    from rs_embed_qgis.core.dataset import find_product_file
    from rs_embed_qgis.settings import effective_data_dir

    ddir, origin = effective_data_dir(data_dir)
    ddir = str((ROOT / ddir) if not os.path.isabs(ddir) else Path(ddir))
    if find_product_file(ddir) is not None:
        say(f"Copernicus-Embed file found in {ddir} (from {origin}).")
        return ddir, False
    if download:
        say(f"No Copernicus-Embed file in {ddir}; trying TorchGeo's download (3.2 GB)...")
        try:
            from rs_embed_qgis.core.adapter import open_source

            open_source(ddir, download=True)
            return ddir, False
        except Exception as exc:  # noqa: BLE001 - any failure means: go synthetic
            say(f"The download failed: {exc}")
    from tests.product import cached_full_product

    say("Generating (or reusing) a synthetic full-size product file...")
    path = cached_full_product()
    loud(
        [
            "",
            "SYNTHETIC DATA: the real Copernicus-Embed file is not available here",
            "(offline). This demo runs on a generated file in the product's exact",
            "format (721 x 1440 x 768 float32) whose values and land mask are made",
            "up. THE NUMBERS AND THE PICTURE ARE NOT REAL EMBEDDINGS.",
            f"file: {path}",
            "",
        ]
    )
    return str(path.parent), True


def qgis_process(config: Path, algorithm: str, params: dict[str, str]) -> dict:
    """Run one algorithm through qgis_process with the installed plugin; return its JSON."""
    args = [install_plugin.QGIS_PROCESS, "--json", "run", algorithm, "--"]
    args += [f"{k}={v}" for k, v in params.items()]
    env = install_plugin.qgis_process_env(config)
    say(f"\n$ QGIS_CUSTOM_CONFIG_PATH={config} {' '.join(args[:4])} -- ...")
    t0 = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=str(config))
    if proc.returncode != 0:
        say(proc.stdout[-4000:])
        say(proc.stderr[-4000:])
        raise SystemExit(f"qgis_process {algorithm} failed (exit {proc.returncode}).")
    result = json.loads(proc.stdout[proc.stdout.index("{") :])
    log = result.get("log", {})
    for key in ("info", "warning"):
        for line in log.get(key, []) if isinstance(log, dict) else []:
            if not line.startswith(("Feature ", "... and ")):  # per-feature detail: skip
                say(f"  [{key}] {line}")
    say(f"  done in {time.monotonic() - t0:.0f} s: {result.get('results')}")
    return result


def _render(layers: list[QgsMapLayer], crs_id: str, extent: QgsRectangle, width: int) -> QImage:
    """Draw layers (first on top) with QGIS's map renderer."""
    height = int(width * extent.height() / extent.width())
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(QgsCoordinateReferenceSystem(crs_id))
    settings.setExtent(QgsRectangle(extent))
    settings.setOutputSize(QSize(width, height))
    settings.setBackgroundColor(QColor(232, 238, 244))
    settings.setOutputDpi(120)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def _annotate_and_save(image: QImage, title: str, png: Path, synthetic: bool) -> None:
    """Title bar on top, a red SYNTHETIC bar at the foot when the data are generated."""
    width, height = image.width(), image.height()
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    font = QFont()
    font.setPixelSize(26)
    font.setBold(True)
    painter.setFont(font)
    painter.fillRect(0, 0, width, 44, QColor(255, 255, 255, 210))
    painter.setPen(QColor(20, 20, 20))
    painter.drawText(12, 0, width - 24, 44, Qt.AlignVCenter | Qt.AlignLeft, title)
    if synthetic:
        painter.fillRect(0, height - 48, width, 48, QColor(200, 0, 0, 220))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(
            12,
            height - 48,
            width - 24,
            48,
            Qt.AlignVCenter | Qt.AlignLeft,
            "SYNTHETIC DATA (offline): generated values, not real embeddings",
        )
    painter.end()
    if not image.save(str(png), "PNG"):
        raise SystemExit(f"Could not write {png}.")


def render_png(rgb_path: Path, countries_uri: str, png: Path, synthetic: bool) -> None:
    """Draw the PCA RGB grid and the country outlines with QGIS's map renderer."""
    raster = QgsRasterLayer(str(rgb_path), "PCA RGB")
    outlines = QgsVectorLayer(countries_uri, "countries", "ogr")
    if not (raster.isValid() and outlines.isValid()):
        raise SystemExit(f"Cannot load {rgb_path} or the countries layer for the picture.")
    outlines.renderer().setSymbol(
        QgsFillSymbol.createSimple(
            {"color": "0,0,0,0", "outline_color": "30,30,30,200", "outline_width": "0.25"}
        )
    )
    crs = QgsCoordinateReferenceSystem(RENDER_CRS)
    ct = QgsCoordinateTransform(raster.crs(), crs, QgsProject.instance())
    extent = ct.transformBoundingBox(raster.extent())
    extent.scale(1.02)
    image = _render([outlines, raster], RENDER_CRS, extent, 1600)
    _annotate_and_save(image, TITLE, png, synthetic)


def _country_vectors(layer: QgsVectorLayer) -> tuple[list[QgsFeature], np.ndarray]:
    """The features and their (n, 768) embeddings, NaN rows where NULL."""
    names = [f"emb_{i:03d}" for i in range(768)]
    idx = [layer.fields().indexOf(n) for n in names]
    feats = list(layer.getFeatures())
    vecs = np.full((len(feats), len(idx)), np.nan)
    for k, f in enumerate(feats):
        attrs = f.attributes()
        if attrs[idx[0]] != NULL:
            vecs[k] = [attrs[i] for i in idx]
    return feats, vecs


def render_world_png(gpkg: Path, png: Path, synthetic: bool) -> None:
    """A world map of the countries, each filled with the PCA colour of its pooled vector."""
    from rs_embed_qgis.bridge.outputs import field_type, pca_rgb

    src = QgsVectorLayer(str(gpkg), "countries", "ogr")
    if not src.isValid():
        raise SystemExit(f"Cannot load {gpkg} for the world picture.")
    feats, vecs = _country_vectors(src)
    have = ~np.isnan(vecs[:, 0])
    colours = ["" for _ in feats]
    if have.any():
        rgba = pca_rgb(vecs[have].T[:, None, :])[:, 0, :]  # (4, n) with a 1 x n "grid"
        for k, (r, g, b) in zip(np.flatnonzero(have), rgba[:3].T.tolist()):
            colours[k] = f"{r},{g},{b}"
    layer = QgsVectorLayer(f"MultiPolygon?crs={src.crs().authid()}", "countries", "memory")
    layer.dataProvider().addAttributes([QgsField("rgb", field_type("String"))])
    layer.updateFields()
    out = []
    for f, colour in zip(feats, colours):
        g = QgsFeature(layer.fields())
        g.setGeometry(f.geometry())
        g.setAttributes([colour])
        out.append(g)
    layer.dataProvider().addFeatures(out)
    outline = {"outline_color": "40,40,40,220", "outline_width": "0.15"}
    cats = [
        QgsRendererCategory(c, QgsFillSymbol.createSimple({"color": c, **outline}), c)
        for c in sorted(set(colours) - {""})
    ]
    # Every NULL country is small: a thick red outline keeps it visible at world scale.
    null_symbol = {"color": "220,0,0", "outline_color": "220,0,0", "outline_width": "0.8"}
    cats.append(QgsRendererCategory("", QgsFillSymbol.createSimple(null_symbol), "NULL"))
    layer.setRenderer(QgsCategorizedSymbolRenderer("rgb", cats))
    image = _render([layer], WORLD_CRS, QgsRectangle(-180, -90, 180, 90), 2000)
    _annotate_and_save(image, WORLD_TITLE, png, synthetic)


def summarise(gpkg: Path) -> None:
    """A few lines about the embedded countries, and which ones stayed NULL and why."""
    from qgis.core import QgsDistanceArea

    layer = QgsVectorLayer(str(gpkg), "out", "ogr")
    total = layer.featureCount()
    feats = list(layer.getFeatures())
    embedded = [f for f in feats if f["emb_000"] != NULL]
    say(f"\n{len(embedded)} of {total} countries have an embedding; a few of them:")
    for f in sorted(embedded, key=lambda f: -float(f["emb_valid_frac"]))[:6]:
        say(
            f"  {_name(f):<24} valid {float(f['emb_valid_frac']):5.1%}  "
            f"emb_000..002 = {float(f['emb_000']):+.4f} {float(f['emb_001']):+.4f} "
            f"{float(f['emb_002']):+.4f}"
        )
    nulls = [f for f in feats if f["emb_000"] == NULL]
    if not nulls:
        return
    area = QgsDistanceArea()
    area.setEllipsoid("WGS84")
    sized = sorted((area.measureArea(f.geometry()) / 1e6, _name(f)) for f in nulls)
    say(
        f"{len(nulls)} of {total} are NULL: every 0.25 degree pixel they overlap is an ocean "
        f"pixel (the largest: {sized[-1][1]}, {sized[-1][0]:,.0f} km2; a pixel is about "
        "770 km2 at the equator):"
    )
    nbsp = "\u00a0"  # keeps "(123 km2)" on one line: textwrap breaks only at ASCII spaces
    text = ", ".join(f"{name} ({km2:,.0f}{nbsp}km2)" for km2, name in sized)
    for line in textwrap.wrap(text, 86, break_on_hyphens=False):
        say(f"  {line.replace(nbsp, ' ')}")
    partial = [f for f in embedded if float(f["emb_valid_frac"]) < 0.5]
    if partial:
        say(
            f"{len(partial)} countries with an embedding have valid_frac < 50 %: their polygon "
            "lies mostly on ocean pixels, and the mean is over the land part."
        )


def _name(feature: QgsFeature) -> str:
    """The country's NAME, else its ISO code (Tokelau has no NAME in world_map.gpkg)."""
    for key in ("NAME", "iso_a2", "ISO_A3"):
        value = feature[key] if key in feature.fields().names() else NULL
        if value != NULL and str(value).strip():
            return str(value)
    return f"feature {feature.id()}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "out" / "demo"), help="output folder")
    parser.add_argument("--data-dir", default=None, help="folder with embed_map_310k.tif")
    parser.add_argument("--no-download", action="store_true", help="do not try the download")
    args = parser.parse_args(argv)
    if not Path(install_plugin.QGIS_PROCESS).exists():
        raise SystemExit(f"{install_plugin.QGIS_PROCESS} is missing: run `make setup` first.")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    app = QgsApplication([], False)
    app.initQgis()
    try:
        data_dir, synthetic = find_data(args.data_dir, not args.no_download)

        config = out / "qgis_config"
        shutil.rmtree(config, ignore_errors=True)
        target = install_plugin.install(config, zip_path=package.build(out / "dist"))
        say(f"Plugin installed into a throwaway QGIS profile: {target}")

        world = QgsApplication.pkgDataPath() + "/resources/data/world_map.gpkg"
        countries = f"{world}|layername=countries"
        gpkg = out / "countries_embeddings.gpkg"
        grid = out / "europe_embeddings.tif"
        rgb = out / "europe_pca_rgb.tif"
        png = out / "europe_pca_rgb.png"
        world_png = out / "world_countries_pca.png"
        for path in (gpkg, grid, rgb, png, world_png):
            path.unlink(missing_ok=True)

        qgis_process(
            config,
            "rs_embed:embed_features",
            {"INPUT": countries, "DATA_DIR": data_dir, "OUTPUT": str(gpkg)},
        )
        qgis_process(
            config,
            "rs_embed:embed_extent",
            {
                "EXTENT": EUROPE_EXTENT,
                "EXPAND_DEG": "0",
                "DATA_DIR": data_dir,
                "OUTPUT": str(grid),
                "OUTPUT_RGB": str(rgb),
            },
        )
        render_png(rgb, countries, png, synthetic)
        render_world_png(gpkg, world_png, synthetic)
        summarise(gpkg)
    finally:
        app.exitQgis()

    say("")
    if synthetic:
        loud(["SYNTHETIC DATA: the outputs below are NOT real Copernicus-Embed values."])
    say("Outputs:")
    say(f"  GeoPackage (countries + emb_000..emb_767): {gpkg}")
    say(f"  GeoTIFF grid (768 bands, Europe):           {grid}")
    say(f"  GeoTIFF PCA RGB rendering:                  {rgb}")
    say(f"  PNG picture:                                {png}")
    say(f"  PNG world map of the countries' PCA:        {world_png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
