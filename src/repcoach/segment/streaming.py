"""Streaming repetition counter: frames pushed one at a time (live analysis).

Every ``hop_s`` of frames the offline counter (:func:`repcoach.segment.counter.count_signals`)
runs on the last ``window_s`` seconds. Two kinds of report:

* **From the analyses** (this is how a set's first repetitions come, in one batch at lock-on: a
  class-agnostic counter cannot know a movement is a repetition before it repeats): a
  repetition of the window is reported once its end lies ``settle_s`` in the past, the last
  ``stable`` analyses agree that it exists, it lies beyond the reported repetitions that end
  inside the window and it ends ``min_gap`` of its own duration after the last one reported
  (a boundary that moved between two analyses is not a new repetition).
* **Incremental, once locked on** (``fast=True``; off by default: on countix it reports
  sooner but withdraws more, see docs/counting.md "Streaming"): after a report, each
  analysis that finds at least ``fast_min_reps`` repetitions in its window also scans its
  chosen signal (smoothed by
  ``cycle_smooth`` periods; oriented so that the reported repetitions inside the window run
  valley - peak - valley, else the analysis' own; amplitude: the median range of the
  analysis' repetitions) from the last reported end: a rise of ``fast_swing`` of the
  amplitude to a peak, a descent of as much after it, and the valley reached (within
  ``fast_tol`` of the amplitude of the lowest point since the peak) ``settle_s`` ago make a new
  repetition, ending at that valley. The peak must lie at least ``distance`` periods after
  the last reported one, within ``fast_gap`` periods of the last end (after a longer pause
  the analyses lock on again) and inside one of the analysis' own repetitions (settled or
  not; not within ``fast_margin`` of its duration from either boundary) other than the one
  holding the last reported peak: one report per repetition the analysis sees.

:meth:`finish` runs the offline counter on the whole recording and reconciles: it returns the
repetitions found beyond those reported, and when more were reported live than the whole
recording holds, the surplus is withdrawn (``retracted``), so the final ``count`` /
``repetitions`` are the offline ones; ``live_count`` keeps the count reported before
:meth:`finish`.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from repcoach.errors import DataError
from repcoach.segment.counter import CountOptions, CountResult, count_signals
from repcoach.segment.pose_signals import candidate_signals
from repcoach.skeleton import Skeleton, infer_layout
from repcoach.types import Repetition

__all__ = ["StreamingCounter"]


class StreamingCounter:
    """Count repetitions live. ``push(timestamp_s, coords)`` with ``coords`` (joints, dims), NaN
    for missing landmarks, returns the repetitions finished by that frame; ``finish()`` the
    rest. ``options``: fields of :class:`CountOptions`, plus ``window_s`` (analysed history),
    ``hop_s`` (analysis interval), ``settle_s`` (how long an end must lie in the past),
    ``min_gap``, ``fast``, ``fast_swing``, ``fast_tol``, ``fast_gap``,
    ``fast_margin``, ``fast_min_reps`` (see the module doc)."""

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
        fast: bool = False,
        fast_swing: float = 0.65,
        fast_tol: float = 0.15,
        fast_gap: float = 2.5,
        fast_margin: float = 0.1,
        fast_min_reps: int = 3,
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
        self.fast = fast
        self.fast_swing = fast_swing
        self.fast_tol = fast_tol
        self.fast_gap = fast_gap
        self.fast_margin = fast_margin
        self.fast_min_reps = int(fast_min_reps)
        self._frames: list[np.ndarray] = []
        self._times: list[float] = []
        self._reported: list[Repetition] = []
        self._peak = -1  # stream frame of the last reported repetition's peak (-1: unknown)
        self._since = 0
        self._recent: list[int] = []
        self.stable = max(1, int(stable))
        self.min_gap = min_gap
        #: repetitions reported before :meth:`finish` (None until it is called)
        self.live_count: int | None = None
        #: live reports withdrawn by :meth:`finish` (the whole recording holds fewer)
        self.retracted = 0
        #: live reports made by the incremental detector (the rest came from the analyses)
        self.fast_reports = 0

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
            self._reported += new
            return new
        now = self._times[-1]
        ok = res.score >= self.min_score
        settled = [r for r in reps if r.end_s <= now - self.settle and r.end < n - 1]
        self._recent = ([*self._recent, len(settled) if ok else 0])[-self.stable:]
        # report only as many as the last ``stable`` analyses agree on (a repetition seen
        # once, then gone, is not reported)
        target = min(self._recent) if len(self._recent) == self.stable else 0
        p = res.period_s * self.fps
        z, amp = None, 0.0
        if self.fast:
            # orientation: the repetitions reported so far (those inside the window) run
            # valley - peak - valley, so a new analysis whose signal is flipped keeps the phase
            spans = [(r.start - first, r.end - first) for r in self._reported[-8:]
                     if r.start >= first]  # fmt: skip
            z, amp = _oriented(res, p, self.options.cycle_smooth, spans)
        # the reported repetitions that end inside the window are the first ones found there:
        # the window's settled repetitions beyond them are new
        t0 = float(ts[0])
        inside = sum(1 for r in self._reported if r.end_s > t0 + 0.25 * res.period_s)
        last = self._reported[-1].end_s if self._reported else -np.inf
        # a new repetition ends at least ``min_gap`` of its own duration after the last one
        # reported (a boundary that moved between analyses is not a new repetition)
        new = []
        for r in settled[inside:target]:
            if r.end_s > last + self.min_gap * (r.end_s - r.start_s):
                self._reported.append(r)
                if z is not None:  # where the incremental detector starts from
                    self._peak = r.start + int(np.argmax(z[r.start - first : r.end - first + 1]))
                new.append(r)
                last = r.end_s
        if z is not None and ok and self._reported and amp > 0 and len(res.repetitions) >= (
            self.fast_min_reps
        ):
            found = self._incremental(z, amp, p, first, res)
            self.fast_reports += len(found)
            new += found
        return new

    def _incremental(
        self, z: np.ndarray, amp: float, p: float, first: int, res: CountResult
    ) -> list[Repetition]:
        """New repetitions of the oriented window signal ``z`` after the last reported end
        (see the module doc); each must lie inside one of the analysis' repetitions ``res``
        (settled or not), one per such repetition."""
        n = z.size
        spans = [(r.start, r.end) for r in res.repetitions]
        rise = self.fast_swing * amp
        tol = self.fast_tol * amp
        new: list[Repetition] = []
        while True:
            last = self._reported[-1]
            e = last.end - first
            if e < 0 or e >= n - 2:
                return new
            k, i, lo = -1, e + 1, z[e]
            # a rise of ``rise`` from the lowest point after the last end, then the peak
            while i < n:
                if k < 0:
                    if z[i] < lo:
                        lo = z[i]
                    elif z[i] - lo >= rise:
                        k = i
                elif z[i] > z[k]:
                    k = i
                elif z[k] - z[i] >= rise:
                    break
                i += 1
            if k < 0 or i >= n:
                return new
            if self._peak >= 0 and k + first - self._peak < self.options.distance * p:
                return new
            if k - e > self.fast_gap * p:
                return new
            # the peak lies inside one of the analysis' repetitions, not the one holding the
            # last reported peak (one report per repetition the analysis sees)
            m = self.fast_margin
            prev = self._peak - first
            if not any(a + m * (b - a) <= k <= b - m * (b - a) and not a <= prev <= b
                       for a, b in spans):  # fmt: skip
                return new
            # the valley: lowest point after the peak, until the next rise (or the newest frame)
            j, v = i, i
            while j < n and z[j] - z[v] < rise:
                if z[j] < z[v]:
                    v = j
                j += 1
            end = k + int(np.flatnonzero(z[k : v + 1] <= z[v] + tol)[0])
            if j >= n and self._times[-1] - self._times[end + first] < self.settle:
                return new
            rep = Repetition(start=last.end, end=end + first, start_s=last.end_s,
                             end_s=self._times[end + first])  # fmt: skip
            self._reported.append(rep)
            self._peak = k + first
            new.append(rep)


def _oriented(
    res: CountResult, p: float, smooth: float, spans: list[tuple[int, int]]
) -> tuple[np.ndarray, float]:
    """The analysis' signal smoothed by ``smooth`` periods (``p`` samples), oriented so that
    the ``spans`` (window frames; the analysis' repetitions when empty) run valley - peak -
    valley, and the typical range (maximum - minimum) of the analysis' repetitions (0 when
    none)."""
    s = res.signal
    if s.size < 2 or not res.repetitions or not np.isfinite(p):
        return s, 0.0
    if smooth * p >= 0.5:
        s = gaussian_filter1d(s, smooth * p, mode="nearest")
    up, down = [], []
    for a, b in spans or [(r.start, r.end) for r in res.repetitions]:
        seg = s[a : b + 1]
        ends = 0.5 * (seg[0] + seg[-1])
        up.append(seg.max() - ends)
        down.append(ends - seg.min())
    z = s if np.median(up) >= np.median(down) else -s
    amp = float(np.median([np.ptp(z[r.start : r.end + 1]) for r in res.repetitions]))
    return z, amp
