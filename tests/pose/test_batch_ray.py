"""`--engine ray` (Ray Data actor pool) against the local engine on real videos: same bytes, same
manifest, resume, bad videos, a worker SIGKILLed mid-job, and the driver SIGKILLed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")
from helpers.ray_helpers import (
    cmdline,
    comparable_manifest,
    descendants,
    kill_session,
    open_files,
    stray_files,
    tree_bytes,
    video_tree,
)
from repcoach.pose.batch import MANIFEST_NAME, run_batch
from repcoach.pose.batch_ray import run_batch_ray
from repcoach.pose.extract import PoseExtractorOptions

pytestmark = [pytest.mark.slow, pytest.mark.realdata]
OPTS = PoseExtractorOptions(max_frames=30)
_RUNNER = "import sys; from repcoach.cli import main; sys.argv[0] = 'repcoach'; main()"


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray instance for the module (2 CPUs, no dashboard)."""
    import ray

    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


_REF: dict[str, Path] = {}


@pytest.fixture
def reference(tmp_path_factory, realdata):
    """The local engine (in-process) on four short real videos, with world landmarks (made
    once per session; ``realdata`` is function-scoped, hence the cache)."""
    if "root" not in _REF:
        root = tmp_path_factory.mktemp("ref")
        video_tree(realdata, root / "data")
        s = run_batch(root / "data", root / "out", options=OPTS, workers=1, world=True,
                      progress=False)  # fmt: skip
        assert s.counts == {"done": 4, "skipped": 0, "failed": 0}
        _REF["root"] = root
    return _REF["root"]


def test_ray_engine_matches_local_and_resumes(ray_local, reference, tmp_path):
    data, out = reference / "data", tmp_path / "out"
    bad = data / "bad" / "broken.mp4"  # a truncated copy: reported, skipped, the rest done
    bad.parent.mkdir(exist_ok=True)
    bad.write_bytes((data / "pushfit_pushup_form" / "wrong002.mp4").read_bytes()[:5000])
    try:
        s = run_batch_ray(data, out, options=OPTS, workers=2, world=True, progress=False)
    finally:
        bad.unlink()
    assert s.counts == {"done": 4, "skipped": 0, "failed": 1} and s.workers == 2
    (failed,) = s.by_status("failed")
    assert failed.video == str(bad) and "truncated" in failed.reason
    ref_files = tree_bytes(reference / "out", skip=(MANIFEST_NAME,))
    assert len(ref_files) == 16  # 4 x (csv, pose.json, -world.csv, -world.pose.json)
    assert tree_bytes(out, skip=(MANIFEST_NAME,)) == ref_files  # byte-identical
    got = comparable_manifest(out / MANIFEST_NAME, out)
    got["results"] = [r for r in got["results"] if r["status"] != "failed"]
    got["counts"]["failed"] = 0
    assert got == comparable_manifest(reference / "out" / MANIFEST_NAME, reference / "out")
    man = json.loads((out / MANIFEST_NAME).read_text())
    assert man["engine"] == "ray" and man["ray"]["cluster_cpus"] == 2
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*.csv")}
    s2 = run_batch_ray(data, out, options=OPTS, workers=2, world=True, progress=False)
    assert s2.counts == {"done": 0, "skipped": 4, "failed": 0}
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.csv")} == stamp
    assert not stray_files(out)


def _map_workers() -> list[int]:
    """Our Ray Data actor processes (children of the raylet this test process started)."""
    return [p for p in descendants(os.getpid()) if "MapWorker" in cmdline(p)
            and "PoseExtractActor" in cmdline(p)]  # fmt: skip


def _busy_workers() -> list[int]:
    """Actor processes that have a video open right now (killing an idle one fails nothing)."""
    return [p for p in _map_workers() if any(f.endswith(".mp4") for f in open_files(p))]


