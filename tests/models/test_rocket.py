"""MiniRocket transform as Keras layers: the features equal a plain numpy PPV, the classifier
learns a toy task, reloads without custom objects, exports to TFLite and runs in LiteRT."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.toy_series import assert_reloads_and_exports
from helpers.toy_series import toy_sines as _toy


def test_patterns_and_dilations():
    from repcoach.models.rocket import N_KERNELS, fit_dilations, kernel_patterns

    w = kernel_patterns()
    assert w.shape == (84, 9) and np.all((w == 2).sum(axis=1) == 3)
    assert np.allclose(w.sum(axis=1), 0.0)  # -6 + 6
    assert len({tuple(r) for r in w}) == N_KERNELS
    dil, nb = fit_dilations(64, 10_000)
    assert dil[0] == 1 and dil[-1] <= (64 - 1) // 8 and np.all(np.diff(dil) > 0)
    assert nb.sum() == 10_000 // 84


def test_keras_features_equal_numpy_ppv():
    from repcoach.models.rocket import fit_spec, ppv_reference, rocket_features

    x, _ = _toy()
    spec = fit_spec(x, n_features=840, seed=3)
    table = spec.feature_table()
    assert len(table) == spec.n_features
    f = rocket_features(spec, x[:4])
    assert f.shape == (4, spec.n_features)
    rng = np.random.default_rng(0)
    checked = 0
    for col in rng.choice(len(table), 60, replace=False):
        di, k, j = table[col]
        for i in range(4):
            ref = ppv_reference(x[i], spec, di, k, j)
            assert abs(f[i, col] - ref) <= 1.0 / x.shape[1] + 1e-6, (col, i, f[i, col], ref)
            checked += f[i, col] == pytest.approx(ref, abs=1e-5)
    assert checked >= 0.97 * 240  # exact but for outputs lying on the bias itself
    assert 0.0 < f.mean() < 1.0 and f.std() > 0.1


@pytest.mark.slow
def test_rocket_classifier_fit_reload_export(tmp_path):
    from repcoach.models.classifier import PoseClassifier

    x, y = _toy(64)
    xt, yt = _toy(32, seed=1)
    clf = PoseClassifier(arch="rocket", epochs=40, patience=8, seed=0).fit(x[:48], y[:48],
                                                                             x[48:], y[48:])
    assert clf.score(xt, yt) >= 0.85  # chance 0.5
    assert_reloads_and_exports(clf.model_, xt, tmp_path)


@pytest.mark.slow
def test_rocket_model_folder_exports_and_runs_without_tensorflow(tmp_path):
    import subprocess
    import sys

    from helpers.toy_pose import write_indexed
    from repcoach.data.samples import SampleOptions
    from repcoach.deploy.export import export_model_dir
    from repcoach.models.train import TrainOptions, train_model_dir

    data = write_indexed(tmp_path / "data", n_subjects=6, n_reps=3)
    out = tmp_path / "model"
    res = train_model_dir(data, out, SampleOptions(seq_len=32, clip_mode="whole", progress=False),
                          TrainOptions(arch="rocket", scorers=False, verbose=0))
    assert res.config["train_params"]["classifier"]["arch"] == "rocket"
    assert res.val_accuracy is None  # the ridge head fitted the validation samples too
    exp = export_model_dir(out)
    for m in exp.models:
        assert m.class_agreement >= 0.99, m
    code = (
        "import sys, numpy as np\n"
        "from repcoach.deploy.runtime import RuntimeModels\n"
        f"m = RuntimeModels.load({str(out)!r}, 'int8')\n"
        "p = m.classifier.predict(np.zeros((2, m.seq_len, m.n_features), np.float32))\n"
        "assert p.shape == (2, len(m.classes)) and np.allclose(p.sum(1), 1, atol=1e-4)\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "print('ok', p.shape)\n"
    )  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0 and "ok" in run.stdout, run.stderr


@pytest.mark.slow
def test_imu_classifier_rocket_normalises_raw_channels():
    from repcoach.imu.model import ImuClassifier

    x, y = _toy(64)
    xt, yt = _toy(32, seed=1)
    scale = np.array([100.0, 0.01, 1.0, 5.0, 1.0], np.float32)  # raw units differ per channel
    clf = ImuClassifier(arch="rocket", seed=0).fit(x * scale + 3.0, y)
    assert clf.model_.layers[1].name == "normalise"
    # the ridge head fits its training windows exactly when the model's input path (raw ->
    # normalise -> transform) is the one its features came from
    assert np.mean(clf.predict(x * scale + 3.0) == y) == 1.0
    assert np.mean(clf.predict(xt * scale + 3.0) == yt) >= 0.85  # chance 0.5
    # raw sensor windows: the frozen convolutions are split small enough that the int8 export
    # keeps them in float (a hybrid int8 convolution moved SPAR outputs across a bias)
    from repcoach.models.rocket import FLOAT_WEIGHTS_BELOW

    convs = [lay for lay in clf.model_.layers if lay.__class__.__name__ == "Conv1D"]
    assert len(convs) > 1 and all(c.kernel.shape.num_elements() < FLOAT_WEIGHTS_BELOW
                                  for c in convs)  # fmt: skip


def test_cross_family_ensemble_averages_rocket_and_a_cnn(tmp_path):
    """``arch="rocket+cnn"``: one member per family, saved as ONE averaging model whose output is
    the mean of the members' softmax outputs; it reloads and exports to one TFLite file."""
    import keras

    from repcoach.deploy.export import convert_to_tflite
    from repcoach.deploy.runtime import TFLiteModel
    from repcoach.models.classifier import PoseClassifier, arch_members

    assert arch_members("rocket+cnn_deep") == ("rocket", "cnn_deep")
    with pytest.raises(ValueError, match="joined by"):
        arch_members("rocket+resnet")
    x, y = _toy(64)
    xt, yt = _toy(32, seed=1)
    clf = PoseClassifier(arch="rocket+cnn", epochs=30, patience=8, seed=0).fit(
        x[:48], y[:48], x[48:], y[48:])
    assert len(clf.histories_) == 2 and clf.val_in_fit_
    assert clf.score(xt, yt) >= 0.85  # chance 0.5
    members = [m for m in clf.model_.layers if m.name.startswith("member")]
    assert len(members) == 2
    mean = np.mean([m.predict_on_batch(xt) for m in members], axis=0)
    assert np.allclose(clf.predict_proba(xt), mean, atol=1e-5)
    p = tmp_path / "m.keras"
    clf.model_.save(p)
    again = keras.models.load_model(p, compile=False)
    assert np.allclose(again.predict_on_batch(xt), mean, atol=1e-5)
    blob = convert_to_tflite(clf.model_, 32, 5)["fp32"]
    (tmp_path / "m.tflite").write_bytes(blob)
    got = TFLiteModel(tmp_path / "m.tflite").predict(xt)
    assert np.abs(got - mean).max() < 1e-3


