"""Streaming repetition counter: frames pushed one at a time (live analysis).

Every ``hop_s`` of frames the offline counter (:func:`repcoach.counting.count_signals`) runs on
the last ``window_s`` seconds; a repetition it finds is reported once its end lies ``settle_s``
in the past and it ends after the last reported one (by half a period). :meth:`finish` runs the
offline counter on the whole recording and reports the repetitions it finds after the last
reported one, so the final count follows the offline count.
"""

from __future__ import annotations

import numpy as np

from repcoach.counting.offline import CountOptions, count_signals
from repcoach.counting.signals import candidate_signals
from repcoach.errors import DataError
from repcoach.skeleton import Skeleton, infer_layout
from repcoach.types import Repetition

__all__ = ["StreamingCounter"]


class StreamingCounter:
    """Count repetitions live. ``push(timestamp_s, coords)`` with ``coords`` (joints, dims), NaN
    for missing landmarks, returns the repetitions finished by that frame; ``finish()`` the
    rest. ``options``: fields of :class:`CountOptions`, plus ``window_s`` (analysed history),
    ``hop_s`` (analysis interval), ``settle_s`` (how long an end must lie in the past)."""

    def __init__(
        self,
        fps: float = 30.0,
        layout: Skeleton | None = None,
        *,
        window_s: float = 45.0,
        hop_s: float = 0.25,
        settle_s: float = 0.4,
        min_score: float = 0.3,
        **options: float,
    ) -> None:
        if not np.isfinite(fps) or fps <= 0:
            raise DataError(f"fps must be a positive number, got {fps!r}")
        self.fps = float(fps)
        self.layout = layout
        self.options = CountOptions(**options)
        self.window = max(10, int(round(window_s * fps)))
        self.hop = max(1, int(round(hop_s * fps)))
        self.settle = settle_s
        self.min_score = min_score
        self._frames: list[np.ndarray] = []
        self._times: list[float] = []
        self._reported: list[Repetition] = []
        self._since = 0

    @property
    def count(self) -> int:
        """Repetitions reported so far."""
        return len(self._reported)

    @property
    def repetitions(self) -> list[Repetition]:
        return list(self._reported)

    def push(self, timestamp_s: float, coords: np.ndarray) -> list[Repetition]:
        """Add one frame; returns the repetitions newly finished."""
        c = np.asarray(coords, dtype=np.float64)
        if c.ndim != 2:
            raise DataError(f"coords must be (joints, dims), got shape {c.shape}")
        if self.layout is None:
            self.layout = infer_layout(c.shape[0], c.shape[1] == 3)
        if c.shape != (self.layout.n_joints, self.layout.dims) and c.shape[0] != (
            self.layout.n_joints
        ):
            raise DataError(f"coords shape {c.shape} does not fit layout {self.layout.name!r}")
        t = float(timestamp_s)
        if self._times and not t > self._times[-1]:
            raise DataError(f"timestamps must increase: {t} after {self._times[-1]}")
        self._frames.append(c)
        self._times.append(t)
        self._since += 1
        if self._since < self.hop:
            return []
        self._since = 0
        return self._analyse(final=False)

    def finish(self) -> list[Repetition]:
        """The repetitions not reported yet, from the whole recording."""
        if not self._frames:
            return []
        return self._analyse(final=True)

    def _analyse(self, final: bool) -> list[Repetition]:
        n = len(self._frames)
        first = 0 if final else max(0, n - self.window)
        x = np.stack(self._frames[first:])
        ts = np.asarray(self._times[first:])
        assert self.layout is not None
        sig = candidate_signals(x, self.layout)
        res = count_signals(sig, self.fps, ts, self.options)
        if not res.repetitions or (not final and res.score < self.min_score):
            return []
        period = res.period_s if np.isfinite(res.period_s) else 1.0
        last_end = self._reported[-1].end_s if self._reported else -np.inf
        now = self._times[-1]
        new = []
        for r in res.repetitions:
            if r.end_s <= last_end + 0.5 * period:
                continue
            if not final and (r.end_s > now - self.settle or r.end >= len(ts) - 1):
                break
            rep = Repetition(start=r.start + first, end=r.end + first, start_s=r.start_s,
                             end_s=r.end_s)  # fmt: skip
            new.append(rep)
            last_end = r.end_s
        self._reported += new
        return new
