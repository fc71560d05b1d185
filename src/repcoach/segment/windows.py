"""Sliding windows over a recording: the one window cutter for training samples and analysis."""

from __future__ import annotations

import numpy as np

from repcoach.types import PoseSequence


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
