"""Putting streams on one clock: the sync beep, global start times, trimming, and mapping
repetition boundaries between streams of different rates (paper III.A, IV.E).

* :func:`detect_beep` finds the onset of the sync beep in a video's audio track: a short tone
  in ``freq_range``; found on a short-time spectrum (loud, tonal, steady in frequency, long
  enough), then refined to the sample on the band-passed envelope.
* :func:`align_streams` moves pose (:class:`PoseSequence`), thermal (:class:`ThermalClip`), IMU
  (:class:`ImuRecording`) or bare timestamp arrays onto a global clock from their start offsets
  and/or beep times and trims them to their common span.
* :func:`map_repetitions` carries repetitions found in one stream (pose frames at 30 fps) onto
  another's sample indices (thermal frames at 8.7 fps, IMU samples at 50 Hz).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.types import ImuRecording, PoseSequence, Repetition, ThermalClip

Stream = PoseSequence | ThermalClip | ImuRecording | np.ndarray


# --------------------------------------------------------------------------- beep detection


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
    from scipy.signal import butter, hilbert, sosfiltfilt

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
    noise = float(np.median(pre)) if len(pre) >= int(0.01 * rate) else float(
        np.percentile(env, 5))
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
    samples: np.ndarray, rate: int, freq_range: tuple[float, float] = (800.0, 5000.0),
    **kwargs: Any,
) -> float:
    """Onset of the sync beep in seconds from the start of ``samples`` (see :func:`find_beep`)."""
    return find_beep(samples, rate, freq_range, **kwargs).onset_s


def detect_beep_file(path: str | Path, **kwargs: Any) -> Beep:
    """Find the sync beep in a WAV file or a video's audio track (read through ffmpeg);
    ``kwargs`` go to :func:`find_beep`. A missing track, a silent track or no beep ->
    :class:`DataError` naming the file."""
    from repcoach.audio import read_audio

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


# --------------------------------------------------------------------------- stream alignment


def timestamps_of(stream: Stream) -> np.ndarray:
    """The timestamps (s) of a pose, thermal or IMU stream, or the array itself."""
    if isinstance(stream, PoseSequence | ThermalClip | ImuRecording):
        return stream.timestamps
    return np.asarray(stream, dtype=np.float64)


def _step(ts: np.ndarray) -> float:
    return float(np.median(np.diff(ts))) if len(ts) > 1 else 0.0


def _shift_and_keep(stream: Stream, offset: float, keep: np.ndarray) -> Stream:
    if isinstance(stream, PoseSequence):
        s = stream.slice(int(keep[0]), int(keep[-1]) + 1) if len(keep) else stream.slice(0, 0)
        return replace(s, timestamps=s.timestamps + offset)
    if isinstance(stream, ThermalClip):
        return replace(stream, frames=stream.frames[keep], timestamps=stream.timestamps[keep]
                       + offset)  # fmt: skip
    if isinstance(stream, ImuRecording):
        return replace(stream, data=stream.data[keep], timestamps=stream.timestamps[keep] + offset)
    return np.asarray(stream, dtype=np.float64)[keep] + offset


@dataclass(frozen=True, eq=False)
class AlignedStreams:
    """Streams on one global clock, trimmed to their common span.

    ``streams``: the same kinds of objects, timestamps now global (``t_global = t_local +
    offsets[name]``); ``indices``: which original samples were kept; ``start_s``/``end_s``: the
    common span on the global clock.
    """

    streams: dict[str, Stream]
    offsets: dict[str, float]
    indices: dict[str, np.ndarray]
    start_s: float
    end_s: float

    def __getitem__(self, name: str) -> Stream:
        return self.streams[name]


def stream_offsets(
    names: Sequence[str],
    offsets: Mapping[str, float] | None = None,
    beeps: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Offset (s) of each stream's local clock on the global clock.

    ``offsets[name]``: global time of the stream's local t = 0 (e.g. its start time from
    on-screen or file timestamps). ``beeps[name]``: local time of the sync beep in that stream.
    Streams with a beep are aligned to each other exactly through it; the beep's global time is
    the median of ``offsets + beeps`` over streams that have both (0 when none has), so streams
    known only by offset (e.g. thermal, which has no audio) land on the same clock.
    """
    offsets = dict(offsets or {})
    beeps = dict(beeps or {})
    unknown = [n for n in (*offsets, *beeps) if n not in names]
    if unknown:
        raise KeyError(f"offsets/beeps given for unknown stream(s) {unknown}; have {list(names)}")
    both = [offsets[n] + beeps[n] for n in names if n in offsets and n in beeps]
    beep_global = float(np.median(both)) if both else 0.0
    out = {}
    for n in names:
        if n in beeps:
            out[n] = beep_global - float(beeps[n])
        elif n in offsets:
            out[n] = float(offsets[n])
        elif len(names) == 1:
            out[n] = 0.0
        else:
            raise DataError(f"stream {n!r} has neither a start offset nor a beep time")
    return out


