"""The clip's exercise from per-span probabilities (majority vote) and small result helpers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from repcoach.types import PoseSequence, Repetition


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


def span_times(seq: PoseSequence, r: Repetition) -> tuple[float, float]:
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


def named_values(values: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    return {c: round(float(v), 6) for c, v in zip(classes, values, strict=True)}
