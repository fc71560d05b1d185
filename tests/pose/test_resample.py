"""Fixed-length model input: shapes, interpolation, pad/truncate semantics, the full chain."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.pose import preprocess
from repcoach.pose.resample import repetition_inputs, resample, to_model_input
from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procedural_pose import make_sequence  # noqa: E402


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
