"""Turn datasets into model samples: ``(n, seq_len, features)`` inputs with their labels,
subjects, clips and correctness scores.

Two dataset forms are read:

- the EJUST-GYM-3 layout (``participants.csv`` + per-participant folders): one sample per
  repetition, cut at the boundaries of ``annotations.csv`` when present, else found by
  :func:`repcoach.segment.segment_repetitions`; ``view`` picks the frontal camera, the side
  camera, or both (two samples per repetition);
- a generic indexed dataset (``index.csv``, :mod:`repcoach.io.indexed`): each clip is cut per
  repetition (``clip_mode="reps"``), by sliding windows (``"windows"``) or kept whole
  (``"whole"``).

Every cut goes through the same chain as analysis (:func:`repcoach.pose.resample.repetition_inputs`:
clean -> normalise -> resample), so training and inference see identical inputs. Every sample
keeps its ``clip_id`` so clip-level majority votes are possible, and its duration and (MediaPipe
33) push-up form features, the raw values of the scorers' extra inputs
(:mod:`repcoach.data.scorer_inputs`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from repcoach.data.scorer_inputs import (
    FORM_LAYOUT,
    span_durations,
    span_form_features,
    span_signal_stats,
)
from repcoach.data.splits import neighbour_blocks
from repcoach.errors import DataError
from repcoach.io.annotations import load_annotations
from repcoach.io.dataset_index import scan_dataset
from repcoach.io.ejust import EXERCISES
from repcoach.io.indexed import load_index
from repcoach.io.pose_csv import read_pose_csv
from repcoach.pose.resample import n_input_features, repetition_inputs
from repcoach.segment import segment_repetitions
from repcoach.segment.windows import window_spans
from repcoach.types import PoseSequence

CLIP_MODES = ("reps", "windows", "whole")
VIEWS = ("frontal", "side", "both")


@dataclass
class SampleOptions:
    """How recordings become samples.

    ``clip_mode``: ``reps`` (one sample per repetition), ``windows`` (sliding windows of
    ``window_s`` seconds every ``stride_s``), ``whole`` (one sample per clip). A clip in which no
    repetition is found, or shorter than one window, gives one whole-clip sample.
    ``view``: EJUST layout only. ``group_col``: index column whose values group samples for
    splitting (e.g. ``source_group``). ``group_blocks``: index.csv datasets only; within each
    group value, label and correctness, the clips in index.csv order cut into that many
    contiguous blocks, each a group of its own (neighbouring clips cut from one recording held
    out together, later parts of a source tested; 0 = off).
    ``aspect_correct``: multiply x (and z) of image-space coordinates by width/height when the
    source image size is known (index.csv ``width`` / ``height`` columns, else the pose
    CSV's ``.pose.json`` side file written by ``repcoach extract``), so body proportions do
    not depend on the video's resolution. ``presence``:
    append one presence channel per joint (1 = landmark seen, 0 = missing) so a missing
    landmark is not read as one at the hip centre;
    useful where joints are often unseen (Penn Action), off by default (the paper's 99 inputs).
    ``root_motion``: append the body centre's x, y relative to its mean, in torso lengths
    (:func:`repcoach.pose.resample.root_motion_features`): the global motion hip-centring
    removes (pull-up: hands still, centre rises; squat: feet still, centre drops); off by
    default.
    """

    seq_len: int = 30
    resample: str = "interpolate"
    clip_mode: str = "reps"
    window_s: float = 2.0
    stride_s: float = 1.0
    view: str = "frontal"
    group_col: str | None = None
    group_blocks: int = 0
    aspect_correct: bool = True
    presence: bool = False
    root_motion: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        if self.clip_mode not in CLIP_MODES:
            raise ValueError(f"clip_mode must be one of {CLIP_MODES}, got {self.clip_mode!r}")
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, got {self.view!r}")
        if self.window_s <= 0 or self.stride_s <= 0:
            raise ValueError("window_s and stride_s must be positive")
        if self.group_blocks < 0:
            raise ValueError(f"group_blocks must be 0 (off) or positive, got {self.group_blocks}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq_len": self.seq_len, "resample": self.resample, "clip_mode": self.clip_mode,
            "window": {"length_s": self.window_s, "stride_s": self.stride_s},
            "view": self.view, "group_col": self.group_col, "group_blocks": self.group_blocks,
            "aspect_correct": self.aspect_correct, "presence": self.presence,
            "root_motion": self.root_motion,
        }  # fmt: skip

    @classmethod
    def from_config(cls, cfg: dict[str, Any], **overrides: Any) -> SampleOptions:
        """Options a model folder's config.json was trained with."""
        win = cfg.get("window") or {}
        kw: dict[str, Any] = {
            "seq_len": int(cfg.get("seq_len", 30)),
            "resample": cfg.get("resample", "interpolate"),
            "clip_mode": cfg.get("clip_mode", "reps"),
            "window_s": float(win.get("length_s", 2.0)),
            "stride_s": float(win.get("stride_s", 1.0)),
            "view": cfg.get("view", "frontal"),
            "group_col": cfg.get("group_col"),
            "group_blocks": int(cfg.get("group_blocks") or 0),
            "aspect_correct": bool(cfg.get("aspect_correct", True)),
            "presence": bool(cfg.get("presence", False)),
            "root_motion": bool(cfg.get("root_motion", False)),
        }
        if kw["clip_mode"] == "repetitions":
            kw["clip_mode"] = "reps"
        kw.update(overrides)
        return cls(**kw)


@dataclass
class Samples:
    """Model samples and what each one is. Arrays are aligned (one entry per sample)."""

    X: np.ndarray  # (n, seq_len, features) float32
    y: np.ndarray  # class names (object)
    subject: np.ndarray  # participant id/name, "unknown" when not known
    clip_id: np.ndarray  # recording (and view) the sample was cut from
    score: np.ndarray  # correctness in [0, 1], NaN when unknown
    start: np.ndarray  # first frame (inclusive) in the recording
    end: np.ndarray  # last frame (exclusive)
    group: np.ndarray  # split group value from SampleOptions.group_col ("" when none)
    split: np.ndarray  # split column value ("" when none)
    layout: str = "mediapipe33"
    meta: dict[str, Any] = field(default_factory=dict)
    duration: np.ndarray | None = None  # seconds per sample (frame timestamps); None: unknown
    # (n, 19) raw push-up form features per sample (repcoach.pose.pushup_form, NaN = unseen),
    # from the aspect-corrected frames the inputs were cut from; None: not MediaPipe-33
    form_features: np.ndarray | None = None
    # (n, 21) statistics of the 3-D push-up form signals per sample (scorer_inputs
    # SIGNAL_INPUTS), from the same frames; None: not MediaPipe-33
    signal_stats: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[2])

    @property
    def seq_len(self) -> int:
        return int(self.X.shape[1])

    @property
    def has_scores(self) -> bool:
        return bool(np.isfinite(self.score).any())

    def subset(self, idx: Sequence[int] | np.ndarray) -> Samples:
        idx = np.asarray(idx, dtype=int)
        return replace(
            self,
            X=self.X[idx], y=self.y[idx], subject=self.subject[idx], clip_id=self.clip_id[idx],
            score=self.score[idx], start=self.start[idx], end=self.end[idx],
            group=self.group[idx], split=self.split[idx], meta=dict(self.meta),
            duration=None if self.duration is None else self.duration[idx],
            form_features=None if self.form_features is None else self.form_features[idx],
            signal_stats=None if self.signal_stats is None else self.signal_stats[idx],
        )  # fmt: skip

    @classmethod
    def concat(cls, parts: Sequence[Samples], seq_len: int, n_features: int) -> Samples:
        if not parts:
            return cls.empty(seq_len, n_features)
        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
        return cls(
            X=cat("X"), y=cat("y"), subject=cat("subject"), clip_id=cat("clip_id"),
            score=cat("score"), start=cat("start"), end=cat("end"), group=cat("group"),
            split=cat("split"), layout=parts[0].layout,
            duration=cat("duration") if all(p.duration is not None for p in parts) else None,
            form_features=cat("form_features")
            if all(p.form_features is not None for p in parts) else None,
            signal_stats=cat("signal_stats")
            if all(p.signal_stats is not None for p in parts) else None,
        )  # fmt: skip

    @classmethod
    def empty(cls, seq_len: int = 30, n_features: int = 99) -> Samples:
        o = np.zeros(0, dtype=object)
        return cls(np.zeros((0, seq_len, n_features), np.float32), o, o, o,
                   np.zeros(0, np.float32), np.zeros(0, int), np.zeros(0, int), o, o)


def _make(
    x: np.ndarray, label: str, subject: str, clip: str, scores: Iterable[float],
    bounds: Sequence[tuple[int, int]], group: str, split: str, layout: str,
    seq: PoseSequence | None = None,
) -> Samples:  # fmt: skip

    n = len(x)
    form = seq is not None and seq.layout.name == FORM_LAYOUT
    obj = lambda v: np.full(n, v, dtype=object)  # noqa: E731
    return Samples(
        X=np.asarray(x, np.float32), y=obj(label), subject=obj(subject), clip_id=obj(clip),
        score=np.asarray(list(scores), np.float32).reshape(n),
        start=np.asarray([b[0] for b in bounds], int), end=np.asarray([b[1] for b in bounds], int),
        group=obj(group), split=obj(split), layout=layout,
        duration=None if seq is None else span_durations(seq, bounds),
        form_features=span_form_features(seq, bounds) if form else None,
        signal_stats=span_signal_stats(seq, bounds) if form else None,
    )  # fmt: skip


def detect_form(root: str | Path) -> str:
    """``"indexed"`` (index.csv) or ``"ejust"`` (participants.csv); DataError otherwise."""
    root = Path(root)
    if not root.is_dir():
        raise DataError("dataset folder not found", root)
    if (root / "index.csv").is_file():
        return "indexed"
    if (root / "participants.csv").is_file():
        return "ejust"
    raise DataError(
        "not a dataset folder: expected index.csv (indexed dataset) or participants.csv "
        "(EJUST-GYM-3 layout)",
        root,
    )


def cut_bounds(seq: PoseSequence, options: SampleOptions) -> tuple[list[tuple[int, int]], bool]:
    """Frame ranges ``[start, end)`` to cut from ``seq`` and whether it fell back to the
    whole clip (no repetition found / clip shorter than a window)."""
    n = seq.n_frames
    whole = [(0, n)]
    if options.clip_mode == "whole" or n < 2:
        return whole, False
    if options.clip_mode == "windows":
        fps = seq.fps if math.isfinite(seq.fps) and seq.fps > 0 else 30.0
        if n < max(2, int(round(options.window_s * fps))):
            return whole, True
        return window_spans(seq, options.window_s, options.stride_s), False
    reps = segment_pose(seq)
    bounds = [(int(r.start), int(r.end)) for r in reps if r.end - r.start >= 2]
    return (bounds, False) if bounds else (whole, True)


def segment_pose(seq: PoseSequence) -> list[Any]:
    """Repetitions of a recording from the shared segmenter."""
    return list(segment_repetitions(seq))


def inputs_for(seq: PoseSequence, bounds: Sequence[tuple[int, int]], options: SampleOptions):
    """``(len(bounds), seq_len, features)`` model inputs (clean -> normalise -> resample)."""

    return repetition_inputs(
        seq, list(bounds), length=options.seq_len, method=options.resample,
        presence=options.presence, root_motion=options.root_motion,
    )  # fmt: skip


def aspect_corrected(
    seq: PoseSequence, width: float | None, height: float | None
) -> PoseSequence:
    """``seq`` with image-space x (and z) multiplied by width/height, so body proportions do not
    depend on the frame's shape; unchanged when the size is unknown or not image space. Training
    (index.csv sizes) and analysis (``--frame-size``) share it."""
    if seq.space != "image" or not width or not height:
        return seq
    c = seq.coords.copy()
    c[..., 0] *= width / height
    if c.shape[-1] == 3:
        c[..., 2] *= width / height
    return seq.with_coords(c)


def _frame_size(
    width: float | None, height: float | None, seq: PoseSequence
) -> tuple[float | None, float | None]:
    """A clip's frame size for the aspect correction: the index's width/height columns when
    given, else the recording's own (``seq.frame_size``, from its ``.pose.json`` side file)."""
    if width and height:
        return width, height
    if seq.frame_size is not None:
        return seq.frame_size
    return None, None


def _progress(items: list[Any], enabled: bool, what: str):
    if not enabled or len(items) < 2:
        yield from items
        return

    yield from track(items, description=what, transient=True)


def samples_from_index(root: str | Path, options: SampleOptions | None = None) -> Samples:
    """Samples of a generic indexed dataset (pose CSVs in any supported layout)."""

    options = options or SampleOptions()
    ds = load_index(root)
    groups = ds.column(options.group_col) if options.group_col else [""] * len(ds)
    if options.group_blocks:
        strata = [f"{g}|{r.label}|{r.correctness}" for g, r in zip(groups, ds.rows, strict=True)]
        groups = list(neighbour_blocks(strata, [r.row for r in ds.rows], options.group_blocks))
    parts: list[Samples] = []
    fallback = 0
    n_aspect = 0  # clips whose x (and z) were aspect-corrected
    layout = None
    for row, grp in _progress(list(zip(ds.rows, groups, strict=True)), options.progress,
                              "reading clips"):
        seq = ds.read_pose(row)
        if layout is None:
            layout = seq.layout
        elif seq.layout.name != layout.name:
            raise DataError(
                f"layout {seq.layout.name!r} differs from the dataset's {layout.name!r}",
                ds.root / "index.csv", row=row.row, column="file",
            )
        if options.aspect_correct:
            corrected = aspect_corrected(seq, *_frame_size(row.width, row.height, seq))
            n_aspect += corrected is not seq
            seq = corrected
        bounds, fell_back = cut_bounds(seq, options)
        fallback += fell_back
        x = inputs_for(seq, bounds, options)
        parts.append(
            _make(x, row.label, row.subject, row.clip_id, [row.correctness] * len(x), bounds,
                  grp, row.split or "", seq.layout.name, seq)
        )  # fmt: skip
    assert layout is not None
    out = Samples.concat(
        parts, options.seq_len,
        n_input_features(layout.n_features, layout.n_joints, options.presence,
                         options.root_motion),
    )  # fmt: skip
    out.meta = {"form": "indexed", "root": str(ds.root), "layout": layout.name,
                "n_clips": len(ds), "whole_clip_fallbacks": int(fallback),
                "has_split_column": ds.has_split, "clip_mode": options.clip_mode,
                "aspect_corrected_clips": int(n_aspect)}  # fmt: skip
    return out


def samples_from_ejust(root: str | Path, options: SampleOptions | None = None) -> Samples:
    """Samples of a dataset in the EJUST-GYM-3 layout, one per repetition (and view)."""

    options = options or SampleOptions()
    root = Path(root)
    if options.group_blocks:
        raise DataError("group blocks cut clips listed in an index.csv; the EJUST layout is "
                        "split by participant", root)  # fmt: skip
    index = scan_dataset(root)
    ann = load_annotations(root)
    views = ["frontal", "side"] if options.view == "both" else [options.view]
    reps: dict[tuple[str, str], list[tuple[int, int, float]]] = {}
    if ann is not None:
        for rec in ann.to_dict("records"):
            key = (str(rec["participant"]), EXERCISES[str(rec["exercise"])])
            reps.setdefault(key, []).append(
                (int(float(rec["start_frame"])), int(float(rec["end_frame"])),
                 float(rec["score"]))
            )  # fmt: skip
    jobs = [(r, v) for r in index.recordings() for v in views if r.get(v, "csv") is not None]
    if not jobs:
        raise DataError(f"no {'/'.join(views)} pose CSVs found", root)
    parts: list[Samples] = []
    fallback = 0
    n_aspect = 0
    layout_name = "mediapipe33"
    for rec, view in _progress(jobs, options.progress, "reading recordings"):
        path = rec.get(view, "csv")
        seq = read_pose_csv(path)
        layout_name = seq.layout.name
        if options.aspect_correct:  # the size `repcoach extract` recorded beside the CSV
            corrected = aspect_corrected(seq, *_frame_size(None, None, seq))
            n_aspect += corrected is not seq
            seq = corrected
        known = reps.get((rec.participant, rec.exercise))
        if known and options.clip_mode == "reps":
            bounds = [(a, min(b, seq.n_frames)) for a, b, _ in known if a < seq.n_frames - 1]
            scores = [_score01(s) for a, _, s in known if a < seq.n_frames - 1]
        else:
            bounds, fell_back = cut_bounds(seq, options)
            fallback += fell_back
            scores = [float("nan")] * len(bounds)
        if not bounds:
            continue
        x = inputs_for(seq, bounds, options)
        clip = f"{rec.participant}/{rec.code}/{view}"
        parts.append(
            _make(x, rec.exercise, rec.participant, clip, scores, bounds, "", "", layout_name,
                  seq)
        )
    n_feat = parts[0].n_features if parts else n_input_features(99, 33, options.presence,
                                                                 options.root_motion)
    out = Samples.concat(parts, options.seq_len, n_feat)
    out.meta = {"form": "ejust", "root": str(root), "layout": layout_name,
                "n_clips": len(jobs), "annotations": ann is not None,
                "whole_clip_fallbacks": int(fallback), "has_split_column": False,
                "clip_mode": options.clip_mode,
                "aspect_corrected_clips": int(n_aspect)}  # fmt: skip
    return out


def _score01(s: float) -> float:
    """Scores are stored in [0, 1]; a 0-100 scale is accepted and rescaled."""
    if not math.isfinite(s):
        return float("nan")
    return s / 100.0 if s > 1.0 else s


def load_samples(root: str | Path, options: SampleOptions | None = None) -> Samples:
    """Samples of any supported dataset folder (form detected from its files)."""
    if detect_form(root) == "indexed":
        return samples_from_index(root, options)
    return samples_from_ejust(root, options)
