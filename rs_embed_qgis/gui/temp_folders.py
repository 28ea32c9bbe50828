# SPDX-License-Identifier: GPL-2.0-or-later
"""The plugin's temporary folders: made with the QGIS process's id, removed on unload or at exit.

Each folder is ``<prefix><pid>-<start>_<random>`` in the system temp folder: the id of
the QGIS process that made it and that process's start time (clock ticks since boot, from
``/proc``; 0 where there is none), so that a later process with the same id is not taken
for its maker. A folder still holding files of layers of the project is
kept on unload (the layers stay usable) and removed when QGIS exits. Folders of QGIS
processes that no longer run (killed, crashed) are reclaimed at the next start, in a task;
a folder is only removed when its name says it is ours and its maker is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from typing import Any

from qgis.core import QgsApplication, QgsTask

GRID_PREFIX = "rs_embed_qgis_"
EXPLORE_PREFIX = "rs_embed_explore_"
_NAME = re.compile(r"^(rs_embed_qgis_|rs_embed_explore_)(\d+)-(\d+)_[A-Za-z0-9_]+$")

_AT_EXIT: set[str] = set()  # folders kept for layers of the project: removed when QGIS exits
_HOOKED: list[bool] = []


def _start_ticks(pid: int) -> int:
    """When process ``pid`` started (clock ticks since boot; 0 when unknown)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            stat = fh.read()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def make_folder(prefix: str) -> str:
    """A new temporary folder of this process, named after it (pid and start time)."""
    pid = os.getpid()
    return tempfile.mkdtemp(prefix=f"{prefix}{pid}-{_start_ticks(pid)}_")


def _alive(pid: int, start: int) -> bool:
    """Whether the process that made a folder (pid, start ticks) still runs."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process with that id: not ours to judge
        return True
    now = _start_ticks(pid)
    return not (start and now and now != start)  # the same id, a later process: gone


def dead_folders(root: str | None = None) -> list[str]:
    """Folders made by plugin processes that no longer run."""
    root = root or tempfile.gettempdir()
    out = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return out
    for entry in entries:
        m = _NAME.match(entry.name)
        if m is None or not entry.is_dir(follow_symlinks=False):
            continue
        pid, start = int(m.group(2)), int(m.group(3))
        if pid == os.getpid() or _alive(pid, start):
            continue
        out.append(entry.path)
    return out


def folder_bytes(folder: str) -> int:
    """Bytes of the files under ``folder``."""
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(base, name))
            except OSError:
                pass
    return total


class ReclaimTask(QgsTask):
    """Remove the temporary folders of plugin processes that no longer run (off the GUI thread)."""

    def __init__(self, root: str | None = None) -> None:
        # Silent (QGIS >= 3.26): no notification in the task bar for a housekeeping job.
        flags = QgsTask.Flag.CanCancel
        silent = getattr(QgsTask.Flag, "Silent", None)
        if silent is not None:
            flags = flags | silent
        super().__init__("Copernicus-Embed: reclaim temporary folders", flags)
        self.root = root
        self.removed: list[str] = []
        self.freed = 0

    def run(self) -> bool:  # noqa: D102 - QgsTask API
        try:
            for folder in dead_folders(self.root):
                size = folder_bytes(folder)
                shutil.rmtree(folder, ignore_errors=True)
                if not os.path.exists(folder):
                    self.removed.append(folder)
                    self.freed += size
        except Exception:  # never raise from run(): a leftover stays for the next start
            return False
        return True


def _remove_kept() -> None:
    for folder in list(_AT_EXIT):
        shutil.rmtree(folder, ignore_errors=True)
        _AT_EXIT.discard(folder)


def keep_until_exit(folder: str) -> None:
    """Remove ``folder`` when QGIS exits (its files are still shown by layers)."""
    _AT_EXIT.add(folder)
    if not _HOOKED:
        app = QgsApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(_remove_kept)
        import atexit

        atexit.register(_remove_kept)
        _HOOKED.append(True)


def kept_folders() -> set[str]:
    """Folders waiting for QGIS's exit."""
    return set(_AT_EXIT)


def layers_using(project: Any, folder: str) -> list[Any]:
    """Layers of ``project`` whose files are inside ``folder``."""
    folder = os.path.realpath(folder)
    out = []
    for layer in project.mapLayers().values():
        path = layer.source().split("|")[0]
        if os.path.realpath(path).startswith(folder + os.sep):
            out.append(layer)
    return out


def release(folders: Iterable[str], project: Any) -> list[Any]:
    """Remove the folders no layer of ``project`` uses; keep the others until QGIS exits.

    Returns the layers whose files were kept.
    """
    kept = []
    for folder in folders:
        if not folder or not os.path.isdir(folder):
            continue
        users = layers_using(project, folder)
        if users:
            kept.extend(users)
            keep_until_exit(folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return kept
