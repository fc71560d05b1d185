"""The classifier estimator: a seed ensemble is one averaging Keras model that saves, reloads
and exports to TFLite like a single network."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.model_dir import load_keras_models, save_model_dir

pytestmark = pytest.mark.slow


def _toy(n: int = 36, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes that differ in the mean of one channel (learnable in a few epochs)."""
    rng = np.random.default_rng(seed)
    y = np.array(["a", "b", "c"] * (n // 3))
    x = rng.normal(0, 0.3, (n, 10, 6)).astype(np.float32)
    for i, lab in enumerate("abc"):
        x[y == lab, :, i] += 1.5
    return x, y


def test_ensemble_averages_members_and_round_trips(tmp_path):
    from repcoach.export import export_model_dir
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

    cfg = {"task": "exercise", "modality": "pose", "layout": "penn13", "seq_len": 10,
           "n_features": 6, "classes": list(clf.classes_)}
    save_model_dir(tmp_path, cfg, clf, None, {"classifier": clf.history_})
    for prefer in (".keras", ".h5"):
        m, _, classes = load_keras_models(tmp_path, prefer=prefer)
        assert classes == ["a", "b", "c"]
        np.testing.assert_allclose(m.predict_on_batch(xt), clf.predict_proba(xt), atol=1e-5)
    res = export_model_dir(tmp_path, quantize=("fp32",), parity_samples=xt,
                           sample_source="toy held-out")
    fp32 = res.get("classifier", "fp32")
    assert fp32.class_agreement == 1.0 and fp32.max_abs_diff < 1e-4


def test_n_models_must_be_positive():
    from repcoach.models.classifier import BiLSTMClassifier

    x, y = _toy(6)
    with pytest.raises(ValueError, match="n_models"):
        BiLSTMClassifier(n_models=0).fit(x, y)
