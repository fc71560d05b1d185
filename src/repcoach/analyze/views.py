"""Two-view analysis (frontal + side camera of one session): one clock, segmentation on the
stronger view, probabilities and scores fused over the views (a mixin of ``Analyzer``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from repcoach.analyze.options import View
from repcoach.analyze.vote import named_values
from repcoach.errors import DataError
from repcoach.pose.evidence import no_person_result
from repcoach.types import ClipAnalysis, PoseSequence
from repcoach.video.io import MODEL_FPS
from repcoach.video.views import combine_views, motion_strength


class TwoViewAnalysis:
    """:meth:`analyze_views` and the per-view weights, scores and summary it needs."""

    def analyze_views(
        self,
        frontal: PoseSequence,
        side: PoseSequence,
        *,
        side_offset_s: float = 0.0,
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

        for name, seq in (("frontal", frontal), ("side", side)):
            self._check_layout(seq)
            if seq.n_frames < 2:
                raise DataError(
                    f"{name} view has {seq.n_frames} frame(s); need at least 2", seq.source
                )
        if (nobody := no_person_result([frontal, side], source=frontal.source)) is not None:
            return nobody
        frontal, aspect_f = self.aspect_correct(frontal, frame_size)
        side, aspect_s = self.aspect_correct(side, side_frame_size)
        try:
            f, sd = combine_views(frontal, side, fps=MODEL_FPS, side_offset_s=side_offset_s)
        except ValueError as e:
            raise DataError(f"cannot combine the two views: {e}", side.source) from None
        if f.n_frames < 2:
            raise DataError(
                f"the two views share only {f.n_frames} frame(s); need at least 2", side.source
            )
        strength = {"frontal": motion_strength(f), "side": motion_strength(sd)}
        # same rule as repcoach.video.views.stronger_view, computed once
        stronger = "side" if strength["side"] > strength["frontal"] else "frontal"
        seg_name = self.options.segment_view
        if seg_name == "stronger":
            seg_name = stronger
        wf, ws = self.options.view_weights
        views = [View("frontal", f, wf / (wf + ws)), View("side", sd, ws / (wf + ws))]
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

    def _view_extra_values(
        self, views: Sequence[View], spans: Sequence[tuple[int, int]]
    ) -> list[np.ndarray | None]:
        """:meth:`_extra_values` of every view: the views share one clock (same durations),
        but form features are measured on each view's own landmarks."""
        return [self._extra_values(v.seq, spans) for v in views]

    def span_weights(self, views: Sequence[View], spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """``(n_spans, n_views)`` fusion weights, rows summing to 1: each view's weight, set to
        0 in a span where fewer than ``min_view_detected`` of its frames have a detected pose
        (unless every view falls short there)."""
        base = np.array([v.weight for v in views], np.float64)
        w = np.tile(base, (len(spans), 1))
        if len(views) > 1 and self.options.min_view_detected > 0:
            for i, (s, e) in enumerate(spans):
                ok = np.array(
                    [v.seq.detected[s:e].mean() >= self.options.min_view_detected for v in views]
                )
                if (base * ok).sum() > 0:
                    w[i] = base * ok
        return w / w.sum(axis=1, keepdims=True)

    def _score_views(
        self,
        views: Sequence[View],
        xs: Sequence[np.ndarray],
        w: np.ndarray,
        labels: Sequence[str | None],
        only: str | None = None,
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

    def _view_extra(
        self,
        extra: dict[str, Any],
        info: dict[str, Any],
        views: Sequence[View],
        view_probs: Sequence[np.ndarray],
        w: np.ndarray,
        view_scores: Sequence[list[float | None]] | None,
    ) -> None:
        """Per-view results of a two-view analysis, aligned with the repetitions / windows."""
        classes = self.models.classes
        base = np.array([v.weight for v in views])
        info = dict(info)
        changed = {
            i: {v.name: round(float(w[i, j]), 6) for j, v in enumerate(views)}
            for i in range(len(w))
            if not np.allclose(w[i], base)
        }
        if changed:
            info["reweighted_spans"] = changed
        extra["views"] = info
        extra["view_probabilities"] = {
            v.name: [named_values(p, classes) for p in view_probs[j]] for j, v in enumerate(views)
        }
        extra["view_mean_probabilities"] = {
            v.name: named_values(view_probs[j].mean(0), classes) for j, v in enumerate(views)
        }
        if view_scores is not None:
            extra["view_scores"] = {v.name: list(view_scores[j]) for j, v in enumerate(views)}
