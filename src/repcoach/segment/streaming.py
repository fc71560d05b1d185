"""Streaming repetition counter: frames pushed one at a time (live analysis).

Every ``hop_s`` of frames the offline counter (:func:`repcoach.segment.counter.count_signals`)
runs on the last ``window_s`` seconds. A repetition is reported once its end lies ``settle_s``
in the past, the last ``stable`` analyses agree that it exists (so one that appears once and is
gone at the next look is not reported) and it ends ``min_gap`` of its own duration after the
last one reported (a boundary that moved between analyses is not a new repetition).
:meth:`finish` runs the offline counter on the whole recording and reconciles: it returns the
repetitions found beyond those reported, and when more were reported live than the whole
recording holds, the surplus is withdrawn (``retracted``), so the final ``count`` /
``repetitions`` are the offline ones; ``live_count`` keeps the count reported before
:meth:`finish`.
"""

from __future__ import annotations

import numpy as np

from repcoach.errors import DataError
from repcoach.segment.counter import CountOptions, count_signals
from repcoach.segment.pose_signals import candidate_signals
from repcoach.skeleton import Skeleton, infer_layout
from repcoach.types import Repetition

__all__ = ["StreamingCounter"]


class StreamingCounter:
    """Count repetitions live. ``push(timestamp_s, coords)`` with ``coords`` (joints, dims), NaN
    for missing landmarks, returns the repetitions finished by that frame; ``finish()`` the
    rest. ``options``: fields of :class:`CountOptions`, plus ``window_s`` (analysed history),
    ``hop_s`` (analysis interval), ``settle_s`` (how long an end must lie in the past),
    ``min_gap`` (see the module doc)."""

    def __init__(
        self,
        fps: float = 30.0,
        layout: Skeleton | None = None,
        *,
        window_s: float = 40.0,
        hop_s: float = 0.25,
        settle_s: float = 0.25,
        min_score: float = 0.3,
        stable: int = 2,
        min_gap: float = 0.7,
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
        self._recent: list[int] = []
        self.stable = max(1, int(stable))
        self.min_gap = min_gap
        #: repetitions reported before :meth:`finish` (None until it is called)
        self.live_count: int | None = None
        #: live reports withdrawn by :meth:`finish` (the whole recording holds fewer)
        self.retracted = 0

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
        """The repetitions not reported yet, from the whole recording (the offline counter);
        afterwards ``count`` / ``repetitions`` are the offline ones (see module doc)."""
        if not self._frames:
            return []
        return self._analyse(final=True)

    def _analyse(self, final: bool) -> list[Repetition]:
        n = len(self._frames)
        first = 0 if final else max(0, n - self.window)
        x = np.stack(self._frames[first:])
        ts = np.asarray(self._times[first:])
        assert self.layout is not None
        res = count_signals(candidate_signals(x, self.layout), self.fps, ts, self.options)
        reps = [
            Repetition(start=r.start + first, end=r.end + first, start_s=r.start_s,
                       end_s=r.end_s)
            for r in res.repetitions
        ]  # fmt: skip
        if final:
            self.live_count = len(self._reported)
            new = reps[len(self._reported):]
            # reconcile with the whole recording: the final repetitions are the offline ones
            self.retracted = max(0, len(self._reported) - len(reps))
            self._reported = reps[: len(self._reported)]
        else:
            now = self._times[-1]
            ok = res.score >= self.min_score
            settled = [r for r in reps if r.end_s <= now - self.settle and r.end < n - 1]
            self._recent = ([*self._recent, len(settled) if ok else 0])[-self.stable:]
            # report only as many as the last ``stable`` analyses agree on (a repetition seen
            # once, then gone, is not reported)
            target = min(self._recent) if len(self._recent) == self.stable else 0
            # the reported repetitions that end inside the window are the first ones found
            # there: the window's settled repetitions beyond them are new
            t0 = float(ts[0])
            inside = sum(1 for r in self._reported if r.end_s > t0 + 0.25 * res.period_s)
            last = self._reported[-1].end_s if self._reported else -np.inf
            # a new repetition ends at least ``min_gap`` of its own duration after the last one
            # reported (a boundary that moved between analyses is not a new repetition)
            new = []
            for r in settled[inside:target]:
                if r.end_s > last + self.min_gap * (r.end_s - r.start_s):
                    new.append(r)
                    last = r.end_s
        self._reported += new
        return new
