"""Repetition segmentation and counting: pose recordings, any multichannel array, any 1-D signal.

Two methods:

* **excursions from rest** (:func:`segment_array`, the default of :class:`Segmenter` /
  :func:`segment_repetitions`): tempo-free. The recording becomes its distance from the rest
  pose (smoothed, PCA-denoised); every departure from rest and return is a repetition, or half
  of one for alternating movements (high knees, steam engine), which are recognised because
  consecutive excursions point in different directions and every second one the same way;
  halves are then paired left + right. Each boundary is extrapolated from where the distance
  crosses a low level near rest, so pauses and idle time belong to no repetition.
* **valleys of one periodic signal** (:func:`segment_signal`, used for IMU signals and by
  ``Segmenter(method="period")``): estimate the dominant period by autocorrelation (used only
  for smoothing and the minimum spacing of valleys), find valleys with
  :func:`scipy.signal.find_peaks`, keep valley-to-valley cycles that swing up, cut long rest
  stretches out, optionally merge ``cycles_per_rep`` cycles.

Evaluation against ground truth: :func:`boundary_errors`. See docs/preprocessing.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from repcoach.types import PoseSequence, Repetition

__all__ = [
    "ExcursionInfo",
    "MotionSignal",
    "Segmenter",
    "analyse_array",
    "analyse_motion",
    "boundary_errors",
    "count_repetitions",
    "estimate_period",
    "motion_signal",
    "segment_array",
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


@dataclass
class ExcursionInfo:
    """What :func:`segment_array` found: the distance-from-rest signal and its excursions.

    ``distance`` (samples,) is the distance of the smoothed, PCA-denoised pose from the rest
    pose; ``excursions`` the ``(start, peak, end)`` of every departure from rest and return;
    ``labels`` the side (0/1) of each excursion for alternating movements (all 0 otherwise);
    ``cycles_per_rep`` 2 when two alternating excursions make one repetition; ``amplitude``
    the typical excursion height; ``rest`` the rest pose (features)."""

    distance: np.ndarray
    excursions: list[tuple[int, int, int]]
    labels: np.ndarray
    cycles_per_rep: int
    amplitude: float
    rest: np.ndarray


def _crossing(d: np.ndarray, i: int, step: int, level: float, stop: int) -> tuple[float, float]:
    """Where ``d`` first rises above ``level`` walking from sample ``i`` (below it) by ``step``
    (not past ``stop``): the interpolated position and the slope there (per sample)."""
    j = i
    while j != stop and d[j + step] <= level:
        j += step
    if j == stop:
        return float(j), 0.0
    rise = d[j + step] - d[j]
    frac = (level - d[j]) / rise if rise > 0 else 0.0
    return j + step * frac, float(rise)


def segment_array(
    x: np.ndarray,
    rate_hz: float,
    *,
    rest: np.ndarray | None = None,
    prominence: float = 0.15,
    rest_level: float = 0.12,
    smooth_s: float = 0.033,
    n_components: int = 6,
    min_excursion_s: float = 0.12,
    alternating: bool | None = None,
    edge_power: float = 3.0,
    return_info: bool = False,
) -> list[tuple[int, int]] | tuple[list[tuple[int, int]], ExcursionInfo]:
    """Repetition boundaries ``[(start, end), ...]`` (end exclusive) of a multichannel
    ``(samples, channels)`` recording (pose coordinates, joint angles) that returns to a rest
    pose between repetitions.

    Tempo-free: no period is estimated. The recording is smoothed (``smooth_s``), reduced to its
    ``n_components`` leading principal components (denoising) and turned into the distance from
    the rest pose (``rest``, default: the pose at the start, refined to the median pose at the
    found rest points). Every departure from rest and return ("excursion": a peak of that
    distance at least ``prominence`` of the typical peak height above its surroundings) is one
    repetition, or half of one for alternating movements (high knees, steam engine), detected
    when consecutive excursions point in clearly different directions while every second one
    points the same way (``alternating`` forces it). Each boundary is where the distance
    returns to rest: the rest stretch below ``rest_level`` of the typical height is found, and
    the moment of leaving / reaching rest extrapolated from the level crossing and the slope
    there (``d ~ t^edge_power`` near rest), so a pause or idle time between repetitions belongs
    to no repetition. Excursions cut by the start or end of the clip are not counted. An
    alternating half whose partner is too weak to be detected still counts as a repetition.
    With ``return_info`` returns ``(bounds, ExcursionInfo)``.
    """

    rate = float(rate_hz)
    x = np.asarray(x, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    n = x.shape[0]
    empty = ExcursionInfo(np.zeros(n), [], np.zeros(0, int), 1, 0.0, np.zeros(x.shape[1:]))
    if n < 5 or x.size == 0 or not np.isfinite(rate) or rate <= 0:
        return ([], empty) if return_info else []
    x = np.column_stack([_fill_nan(c) for c in x.T])
    x = _smooth(x, smooth_s * rate)
    n_head = max(1, int(round(0.5 * rate)))
    r = np.median(x[:n_head], axis=0) if rest is None else np.asarray(rest, dtype=np.float64)

    def distance(r: np.ndarray) -> np.ndarray:
        y = x - r
        _u, s, vt = np.linalg.svd(y - y.mean(axis=0), full_matrices=False)
        k = min(n_components, len(s))
        return np.linalg.norm(y @ vt[:k].T, axis=1)

    result = None
    for it in range(2 if rest is None else 1):
        d = distance(r)
        result = _excursions(d, rate, prominence, rest_level, min_excursion_s, edge_power)
        if result is None:
            return ([], empty) if return_info else []
        exc, rest_idx, amp = result
        if it == 0 and rest is None and len(rest_idx):
            r = np.median(x[rest_idx], axis=0)
    assert result is not None
    exc, _rest_idx, amp = result
    if not exc:
        return ([], replace(empty, distance=d, amplitude=amp, rest=r)) if return_info else []
    peaks_pose = np.array([x[p] - r for _s, p, _e in exc])
    heights = np.array([d[p] for _s, p, _e in exc])
    labels, alt = _alternation(peaks_pose, heights)
    if alternating is not None:
        alt = alternating
        if not alt:
            labels = np.zeros(len(exc), int)
    if alt:
        half = np.median([e - s for s, _p, e in exc])
        bounds = _pair(exc, labels, heights, max(2.0, 0.5 * half), amp)
    else:
        bounds = [(s, e) for s, _p, e in exc]
    info = ExcursionInfo(d, exc, labels, 2 if alt else 1, amp, r)
    return (bounds, info) if return_info else bounds


def _excursions(
    d: np.ndarray,
    rate: float,
    prominence: float,
    rest_level: float,
    min_excursion_s: float,
    edge_power: float = 3.0,
) -> tuple[list[tuple[int, int, int]], np.ndarray, float] | None:
    """Excursions ``(start, peak, end)`` of a distance-from-rest signal, the indices of rest
    samples, and the typical excursion height; None when nothing moves."""
    from scipy.signal import find_peaks

    n = d.size
    floor = float(np.percentile(d, 5))
    top = float(np.percentile(d, 98))
    if top - floor <= 1e-9:
        return None
    cand, _ = find_peaks(np.concatenate([[floor], d, [floor]]), prominence=0.1 * (top - floor))
    cand = cand - 1
    if cand.size == 0:
        return None
    # Typical height: the median of the taller half of candidate peaks (low, faulty
    # repetitions must not pull it down; noise wiggles are not candidates).
    heights = np.sort(d[cand] - floor)
    amp = float(np.median(heights[heights.size // 2 :]))
    peaks, _ = find_peaks(
        np.concatenate([[floor], d, [floor]]),
        prominence=prominence * amp,
        distance=max(1, int(round(min_excursion_s * rate))),
    )
    peaks = peaks - 1
    if peaks.size == 0:
        return None
    level = floor + rest_level * amp
    low = d <= level
    cap = 0.3 * rate
    rest_idx: list[np.ndarray] = []
    # Rest stretches between consecutive peaks (and before the first / after the last): each
    # edge is where the distance leaves (or reaches) rest, extrapolated from where it crosses
    # ``level`` and its slope there, assuming ``d - floor ~ c t^edge_power`` near rest (a
    # smooth start from rest: 2 for coordinates linear in the joint angles, more when they move
    # as 1 - cos or the start is gentler; 3 measured best on generated recordings).
    gaps: list[tuple[int, int, int, int] | None] = []  # (a, b, lo_i, hi_i) per interval
    edges = [0, *peaks.tolist(), n - 1]
    crossings: list[tuple[int, float, float]] = []  # (2 * gap + side, position, slope)
    for g, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        seg = low[a : b + 1]
        if not seg.any():
            gaps.append(None)
            continue
        lo_i = a + int(np.argmax(seg))
        hi_i = a + len(seg) - 1 - int(np.argmax(seg[::-1]))
        gaps.append((a, b, lo_i, hi_i))
        rest_idx.append(np.arange(lo_i, hi_i + 1))
        for i, step, stop in ((lo_i, -1, a), (hi_i, 1, b)):
            if stop == i or (step == -1 and a == 0 and g == 0) or (step == 1 and b == n - 1):
                continue
            c1, s1 = _crossing(d, i, step, level, stop)
            crossings.append((g * 2 + (step > 0), c1, s1))
    edge_at = {}
    for key, c1, s1 in crossings:
        off = min(edge_power * (level - floor) / s1, cap) if s1 > 0 else 0.0
        edge_at[key] = c1 + (off if key % 2 == 0 else -off)  # towards the rest stretch
    cuts: list[tuple[float, float] | None] = []  # (end of previous, start of next)
    for g, gap in enumerate(gaps):
        a, b = edges[g], edges[g + 1]
        if gap is None:
            if a == 0 or b == n - 1:
                cuts.append(None)  # the clip starts / ends mid-movement
            else:
                m = a + int(np.argmin(d[a : b + 1]))
                cuts.append((float(m), float(m)))
            continue
        _a, _b, lo_i, hi_i = gap
        end_prev = min(max(edge_at.get(2 * g, float(lo_i)), a), b)
        start_next = max(min(edge_at.get(2 * g + 1, float(hi_i)), b), a)
        if end_prev >= start_next:  # touched rest only for an instant
            end_prev = start_next = (end_prev + start_next) / 2
        cuts.append((end_prev, start_next))
    exc: list[tuple[int, int, int]] = []
    for k, p in enumerate(peaks):
        before, after = cuts[k], cuts[k + 1]
        if before is None or after is None:
            continue  # a partial excursion cut by the clip's edge
        s = int(round(before[1]))
        e = int(round(after[0]))
        exc.append((s, int(p), max(e, s + 1)))
    idx = np.concatenate(rest_idx) if rest_idx else np.zeros(0, int)
    return exc, idx, amp


def _alternation(peak_poses: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, bool]:
    """Side labels (0/1) of excursions and whether they alternate: consecutive peak poses point
    in clearly different directions while every second one points the same way."""
    m = peak_poses.shape[0]
    labels = np.zeros(m, int)
    if m < 4:
        return labels, False
    u = peak_poses / np.maximum(np.linalg.norm(peak_poses, axis=1, keepdims=True), 1e-12)
    c1 = np.median(np.sum(u[:-1] * u[1:], axis=1))
    c2 = np.median(np.sum(u[:-2] * u[2:], axis=1))
    # Two-means on the directions, seeded with the tallest excursion and the tall one least
    # like it (low, faulty excursions point in less reliable directions).
    tall = np.flatnonzero(heights >= 0.5 * np.median(heights))
    i0 = int(np.argmax(heights))
    i1 = int(tall[np.argmin(u[tall] @ u[i0])])
    centres = np.stack([u[i0], u[i1]])
    for _ in range(20):
        labels = np.argmax(u @ centres.T, axis=1)
        if labels.min() == labels.max():
            break
        new = np.stack([u[labels == j].mean(axis=0) for j in (0, 1)])
        if np.allclose(new, centres):
            break
        centres = new
    switches = float(np.mean(labels[1:] != labels[:-1]))
    alt = bool(c1 < 0.7 and c2 > c1 + 0.25 and switches >= 0.6)
    return labels, alt


def _pair(
    exc: list[tuple[int, int, int]],
    labels: np.ndarray,
    heights: np.ndarray,
    max_gap: float,
    amp: float,
) -> list[tuple[int, int]]:
    """Join alternating excursions into repetitions (one side then the other).

    Every person starts their repetitions with the same side; that side is the one that leaves
    fewest halves unpaired (then: smallest rest inside repetitions, then: the first excursion's
    side). A half without its partner (the other side too weak to be detected; pairs have at
    most ``max_gap`` samples of rest between their halves) is still one repetition, stretched
    by its own duration towards the missing half, unless it is a low wobble (below 0.3 of the
    typical height ``amp``) at either end of the recording touching an excursion of its own
    side (idle sway)."""
    best: list[tuple[int, int]] = []
    best_key: tuple[float, float, int] | None = None
    for first in (int(labels[0]), 1 - int(labels[0])):
        reps: list[tuple[int, int]] = []
        inner, i, lone = 0.0, 0, 0
        while i < len(exc):
            s, _p, e = exc[i]
            nxt = exc[i + 1] if i + 1 < len(exc) else None
            if (
                labels[i] == first
                and nxt is not None
                and labels[i + 1] != first
                and nxt[0] - e <= max_gap
            ):
                reps.append((s, nxt[2]))
                inner += max(nxt[0] - e, 0)
                i += 2
                continue
            # A low wobble at either end touching a taller excursion of the same side (idle
            # sway before the first / after the last repetition): not a repetition.
            j = 1 if i == 0 else len(exc) - 2 if i == len(exc) - 1 else -1
            if (
                0 <= j < len(exc)
                and labels[j] == labels[i]
                and (exc[1][0] - e if i == 0 else s - exc[j][2]) <= 2
                and heights[i] < 0.3 * amp
            ):
                i += 1
                continue
            # A lone half: its partner was too weak to be seen; it took about as long.
            lone += 1
            if labels[i] == first:
                e = min(e + (e - s), nxt[0]) if nxt is not None else e
            else:
                s = max(s - (e - s), exc[i - 1][2]) if i > 0 else s
            reps.append((s, e))
            i += 1
        key = (lone, inner, 0 if first == labels[0] else 1)
        if best_key is None or key < best_key:
            best, best_key = reps, key
    return best


# --------------------------------------------------------------------------- pose -> signal


def _pose_features(
    seq: PoseSequence, use_z: bool | None = None, fill: bool = True, min_finite: float = 0.5
) -> np.ndarray:
    """Cleaned, normalised ``(frames, features)`` of the motion joints seen in at least
    ``min_finite`` of the frames; gaps linearly filled when ``fill`` (else left NaN)."""
    from repcoach.pose import preprocess

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
    return np.column_stack([_fill_nan(c) for c in x.T]) if fill else x


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
    """Pose repetition segmenter.

    ``method="excursion"`` (default): :func:`segment_array` on the cleaned, normalised
    coordinates of the main joints (tempo-free; alternating movements paired automatically).
    ``method="period"``: the earlier approach, :func:`analyse_motion` then
    :func:`segment_signal` (one principal component, valleys spaced by a global period).
    ``prominence``, ``smooth_s`` and ``rest_level`` default to the chosen method's defaults;
    ``min_period_s``/``max_period_s``/``pause_frac`` only apply to ``"period"``;
    ``n_components``, ``alternating`` and ``min_excursion_s`` only to ``"excursion"``.
    Attributes set by :meth:`segment`: ``signal_`` (the :class:`MotionSignal` of the last
    sequence: the distance from rest for ``"excursion"``) and, for ``"excursion"``, ``info_``
    (:class:`ExcursionInfo`).
    """

    min_period_s: float = 0.4
    max_period_s: float = 6.0
    prominence: float | None = None
    smooth_s: float | None = None
    rest_level: float | None = None
    pause_frac: float = 0.35
    method: str = "excursion"
    n_components: int = 6
    alternating: bool | None = None
    min_excursion_s: float = 0.12
    min_finite: float = 0.9

    def segment(self, seq: PoseSequence) -> list[Repetition]:
        """Repetitions of ``seq`` with frame indices and times from its timestamps."""
        rate = seq.fps if seq.n_frames > 1 else 30.0
        if self.method == "excursion":
            bounds, info = segment_array(
                _pose_features(seq, fill=False, min_finite=self.min_finite),
                rate,
                prominence=0.15 if self.prominence is None else self.prominence,
                rest_level=0.12 if self.rest_level is None else self.rest_level,
                smooth_s=0.033 if self.smooth_s is None else self.smooth_s,
                n_components=self.n_components,
                min_excursion_s=self.min_excursion_s,
                alternating=self.alternating,
                return_info=True,
            )
            self.info_ = info
            self.signal_ = MotionSignal(
                info.distance, rate, float("nan"), 0.0, -1, info.cycles_per_rep
            )
        elif self.method == "period":
            ms = analyse_motion(seq, min_period_s=self.min_period_s, max_period_s=self.max_period_s)
            self.signal_ = ms
            bounds = segment_signal(
                ms.values,
                ms.rate_hz,
                min_period_s=self.min_period_s,
                max_period_s=self.max_period_s,
                prominence=0.2 if self.prominence is None else self.prominence,
                smooth_s=self.smooth_s,
                rest_level=0.15 if self.rest_level is None else self.rest_level,
                pause_frac=self.pause_frac,
                cycles_per_rep=ms.cycles_per_rep,
                period_s=ms.period_s if np.isfinite(ms.period_s) else None,
            )
        else:
            raise ValueError(f"unknown segmentation method {self.method!r}; use excursion/period")
        ts = seq.timestamps
        dt = 1.0 / rate
        reps = []
        for a, b in bounds:
            a, b = int(np.clip(a, 0, seq.n_frames - 1)), int(np.clip(b, a + 1, seq.n_frames))
            end_s = ts[b] if b < len(ts) else ts[-1] + dt
            reps.append(Repetition(start=a, end=b, start_s=float(ts[a]), end_s=float(end_s)))
        return reps


#: Method of :func:`segment_repetitions` when none is given (chosen by bench/bench_count.py and
#: bench/bench_segment.py; see docs/counting.md).
DEFAULT_METHOD = "auto"


def segment_repetitions(
    seq: PoseSequence, method: str | None = None, **options: float
) -> list[Repetition]:
    """Repetitions of a pose recording. ``method``: ``"counter"`` (periodicity counter for real
    recordings, :mod:`repcoach.counting`, options of its ``CountOptions``), ``"legacy"`` (=
    ``"excursion"``), ``"auto"`` (legacy when the two counts differ by at most one, else the
    counter; options go to :class:`Segmenter`) or ``"period"`` (:class:`Segmenter`, its
    options); default :data:`DEFAULT_METHOD`."""
    method = DEFAULT_METHOD if method is None else method
    if method in ("counter", "auto"):
        from repcoach.counting import CountOptions, count_pose

        if method == "counter":
            return count_pose(seq, CountOptions(**options)).repetitions
        # "auto" (options go to the excursion segmenter): its more precise boundaries where both
        # agree on the count within one; the counter's repetitions otherwise
        reps = count_pose(seq, CountOptions()).repetitions
        legacy = Segmenter(**options).segment(seq)
        return legacy if abs(len(legacy) - len(reps)) <= 1 else reps
    return Segmenter(method="excursion" if method == "legacy" else method, **options).segment(seq)


def count_repetitions(seq: PoseSequence, method: str | None = None, **options: float) -> int:
    """Number of repetitions in a pose recording (``method``: see :func:`segment_repetitions`)."""
    return len(segment_repetitions(seq, method, **options))


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
