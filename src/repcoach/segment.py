"""Repetition segmentation and counting from any 1-D periodic motion signal.

One segmentation for every modality: :func:`segment_signal` takes a 1-D signal (pose-derived by
:func:`motion_signal`, or IMU-derived) and its sample rate and returns repetition boundaries.
A repetition runs from one rest point (a valley of the signal) to the next:

1. estimate the dominant period by autocorrelation (only used to set smoothing and the minimum
   spacing of valleys, so tempo may drift to twice as fast or slow within a recording);
2. smooth, then find valleys with :func:`scipy.signal.find_peaks` (prominence relative to the
   signal's typical swing, spacing from the period);
3. keep valley-to-valley cycles that really swing up (peak-to-valley at least ``prominence`` of
   the typical swing); flat stretches at rest longer than a fraction of the period (pauses,
   idle lead-in/out) are cut out of the repetitions, so a pause never adds a repetition;
4. optionally merge ``cycles_per_rep`` consecutive cycles (alternating exercises).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.types import PoseSequence, Repetition

__all__ = [
    "MotionSignal",
    "Segmenter",
    "analyse_array",
    "analyse_motion",
    "boundary_errors",
    "count_repetitions",
    "estimate_period",
    "motion_signal",
    "segment_repetitions",
    "segment_signal",
]

#: Joints that carry exercise motion (by name, any layout); face detail and fingers are left out.
MOTION_JOINTS = (
    "nose", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
    "left_ankle", "right_ankle",
)  # fmt: skip


# --------------------------------------------------------------------------- 1-D signal tools


def _fill_nan(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs (edges held); all-NaN -> zeros."""
    x = np.asarray(x, dtype=np.float64).copy()
    ok = np.isfinite(x)
    if ok.all():
        return x
    if not ok.any():
        return np.zeros_like(x)
    idx = np.arange(len(x))
    x[~ok] = np.interp(idx[~ok], idx[ok], x[ok])
    return x


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along axis 0 (``sigma`` in samples; no-op below 0.5)."""
    if sigma < 0.5:
        return x
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(x, sigma, axis=0, mode="nearest")


def _acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Biased autocorrelation of (T,) or summed over columns of (T, F), normalised to acf[0]=1."""
    x = x - x.mean(axis=0)
    x = x[:, None] if x.ndim == 1 else x
    n = x.shape[0]
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, nfft, axis=0)
    ac = np.fft.irfft(np.abs(spec) ** 2, nfft, axis=0)[: max_lag + 1].sum(axis=1)
    return ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)


