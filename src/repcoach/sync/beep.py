"""The sync beep: onset of a short tone in a video's or WAV's audio track (paper III.A).

Found on a short-time spectrum (loud, tonal, steady in frequency, long enough), then refined to
the sample on the band-passed envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import butter, hilbert, sosfiltfilt

from repcoach.errors import DataError
from repcoach.sync.audio import read_audio


@dataclass(frozen=True)
class Beep:
    """A detected sync beep: onset (s), tone frequency (Hz), duration (s), level above the
    background in the beep band (dB)."""

    onset_s: float
    freq_hz: float
    duration_s: float
    snr_db: float


def _frames_power(x: np.ndarray, n: int, hop: int) -> np.ndarray:
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    view = np.lib.stride_tricks.sliding_window_view(x, n)[::hop]
    return np.abs(np.fft.rfft(view * np.hanning(n), axis=1)) ** 2


def find_beep(
    samples: np.ndarray,
    rate: int,
    freq_range: tuple[float, float] = (800.0, 5000.0),
    min_duration_s: float = 0.05,
    min_snr_db: float = 8.0,
    min_tonality_db: float = 8.0,
    window_s: float = 0.02,
    hop_s: float = 0.004,
    which: str = "first",
) -> Beep:
    """Find the sync beep; ``which`` = ``"first"`` qualifying tone or the ``"strongest"``.

    A frame is a beep candidate when the strongest bin in the band is ``min_snr_db`` above that
    level's median over the recording (and a robust spread), and ``min_tonality_db`` above the
    band's median bin (a tone, not a clap or a footstep). Runs of candidates whose peak bin stays
    put for at least ``min_duration_s`` are beeps. Raises :class:`DataError` when none is found.
    """

    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.ndim != 1 or len(x) == 0:
        raise DataError(f"audio must be a 1-D array of samples, got shape {np.shape(samples)}")
    lo_hz, hi_hz = freq_range
    if not 0 < lo_hz < hi_hz:
        raise ValueError(f"bad freq_range {freq_range}")
    hi_hz = min(hi_hz, 0.45 * rate)
    x = x - x.mean()
    n = max(16, int(round(window_s * rate)))
    hop = max(1, int(round(hop_s * rate)))
    power = _frames_power(x, n, hop)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    band = np.flatnonzero((freqs >= lo_hz) & (freqs <= hi_hz))
    if len(band) < 3:
        raise ValueError(f"freq_range {freq_range} holds fewer than 3 bins at {rate} Hz")
    pb = power[:, band]
    k_t = max(1, int(round(0.5 * min_duration_s / (hop / rate))))
    if k_t > 1:  # average over half the minimum beep length: steadier noise floor
        kern = np.ones(k_t) / k_t
        pb = np.apply_along_axis(np.convolve, 0, pb, kern, mode="same")
    pb = pb + 1e-20
    peak_bin = pb.argmax(axis=1)
    level = 10 * np.log10(pb.max(axis=1))
    tonality = level - 10 * np.log10(np.median(pb, axis=1))
    bg = float(np.median(level))
    spread = max(1.0, 1.4826 * float(np.median(np.abs(level - bg))))
    thresh = bg + max(min_snr_db, 4.0 * spread)
    cand = (level > thresh) & (tonality > min_tonality_db)

    runs = _runs(cand, max_gap=1)
    # a tone of length D gives a run of about (D + window + smoothing) / hop frames
    min_frames = max(1, int(np.ceil((min_duration_s + 0.5 * (n + k_t * hop) / rate) * rate / hop)))
    found = []
    for a, b in runs:
        if b - a < min_frames:
            continue
        bins = peak_bin[a:b][cand[a:b]]
        mode = int(np.bincount(bins).argmax())
        if np.mean(np.abs(bins - mode) <= 2) < 0.6:
            continue  # frequency wanders: not a tone
        found.append((a, b, mode, float(np.mean(level[a:b][cand[a:b]]))))
        if which == "first":
            break
    if not found:
        raise DataError(
            f"no sync beep found between {lo_hz:.0f} and {hi_hz:.0f} Hz (needs a steady tone at "
            f"least {min_duration_s * 1000:.0f} ms long and {min_snr_db:.0f} dB above the "
            "background)"
        )
    a, b, mode, lev = max(found, key=lambda f: f[3]) if which == "strongest" else found[0]
    f0 = float(freqs[band[mode]])

    # refine on the band-passed envelope around the coarse onset
    half_bw = max(120.0, 2.0 * rate / n)
    sos = butter(4, [max(f0 - half_bw, 20.0), min(f0 + half_bw, 0.49 * rate)], "bandpass",
                 fs=rate, output="sos")  # fmt: skip
    s0 = max(0, a * hop - int(0.25 * rate))
    s1 = min(len(x), b * hop + n + int(0.05 * rate))
    env = np.abs(hilbert(sosfiltfilt(sos, x[s0:s1])))
    k = max(1, int(0.001 * rate))
    env = np.convolve(env, np.ones(k) / k, mode="same")
    coarse = a * hop - s0  # start of the first candidate window, in the segment
    pre = env[: max(0, coarse - k)]
    noise = float(np.median(pre)) if len(pre) >= int(0.01 * rate) else float(np.percentile(env, 5))
    body = env[coarse + n : coarse + n + max(k, int(min_duration_s * rate))]
    plateau = float(np.median(body)) if len(body) else float(env.max())
    if plateau <= noise:
        onset = (a * hop + n / 2) / rate
    else:
        half = noise + 0.5 * (plateau - noise)
        low = noise + 0.15 * (plateau - noise)
        start = max(0, coarse - n)
        above = np.flatnonzero(env[start:] >= half)
        i = start + (int(above[0]) if len(above) else 0)
        while i > 0 and env[i - 1] > low:
            i -= 1
        onset = (s0 + i) / rate
        last = np.flatnonzero(env >= half)
        duration = (s0 + int(last[-1])) / rate - onset if len(last) else 0.0
    if plateau <= noise:
        duration = (b - a) * hop / rate
    return Beep(float(onset), f0, float(max(duration, 0.0)), float(lev - bg))


def detect_beep(
    samples: np.ndarray,
    rate: int,
    freq_range: tuple[float, float] = (800.0, 5000.0),
    **kwargs: Any,
) -> float:
    """Onset of the sync beep in seconds from the start of ``samples`` (see :func:`find_beep`)."""
    return find_beep(samples, rate, freq_range, **kwargs).onset_s


def detect_beep_file(path: str | Path, **kwargs: Any) -> Beep:
    """Find the sync beep in a WAV file or a video's audio track (read through ffmpeg);
    ``kwargs`` go to :func:`find_beep`. A missing track, a silent track or no beep ->
    :class:`DataError` naming the file."""

    samples, rate = read_audio(path)
    if not np.any(samples):
        raise DataError("the audio track is silent (every sample is zero): no sync beep", path)
    try:
        return find_beep(samples, rate, **kwargs)
    except DataError as e:
        raise DataError(e.reason, path) from None


def _runs(mask: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """``[start, end)`` index runs of True, bridging gaps of up to ``max_gap`` False values."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
