"""Valleys of one periodic signal (used for IMU signals and ``Segmenter(method="period")``).

The dominant period (autocorrelation) sets the smoothing and the minimum valley spacing;
valley-to-valley cycles that swing up are kept, long rest stretches are cut out, and
``cycles_per_rep`` cycles can be merged into one repetition."""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from repcoach.segment.signals import estimate_period, fill_nan, smooth


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

    x = fill_nan(np.asarray(signal, dtype=np.float64).ravel())
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
    xs = smooth(x, sigma)
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
