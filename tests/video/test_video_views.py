"""Frontal + side views on one clock, and which view moves more."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence
from repcoach.video.views import combine_views, motion_strength, stronger_view


def _moving(ts, amp=0.1, freq=1.0, phase=0.0):
    """A standing body whose wrists swing with amplitude ``amp`` (x = 0.5 +- ...)."""
    ts = np.asarray(ts, float)
    c = np.full((len(ts), 33, 3), 0.5, np.float32)
    names = MEDIAPIPE_33.joint_names
    c[:, names.index("left_shoulder"), 1] = 0.3
    c[:, names.index("right_shoulder"), 1] = 0.3
    c[:, names.index("left_hip"), 1] = 0.6
    c[:, names.index("right_hip"), 1] = 0.6
    for w in ("left_wrist", "right_wrist"):
        c[:, names.index(w), 0] = 0.5 + amp * np.sin(2 * np.pi * freq * ts + phase)
    return PoseSequence(c, ts, MEDIAPIPE_33)


def test_combine_views_common_clock_and_trim():
    frontal = _moving(np.arange(0, 90) / 30.0)  # 0 .. 2.967 s at 30 FPS
    side = _moving(0.5 + np.arange(0, 60) / 25.0)  # 0.5 .. 2.86 s at 25 FPS
    f, s = combine_views(frontal, side)
    assert f.n_frames == s.n_frames
    np.testing.assert_array_equal(f.timestamps, s.timestamps)
    assert f.timestamps[0] == pytest.approx(0.5)
    assert f.timestamps[-1] <= 2.86 + 1e-9
    np.testing.assert_allclose(np.diff(f.timestamps), 1 / 30, atol=1e-9)
    # The same instant shows the same (time-defined) wrist position in both views.
    wi = MEDIAPIPE_33.index("left_wrist")
    np.testing.assert_allclose(f.coords[:, wi, 0], s.coords[:, wi, 0], atol=2e-3)


def test_combine_views_with_offset_and_no_overlap():
    frontal = _moving(np.arange(30) / 30.0)
    side = _moving(np.arange(30) / 30.0)
    f, s = combine_views(frontal, side, side_offset_s=0.5)
    assert f.timestamps[0] == pytest.approx(0.5) and f.n_frames == s.n_frames
    with pytest.raises(ValueError, match="do not overlap"):
        combine_views(frontal, side, side_offset_s=5.0)


def test_stronger_view_picks_larger_motion():
    ts = np.arange(60) / 30.0
    big, small = _moving(ts, amp=0.2), _moving(ts, amp=0.02)
    assert motion_strength(big) > motion_strength(small) > 0
    assert stronger_view(small, big) == "side"
    assert stronger_view(big, small) == "frontal"