def test_worker_killed_mid_job_is_retried(ray_local, reference, tmp_path):
    """SIGKILL one actor process as soon as the first CSV exists (the other videos are in
    flight or queued): Ray restarts it and retries its video; every output is still identical
    to the local engine's and no temp file is left."""
    out = tmp_path / "out"
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            busy = _busy_workers()
            if busy and any(out.rglob("*-world.csv")):
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.005)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    s = run_batch_ray(reference / "data", out, options=OPTS, workers=2, world=True,
                      progress=False)  # fmt: skip
    t.join(timeout=5)
    assert killed, "no actor process was found to kill"
    assert not Path(f"/proc/{killed[0]}").exists() or "MapWorker" not in cmdline(killed[0])
    assert s.counts == {"done": 4, "skipped": 0, "failed": 0}, s.to_dict()
    assert tree_bytes(out, skip=(MANIFEST_NAME,)) == tree_bytes(
        reference / "out", skip=(MANIFEST_NAME,))
    assert not stray_files(out)


def test_driver_killed_then_resumed(ray_local, reference, tmp_path):
    """`repcoach extract --engine ray` as a subprocess, SIGKILLed (the driver alone) after the
    first CSV appears; finished CSVs are complete and kept, a re-run does the rest, the result
    equals a clean run, and no temp file is left."""
    data, out = reference / "data", tmp_path / "out"
    cmd = [sys.executable, "-c", _RUNNER, "extract", str(data), "--out", str(out), "--engine",
           "ray", "--workers", "2", "--max-frames", "30", "--world", "--quiet"]  # fmt: skip
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p for p in out.rglob("*.csv") if not p.name.endswith("-world.csv")):
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"finished before the kill: {proc.stderr.read()[-2000:]}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        time.sleep(1.0)  # Ray's own processes follow the driver; two agents linger: ours
        kill_session(proc.pid)
    first = sorted(p for p in out.rglob("*.csv") if not p.name.endswith("-world.csv"))
    assert 1 <= len(first) < 4
    ref = tree_bytes(reference / "out", skip=(MANIFEST_NAME,))
    for p in first:  # each CSV present after the kill is complete, world file and side files
        rel = p.relative_to(out)
        for q in (rel, rel.with_suffix(".pose.json"), rel.with_name(rel.stem + "-world.csv")):
            assert (out / q).read_bytes() == ref[str(q)]
    stamp = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in first}

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240,
                           start_new_session=True)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert tree_bytes(out, skip=(MANIFEST_NAME,)) == ref
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in first} == stamp
    assert not stray_files(out)
    man = json.loads((out / MANIFEST_NAME).read_text())
    assert man["counts"] == {"done": 4 - len(first), "skipped": len(first), "failed": 0}


def test_missing_ray_is_one_clear_error(tmp_path, realdata):
    """Without Ray installed, `--engine ray` fails with one `error:` line (exit 2)."""
    (v,) = video_tree(realdata, tmp_path / "data", n=1)
    blocker = tmp_path / "noray"
    (blocker / "ray").mkdir(parents=True)
    (blocker / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(blocker), *filter(None, [os.environ.get("PYTHONPATH")])])}  # fmt: skip
    cmd = [sys.executable, "-c", _RUNNER, "extract", str(v.parent), "--out", str(tmp_path / "o"),
           "--engine", "ray"]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2, res.stderr[-2000:]
    assert "error:" in res.stderr and "repcoach[ray]" in res.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.csv"))




def test_worker_lost_for_good_is_reported(ray_local, reference, tmp_path):
    """With no task retries, the video of a SIGKILLed actor is a ``failed`` result (reason
    given, no partial output); the other videos are done, identical to the local engine."""
    out = tmp_path / "out"
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            busy = _busy_workers()
            if busy and any(out.rglob("*-world.csv")):
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.005)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    s = run_batch_ray(reference / "data", out, options=OPTS, workers=2, world=True,
                      progress=False, max_task_retries=0)  # fmt: skip
    t.join(timeout=5)
    assert killed
    failed = s.by_status("failed")
    assert len(failed) == 1 and s.counts["done"] == 3, s.to_dict()
    assert "worker error" in failed[0].reason
    assert not Path(failed[0].output).exists()
    ref = tree_bytes(reference / "out", skip=(MANIFEST_NAME,))
    got = tree_bytes(out, skip=(MANIFEST_NAME,))
    assert len(got) == 12 and all(ref[k] == v for k, v in got.items())
    assert not stray_files(out)
