"""Segmentation: 1-D signals (any modality), procedural poses, generated recordings, real mocap."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repcoach.segment import (
    Segmenter,
    analyse_array,
    boundary_errors,
    count_repetitions,
    estimate_period,
    motion_signal,
    segment_repetitions,
    segment_signal,
)
from repcoach.types import Participant

sys.path.insert(0, str(Path(__file__).resolve().parent / "pose"))
from procedural_pose import make_sequence  # noqa: E402


def _signal(
    durations: list[float],
    rate: float,
    pause_after: dict[int, float] | None = None,
    lead: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
):
    """Rest (0) then one raised-cosine bump per repetition; returns signal and true bounds."""
    parts, truth, n = [np.zeros(int(lead * rate))], [], int(lead * rate)
    for k, d in enumerate(durations):
        m = int(round(d * rate))
        parts.append((1 - np.cos(2 * np.pi * np.arange(m) / m)) / 2)
        truth.append((n, n + m))
        n += m
        if pause_after and k in pause_after:
            p = int(pause_after[k] * rate)
            parts.append(np.zeros(p))
            n += p
    parts.append(np.zeros(int(lead * rate)))
    x = np.concatenate(parts)
    x += np.random.default_rng(seed).normal(0, noise, x.shape)
    return x, truth


@pytest.mark.parametrize("rate", [30.0, 50.0])
def test_tempo_change_pause_and_idle_are_handled(rate: float) -> None:
    durations = [1.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.9, 1.2, 1.5, 1.6]  # speeds up, then slows down
    x, truth = _signal(durations, rate, pause_after={4: 2.5}, noise=0.03)
    pred = segment_signal(x, rate)
    e = boundary_errors(pred, truth)
    assert e["count_error"] == 0 and e["matched"] == len(truth)
    assert e["max_abs"] <= 0.2 * rate  # within 0.2 s (slow reps' long rests are trimmed)
    assert e["mean_abs"] <= 0.07 * rate
    # The pause belongs to no repetition.
    pause = (truth[4][1] + int(0.3 * rate), truth[5][0] - int(0.3 * rate))
    assert not any(s < pause[1] and e_ > pause[0] for s, e_ in pred)


def test_flat_or_too_short_signals_give_nothing() -> None:
    assert segment_signal(np.zeros(300), 30.0) == []
    assert segment_signal(np.ones(2), 30.0) == []
    x, _ = _signal([1.0], 30.0)
    assert len(segment_signal(x, 30.0)) == 1


def test_period_estimate_and_modality_free_use() -> None:
    rate = 50.0
    t = np.arange(0, 20, 1 / rate)
    x = np.sin(2 * np.pi * t / 1.6) + 0.1 * np.random.default_rng(1).normal(size=t.size)
    period, strength = estimate_period(x, rate)
    assert period == pytest.approx(1.6, rel=0.03) and strength > 0.5
    # Three channels (e.g. an IMU's axes) reduced to one signal, then segmented.
    imu = np.column_stack([x, 0.5 * x + 0.05, -0.3 * x])
    ms = analyse_array(imu, rate)
    reps = segment_signal(ms.values, rate, period_s=ms.period_s)
    assert abs(len(reps) - 12) <= 1  # 20 s / 1.6 s = 12.5 cycles; edges may cut one


@pytest.mark.parametrize("exercise", ["jumping_jacks", "high_knees", "squat"])
def test_procedural_pose_counts_and_boundaries(exercise: str) -> None:
    seq, truth = make_sequence(
        exercise, [1.0, 0.9, 1.1, 0.7, 1.3, 1.0], pauses_s={2: 2.0}, noise=0.003, seed=2
    )
    reps = segment_repetitions(seq)
    e = boundary_errors(reps, truth)
    assert e["count_error"] == 0, (reps, truth)
    assert e["max_abs"] <= 3
    r = reps[0]
    assert r.start_s == pytest.approx(seq.timestamps[r.start])
    assert count_repetitions(seq) == len(truth)
    assert motion_signal(seq).shape == (seq.n_frames,)


def test_high_knees_is_one_rep_per_left_right_cycle() -> None:
    seq, truth = make_sequence("high_knees", [0.8] * 8)
    sg = Segmenter()
    reps = sg.segment(seq)
    assert sg.signal_.cycles_per_rep == 2
    assert len(reps) == 8


def test_boundary_errors_matches_by_overlap() -> None:
    e = boundary_errors([(0, 10), (11, 20), (40, 50)], [(1, 10), (10, 22)])
    assert e["matched"] == 2 and e["extra"] == 1 and e["count_error"] == 1
    assert e["mean_abs_start"] == pytest.approx(1.0) and e["max_abs"] == 2
    assert np.isnan(boundary_errors([], [(0, 5)])["mean_abs"])


@pytest.mark.xfail(
    strict=False,
    reason="known weakness: an occasional generated recording (about 1 in 24) is miscounted "
    "badly when the period estimate locks onto the wrong lag; see docs/preprocessing.md",
)
def test_generated_recordings_all_four_exercises() -> None:
    """repcoach.synth (helper B's generator): counts and boundaries on clean recordings."""
    recording = pytest.importorskip("repcoach.synth.recording")
    rng = np.random.default_rng(7)
    count_errors, boundary = [], []
    for i in range(3):
        p = Participant(f"P{i}", "test-person", 30, 150.0 + 15 * i, 70.0, 7.0, False, True)
        for ex in ("JJ", "HK", "SU", "SE"):
            rec = recording.simulate(p, ex, rng)
            truth = [r.frames() for r in rec.reps]
            e = boundary_errors(segment_repetitions(rec.pose_world()), truth)
            count_errors.append(abs(e["count_error"]))
            boundary.append(e["mean_abs"])
            assert abs(e["count_error"]) <= 2, (ex, i, e)
    assert np.mean(count_errors) <= 0.5
    assert np.nanmean(boundary) <= 4.0


@pytest.mark.realdata
def test_cmu_jumping_jacks_and_knee_raises(realdata) -> None:
    """Real mocap (joint angles, 30 Hz). Truth by eye from the plotted first principal
    component of the labelled spans: trial 13_29's JumpJack span (0-3.9 s) shows three full
    valley-to-valley cycles of ~1.1 s; its KneeRaise span (22.5-31.7 s) two full cycles of
    ~2.7 s plus partial ones cut by the label edges."""
    root = realdata("cmu_mocap_exercises")
    df = pd.read_csv(root / "trials" / "13_29.csv")
    for start, end, n_true, period_true in ((0.0, 3.9, 3, 1.1), (22.5, 31.7, 2, 2.7)):
        span = df[(df.t_s >= start) & (df.t_s < end)]
        x = span.loc[:, "root_rx":].to_numpy(float)
        x = x[:, x.std(axis=0) > 1e-6]
        # The spans start mid-movement (no rest lead-in): no distance-from-start fallback.
        ms = analyse_array(x, 30.0, alternating_rest=0.5)
        period, _ = estimate_period(ms.values, 30.0)  # the kept component's own period
        assert period == pytest.approx(period_true, rel=0.15)
        reps = segment_signal(ms.values, 30.0)
        assert len(reps) == n_true
        assert all(0.6 * period_true <= (b - a) / 30.0 <= 1.5 * period_true for a, b in reps)
