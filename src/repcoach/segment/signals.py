"""1-D and multichannel signal tools shared by the segmenters (and IMU processing): gap filling,
smoothing, autocorrelation, the dominant period, runs of a mask."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks


def fill_nan(values: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs of a ``(T,)`` signal or per column of ``(T, F)`` (edges
    held); all-NaN columns become 0. Shared by the segmenters and IMU processing."""
    v = np.array(values, dtype=np.float64, copy=True)
    if v.ndim == 1:
        return fill_nan(v[:, None])[:, 0]
    idx = np.arange(len(v))
    for c in range(v.shape[1]):
        ok = np.isfinite(v[:, c])
        if ok.all():
            continue
        v[:, c] = np.interp(idx, idx[ok], v[ok, c]) if ok.any() else 0.0
    return v


def smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along axis 0 (``sigma`` in samples; no-op below 0.5)."""
    if sigma < 0.5:
        return x

    return gaussian_filter1d(x, sigma, axis=0, mode="nearest")


def autocorr(x: np.ndarray, max_lag: int) -> np.ndarray:
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

    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    lo = max(1, int(round(min_period_s * rate_hz)))
    hi = min(n - 2, int(round(max_period_s * rate_hz)))
    if hi <= lo + 1:
        return float("nan"), 0.0
    # Autocorrelate the (lightly smoothed) velocity: the slow change of level between idle and
    # active stretches would otherwise dominate the autocorrelation.
    v = np.diff(smooth(x, min_period_s * rate_hz / 8), axis=0)
    ac = autocorr(v, hi + 1)
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
