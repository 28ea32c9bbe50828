"""Translations: every UI text is extractable, the German file is complete, and it loads."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import install_plugin  # noqa: E402
import package  # noqa: E402
import translations  # noqa: E402

TS_DE = ROOT / "rs_embed_qgis" / "i18n" / "rs_embed_qgis_de.ts"


def test_every_translated_text_is_a_literal():
    # A text built at run time (f-string, variable, concatenation) is invisible to the
    # extraction and so never translated: format a literal instead, tr("{n} items").format(n=...)
    assert translations.non_literal_calls() == []


def test_the_german_file_holds_every_text_of_the_code_translated():
    ts = ET.parse(TS_DE).getroot()
    done = {
        m.findtext("source"): m.find("translation")
        for m in ts.iter("message")
        if m.find("translation") is not None
    }
    code = set(translations.literal_messages())
    missing = sorted(code - set(done))
    assert missing == [], f"not in {TS_DE.name} (run make translations): {missing[:5]}"
    untranslated = sorted(
        t for t in code if not (done[t].text or "").strip() or done[t].get("type")
    )
    assert untranslated == [], f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    # Placeholders survive translation: the same {names} on both sides.
    import string

    fmt = string.Formatter()
    for text in code:
        want = sorted(f for _, f, _, _ in fmt.parse(text) if f is not None)
        got = sorted(f for _, f, _, _ in fmt.parse(done[text].text or "") if f is not None)
        assert got == want, (text, done[text].text)


LOADER = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from qgis.core import QgsApplication, QgsSettings
    app = QgsApplication([], False)
    app.initQgis()
    QgsSettings().setValue("locale/overrideFlag", True)
    QgsSettings().setValue("locale/userLocale", sys.argv[2])
    import rs_embed_qgis
    plugin = rs_embed_qgis.classFactory(None)
    from rs_embed_qgis.i18n import tr
    report = {"locale": QgsApplication.locale(), "text": tr(sys.argv[3])}
    plugin.initProcessing()
    reg = QgsApplication.processingRegistry()
    alg = reg.algorithmById("rs_embed:embed_features")
    report["alg"] = alg.displayName()
    plugin.unload()
    report["after_unload"] = tr(sys.argv[3])
    print("REPORT " + json.dumps(report))
    """
)


def _load(tmp_path, plugin_zip_dir, locale, text):
    config = tmp_path / f"cfg_{locale}"
    target = install_plugin.install(config, zip_path=plugin_zip_dir)
    script = tmp_path / "load.py"
    script.write_text(LOADER)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "QT_QPA_PLATFORM": "offscreen",
        "QGIS_CUSTOM_CONFIG_PATH": str(config),
        "LANG": "C.UTF-8",
    }
    proc = subprocess.run(
        ["/usr/bin/python3", str(script), str(target.parent), locale, text],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=300,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    return json.loads(lines[-1][len("REPORT ") :])


def test_the_zip_speaks_german_in_a_german_qgis(tmp_path):
    out = package.build(tmp_path / "dist")
    ts = ET.parse(TS_DE).getroot()
    source = "Embed features (Copernicus-Embed)"
    german = next(
        m.findtext("translation") for m in ts.iter("message") if m.findtext("source") == source
    )
    assert german and german != source
    report = _load(tmp_path, out, "de_DE", source)
    assert report["locale"] == "de_DE"
    assert report["text"] == german
    assert report["alg"] == german
    assert report["after_unload"] == source  # unload removed the translator
    english = _load(tmp_path, out, "en_US", source)
    assert english["text"] == source
