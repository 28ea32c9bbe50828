"""Install the plugin zip into a QGIS profile and enable it, for QGIS and ``qgis_process``.

    python3 scripts/install_plugin.py [--config-path DIR] [--profile NAME] [--zip FILE]

``--config-path`` is the folder QGIS reads as ``QGIS_CUSTOM_CONFIG_PATH`` (default: that
variable, else ``~/.local/share/QGIS/QGIS3``); the plugin goes to
``<config>/profiles/<profile>/python/plugins/rs_embed_qgis`` and is switched on in
``<config>/profiles/<profile>/QGIS/QGIS3.ini`` ([PythonPlugins] rs_embed_qgis=true).
Then, headless (Debian: call ``/usr/bin/qgis_process.bin``; the plugin needs nothing but
QGIS itself):

    QGIS_CUSTOM_CONFIG_PATH=DIR qgis_process run rs_embed:embed_features -- \\
        INPUT=layer.gpkg OUTPUT=out.gpkg

Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import package  # noqa: E402 - sibling script

PLUGIN = package.PLUGIN
DEFAULT_PROFILE = "default"
QGIS_PROCESS = "/usr/bin/qgis_process.bin"


def default_config_path() -> Path:
    """$QGIS_CUSTOM_CONFIG_PATH, else QGIS 3's own folder of profiles' parent."""
    env = os.environ.get("QGIS_CUSTOM_CONFIG_PATH")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return Path(base) / "QGIS" / "QGIS3"


def profile_dir(config_path: Path | str, profile: str = DEFAULT_PROFILE) -> Path:
    """The profile folder QGIS uses for a config path."""
    return Path(config_path) / "profiles" / profile


def enable_in_ini(ini: Path, plugin: str = PLUGIN) -> None:
    """Set ``[PythonPlugins] <plugin>=true`` in a QGIS3.ini, keeping every other line."""
    ini.parent.mkdir(parents=True, exist_ok=True)
    lines = ini.read_text(encoding="utf-8").splitlines() if ini.is_file() else []
    out: list[str] = []
    in_section = found_section = done = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if in_section and not done:
                out.append(f"{plugin}=true")
                done = True
            in_section = stripped == "[PythonPlugins]"
            found_section = found_section or in_section
        elif in_section and stripped.split("=", 1)[0].strip() == plugin:
            if not done:
                out.append(f"{plugin}=true")
                done = True
            continue
        out.append(line)
    if in_section and not done:
        out.append(f"{plugin}=true")
        done = True
    if not found_section:
        if out and out[-1].strip():
            out.append("")
        out += ["[PythonPlugins]", f"{plugin}=true"]
    ini.write_text("\n".join(out) + "\n", encoding="utf-8")


def install(
    config_path: Path | str | None = None,
    profile: str = DEFAULT_PROFILE,
    zip_path: Path | str | None = None,
) -> Path:
    """Unpack the zip (built if not given) into the profile, enable it; returns the plugin dir."""
    config = Path(config_path) if config_path else default_config_path()
    prof = profile_dir(config, profile)
    plugins = prof / "python" / "plugins"
    archive = Path(zip_path) if zip_path else package.build()
    with zipfile.ZipFile(archive) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
        if tops != {PLUGIN}:
            raise SystemExit(f"{archive} must hold one folder {PLUGIN}/, has {sorted(tops)}.")
        target = plugins / PLUGIN
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
        plugins.mkdir(parents=True, exist_ok=True)
        zf.extractall(plugins)
    enable_in_ini(prof / "QGIS" / "QGIS3.ini")
    return plugins / PLUGIN


def qgis_process_env(
    config_path: Path | str, site_packages: str | None = None, base: dict | None = None
) -> dict[str, str]:
    """Environment for qgis_process: the profile, offscreen Qt, and nothing of the venv.

    The plugin needs only what QGIS ships, so neither the source tree nor the venv's
    packages go on PYTHONPATH: the installed copy runs on QGIS's own Python.
    ``site_packages`` (optional) is added only for callers that need it explicitly.
    """
    env = dict(os.environ if base is None else base)
    env["QGIS_CUSTOM_CONFIG_PATH"] = str(config_path)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    if site_packages:
        env["PYTHONPATH"] = site_packages
    return env


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-path", default=None, help="QGIS_CUSTOM_CONFIG_PATH folder")
    parser.add_argument("--profile", default=DEFAULT_PROFILE)
    parser.add_argument("--zip", default=None, help="plugin zip (default: build it)")
    args = parser.parse_args(argv)
    config = Path(args.config_path) if args.config_path else default_config_path()
    target = install(config, args.profile, args.zip)
    print(f"Installed and enabled {PLUGIN} in {target}")
    print(
        "Headless use:\n"
        f"  QGIS_CUSTOM_CONFIG_PATH={config} PYTHONPATH=<site-packages with torch, torchgeo> \\\n"
        f"    {QGIS_PROCESS} run rs_embed:embed_features -- INPUT=<layer> OUTPUT=<out.gpkg>"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
