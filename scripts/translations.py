"""``make translations``: extract the plugin's UI strings to Qt .ts files and compile .qm.

Qt 5's ``lupdate`` cannot read Python and ``pylupdate5`` misses strings passed to a plain
``tr()`` function, so the extraction reads the source with :mod:`ast`: every call
``tr("...")`` / ``self.tr("...")`` / ``translate("RsEmbed", "...")`` with a literal text
(the tests refuse any other) becomes a message of the one context ``RsEmbed``. Existing
translations are kept; a text that left the code stays in the file as obsolete. ``lrelease``
(Debian: qttools5-dev-tools) compiles each ``rs_embed_qgis/i18n/*.ts`` to ``.qm``.

    python3 scripts/translations.py extract [--lang de]
    python3 scripts/translations.py compile [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET  # nosec B405 - parses only our own .ts files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rs_embed_qgis"
I18N = PACKAGE / "i18n"
CONTEXT = "RsEmbed"


def literal_messages(package: Path = PACKAGE) -> dict[str, list[tuple[str, int]]]:
    """Source text -> [(file relative to the package, line)] of every translated literal."""
    found: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            text = translated_literal(node)
            if text is not None:
                rel = path.relative_to(package).as_posix()
                found.setdefault(text, []).append((rel, node.lineno))
    return found


def translated_literal(node: ast.AST) -> str | None:
    """The literal text of a ``tr(...)``/``translate(ctx, ...)`` call, else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name == "tr" and node.args:
        arg = node.args[0]
    elif name == "translate" and len(node.args) >= 2:
        arg = node.args[1]
    else:
        return None
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def non_literal_calls(package: Path = PACKAGE) -> list[str]:
    """``file:line`` of every tr/translate call whose text is not a literal (invisible to tools).

    The definitions of the helpers themselves (``def tr(self, text)`` forwarding ``text``)
    are the one allowed exception.
    """
    bad = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        forwarding: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and fn.name == "tr":
                forwarding.update(id(n) for n in ast.walk(fn))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in forwarding:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in ("tr", "translate"):
                continue
            if translated_literal(node) is None:
                bad.append(f"{path.relative_to(package).as_posix()}:{node.lineno}")
    return bad


def _existing(ts: Path) -> dict[str, tuple[str, str]]:
    """Source -> (translation, type attribute) of an existing .ts file."""
    if not ts.is_file():
        return {}
    out = {}
    for msg in ET.parse(ts).getroot().iter("message"):  # nosec B314 - our own file
        src = msg.findtext("source") or ""
        tr = msg.find("translation")
        if tr is not None:
            out[src] = (tr.text or "", tr.get("type", ""))
    return out


def write_ts(lang: str, package: Path = PACKAGE) -> Path:
    """Create or update ``i18n/rs_embed_qgis_<lang>.ts``; returns its path."""
    folder = package / "i18n"
    folder.mkdir(exist_ok=True)
    ts = folder / f"rs_embed_qgis_{lang}.ts"
    old = _existing(ts)
    messages = literal_messages(package)
    root = ET.Element("TS", version="2.1", language=lang, sourcelanguage="en")
    ctx = ET.SubElement(root, "context")
    ET.SubElement(ctx, "name").text = CONTEXT
    for text in sorted(messages):
        msg = ET.SubElement(ctx, "message")
        for rel, line in messages[text]:
            ET.SubElement(msg, "location", filename=f"../{rel}", line=str(line))
        ET.SubElement(msg, "source").text = text
        translation, kind = old.get(text, ("", "unfinished"))
        el = ET.SubElement(msg, "translation")
        el.text = translation
        if kind == "unfinished" or not translation:
            el.set("type", "unfinished")
    for text in sorted(set(old) - set(messages)):
        if not old[text][0]:
            continue  # nothing to keep of a text that left the code untranslated
        msg = ET.SubElement(ctx, "message")
        ET.SubElement(msg, "source").text = text
        el = ET.SubElement(msg, "translation", type="vanished")
        el.text = old[text][0]
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    ts.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8"
    )
    return ts


def lrelease() -> str:
    """The lrelease executable (Qt 5's linguist tools)."""
    for name in ("lrelease", "lrelease-qt5", "/usr/lib/qt5/bin/lrelease"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        "lrelease was not found: install Qt's linguist tools (Debian: apt-get install "
        "qttools5-dev-tools) to compile the translations."
    )


def compile_ts(ts: Path, qm: Path) -> Path:
    """Compile one .ts file to ``qm``."""
    qm.parent.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(  # nosec B603 - a fixed tool on our own files
        [lrelease(), "-silent", "-nounfinished", str(ts), "-qm", str(qm)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0 or not qm.is_file():
        raise SystemExit(f"lrelease failed on {ts}: {out.stderr.strip() or out.stdout.strip()}")
    return qm


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract", help="write/update the .ts files")
    ex.add_argument("--lang", action="append", help="language code (default: every .ts, or de)")
    co = sub.add_parser("compile", help="compile every .ts to .qm")
    co.add_argument("--out-dir", default=str(I18N))
    args = parser.parse_args(argv)
    if args.cmd == "extract":
        bad = non_literal_calls()
        if bad:
            print("not extractable (text is not a literal): " + ", ".join(bad), file=sys.stderr)
        langs = args.lang or [p.stem.split("_", 3)[-1] for p in I18N.glob("*.ts")] or ["de"]
        for lang in langs:
            ts = write_ts(lang)
            todo = sum(
                1
                for m in ET.parse(ts).getroot().iter("translation")  # nosec B314
                if m.get("type") == "unfinished"
            )
            print(f"{ts}: {len(literal_messages())} messages, {todo} not translated yet")
        return 0
    for ts in sorted(I18N.glob("*.ts")):
        print(compile_ts(ts, Path(args.out_dir) / f"{ts.stem}.qm"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
