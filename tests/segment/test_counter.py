"""The periodicity counter on generated recordings with a known count, and on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.procedural_pose import make_sequence
from repcoach.segment.counter import CountOptions, CountResult, count_pose
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence


def _count(seq: PoseSequence) -> CountResult:
    return count_pose(seq, CountOptions())


def _check(seq: PoseSequence, truth: list[tuple[int, int]], tol: int = 0) -> CountResult:
    res = _count(seq)
    assert abs(res.count - len(truth)) <= tol, (res.count, len(truth), res.signal_name)
    return res


def test_steady_repetitions_counted_with_boundaries() -> None:
    seq, truth = make_sequence("squat", [1.5] * 8, lead_in_s=1.0, noise=0.002)
    res = _check(seq, truth)
    assert res.active_span is not None
    assert 1.3 < res.period_s < 1.7
    for r, (a, b) in zip(res.repetitions, truth, strict=True):
        # valley to valley: within a quarter of a repetition of the true boundaries
        assert abs(r.start - a) <= 12 and abs(r.end - b) <= 12
        assert r.start_s == pytest.approx(seq.timestamps[r.start])


def test_long_lead_in_and_lead_out_not_counted() -> None:
    seq, truth = make_sequence("jumping_jacks", [1.2] * 6, lead_in_s=8.0, lead_out_s=8.0,
                               noise=0.003)  # fmt: skip
    res = _check(seq, truth)
    assert res.active_span[0] >= truth[0][0] - 20
    assert res.active_span[1] <= truth[-1][1] + 20


def test_pause_in_the_middle() -> None:
    seq, truth = make_sequence("squat", [1.4] * 10, pauses_s={4: 5.0}, noise=0.002)
    _check(seq, truth)


def test_partial_body_legs_out_of_frame() -> None:
    seq, truth = make_sequence("jumping_jacks", [1.0] * 8, noise=0.002)
    c = seq.coords.copy()
    legs = [MEDIAPIPE_33.index(n) for n in MEDIAPIPE_33.joint_names
            if any(k in n for k in ("knee", "ankle", "heel", "foot"))]  # fmt: skip
    c[:, legs] = np.nan
    _check(seq.with_coords(c), truth)


def test_tempo_change() -> None:
    seq, truth = make_sequence("squat", [2.0] * 5 + [1.0] * 6, noise=0.002)
    _check(seq, truth, tol=1)


def test_two_repetitions() -> None:
    seq, truth = make_sequence("squat", [2.0, 2.0], lead_in_s=1.0, lead_out_s=1.0)
    _check(seq, truth, tol=1)


def test_sixty_fast_repetitions() -> None:
    seq, truth = make_sequence("jumping_jacks", [0.35] * 60, noise=0.001)
    _check(seq, truth, tol=1)


def test_slow_repetitions_one_per_five_seconds() -> None:
    seq, truth = make_sequence("squat", [5.0] * 5, noise=0.002)
    _check(seq, truth, tol=1)


def test_dropped_frames() -> None:
    seq, truth = make_sequence("jumping_jacks", [1.0] * 10, noise=0.003)
    rng = np.random.default_rng(1)
    det = rng.random(seq.n_frames) > 0.15
    c = seq.coords.copy()
    c[~det] = np.nan
    _check(PoseSequence(c, seq.timestamps, seq.layout, detected=det), truth)


def _empty(n: int) -> PoseSequence:
    return PoseSequence(np.full((n, 33, 3), np.nan), np.arange(n) / 30.0, MEDIAPIPE_33,
                        detected=np.zeros(n, bool))  # fmt: skip


@pytest.mark.parametrize("n", [0, 1, 4, 300])
def test_no_person_counts_zero(n: int) -> None:
    res = _count(_empty(n))
    assert res.count == 0 and res.active_span is None


def test_still_person_counts_zero() -> None:
    seq, _ = make_sequence("squat", [], lead_in_s=10.0, lead_out_s=0.0, noise=0.002)
    assert _count(seq).count == 0


def test_segment_repetitions_methods() -> None:
    from repcoach.segment import count_repetitions, segment_repetitions

    seq, truth = make_sequence("squat", [1.5] * 6, noise=0.002)
    for method in ("counter", "legacy", "auto", None):
        assert count_repetitions(seq, method=method) == len(truth)
    reps = segment_repetitions(seq, method="counter", prominence=0.3)
    assert len(reps) == len(truth)
    with pytest.raises(ValueError):
        segment_repetitions(seq, method="nope")


def _alternating_set(n_reps: int = 12, period_s: float = 1.5, rate: float = 30.0):
    """Signals of an alternating movement: each side moves every other repetition and rests
    in between (period two repetitions), the body centre once per repetition, weaker."""
    from repcoach.segment.pose_signals import SignalSet

    rng = np.random.default_rng(3)
    t = np.arange(int(n_reps * period_s * rate)) / rate
    phase = 2 * np.pi * t / (2 * period_s)
    left, right = np.maximum(0, np.sin(phase)) ** 2, np.maximum(0, -np.sin(phase)) ** 2
    centre = 0.3 * np.abs(np.sin(np.pi * t / period_s))
    cols = [left, right, left * 0.9, right * 0.9, centre]
    x = np.column_stack(cols) + rng.normal(0, 0.01, (t.size, len(cols)))
    names = ["left_wrist.y", "right_wrist.y", "left_elbow.y", "right_elbow.y", "centre.y"]
    return SignalSet(x, names, np.ones(t.size, bool), 1.0), n_reps


def test_pair_signals_are_the_mean_of_both_sides() -> None:
    from repcoach.segment.counter import _with_pairs

    sig, _n = _alternating_set()
    out = _with_pairs(sig)
    assert out.names[len(sig.names):] == ["pair_wrist.y", "pair_elbow.y"]
    assert np.allclose(out.values[:, -2], sig.values[:, :2].mean(axis=1))


def test_alternating_sides_each_count_as_a_repetition() -> None:
    from repcoach.segment.counter import count_signals

    sig, n = _alternating_set()
    plain = count_signals(sig, 30.0, options=CountOptions(alternation=0.0)).count
    alt = count_signals(sig, 30.0, options=CountOptions()).count
    octave = count_signals(sig, 30.0, options=CountOptions(alternation=0.0, octave=0.95,
                                                           pairs=True)).count  # fmt: skip
    # the sides repeat every two repetitions: without the checks the vote counts half
    assert abs(plain - n / 2) <= 1
    assert abs(alt - n) <= 1
    assert abs(octave - n) <= 1


def test_sides_moving_together_are_not_alternating() -> None:
    from repcoach.segment.counter import count_signals
    from repcoach.segment.pose_signals import SignalSet

    sig, n = _alternating_set()
    both = sig.values.copy()
    both[:, 1], both[:, 3] = both[:, 0], both[:, 2]  # right side moves with the left one
    res = count_signals(SignalSet(both, sig.names, sig.present, 1.0), 30.0)
    assert abs(res.count - n / 2) <= 1
