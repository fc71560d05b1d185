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
- **Cues** come from the score (and from label disagreement); when the model folder has a
  ``feedback.json`` (:mod:`repcoach.feedback`), per-joint "what to fix" cue objects (text,
  body part, fault, size; at most two, ranked) follow for every repetition of an exercise it
  knows.
- If no repetition is found (a clip too short or too irregular), the clip is classified over
  sliding windows instead; ``rep_count`` is then 0 and ``extra["segmentation"] == "windows"``.
- Models trained on windows or whole clips (``clip_mode`` in ``config.json``, e.g. generic
  indexed datasets) are fed windows / the whole clip, never repetition cuts; repetitions are
  then still counted by segmentation but not classified or scored one by one.
- **Tempo and form inputs**: scorers trained with extra inputs (config.json ``scorer_inputs``)
  get each span's duration from the recording's timestamps, and its ratio to the median span
  of the recording, and/or the span's 19 push-up form features (measured on the
  aspect-corrected recording), as constant channels (:mod:`repcoach.data.scorer_inputs`);
  the classifier never sees them.
- **Known exercise**: ``AnalyzerOptions.exercise`` (``--exercise``) skips the classifier; a
  scorers-only folder (``--task correctness``) assumes its only exercise.
- **Aspect ratio**: a model trained on image-space landmarks whose x (and z) were multiplied by
  width/height (index.csv sizes or pose-CSV side files, ``aspect_corrected_clips`` > 0 in
  config.json) gets the same correction here, from ``frame_size``: ``--frame-size WxH`` / the
  ``frame_size`` argument if given, else the recording's own (``PoseSequence.frame_size``: a
  video's decoded size, or a pose CSV's ``.pose.json`` side file written by ``repcoach
  extract``), else
  ``AnalyzerOptions.frame_size``; ``extra["aspect"]["frame_size_source"]`` says which
  (``"argument"``, ``"recording"``, ``"options"``). When the model expects it and the size is
  unknown, the recording is analysed uncorrected and ``extra["warnings"]`` says so (also a
  ``UserWarning``). Old folders without ``aspect_corrected_clips`` are assumed to expect it when
  ``aspect_correct`` was on and the data was an indexed dataset.
- **Push-up form cues**: when the clip's exercise is a push-up (a label containing "push"
  and "up") on the MediaPipe-33 skeleton, :mod:`repcoach.pose.pushup_form` measures the body
  line, hips, knees, neck and elbow depth over the recording (``extra["pushup_form"]``:
  features and "what to fix" cues) and over each repetition whose score is below
  ``good_score`` (or unscored), whose cues get the rule-based hints appended. These are
  hand-set rules (thresholds from PushFit development data), not model outputs.
- **Two views** (:meth:`Analyzer.analyze_views`, frontal + side camera of one session): both
  are put on one 30 FPS clock (:func:`repcoach.video.views.combine_views`), repetitions are
  segmented on the view that moves more (:func:`~repcoach.video.views.stronger_view`), the
  same frame spans are cut from both views, and the classifier's probabilities of the two
  views are averaged (late fusion, ``view_weights``); a view with too few detected frames in a
  span gets no weight there. The score is the same weighted mean of the two views' scorer
  outputs (``view_score="mean"``) or the stronger view's (``"stronger"``).

Uses LiteRT only (:mod:`repcoach.deploy.runtime`); never imports TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.analyze.aspect import AspectCorrection
from repcoach.analyze.cues import CueRules
from repcoach.analyze.options import AnalyzerOptions, View
from repcoach.analyze.recording import load_recording, recording_frame_size
from repcoach.analyze.spans import SpanAnalysis
from repcoach.analyze.views import TwoViewAnalysis
from repcoach.analyze.vote import named_values, span_times, vote
from repcoach.data.samples import CLIP_MODES
from repcoach.data.scorer_inputs import append_channels, span_values
from repcoach.deploy.runtime import RuntimeModels
from repcoach.errors import DataError
from repcoach.feedback.runtime import load_feedback
from repcoach.pose.evidence import no_person_result
from repcoach.pose.resample import repetition_inputs
from repcoach.segment import segment_repetitions
from repcoach.types import ClipAnalysis, PoseSequence, Repetition