def test_imu_cross_family_ensemble_rocket_on_raw_cnn_on_derived_channels():
    """IMU ``arch="rocket+cnn"`` with derived channels: the CNN member gets them, the rocket
    member the raw channels; one averaging model whose output is the members' mean."""
    from repcoach.imu.model import ImuClassifier, imu_arch_members

    assert imu_arch_members("rocket+cnn_deep") == ("rocket", "cnn_deep")
    for bad in ("rocket+rocket", "rocket+lstm"):
        with pytest.raises(ValueError, match="joined by"):
            imu_arch_members(bad)
    rng = np.random.default_rng(0)
    t = np.arange(48)
    y = np.array(["slow", "fast"] * 24, dtype=object)
    x = rng.normal(0, 0.3, (48, 48, 6)).astype(np.float32)
    for i, lab in enumerate(y):
        x[i, :, :3] += np.sin(2 * np.pi * t / (16 if lab == "slow" else 5))[:, None]
    channels = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    clf = ImuClassifier(arch="rocket+cnn", channels=channels, derived=True, epochs=8,
                        seed=0).fit(x[:32], y[:32])
    members = [m for m in clf.model_.layers if m.name.startswith(("imu_cnn", "imu_rocket"))]
    assert sorted(m.name for m in members) == ["imu_cnn_m0", "imu_rocket_m0"]
    mean = np.mean([m.predict_on_batch(x[32:]) for m in members], axis=0)
    assert np.allclose(clf.predict_proba(x[32:]), mean, atol=1e-5)
    assert np.mean(clf.predict(x[32:]) == y[32:]) >= 0.85
