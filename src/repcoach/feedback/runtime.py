"""Feedback at analysis time: ``feedback.json`` in a model folder -> cues per repetition
(numpy / scipy only; never imports TensorFlow)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from repcoach.errors import DataError
from repcoach.feedback.cue import Cue
from repcoach.feedback.dataset import load_synth_reps, pose_rep_features
from repcoach.feedback.model import FeedbackModel, StaleFeedbackError, main_faults
from repcoach.types import PoseSequence

#: File name of the feedback reference inside a model folder.
FEEDBACK_FILE = "feedback.json"
#: Feature prefix of single-recording (any view) references.
VIEW_PREFIX = "pose"


def load_feedback(model_dir: str | Path | None) -> FeedbackModel | None:
    """The folder's feedback reference, None when it has none (or an older version's, with a
    warning: the analysis then gives score cues only)."""
    if model_dir is None:
        return None
    p = Path(model_dir) / FEEDBACK_FILE
    if not p.is_file():
        return None
    try:
        return FeedbackModel.load(p)
    except StaleFeedbackError as e:
        warnings.warn(f"{p}: {e}; no per-joint cues", stacklevel=2)
        return None


def repetition_cues(
    model: FeedbackModel, exercise: str, seq: PoseSequence, spans: Sequence[tuple[int, int]],
    frame_size: tuple[float, float] | None = None,
) -> list[list[Cue]]:
    """Cues of every span of one (not aspect-corrected) recording; empty lists when the model
    has no reference for ``exercise``."""
    if exercise not in model.exercises or not spans:
        return [[] for _ in spans]

    feats, curves = pose_rep_features({VIEW_PREFIX: seq}, list(spans), frame_size)
    return [model.cues(exercise, f, c) for f, c in zip(feats, curves, strict=True)]


def fit_from_synth(
    root: str | Path, participants: Sequence[str] | None = None, by: str = "label"
) -> FeedbackModel:
    """A single-view (any camera) feedback model from a generated dataset's fault annotations,
    on ``participants`` only (e.g. the training split), exercises named by ``by``."""

    tab = load_synth_reps(root, participants=participants, single_view=True, by=by)
    data = {}
    for ex in sorted(set(tab.exercises)):
        s = tab.subset(tab.exercises == ex)
        data[ex] = (s.features, s.curves, s.severities, main_faults(s.severities) == "",
                    s.participants)
    return FeedbackModel.fit(data, meta={"source": str(root), "views": "any (pooled)",
                                         "participants": sorted(set(tab.participants))})


def write_model_feedback(model_dir: str | Path, data: str | Path,
                         participants: Sequence[str] | None = None) -> Path | None:
    """Write ``feedback.json`` into a model folder when ``data`` has per-repetition fault
    annotations (annotations.csv with ``dev_*`` columns); None (nothing written) otherwise."""

    ann = Path(data) / "annotations.csv"
    if not ann.is_file():
        return None
    cols = set(pd.read_csv(ann, nrows=1).columns)
    if not {"dev_rom", "dev_asymmetry", "dev_posture", "dev_tempo"} <= cols:
        return None


    try:
        model = fit_from_synth(data, participants)
    except DataError as e:  # optional output: never fail the training for it
        warnings.warn(f"no feedback.json written: {e}", stacklevel=2)
        return None
    return model.save(Path(model_dir) / FEEDBACK_FILE)
