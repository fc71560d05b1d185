"""Benchmark `repcoach extract --engine local` against `--engine ray` on the same videos.

One run of each, as a user runs them (``run_batch`` / ``run_batch_ray``, fresh output folders,
worker start-up included; the ray run starts its own local Ray instance with
``num_cpus=workers``). Prints, per engine: wall seconds, decoded frames per second (all decoded
frames / wall time), and the mean per-video work seconds from the manifest (decode + pose +
write, start-up excluded); then the ray / local ratio of frames per second. No assertions.

    .venv/bin/python bench/bench_ray.py [--workers 2] [--json OUT.json] [VIDEO_OR_DIR ...]

Default videos: the 10 PushFit clips (640x360 @25) and 4 stock clips (1280x720 @30) of
../shared/realdata, copied into one temp tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("REPCOACH_REALDATA", ROOT.parent / "shared" / "realdata"))
DEFAULT_DIRS = [REALDATA / "pushfit_pushup_form" / "videos",
                REALDATA / "exercise_videos_stock" / "videos"]  # fmt: skip


def _tree(sources: list[Path], root: Path) -> int:
    """Copy every video of ``sources`` (files or folders) into ``root/<k>/``; returns count."""
    from repcoach.pose.batch import find_videos

    n = 0
    for k, src in enumerate(sources):
        vids = [src] if src.is_file() else find_videos(src)
        for v in vids:
            dst = root / str(k) / v.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(v, dst)
            n += 1
    return n


def _figures(summary, wall: float) -> dict:  # noqa: ANN001
    done = summary.by_status("done")
    frames = sum(r.decoded_frames or 0 for r in done)
    work = [r.seconds for r in done if r.seconds is not None]
    return {"videos": len(done), "failed": summary.counts["failed"], "workers": summary.workers,
            "wall_s": round(wall, 2), "decoded_frames": frames,
            "fps": round(frames / wall, 2) if wall > 0 else None,
            "mean_video_s": round(sum(work) / len(work), 3) if work else None,
            "frames_per_video": round(frames / len(done), 1) if done else None}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="*", type=Path, help="videos or folders (default: realdata)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    from repcoach.pose.batch import run_batch
    from repcoach.pose.batch_ray import run_batch_ray

    sources = args.videos or DEFAULT_DIRS
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        data = Path(tmp) / "data"
        n = _tree(sources, data)
        print(f"{n} videos, {args.workers} workers, machine: {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
        results = {}
        for engine, fn in (("local", run_batch), ("ray", run_batch_ray)):
            t0 = time.perf_counter()
            s = fn(data, Path(tmp) / engine, workers=args.workers, progress=False)
            results[engine] = _figures(s, time.perf_counter() - t0)
            f = results[engine]
            print(f"{engine:5s}: {f['videos']} videos ({f['failed']} failed), "
                  f"{f['decoded_frames']} frames in {f['wall_s']:.1f} s = {f['fps']:.1f} "
                  f"frames/s; mean per-video work {f['mean_video_s']:.2f} s "
                  f"({f['frames_per_video']:.0f} frames/video)")  # fmt: skip
    ratio = results["ray"]["fps"] / results["local"]["fps"]
    work = results["ray"]["mean_video_s"] / results["local"]["mean_video_s"]
    print(f"ray / local: frames/s x{ratio:.2f} (wall, start-up included); per-video work "
          f"x{work:.2f}")  # fmt: skip
    results["ratio_fps_ray_over_local"] = round(ratio, 3)
    results["ratio_video_work_ray_over_local"] = round(work, 3)
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