def estimate_period(
    x: np.ndarray,
    rate_hz: float,
    min_period_s: float = 0.4,
    max_period_s: float = 6.0,
    first_peak: float = 0.85,
) -> tuple[float, float]:
    """Dominant period (seconds) of a (T,) or (T, F) signal and its autocorrelation strength
    in [0, 1] (0 and NaN period when nothing repeats), from the autocorrelation of its velocity:
    the highest autocorrelation peak, or its half / third when that reaches ``first_peak`` of
    it."""
    from scipy.signal import find_peaks

    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    lo = max(1, int(round(min_period_s * rate_hz)))
    hi = min(n - 2, int(round(max_period_s * rate_hz)))
    if hi <= lo + 1:
        return float("nan"), 0.0
    # Autocorrelate the (lightly smoothed) velocity: the slow change of level between idle and
    # active stretches would otherwise dominate the autocorrelation.
    v = np.diff(_smooth(x, min_period_s * rate_hz / 8), axis=0)
    ac = _acf(v, hi + 1)
    peaks, _ = find_peaks(ac[: hi + 2])
    peaks = peaks[(peaks >= lo) & (peaks <= hi)]
    if peaks.size == 0 or ac[peaks].max() <= 0.1:
        return float("nan"), 0.0
    best = int(peaks[np.argmax(ac[peaks])])
    # Prefer a shorter lag that repeats nearly as well: a multiple of the period (or a lag that
    # happens to line up when tempo varies) must not win over the period itself.
    for div in (2,):
        near = peaks[np.abs(peaks - best / div) <= max(1, 0.15 * best / div)]
        if near.size and ac[near].max() >= first_peak * ac[best]:
            best = int(near[np.argmax(ac[near])])
            break
    # Parabolic refinement of the lag.
    if 0 < best < len(ac) - 1:
        a, b, c = ac[best - 1], ac[best], ac[best + 1]
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if den != 0 else 0.0
    else:
        shift = 0.0
    return float((best + shift) / rate_hz), float(ac[best])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True in a bool array."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def segment_signal(
    signal: np.ndarray,
    rate_hz: float,
    *,
    min_period_s: float = 0.4,
    max_period_s: float = 6.0,
    prominence: float = 0.2,
    smooth_s: float | None = None,
    rest_level: float = 0.15,
    pause_frac: float = 0.35,
    min_pause_s: float = 0.3,
    cycles_per_rep: int = 1,
    period_s: float | None = None,
) -> list[tuple[int, int]]:
    """Repetition boundaries ``[(start, end), ...]`` (sample indices, end exclusive) of a 1-D
    signal whose valleys are rest points.

    ``prominence``: a valley must sit this fraction of the signal's typical swing (5-95 %
    range) below its neighbouring peaks. ``smooth_s``: Gaussian sigma (default a tenth of the
    estimated period). ``rest_level``/``pause_frac``: samples within ``rest_level`` of the swing
    above a valley count as rest; a rest stretch longer than ``pause_frac`` of the repetition
    period (and than ``min_pause_s``) is a pause or idle time and is left out of the
    repetitions. ``period_s``: skip the estimate.
    """
    from scipy.signal import find_peaks

    x = _fill_nan(np.asarray(signal, dtype=np.float64).ravel())
    n = x.size
    if n < 3 or not np.isfinite(rate_hz) or rate_hz <= 0:
        return []
    period = period_s
    if period is None:
        period, _strength = estimate_period(x, rate_hz, min_period_s, max_period_s)
    if period is None or not np.isfinite(period):
        period = min_period_s * 2
    p = period * rate_hz
    sigma = (smooth_s * rate_hz) if smooth_s is not None else p / 10.0
    xs = _smooth(x, sigma)
    lo_v, hi_v = np.percentile(xs, [5, 95])
    swing = hi_v - lo_v
    if swing <= 1e-12:
        return []
    min_prom = prominence * swing
    dist = max(1, int(round(max(min_period_s * rate_hz / cycles_per_rep, 0.5 * p))))
    # Pad with the maximum so rest plateaus touching the ends become valleys too.
    top = xs.max()
    padded = np.concatenate([[top], xs, [top]])
    valleys, _ = find_peaks(-padded, prominence=min_prom, distance=dist, plateau_size=(1, None))
    valleys = valleys - 1
    valleys = valleys[(valleys >= 0) & (valleys < n)]
    if valleys.size < 2:
        return []
    vals = xs[valleys]
    typical = np.median(vals)
    # Edge valleys only count when they are at rest level (not a half cycle cut by the clip).
    keep = np.ones(valleys.size, bool)
    for k in (0, valleys.size - 1):
        at_edge = (
            valleys[k] <= 1
            or valleys[k] >= n - 2
            or _touches_edge(xs, valleys[k], vals[k], rest_level * swing)
        )
        if at_edge and vals[k] > typical + 0.25 * swing:
            keep[k] = False
    valleys = valleys[keep]

    # Bounds apply to repetitions; a cycle may be a fraction of one.
    lo_p, hi_p = min_period_s / cycles_per_rep, max_period_s
    max_rest = max(pause_frac * p * cycles_per_rep, min_pause_s * rate_hz)
    cycles: list[tuple[int, int]] = []
    rest = xs  # alias for readability below
    for a, b in zip(valleys[:-1], valleys[1:], strict=True):
        dur = (b - a) / rate_hz
        peak = rest[a : b + 1].max()
        if peak - max(rest[a], rest[b]) < min_prom:
            continue
        # Tempo may slow down: a slow repetition's longer rest is not a pause.
        local_rest = max(max_rest, pause_frac * (b - a))
        start, end = _trim_rest(rest, a, b, rest_level * swing, local_rest)
        if lo_p <= (end - start) / rate_hz <= hi_p or lo_p <= dur <= hi_p:
            cycles.append((int(start), int(end)))
    if cycles_per_rep > 1:
        cycles = _group(cycles, cycles_per_rep)
    return cycles


