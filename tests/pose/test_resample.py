"""Fixed-length model input: shapes, interpolation, pad/truncate semantics, the full chain."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.procedural_pose import make_sequence
from repcoach.errors import DataError
from repcoach.pose import preprocess
from repcoach.pose.resample import (
    presence_features,
    repetition_inputs,
    resample,
    to_model_input,
)
from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence


@pytest.mark.parametrize(("layout", "width"), [(MEDIAPIPE_33, 99), (PENN_13, 26)])
@pytest.mark.parametrize("n", [7, 30, 55])
@pytest.mark.parametrize("method", ["interpolate", "pad", "truncate"])
def test_shapes(layout, width, n, method) -> None:
    seq = PoseSequence.from_array(
        np.random.default_rng(n).random((n, layout.n_joints, layout.dims)), layout
    )
    out = resample(seq, 30, method)
    assert out.shape == (30, width) and out.dtype == np.float32


def test_interpolate_keeps_ends_and_is_linear_in_time() -> None:
    n = 47
    feats = np.linspace(0, 1, n)[:, None] * np.arange(1, 100)[None, :]
    out = resample(feats, 30)
    np.testing.assert_allclose(out[0], feats[0], atol=1e-6)
    np.testing.assert_allclose(out[-1], feats[-1], atol=1e-4)
    np.testing.assert_allclose(out, np.linspace(0, 1, 30)[:, None] * np.arange(1, 100), atol=1e-4)


def test_interpolate_follows_timestamps() -> None:
    t = np.array([0.0, 0.1, 1.0])  # a late last frame
    seq = PoseSequence(np.array([0.0, 1.0, 10.0])[:, None, None] * np.ones((1, 13, 2)), t, PENN_13)
    out = resample(seq, 11)
    np.testing.assert_allclose(out[:, 0], np.arange(11.0), atol=1e-5)


def test_pad_and_truncate() -> None:
    short = np.arange(1, 11, dtype=float)[:, None] * np.ones((1, 26))
    long = np.arange(1, 41, dtype=float)[:, None] * np.ones((1, 26))
    padded = resample(short, 30, "pad")
    np.testing.assert_array_equal(padded[:10], short)
    assert (padded[10:] == 0).all()
    edge = resample(short, 30, "truncate")
    assert (edge[10:] == 10).all()
    for method in ("pad", "truncate"):
        np.testing.assert_array_equal(resample(long, 30, method), long[:30])


def test_nan_becomes_zero_and_bad_input_is_refused() -> None:
    x = np.ones((20, 26))
    x[:, 3] = np.nan
    out = resample(x, 30)
    assert np.isfinite(out).all() and (out[:, 3] == 0).all() and (out[:, 2] == 1).all()
    with pytest.raises(DataError):
        resample(np.zeros((0, 26)), 30)
    with pytest.raises(ValueError):
        resample(x, 30, "stretch")


def test_chain_to_model_input_and_per_repetition_inputs() -> None:
    seq, truth = make_sequence("jumping_jacks", [0.9, 1.1, 1.0])
    x = to_model_input(seq.slice(*truth[0]))
    assert x.shape == (30, 99) and np.isfinite(x).all()
    # Hip-centred: hips near the origin in every resampled frame.
    hips = x.reshape(30, 33, 3)[:, [23, 24], :2].mean(axis=1)
    assert np.abs(hips).max() < 0.05
    batch = repetition_inputs(seq, truth)
    assert batch.shape == (3, 30, 99)
    np.testing.assert_allclose(batch[0], x)
    # Same motion far away from the camera and smaller: same model input.
    far, _ = make_sequence("jumping_jacks", [0.9, 1.1, 1.0], scale=0.5, offset=(0.1, 0.05))
    np.testing.assert_allclose(repetition_inputs(far, truth), batch, atol=1e-4)
    assert preprocess(seq).space == "normalized"


def test_presence_channels_mark_missing_landmarks() -> None:
    rng = np.random.default_rng(3)
    coords = rng.random((20, PENN_13.n_joints, 2)).astype(np.float32)
    coords[:, 4] = np.nan  # never seen
    coords[5:8, 7] = np.nan  # a gap
    seq = PoseSequence.from_array(coords, PENN_13)
    feats = presence_features(seq)
    assert feats.shape == (20, 26 + 13)
    assert (feats[:, 26 + 4] == 0).all()
    assert (feats[5:8, 26 + 7] == 0).all() and (feats[:5, 26 + 7] == 1).all()
    out = to_model_input(seq, 30, presence=True, max_gap_s=0.0)
    assert out.shape == (30, 39) and np.isfinite(out).all()
    assert np.allclose(out[:, 26 + 4], 0.0) and np.allclose(out[:, :26].reshape(30, 13, 2)[:, 4], 0)
    assert np.allclose(out[:, 26:], np.clip(out[:, 26:], 0, 1))
    plain = to_model_input(seq, 30, max_gap_s=0.0)
    assert np.allclose(out[:, :26], plain, atol=1e-6)
    reps = repetition_inputs(seq, [(0, 10), (10, 20)], 16, presence=True)
    assert reps.shape == (2, 16, 39)
    assert repetition_inputs(seq, [], 16, presence=True).shape == (0, 16, 39)


def test_resample_array_uses_given_timestamps() -> None:
    x = np.array([[0.0], [1.0], [3.0]])
    t = np.array([0.0, 0.1, 0.3])  # values proportional to time: linear in t
    out = resample(x, 4, timestamps=t)
    assert np.allclose(out[:, 0], [0.0, 1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="timestamps"):
        resample(x, 4, timestamps=t[:2])


def test_root_motion_channels_follow_the_body_centre() -> None:
    """A body rising at a constant speed: the root channels are the centre's height relative
    to its mean, in torso lengths; where the person stands does not matter."""
    from repcoach.pose.normalize import torso_scale
    from repcoach.pose.resample import root_motion_features

    rng = np.random.default_rng(4)
    body = rng.random((1, PENN_13.n_joints, 2)).astype(np.float32) * 0.2
    t = np.arange(20, dtype=np.float32)
    coords = np.repeat(body, 20, axis=0)
    coords[:, :, 1] -= 0.01 * t[:, None]  # rises 0.01 per frame (image y points down)
    seq = PoseSequence.from_array(coords, PENN_13)
    root = root_motion_features(seq)
    scale = torso_scale(seq, dims=2)
    assert root.shape == (20, 2)
    np.testing.assert_allclose(root[:, 1], -0.01 * (t - t.mean()) / scale, atol=1e-5)
    np.testing.assert_allclose(root[:, 0], 0.0, atol=1e-6)
    moved = PoseSequence.from_array(coords + np.float32(0.3), PENN_13)
    np.testing.assert_allclose(root_motion_features(moved), root, atol=1e-5)
    # the chain: coordinates, presence, root motion, in that order; hip-centred coords unchanged
    both = to_model_input(seq, 30, presence=True, root_motion=True)
    assert both.shape == (30, 26 + 13 + 2)
    np.testing.assert_allclose(both[:, :39], to_model_input(seq, 30, presence=True), atol=1e-6)
    assert both[-1, 40] < both[0, 40]  # the centre rose
    assert repetition_inputs(seq, [(0, 10)], 16, root_motion=True).shape == (1, 16, 28)
    assert repetition_inputs(seq, [], 16, root_motion=True).shape == (0, 16, 28)
    empty = coords.copy()
    empty[3] = np.nan  # a frame without any landmark gets 0
    assert root_motion_features(PoseSequence.from_array(empty, PENN_13))[3].tolist() == [0, 0]
