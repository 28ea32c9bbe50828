"""The official repository's blocking scans (Bandit, detect-secrets) find nothing in the ZIP."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCAN = ROOT / "scripts" / "security_scan.py"


def run_scan(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCAN), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_shipped_files_pass_both_scans():
    out = run_scan(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 finding(s)" in out.stdout


def test_the_scan_fails_on_what_the_repository_blocks(tmp_path):
    # A copy of the tree with one Bandit finding and one secret: both must be reported.
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("metadata.txt", "LICENSE", "CHANGELOG.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "resources", tree / "resources")
    shutil.copytree(
        ROOT / "rs_embed_qgis",
        tree / "rs_embed_qgis",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    bad = tree / "rs_embed_qgis" / "core" / "bad_example.py"
    bad.write_text(
        '"""Example."""\n\nimport subprocess\n\n\ndef run(cmd: str) -> None:\n'
        '    """Run."""\n    subprocess.call(cmd, shell=True)\n\n\n'
        'AWS_KEY = "AKIAIOSFODNN7EXAMPLQ"\n',
        encoding="utf-8",
    )
    out = run_scan(tree)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "bad_example.py:8: bandit B602" in out.stdout
    assert "bad_example.py:11: detect-secrets: AWS Access Key" in out.stdout
