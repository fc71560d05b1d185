"""Export to TFLite: files, export.json, and parity with the Keras models on held-out inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.tiny_model_dir import CLASSES, exported_copy, held_out_inputs
from repcoach.deploy.export import (
    ExportResult,
    ModelExport,
    export_model_dir,
    synthetic_pose_inputs,
)
from repcoach.deploy.runtime import TFLiteModel
from repcoach.errors import DataError
from repcoach.models.folder import load_keras_models


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The session's tiny model (labels.json absent before export), exported once."""
    d = exported_copy(tmp_path_factory.mktemp("e") / "model")
    info = json.loads((d / "export.json").read_text())
    return d, ExportResult(
        model_dir=d, models=tuple(ModelExport(**m) for m in info["models"]),
        n_samples=info["n_samples"], sample_source=info["sample_source"],
        input_shape=tuple(info["input_shape"]), keras_files=info["keras_files"],
    )


def test_writes_every_tflite_file_and_labels(exported):
    d, result = exported
    for p in ("fp32", "int8"):
        assert (d / f"classifier_{p}.tflite").stat().st_size > 0
        for label in CLASSES:
            assert (d / "scorers" / f"{label}_{p}.tflite").stat().st_size > 0
    # labels.json was missing in the fixture: export writes it in classifier-output order
    assert json.loads((d / "labels.json").read_text()) == {"classes": CLASSES}
    assert len(result.models) == 2 * (1 + len(CLASSES))
    assert not list(d.rglob(".*.tmp")), "atomic writes left temp files"


def test_export_json_fields_match_files(exported):
    d, result = exported
    info = json.loads((d / "export.json").read_text())
    assert info["input_shape"] == [1, 30, 99]
    assert info["n_samples"] == 32 and info["sample_source"] == "test inputs"
    for name, size in info["files"].items():
        assert (d / name).stat().st_size == size
    assert "classifier.keras" in info["keras_files"]
    clf = [m for m in info["models"] if m["name"] == "classifier"]
    assert {m["precision"] for m in clf} == {"fp32", "int8"}
    assert all(m["class_agreement"] is not None for m in clf)
    assert all(m["class_agreement"] is None for m in info["models"] if m["name"] != "classifier")
    # dynamic-range int8 stores weights in one byte instead of four
    assert info["files"]["classifier_int8.tflite"] < info["files"]["classifier_fp32.tflite"]


def test_fp32_parity_with_keras(exported):
    _, result = exported
    fp32 = result.get("classifier", "fp32")
    assert fp32.class_agreement == 1.0
    assert fp32.max_abs_diff < 1e-4
    for label in CLASSES:
        assert result.get(f"scorers/{label}", "fp32").max_abs_diff < 1e-4


def test_int8_parity_with_keras(exported):
    _, result = exported
    int8 = result.get("classifier", "int8")
    assert int8.class_agreement >= 0.9
    assert int8.max_abs_diff < 0.05
    for label in CLASSES:
        assert result.get(f"scorers/{label}", "int8").max_abs_diff < 0.05


def test_parity_recomputed_on_fresh_inputs(exported):
    """Independent check: new inputs, Keras vs the written fp32 file, outside export()."""
    d, _ = exported
    clf, scorers, classes = load_keras_models(d)
    assert classes == CLASSES and set(scorers) == set(CLASSES)
    x = held_out_inputs(16, seed=7)
    ref = clf.predict_on_batch(x)
    got = TFLiteModel(d / "classifier_fp32.tflite").predict(x)
    assert got.shape == (16, 4)
    np.testing.assert_allclose(got, ref, atol=1e-4)
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-5)


def test_default_samples_are_documented_and_not_zeros(tmp_path):
    x = synthetic_pose_inputs(8, 30, 99, seed=0)
    assert x.shape == (8, 30, 99) and np.isfinite(x).all()
    assert x.std() > 0.3 and np.abs(np.diff(x, axis=1)).mean() < 0.3  # varied yet smooth
    d = exported_copy(tmp_path / "m", exported=False)
    for f in (d / "scorers").iterdir():  # classifier only: keeps the test quick
        f.unlink()
    result = export_model_dir(d, quantize=("fp32",))
    assert result.n_samples > 0 and "synthetic" in result.sample_source
    assert result.get("classifier", "fp32").class_agreement == 1.0
    assert not (d / "classifier_int8.tflite").exists()


def test_bad_inputs_are_rejected(tmp_path):
    with pytest.raises(DataError):
        export_model_dir(tmp_path)  # no config, no labels
    d = exported_copy(tmp_path / "m", exported=False)
    with pytest.raises(ValueError, match="shape"):
        export_model_dir(d, parity_samples=np.ones((4, 20, 99), np.float32))
    with pytest.raises(ValueError, match="quantize"):
        export_model_dir(d, quantize=("fp16",))
    cfg = json.loads((d / "config.json").read_text())
    (d / "config.json").write_text(json.dumps({**cfg, "n_features": 26}))
    with pytest.raises(DataError, match="config.json says"):
        export_model_dir(d, quantize=("fp32",))


def test_scorers_only_folder(tmp_path):
    """A correctness-only folder (no classifier) exports its scorers and loads at run time."""
    from repcoach.deploy.runtime import RuntimeModels

    d = exported_copy(tmp_path / "m", exported=False)
    for f in d.glob("classifier.*"):
        f.unlink()
    for f in (d / "scorers").glob("[!s]*"):  # keep steam_engine + sit_ups: quicker
        f.unlink()
    cfg = json.loads((d / "config.json").read_text())
    (d / "config.json").write_text(json.dumps({**cfg, "task": "correctness"}))
    result = export_model_dir(d, quantize=("int8",), parity_samples=held_out_inputs(4))
    assert {m.name for m in result.models} == {"scorers/steam_engine", "scorers/sit_ups"}
    rm = RuntimeModels.load(d, "int8")
    assert rm.classifier is None and set(rm.scorers) == {"steam_engine", "sit_ups"}


def test_synthetic_extra_values_cover_every_scorer_input():
    """Parity checks without the training data need plausible values for every known extra
    scorer input, the push-up form channels included (scaled like the real ones)."""
    from repcoach.data.scorer_inputs import FORM_INPUTS, SCORER_INPUTS, form_values
    from repcoach.deploy.export import synthetic_extra_values
    from repcoach.pose.pushup_form import FEATURES

    v = synthetic_extra_values(50, list(SCORER_INPUTS), seed=3)
    assert v.shape == (50, len(SCORER_INPUTS)) and np.isfinite(v).all()
    typical = form_values(FORM_INPUTS, np.full((1, len(FEATURES)), np.nan))[0]  # the fills
    form = v[:, [SCORER_INPUTS.index(n) for n in FORM_INPUTS]]
    assert np.allclose(np.median(form, axis=0), typical, rtol=0.1, atol=1e-3)
    with pytest.raises(ValueError, match="unknown scorer input"):
        synthetic_extra_values(2, ["speed"])