def _touches_edge(xs: np.ndarray, v: int, val: float, tol: float) -> bool:
    """True when the rest plateau around valley ``v`` reaches the start or end of the signal."""
    low = xs <= val + tol
    i = v
    while i > 0 and low[i - 1]:
        i -= 1
    j = v
    while j < len(xs) - 1 and low[j + 1]:
        j += 1
    return i == 0 or j == len(xs) - 1


def _trim_rest(xs: np.ndarray, a: int, b: int, tol: float, max_rest: float) -> tuple[int, int]:
    """Shrink the cycle [a, b] so it holds at most ``max_rest / 2`` samples of rest at each end
    when the rest stretch around a valley is longer than ``max_rest`` (pauses, idle time)."""
    start, end = a, b
    low_a = xs <= xs[a] + tol
    i = a
    while i < b and low_a[i + 1]:
        i += 1
    j = a
    while j > 0 and low_a[j - 1]:
        j -= 1
    if i - j + 1 > max_rest:  # long rest around the start valley: start where the rise begins
        start = i
    low_b = xs <= xs[b] + tol
    i = b
    while i > a and low_b[i - 1]:
        i -= 1
    j = b
    while j < len(xs) - 1 and low_b[j + 1]:
        j += 1
    if j - i + 1 > max_rest:
        end = i
    return start, end


def _group(cycles: list[tuple[int, int]], k: int) -> list[tuple[int, int]]:
    """Merge runs of ``k`` consecutive touching cycles into one repetition."""
    reps: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for c in cycles:
        if run and c[0] > run[-1][1]:  # a pause breaks the run
            run = []
        run.append(c)
        if len(run) == k:
            reps.append((run[0][0], run[-1][1]))
            run = []
    return reps


# --------------------------------------------------------------------------- pose -> signal


def _pose_features(seq: PoseSequence, use_z: bool | None = None) -> np.ndarray:
    """Cleaned, normalised, gap-filled ``(frames, features)`` of the motion joints."""
    from repcoach.pose import preprocess

    norm = preprocess(seq)
    names = [n for n in MOTION_JOINTS if seq.layout.has(n)]
    idx = [seq.layout.index(n) for n in names] or list(range(seq.layout.n_joints))
    if use_z is None:
        use_z = seq.layout.dims == 3 and seq.space == "world"
    dims = seq.layout.dims if use_z else 2
    x = norm.coords[:, idx, :dims].reshape(seq.n_frames, -1).astype(np.float64)
    keep = np.isfinite(x).mean(axis=0) >= 0.5
    x = x[:, keep]
    if x.shape[1] == 0:
        return np.zeros((seq.n_frames, 1))
    return np.column_stack([_fill_nan(c) for c in x.T])


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
        _pose_features(seq, use_z),
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
    x = np.column_stack([_fill_nan(c) for c in x.T]) if x.size else x
    x = _smooth(x, 0.05 * rate)
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
            ac = _acf(comps[:, i], lag)
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
                ac = _acf(np.diff(x, axis=0), 2 * lag1)
                cpr = 2 if ac[2 * lag1] > ac[lag1] + 0.02 else 1
            return MotionSignal(dist, rate, p_d, s_d, -1, cpr)
    return MotionSignal(sig, rate, period, strength, best, cpr)


def motion_signal(seq: PoseSequence, **options: float) -> np.ndarray:
    """``(frames,)`` signal that oscillates once per repetition with valleys at rest (see
    :func:`analyse_motion`)."""
    return analyse_motion(seq, **options).values


# --------------------------------------------------------------------------- pose -> repetitions