class Analyzer(TwoViewAnalysis, SpanAnalysis, CueRules, AspectCorrection):
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
        #: per-joint "what to fix" reference (feedback.json), None when the folder has none
        self.feedback = load_feedback(getattr(models, "model_dir", None))
        cfg = models.config
        self.resample_method = str(cfg.get("resample", "interpolate"))
        self.presence = bool(cfg.get("presence", False))
        self.root_motion = bool(cfg.get("root_motion", False))
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
        classes = list(models.classes)
        if options.exercise is not None and options.exercise not in classes:
            raise DataError(f"exercise {options.exercise!r} is not one of the model's classes "
                            f"{classes}", models.model_dir)  # fmt: skip
        #: the exercise every span is taken to be, when the classifier is not run
        self.given_exercise: str | None = options.exercise
        self.exercise_source = "given" if options.exercise is not None else "classifier"
        if models.classifier is None and self.given_exercise is None:
            if len(classes) != 1:
                raise DataError(
                    f"the model folder has no classifier (scorers only) and "
                    f"{len(classes)} exercises {classes}: say which one the "
                    "recording shows (exercise=, --exercise)",
                    models.model_dir,
                )
            self.given_exercise, self.exercise_source = classes[0], "only class"

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
    def analyze(
        self, seq: PoseSequence, frame_size: tuple[float, float] | None = None
    ) -> ClipAnalysis:
        """Segment, classify, vote and score one recording. ``frame_size``: ``(width,
        height)`` of its frames (else ``seq.frame_size``, else ``options.frame_size``) for the
        aspect correction."""
        self._check_layout(seq)
        if seq.n_frames < 2:
            raise DataError(f"recording has {seq.n_frames} frame(s); need at least 2", seq.source)
        if (nobody := no_person_result([seq])) is not None:
            return nobody
        raw = seq
        seq, aspect = self.aspect_correct(seq, frame_size)
        reps = [r for r in self.segment(seq) if r.end - r.start >= 2]
        result = self._analyze_views([View("pose", seq, 1.0)], reps, None)
        result = self._with_feedback(result, raw, aspect)
        result = self._with_pushup_form(result, seq, aspect)
        return self._with_aspect(result, {"recording": aspect})

    def _analyze_views(
        self,
        views: list[View],
        reps: list[Repetition],
        info: dict[str, Any] | None,
        timeline: PoseSequence | None = None,
        source: str | None = None,
    ) -> ClipAnalysis:
        """Classify, vote and score ``reps`` (frame spans shared by every view in ``views``);
        ``info`` is None for a single recording, else the two-view summary for ``extra``."""
        seq = timeline if timeline is not None else views[0].seq
        source = source if source is not None else seq.source
        if self.clip_mode != "reps":
            return self._analyze_spans(views, reps, info, seq, source)
        if not reps:
            if not self.options.window_fallback:
                extra = self._extra("repetitions", [])
                if info is not None:
                    extra["views"] = info
                return ClipAnalysis(
                    exercise=None,
                    confidence=0.0,
                    votes={},
                    repetitions=(),
                    source=source,
                    extra=extra,
                )
            return self._analyze_spans(views, [], info, seq, source)

        spans = [(r.start, r.end) for r in reps]
        probs, xs, view_probs, w = self._classify(views, spans)
        exercise, confidence, votes = vote(
            probs, self.models.classes, self.options.min_rep_probability
        )
        rep_labels = [self.models.classes[int(i)] for i in probs.argmax(-1)]
        scorer_labels = rep_labels if self.options.scorer_label == "rep" else [exercise] * len(reps)
        scores, view_scores = self._score_views(
            views,
            xs,
            w,
            scorer_labels,
            self._score_only(info),
            self._view_extra_values(views, spans),
        )
        out = []
        for i, r in enumerate(reps):
            label, p = rep_labels[i], float(probs[i].max())
            start_s, end_s = span_times(seq, r)
            out.append(
                Repetition(
                    start=r.start,
                    end=r.end,
                    start_s=start_s,
                    end_s=end_s,
                    label=label,
                    probability=p,
                    score=scores[i],
                    cues=self.cues(scores[i], label, p, exercise, scorer_labels[i]),
                )
            )
        extra = self._extra("repetitions", [])
        extra["mean_probabilities"] = named_values(probs.mean(0), self.models.classes)
        if info is not None:
            self._view_extra(extra, info, views, view_probs, w, view_scores)
        return ClipAnalysis(
            exercise=exercise,
            confidence=confidence,
            votes=votes,
            repetitions=tuple(out),
            source=source,
            modality="pose",
            extra=extra,
        )

    def segment(self, seq: PoseSequence) -> list[Repetition]:
        """The repetitions of ``seq`` (frames ``[start, end)``) from the configured segmenter."""
        seg = self.options.segmenter
        if seg is None:

            return list(segment_repetitions(seq, **self.options.segmenter_options))
        if hasattr(seg, "segment"):
            return list(seg.segment(seq))
        return list(seg(seq))

    def model_inputs(self, seq: PoseSequence, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """``(n, seq_len, F)`` model inputs: each span cut from the raw recording and run through
        the training chain (clean -> normalise -> resample with the config's method)."""
        x = repetition_inputs(
            seq,
            list(spans),
            self.models.seq_len,
            self.resample_method,
            self.presence,
            self.root_motion,
        )
        if x.shape[1:] != (self.models.seq_len, self.models.n_features):
            raise DataError(
                f"preprocessing gave inputs of shape {x.shape[1:]}, the model expects "
                f"{(self.models.seq_len, self.models.n_features)}",
                seq.source,
            )
        if not np.isfinite(x).all():
            x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        return x

    # ---------------------------------------------------------------- helpers
    def _extra_values(
        self, seq: PoseSequence, spans: Sequence[tuple[int, int]]
    ) -> np.ndarray | None:
        """The scorers' extra input values for ``spans`` of ``seq`` (None when they have none):
        durations from the timestamps, relative to the median over this recording's spans."""
        names = self.models.scorer_inputs
        if not names:
            return None

        return span_values(names, seq, spans)

    def _score(
        self, x: np.ndarray, labels: Sequence[str | None], extra: np.ndarray | None = None
    ) -> list[float | None]:
        scores: list[float | None] = [None] * len(labels)
        if extra is not None:

            x = append_channels(x, extra)
        for label in set(labels):
            scorer = self.models.scorers.get(label) if label is not None else None
            if scorer is None:
                continue
            idx = [i for i, lab in enumerate(labels) if lab == label]
            s = scorer.predict(x[idx]).reshape(len(idx), -1)[:, 0]
            for i, v in zip(idx, s, strict=True):
                scores[i] = float(np.clip(v, 0.0, 1.0))
        return scores

    def _classify(
        self, views: Sequence[View], spans: Sequence[tuple[int, int]]
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Fused probabilities ``(n, k)``, each view's inputs and probabilities, and the
        ``(n, n_views)`` weights that fused them (late fusion: weighted mean of
        probabilities)."""
        xs = [self.model_inputs(v.seq, spans) for v in views]
        if self.given_exercise is not None:  # known exercise: the classifier is not run
            onehot = np.zeros((len(spans), len(self.models.classes)), np.float32)
            onehot[:, list(self.models.classes).index(self.given_exercise)] = 1.0
            per_view = [onehot] * len(xs)
        else:
            per_view = [self.models.classifier.predict(x) for x in xs]
        if len(views) == 1:
            return per_view[0], xs, per_view, np.ones((len(spans), 1))
        w = self.span_weights(views, spans)
        fused = np.einsum("nv,vnk->nk", w, np.stack(per_view).astype(np.float64))
        return fused, xs, per_view, w

    def _score_only(self, info: dict[str, Any] | None) -> str | None:
        """The view whose score alone counts (``view_score="stronger"``), else None."""
        if info is None or self.options.view_score != "stronger":
            return None
        return str(info["stronger"])

    def _extra(self, segmentation: str, windows: list[dict[str, Any]]) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "segmentation": segmentation,
            "precision": self.models.precision,
            "scorer_selection": self.options.scorer_label,
            "clip_mode": self.clip_mode,
            "model_dir": str(self.models.model_dir),
            "exercise_source": self.exercise_source,
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
                f"{want!r}",
                seq.source,
            )


def analyze_file(
    path: str | Path,
    model_dir: str | Path | None = None,
    options: AnalyzerOptions | None = None,
    frame_size: tuple[float, float] | None = None,
    **extract_kwargs: Any,
) -> ClipAnalysis:
    """Analyse a pose CSV or a video (``.mp4/.avi/.mov/.mkv``: pose extracted first).
    ``frame_size`` defaults to the video's size, or the pose CSV's recorded one (side file)."""
    seq = load_recording(path, **extract_kwargs)
    size = frame_size if frame_size is not None else recording_frame_size(path)
    return Analyzer(model_dir, options=options).analyze(seq, frame_size=size)
