"""Joint-angle series, phase alignment and per-repetition features."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.feedback.pose_features import (
    angle_series,
    phase_curve,
    rep_features,
    typical_durations,
)
from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence


def _body(layout, n=60, elbow_deg=None):
    """A standing 2D body; the left forearm swings so the left elbow angle follows
    ``elbow_deg`` (degrees per frame)."""
    c = np.zeros((n, layout.n_joints, layout.dims), np.float32)
    pos = {"left_shoulder": (0.55, 0.3), "right_shoulder": (0.45, 0.3), "left_hip": (0.53, 0.6),
           "right_hip": (0.47, 0.6), "left_knee": (0.53, 0.75), "right_knee": (0.47, 0.75),
           "left_ankle": (0.53, 0.9), "right_ankle": (0.47, 0.9), "left_elbow": (0.55, 0.45),
           "right_elbow": (0.45, 0.45), "left_wrist": (0.55, 0.6), "right_wrist": (0.45, 0.6),
           "nose": (0.5, 0.2), "head": (0.5, 0.2)}  # fmt: skip
    for name, (x, y) in pos.items():
        if layout.has(name):
            c[:, layout.index(name), :2] = (x, y)
    if elbow_deg is not None:
        a = np.radians(elbow_deg)  # angle at the elbow between upper arm (up) and forearm
        c[:, layout.index("left_wrist"), 0] = 0.55 + 0.15 * np.sin(a)
        c[:, layout.index("left_wrist"), 1] = 0.45 - 0.15 * np.cos(a)
    return PoseSequence.from_array(c, layout, fps=30.0)


def test_angles_are_measured_by_joint_name_in_any_layout():
    deg = np.linspace(180, 60, 60)
    for layout in (MEDIAPIPE_33, PENN_13):
        s = angle_series(_body(layout, elbow_deg=deg))
        np.testing.assert_allclose(s["elbow_l"], deg, atol=0.05)
        np.testing.assert_allclose(s["elbow_r"], 180.0, atol=0.05)  # straight arm
        np.testing.assert_allclose(s["knee_l"], 180.0, atol=0.05)
        np.testing.assert_allclose(s["trunk"], 0.0, atol=1e-3)  # upright
        assert "neck" in s  # nose (MediaPipe) or head (Penn)
    assert "twist" in angle_series(_body(MEDIAPIPE_33))  # image depth available


def test_phase_curve_time_normalises_and_fills_gaps():
    x = np.linspace(0.0, 1.0, 90)
    np.testing.assert_allclose(phase_curve(x, 11), np.linspace(0, 1, 11), atol=1e-9)
    y = x.copy()
    y[40:50] = np.nan
    np.testing.assert_allclose(phase_curve(y, 11), np.linspace(0, 1, 11), atol=1e-9)


def test_typical_duration_follows_drift_and_ignores_rushed_reps():
    normal = 1.0 * (1 + 0.15 * np.arange(10) / 9)  # fatigue: 15 % slower over the set
    d = normal.copy()
    d[[3, 7]] *= 0.6  # two rushed reps
    typ = typical_durations(d)
    np.testing.assert_allclose(typ[[0, 9]], normal[[0, 9]], rtol=0.03)
    tempo = np.log(d / typ)
    assert tempo[3] < -0.4 and tempo[7] < -0.4
    assert np.abs(np.delete(tempo, [3, 7])).max() < 0.03


def test_typical_duration_is_the_unhurried_pace_when_many_reps_are_rushed():
    rng = np.random.default_rng(1)
    normal = 2.0 * (1 + 0.1 * np.arange(12) / 11) * rng.uniform(0.97, 1.03, 12)
    d = normal.copy()
    rushed = [1, 2, 4, 5, 7, 9, 10]  # more than half the set rushed by 20-40 %
    d[rushed] *= rng.uniform(0.6, 0.8, len(rushed))
    tempo = np.log(d / typical_durations(d))
    calm = np.delete(tempo, rushed)
    assert tempo[rushed].max() < -0.15 < calm.min()
    # the median line (quantile 0.5) sits between the two groups and misses the rushed ones
    mid = np.log(d / typical_durations(d, quantile=0.5))
    assert mid[rushed].max() > -0.15


def test_rep_features_range_lr_difference_and_tempo():
    n = 90
    deg = np.concatenate([180 - 90 * np.sin(np.linspace(0, np.pi, 45)),
                          180 - 45 * np.sin(np.linspace(0, np.pi, 45))])
    seq = _body(MEDIAPIPE_33, n, deg)
    feats, curves = rep_features(angle_series(seq), seq.timestamps, [(0, 45), (45, 90)], "v.")
    for i, sl in enumerate((slice(0, 45), slice(45, 90))):  # robust range: p95 - p5
        want = np.percentile(deg[sl], 95) - np.percentile(deg[sl], 5)
        assert feats[i]["v.elbow_l.range"] == pytest.approx(want, abs=0.1)
    assert feats[0]["v.elbow.lr_range"] == pytest.approx(feats[0]["v.elbow_l.range"], abs=0.1)
    assert feats[0]["duration"] == pytest.approx(1.5)
    assert curves[0]["v.elbow_l"].shape == (32,)
