"""The small typed objects that travel between stages.

A stage takes one of these and returns one of these; file formats live in :mod:`repcoach.io`.
Arrays are NumPy; missing values are NaN (never placeholder zeros).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from repcoach.skeleton import Skeleton


@dataclass(frozen=True, eq=False)
class PoseSequence:
    """Landmarks over time for one recording (or one repetition of it).

    ``coords``: ``(frames, joints, dims)`` float32, NaN where a landmark is missing.
    ``timestamps``: ``(frames,)`` seconds from the start of the recording.
    ``visibility``: ``(frames, joints)`` in [0, 1] (1 where the source gives none).
    ``detected``: ``(frames,)`` bool, False for frames where no person was found (kept, not
    dropped, so timing stays true).
    ``space``: what the coordinates mean: ``"image"`` (x, y normalised to [0, 1] image
    width/height, z relative depth: MediaPipe), ``"pixels"``, ``"world"`` (metres) or
    ``"normalized"`` (hip-centred, torso-scaled by :mod:`repcoach.pose.normalize`).
    ``frame_size``: ``(width, height)`` in pixels of the video frames the landmarks were
    extracted from, None when unknown: image-space x and y are fractions of different lengths,
    so models trained with the aspect correction need it (set by the video extractor, kept in
    the pose CSV's ``.pose.json`` side file).
    """

    coords: np.ndarray
    timestamps: np.ndarray
    layout: Skeleton
    visibility: np.ndarray | None = None
    detected: np.ndarray | None = None
    space: str = "image"
    source: str | None = None
    frame_size: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        c = np.asarray(self.coords, dtype=np.float32)
        if c.ndim != 3:
            raise ValueError(f"coords must be (frames, joints, dims), got shape {c.shape}")
        t, j, d = c.shape
        if j != self.layout.n_joints or d != self.layout.dims:
            raise ValueError(
                f"coords shape {c.shape} does not fit layout {self.layout.name!r} "
                f"({self.layout.n_joints} joints x {self.layout.dims} dims)"
            )
        ts = np.asarray(self.timestamps, dtype=np.float64)
        if ts.shape != (t,):
            raise ValueError(f"timestamps must have shape ({t},), got {ts.shape}")
        if t > 1 and np.any(np.diff(ts) <= 0):
            raise ValueError("timestamps must be strictly increasing")
        vis = np.ones((t, j), np.float32) if self.visibility is None else self.visibility
        vis = np.asarray(vis, dtype=np.float32)
        if vis.shape != (t, j):
            raise ValueError(f"visibility must have shape ({t}, {j}), got {vis.shape}")
        det = np.ones(t, bool) if self.detected is None else np.asarray(self.detected, bool)
        if det.shape != (t,):
            raise ValueError(f"detected must have shape ({t},), got {det.shape}")
        object.__setattr__(self, "coords", c)
        object.__setattr__(self, "timestamps", ts)
        object.__setattr__(self, "visibility", vis)
        object.__setattr__(self, "detected", det)
        if self.frame_size is not None:
            try:
                size = tuple(float(v) for v in self.frame_size)
            except (TypeError, ValueError):
                size = ()
            if len(size) != 2 or not all(np.isfinite(v) and v > 0 for v in size):
                raise ValueError(
                    f"frame_size must be (width, height), two positive numbers, got "
                    f"{self.frame_size!r}"
                )
            object.__setattr__(self, "frame_size", size)

    @classmethod
    def from_array(
        cls, coords: np.ndarray, layout: Skeleton, fps: float = 30.0, **kwargs: Any
    ) -> PoseSequence:
        """Build a sequence with evenly spaced timestamps at ``fps``."""
        coords = np.asarray(coords)
        return cls(coords=coords, timestamps=np.arange(len(coords)) / fps, layout=layout, **kwargs)

    @property
    def n_frames(self) -> int:
        return int(self.coords.shape[0])

    @property
    def fps(self) -> float:
        """Frame rate estimated from the median timestamp step."""
        if self.n_frames < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.timestamps)))

    @property
    def duration_s(self) -> float:
        if self.n_frames == 0:
            return 0.0
        if self.n_frames == 1:
            return 0.0
        return float(self.timestamps[-1] - self.timestamps[0] + 1.0 / self.fps)

    def features(self) -> np.ndarray:
        """Flatten to ``(frames, joints * dims)``: the model's per-frame input vector."""
        return self.coords.reshape(self.n_frames, -1)

    def slice(self, start: int, end: int) -> PoseSequence:
        """Frames ``[start, end)``, timestamps kept (not re-zeroed)."""
        return replace(
            self,
            coords=self.coords[start:end],
            timestamps=self.timestamps[start:end],
            visibility=self.visibility[start:end],
            detected=self.detected[start:end],
        )

    def with_coords(self, coords: np.ndarray, space: str | None = None) -> PoseSequence:
        """Same timing and layout, new coordinates (e.g. after cleaning or normalising)."""
        return replace(self, coords=coords, space=self.space if space is None else space)

    def joint(self, name: str) -> np.ndarray:
        """``(frames, dims)`` trajectory of one joint by name."""
        return self.coords[:, self.layout.index(name)]


@dataclass(frozen=True)
class Repetition:
    """One repetition: frames ``[start, end)`` of its recording, with what we know about it.

    ``label``/``probability`` come from the classifier, ``score`` (in [0, 1]) from the
    correctness scorer, ``cues`` are short human-readable form feedback: strings, or cue
    objects with ``text`` / ``body_part`` / ``fault`` / ``size`` (:class:`repcoach.feedback.Cue`).
    """

    start: int
    end: int
    start_s: float = float("nan")
    end_s: float = float("nan")
    label: str | None = None
    probability: float | None = None
    score: float | None = None
    cues: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"repetition end ({self.end}) must be after start ({self.start})")

    @property
    def n_frames(self) -> int:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_frame": self.start,
            "end_frame": self.end,
            "start_s": _f(self.start_s),
            "end_s": _f(self.end_s),
            "label": self.label,
            "probability": _f(self.probability),
            "score": _f(self.score),
            "cues": [cue_dict(c) for c in self.cues],
            "cue_texts": [cue_text(c) for c in self.cues],  # plain strings, for old readers
        }


