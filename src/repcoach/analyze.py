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
  aspect-corrected recording), as constant channels (:mod:`repcoach.models.scorer_inputs`);
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

Uses LiteRT only (:mod:`repcoach.runtime`); never imports TensorFlow.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.pose.resample import repetition_inputs
from repcoach.runtime import RuntimeModels
from repcoach.samples import aspect_corrected  # the training-side correction
from repcoach.types import ClipAnalysis, PoseSequence, Repetition

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")

CLIP_MODES = ("reps", "windows", "whole")
SEGMENT_VIEWS = ("stronger", "frontal", "side")
VIEW_SCORES = ("mean", "stronger")


@dataclass(frozen=True)
class _View:
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
            self.frame_size = _check_frame_size(self.frame_size)
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
                f"segment_view must be one of {SEGMENT_VIEWS}, got {self.segment_view!r}")
        if self.view_score not in VIEW_SCORES:
            raise ValueError(f"view_score must be one of {VIEW_SCORES}, got {self.view_score!r}")
        if not 0.0 <= self.min_view_detected <= 1.0:
            raise ValueError("min_view_detected must be in [0, 1]")


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
        from repcoach.feedback.runtime import load_feedback

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
                raise DataError(f"the model folder has no classifier (scorers only) and "
                                f"{len(classes)} exercises {classes}: say which one the "
                                "recording shows (exercise=, --exercise)", models.model_dir)
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
        raw = seq
        seq, aspect = self.aspect_correct(seq, frame_size)
        reps = [r for r in self.segment(seq) if r.end - r.start >= 2]
        result = self._analyze_views([_View("pose", seq, 1.0)], reps, None)
        result = self._with_feedback(result, raw, aspect)
        result = self._with_pushup_form(result, seq, aspect)
        return self._with_aspect(result, {"recording": aspect})

    def _with_feedback(
        self, result: ClipAnalysis, raw: PoseSequence, aspect: dict[str, Any]
    ) -> ClipAnalysis:
        """Append the feedback model's cues (:mod:`repcoach.feedback`) to every repetition."""
        if self.feedback is None or result.exercise is None or not result.repetitions:
            return result
        from repcoach.feedback.runtime import repetition_cues

        size = aspect.get("frame_size")
        spans = [(r.start, r.end) for r in result.repetitions]
        cues = repetition_cues(self.feedback, result.exercise, raw, spans,
                               tuple(size) if size else None)
        reps = tuple(replace(r, cues=(*r.cues, *c))
                     for r, c in zip(result.repetitions, cues, strict=True))
        return replace(result, repetitions=reps)

    def _with_pushup_form(
        self, result: ClipAnalysis, seq: PoseSequence, aspect: dict[str, Any]
    ) -> ClipAnalysis:
        """Add push-up form features and cues (clip and repetitions) for push-up clips."""
        label = (result.exercise or "").lower().replace("-", "").replace("_", "").replace(" ", "")
        if "pushup" not in label or seq.layout.n_joints != 33 or seq.space != "image":
            return result
        from repcoach.pose.pushup_form import pushup_cues, pushup_form_features, summary

        size = aspect.get("frame_size")
        if not aspect.get("applied") and size:  # true angles even if the model is uncorrected
            seq = aspect_corrected(seq, size[0], size[1])
        info = summary(pushup_form_features(seq))
        if not size:
            info["note"] = ("angles measured on image coordinates of unknown proportions (no "
                            "frame size): give --frame-size WxH for true angles")  # fmt: skip
        result.extra["pushup_form"] = info
        reps = []
        for r in result.repetitions:
            if r.score is None or r.score < self.options.good_score:
                extra = pushup_cues(pushup_form_features(seq, r.start, r.end))
                r = replace(r, cues=(*r.cues, *extra))
            reps.append(r)
        return replace(result, repetitions=tuple(reps))

    @property
    def expects_aspect_correction(self) -> bool | None:
        """Whether the model was trained on aspect-corrected image coordinates: True / False,
        None when an old model folder does not say (assumed True when a size is given)."""
        cfg = self.models.config
        if not cfg.get("aspect_correct", True):
            return False
        n = cfg.get("aspect_corrected_clips")
        if n is not None:
            return int(n) > 0
        return None if cfg.get("data_form") == "indexed" else False

    def aspect_correct(
        self, seq: PoseSequence, frame_size: tuple[float, float] | None = None
    ) -> tuple[PoseSequence, dict[str, Any]]:
        """``seq`` with x (and z) multiplied by width/height when the model was trained so (as
        :mod:`repcoach.samples` does with index.csv sizes), and what was done. The size is
        ``frame_size`` if given, else the recording's own (``seq.frame_size``, e.g. from a pose
        CSV's side file), else ``options.frame_size``: the size measured from the recording's
        video beats a default set for all recordings."""
        given = (("argument", frame_size), ("recording", seq.frame_size),
                 ("options", self.options.frame_size))  # fmt: skip
        source, size = next(((k, _check_frame_size(v)) for k, v in given if v is not None),
                            (None, None))  # fmt: skip
        expects = self.expects_aspect_correction
        info: dict[str, Any] = {"model_expects": expects,
                                "frame_size": None if size is None else list(size),
                                "frame_size_source": source,
                                "applied": False, "warning": None}  # fmt: skip
        if expects is False or seq.space != "image":
            return seq, info
        if size is None:
            was = "was" if expects else "may have been (an older model folder does not say)"
            info["warning"] = (
                f"the model {was} trained on aspect-corrected landmarks (x scaled by frame "
                "width/height) but this recording's frame size is unknown: analysed "
                "uncorrected, so body proportions may differ from training; give the frame "
                "size (--frame-size WxH), or extract the pose with `repcoach extract` (it "
                "records the size in a .pose.json side file), for reliable results"
            )
            return seq, info
        info["applied"] = True
        return aspect_corrected(seq, size[0], size[1]), info

    def _with_aspect(self, result: ClipAnalysis, infos: dict[str, dict[str, Any]]):
        """Record the aspect correction in ``extra`` and surface its warnings."""
        result.extra["aspect"] = infos if len(infos) > 1 else next(iter(infos.values()))
        msgs = [f"{name}: {i['warning']}" if len(infos) > 1 else i["warning"]
                for name, i in infos.items() if i["warning"]]  # fmt: skip
        if msgs:
            result.extra.setdefault("warnings", []).extend(msgs)
            for m in msgs:
                warnings.warn(m, UserWarning, stacklevel=3)
        return result

    def analyze_views(
        self, frontal: PoseSequence, side: PoseSequence, *, side_offset_s: float = 0.0,
        frame_size: tuple[float, float] | None = None,
        side_frame_size: tuple[float, float] | None = None,
    ) -> ClipAnalysis:
        """Analyse the frontal and side views of one session together.

        Both views are put on one 30 FPS clock over the time both cover (``side_offset_s`` is
        added to the side view's timestamps first: positive when the side camera started
        later). Repetitions are segmented on one view (``segment_view``, by default the one
        with the stronger motion signal), the same spans are cut from both views, and the
        classifier's probabilities are averaged with ``view_weights`` (late fusion); voting and
        scoring then run as in :meth:`analyze`. Repetition frames and times are on the common
        clock (times in the frontal camera's clock). ``extra["views"]`` says which view was
        segmented; ``extra["view_probabilities"]`` holds each view's per-span probabilities.
        ``frame_size`` / ``side_frame_size``: each view's ``(width, height)`` for the aspect
        correction (else ``options.frame_size``).
        """
        from repcoach.video.io import MODEL_FPS
        from repcoach.video.views import combine_views, motion_strength

        for name, seq in (("frontal", frontal), ("side", side)):
            self._check_layout(seq)
            if seq.n_frames < 2:
                raise DataError(f"{name} view has {seq.n_frames} frame(s); need at least 2",
                                seq.source)
        frontal, aspect_f = self.aspect_correct(frontal, frame_size)
        side, aspect_s = self.aspect_correct(side, side_frame_size)
        try:
            f, sd = combine_views(frontal, side, fps=MODEL_FPS, side_offset_s=side_offset_s)
        except ValueError as e:
            raise DataError(f"cannot combine the two views: {e}", side.source) from None
        if f.n_frames < 2:
            raise DataError(f"the two views share only {f.n_frames} frame(s); need at least 2",
                            side.source)
        strength = {"frontal": motion_strength(f), "side": motion_strength(sd)}
        # same rule as repcoach.video.views.stronger_view, computed once
        stronger = "side" if strength["side"] > strength["frontal"] else "frontal"
        seg_name = self.options.segment_view
        if seg_name == "stronger":
            seg_name = stronger
        wf, ws = self.options.view_weights
        views = [_View("frontal", f, wf / (wf + ws)), _View("side", sd, ws / (wf + ws))]
        seg_seq = f if seg_name == "frontal" else sd
        reps = [r for r in self.segment(seg_seq) if r.end - r.start >= 2]
        info: dict[str, Any] = {
            "segmented_on": seg_name,
            "segment_view": self.options.segment_view,
            "stronger": stronger,
            "motion_strength": {k: round(float(v), 6) for k, v in strength.items()},
            "weights": {v.name: round(v.weight, 6) for v in views},
            "score": self.options.view_score,
            "side_offset_s": float(side_offset_s),
            "common_start_s": float(f.timestamps[0]),
            "common_frames": int(f.n_frames),
            "sources": {"frontal": frontal.source, "side": side.source},
        }
        result = self._analyze_views(views, reps, info, timeline=seg_seq, source=frontal.source)
        return self._with_aspect(result, {"frontal": aspect_f, "side": aspect_s})

    def _analyze_views(
        self, views: list[_View], reps: list[Repetition], info: dict[str, Any] | None,
        timeline: PoseSequence | None = None, source: str | None = None,
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
                    exercise=None, confidence=0.0, votes={}, repetitions=(),
                    source=source, extra=extra,
                )
            return self._analyze_spans(views, [], info, seq, source)

        spans = [(r.start, r.end) for r in reps]
        probs, xs, view_probs, w = self._classify(views, spans)
        exercise, confidence, votes = vote(probs, self.models.classes,
                                           self.options.min_rep_probability)
        rep_labels = [self.models.classes[int(i)] for i in probs.argmax(-1)]
        scorer_labels = rep_labels if self.options.scorer_label == "rep" else [exercise] * len(reps)
        scores, view_scores = self._score_views(views, xs, w, scorer_labels,
                                                self._score_only(info),
                                                self._view_extra_values(views, spans))
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
        if info is not None:
            self._view_extra(extra, info, views, view_probs, w, view_scores)
        return ClipAnalysis(
            exercise=exercise, confidence=confidence, votes=votes, repetitions=tuple(out),
            source=source, modality="pose", extra=extra,
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
        x = repetition_inputs(
            seq, list(spans), self.models.seq_len, self.resample_method, self.presence,
            self.root_motion,
        )
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
    def _extra_values(
        self, seq: PoseSequence, spans: Sequence[tuple[int, int]]
    ) -> np.ndarray | None:
        """The scorers' extra input values for ``spans`` of ``seq`` (None when they have none):
        durations from the timestamps, relative to the median over this recording's spans."""
        names = self.models.scorer_inputs
        if not names:
            return None
        from repcoach.models.scorer_inputs import span_values

        return span_values(names, seq, spans)

    def _view_extra_values(
        self, views: Sequence[_View], spans: Sequence[tuple[int, int]]
    ) -> list[np.ndarray | None]:
        """:meth:`_extra_values` of every view: the views share one clock (same durations),
        but form features are measured on each view's own landmarks."""
        return [self._extra_values(v.seq, spans) for v in views]

    def _score(
        self, x: np.ndarray, labels: Sequence[str | None], extra: np.ndarray | None = None
    ) -> list[float | None]:
        scores: list[float | None] = [None] * len(labels)
        if extra is not None:
            from repcoach.models.scorer_inputs import append_channels

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

    def span_weights(self, views: Sequence[_View], spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """``(n_spans, n_views)`` fusion weights, rows summing to 1: each view's weight, set to
        0 in a span where fewer than ``min_view_detected`` of its frames have a detected pose
        (unless every view falls short there)."""
        base = np.array([v.weight for v in views], np.float64)
        w = np.tile(base, (len(spans), 1))
        if len(views) > 1 and self.options.min_view_detected > 0:
            for i, (s, e) in enumerate(spans):
                ok = np.array([v.seq.detected[s:e].mean() >= self.options.min_view_detected
                               for v in views])
                if (base * ok).sum() > 0:
                    w[i] = base * ok
        return w / w.sum(axis=1, keepdims=True)

    def _classify(
        self, views: Sequence[_View], spans: Sequence[tuple[int, int]]
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

    def _score_views(
        self, views: Sequence[_View], xs: Sequence[np.ndarray], w: np.ndarray,
        labels: Sequence[str | None], only: str | None = None,
        extras: Sequence[np.ndarray | None] | None = None,
    ) -> tuple[list[float | None], list[list[float | None]]]:
        """Scores of every span: one view's scorer output, or for two views their mean weighted
        like the probabilities (``view_score="mean"``) or only the view named ``only`` (the
        stronger view for ``view_score="stronger"``). Also returns each view's own scores.
        ``extras``: per view, the scorers' extra input values per span (or None)."""
        extras = list(extras) if extras is not None else [None] * len(xs)
        per_view = [self._score(x, labels, e) for x, e in zip(xs, extras, strict=True)]
        if len(views) == 1:
            return per_view[0], per_view
        if only is not None:
            w = np.zeros_like(w)
            w[:, [v.name for v in views].index(only)] = 1.0
        fused: list[float | None] = []
        for i in range(len(labels)):
            vals = [(per_view[v][i], w[i, v]) for v in range(len(views))]
            vals = [(s, wt) for s, wt in vals if s is not None and wt > 0]
            if not vals:
                fused.append(None)
                continue
            tot = sum(wt for _, wt in vals)
            fused.append(float(sum(s * wt for s, wt in vals) / tot))
        return fused, per_view

    def _score_only(self, info: dict[str, Any] | None) -> str | None:
        """The view whose score alone counts (``view_score="stronger"``), else None."""
        if info is None or self.options.view_score != "stronger":
            return None
        return str(info["stronger"])

    def _view_extra(
        self, extra: dict[str, Any], info: dict[str, Any], views: Sequence[_View],
        view_probs: Sequence[np.ndarray], w: np.ndarray,
        view_scores: Sequence[list[float | None]] | None,
    ) -> None:
        """Per-view results of a two-view analysis, aligned with the repetitions / windows."""
        classes = self.models.classes
        base = np.array([v.weight for v in views])
        info = dict(info)
        changed = {i: {v.name: round(float(w[i, j]), 6) for j, v in enumerate(views)}
                   for i in range(len(w)) if not np.allclose(w[i], base)}
        if changed:
            info["reweighted_spans"] = changed
        extra["views"] = info
        extra["view_probabilities"] = {
            v.name: [_named(p, classes) for p in view_probs[j]] for j, v in enumerate(views)
        }
        extra["view_mean_probabilities"] = {
            v.name: _named(view_probs[j].mean(0), classes) for j, v in enumerate(views)
        }
        if view_scores is not None:
            extra["view_scores"] = {v.name: list(view_scores[j]) for j, v in enumerate(views)}

    def _analyze_spans(
        self, views: Sequence[_View], reps: list[Repetition], info: dict[str, Any] | None,
        seq: PoseSequence, source: str | None,
    ) -> ClipAnalysis:
        """Classify windows (or the whole clip) instead of repetitions: for models trained on
        windows / whole clips, and as the fallback when a repetition model finds no repetition.
        Windows are scored only when the model was trained on windows (a repetition scorer
        says nothing about an arbitrary 2 s cut)."""
        whole = self.clip_mode == "whole"
        spans = [(0, seq.n_frames)] if whole else window_spans(seq, self.window_s, self.hop_s)
        probs, xs, view_probs, w = self._classify(views, spans)
        exercise, confidence, votes = vote(probs, self.models.classes,
                                           self.options.min_rep_probability)
        scores, view_scores = None, None
        if self.clip_mode != "reps":
            scores, view_scores = self._score_views(views, xs, w, [exercise] * len(spans),
                                                    self._score_only(info),
                                                    self._view_extra_values(views, spans))
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
            over = "the whole clip" if whole else "windows"
            what = ("the exercise is voted over" if self.exercise_source == "classifier"
                    else "scores are given for")  # fmt: skip
            extra["note"] = (
                f"the model was trained on {'whole clips' if whole else 'windows'}: {what} "
                f"{over}; repetitions are counted by segmentation, not scored"
            )
            for r in reps:
                start_s, end_s = _times(seq, r)
                out.append(Repetition(start=r.start, end=r.end, start_s=start_s, end_s=end_s,
                                      label=exercise))
        if info is not None:
            self._view_extra(extra, info, views, view_probs, w, view_scores)
        return ClipAnalysis(
            exercise=exercise, confidence=confidence, votes=votes, repetitions=tuple(out),
            source=source, modality="pose", extra=extra,
        )

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
    frame_size: tuple[float, float] | None = None, **extract_kwargs: Any,
) -> ClipAnalysis:
    """Analyse a pose CSV or a video (``.mp4/.avi/.mov/.mkv``: pose extracted first).
    ``frame_size`` defaults to the video's size, or the pose CSV's recorded one (side file)."""
    seq = load_recording(path, **extract_kwargs)
    size = frame_size if frame_size is not None else recording_frame_size(path)
    return Analyzer(model_dir, options=options).analyze(seq, frame_size=size)


def recording_frame_size(path: str | Path) -> tuple[float, float] | None:
    """``(width, height)`` of a video's decoded frames (what the pose extractor saw); None for
    a pose CSV (its size, when ``repcoach extract`` recorded it, comes with the sequence from
    the ``.pose.json`` side file: ``PoseSequence.frame_size``)."""
    if not is_video(path):
        return None
    from repcoach.video.io import probe_video

    info = probe_video(path)
    return (float(info.width), float(info.height)) if info.width and info.height else None


def parse_frame_size(text: str) -> tuple[float, float]:
    """``"1280x720"`` -> ``(1280.0, 720.0)``; ValueError for anything else."""
    parts = text.lower().replace("\u00d7", "x").split("x")
    try:
        if len(parts) != 2:
            raise ValueError
        return _check_frame_size((float(parts[0]), float(parts[1])))
    except ValueError:
        raise ValueError(f"expected WIDTHxHEIGHT in pixels (e.g. 1280x720), got {text!r}") from None


def _check_frame_size(size: Sequence[float]) -> tuple[float, float]:
    w, h = (float(v) for v in size)
    if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
        raise ValueError(f"frame size must be two positive numbers (width, height), got {size}")
    return w, h


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