@dataclass
class Segmenter:
    """Pose repetition segmenter: :func:`analyse_motion` then :func:`segment_signal`.

    Parameters are those of :func:`segment_signal`; ``min_period_s``/``max_period_s`` also
    bound the period search. Attributes set by :meth:`segment`: ``signal_`` (the
    :class:`MotionSignal` of the last sequence).
    """

    min_period_s: float = 0.4
    max_period_s: float = 6.0
    prominence: float = 0.2
    smooth_s: float | None = None
    rest_level: float = 0.15
    pause_frac: float = 0.35

    def segment(self, seq: PoseSequence) -> list[Repetition]:
        """Repetitions of ``seq`` with frame indices and times from its timestamps."""
        ms = analyse_motion(seq, min_period_s=self.min_period_s, max_period_s=self.max_period_s)
        self.signal_ = ms
        bounds = segment_signal(
            ms.values,
            ms.rate_hz,
            min_period_s=self.min_period_s,
            max_period_s=self.max_period_s,
            prominence=self.prominence,
            smooth_s=self.smooth_s,
            rest_level=self.rest_level,
            pause_frac=self.pause_frac,
            cycles_per_rep=ms.cycles_per_rep,
            period_s=ms.period_s if np.isfinite(ms.period_s) else None,
        )
        ts = seq.timestamps
        dt = 1.0 / ms.rate_hz
        reps = []
        for a, b in bounds:
            end_s = ts[b] if b < len(ts) else ts[-1] + dt
            reps.append(Repetition(start=a, end=b, start_s=float(ts[a]), end_s=float(end_s)))
        return reps


def segment_repetitions(seq: PoseSequence, **options: float) -> list[Repetition]:
    """Repetitions of a pose recording (options: see :class:`Segmenter`)."""
    return Segmenter(**options).segment(seq)


def count_repetitions(seq: PoseSequence, **options: float) -> int:
    """Number of repetitions in a pose recording."""
    return len(segment_repetitions(seq, **options))


# --------------------------------------------------------------------------- evaluation


def boundary_errors(
    pred: list[tuple[int, int]] | list[Repetition], true: list[tuple[int, int]] | list[Repetition]
) -> dict[str, float]:
    """Compare predicted with true repetitions (frame indices).

    Each true repetition is matched to the unused predicted one with the largest overlap
    (greedy, overlap > 0). Returns ``count_error`` (pred - true), ``matched``, ``missed``,
    ``extra``, and over matched pairs the mean / max absolute start and end errors in frames
    (``mean_abs``/``max_abs`` pool both boundaries; NaN when nothing matched)."""
    p = [(r.start, r.end) if isinstance(r, Repetition) else tuple(r) for r in pred]
    t = [(r.start, r.end) if isinstance(r, Repetition) else tuple(r) for r in true]
    pairs = []
    for i, (ts, te) in enumerate(t):
        for j, (ps, pe) in enumerate(p):
            ov = min(te, pe) - max(ts, ps)
            if ov > 0:
                pairs.append((ov, i, j))
    pairs.sort(reverse=True)
    used_t: set[int] = set()
    used_p: set[int] = set()
    errs: list[tuple[int, int]] = []
    for _ov, i, j in pairs:
        if i in used_t or j in used_p:
            continue
        used_t.add(i)
        used_p.add(j)
        errs.append((abs(p[j][0] - t[i][0]), abs(p[j][1] - t[i][1])))
    e = np.array(errs, dtype=float).reshape(-1, 2)
    nan = float("nan")
    return {
        "n_pred": len(p),
        "n_true": len(t),
        "count_error": len(p) - len(t),
        "matched": len(errs),
        "missed": len(t) - len(errs),
        "extra": len(p) - len(errs),
        "mean_abs_start": float(e[:, 0].mean()) if len(e) else nan,
        "mean_abs_end": float(e[:, 1].mean()) if len(e) else nan,
        "mean_abs": float(e.mean()) if len(e) else nan,
        "max_abs": float(e.max()) if len(e) else nan,
    }
