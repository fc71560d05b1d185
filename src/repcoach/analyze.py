"""Analyse one recording: repetitions -> exercise vote -> per-repetition correctness scores.

The paper's deployment pipeline (section V.G): segment single repetitions, format each as a
fixed ``(30, F)`` input, classify it with the TFLite classifier, then "based on the predicted
class, a corresponding correctness model is loaded" and scores it in [0, 1].

Decisions (also in docs/deployment.md):

- **Exercise** of the clip = majority vote over repetitions; a tie goes to the class with the
  higher summed probability over the voting repetitions. Repetitions whose top probability is
  below ``min_rep_probability`` do not vote (all vote if none passes).
- **Confidence** = mean probability of the voted class over the repetitions that voted for it.
- **Scorer**: by default the *clip's* voted exercise selects the correctness model for every
  repetition (``scorer_label="clip"``): one odd repetition misclassified inside a set of squats
  is still scored as a squat. ``scorer_label="rep"`` uses each repetition's own label instead.
- **Cues** come only from the score (and from label disagreement); they are deliberately
  simple: the scorer gives one number, not which joint was wrong.
- If no repetition is found (a clip too short or too irregular), the clip is classified over
  sliding windows instead; ``rep_count`` is then 0 and ``extra["segmentation"] == "windows"``.
- Models trained on windows or whole clips (``clip_mode`` in ``config.json``, e.g. generic
  indexed datasets) are fed windows / the whole clip, never repetition cuts; repetitions are
  then still counted by segmentation but not classified or scored one by one.

Uses LiteRT only (:mod:`repcoach.runtime`); never imports TensorFlow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.pose.resample import repetition_inputs
from repcoach.runtime import RuntimeModels
from repcoach.types import ClipAnalysis, PoseSequence, Repetition

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")

CLIP_MODES = ("reps", "windows", "whole")


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

    def __post_init__(self) -> None:
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


class Analyzer:
    """Recording -> :class:`~repcoach.types.ClipAnalysis` with the exported TFLite models.

    ``Analyzer(model_dir)`` or ``Analyzer.create_from_options(AnalyzerOptions(...))``; the
    models are loaded once, then :meth:`analyze` can be called for many recordings.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        options: AnalyzerOptions | None = None,
        models: RuntimeModels | None = None,
    ) -> None:
        options = options or AnalyzerOptions(model_dir=model_dir)
        if model_dir is not None:
            options = replace(options, model_dir=model_dir)  # never mutate the caller's options
        self.options = options
        if models is None:
            if options.model_dir is None:
                raise ValueError("give model_dir (a folder written by training + export)")
            models = RuntimeModels.load(options.model_dir, options.precision, options.num_threads)
        self.models = models
        cfg = models.config
        self.resample_method = str(cfg.get("resample", "interpolate"))
        mode = options.clip_mode or str(cfg.get("clip_mode", "reps"))
        self.clip_mode = "reps" if mode == "repetitions" else mode
        if self.clip_mode not in CLIP_MODES:
            raise DataError(f"unknown clip_mode {mode!r} in config.json", models.model_dir)
        win = cfg.get("window") if isinstance(cfg.get("window"), dict) else {}
        self.window_s = float(options.window_s or win.get("length_s") or 2.0)
        self.hop_s = float(options.hop_s or win.get("stride_s") or 1.0)
        if cfg.get("modality", "pose") != "pose":
            raise DataError(
                f"this is a {cfg.get('modality')!r} model; the analyser takes pose recordings",
                models.model_dir,
            )
        if models.classifier is None:
            raise DataError("the model folder has no classifier (a scorers-only folder cannot "
                            "name the exercise)", models.model_dir)

    @classmethod
    def create_from_options(cls, options: AnalyzerOptions) -> Analyzer:
        return cls(options=options)

    @classmethod
    def create_from_model_dir(cls, model_dir: str | Path, **kwargs: Any) -> Analyzer:
        return cls(options=AnalyzerOptions(model_dir=model_dir, **kwargs))

    def __enter__(self) -> Analyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release beyond the interpreters; kept for the Tasks-style API."""

    # ---------------------------------------------------------------- analysis
    def analyze(self, seq: PoseSequence) -> ClipAnalysis:
        """Segment, classify, vote and score one recording."""
        self._check_layout(seq)
        if seq.n_frames < 2:
            raise DataError(f"recording has {seq.n_frames} frame(s); need at least 2", seq.source)
        reps = [r for r in self.segment(seq) if r.end - r.start >= 2]
        if self.clip_mode != "reps":
            return self._analyze_spans(seq, reps)
        if not reps:
            if not self.options.window_fallback:
                return ClipAnalysis(
                    exercise=None, confidence=0.0, votes={}, repetitions=(),
                    source=seq.source, extra=self._extra("repetitions", []),
                )
            return self._analyze_spans(seq, [])

        x = self.model_inputs(seq, [(r.start, r.end) for r in reps])
        probs = self.models.classifier.predict(x)
        exercise, confidence, votes = vote(probs, self.models.classes,
                                           self.options.min_rep_probability)
        rep_labels = [self.models.classes[int(i)] for i in probs.argmax(-1)]
        scorer_labels = rep_labels if self.options.scorer_label == "rep" else [exercise] * len(reps)
        scores = self._score(x, scorer_labels)
        out = []
        for i, r in enumerate(reps):
            label, p = rep_labels[i], float(probs[i].max())
            start_s, end_s = _times(seq, r)
            out.append(
                Repetition(
                    start=r.start, end=r.end, start_s=start_s, end_s=end_s, label=label,
                    probability=p, score=scores[i],
                    cues=self.cues(scores[i], label, p, exercise, scorer_labels[i]),
                )
            )
        extra = self._extra("repetitions", [])
        extra["mean_probabilities"] = _named(probs.mean(0), self.models.classes)
        return ClipAnalysis(
            exercise=exercise, confidence=confidence, votes=votes, repetitions=tuple(out),
            source=seq.source, modality="pose", extra=extra,
        )

    def segment(self, seq: PoseSequence) -> list[Repetition]:
        """The repetitions of ``seq`` (frames ``[start, end)``) from the configured segmenter."""
        seg = self.options.segmenter
        if seg is None:
            from repcoach.segment import segment_repetitions

            return list(segment_repetitions(seq, **self.options.segmenter_options))
        if hasattr(seg, "segment"):
            return list(seg.segment(seq))
        return list(seg(seq))

    def model_inputs(self, seq: PoseSequence, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """``(n, seq_len, F)`` model inputs: each span cut from the raw recording and run through
        the training chain (clean -> normalise -> resample with the config's method)."""
        x = repetition_inputs(seq, list(spans), self.models.seq_len, self.resample_method)
        if x.shape[1:] != (self.models.seq_len, self.models.n_features):
            raise DataError(
                f"preprocessing gave inputs of shape {x.shape[1:]}, the model expects "
                f"{(self.models.seq_len, self.models.n_features)}", seq.source,
            )
        if not np.isfinite(x).all():
            x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        return x

    def cues(
        self, score: float | None, label: str, probability: float, exercise: str | None,
        scored_as: str | None,
    ) -> tuple[str, ...]:
        """Short feedback for one repetition, derived only from what the models output."""
        o = self.options
        cues: list[str] = []
        if score is None:
            cues.append(f"no correctness model for {scored_as}")
        elif score >= o.good_score:
            cues.append("good form")
        elif score >= o.check_score:
            cues.append("check form")
        else:
            cues.append("poor form")
        if exercise is not None and label != exercise:
            cues.append(f"looks like {label}")
        if probability < o.min_rep_probability:
            cues.append("exercise uncertain")
        return tuple(cues)

    # ---------------------------------------------------------------- helpers
    def _score(self, x: np.ndarray, labels: Sequence[str | None]) -> list[float | None]:
        scores: list[float | None] = [None] * len(labels)
        for label in set(labels):
            scorer = self.models.scorers.get(label) if label is not None else None
            if scorer is None:
                continue
            idx = [i for i, lab in enumerate(labels) if lab == label]
            s = scorer.predict(x[idx]).reshape(len(idx), -1)[:, 0]
            for i, v in zip(idx, s, strict=True):
                scores[i] = float(np.clip(v, 0.0, 1.0))
        return scores

    def _analyze_spans(self, seq: PoseSequence, reps: list[Repetition]) -> ClipAnalysis:
        """Classify windows (or the whole clip) instead of repetitions: for models trained on
        windows / whole clips, and as the fallback when a repetition model finds no repetition.
        Windows are scored only when the model was trained on windows (a repetition scorer
        says nothing about an arbitrary 2 s cut)."""
        whole = self.clip_mode == "whole"
        spans = [(0, seq.n_frames)] if whole else window_spans(seq, self.window_s, self.hop_s)
        x = self.model_inputs(seq, spans)
        probs = self.models.classifier.predict(x)
        exercise, confidence, votes = vote(probs, self.models.classes,
                                           self.options.min_rep_probability)
        scores = self._score(x, [exercise] * len(spans)) if self.clip_mode != "reps" else None
        windows = []
        for i, ((s, e), p) in enumerate(zip(spans, probs, strict=True)):
            start_s, end_s = _times(seq, Repetition(start=s, end=e))
            windows.append({
                "start_frame": s, "end_frame": e, "start_s": start_s, "end_s": end_s,
                "label": self.models.classes[int(p.argmax())], "probability": float(p.max()),
                "score": None if scores is None else scores[i],
            })
        kind = "whole" if whole else "windows"
        extra = self._extra(kind, windows)
        extra["mean_probabilities"] = _named(probs.mean(0), self.models.classes)
        out: list[Repetition] = []
        if self.clip_mode == "reps":
            extra["note"] = (
                "no repetitions found; the exercise was voted over sliding windows and no "
                "repetition was counted or scored"
            )
        else:
            extra["note"] = (
                f"the model was trained on {'whole clips' if whole else 'windows'}: the exercise "
                f"is voted over {kind}; repetitions are counted by segmentation, not scored"
            )
            for r in reps:
                start_s, end_s = _times(seq, r)
                out.append(Repetition(start=r.start, end=r.end, start_s=start_s, end_s=end_s,
                                      label=exercise))
        return ClipAnalysis(
            exercise=exercise, confidence=confidence, votes=votes, repetitions=tuple(out),
            source=seq.source, modality="pose", extra=extra,
        )

    def _extra(self, segmentation: str, windows: list[dict[str, Any]]) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "segmentation": segmentation,
            "precision": self.models.precision,
            "scorer_selection": self.options.scorer_label,
            "clip_mode": self.clip_mode,
            "model_dir": str(self.models.model_dir),
        }
        if segmentation == "windows":
            extra["window_s"] = self.window_s
            extra["hop_s"] = self.hop_s
        if segmentation in ("windows", "whole"):
            extra["windows"] = windows
        return extra

    def _check_layout(self, seq: PoseSequence) -> None:
        cfg = self.models.config
        want = cfg.get("layout")
        if want and seq.layout.name != want:
            raise DataError(
                f"recording has the {seq.layout.name!r} skeleton but the model was trained on "
                f"{want!r}", seq.source,
            )


