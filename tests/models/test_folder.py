"""Model folder format: label encoder JSON, config checks, Keras round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.models.folder import load_keras_models, load_model_config, save_model_dir
from repcoach.models.labels import LabelEncoder


def test_label_encoder_json_round_trip():
    enc = LabelEncoder().fit(["sit_ups", "jumping_jacks", "sit_ups", "high_knees"])
    assert list(enc.classes_) == ["high_knees", "jumping_jacks", "sit_ups"]
    ids = enc.transform(["sit_ups", "high_knees"])
    assert list(ids) == [2, 0]
    back = LabelEncoder.from_json(json.dumps(enc.to_json()))
    assert back == enc
    assert list(back.inverse_transform(ids)) == ["sit_ups", "high_knees"]
    with pytest.raises(ValueError, match="unknown label"):
        enc.transform(["squat"])
    with pytest.raises(ValueError):
        LabelEncoder.from_json({"classes": "abc"})


def test_config_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="no config.json"):
        load_model_config(tmp_path)
    (tmp_path / "config.json").write_text('{"seq_len": 30, "n_features": 99, "classes": ["a"],'
                                          ' "format_version": 99}')
    with pytest.raises(DataError, match="format_version"):
        load_model_config(tmp_path)


@pytest.mark.slow
def test_model_dir_round_trip_keras_and_h5(tmp_path):
    from repcoach.models.classifier import BiLSTMClassifier
    from repcoach.models.scorer import CorrectnessScorer

    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 30, 12)).astype(np.float32)
    y = np.array(["a", "b", "c"] * 8)
    clf = BiLSTMClassifier(lstm_units=4, dense_units=(4, 4), epochs=1).fit(x, y)
    sc = CorrectnessScorer(label="a", lstm_units=4, dense_units=(4,), epochs=1).fit(
        x, rng.uniform(size=24))
    cfg = {"task": "exercise", "modality": "pose", "layout": "penn13", "seq_len": 30,
           "n_features": 12, "classes": list(clf.classes_)}
    save_model_dir(tmp_path, cfg, clf, {"a": sc}, {"classifier": clf.history_})
    for f in ("config.json", "labels.json", "history.json", "classifier.keras", "classifier.h5",
              "scorers/a.keras", "scorers/a.h5"):
        assert (tmp_path / f).is_file(), f
    assert json.loads((tmp_path / "labels.json").read_text()) == {"classes": ["a", "b", "c"]}
    assert not list(tmp_path.glob(".*"))  # no leftover temporary files or checkpoints
    got = load_model_config(tmp_path)
    assert got["scorers"] == ["a"] and got["format_version"] == 1
    ref = clf.predict_proba(x)
    for prefer in (".keras", ".h5"):
        m, scorers, classes = load_keras_models(tmp_path, prefer=prefer)
        assert classes == ["a", "b", "c"]
        np.testing.assert_allclose(m.predict_on_batch(x), ref, atol=1e-5)
        np.testing.assert_allclose(scorers["a"].predict_on_batch(x)[:, 0], sc.predict(x),
                                   atol=1e-5)
