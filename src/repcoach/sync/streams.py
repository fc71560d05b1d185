"""Putting streams on one clock (paper IV.E): global start times and beep offsets, trimming to
the common span, and mapping repetition boundaries between streams of different rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from repcoach.errors import DataError
from repcoach.types import ImuRecording, PoseSequence, Repetition, ThermalClip

Stream = PoseSequence | ThermalClip | ImuRecording | np.ndarray


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
