"""Streaming counter: live reports, agreement with the offline counter, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.procedural_pose import make_sequence
from repcoach.errors import DataError
from repcoach.segment.counter import CountOptions, count_pose
from repcoach.segment.streaming import StreamingCounter
from repcoach.types import PoseSequence, Repetition


def _stream(seq: PoseSequence) -> tuple[StreamingCounter, list[float], int]:
    sc = StreamingCounter(fps=seq.fps, layout=seq.layout)
    c = seq.coords.copy()
    c[~seq.detected] = np.nan
    lags = []
    for t, frame in zip(seq.timestamps, c, strict=True):
        for r in sc.push(float(t), frame):
            lags.append(float(t) - r.end_s)
    live = sc.count
    sc.finish()
    return sc, lags, live


def test_live_reports_follow_the_repetitions() -> None:
    seq, truth = make_sequence("squat", [1.5] * 10, lead_in_s=2.0, noise=0.002)
    sc, lags, live = _stream(seq)
    offline = count_pose(seq, CountOptions()).count
    assert offline == len(truth)
    assert abs(sc.count - offline) <= 1
    assert live >= len(truth) - 2  # all but the last one or two before finish()
    assert lags and np.median(lags) <= 1.0
    ends = [r.end_s for r in sc.repetitions]
    assert ends == sorted(ends)


def test_no_person_and_bad_frames() -> None:
    sc = StreamingCounter(fps=30.0)
    for k in range(200):
        assert sc.push(k / 30.0, np.full((33, 3), np.nan)) == []
    assert sc.finish() == [] and sc.count == 0
    with pytest.raises(DataError):
        sc.push(1.0, np.zeros((33, 3)))  # time went backwards
    with pytest.raises(DataError):
        StreamingCounter().push(0.0, np.zeros(33))
    with pytest.raises(DataError):
        StreamingCounter(fps=0.0)
    assert StreamingCounter().finish() == []


@pytest.mark.realdata
def test_streaming_matches_offline_on_real_videos(realdata) -> None:
    import pandas as pd

    from repcoach.io.pose_csv import read_pose_csv

    root = realdata("countix_fitness_pose")
    df = pd.read_csv(root / "index.csv", dtype=str, keep_default_na=False)
    df = df.assign(n=df["n_frames"].astype(int)).sort_values("n")
    picked = df.groupby("label").head(1)  # the shortest video of every exercise
    for f in picked["file"]:
        seq = read_pose_csv(root / f)
        offline = count_pose(seq, CountOptions()).count
        sc, _lags, _live = _stream(seq)
        assert abs(sc.count - offline) <= 1, (f, sc.count, offline)


def test_finish_reconciles_with_the_offline_count() -> None:
    seq, truth = make_sequence("squat", [1.5] * 8, lead_in_s=1.0, noise=0.002)
    sc, _lags, live = _stream(seq)
    offline = count_pose(seq, CountOptions()).repetitions
    assert sc.live_count == live
    assert sc.count == len(offline) == len(truth)
    assert [r.end for r in sc.repetitions] == [r.end for r in offline]


def test_finish_withdraws_live_reports_beyond_the_whole_recording() -> None:
    seq, truth = make_sequence("squat", [1.5] * 6, noise=0.002)
    sc = StreamingCounter(fps=seq.fps, layout=seq.layout)
    for t, frame in zip(seq.timestamps, seq.coords, strict=True):
        sc.push(float(t), frame)
    assert sc.count >= 3
    sc._reported += sc.repetitions[-3:]  # pretend the live analyses over-reported by three
    before = sc.count
    new = sc.finish()
    assert new == []
    assert sc.live_count == before
    assert sc.count == count_pose(seq, CountOptions()).count == len(truth)
    assert sc.retracted == before - len(truth)


def test_live_reports_follow_a_tempo_change() -> None:
    # faster repetitions after slow ones are still reported live (min_gap is in periods of
    # the latest analysis, not of the slow start)
    seq, truth = make_sequence("squat", [2.0] * 5 + [1.0] * 8, noise=0.002)
    sc, lags, live = _stream(seq)
    assert live >= len(truth) - 3
    assert live <= sc.count + sc.retracted
    assert abs(sc.count - len(truth)) <= 1


Report = tuple[float, Repetition, bool]


def _stream_timed(seq: PoseSequence) -> tuple[StreamingCounter, list[Report]]:
    """Stream ``seq`` with the incremental detector; each report as (report time, repetition,
    after lock-on)."""
    sc = StreamingCounter(fps=seq.fps, layout=seq.layout, fast=True)
    c = seq.coords.copy()
    c[~seq.detected] = np.nan
    out = []
    for t, frame in zip(seq.timestamps, c, strict=True):
        locked = sc.count > 0
        out += [(float(t), r, locked) for r in sc.push(float(t), frame)]
    return sc, out


@pytest.mark.parametrize(
    ("durations", "pauses"),
    [([1.5] * 12, None), ([2.0] * 5 + [1.0] * 8, None), ([1.2] * 10, {4: 1.5})],
    ids=["steady", "tempo-change", "pause"],
)
def test_reports_after_lock_on_come_within_a_second(durations, pauses) -> None:
    # the pause keeps the lock (peaks under 2.5 periods apart); after a longer one the set
    # locks on anew, like at its start
    seq, truth = make_sequence("squat", durations, lead_in_s=2.0, pauses_s=pauses,
                               noise=0.002)  # fmt: skip
    sc, reports = _stream_timed(seq)
    after = [(t, r) for t, r, locked in reports if locked]
    assert len(after) >= len(truth) - 5  # all but the lock-on batch (and the last one)
    assert sc.fast_reports >= 1
    true_end = np.array([seq.timestamps[min(b, seq.n_frames - 1)] for _a, b in truth])
    for t, r in after:
        assert t - r.end_s <= 1.0
        # and within a second of the true repetition's end (the nearest one)
        assert t - true_end[np.argmin(np.abs(true_end - r.end_s))] <= 1.0
    sc.finish()
    offline = count_pose(seq, CountOptions())
    assert sc.count == offline.count == len(truth)
    assert sc.retracted == 0


def test_incremental_detector_is_off_by_default() -> None:
    seq, truth = make_sequence("squat", [1.5] * 10, lead_in_s=2.0, noise=0.002)
    sc = StreamingCounter(fps=seq.fps, layout=seq.layout)
    for t, frame in zip(seq.timestamps, seq.coords, strict=True):
        sc.push(float(t), frame)
    assert sc.fast_reports == 0
    sc.finish()
    assert sc.count == len(truth)
