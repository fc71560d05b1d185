"""Benchmark repetition segmentation on a generated EJUST-GYM-3 stand-in (pose CSVs).

Generates a dataset with :func:`repcoach.synth.generate_dataset` (or uses ``--data``), reads
every frontal and side pose CSV (MediaPipe-style image coordinates with tracker noise and
dropped frames), segments it with :func:`repcoach.segment.segment_repetitions` and compares with
``annotations.csv``. Prints, per view and exercise: exact-count rate, mean |count error|, mean
and max boundary error in frames (matched repetitions, both boundaries pooled) and segmentation
time per minute of recording. No assertions.

    .venv/bin/python bench/bench_segment.py [--participants 12] [--seed 11] [--data DIR]
        [--views frontal side] [--show-misses]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd


def evaluate(
    data: Path, views: list[str], show_misses: bool = False, **options: float
) -> pd.DataFrame:
    """One row per (view, participant, exercise): count error, boundary errors, timing."""
    from repcoach.io.ejust import RecordingName
    from repcoach.io.pose_csv import read_pose_csv
    from repcoach.segment import boundary_errors, segment_repetitions

    ann = pd.read_csv(data / "annotations.csv")
    truth: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for r in ann.itertuples():
        truth[(r.participant, r.exercise)].append((int(r.start_frame), int(r.end_frame)))
    rows = []
    first = next(iter(sorted(truth)))  # warm-up (imports) outside the timing
    segment_repetitions(read_pose_csv(data / RecordingName(*first, views[0], "csv").relpath()))
    for (person, code), true in sorted(truth.items()):
        for view in views:
            path = data / RecordingName(person, code, view, "csv").relpath()
            seq = read_pose_csv(path)
            t0 = time.perf_counter()
            reps = segment_repetitions(seq, **options)
            dt = time.perf_counter() - t0
            e = boundary_errors(reps, true)
            if show_misses and (e["count_error"] != 0 or e["max_abs"] > 8):
                print(f"{view:8s} {person:18s} {code} err={e['count_error']:+d} "
                      f"max={e['max_abs']:.0f} pred={[(r.start, r.end) for r in reps]} "
                      f"true={true}")  # fmt: skip
            rows.append(
                {
                    "view": view,
                    "participant": person,
                    "exercise": code,
                    "count_error": e["count_error"],
                    "mean_abs": e["mean_abs"],
                    "max_abs": e["max_abs"],
                    "seconds": dt,
                    "minutes": seq.n_frames / seq.fps / 60.0,
                }
            )
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per (view, exercise) and overall: the benchmark figures."""
    out = []
    groups = [*df.groupby(["view", "exercise"]), (("all", "all"), df)]
    for (view, code), g in groups:
        out.append(
            {
                "view": view,
                "exercise": code,
                "recordings": len(g),
                "exact_count_%": 100.0 * float((g.count_error == 0).mean()),
                "mean_|count_err|": float(g.count_error.abs().mean()),
                "mean_boundary_err_fr": float(np.nanmean(g.mean_abs)),
                "max_boundary_err_fr": float(np.nanmax(g.max_abs)),
                "ms_per_min_recording": 1000.0 * float(g.seconds.sum() / g.minutes.sum()),
            }
        )
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, default=12)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--data", type=Path, help="use this generated dataset instead")
    ap.add_argument("--views", nargs="+", default=["frontal", "side"])
    ap.add_argument("--show-misses", action="store_true", help="print every miscounted recording")
    ap.add_argument("--method", default=None, help="auto (default), counter, legacy, period")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            from repcoach.synth import generate_dataset

            t0 = time.perf_counter()
            data = generate_dataset(
                Path(tmp) / "ds", n_participants=args.participants, seed=args.seed, progress=False
            )
            print(f"generated {args.participants} participants (seed {args.seed}) "
                  f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        df = evaluate(Path(data), args.views, args.show_misses, method=args.method)
    with pd.option_context("display.width", 160, "display.float_format", "{:.2f}".format):
        print(summarise(df).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
