"""Per-frame push-up form signals: what they measure on constructed push-ups, invariances."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.pose.pushup_signals import (
    SIGNAL_REFERENCE,
    SIGNALS,
    form_signals,
    raw_signals,
    zscore_per_clip,
)
from repcoach.skeleton import PENN_13
from repcoach.types import PoseSequence

from .test_pushup_form import pushups


def test_signals_measure_sag_and_depth_per_frame():
    good, sag = raw_signals(pushups()), raw_signals(pushups(hip_drop=0.05))
    assert good.shape == (60, len(SIGNALS))
    i = SIGNALS.index
    assert np.all(good[:, i("body_angle")] > 170) and np.all(sag[:, i("body_angle")] < 170)
    assert np.all(np.abs(good[:, i("hip_offset")]) < 0.01)
    assert np.all(sag[:, i("hip_offset")] > 0.05)
    elbow = good[:, i("elbow_angle")]
    assert elbow.min() == pytest.approx(60, abs=2) and elbow.max() == pytest.approx(170, abs=2)
    # shoulders lowest (image y largest) where the elbow bends most
    assert np.argmin(good[:, i("shoulder_height")]) == pytest.approx(np.argmin(elbow), abs=2)


def test_mirrored_and_scaled_bodies_give_the_same_signals():
    a = form_signals(pushups(hip_drop=0.03))
    b = form_signals(pushups(hip_drop=0.03, facing_right=True))
    np.testing.assert_allclose(a, b, atol=1e-4)
    seq = pushups(hip_drop=0.03, n=90)  # other frame count: time-normalised to 64
    c = PoseSequence.from_array(np.asarray(seq.coords) * 0.5 + 0.1, seq.layout, fps=25.0)
    got = form_signals(c)
    assert got.shape == (64, len(SIGNALS)) and got.dtype == np.float32
    np.testing.assert_allclose(got, a, atol=0.1)  # 2 degrees


def test_scaling_missing_frames_and_layout():
    seq = pushups()
    x = form_signals(seq)
    ref, scale = SIGNAL_REFERENCE["knee_angle"]
    raw = raw_signals(seq)[:, SIGNALS.index("knee_angle")]
    assert x[:, SIGNALS.index("knee_angle")].mean() == pytest.approx(
        (raw.mean() - ref) / scale, abs=0.05)
    coords = np.asarray(seq.coords).copy()
    coords[10:20] = np.nan  # a gap without a pose, and ankles never seen
    coords[:, [27, 28]] = np.nan
    gap = form_signals(PoseSequence.from_array(coords, seq.layout, fps=30.0))
    assert np.isfinite(gap).all()
    assert np.all(gap[:, SIGNALS.index("body_angle")] == 0.0)  # unmeasurable -> reference
    empty = PoseSequence.from_array(np.full((5, 33, 3), np.nan, np.float32), seq.layout)
    assert np.all(form_signals(empty, length=8) == 0) and form_signals(empty, 8).shape == (8, 7)
    with pytest.raises(ValueError):
        raw_signals(PoseSequence.from_array(np.zeros((5, 13, 3), np.float32), PENN_13))


def test_zscore_per_clip():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(4, 50, 3))
    x[:, :, 2] = 7.0  # a still channel
    z = zscore_per_clip(x)
    np.testing.assert_allclose(z[:, :, :2].mean(1), 0, atol=1e-5)
    np.testing.assert_allclose(z[:, :, :2].std(1), 1, atol=1e-4)
    assert np.all(z[:, :, 2] == 0)


def test_depth_makes_angles_independent_of_the_camera_direction():
    seq = pushups(hip_drop=0.04)
    c = np.asarray(seq.coords).astype(np.float64)
    a = np.radians(60)  # the body turned 60 degrees about the vertical axis
    x0 = c[..., 0] - 0.6
    turned = c.copy()
    turned[..., 0], turned[..., 2] = 0.6 + x0 * np.cos(a), x0 * np.sin(a)
    rot = PoseSequence.from_array(turned.astype(np.float32), seq.layout, fps=30.0)
    i = SIGNALS.index("body_angle")
    flat, flat_rot = raw_signals(seq)[:, i], raw_signals(rot)[:, i]
    deep, deep_rot = raw_signals(seq, dims=3)[:, i], raw_signals(rot, dims=3)[:, i]
    np.testing.assert_allclose(deep_rot, deep, atol=1e-3)
    np.testing.assert_allclose(deep, flat, atol=1e-3)  # no depth in the original
    assert np.abs(flat_rot - flat).max() > 5  # foreshortened in the image
    with pytest.raises(ValueError):
        raw_signals(seq, dims=4)
