"""Batch extraction: tree mirroring, resumability, bad videos, and surviving SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repcoach.errors import DataError
from repcoach.io.pose_csv import read_pose_csv
from repcoach.pose.batch import (
    MANIFEST_NAME,
    Job,
    find_videos,
    plan_jobs,
    remove_partial_outputs,
    remove_stale_temps,
    run_batch,
)
from repcoach.pose.extract import PoseExtractorOptions

NAMES = ["ahmed-attia", "mona-zaki"]
CODES = ["JJ", "SU"]


def _tree(root: Path, src_videos: list[Path], views=("frontal", "side")) -> list[Path]:
    """EJUST tree of copies of real videos: DIR/<name>/<CODE>/<view>/<name><CODE>-<view>.mp4"""
    out, k = [], 0
    for name in NAMES:
        for code in CODES:
            for view in views:
                p = root / name / code / view / f"{name}{code}-{view}.mp4"
                p.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src_videos[k % len(src_videos)], p)
                out.append(p)
                k += 1
    return out


@pytest.fixture
def pushfit_videos(realdata):
    root = realdata("pushfit_pushup_form", "videos")
    return [root / f"{n}.mp4" for n in ("correct001", "correct002", "wrong001", "wrong002")]


def test_plan_mirrors_tree(tmp_path, pushfit_videos):
    vids = _tree(tmp_path / "data", pushfit_videos)
    (tmp_path / "data" / ".hidden").mkdir()
    (tmp_path / "data" / ".hidden" / "x.mp4").write_bytes(b"x")
    (tmp_path / "data" / "participants.csv").write_text("a\n")
    assert find_videos(tmp_path / "data") == sorted(vids)
    jobs = plan_jobs(tmp_path / "data", tmp_path / "out")
    assert len(jobs) == 8
    j = jobs[0]
    assert j.output == tmp_path / "out" / "ahmed-attia/JJ/frontal/ahmed-attiaJJ-frontal.csv"
    beside = plan_jobs(tmp_path / "data")
    assert beside[0].output == vids[0].with_suffix(".csv")
    single = plan_jobs(vids[0], tmp_path / "o")
    assert single == [Job(vids[0], tmp_path / "o" / "ahmed-attiaJJ-frontal.csv")]
    with pytest.raises(DataError, match="no such video file or folder"):
        plan_jobs(tmp_path / "out")  # does not exist yet
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no video files"):
        plan_jobs(tmp_path / "empty")


def test_remove_stale_temps(tmp_path):
    job = Job(tmp_path / "v.mp4", tmp_path / "o" / "v.csv", world=True)
    (tmp_path / "o").mkdir()
    stale = [tmp_path / "o" / ".v.csv.abc123.tmp", tmp_path / "o" / ".v-world.csv.x1.tmp"]
    for p in stale:
        p.write_text("half")
    keep = tmp_path / "o" / ".other.csv.abc.tmp"
    keep.write_text("not ours")
    assert sorted(remove_stale_temps([job])) == sorted(stale)
    assert keep.exists() and not any(p.exists() for p in stale)


def test_remove_partial_outputs_of_a_job_killed_between_renames(tmp_path):
    """A worker killed after the world CSV but before the pose CSV leaves 2 of 4 files; a
    ``failed`` job must leave none (others' files stay)."""
    job = Job(tmp_path / "v.mp4", tmp_path / "v.csv", world=True)
    half = [tmp_path / "v-world.csv", tmp_path / "v-world.pose.json"]
    for p in half:
        p.write_text("x")
    other = tmp_path / "w.csv"
    other.write_text("x")
    assert not job.is_done()
    assert sorted(remove_partial_outputs(job)) == sorted(half)
    assert other.exists() and not any(p.exists() for p in half)


@pytest.mark.slow
def test_run_batch_resumes_and_reports_bad_videos(tmp_path, pushfit_videos):
    data = tmp_path / "data"
    vids = _tree(data, pushfit_videos, views=("frontal",))[:3]
    for extra in find_videos(data):
        if extra not in vids:
            extra.unlink()
    bad = data / "bad" / "broken.mp4"
    bad.parent.mkdir()
    bad.write_bytes(pushfit_videos[0].read_bytes()[:5000])
    opts = PoseExtractorOptions(max_frames=8)
    s1 = run_batch(data, tmp_path / "out", options=opts, workers=1, world=True, progress=False)
    assert s1.counts == {"done": 3, "skipped": 0, "failed": 1}
    (failed,) = s1.by_status("failed")
    assert failed.video == str(bad) and "truncated" in failed.reason
    man = json.loads((tmp_path / "out" / MANIFEST_NAME).read_text())
    assert man["counts"] == s1.counts and len(man["results"]) == 4
    csvs = sorted((tmp_path / "out").rglob("*-frontal.csv"))
    assert len(csvs) == 3 and len(list((tmp_path / "out").rglob("*-world.csv"))) == 3
    seq = read_pose_csv(csvs[0])
    assert seq.n_frames == 9 and seq.fps == pytest.approx(30.0, rel=1e-3)  # 8 @25 -> 30 FPS
    sizes = {Path(r["output"]): (r["frame_width"], r["frame_height"])
             for r in man["results"] if r["status"] == "done"}  # fmt: skip
    assert all(sizes[p] == read_pose_csv(p).frame_size for p in csvs)
    assert all(w and h for w, h in sizes.values())
    stamp = {p: p.stat().st_mtime_ns for p in csvs}
    s2 = run_batch(data, tmp_path / "out", options=opts, workers=1, world=True, progress=False)
    assert s2.counts == {"done": 0, "skipped": 3, "failed": 1}
    assert {p: p.stat().st_mtime_ns for p in csvs} == stamp
    # A missing world file makes the job unfinished: it is redone.
    (csvs[0].parent / (csvs[0].stem + "-world.csv")).unlink()
    s3 = run_batch(data, tmp_path / "out", options=opts, workers=1, world=True, progress=False)
    assert s3.counts == {"done": 1, "skipped": 2, "failed": 1}


_RUNNER = "import sys; from repcoach.cli import main; sys.argv[0] = 'repcoach'; main()"


@pytest.mark.slow
def test_batch_survives_sigkill(tmp_path, pushfit_videos):
    """Kill the whole batch (parent and workers) with SIGKILL after the first CSV appears;
    a re-run finishes the rest without touching finished CSVs and leaves no temp files."""
    data, out = tmp_path / "data", tmp_path / "out"
    vids = _tree(data, pushfit_videos)  # 8 videos
    base = [sys.executable, "-c", _RUNNER, "extract", str(data), "--out", str(out)]
    base += ["--max-frames", "12", "--quiet"]
    cmd = [*base, "--workers", "2"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(out.rglob("*.csv")):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "batch finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the process group: parent and its workers
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    time.sleep(0.2)
    first = sorted(out.rglob("*.csv"))
    assert 1 <= len(first) < len(vids)
    stamp = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in first}
    for p in first:  # every CSV present after the kill is complete
        assert read_pose_csv(p).n_frames == 14  # 12 frames @ 25 FPS -> 14 on a 30 FPS clock

    rerun_cmd = [*base, "--workers", "1"]  # in-process: no worker start-up
    rerun = subprocess.run(rerun_cmd, capture_output=True, text=True, env=env, timeout=180)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    final = sorted(out.rglob("*.csv"))
    expected = sorted((out / v.relative_to(data)).with_suffix(".csv") for v in vids)
    assert final == expected
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in first} == stamp
    assert not [p for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    man = json.loads((out / MANIFEST_NAME).read_text())
    assert man["counts"] == {"done": len(vids) - len(first), "skipped": len(first), "failed": 0}
    for p in final:
        assert read_pose_csv(p).n_frames == 14


def test_read_only_dataset_is_not_written_into(tmp_path, pushfit_videos):
    """Outputs beside the videos of a read-only folder: refused up front (even for root)."""
    data = tmp_path / "ro"
    data.mkdir()
    shutil.copy(pushfit_videos[0], data / "a.mp4")
    data.chmod(0o555)
    try:
        with pytest.raises(DataError, match="not writable.*--out"):
            run_batch(data, progress=False)
        assert sorted(p.name for p in data.iterdir()) == ["a.mp4"]
    finally:
        data.chmod(0o755)