def vote(
    probs: np.ndarray, classes: Sequence[str], min_probability: float = 0.0
) -> tuple[str | None, float, dict[str, int]]:
    """Majority vote over per-repetition probabilities ``(n, k)``.

    Returns ``(exercise, confidence, votes)``: ties are broken by the higher summed probability;
    confidence is the mean probability of the winner over the repetitions that voted for it.
    Repetitions whose top probability is below ``min_probability`` abstain (all vote if none
    reaches it).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.size == 0:
        return None, 0.0, {}
    top = probs.max(-1)
    voting = top >= min_probability
    if not voting.any():
        voting[:] = True
    pred = probs.argmax(-1)
    counts = Counter(int(c) for c in pred[voting])
    best = max(counts.values())
    tied = [c for c, n in counts.items() if n == best]
    winner = max(tied, key=lambda c: (probs[voting, c].sum(), -c))
    mask = voting & (pred == winner)
    confidence = float(probs[mask, winner].mean())
    votes = {classes[c]: int(n) for c, n in sorted(counts.items(), key=lambda kv: -kv[1])}
    return classes[winner], confidence, votes


def window_spans(seq: PoseSequence, window_s: float, hop_s: float) -> list[tuple[int, int]]:
    """Sliding ``[start, end)`` frame windows of ``window_s`` seconds every ``hop_s`` seconds;
    one window of the whole clip if it is shorter than a window."""
    fps = seq.fps if np.isfinite(seq.fps) and seq.fps > 0 else 30.0
    win = max(2, int(round(window_s * fps)))
    hop = max(1, int(round(hop_s * fps)))
    n = seq.n_frames
    if n <= win:
        return [(0, n)]
    starts = list(range(0, n - win + 1, hop))
    if starts[-1] + win < n:
        starts.append(n - win)
    return [(s, s + win) for s in starts]


def analyze_file(
    path: str | Path, model_dir: str | Path | None = None, options: AnalyzerOptions | None = None,
    **extract_kwargs: Any,
) -> ClipAnalysis:
    """Analyse a pose CSV or a video (``.mp4/.avi/.mov/.mkv``: pose extracted first)."""
    seq = load_recording(path, **extract_kwargs)
    return Analyzer(model_dir, options=options).analyze(seq)


def load_recording(path: str | Path, **extract_kwargs: Any) -> PoseSequence:
    """Pose CSV -> :class:`PoseSequence`; video -> pose extracted with MediaPipe (lazy import)."""
    path = Path(path)
    if not path.exists():
        raise DataError("recording not found", path)
    if is_video(path):
        from repcoach.pose.extract import extract_pose

        return extract_pose(path, **extract_kwargs)
    if path.suffix.lower() != ".csv":
        raise DataError(
            f"unsupported recording type {path.suffix!r} (expected a pose .csv or a video: "
            f"{', '.join(VIDEO_SUFFIXES)})", path,
        )
    from repcoach.io.pose_csv import read_pose_csv

    seq = read_pose_csv(path)
    if seq.source is None:
        seq = replace(seq, source=str(path))
    return seq


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _times(seq: PoseSequence, r: Repetition) -> tuple[float, float]:
    """Start/end seconds of ``r``: kept from the segmenter, else from the frame timestamps."""
    start_s, end_s = r.start_s, r.end_s
    if not np.isfinite(start_s):
        start_s = float(seq.timestamps[r.start])
    if not np.isfinite(end_s):
        if r.end < seq.n_frames:
            end_s = float(seq.timestamps[r.end])
        else:
            step = 1.0 / seq.fps if np.isfinite(seq.fps) else 0.0
            end_s = float(seq.timestamps[-1] + step)
    return float(start_s), float(end_s)


def _named(values: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    return {c: round(float(v), 6) for c, v in zip(classes, values, strict=True)}
