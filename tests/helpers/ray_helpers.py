"""Test helper (not a test) for the Ray engine tests: real short videos, tree comparison, and
finding / killing processes of our own (by session or by parent, read from /proc)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from pathlib import Path

#: (dataset, file): short real videos, two resolutions (640x360 @25, 1280x720 @30)
VIDEOS = [
    ("pushfit_pushup_form", "correct001.mp4"),
    ("pushfit_pushup_form", "wrong002.mp4"),
    ("exercise_videos_stock", "squat_correct_a.mp4"),
    ("exercise_videos_stock", "jumpingjack_b.mp4"),
]


def video_tree(realdata, root: Path, n: int = len(VIDEOS)) -> list[Path]:
    """Copies of ``n`` short real videos in a small tree: ``root/<dataset>/<file>``."""
    out = []
    for ds, name in VIDEOS[:n]:
        dst = root / ds / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(realdata(ds, "videos", name), dst)
        out.append(dst)
    return out


def tree_bytes(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Relative path -> content of every file under ``root`` (names in ``skip`` left out)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in skip}  # fmt: skip


def comparable_manifest(path: Path, root: Path) -> dict:
    """A manifest without what differs between engines and runs: timings, worker counts, the
    engine keys, the output root."""
    m = json.loads(path.read_text())
    for k in ("seconds", "workers", "engine", "ray"):
        m.pop(k, None)
    for r in m["results"]:
        r.pop("seconds", None)
        r["output"] = str(Path(r["output"]).relative_to(root))
    return m


def stray_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, session id) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[3])


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def open_files(pid: int) -> list[str]:
    """Paths a live process has open (empty when it is gone or unreadable)."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    paths = []
    for fd in fds:
        with contextlib.suppress(OSError):
            paths.append(os.readlink(fd))
    return paths


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def descendants(root_pid: int) -> list[int]:
    """Every live process below ``root_pid``."""
    parent = {pid: st[0] for pid in _pids() if (st := _stat(pid)) is not None}
    found, frontier = [], {root_pid}
    while frontier:
        kids = {p for p, pp in parent.items() if pp in frontier and p not in found}
        found += sorted(kids)
        frontier = kids
    return found


def session_pids(sid: int) -> list[int]:
    """Live processes of session ``sid`` (a subprocess started with start_new_session)."""
    return [pid for pid in _pids() if (st := _stat(pid)) is not None and st[1] == sid]


def kill_session(sid: int) -> None:
    """SIGKILL every process of session ``sid`` (ours: the CLI and the Ray it started)."""
    for pid in session_pids(sid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
