"""The stock-QGIS tier on every QGIS that Debian ships, each in a throwaway Debian root.

``make test-matrix`` (as root) builds, once, a Debian 12, a Debian 13 and a Debian 13 +
trixie-backports root with debootstrap from the mirror of this machine's apt sources, installs
each one's QGIS from apt (``--no-install-recommends``, nothing pip-installed) and runs
``tests/stock`` against it: pytest runs here on the venv, while every stock process (the
packaging and install scripts, Debian's python3, qgis_process) runs in the root through
``RS_EMBED_STOCK_ROOT`` (tests/stock/util.py). The source tree and pytest's temporary folder
are bind-mounted into the root at their own paths, with /proc, /dev and /sys; all of them are
unmounted afterwards, also on failure. One line per QGIS version is printed.

Roots are cached in ``$RS_EMBED_MATRIX_DIR`` (default /var/cache/rs_embed_matrix, outside the
source tree so that no tool walks into a root). A root is rebuilt only when its stamp is
missing; ``--rebuild`` rebuilds them all. Standard library only.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("RS_EMBED_MATRIX_DIR", "/var/cache/rs_embed_matrix"))
LOGS = REPO / "out" / "test-matrix"
PACKAGES = ("qgis", "python3-qgis", "qgis-providers", "python3-gdal")
# The stamp written once the root's QGIS is installed; its content names the packages.
STAMP = ".rs_embed_matrix_ready"


@dataclass(frozen=True)
class Target:
    """One Debian root: its suite, whether QGIS comes from backports, its label."""

    name: str
    suite: str
    label: str
    backports: bool = False

    @property
    def root(self) -> Path:
        """Where the root lives."""
        return CACHE / self.name


TARGETS = (
    Target("debian12", "bookworm", "Debian 12"),
    Target("debian13", "trixie", "Debian 13"),
    Target("debian13-backports", "trixie", "Debian 13 + backports", backports=True),
)


def log(msg: str) -> None:
    """A progress line on stderr (stdout keeps the table)."""
    print(f"[test-matrix] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str | Path], **kw) -> subprocess.CompletedProcess:
    """Run a command, failing loudly."""
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def host_mirrors() -> tuple[str, str | None]:
    """The Debian archive and security URIs of this machine's apt sources."""
    text = ""
    for f in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*"))]:
        if os.path.isfile(f) and f.endswith((".list", ".sources")):
            text += Path(f).read_text() + "\n"
    uris = re.findall(r"^\s*URIs:\s*(\S+)", text, re.M)
    uris += re.findall(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.M)
    main = [u for u in uris if u.rstrip("/").endswith("/debian")]
    security = [u for u in uris if u.rstrip("/").endswith("/debian-security")]
    mirror = os.environ.get("RS_EMBED_MATRIX_MIRROR") or (
        main[0] if main else "http://deb.debian.org/debian"
    )
    return mirror.rstrip("/"), (security[0].rstrip("/") if security else None)


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path``, deepest first."""
    prefix = str(path.resolve())
    points = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def unmount_all(path: Path) -> None:
    """Unmount whatever is mounted below ``path`` (also leftovers of an interrupted run)."""
    for point in mounts_under(path):
        if subprocess.run(["umount", point]).returncode != 0:
            subprocess.run(["umount", "-l", point])
    left = mounts_under(path)
    if left:
        raise RuntimeError(f"still mounted: {left}")


def remove_root(path: Path) -> None:
    """Delete a root, never through a mount into the host."""
    unmount_all(path)
    if path.exists():
        run(["rm", "-rf", "--one-file-system", path])


@contextmanager
def mounted(root: Path, binds: tuple[Path, ...] = ()):
    """/proc, /dev, /sys and ``binds`` (at their own paths) mounted in the root meanwhile."""
    try:
        run(["mount", "-t", "proc", "proc", root / "proc"])
        run(["mount", "--bind", "/dev", root / "dev"])
        run(["mount", "--bind", "/sys", root / "sys"])
        for src in binds:
            dst = root / str(src).lstrip("/")
            dst.mkdir(parents=True, exist_ok=True)
            run(["mount", "--bind", src, dst])
        yield root
    finally:
        unmount_all(root)


def chroot(root: Path, *cmd: str, **kw) -> subprocess.CompletedProcess:
    """Run a command in the root with a plain environment."""
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "DEBIAN_FRONTEND": "noninteractive",
        "HOME": "/root",
    }
    return run(["chroot", root, *cmd], env=env, **kw)


def build(target: Target, rebuild: bool) -> None:
    """debootstrap the root and install its QGIS, unless its stamp says it is ready."""
    root = target.root
    stamp = root / STAMP
    if stamp.is_file() and not rebuild:
        log(f"{target.label}: cached root {root}")
        return
    remove_root(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    mirror, security = host_mirrors()
    t0 = time.monotonic()
    log(f"{target.label}: debootstrap {target.suite} from {mirror} into {root}")
    run(["debootstrap", "--variant=minbase", target.suite, root, mirror])
    sources = [
        f"deb {mirror} {target.suite} main",
        f"deb {mirror} {target.suite}-updates main",
    ]
    if security:
        sources.append(f"deb {security} {target.suite}-security main")
    if target.backports:
        sources.append(f"deb {mirror} {target.suite}-backports main")
    (root / "etc/apt/sources.list").write_text("\n".join(sources) + "\n")
    # No service starts inside the root.
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
    install = ["apt-get", "install", "-y", "--no-install-recommends"]
    if target.backports:
        install += ["-t", f"{target.suite}-backports"]
    with mounted(root):
        chroot(root, "apt-get", "update")
        log(f"{target.label}: apt-get install {' '.join(PACKAGES)}")
        chroot(root, *install, *PACKAGES)
        chroot(root, "apt-get", "clean")
    stamp.write_text(" ".join(PACKAGES) + "\n")
    log(f"{target.label}: root ready in {time.monotonic() - t0:.0f} s")


def describe(root: Path) -> tuple[str, str]:
    """The root's QGIS version (upstream part of the package's) and Python version."""
    qgis = chroot(
        root, "dpkg-query", "-W", "-f", "${Version}", "qgis", capture_output=True, text=True
    ).stdout
    qgis = re.split(r"[+~-]", qgis.split(":")[-1])[0]
    python = chroot(
        root,
        "/usr/bin/python3",
        "-c",
        "import sys; print('%d.%d.%d' % sys.version_info[:3])",
        capture_output=True,
        text=True,
    ).stdout.strip()
    return qgis, python


def failure_summary(node: ET.Element) -> str:
    """One line for a failure: pytest's ``assert`` line (a negative exit code named as its
    signal) and the first non-empty line of the message before it (often the process's
    stderr), since that first line alone may be empty or a warning."""
    lines = [ln.strip() for ln in (node.get("message") or "").splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return node.tag
    check = next((ln for ln in lines if ln.startswith("assert ")), "")
    m = re.match(r"assert (-\d+) == 0\b", check)
    if m:
        try:
            check += f" ({signal.Signals(-int(m.group(1))).name})"
        except ValueError:
            pass
    head = re.sub(r"^AssertionError:\s*", "", lines[0])
    parts = [check] if check else []
    if head and not head.startswith("assert "):
        parts.append(f"output: {head[:120]}" if check else head)
    return " | ".join(parts) or lines[0]


def junit_counts(path: Path) -> tuple[int, int, int, list[str]]:
    """passed, failed (failures + errors), skipped, and the failing test ids with messages."""
    if not path.is_file():
        return 0, 0, 0, ["pytest wrote no report"]
    passed = failed = skipped = 0
    failures = []
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = [c for c in case if c.tag in ("failure", "error")]
        if bad:
            failed += 1
            failures.append(f"{case.get('name')}: {failure_summary(bad[0])}")
        elif any(c.tag == "skipped" for c in case):
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, failures


def test(target: Target, pytest_args: list[str]) -> tuple[str, int]:
    """Run tests/stock against the root; its table line and pytest's exit code."""
    root = target.root
    qgis, python = describe(root)
    name = target.name
    # pytest deletes and recreates its basetemp: the bind mount is of the folder above it.
    shared = Path("/tmp") / f"rs_embed_matrix-{name}"
    if shared.exists():
        shutil.rmtree(shared)
    shared.mkdir(parents=True)
    basetemp = shared / "pytest"
    LOGS.mkdir(parents=True, exist_ok=True)
    report = LOGS / f"{name}.xml"
    report.unlink(missing_ok=True)
    venv_python = REPO / ".venv" / "bin" / "python"
    env = dict(os.environ, RS_EMBED_STOCK_ROOT=str(root), QT_QPA_PLATFORM="offscreen")
    cmd = [
        venv_python, "-m", "pytest", "tests/stock", "-p", "no:cacheprovider",
        f"--basetemp={basetemp}", f"--junitxml={report}", "-q", "-rfE", *pytest_args,
    ]  # fmt: skip
    log(f"{target.label}: QGIS {qgis}, Python {python}: {' '.join(map(str, cmd[1:]))}")
    with ExitStack() as stack:
        stack.enter_context(mounted(root, binds=(REPO, shared)))
        with open(LOGS / f"{name}.log", "w") as out:
            code = subprocess.run(
                [str(c) for c in cmd], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            ).returncode
    passed, failed, skipped, failures = junit_counts(report)
    line = f"QGIS {qgis:<8} {target.label:<22} Python {python:<7} {passed} passed {failed} failed"
    if skipped:
        line += f" {skipped} skipped"
    for f in failures:
        line += f"\n    FAILED {f}"
    return line, code


def main() -> int:
    """Build the roots in sequence, run the tier in each, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", choices=[t.name for t in TARGETS])
    ap.add_argument("--rebuild", action="store_true", help="rebuild cached roots")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("test-matrix needs root (debootstrap, chroot, mount).", file=sys.stderr)
        return 2
    if shutil.which("debootstrap") is None:
        print("debootstrap is missing: apt-get install debootstrap", file=sys.stderr)
        return 2
    targets = [t for t in TARGETS if not args.only or t.name in args.only]
    lines, worst = [], 0
    for target in targets:
        try:
            build(target, args.rebuild)
            if args.build_only:
                continue
            line, code = test(target, args.pytest_args)
        except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
            line, code = f"{target.label}: not run ({exc})", 1
        finally:
            unmount_all(target.root)
        print(line, flush=True)
        lines.append(line)
        worst = max(worst, code)
    if lines:
        print(f"logs: {LOGS}", file=sys.stderr)
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
