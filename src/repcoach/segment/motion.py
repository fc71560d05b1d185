"""Pose recording -> motion features and one oscillating signal (principal component or distance
from the starting pose) with its period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.pose import preprocess
from repcoach.segment.signals import autocorr, estimate_period, fill_nan, smooth
from repcoach.types import PoseSequence

#: Joints that carry exercise motion (by name, any layout); face detail and fingers are left out.
MOTION_JOINTS = (
    "nose", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
    "left_ankle", "right_ankle",
)  # fmt: skip


def pose_features(
    seq: PoseSequence, use_z: bool | None = None, fill: bool = True, min_finite: float = 0.5
) -> np.ndarray:
    """Cleaned, normalised ``(frames, features)`` of the motion joints seen in at least
    ``min_finite`` of the frames; gaps linearly filled when ``fill`` (else left NaN)."""

    norm = preprocess(seq)
    names = [n for n in MOTION_JOINTS if seq.layout.has(n)]
    idx = [seq.layout.index(n) for n in names] or list(range(seq.layout.n_joints))
    if use_z is None:
        use_z = seq.layout.dims == 3 and seq.space == "world"
    dims = seq.layout.dims if use_z else 2
    x = norm.coords[:, idx, :dims].reshape(seq.n_frames, -1).astype(np.float64)
    seen = np.isfinite(x).mean(axis=0)
    keep = seen >= min_finite
    if min_finite > 0.5 and keep.sum() < 6:  # too few joints always seen: accept gaps
        keep = seen >= 0.5
    x = x[:, keep]
    if x.shape[1] == 0:
        return np.zeros((seq.n_frames, 1))
    return np.column_stack([fill_nan(c) for c in x.T]) if fill else x


@dataclass
class MotionSignal:
    """A pose recording reduced to one oscillating signal, with how it was chosen.

    ``values`` (frames,), ``period_s`` the whole-pose repetition period, ``strength`` its
    autocorrelation, ``component`` which principal component was kept, ``cycles_per_rep`` how
    many cycles of ``values`` make one repetition (2 for alternating exercises when the kept
    component repeats every half repetition)."""

    values: np.ndarray
    rate_hz: float
    period_s: float
    strength: float
    component: int
    cycles_per_rep: int = 1


def analyse_motion(
    seq: PoseSequence,
    *,
    min_period_s: float = 0.4,
    max_period_s: float = 6.0,
    n_components: int = 5,
    use_z: bool | None = None,
    alternating_rest: float = 0.25,
) -> MotionSignal:
    """Reduce a pose sequence to the principal component that oscillates once per repetition.

    The repetition period is where the whole pose repeats (autocorrelation summed over all joint
    coordinates), so alternating exercises (high knees, steam engine: one left + one right
    cycle) are not split in two. Among the leading principal components, the kept one has the
    most variance that repeats at that period and not at half of it; its sign puts the
    recording's start (the rest pose) low, so valleys are rest points. When the start is not
    near either extreme of that component (further than ``alternating_rest`` of its swing), the
    signal is instead the distance from the starting pose (which assumes the recording starts
    at rest, as EJUST-GYM-3 recordings do; pass ``alternating_rest=0.5`` to disable), with
    ``cycles_per_rep`` = 2 when the whole pose repeats better after two of its cycles than
    after one (``component`` is then -1)."""
    rate = seq.fps if seq.n_frames > 1 else 30.0
    return analyse_array(
        pose_features(seq, use_z),
        rate,
        min_period_s=min_period_s,
        max_period_s=max_period_s,
        n_components=n_components,
        alternating_rest=alternating_rest,
    )


def analyse_array(
    x: np.ndarray,
    rate_hz: float,
    *,
    min_period_s: float = 0.4,
    max_period_s: float = 6.0,
    n_components: int = 5,
    alternating_rest: float = 0.25,
) -> MotionSignal:
    """:func:`analyse_motion` for any ``(samples, channels)`` array (joint angles, IMU
    channels...): smoothing, whole-signal period, principal component choice, sign, and the
    distance-from-start fallback for alternating movements. Channels should share a scale."""
    rate = float(rate_hz)
    x = np.asarray(x, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    x = np.column_stack([fill_nan(c) for c in x.T]) if x.size else x
    x = smooth(x, 0.05 * rate)
    x = x - x.mean(axis=0)
    period, strength = estimate_period(x, rate, min_period_s, max_period_s)
    if x.shape[0] < 3:
        return MotionSignal(np.zeros(x.shape[0]), rate, period, strength, 0)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    k = min(n_components, len(s))
    comps = u[:, :k] * s[:k]
    best, cpr = 0, 1
    if np.isfinite(period):
        lag = int(round(period * rate))
        half = max(1, int(round(period * rate / 2)))
        scores = []
        for i in range(k):
            ac = autocorr(comps[:, i], lag)
            var = s[i] ** 2
            scores.append(var * max(0.0, (ac[lag] - ac[half]) / 2))
        best = int(np.argmax(scores)) if max(scores) > 0 else 0
    sig = comps[:, best]
    # Sign: the start of the recording (rest pose) should be low.
    n_head = max(1, int(round(0.5 * rate)))
    head = sig[:n_head].mean()
    lo, hi = np.percentile(sig, [5, 95])
    if head > (lo + hi) / 2:
        sig = -sig
    rel = abs(head - (lo + hi) / 2) / max(hi - lo, 1e-12)
    if rel < 0.5 - alternating_rest and np.isfinite(period):
        # The rest pose sits mid-swing of the component (alternating exercise: both legs
        # down is between "left up" and "right up"). Use the distance from the rest pose
        # instead: it has a valley at every pass through rest, i.e. twice per repetition.
        dist = np.linalg.norm(x - x[:n_head].mean(axis=0), axis=1)
        p_d, s_d = estimate_period(dist, rate, min_period_s / 2, max_period_s)
        if np.isfinite(p_d):
            # Does the whole pose repeat better after two distance cycles than after one?
            lag1 = int(round(p_d * rate))
            if 2 * lag1 < x.shape[0] - 1:
                ac = autocorr(np.diff(x, axis=0), 2 * lag1)
                cpr = 2 if ac[2 * lag1] > ac[lag1] + 0.02 else 1
            return MotionSignal(dist, rate, p_d, s_d, -1, cpr)
    return MotionSignal(sig, rate, period, strength, best, cpr)


def motion_signal(seq: PoseSequence, **options: float) -> np.ndarray:
    """``(frames,)`` signal that oscillates once per repetition with valleys at rest (see
    :func:`analyse_motion`)."""
    return analyse_motion(seq, **options).values
