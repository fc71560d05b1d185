"""The live analyser's repetition counter: the offline segmenter re-run on a growing buffer.

Same API as :class:`repcoach.segment.streaming.StreamingCounter` (``push(timestamp_s, coords)
-> [Repetition]`` newly finished, ``finish()``, ``count``) but it re-runs the very method
offline analysis uses (:func:`repcoach.segment.segment_repetitions`), so a live set ends with
the count ``repcoach analyze`` gives; the periodicity-only StreamingCounter is cheaper. Every
``every_s`` seconds of recording, :func:`repcoach.segment.segment_repetitions` runs on the last
``window_s`` seconds (put on a uniform ``fps`` clock); a repetition is emitted once it ended at
least ``settle_s`` before the newest frame, starts after the last emitted one ended, and was
found (within ``match_s``) by the ``confirm_runs`` previous runs too: a cut seen on a short
early buffer that later runs do not confirm is not emitted. Nothing is emitted before
``min_history_s`` seconds of stream.
Use :func:`make_counter` (the one place that picks the implementation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from repcoach.segment import segment_repetitions
from repcoach.segment.streaming import StreamingCounter
from repcoach.skeleton import Skeleton, infer_layout
from repcoach.types import PoseSequence, Repetition
from repcoach.video.io import resample_at


class RerunCounter:
    """Counts repetitions of a pose stream pushed one frame at a time (see module doc).

    Repetitions come back with ``start_s``/``end_s`` in the stream's seconds and frame indices
    on the counter's uniform ``fps`` clock that starts at the first pushed timestamp.
    """

    def __init__(
        self, fps: float = 30.0, *, layout: Skeleton | None = None, every_s: float = 0.5,
        settle_s: float = 0.7, window_s: float = 60.0, overlap_s: float = 0.1,
        match_s: float = 0.15, min_history_s: float = 3.0, confirm_runs: int = 2,
        **segment_options: Any,
    ) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = float(fps)
        self.layout = layout
        self.every_s, self.settle_s, self.window_s = every_s, settle_s, window_s
        self.overlap_s, self.match_s, self.min_history_s = overlap_s, match_s, min_history_s
        self.confirm_runs = confirm_runs
        self._previous: list[list[Repetition]] = []
        self.segment_options = segment_options
        self._t: list[float] = []
        self._c: list[np.ndarray] = []
        self._last_run = -np.inf
        self._last_end_s = -np.inf
        self.repetitions: list[Repetition] = []

    @property
    def count(self) -> int:
        return len(self.repetitions)

    def push(self, timestamp_s: float, coords: np.ndarray) -> list[Repetition]:
        """Add one frame (``(J, D)``, NaN = missing); returns repetitions finished since."""
        t = float(timestamp_s)
        if self._t and t <= self._t[-1]:
            return []  # not after the previous frame: ignored (timestamps must increase)
        c = np.asarray(coords, np.float32)
        if self._c and c.shape != self._c[0].shape:
            raise ValueError(f"coords shape {c.shape} differs from the first frame's "
                             f"{self._c[0].shape}")
        self._t.append(t)
        self._c.append(c)
        if t - self._last_run < self.every_s:
            return []
        self._last_run = t
        if t - self._t[0] < self.min_history_s:
            return []
        return self._emit(settled_before=t - self.settle_s)

    def finish(self) -> list[Repetition]:
        """End of stream: the repetitions not emitted yet (including ones just ended)."""
        return self._emit(settled_before=np.inf, confirmed=False)

    # ------------------------------------------------------------------ internals
    def _sequence(self) -> PoseSequence | None:
        if len(self._t) < 3:
            return None
        ts = np.asarray(self._t)
        lo = int(np.searchsorted(ts, ts[-1] - self.window_s))
        layout = self.layout
        if layout is None:

            j, d = self._c[0].shape
            layout = infer_layout(j, d == 3)
            self.layout = layout
        raw = PoseSequence(coords=np.stack(self._c[lo:]), timestamps=ts[lo:], layout=layout)
        t0 = self._t[0]
        first = t0 + np.ceil((ts[lo] - t0) * self.fps - 1e-6) / self.fps
        times = np.arange(first, ts[-1] + 1e-9, 1.0 / self.fps)
        if len(times) < 3:
            return None

        return resample_at(raw, times)

    def _emit(self, settled_before: float, confirmed: bool = True) -> list[Repetition]:
        seq = self._sequence()
        if seq is None:
            return []

        t0 = self._t[0]
        new = []
        found = segment_repetitions(seq, **self.segment_options)
        previous = self._previous[-self.confirm_runs:] if self.confirm_runs else []
        self._previous = [*previous, found]
        for r in found:
            if r.end_s > settled_before or r.start_s < self._last_end_s - self.overlap_s:
                continue
            if confirmed and (len(previous) < self.confirm_runs or not all(
                    any(abs(p.start_s - r.start_s) <= self.match_s
                        and abs(p.end_s - r.end_s) <= self.match_s for p in run)
                    for run in previous)):  # fmt: skip
                continue
            start = int(round((r.start_s - t0) * self.fps))
            end = max(start + 1, int(round((r.end_s - t0) * self.fps)))
            rep = Repetition(start=start, end=end, start_s=r.start_s, end_s=r.end_s)
            self._last_end_s = r.end_s
            self.repetitions.append(rep)
            new.append(rep)
        return new


def make_counter(fps: float = 30.0, kind: str = "rerun", **kwargs: Any) -> Any:
    """The streaming counter the live analyser uses: ``"rerun"`` (:class:`RerunCounter`, the
    default: ends on the offline count) or ``"periodic"`` (:class:`StreamingCounter`)."""
    if kind == "periodic":
        return StreamingCounter(fps=fps, **kwargs)
    if kind != "rerun":
        raise ValueError(f"kind must be rerun or periodic, got {kind!r}")
    return RerunCounter(fps=fps, **kwargs)
