"""Live analysis: frames (or landmarks) in one at a time, repetitions and their scores out.

:class:`LiveAnalyzer` runs MediaPipe's PoseLandmarker in VIDEO mode on each frame
(:meth:`~LiveAnalyzer.push_frame`) or takes landmarks already extracted
(:meth:`~LiveAnalyzer.push_pose`), feeds a streaming repetition counter
(:func:`repcoach.segment.live_counter.make_counter`) and, each time a repetition finishes,
classifies and scores the repetitions so far with the offline
:class:`~repcoach.analyze.Analyzer` on the
buffered recording put on the model's 30 FPS clock (as ``repcoach analyze`` does). Every
finished repetition gives a :class:`RepEvent` (label, score, cues and the one cue to say);
a change of count or exercise gives a :class:`StateEvent`. :meth:`~LiveAnalyzer.finish`
returns the whole session as a :class:`~repcoach.types.ClipAnalysis`, the same shape as
``repcoach analyze --json``, with ``extra["live"]`` describing the stream.

Example::

    live = LiveAnalyzer.create("models/demo")
    for image_rgb, t in frames:
        out = live.push_frame(image_rgb, t)   # LiveFrame: landmarks + events
    session = live.finish()
"""

from __future__ import annotations

import time
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.analyze import Analyzer, AnalyzerOptions
from repcoach.errors import DataError
from repcoach.pose.extract import PoseExtractor, PoseExtractorOptions
from repcoach.segment.live_counter import make_counter
from repcoach.skeleton import MEDIAPIPE_33, get_layout, infer_layout
from repcoach.types import ClipAnalysis, PoseSequence, Repetition, cue_text
from repcoach.video.io import resample_at

GENERIC_CUES = ("good form", "check form", "poor form", "no correctness model", "looks like",
                "exercise uncertain")  # fmt: skip


@dataclass(frozen=True)
class StateEvent:
    """The session so far: repetitions counted, the exercise voted over them and its votes."""

    t_s: float
    count: int
    exercise: str | None
    confidence: float
    votes: dict[str, int]
    kind: str = "state"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "t_s": self.t_s, "count": self.count,
                "exercise": self.exercise, "confidence": self.confidence,
                "votes": dict(self.votes)}  # fmt: skip


@dataclass(frozen=True)
class RepEvent:
    """One finished repetition (``index`` from 1) with its label, score, cues and ``cue``: the
    one most important cue (a specific form hint when there is one, else the score's verdict);
    ``exercise`` is the clip's vote at that moment."""

    t_s: float
    index: int
    repetition: Repetition
    exercise: str | None
    cue: str | None
    kind: str = "rep"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "t_s": self.t_s, "index": self.index,
                "exercise": self.exercise, "cue": self.cue,
                **self.repetition.to_dict()}  # fmt: skip


LiveEvent = StateEvent | RepEvent


@dataclass(frozen=True)
class LiveFrame:
    """What one pushed frame gave: its landmarks (``(33, 3)`` image coordinates and ``(33,)``
    visibility, None when no person was found) and the events it caused."""

    t_s: float
    landmarks: np.ndarray | None
    visibility: np.ndarray | None
    events: list[LiveEvent] = field(default_factory=list)


def top_cue(cues: tuple[Any, ...] | list[Any]) -> str | None:
    """The cue to show / say: the first per-joint feedback cue (an object with a fault), else
    the first specific form hint, else the first cue; as text."""
    for c in cues:
        if getattr(c, "fault", None):
            return cue_text(c)
    texts = [cue_text(c) for c in cues]
    for c in texts:
        if not c.startswith(GENERIC_CUES):
            return c
    return texts[0] if texts else None


