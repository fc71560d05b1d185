"""Benchmark pose extraction from video: bare MediaPipe model vs the whole extract pipeline.

Prints figures and ratios measured in the same run (no assertions):

- **bare model**: frames/s of ``PoseLandmarker.detect_for_video`` alone, frames decoded into
  memory beforehand (VIDEO mode, one landmarker per video);
- **pipeline**: frames/s of ``PoseExtractor.extract`` + ``write_extraction`` (decode, colour
  conversion, inference, 30 FPS resampling, atomic CSV write), and its ratio to the bare model;
- both for 1 and 2 worker processes (2 workers each take their own shard of 2+ video copies,
  start together after a barrier; throughput = all frames / wall time from the first start to
  the last end); best of ``--repeat`` runs, bare and pipeline interleaved;
- ``repcoach.pose.batch.run_batch`` with 2 workers as a user runs it (worker start-up included);
- end to end as a multiple of real time: video seconds / (extract [+ analyze]) seconds, with the
  analysis model folder from ``--model`` when given (otherwise extraction only, and it says so).

    .venv/bin/python bench/bench_extract.py [--video X.mp4] [--copies 4] [--model MODEL_DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("REPCOACH_REALDATA", ROOT.parent / "shared" / "realdata"))
DEFAULT_VIDEO = REALDATA / "exercise_videos_stock" / "videos" / "jumpingjack_a.mp4"

_BARRIER = None


def _init_barrier(barrier) -> None:  # noqa: ANN001
    global _BARRIER
    _BARRIER = barrier


def bare_model(videos: list[str], model_path: str) -> tuple[int, float, float]:
    """Decode ``videos`` into memory, then time only the landmarker calls.

    Returns (frames, start wall time, end wall time); when run in a pool the workers wait on a
    barrier after decoding so their timed parts overlap.
    """
    from repcoach.pose.extract import PoseExtractor, PoseExtractorOptions, native_stderr_silenced
    from repcoach.pose.mp_bundle import import_mediapipe
    from repcoach.video.io import read_frames

    mpipe = import_mediapipe()
    decoded = [read_frames(v)[0] for v in videos]
    opts = PoseExtractorOptions(model_asset_path=model_path)
    ex = PoseExtractor.create_from_options(opts)
    images = [
        [(mpipe.Image(image_format=mpipe.ImageFormat.SRGB, data=f.image), f) for f in frames]
        for frames in decoded
    ]
    if _BARRIER is not None:
        _BARRIER.wait()
    n = 0
    t0 = time.time()
    for video_images in images:
        ex._open()  # fresh landmarker per video, as in extract(); its cost is included
        for k, (img, f) in enumerate(video_images):
            with native_stderr_silenced(k == 0):  # MediaPipe logs once at the first frame
                ex._landmarker.detect_for_video(img, int(round(f.timestamp_s * 1000)))
            n += 1
    t1 = time.time()
    ex.close()
    return n, t0, t1


def pipeline(videos: list[str], out: str, model_path: str) -> tuple[int, float, float]:
    """Time extract + CSV write of ``videos`` (model loaded before timing starts).

    Returns (frames decoded, start wall time, end wall time); waits on the barrier in a pool.
    """
    from repcoach.pose.extract import PoseExtractor, PoseExtractorOptions, write_extraction

    ex = PoseExtractor.create_from_options(PoseExtractorOptions(model_asset_path=model_path))
    if _BARRIER is not None:
        _BARRIER.wait()
    n = 0
    t0 = time.time()
    for v in videos:
        res = ex.extract(v)
        write_extraction(res, Path(out) / f"{Path(v).stem}.csv")
        n += res.n_decoded
    t1 = time.time()
    ex.close()
    return n, t0, t1


def _rate(results: list[tuple[int, float, float]]) -> float:
    """All frames / wall time from the first start to the last end."""
    return sum(r[0] for r in results) / (max(r[2] for r in results) - min(r[1] for r in results))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--copies", type=int, default=4, help="video copies (shards) for 2 workers")
    ap.add_argument("--model", type=Path, default=None, help="analysis model folder (optional)")
    ap.add_argument("--repeat", type=int, default=2, help="best of N (the machine is shared)")
    args = ap.parse_args()
    if not args.video.is_file():
        print(f"video not found: {args.video} (set REPCOACH_REALDATA)")
        sys.exit(0)

    from repcoach.pose.extract import resolve_model_path
    from repcoach.video.io import probe_video

    info = probe_video(args.video)
    model_path = str(resolve_model_path(None))
    load = os.getloadavg()[0]
    print(f"video: {args.video.name} {info.width}x{info.height} @ {info.fps:g} FPS, "
          f"{info.n_frames} frames; {os.cpu_count()} CPUs; load average {load:.2f}")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench_extract_"))
    try:
        shards = []
        for i in range(max(2, args.copies)):
            p = tmp / "videos" / f"copy{i}" / f"clip{i}.mp4"
            p.parent.mkdir(parents=True)
            shutil.copy(args.video, p)
            shards.append(p)
        rows = []
        videos = [str(v) for v in shards]
        (tmp / "out").mkdir()
        out = str(tmp / "out")

        # -- 1 process: bare model and pipeline interleaved, best of --repeat -----------------
        bare_model([videos[0]], model_path)  # warm-up: OS file cache, XNNPACK init
        bare1 = pipe1 = 0.0
        for _ in range(args.repeat):
            bare1 = max(bare1, _rate([bare_model(videos, model_path)]))
            pipe1 = max(pipe1, _rate([pipeline(videos, out, model_path)]))
        rows.append(("1 process", bare1, pipe1))

        # -- 2 worker processes, one shard list each, timed after a barrier -------------------
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(2)
        halves = [videos[0::2], videos[1::2]]
        bare2 = pipe2 = 0.0
        with ProcessPoolExecutor(
            2, mp_context=ctx, initializer=_init_barrier, initargs=(barrier,)
        ) as pool:
            for _ in range(args.repeat):
                bare2 = max(bare2, _rate(list(pool.map(bare_model, halves, [model_path] * 2))))
                res = list(pool.map(pipeline, halves, [out] * 2, [model_path] * 2))
                pipe2 = max(pipe2, _rate(res))
        rows.append(("2 workers", bare2, pipe2))

        # -- the batch command as a user runs it: includes starting the workers -------------
        from repcoach.pose.batch import run_batch
        from repcoach.pose.extract import PoseExtractorOptions

        summary = run_batch(
            tmp / "videos",
            tmp / "out_batch",
            options=PoseExtractorOptions(model_asset_path=model_path),
            workers=2,
            progress=False,
        )
        batch2 = sum(r.decoded_frames or 0 for r in summary.by_status("done")) / summary.seconds

        print(f"\n{'':<12}{'bare model':>14}{'pipeline':>14}{'pipeline/bare':>16}")
        for name, b, p in rows:
            print(f"{name:<12}{b:>10.1f} f/s{p:>10.1f} f/s{p / b:>15.2f}x")
        print(f"2 workers vs 1 process: bare {bare2 / bare1:.2f}x, pipeline {pipe2 / pipe1:.2f}x")
        print(f"run_batch with 2 workers, {len(videos)} videos, start-up included: "
              f"{batch2:.1f} f/s ({summary.seconds:.1f} s)")  # fmt: skip

        # -- end to end, as a multiple of real time -------------------------------------------
        from repcoach.pose.extract import PoseExtractor

        t0 = time.perf_counter()
        with PoseExtractor.create_from_options(PoseExtractorOptions()) as ex:
            t_load = time.perf_counter() - t0
            t1 = time.perf_counter()
            seq = ex.extract(args.video).pose
            t_extract = time.perf_counter() - t1
        duration = info.n_frames / info.fps
        what = "extract only (no --model given)"
        t_analyze = 0.0
        if args.model is not None:
            from repcoach.analyze import Analyzer

            analyzer = Analyzer.create_from_model_dir(args.model)
            t2 = time.perf_counter()
            result = analyzer.analyze(seq)
            t_analyze = time.perf_counter() - t2
            what = f"extract + analyze ({result.rep_count} reps, {result.exercise})"
        total = t_extract + t_analyze
        print(f"\nend to end, {what}: {duration:.2f} s of video in {total:.2f} s "
              f"= {duration / total:.2f}x real time (model load {t_load:.2f} s not counted; "
              f"extract {t_extract:.2f} s, analyze {t_analyze:.3f} s)")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
