"""The simple streaming counter: same repetitions as the offline segmenter, emitted in order."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.tiny_model_dir import arm_swings
from repcoach.segment import segment_repetitions
from repcoach.segment.live_counter import RerunCounter, make_counter


def test_streaming_count_matches_offline_and_waits_for_the_end():
    seq = arm_swings(seconds=12.0)
    offline = segment_repetitions(seq)
    counter = make_counter(fps=30.0)
    assert isinstance(counter, RerunCounter)
    emitted = []
    for t, c in zip(seq.timestamps, seq.coords, strict=True):
        for r in counter.push(t, c):
            assert r.end_s <= t - counter.settle_s + 1e-9  # only settled repetitions
            emitted.append(r)
    emitted += counter.finish()
    assert counter.count == len(emitted)
    assert abs(len(emitted) - len(offline)) <= 1 and len(offline) >= 4
    ends = [r.end_s for r in emitted]
    assert ends == sorted(ends)
    assert all(b.start_s >= a.end_s - 0.1 for a, b in zip(emitted, emitted[1:], strict=False))
    # frame indices are on the counter's own 30 FPS clock from the first timestamp
    assert all(r.start == round(r.start_s * 30) for r in emitted)


def test_irregular_timestamps_missing_frames_and_bad_pushes():
    seq = arm_swings(seconds=10.0, fps=30.0)
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(seq.n_frames, size=seq.n_frames // 2, replace=False))  # ~15 fps
    counter = RerunCounter(fps=30.0)
    for i in keep:
        coords = seq.coords[i].copy()
        if i % 17 == 0:
            coords[:] = np.nan  # nobody in this frame
        counter.push(seq.timestamps[i], coords)
    assert counter.push(seq.timestamps[keep[0]], seq.coords[0]) == []  # not after the last
    counter.finish()
    assert abs(counter.count - len(segment_repetitions(seq))) <= 1
    with pytest.raises(ValueError, match="differs"):
        counter.push(99.0, np.zeros((13, 2)))
    with pytest.raises(ValueError, match="fps"):
        RerunCounter(fps=0)


def test_still_body_counts_nothing():
    seq = arm_swings(seconds=6.0)
    counter = RerunCounter()
    for t in seq.timestamps:
        counter.push(t, seq.coords[0])
    assert counter.finish() == [] and counter.count == 0
