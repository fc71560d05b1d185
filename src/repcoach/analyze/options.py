"""Options of the analyser (MediaPipe-Tasks style: build once, pass to the factory)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.data.samples import CLIP_MODES
from repcoach.types import PoseSequence

SEGMENT_VIEWS = ("stronger", "frontal", "side")


VIEW_SCORES = ("mean", "stronger")


@dataclass(frozen=True)
class View:
    """One camera view of a recording on the shared clock, with its fusion weight."""

    name: str
    seq: PoseSequence
    weight: float = 1.0


@dataclass
class AnalyzerOptions:
    """Options of :class:`Analyzer` (MediaPipe-Tasks style: build once, pass to the factory).

    ``segmenter``: a callable ``PoseSequence -> [Repetition]`` or an object with a
    ``segment(seq)`` method; None uses :func:`repcoach.segment.segment_repetitions` with
    ``segmenter_options`` as keyword arguments.
    ``good_score`` / ``check_score``: score thresholds for the "good form" / "check form" /
    "poor form" cues. ``clip_mode``: what the models were trained on (None: the model's
    ``config.json``): ``"reps"`` (one input per repetition, the paper), ``"windows"`` (sliding
    windows) or ``"whole"`` (one input per clip). ``window_s`` / ``hop_s``: the windows (None:
    from ``config.json``, else 2 s every 1 s), also used when a ``reps`` model finds no
    repetition (``window_fallback``).

    Two-view analysis (:meth:`Analyzer.analyze_views`): ``view_weights`` = (frontal, side)
    weights of the late fusion (normalised to sum 1); ``segment_view``: ``"stronger"`` (the
    view with the larger motion signal), ``"frontal"`` or ``"side"``; ``view_score``:
    ``"mean"`` (scores weighted like the probabilities) or ``"stronger"`` (the stronger view's
    score only); ``min_view_detected``: a view with a smaller fraction of detected frames in a
    span gets weight 0 there (unless both do).

    ``frame_size``: ``(width, height)`` in pixels of the recordings' frames, used for the aspect
    correction of models trained with it when :meth:`Analyzer.analyze` gets no size itself and
    the recording does not know its own (``PoseSequence.frame_size``).

    ``exercise``: the exercise when it is known (one of the folder's classes): the classifier
    is not run and every span is that exercise (probability 1), so only segmentation and the
    scorer of that exercise are used. A scorers-only folder (``--task correctness``) has no
    classifier: its only class is assumed, and ``exercise`` must name one when it has several.
    ``extra["exercise_source"]`` says which (``"classifier"``, ``"given"``, ``"only class"``).
    """

    model_dir: str | Path | None = None
    precision: str = "int8"
    num_threads: int = 1
    segmenter: Any = None
    segmenter_options: dict[str, Any] = field(default_factory=dict)
    min_rep_probability: float = 0.0
    scorer_label: str = "clip"
    good_score: float = 0.7
    check_score: float = 0.4
    window_fallback: bool = True
    window_s: float | None = None
    hop_s: float | None = None
    clip_mode: str | None = None
    view_weights: tuple[float, float] = (0.5, 0.5)
    segment_view: str = "stronger"
    view_score: str = "mean"
    min_view_detected: float = 0.5
    frame_size: tuple[float, float] | None = None
    exercise: str | None = None

    def __post_init__(self) -> None:
        if self.frame_size is not None:
            self.frame_size = check_frame_size(self.frame_size)
        if self.scorer_label not in ("clip", "rep"):
            raise ValueError(f"scorer_label must be 'clip' or 'rep', got {self.scorer_label!r}")
        if not 0.0 <= self.min_rep_probability <= 1.0:
            raise ValueError("min_rep_probability must be in [0, 1]")
        if (self.window_s is not None and self.window_s <= 0) or (
            self.hop_s is not None and self.hop_s <= 0
        ):
            raise ValueError("window_s and hop_s must be positive")
        if self.clip_mode not in (None, *CLIP_MODES):
            raise ValueError(f"clip_mode must be one of {CLIP_MODES}, got {self.clip_mode!r}")
        w = tuple(float(v) for v in self.view_weights)
        if len(w) != 2 or min(w) < 0 or sum(w) <= 0 or not all(np.isfinite(w)):
            raise ValueError(
                f"view_weights must be two non-negative numbers (frontal, side) with a positive "
                f"sum, got {self.view_weights!r}"
            )
        self.view_weights = (w[0], w[1])
        if self.segment_view not in SEGMENT_VIEWS:
            raise ValueError(
                f"segment_view must be one of {SEGMENT_VIEWS}, got {self.segment_view!r}"
            )
        if self.view_score not in VIEW_SCORES:
            raise ValueError(f"view_score must be one of {VIEW_SCORES}, got {self.view_score!r}")
        if not 0.0 <= self.min_view_detected <= 1.0:
            raise ValueError("min_view_detected must be in [0, 1]")


def check_frame_size(size: Sequence[float]) -> tuple[float, float]:
    w, h = (float(v) for v in size)
    if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
        raise ValueError(f"frame size must be two positive numbers (width, height), got {size}")
    return w, h
