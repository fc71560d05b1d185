"""Late fusion math: weights, rules, missing modality -> the other alone."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.imu.fusion import LateFusion, fuse_probabilities, fusion_table

P_POSE = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]])
P_IMU = np.array([[0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])


def test_weighted_mean() -> None:
    out = fuse_probabilities({"pose": P_POSE, "imu": P_IMU})
    np.testing.assert_allclose(out, (P_POSE + P_IMU) / 2)
    out = fuse_probabilities({"pose": P_POSE, "imu": P_IMU}, {"pose": 3, "imu": 1})
    np.testing.assert_allclose(out, (3 * P_POSE + P_IMU) / 4)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # zero weight = ignore that modality
    np.testing.assert_allclose(fuse_probabilities({"pose": P_POSE, "imu": P_IMU}, {"imu": 0}),
                               P_POSE)


def test_product_rule() -> None:
    out = fuse_probabilities({"pose": P_POSE, "imu": P_IMU}, rule="product")
    expected = np.sqrt(P_POSE * P_IMU)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-9)
    # the product rule lets a confident modality veto a class the mean would pick
    a, b = np.array([0.9, 0.1, 0.0]), np.array([0.0, 0.5, 0.5])
    assert np.argmax(fuse_probabilities({"a": a, "b": b}, rule="mean")) == 0
    assert np.argmax(fuse_probabilities({"a": a, "b": b}, rule="product")) == 1


def test_missing_modality_falls_back_to_the_other() -> None:
    np.testing.assert_allclose(fuse_probabilities({"pose": None, "imu": P_IMU}), P_IMU)
    pose = P_POSE.copy()
    pose[1] = np.nan  # no pose for the second clip
    out = fuse_probabilities({"pose": pose, "imu": P_IMU}, {"pose": 2.0})
    np.testing.assert_allclose(out[0], (2 * P_POSE[0] + P_IMU[0]) / 3)
    np.testing.assert_allclose(out[1], P_IMU[1])
    both = fuse_probabilities({"pose": pose, "imu": np.full_like(P_IMU, np.nan)})
    assert np.isnan(both[1]).all() and np.isfinite(both[0]).all()
    pred = LateFusion(["a", "b", "c"]).predict(pose=pose, imu=np.full_like(P_IMU, np.nan))
    assert list(pred) == ["a", None]


def test_single_vector_and_errors() -> None:
    out = fuse_probabilities({"pose": P_POSE[0], "imu": P_IMU[0]})
    assert out.shape == (3,)
    with pytest.raises(ValueError):
        fuse_probabilities({"pose": P_POSE, "imu": P_IMU[:, :2]})
    with pytest.raises(ValueError):
        fuse_probabilities({"pose": P_POSE}, {"pose": -1})
    with pytest.raises(ValueError):
        fuse_probabilities({"pose": P_POSE}, rule="max")
    with pytest.raises(ValueError):
        fuse_probabilities({"pose": None})


def test_fusion_table_rows() -> None:
    y = ["a", "c"]
    rows = fusion_table(y, {"clean": {"pose": P_POSE, "imu": P_IMU}}, ["a", "b", "c"])
    acc = {r["method"]: r["accuracy"] for r in rows}
    assert acc["pose only"] == 0.5 and acc["imu only"] == 0.5
    assert set(acc) == {"pose only", "imu only", "fused (mean)", "fused (product)"}


def test_fusion_beats_each_modality_when_their_errors_differ() -> None:
    """The hard setting the experiment measures: each modality wrong (but unsure) on other
    clips; the mean rule recovers them, the table reports every method per condition."""
    classes = ["a", "b", "c"]
    y = ["a", "b", "c", "a"]
    pose = np.array([[0.4, 0.5, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.9, 0.05, 0.05]])
    imu = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.5, 0.4], [0.4, 0.5, 0.1]])
    rows = fusion_table(y, {"both noisy": {"pose": pose, "imu": imu}}, classes)
    acc = {r["method"]: r["accuracy"] for r in rows}
    assert acc["pose only"] == 0.75 and acc["imu only"] == 0.5
    assert acc["fused (mean)"] == 1.0 > max(acc["pose only"], acc["imu only"])
    assert all(r["condition"] == "both noisy" and r["n"] == 4 for r in rows)
