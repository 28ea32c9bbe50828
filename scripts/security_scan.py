"""The official plugin repository's blocking scans, run on what the ZIP ships.

plugins.qgis.org scans every upload with Bandit and detect-secrets and blocks a version on
any finding of either. This runs both on the files ``scripts/package.py`` puts in the ZIP
(the plugin code, ``metadata.txt``, resources, LICENSE) and exits 1 on any finding, so
``make lint`` (and the test suite) fail where an upload would be blocked.

    python scripts/security_scan.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import package  # noqa: E402


def shipped_files(root: Path = ROOT) -> list[Path]:
    """Every source file the ZIP holds."""
    return [src for src, _ in package.plugin_files(root)]


def bandit_findings(files: list[Path]) -> list[str]:
    """Bandit's findings (every test, every severity and confidence) on the Python files."""
    py = [str(p) for p in files if p.suffix == ".py"]
    out = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-f", "json", *py],
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(out.stdout)
    except ValueError:
        raise SystemExit(
            f"bandit did not run: {out.stderr.strip() or out.stdout.strip()}"
        ) from None
    return [
        f"{r['filename']}:{r['line_number']}: bandit {r['test_id']} ({r['issue_severity']}): "
        f"{r['issue_text']}"
        for r in report.get("results", [])
    ]


def secret_findings(files: list[Path], root: Path = ROOT) -> list[str]:
    """detect-secrets' findings on every shipped text file."""
    out = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=str(root),
    )
    try:
        report = json.loads(out.stdout)
    except ValueError:
        raise SystemExit(f"detect-secrets did not run: {out.stderr.strip()}") from None
    return [
        f"{name}:{hit['line_number']}: detect-secrets: {hit['type']}"
        for name, hits in report.get("results", {}).items()
        for hit in hits
    ]


def main(argv: list[str] | None = None) -> int:
    """Run both scans; print every finding; 1 if there is any."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="source tree (default: this one)")
    root = Path(parser.parse_args(argv).root).resolve()
    files = shipped_files(root)
    findings = bandit_findings(files) + secret_findings(files, root)
    for line in findings:
        print(line)
    print(f"security scan of {len(files)} shipped files: {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