def align_streams(
    streams: Mapping[str, Stream],
    offsets: Mapping[str, float] | None = None,
    beeps: Mapping[str, float] | None = None,
    trim: bool = True,
) -> AlignedStreams:
    """Put streams on one clock (see :func:`stream_offsets`) and trim them to the span all of
    them cover (a sample at time t is kept when ``start <= t <= end``, where each stream's span
    ends one sample interval after its last sample)."""
    names = list(streams)
    if not names:
        raise ValueError("no streams to align")
    off = stream_offsets(names, offsets, beeps)
    spans = {}
    for n in names:
        ts = timestamps_of(streams[n])
        if len(ts) == 0:
            raise DataError(f"stream {n!r} is empty")
        spans[n] = (ts[0] + off[n], ts[-1] + _step(ts) + off[n])
    start = max(s for s, _ in spans.values())
    end = min(e for _, e in spans.values())
    if trim and end <= start:
        raise DataError(
            "streams do not overlap on the global clock: "
            + ", ".join(f"{n} {s:.3f}-{e:.3f} s" for n, (s, e) in spans.items())
        )
    out, kept = {}, {}
    for n in names:
        g = timestamps_of(streams[n]) + off[n]
        keep = np.flatnonzero((g >= start - 1e-9) & (g < end - 1e-9)) if trim else np.arange(len(g))
        kept[n] = keep
        out[n] = _shift_and_keep(streams[n], off[n], keep)
    if not trim:
        start = min(s for s, _ in spans.values())
        end = max(e for _, e in spans.values())
    return AlignedStreams(out, off, kept, float(start), float(end))


def map_repetitions(
    reps: Sequence[Repetition],
    from_stream: Stream,
    to_stream: Stream,
    offset_s: float = 0.0,
    drop_outside: bool = True,
) -> list[Repetition]:
    """Carry repetitions ``[start, end)`` in ``from_stream``'s sample indices onto
    ``to_stream``'s indices through time (both on one clock, e.g. after :func:`align_streams`;
    ``offset_s`` is added to source times otherwise).

    A repetition spans ``[t_from[start], t_from[end])`` (the end boundary is the time of sample
    ``end``, or one interval after the last sample); it maps to the target samples whose times
    fall in that span, at least one (the nearest) so a short repetition still owns a thermal
    frame. Repetitions entirely outside the target are dropped (``drop_outside``) or raise.
    Labels, probabilities, scores and cues are kept; ``start_s``/``end_s`` are the span.
    """
    tf = timestamps_of(from_stream)
    tt = timestamps_of(to_stream)
    if len(tf) == 0 or len(tt) == 0:
        raise DataError("cannot map repetitions between empty streams")
    step_f, step_t = _step(tf), _step(tt)
    out = []
    for r in reps:
        if r.start < 0 or r.start >= len(tf):
            raise DataError(f"repetition start {r.start} outside the source's {len(tf)} samples")
        t0 = tf[r.start] + offset_s
        t1 = (tf[r.end] if r.end < len(tf) else tf[-1] + step_f) + offset_s
        if t1 <= tt[0] - step_t or t0 >= tt[-1] + step_t:
            if drop_outside:
                continue
            raise DataError(f"repetition {t0:.3f}-{t1:.3f} s lies outside the target stream")
        i0 = int(np.searchsorted(tt, t0 - 1e-9, side="left"))
        i1 = int(np.searchsorted(tt, t1 - 1e-9, side="left"))
        if i1 <= i0:  # shorter than one target interval: the nearest sample
            i0 = int(np.clip(np.argmin(np.abs(tt - 0.5 * (t0 + t1))), 0, len(tt) - 1))
            i1 = i0 + 1
        out.append(replace(r, start=i0, end=min(i1, len(tt)) if i1 > i0 else i0 + 1,
                           start_s=float(t0), end_s=float(t1)))  # fmt: skip
    return out
