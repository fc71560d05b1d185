"""Per-repetition cues: the score band, label disagreement, push-up form rules and the feedback
model's per-joint cues (a mixin of ``Analyzer``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from repcoach.data.samples import aspect_corrected
from repcoach.feedback.runtime import repetition_cues
from repcoach.pose.pushup_form import pushup_cues, pushup_form_features, summary
from repcoach.types import ClipAnalysis, PoseSequence


class CueRules:
    """The rule-based cues attached to each repetition."""

    def _with_pushup_form(
        self, result: ClipAnalysis, seq: PoseSequence, aspect: dict[str, Any]
    ) -> ClipAnalysis:
        """Add push-up form features and cues (clip and repetitions) for push-up clips."""
        label = (result.exercise or "").lower().replace("-", "").replace("_", "").replace(" ", "")
        if "pushup" not in label or seq.layout.n_joints != 33 or seq.space != "image":
            return result

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

    def cues(
        self,
        score: float | None,
        label: str,
        probability: float,
        exercise: str | None,
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

    def _with_feedback(
        self, result: ClipAnalysis, raw: PoseSequence, aspect: dict[str, Any]
    ) -> ClipAnalysis:
        """Append the feedback model's cues (:mod:`repcoach.feedback`) to every repetition."""
        if self.feedback is None or result.exercise is None or not result.repetitions:
            return result
        size = aspect.get("frame_size")
        spans = [(r.start, r.end) for r in result.repetitions]
        cues = repetition_cues(self.feedback, result.exercise, raw, spans,
                               tuple(size) if size else None)
        reps = tuple(replace(r, cues=(*r.cues, *c))
                     for r, c in zip(result.repetitions, cues, strict=True))
        return replace(result, repetitions=reps)
