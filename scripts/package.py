"""Build dist/rs_embed_qgis-<version>.zip, the archive QGIS's "Install from ZIP" accepts.

One top folder ``rs_embed_qgis/`` with ``metadata.txt`` (from the top level), the icon and
the other files of ``resources/``, and the package's code; nothing of tests, caches,
byte code or virtual environments. Standard library only: no venv is needed.

    python3 scripts/package.py [--out-dir dist]
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "rs_embed_qgis"
REQUIRED_METADATA = (
    "name",
    "qgisMinimumVersion",
    "description",
    "about",
    "version",
    "author",
    "email",
    "repository",
    "tracker",
    "icon",
    "hasProcessingProvider",
    "tags",
    "changelog",
)
# Never shipped, wherever they sit.
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "tests", ".venv"}
# Translations ship compiled (.qm, made from the .ts sources at packaging time).
EXCLUDED_SUFFIXES = {
    ".pyc",
    ".pyo",
    ".tif",
    ".gpkg",
    ".aux.xml",
    ".orig",
    ".rej",
    ".swp",
    ".ts",
    ".qm",
}
# Resources larger than this (screenshots) stay out of the zip.
MAX_RESOURCE_BYTES = 1024 * 1024
# Fixed timestamp: the same tree gives the same zip.
ZIP_DATE = (2021, 1, 1, 0, 0, 0)


def read_metadata(root: Path = ROOT) -> dict[str, str]:
    """The [general] section of metadata.txt (keys keep their case)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(root / "metadata.txt", encoding="utf-8")
    if not parser.has_section("general"):
        raise SystemExit(f"{root / 'metadata.txt'} has no [general] section.")
    return dict(parser["general"])


def changelog_entries(root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """(version heading, its lines) of CHANGELOG.md, newest first ([] without the file)."""
    path = root / "CHANGELOG.md"
    if not path.is_file():
        return []
    entries: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            entries.append((line[3:].strip(), []))
        elif entries and line.strip():
            entries[-1][1].append(line.rstrip())
    return entries


def metadata_text(root: Path = ROOT) -> str:
    """metadata.txt as shipped: its ``changelog`` taken from CHANGELOG.md when there is one."""
    text = (root / "metadata.txt").read_text(encoding="utf-8")
    entries = changelog_entries(root)
    if not entries:
        return text
    version = read_metadata(root)["version"].strip()
    top = entries[0][0].split()[0]
    if top != version:
        raise SystemExit(
            f"CHANGELOG.md's newest entry is {top}, metadata.txt's version is {version}: "
            "add the changes of this version to CHANGELOG.md."
        )
    lines: list[str] = []
    for heading, body in entries:
        lines.append(heading)
        lines += body
    # configparser continuation lines: indented; a "- " item keeps its own indentation.
    value = "\n".join(
        "    " + ln.strip() if not ln.startswith("  ") else "    " + ln for ln in lines
    )
    new, n = re.subn(r"^changelog=.*?(?=^\S|\Z)", f"changelog=\n{value}\n", text, flags=re.M | re.S)
    if n != 1:
        raise SystemExit("metadata.txt has no changelog= line to fill from CHANGELOG.md.")
    return new


def _excluded(path: Path, base: Path) -> bool:
    rel = path.relative_to(base)
    if any(part in EXCLUDED_DIRS or part.startswith(".") for part in rel.parts):
        return True
    return any(path.name.endswith(s) for s in EXCLUDED_SUFFIXES)


def plugin_files(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(source file, path in the zip) of everything the plugin ships."""
    meta = read_metadata(root)
    missing = [k for k in REQUIRED_METADATA if not meta.get(k, "").strip()]
    if missing:
        raise SystemExit(f"metadata.txt lacks {', '.join(missing)}.")
    files: list[tuple[Path, str]] = [(root / "metadata.txt", f"{PLUGIN}/metadata.txt")]
    code = root / PLUGIN
    for path in sorted(code.rglob("*")):
        if path.is_file() and not _excluded(path, code):
            files.append((path, f"{PLUGIN}/{path.relative_to(code).as_posix()}"))
    resources = root / "resources"
    if resources.is_dir():
        for path in sorted(resources.rglob("*")):
            if (
                path.is_file()
                and not _excluded(path, resources)
                and path.stat().st_size <= MAX_RESOURCE_BYTES
            ):
                files.append((path, f"{PLUGIN}/resources/{path.relative_to(resources).as_posix()}"))
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        if (root / name).is_file():
            files.append((root / name, f"{PLUGIN}/{name}"))
    icon = f"{PLUGIN}/{meta['icon'].strip()}"
    if icon not in {arc for _, arc in files}:
        raise SystemExit(f"The icon {meta['icon']} named in metadata.txt is missing.")
    return files


def compiled_translations(root: Path, work: Path) -> list[tuple[Path, str]]:
    """(compiled .qm, path in the zip) of every ``rs_embed_qgis/i18n/*.ts`` (lrelease)."""
    sources = sorted((root / PLUGIN / "i18n").glob("*.ts"))
    if not sources:
        return []
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import translations

    out = []
    for ts in sources:
        qm = translations.compile_ts(ts, work / ".qm" / f"{ts.stem}.qm")
        out.append((qm, f"{PLUGIN}/i18n/{qm.name}"))
    return out


def build(out_dir: Path | str = ROOT / "dist", root: Path = ROOT) -> Path:
    """Write the plugin zip and return its path."""
    version = read_metadata(root)["version"].strip()
    out = Path(out_dir) / f"{PLUGIN}-{version}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for src, arc in plugin_files(root) + compiled_translations(root, out.parent):
            info = zipfile.ZipInfo(arc, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = src.read_bytes()
            if arc == f"{PLUGIN}/metadata.txt":
                data = metadata_text(root).encode("utf-8")
            zf.writestr(info, data)
    tmp.replace(out)
    for qm in (out.parent / ".qm").glob("*.qm"):
        qm.unlink()
    with contextlib.suppress(OSError):
        (out.parent / ".qm").rmdir()
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(ROOT / "dist"), help="folder of the zip")
    args = parser.parse_args(argv)
    out = build(args.out_dir)
    with zipfile.ZipFile(out) as zf:
        n = len(zf.namelist())
    print(f"{out} ({n} files, {out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
