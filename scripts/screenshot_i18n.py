"""docs/dock_<lang>.png: the plugin in a QGIS whose user interface is set to another language.

Run with the venv's Python (``python scripts/screenshot_i18n.py --locale de_DE``), it installs
the ZIP into a throwaway profile (as ``scripts/screenshot.py`` does), writes QGIS's own
language override (``locale/overrideFlag``, ``locale/userLocale``) into that profile before
QGIS starts, and runs ``/usr/bin/qgis --code scripts/screenshot_i18n.py`` under ``xvfb-run``.
Run by QGIS, the same file opens the dock, the Processing toolbox filtered to the provider and
the dialog of ``rs_embed:embed_features`` (with its help), grabs the screen and quits.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

OUT_ENV = "RS_EMBED_I18N_SCREENSHOT_OUT"
REPO = Path(__file__).resolve().parent.parent if "__file__" in globals() else Path.cwd()
SIZE = (1600, 1000)
TIMEOUT_S = 300
ALGORITHM = "rs_embed:embed_features"


def main(argv: list[str] | None = None) -> int:
    """Prepare a profile in the chosen language, run QGIS under Xvfb, save the PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", default="de_DE", help="QGIS user interface locale")
    parser.add_argument("--out", help="PNG to write (default: docs/dock_<language>.png)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "scripts"))
    import install_plugin
    import screenshot

    from tests import product

    out = Path(args.out or REPO / "docs" / f"dock_{args.locale.split('_')[0]}.png").resolve()
    work = Path(tempfile.mkdtemp(prefix="rs_embed_i18n_screenshot_"))
    try:
        screenshot.prepare_profile(work)
        ini = install_plugin.profile_dir(work) / "QGIS" / "QGIS3.ini"
        with open(ini, "a", encoding="utf-8") as fh:
            fh.write(
                f"\n[locale]\noverrideFlag=true\nuserLocale={args.locale}\n"
                f"globalLocale={args.locale}\n"
            )
        data = work / "data"
        product.write_product(data / product.PRODUCT_NAME, *screenshot.WINDOW)
        (work / "xdg").mkdir(mode=0o700)
        env = dict(os.environ)
        env.pop("QT_QPA_PLATFORM", None)  # a real X window (Xvfb), not offscreen
        env.pop("PYTHONPATH", None)  # the plugin from the profile, on QGIS's own Python
        env.update(
            {
                OUT_ENV: str(out.with_suffix(".raw.png")),
                "RS_EMBED_COP_DIR": str(data),
                "RS_EMBED_COP_CACHE_DIR": str(work / "cache"),
                "XDG_RUNTIME_DIR": str(work / "xdg"),
            }
        )
        cmd = [
            "xvfb-run",
            "-a",
            "-s",
            f"-screen 0 {SIZE[0]}x{SIZE[1]}x24",
            "/usr/bin/qgis",
            "--noversioncheck",
            "--nologo",
            "--hide-browser",
            "--profiles-path",
            str(work),
            "--code",
            str(Path(__file__).resolve()),
        ]
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        try:
            proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)  # QGIS and the Xvfb that xvfb-run started
            proc.wait()
        raw = out.with_suffix(".raw.png")
        if not raw.is_file():
            print(f"QGIS exited with {proc.returncode}; nothing was written", file=sys.stderr)
            return 1
        from PIL import Image

        # 256 colours: a screenshot of widgets loses nothing visible and stays small.
        image = Image.open(raw).convert("RGB")
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, optimize=True
        )
        raw.unlink()
        print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_in_qgis() -> None:
    """Open the dock, the toolbox and an algorithm dialog in the running QGIS; grab; quit."""
    import traceback

    import processing
    import qgis.utils
    from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
    from qgis.PyQt.QtCore import Qt, QTimer
    from qgis.PyQt.QtWidgets import QDockWidget, QLineEdit

    iface = qgis.utils.iface
    keep: list = []

    def quit_qgis() -> None:
        QgsProject.instance().setDirty(False)
        QTimer.singleShot(300, iface.actionExit().trigger)

    def setup() -> None:
        world = QgsApplication.pkgDataPath() + "/resources/data/world_map.gpkg"
        layer = QgsVectorLayer(f"{world}|layername=countries", "countries", "ogr")
        QgsProject.instance().addMapLayer(layer)
        keep.append(layer)
        mw = iface.mainWindow()
        mw.setGeometry(0, 0, *SIZE)  # no window manager under Xvfb: maximise by hand
        for dock in mw.findChildren(QDockWidget):
            if dock.objectName() in ("Browser", "Browser2"):
                dock.hide()
        gui = qgis.utils.plugins["rs_embed_qgis"].gui
        gui.action.setChecked(True)  # the toolbar button, as a user opens the dock
        toolbox = mw.findChild(QDockWidget, "ProcessingToolbox")
        layers = mw.findChild(QDockWidget, "Layers")
        if toolbox is not None and layers is not None:
            toolbox.show()
            search = toolbox.findChild(QLineEdit)
            if search is not None:
                search.setText("Copernicus")
            # The toolbox under the layers: the whole right side for the dock.
            mw.addDockWidget(Qt.LeftDockWidgetArea, toolbox)
            mw.splitDockWidget(layers, toolbox, Qt.Vertical)
            mw.resizeDocks([layers, toolbox], [150, 600], Qt.Vertical)
            mw.resizeDocks([layers], [330], Qt.Horizontal)
        mw.resizeDocks([gui.dock], [440], Qt.Horizontal)
        QTimer.singleShot(2500, guarded(dialog))

    def dialog() -> None:
        dlg = processing.createAlgorithmDialog(ALGORITHM)
        keep.append(dlg)
        dlg.setGeometry(345, 140, 800, 680)  # over the map, clear of the docks
        dlg.show()
        QTimer.singleShot(2500, guarded(grab))

    def grab() -> None:
        iface.messageBar().clearWidgets()
        ok = QgsApplication.primaryScreen().grabWindow(0).save(os.environ[OUT_ENV], "PNG")
        sys.stderr.write(f"[screenshot_i18n] locale {QgsApplication.locale()}, saved: {ok}\n")
        keep[-1].close()
        quit_qgis()

    def guarded(step):  # noqa: ANN001, ANN202 - a QTimer callback
        def run() -> None:
            try:
                step()
            except Exception:
                sys.stderr.write(traceback.format_exc())
                quit_qgis()

        return run

    globals()["_rs_embed_i18n_keep"] = keep
    QTimer.singleShot(3000, guarded(setup))


def _inside_qgis() -> bool:
    try:
        import qgis.utils
    except ImportError:
        return False
    return getattr(qgis.utils, "iface", None) is not None and OUT_ENV in os.environ


if _inside_qgis():
    run_in_qgis()
elif __name__ == "__main__":
    sys.exit(main())