def cue_text(cue: Any) -> str:
    """The text of a cue (a string or an object with ``text``)."""
    return str(getattr(cue, "text", cue))


def cue_dict(cue: Any) -> dict[str, Any]:
    """``{text, body_part, fault, size}`` of a cue (None for plain strings' missing fields)."""
    if hasattr(cue, "to_dict"):
        d = cue.to_dict()
        return {k: d.get(k) for k in ("text", "body_part", "fault", "size")}
    return {"text": str(cue), "body_part": None, "fault": None, "size": None}


@dataclass(frozen=True)
class ClipAnalysis:
    """What the analyser says about one recording: the clip's exercise by majority vote over
    repetitions, how sure it is, and every repetition with its label, probability and score."""

    exercise: str | None
    confidence: float
    votes: dict[str, int]
    repetitions: tuple[Repetition, ...]
    source: str | None = None
    modality: str = "pose"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rep_count(self) -> int:
        return len(self.repetitions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "modality": self.modality,
            "exercise": self.exercise,
            "confidence": _f(self.confidence),
            "votes": dict(self.votes),
            "rep_count": self.rep_count,
            "repetitions": [r.to_dict() for r in self.repetitions],
            **self.extra,
        }


@dataclass(frozen=True, eq=False)
class ImuRecording:
    """Inertial signals on one clock: ``data`` is ``(samples, channels)``, ``timestamps`` in
    seconds, channel names like ``"left_wrist.acc_x"`` (site.signal_axis)."""

    timestamps: np.ndarray
    data: np.ndarray
    channels: tuple[str, ...]
    rate_hz: float | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        d = np.asarray(self.data, dtype=np.float32)
        ts = np.asarray(self.timestamps, dtype=np.float64)
        if d.ndim != 2 or d.shape[0] != ts.shape[0] or d.shape[1] != len(self.channels):
            raise ValueError(
                f"IMU data {d.shape} does not match {ts.shape[0]} timestamps x "
                f"{len(self.channels)} channels"
            )
        object.__setattr__(self, "data", d)
        object.__setattr__(self, "timestamps", ts)

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])

    def select(self, channels: list[str] | tuple[str, ...]) -> ImuRecording:
        """Keep only the named channels, in the given order."""
        missing = [c for c in channels if c not in self.channels]
        if missing:
            raise KeyError(f"no IMU channel(s) {missing}; have {list(self.channels)}")
        idx = [self.channels.index(c) for c in channels]
        return replace(self, data=self.data[:, idx], channels=tuple(channels))


@dataclass(frozen=True, eq=False)
class ThermalClip:
    """Thermal frames ``(frames, height, width)`` (degrees C or raw intensity) with timestamps."""

    frames: np.ndarray
    timestamps: np.ndarray
    unit: str = "celsius"
    source: str | None = None

    def __post_init__(self) -> None:
        f = np.asarray(self.frames)
        ts = np.asarray(self.timestamps, dtype=np.float64)
        if f.ndim != 3 or f.shape[0] != ts.shape[0]:
            raise ValueError(f"thermal frames {f.shape} do not match {ts.shape[0]} timestamps")
        object.__setattr__(self, "frames", f)
        object.__setattr__(self, "timestamps", ts)

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[0])


@dataclass(frozen=True)
class Participant:
    """One participant's metadata row (paper Table I). ``name`` is the ``firstname-lastname``
    slug used in file names; ``participant_id`` a stable id such as ``P001``."""

    participant_id: str
    name: str
    age: int
    height_cm: float
    weight_kg: float
    sleep_h: float
    smoker: bool
    healthy_eater: bool


def _f(x: float | None) -> float | None:
    """JSON-friendly float: None for None/NaN."""
    if x is None:
        return None
    x = float(x)
    return None if np.isnan(x) else x
