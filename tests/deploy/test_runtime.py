"""LiteRT runtime: no TensorFlow import, batch loop over a fixed-signature model, model folder."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from helpers.tiny_model_dir import CLASSES, exported_copy, held_out_inputs
from repcoach.deploy.runtime import RuntimeModels, TFLiteModel, tflite_name
from repcoach.errors import DataError


def test_runtime_and_analyze_import_no_tensorflow():
    code = (
        "import sys, repcoach.deploy.runtime, repcoach.analyze; "
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "assert not bad, bad; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return exported_copy(tmp_path_factory.mktemp("r") / "model")


def test_tflite_model_batch_loop_matches_single_calls(exported):
    m = TFLiteModel(exported / "classifier_fp32.tflite")
    assert m.input_shape == (1, 30, 99) and m.n_outputs == len(CLASSES)
    x = held_out_inputs(5, seed=11)
    batch = m.predict(x)
    assert batch.shape == (5, 4)
    singles = np.concatenate([m.predict(x[i]) for i in range(5)])  # (T, F) input accepted
    np.testing.assert_array_equal(batch, singles)
    assert not np.allclose(batch[0], batch[1])  # different inputs, different outputs
    with pytest.raises(ValueError, match="expects samples of shape"):
        m.predict(np.zeros((2, 20, 99), np.float32))


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_runtime_models_load(exported, precision):
    rm = RuntimeModels.load(exported, precision=precision)
    assert rm.classes == tuple(CLASSES)
    assert set(rm.scorers) == set(CLASSES)
    assert rm.seq_len == 30 and rm.n_features == 99
    assert rm.config["layout"] == "mediapipe33"
    s = rm.scorers["sit_ups"].predict(held_out_inputs(3, seed=5))
    assert s.shape == (3, 1) and ((s >= 0) & (s <= 1)).all()


def test_labels_json_order_is_carried_through(exported, tmp_path):
    # labels.json is the label encoder: classifier output i is classes[i]
    assert json.loads((exported / "labels.json").read_text())["classes"] == CLASSES
    rm = RuntimeModels.load(exported, "fp32")
    p = rm.classifier.predict(held_out_inputs(4, seed=2))
    names = [rm.classes[i] for i in p.argmax(-1)]
    assert all(n in CLASSES for n in names)


def test_missing_or_inconsistent_models_raise_data_error(exported, tmp_path):
    with pytest.raises(DataError, match="not found"):
        RuntimeModels.load(tmp_path / "nope")
    with pytest.raises(DataError, match="run `repcoach export`"):
        TFLiteModel(tmp_path / "missing.tflite")
    bad = tmp_path / "bad"
    bad.mkdir()
    with pytest.raises(DataError, match="config.json"):
        RuntimeModels.load(bad)
    (bad / "config.json").write_text((exported / "config.json").read_text())
    (bad / "labels.json").write_text(json.dumps({"classes": ["a", "b"]}))
    (bad / tflite_name("classifier", "int8")).write_bytes(
        (exported / "classifier_int8.tflite").read_bytes()
    )
    with pytest.raises(DataError, match="4 outputs but 2 classes"):
        RuntimeModels.load(bad)
    (bad / "labels.json").write_text("{not json")
    with pytest.raises(DataError, match="labels.json"):
        RuntimeModels.load(bad)
    with pytest.raises(ValueError):
        tflite_name("classifier", "fp16")
