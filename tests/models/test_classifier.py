"""The classifier estimator: a seed ensemble is one averaging Keras model that saves, reloads
and exports to TFLite like a single network."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.models.folder import load_keras_models, save_model_dir

pytestmark = pytest.mark.slow


def _toy(n: int = 36, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes that differ in the mean of one channel (learnable in a few epochs)."""
    rng = np.random.default_rng(seed)
    y = np.array(["a", "b", "c"] * (n // 3))
    x = rng.normal(0, 0.3, (n, 10, 6)).astype(np.float32)
    for i, lab in enumerate("abc"):
        x[y == lab, :, i] += 1.5
    return x, y


def _assert_round_trip_and_export(folder, clf, xt: np.ndarray) -> None:
    """Saved as .keras and .h5, reloaded, exported to TFLite fp32: same outputs everywhere."""
    from repcoach.deploy.export import export_model_dir

    cfg = {"task": "exercise", "modality": "pose", "layout": "penn13", "seq_len": 10,
           "n_features": 6, "classes": list(clf.classes_)}
    save_model_dir(folder, cfg, clf, None, {"classifier": clf.history_})
    for prefer in (".keras", ".h5"):
        m, _, classes = load_keras_models(folder, prefer=prefer)
        assert classes == ["a", "b", "c"]
        np.testing.assert_allclose(m.predict_on_batch(xt), clf.predict_proba(xt), atol=1e-5)
    res = export_model_dir(folder, quantize=("fp32",), parity_samples=xt,
                           sample_source="toy held-out")
    fp32 = res.get("classifier", "fp32")
    assert fp32.class_agreement == 1.0 and fp32.max_abs_diff < 1e-4


def test_ensemble_averages_members_and_round_trips(tmp_path):
    from repcoach.models.classifier import BiLSTMClassifier

    x, y = _toy()
    clf = BiLSTMClassifier(lstm_units=4, dense_units=(8,), epochs=25, patience=25, n_models=2,
                           seed=5).fit(x, y)
    assert len(clf.histories_) == 2 and clf.history_ is clf.histories_[0]
    assert clf.get_params()["n_models"] == 2
    members = [m for m in clf.model_.layers if m.name.startswith("member")]
    assert len(members) == 2
    w0, w1 = (m.get_weights()[0] for m in members)
    assert not np.allclose(w0, w1)  # different seeds, different networks
    proba = clf.predict_proba(x)
    mean = np.mean([m.predict_on_batch(x) for m in members], axis=0)
    np.testing.assert_allclose(proba, mean, atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    xt, yt = _toy(seed=1)
    assert clf.score(xt, yt) > 0.8  # fresh samples, not the training set

    _assert_round_trip_and_export(tmp_path, clf, xt)


def test_n_models_must_be_positive():
    from repcoach.models.classifier import BiLSTMClassifier

    x, y = _toy(6)
    with pytest.raises(ValueError, match="n_models"):
        BiLSTMClassifier(n_models=0).fit(x, y)


@pytest.mark.parametrize("min_epochs", [0, 3])
def test_min_epochs_never_keeps_warm_up_weights(tmp_path, min_epochs):
    """The restored weights are the best of the epochs after the warm-up (the checkpoint and
    early stopping both ignore the first ``min_epochs``)."""
    import keras

    from repcoach.models.classifier import build_bilstm
    from repcoach.models.fitting import fit_keras_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 4)).astype(np.float32)
    y = (x[:, :, 0].mean(axis=1) > 0).astype(int)
    keras.utils.set_random_seed(0)
    model = build_bilstm(2, 6, 4, lstm_units=4, dense_units=(4,), dropout=0.0)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    hist = fit_keras_model(model, x, y, np.full(64, "a", object), x, 1 - y,  # val: inverted
                           epochs=8, batch_size=16, patience=2, min_epochs=min_epochs,
                           checkpoint_dir=tmp_path)  # fmt: skip
    val = np.asarray(hist["val_loss"])
    assert len(val) >= min_epochs + 1
    final = model.evaluate(x, 1 - y, verbose=0)
    assert final == pytest.approx(val[min_epochs:].min(), rel=1e-3)
    if min_epochs:
        assert val[:min_epochs].min() < val[min_epochs:].min()  # the warm-up had the "best"
    assert not list(tmp_path.glob(".checkpoint-*"))


def test_conv_classifier_learns_saves_and_exports(tmp_path):
    """``arch="cnn_deep"``: the temporal-CNN classifier goes through the same fit / save /
    reload / TFLite path as the paper's BiLSTM."""
    from repcoach.models.classifier import PoseClassifier

    x, y = _toy(48)
    clf = PoseClassifier(arch="cnn_deep", epochs=30, patience=30, seed=1).fit(x, y)
    assert clf.get_params()["arch"] == "cnn_deep"
    assert any("conv1d" in layer.name for layer in clf.model_.layers)
    assert not any("lstm" in layer.name for layer in clf.model_.layers)
    xt, yt = _toy(seed=2)
    assert clf.score(xt, yt) > 0.8  # fresh samples, not the training set
    _assert_round_trip_and_export(tmp_path, clf, xt)


def test_cross_family_ensemble_averages_rocket_and_cnn_and_exports(tmp_path):
    """``arch="rocket+cnn"``: one network per family, averaged in one model that saves, reloads
    and exports like a seed ensemble; the rocket head fitted the validation part."""
    from repcoach.models.classifier import PoseClassifier

    x, y = _toy(60)
    clf = PoseClassifier(arch="rocket+cnn", epochs=30, patience=30, seed=1).fit(
        x[:48], y[:48], x[48:], y[48:])
    members = [m for m in clf.model_.layers if m.name.startswith("member")]
    assert len(members) == 2 and len(clf.histories_) == 2
    assert any("rocket" in layer.name for layer in members[0].layers)
    assert any("conv1d" in layer.name for layer in members[1].layers)
    assert clf.val_in_fit_
    mean = np.mean([m.predict_on_batch(x) for m in members], axis=0)
    np.testing.assert_allclose(clf.predict_proba(x), mean, atol=1e-6)
    xt, yt = _toy(seed=2)
    assert clf.score(xt, yt) > 0.8
    _assert_round_trip_and_export(tmp_path, clf, xt)


def test_unknown_arch_is_rejected():
    from repcoach.models.classifier import PoseClassifier

    x, y = _toy(6)
    with pytest.raises(ValueError, match="arch must be one of"):
        PoseClassifier(arch="transformer", epochs=1).fit(x, y)
    from repcoach.models.classifier import arch_members
    from repcoach.models.train import TrainOptions

    assert arch_members("rocket+cnn_deep") == ("rocket", "cnn_deep")
    assert TrainOptions(arch="rocket+cnn_deep").arch == "rocket+cnn_deep"
    for bad in ("rocket+", "rocket+rocket", "rocket+transformer"):
        with pytest.raises(ValueError, match="arch must be one of"):
            arch_members(bad)
        with pytest.raises(ValueError, match="arch must be one of"):
            TrainOptions(arch=bad)


@pytest.mark.parametrize("n_models", [1, 2])
def test_mirror_averaged_model_is_symmetric_and_exports(tmp_path, n_models):
    """``mirror="penn13"``: the saved model is the mean over each input and its mirror image,
    so mirrored inputs get identical outputs; the frozen mirror layer is exactly the flip. A
    seed ensemble with mirror averaging saves to .keras and .h5 too (its members used to be
    nested two levels deep, which the .h5 writer refused)."""
    from repcoach.models.augment import flip_horizontal
    from repcoach.models.classifier import PoseClassifier
    from repcoach.models.fitting import mirror_matrix
    from repcoach.skeleton import PENN_13

    rng = np.random.default_rng(0)
    width = 26 + 13 + 2  # coordinates, presence, root motion
    m = mirror_matrix("penn13", width)
    x = rng.normal(size=(5, 10, width)).astype(np.float32)
    np.testing.assert_allclose(x @ m, flip_horizontal(x, PENN_13), atol=1e-6)
    y = np.array(["squat", "pullup"] * 12)
    xs = rng.normal(size=(24, 10, width)).astype(np.float32)
    xs[y == "squat", :, 1] += 1.0  # a y-coordinate: survives mirroring
    clf = PoseClassifier(arch="cnn", epochs=3, mirror="penn13", seed=0,
                         n_models=n_models).fit(xs, y)
    assert clf.get_params()["mirror"] == "penn13"
    p, pm = clf.predict_proba(x), clf.predict_proba(flip_horizontal(x, PENN_13))
    np.testing.assert_allclose(p, pm, atol=1e-5)
    cfg = {"task": "exercise", "modality": "pose", "layout": "penn13", "seq_len": 10,
           "n_features": width, "classes": list(clf.classes_)}
    save_model_dir(tmp_path, cfg, clf, None, {"classifier": clf.history_})
    from repcoach.deploy.export import export_model_dir

    for prefer in (".keras", ".h5"):
        reloaded, _, _ = load_keras_models(tmp_path, prefer=prefer)
        np.testing.assert_allclose(reloaded.predict_on_batch(x), p, atol=1e-5)
    fp32 = export_model_dir(tmp_path, quantize=("fp32",), parity_samples=x,
                            sample_source="toy").get("classifier", "fp32")
    assert fp32.class_agreement == 1.0 and fp32.max_abs_diff < 1e-4


def test_mirror_average_refuses_asymmetric_exercises():
    from repcoach.data.samples import Samples
    from repcoach.models.train import TrainOptions, make_classifier

    n = 4
    s = Samples(X=np.zeros((n, 5, 26), np.float32), y=np.array(["squat", "left_lunge"] * 2,
                object), subject=np.array(["a"] * n, object), clip_id=np.array(["c"] * n, object),
                score=np.full(n, np.nan), start=np.zeros(n, int), end=np.ones(n, int),
                group=np.array([""] * n, object), split=np.array([""] * n, object),
                layout="penn13")  # fmt: skip
    with pytest.raises(ValueError, match="left_lunge"):
        make_classifier(TrainOptions(mirror_average=True), None, s)
    assert make_classifier(TrainOptions(), None, s).mirror is None
