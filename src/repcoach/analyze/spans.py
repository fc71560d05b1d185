"""Analysis over sliding windows or the whole clip, for models trained on windows / whole clips
and when a repetition model finds no repetition (a mixin of ``Analyzer``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from repcoach.analyze.options import View
from repcoach.analyze.vote import named_values, span_times, vote
from repcoach.segment.windows import window_spans
from repcoach.types import ClipAnalysis, PoseSequence, Repetition


class SpanAnalysis:
    """Windows / whole-clip classification and scoring."""

    def _analyze_spans(
        self,
        views: Sequence[View],
        reps: list[Repetition],
        info: dict[str, Any] | None,
        seq: PoseSequence,
        source: str | None,
    ) -> ClipAnalysis:
        """Classify windows (or the whole clip) instead of repetitions: for models trained on
        windows / whole clips, and as the fallback when a repetition model finds no repetition.
        Windows are scored only when the model was trained on windows (a repetition scorer
        says nothing about an arbitrary 2 s cut)."""
        whole = self.clip_mode == "whole"
        spans = [(0, seq.n_frames)] if whole else window_spans(seq, self.window_s, self.hop_s)
        probs, xs, view_probs, w = self._classify(views, spans)
        exercise, confidence, votes = vote(
            probs, self.models.classes, self.options.min_rep_probability
        )
        scores, view_scores = None, None
        if self.clip_mode != "reps":
            scores, view_scores = self._score_views(
                views,
                xs,
                w,
                [exercise] * len(spans),
                self._score_only(info),
                self._view_extra_values(views, spans),
            )
        windows = []
        for i, ((s, e), p) in enumerate(zip(spans, probs, strict=True)):
            start_s, end_s = span_times(seq, Repetition(start=s, end=e))
            windows.append(
                {
                    "start_frame": s,
                    "end_frame": e,
                    "start_s": start_s,
                    "end_s": end_s,
                    "label": self.models.classes[int(p.argmax())],
                    "probability": float(p.max()),
                    "score": None if scores is None else scores[i],
                }
            )
        kind = "whole" if whole else "windows"
        extra = self._extra(kind, windows)
        extra["mean_probabilities"] = named_values(probs.mean(0), self.models.classes)
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
                start_s, end_s = span_times(seq, r)
                out.append(
                    Repetition(
                        start=r.start, end=r.end, start_s=start_s, end_s=end_s, label=exercise
                    )
                )
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