class LiveAnalyzer:
    """Streaming counterpart of :class:`~repcoach.analyze.Analyzer` (see the module doc).

    ``frame_size``: ``(width, height)`` of the frames for the aspect correction (set from the
    first image by :meth:`push_frame`). ``fps``: the clock the analysis runs on.
    ``background``: counting and repetition analysis run in a worker thread, so a frame costs
    only its pose model; their events come back with a later frame (or :meth:`poll`).
    """

    def __init__(
        self, analyzer: Analyzer, *, fps: float = 30.0,
        frame_size: tuple[float, float] | None = None, source: str | None = "live",
        extractor_options: Any = None, counter: Any = None, background: bool = False,
    ) -> None:

        self.analyzer = analyzer
        self.fps = float(fps)
        self.frame_size = frame_size
        self.source = source
        self.extractor_options = extractor_options
        self.counter = counter if counter is not None else make_counter(fps=self.fps)
        self._extractor: Any = None
        self._t: list[float] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._reps: list[Repetition] = []
        self._last: ClipAnalysis | None = None
        self._state: StateEvent | None = None
        self.n_frames = 0
        self.n_detected = 0
        self.pose_ms: list[float] = []
        self.background = bool(background)
        self._worker: ThreadPoolExecutor | None = None
        self._jobs: deque[Future[list[LiveEvent]]] = deque()

    @classmethod
    def create(cls, model_dir: str | Path, **kwargs: Any) -> LiveAnalyzer:
        """Load the exported models of ``model_dir`` (AnalyzerOptions defaults)."""
        return cls(Analyzer.create_from_options(AnalyzerOptions(model_dir=model_dir)), **kwargs)

    # ------------------------------------------------------------------ input
    def push_frame(self, image_rgb: np.ndarray, t_s: float) -> LiveFrame:
        """Run the pose model on one RGB uint8 frame taken at ``t_s`` seconds (increasing)."""

        self.open()
        if self.frame_size is None:
            self.frame_size = (float(image_rgb.shape[1]), float(image_rgb.shape[0]))
        t0 = time.perf_counter()
        out = self._extractor.detect(image_rgb, t_s)
        self.pose_ms.append(1000.0 * (time.perf_counter() - t0))
        if out is None:
            events = self.push_pose(t_s, None)
            return LiveFrame(t_s, None, None, events)
        xyz, vis, _ = out
        events = self.push_pose(t_s, xyz, vis)
        return LiveFrame(t_s, xyz, vis, events)

    def open(self, warm_up: bool = False) -> None:
        """Load the pose model now (else at the first frame); ``warm_up`` also runs it once on
        a blank image so the first real frame is not slow."""
        if self._extractor is None:

            opts = self.extractor_options or PoseExtractorOptions(running_mode="video",
                                                                  target_fps=None)
            self._extractor = PoseExtractor.create_from_options(opts)
            if warm_up:
                self._extractor.detect(np.zeros((256, 256, 3), np.uint8), 0.0)

    def push_pose(
        self, t_s: float, coords: np.ndarray | None, visibility: np.ndarray | None = None
    ) -> list[LiveEvent]:
        """Add one frame of landmarks (``(J, D)``, NaN = missing; None = nobody in frame).
        Frames not after the previous one are ignored."""
        t = float(t_s)
        if self._t and t <= self._t[-1]:
            return []
        if coords is None:
            c = np.full(self._frame_shape(), np.nan, np.float32)
        else:
            c = np.asarray(coords, np.float32)
        detected = bool(np.isfinite(c).any())
        v = (np.asarray(visibility, np.float32) if visibility is not None
             else np.full(c.shape[0], 1.0 if detected else 0.0, np.float32))  # fmt: skip
        self._t.append(t)
        self._c.append(c)
        self._v.append(v)
        self.n_frames += 1
        self.n_detected += int(detected)
        if not self.background:
            return self._count(t, c, self.n_frames)
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-count")
        self._jobs.append(self._worker.submit(self._count, t, c, self.n_frames))
        return self.poll()

    def poll(self) -> list[LiveEvent]:
        """Events of the background work finished since the last call (in order); an error
        raised there is raised here."""
        events: list[LiveEvent] = []
        while self._jobs and self._jobs[0].done():
            events.extend(self._jobs.popleft().result())
        return events

    def wait(self) -> list[LiveEvent]:
        """Wait for the background work; its remaining events."""
        events: list[LiveEvent] = []
        while self._jobs:
            events.extend(self._jobs.popleft().result())
        return events

    def _count(self, t: float, c: np.ndarray, n: int) -> list[LiveEvent]:
        """Feed frame ``n`` (1-based) to the counter; when repetitions finished, analyse the
        first ``n`` frames. Runs in the caller or (``background``) in the one worker thread,
        never both at once."""
        new = self.counter.push(t, c)
        if not new:
            return []
        self._reps.extend(new)
        res = self._analyze(n=n)
        events: list[LiveEvent] = []
        first = len(self._reps) - len(new)
        for i in range(first, len(res.repetitions)):
            r = res.repetitions[i]
            events.append(RepEvent(t, i + 1, r, res.exercise, top_cue(r.cues)))
        state = StateEvent(t, res.rep_count, res.exercise, float(res.confidence),
                           dict(res.votes))  # fmt: skip
        if self._state is None or (state.count, state.exercise) != (
            self._state.count, self._state.exercise
        ):
            events.append(state)
        self._state = state
        return events

    def _frame_shape(self) -> tuple[int, int]:
        if self._c:
            return self._c[0].shape

        name = self.analyzer.models.config.get("layout")
        layout = get_layout(name) if name else MEDIAPIPE_33
        return layout.n_joints, layout.dims

    # ------------------------------------------------------------------ state
    @property
    def count(self) -> int:
        return len(self._reps)

    @property
    def state(self) -> StateEvent:
        """The latest state (count 0, no exercise before the first repetition)."""
        t = self._t[-1] if self._t else 0.0
        if self._state is None:
            return StateEvent(t, 0, None, 0.0, {})
        return replace(self._state, t_s=t)

    @property
    def last_analysis(self) -> ClipAnalysis | None:
        """The analysis made when the latest repetition finished."""
        return self._last

    def recording(self, n: int | None = None) -> PoseSequence:
        """The frames so far (or the first ``n``) on the analysis clock (``fps`` from the first
        timestamp)."""
        n = len(self._t) if n is None else n
        ts = np.asarray(self._t[:n])
        c = np.stack(self._c[:n])
        j, d = c.shape[1:]
        raw = PoseSequence(
            coords=c, timestamps=ts, layout=infer_layout(j, d == 3),
            visibility=np.stack(self._v[:n]), detected=np.isfinite(c).any((1, 2)),
            source=self.source, frame_size=self.frame_size,
        )
        times = np.arange(ts[0], ts[-1] + 1e-9, 1.0 / self.fps)
        return resample_at(raw, times) if len(times) >= 2 else raw

    def _analyze(self, final: bool = False, n: int | None = None) -> ClipAnalysis:
        """The recording so far (first ``n`` frames) analysed on the counter's repetitions;
        ``final``: segmented afresh by the analyser itself, so a finished set is exactly the
        offline analysis."""
        seq = self.recording(n)
        if final:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # kept in extra["warnings"]
                self._last = self.analyzer.analyze(seq, frame_size=self.frame_size)
            return self._last
        t0, n = float(seq.timestamps[0]), seq.n_frames
        spans = []
        for r in self._reps:
            a = int(np.clip(round((r.start_s - t0) * self.fps), 0, n - 2))
            b = int(np.clip(round((r.end_s - t0) * self.fps), a + 2, n))
            spans.append(Repetition(start=a, end=b, start_s=r.start_s, end_s=r.end_s))
        options = replace(self.analyzer.options, segmenter=lambda _seq: spans)
        an = Analyzer(options=options, models=self.analyzer.models)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # kept in extra["warnings"]
            res = an.analyze(seq, frame_size=self.frame_size)
        self._last = res
        return res

    def finish(self) -> ClipAnalysis:
        """End the stream: the repetitions still open are closed and the whole session is
        analysed (``ClipAnalysis``, as ``repcoach analyze --json``)."""

        if len(self._t) < 2:
            raise DataError(f"the live session has {len(self._t)} frame(s); need at least 2",
                            self.source)  # fmt: skip
        self.wait()
        self._reps.extend(self.counter.finish())
        res = self._analyze(final=True)
        res.extra["live"] = {
            "reps_reported_live": len(self._reps),
            "frames": self.n_frames, "detected_frames": self.n_detected,
            "duration_s": round(self._t[-1] - self._t[0], 3), "fps": self.fps,
            "counter": f"{type(self.counter).__module__}.{type(self.counter).__name__}",
            "pose_ms_median": (round(float(np.median(self.pose_ms)), 2) if self.pose_ms
                               else None),
        }  # fmt: skip
        return res

    def close(self) -> None:
        """Release the pose model and the background worker."""
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=True)
            self._worker = None
            self._jobs.clear()
        if self._extractor is not None:
            self._extractor.close()
            self._extractor = None

    def __enter__(self) -> LiveAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
