"""MultiRocket transform as Keras layers: each pooling operator equals its plain numpy
definition, the classifier learns a toy task, reloads without custom objects, and exports to
TFLite (fp32 and int8) agreeing with Keras."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.toy_series import assert_reloads_and_exports
from helpers.toy_series import toy_sines as _toy

N_FEATURES = 8 * 84  # one bias per kernel and dilation group: small and fast


def test_pooling_reference_on_a_hand_example():
    """The numpy reference itself: z = conv - bias known, so every operator by hand."""
    from repcoach.models import multirocket as mr

    x = np.zeros((12, 1), np.float32)
    x[[1, 2, 3, 7], 0] = 1.0  # kernel 0 = [2, 2, 2, -1 x 6], dilation 1, zero padded
    spec = mr.fit_multi_spec(np.repeat(x[None], 2, axis=0), N_FEATURES, seed=0)
    di, k = 0, 0
    assert spec.raw.padded[di, k]
    spec.raw.biases[di][k, 0] = 0.5
    z = mr.conv_reference(x, spec.raw, di, k) - 0.5
    pos = np.flatnonzero(z > 0)
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, z > 0, 0])))[::2]
    assert mr.pooling_reference(x, spec, "raw", "ppv", di, k, 0) == pytest.approx(len(pos) / 12)
    assert mr.pooling_reference(x, spec, "raw", "mpv", di, k, 0) == pytest.approx(z[pos].mean())
    assert mr.pooling_reference(x, spec, "raw", "mipv", di, k, 0) == pytest.approx(pos.mean())
    assert mr.pooling_reference(x, spec, "raw", "lspv", di, k, 0) == runs.max()
    spec.raw.biases[di][k, 0] = 1e6  # nothing positive
    assert [mr.pooling_reference(x, spec, "raw", op, di, k, 0) for op in mr.POOLING] == [
        0.0, 0.0, -1.0, 0.0]  # fmt: skip


def test_keras_features_equal_numpy_reference_of_every_operator():
    from repcoach.models.multirocket import (
        POOLING,
        fit_multi_spec,
        multirocket_features,
        pooling_reference,
    )

    x, _ = _toy(16)
    spec = fit_multi_spec(x, N_FEATURES, seed=3)
    spec.raw.biases[0][0, 0] = 1e6  # one feature with no positive value (MPV 0, MIPV -1)
    table = spec.feature_table()
    assert len(table) == spec.n_features == 4 * 2 * spec.raw.n_features
    f = multirocket_features(spec, x[:3])
    assert f.shape == (3, spec.n_features)
    rng = np.random.default_rng(0)
    cols = list(rng.choice(len(table), 160, replace=False))
    cols += [i for i, row in enumerate(table) if row[0] == "raw" and row[2:] == (0, 0, 0)]
    seen, exact = set(), 0
    for col in cols:
        rep, op, di, k, j = table[col]
        seen.add((rep, op))
        for i in range(3):
            ref = pooling_reference(x[i], spec, rep, op, di, k, j)
            exact += f[i, col] == pytest.approx(ref, rel=1e-4, abs=1e-4)
    assert seen == {(r, o) for r in ("raw", "diff") for o in POOLING}
    assert exact >= 0.97 * 3 * len(cols)  # exact but for outputs lying on the bias itself
    none = [i for i, row in enumerate(table) if row[0] == "raw" and row[2:] == (0, 0, 0)]
    assert [f[0, i] for i in none] == pytest.approx([0.0, 0.0, -1.0, 0.0], abs=1e-5)
    split = multirocket_features(spec, x[:3], float_int8=True)  # Conv1Ds kept float in int8
    assert np.mean(np.isclose(split, f, rtol=1e-4, atol=1e-4)) >= 0.99


@pytest.mark.slow
def test_multirocket_classifier_fit_reload_export(tmp_path):
    from repcoach.models.classifier import PoseClassifier
    from repcoach.models.multirocket import fit_multirocket

    x, y = _toy(64)
    xt, yt = _toy(32, seed=1)
    clf = PoseClassifier(arch="multirocket", seed=0)
    clf.fit(x[:48], y[:48], x[48:], y[48:])
    assert clf.model_.name == "multirocket_classifier" and clf.val_in_fit_
    assert clf.score(xt, yt) >= 0.85  # chance 0.5
    small, _ = fit_multirocket(x, (y == "fast").astype(int), 2, n_features=N_FEATURES)
    ref = small.predict_on_batch(xt)
    assert np.mean(ref.argmax(1) == (yt == "fast")) >= 0.85
    assert_reloads_and_exports(small, xt, tmp_path)


@pytest.mark.slow
def test_imu_multirocket_and_cross_family_names():
    from repcoach.imu.model import ImuClassifier, imu_arch_members
    from repcoach.models.classifier import arch_members

    assert arch_members("multirocket+cnn_deep") == ("multirocket", "cnn_deep")
    assert imu_arch_members("multirocket+rocket") == ("multirocket", "rocket")
    x, y = _toy(48)
    scale = np.array([100.0, 0.01, 1.0, 5.0, 1.0], np.float32)  # raw units differ per channel
    clf = ImuClassifier(arch="multirocket", seed=0).fit(x[:32] * scale + 3.0, y[:32])
    assert clf.model_.layers[1].name == "normalise" and clf.model_.name == "imu_multirocket"
    assert np.mean(clf.predict(x[32:] * scale + 3.0) == y[32:]) >= 0.85  # chance 0.5
    with pytest.raises(ValueError, match="raw channels"):
        ImuClassifier(arch="multirocket", channels=("acc_x", "acc_y", "acc_z"),
                      derived=True).fit(x[:8, :, :3], y[:8])  # fmt: skip
