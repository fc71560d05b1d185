"""Segmentation: 1-D signals (any modality), procedural poses, generated recordings, real mocap."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.procedural_pose import make_sequence
from repcoach.segment import (
    Segmenter,
    analyse_array,
    boundary_errors,
    count_repetitions,
    estimate_period,
    motion_signal,
    segment_array,
    segment_repetitions,
    segment_signal,
)


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


# --------------------------------------------------------------------------- generated dataset
# Written by repcoach.synth.generate_dataset: MediaPipe-style image coordinates with tracker
# jitter, low-visibility runs and dropped frames; truth from annotations.csv (30 fps frames).
# Measured with seed 7, 3 participants (frontal): all counts exact, mean boundary error 0.8
# frames, max 4; bench/bench_segment.py has the 12-participant figures.


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[tuple[str, str], list[tuple[int, int]]]]:
    synth = pytest.importorskip("repcoach.synth")
    out = synth.generate_dataset(
        tmp_path_factory.mktemp("generated"), n_participants=3, seed=7, progress=False
    )
    ann = pd.read_csv(Path(out) / "annotations.csv")
    truth: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for r in ann.itertuples():
        truth.setdefault((r.participant, r.exercise), []).append((r.start_frame, r.end_frame))
    return Path(out), truth


def _read_view(root: Path, person: str, code: str, view: str):
    from repcoach.io.ejust import RecordingName
    from repcoach.io.pose_csv import read_pose_csv

    return read_pose_csv(root / RecordingName(person, code, view, "csv").relpath())


@pytest.mark.parametrize("view", ["frontal", "side"])
def test_generated_recordings_all_four_exercises(generated, view: str) -> None:
    """Exact count on every recording; boundaries within a few frames."""
    root, truth = generated
    assert {code for _p, code in truth} == {"JJ", "HK", "SU", "SE"}
    means, worst = [], []
    for (person, code), true in truth.items():
        sg = Segmenter()
        reps = sg.segment(_read_view(root, person, code, view))
        e = boundary_errors(reps, true)
        assert e["count_error"] == 0, (view, person, code, e)
        # One repetition = one left + right cycle for the alternating exercises.
        assert sg.signal_.cycles_per_rep == (2 if code in ("HK", "SE") else 1), (person, code)
        means.append(e["mean_abs"])
        worst.append(e["max_abs"])
    assert np.mean(means) <= 2.0 and max(worst) <= 8, (means, worst)


def _stretch(seq, start: int, factor: float):
    """Play frames from ``start`` on ``factor`` times faster (linear interpolation)."""
    src = np.arange(start, seq.n_frames - 1, factor)
    i = np.floor(src).astype(int)
    w = (src - i)[:, None, None]
    moved = (1 - w) * seq.coords[i] + w * seq.coords[i + 1]
    coords = np.concatenate([seq.coords[:start], moved])
    vis = np.concatenate(
        [seq.visibility[:start], np.minimum(seq.visibility[i], seq.visibility[i + 1])]
    )
    det = np.concatenate([seq.detected[:start], seq.detected[i] & seq.detected[i + 1]])
    return replace(seq, coords=coords, visibility=vis, detected=det,
                   timestamps=np.arange(len(coords)) / seq.fps)  # fmt: skip


def _insert_rest(seq, at: int, rest_frames: np.ndarray):
    """Insert copies of ``rest_frames`` (indices of frames at rest) at frame ``at``."""

    def cat(a):
        return np.concatenate([a[:at], a[rest_frames], a[at:]])

    return replace(seq, coords=cat(seq.coords), visibility=cat(seq.visibility),
                   detected=cat(seq.detected),
                   timestamps=np.arange(seq.n_frames + len(rest_frames)) / seq.fps)  # fmt: skip


@pytest.mark.parametrize("code", ["JJ", "HK"])
def test_generated_recording_with_long_pause_and_tempo_change(generated, code: str) -> None:
    """A 3 s pause after the fourth repetition, then 1.6x faster: count stays exact, the pause
    belongs to no repetition, boundaries stay within a few frames."""
    root, truth = generated
    person = sorted(p for p, c in truth if c == code)[0]
    true = truth[(person, code)]
    seq = _read_view(root, person, code, "frontal")
    lead = np.arange(0, true[0][0] - 3)  # the idle lead-in: rest, with tracker noise
    rest = np.resize(lead, int(3 * seq.fps))
    cut = true[3][1]
    paused = _insert_rest(seq, cut, rest)
    fast = _stretch(paused, cut + len(rest), 1.6)

    def moved(f: int, end: bool) -> int:
        if f < cut or (end and f == cut):
            return f
        return int(round(cut + len(rest) + (f - cut) / 1.6))

    new_true = [(moved(s, False), moved(e, True)) for s, e in true]
    reps = segment_repetitions(fast, method="legacy")  # the excursion segmenter itself
    e = boundary_errors(reps, new_true)
    assert e["count_error"] == 0 and e["matched"] == len(true), (reps, new_true)
    assert e["max_abs"] <= 8 and e["mean_abs"] <= 3, e
    pause = (cut + 5, cut + len(rest) - 5)
    assert not any(r.start < pause[1] and r.end > pause[0] for r in reps)


def test_period_method_is_still_available(generated) -> None:
    root, truth = generated
    (person, code), true = next(iter(sorted(truth.items())))
    reps = Segmenter(method="period").segment(_read_view(root, person, code, "frontal"))
    assert abs(len(reps) - len(true)) <= 3
    with pytest.raises(ValueError, match="unknown segmentation method"):
        Segmenter(method="nope").segment(_read_view(root, person, code, "frontal"))


def test_segment_array_is_modality_free() -> None:
    """Joint-angle-like channels (no pose): tempo-free excursions, plus alternation pairing."""
    rate = 50.0
    x, truth = _signal([1.0, 0.8, 0.6, 1.2, 1.5], rate, pause_after={1: 2.0}, noise=0.01)
    chans = np.column_stack([x, 0.5 * x, -0.2 * x])
    bounds, info = segment_array(chans, rate, return_info=True)
    e = boundary_errors(bounds, truth)
    assert e["count_error"] == 0 and e["max_abs"] <= 0.1 * rate
    assert info.cycles_per_rep == 1
    # Alternating: left bump then right bump (different channels) make one repetition.
    left, right = [], []
    for d in [1.0, 0.9, 1.1, 0.8, 1.0, 1.2]:
        m = int(d * rate / 2)
        b = (1 - np.cos(2 * np.pi * np.arange(m) / m)) / 2
        left += [b, 0 * b]
        right += [0 * b, b]
    z = np.zeros(int(rate))
    alt = np.column_stack([np.concatenate([z, *left, z]), np.concatenate([z, *right, z])])
    alt += np.random.default_rng(3).normal(0, 0.01, alt.shape)
    bounds, info = segment_array(alt, rate, return_info=True)
    assert info.cycles_per_rep == 2 and len(bounds) == 6
    assert segment_array(alt, rate, alternating=False) != bounds  # forced off: 12 halves
    assert len(segment_array(alt, rate, alternating=False)) == 12


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
