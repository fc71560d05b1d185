"""Offline repetition counter and segmenter for real pose recordings (class-agnostic).

1. Candidate signals (:mod:`repcoach.segment.pose_signals`), each smoothed and detrended.
2. Periodicity of each: the highest autocorrelation peak between ``min_period_s`` and
   ``max_period_s`` (a shorter lag that repeats nearly as well wins: no period doubling).
   The most periodic signal (weighted by how much of the recording it explains) is kept.
3. Peaks of that signal with a period-adaptive minimum distance and a prominence relative to the
   typical peak; the active span is where peaks follow each other at about the period; every
   peak in it is one repetition, bounded by the valleys around it.
4. Alternation check: when the left and right sides of the chosen period move in turns, each
   side's movement is one repetition (the cycles of the pair's mean at half the period).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from repcoach.segment.pose_signals import SignalSet, candidate_signals
from repcoach.types import PoseSequence, Repetition

__all__ = ["CountOptions", "CountResult", "count_pose", "count_signals", "periodicity"]


@dataclass(frozen=True)
class CountOptions:
    """Settings of the counter (seconds are converted with the recording's frame rate)."""

    min_period_s: float = 0.3
    max_period_s: float = 8.0
    smooth_s: float = 0.08
    detrend_s: float = 2.0
    prominence: float = 0.35
    distance: float = 0.55
    first_peak: float = 0.6
    max_gap: float = 2.5
    min_swing: float = 0.25
    min_motion: float = 0.05
    top_k: int = 8
    min_chain: int = 3
    cycle_smooth: float = 0.1
    vote_quantile: float = 0.5
    local_period: bool = True
    polarity: str = "count"
    pairs: bool = False
    octave: float = 0.0
    alternation: float = 0.2


@dataclass
class CountResult:
    """Repetitions found, the active span ``(start, end)`` frames (end exclusive, None when
    nothing repeats), the period (seconds), the signal kept and its periodicity score."""

    repetitions: list[Repetition]
    active_span: tuple[int, int] | None
    period_s: float
    signal_name: str
    score: float = 0.0
    signal: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    @property
    def count(self) -> int:
        return len(self.repetitions)


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along axis 0 (``sigma`` samples)."""
    if sigma < 0.5:
        return x

    return gaussian_filter1d(x, sigma, axis=0, mode="nearest")


def _acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation of each column of (T, F), normalised per column (acf[0] = 1)."""
    x = x - x.mean(axis=0)
    n = x.shape[0]
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, nfft, axis=0)
    ac = np.fft.irfft(np.abs(spec) ** 2, nfft, axis=0)[: max_lag + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ac = ac / ac[0]
    return np.nan_to_num(ac)


def periodicity(
    x: np.ndarray, lo: int, hi: int, first_peak: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """Per column of (T, F): period (samples, NaN when none) and autocorrelation at it."""

    n, f = x.shape
    hi = min(hi, n // 2)
    per = np.full(f, np.nan)
    score = np.zeros(f)
    if hi <= lo + 1:
        return per, score
    ac = _acf(x, hi + 1)
    for j in range(f):
        a = ac[:, j]
        pk, _ = find_peaks(a[: hi + 2])
        pk = pk[(pk >= lo) & (pk <= hi)]
        if pk.size == 0:
            continue
        best = int(pk[np.argmax(a[pk])])
        # the first lag that repeats nearly as well is the period
        good = pk[a[pk] >= first_peak * a[best]]
        best = int(good[0]) if good.size else best
        if a[best] <= 0:
            continue
        b = a[best]
        if 0 < best < len(a) - 1:
            den = a[best - 1] - 2 * b + a[best + 1]
            shift = 0.5 * (a[best - 1] - a[best + 1]) / den if den != 0 else 0.0
        else:
            shift = 0.0
        per[j], score[j] = best + float(np.clip(shift, -0.5, 0.5)), b
    return per, score


def _prep(x: np.ndarray, rate: float, opt: CountOptions) -> np.ndarray:
    y = _smooth(x, opt.smooth_s * rate)
    if opt.detrend_s > 0:
        y = y - _smooth(y, opt.detrend_s * rate)
    return y


def count_signals(
    sig: SignalSet, rate: float, timestamps: np.ndarray | None = None,
    options: CountOptions | None = None,
) -> CountResult:
    """Count repetitions from candidate signals sampled at ``rate``."""

    opt = options or CountOptions()
    n = sig.values.shape[0]
    none = CountResult([], None, float("nan"), "", 0.0, np.zeros(n))
    if n < 5 or sig.values.shape[1] == 0 or not sig.present.any():
        return none
    if opt.pairs:
        sig = _with_pairs(sig)
    y = _prep(sig.values, rate, opt)
    lo = max(2, int(round(opt.min_period_s * rate)))
    hi = int(round(opt.max_period_s * rate))
    per, score = periodicity(y, lo, hi, opt.first_peak)
    if not np.isfinite(per).any() or score.max() <= 0.1:
        return none
    # signals that barely move (noise of a still joint) are not candidates: each signal's swing
    # must reach min_swing of the largest swing among signals of its kind (coordinates, angles)
    lo_q, hi_q = np.percentile(y[sig.present], [5, 95], axis=0)
    swing = hi_q - lo_q
    kind = np.array([nm.startswith("angle") for nm in sig.names])
    for k in (False, True):
        sel = kind == k
        if sel.any():
            score[sel & (swing < opt.min_swing * swing[sel].max())] = 0.0
    # and a still person's tracker jitter is no movement: a floor in torso lengths / radians
    score[(~kind) & (swing < opt.min_motion)] = 0.0
    score[kind & (swing < 2 * opt.min_motion)] = 0.0
    # vote: the count of each of the top_k most periodic signals, median weighted by score;
    # the repetitions are those of the most periodic signal that gives that count
    order = [int(k) for k in np.argsort(-score)[: opt.top_k] if score[k] > 0.1]
    if not order:
        return none
    found = {k: _cycles(y[:, k], float(per[k]), opt) for k in order}
    counts = np.array([len(found[k][0]) for k in order], float)
    w = score[order]
    srt = np.argsort(counts, kind="stable")
    cum = np.cumsum(w[srt])
    med = counts[srt][int(np.searchsorted(cum, cum[-1] * opt.vote_quantile))]
    j = next(k for k in order if len(found[k][0]) == med)
    if opt.octave > 0:
        j = _octave(j, per, score, opt.octave)
        if j not in found:
            found[j] = _cycles(y[:, j], float(per[j]), opt)
    p = float(per[j])
    s = y[:, j]
    reps, span = found[j]
    if opt.alternation > 0:
        alt = _alternating(y, sig.names, per, score, p, opt.alternation)
        if alt is not None:
            # the two sides take turns: one repetition per half period of either side
            s, p = alt, p / 2
            reps, span = _cycles(s, p, opt)
    ts = np.arange(n) / rate if timestamps is None else np.asarray(timestamps, float)
    dt = 1.0 / rate
    out = []
    for a, b in reps:
        end_s = ts[b] if b < n else ts[-1] + dt
        out.append(Repetition(start=int(a), end=int(b), start_s=float(ts[a]), end_s=float(end_s)))
    return CountResult(out, span, p / rate, sig.names[j], float(score[j]), s)


def _octave(j: int, per: np.ndarray, score: np.ndarray, ratio: float) -> int:
    """Signal ``j``, or the most periodic one repeating about twice as fast (period 0.4 to 0.6
    of ``j``'s) when its score reaches ``ratio`` of ``j``'s (repeated: several octaves)."""
    for _ in range(3):
        with np.errstate(invalid="ignore"):
            half = (per >= 0.4 * per[j]) & (per <= 0.6 * per[j]) & (score >= ratio * score[j])
        if not half.any():
            return j
        j = int(np.flatnonzero(half)[np.argmax(score[half])])
    return j


def _lagcorr(a: np.ndarray, b: np.ndarray, lag: int) -> float:
    """Correlation of ``a[t]`` with ``b[t + lag]``."""
    if lag > 0:
        a, b = a[:-lag], b[lag:]
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / den if den > 0 else 0.0


def _alternating(
    y: np.ndarray, names: list[str], per: np.ndarray, score: np.ndarray, p: float, tau: float
) -> np.ndarray | None:
    """The mean of the best left/right pair when the two sides move in turns: over the pairs
    repeating at about period ``p`` (vertical coordinates and angles only: horizontal ones
    mirror when both sides move together; not the hips, mirrored about their midpoint), the
    score-weighted mean of (corr at half a period - corr at lag 0) / 2 exceeds ``tau``."""
    idx = {nm: i for i, nm in enumerate(names)}
    alt, wts, best, best_w = [], [], None, 0.0
    half = max(1, int(round(p / 2)))
    for nm, i in idx.items():
        if "left_" not in nm or nm.endswith(".x") or nm.startswith("left_hip"):
            continue
        k = idx.get(nm.replace("left_", "right_"))
        if k is None or y.shape[0] <= 2 * half:
            continue
        w = min(score[i], score[k])
        near = all(np.isfinite(per[m]) and abs(per[m] / p - 1) <= 0.2 for m in (i, k))
        if w <= 0.1 or not near:
            continue
        a, b = y[:, i], y[:, k]
        shifted = (_lagcorr(a, b, half) + _lagcorr(b, a, half)) / 2
        alt.append((shifted - _lagcorr(a, b, 0)) / 2)
        wts.append(w)
        if w > best_w:
            best, best_w = (a + b) / 2, w
    if not alt or float(np.average(alt, weights=wts)) <= tau:
        return None
    return best


def _with_pairs(sig: SignalSet) -> SignalSet:
    """``sig`` plus the mean of every left/right pair of signals (alternating movements of the
    two sides repeat once per repetition in the mean)."""
    idx = {nm: i for i, nm in enumerate(sig.names)}
    cols, names = [], []
    for nm, i in idx.items():
        if "left_" in nm:
            other = nm.replace("left_", "right_")
            if other in idx:
                cols.append((sig.values[:, i] + sig.values[:, idx[other]]) / 2)
                names.append(nm.replace("left_", "pair_"))
    if not cols:
        return sig
    return SignalSet(np.column_stack([sig.values, *cols]), [*sig.names, *names], sig.present,
                     sig.scale)  # fmt: skip


def _spaced(peaks: np.ndarray, prom: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Mask of peaks kept when, taken by decreasing prominence, each must lie at least its own
    ``dist`` from every kept one."""
    keep = np.zeros(peaks.size, bool)
    for i in np.argsort(-prom, kind="stable"):
        near = keep & (np.abs(peaks - peaks[i]) < dist[i])
        if not near.any():
            keep[i] = True
    return keep


def _local_period(s: np.ndarray, p: float, lo: float) -> np.ndarray:
    """(n,) local period (samples): autocorrelation peak between 0.45 and 1.6 ``p`` in windows
    of three global periods every half period, interpolated; ``p`` where none is found."""

    n = s.size
    half = max(1, int(p / 2))
    w = int(1.5 * p) + 1
    centres, vals = [], []
    lag_lo, lag_hi = int(max(lo, 0.45 * p)), int(1.6 * p) + 1
    for c in range(0, n, half):
        seg = s[max(0, c - w) : c + w + 1]
        if seg.size < lag_hi + 2:
            continue
        ac = _acf(seg[:, None], lag_hi + 1)[:, 0]
        pk, _ = find_peaks(ac)
        pk = pk[(pk >= lag_lo) & (pk <= lag_hi)]
        if pk.size and ac[pk].max() > 0.2:
            centres.append(c)
            vals.append(float(pk[np.argmax(ac[pk])]))
    if not centres:
        return np.full(n, p)
    return np.interp(np.arange(n), centres, vals)


Span = tuple[int, int]


def _cycles(s: np.ndarray, p: float, opt: CountOptions) -> tuple[list[Span], Span | None]:
    """Repetitions (valley-to-valley around each counted peak) of signal ``s`` with period ``p``
    samples, and the active span."""

    n = s.size
    results = []
    if opt.cycle_smooth > 0:
        s = _smooth(s, opt.cycle_smooth * p)
    local = _local_period(s, p, 2.0) if opt.local_period else None
    for sign in (1.0, -1.0):
        z = sign * s
        if local is None:
            cand, props = find_peaks(z, distance=max(1, int(opt.distance * p)), prominence=1e-12)
            prom = props["prominences"]
        else:
            cand, props = find_peaks(z, distance=max(1, int(opt.distance * local.min())),
                                     prominence=1e-12)  # fmt: skip
            prom = props["prominences"]
            keep = _spaced(cand, prom, opt.distance * local[cand])
            cand, prom = cand[keep], prom[keep]
        if cand.size == 0:
            results.append(([], None))
            continue
        top = np.sort(prom)[::-1]
        typ = float(np.median(top[: max(1, top.size // 2)]))
        pk = cand[prom >= opt.prominence * typ]
        # active span: the longest chain of peaks no further apart than max_gap periods
        if pk.size == 0:
            results.append(([], None))
            continue
        gaps = np.diff(pk) > opt.max_gap * p
        cut = np.flatnonzero(gaps)
        chains = np.split(np.arange(pk.size), cut + 1)
        if opt.min_chain > 0:
            # isolated peaks (lead-in, lead-out, a stray movement during a pause) do not count
            long = [c for c in chains if len(c) >= opt.min_chain]
            chains = long or [max(chains, key=len)]
        else:
            chains = [max(chains, key=len)]
        pk = pk[np.concatenate(chains)]
        reps = []
        for i, k in enumerate(pk):
            left = pk[i - 1] if i > 0 else max(0, int(k - p))
            right = pk[i + 1] if i + 1 < pk.size else min(n - 1, int(k + p))
            a = left + int(np.argmin(z[left : k + 1]))
            b = k + int(np.argmin(z[k : right + 1]))
            if b <= a:
                b = a + 1
            reps.append((a, b))
        span = (reps[0][0], reps[-1][1]) if reps else None
        results.append((reps, span))
    # the polarity that finds more cycles; on a tie (and always with polarity="skew") the one
    # whose values are skewed towards its valleys: rest is where the signal dwells, so the
    # counted extremes (peaks) are the rarer side
    d = s - np.median(s)
    skewed = 0 if float(np.mean(d**3)) >= 0 else 1
    if opt.polarity == "skew" or len(results[0][0]) == len(results[1][0]):
        return results[skewed]
    return max(results, key=lambda r: len(r[0]))


def count_pose(seq: PoseSequence, options: CountOptions | None = None) -> CountResult:
    """Count and segment the repetitions of a pose recording."""
    rate = seq.fps if seq.n_frames > 1 and np.isfinite(seq.fps) else 30.0
    sig = candidate_signals(seq.coords, seq.layout, seq.detected)
    return count_signals(sig, rate, seq.timestamps, options)
