"""`evaluate_model_dir`: which samples are evaluated (split column, held-out groups) and the
warning when only training subjects are available."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.toy_pose import write_indexed

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_and_data(tmp_path_factory):
    from repcoach.data.samples import SampleOptions
    from repcoach.models.train import TrainOptions, train_model_dir

    root = tmp_path_factory.mktemp("ev")
    data = write_indexed(root / "data", n_subjects=5, n_reps=3, correctness=True,
                         split={3: "val", 4: "test"})
    opts = TrainOptions(lstm_units=8, dense_units=(8, 8), epochs=2, patience=2,
                        scorer_lstm_units=4, scorer_dense_units=(4,), scorer_epochs=1,
                        verbose=0)
    sopts = SampleOptions(clip_mode="windows", window_s=1.0, stride_s=0.5, progress=False)
    res = train_model_dir(data, root / "model", sopts, opts)
    return res, data, root


def test_split_column_test_rows_are_evaluated(model_and_data, tmp_path):
    from repcoach.evaluation.evaluate import evaluate_model_dir

    res, data, _ = model_and_data
    assert res.config["split"]["source"] == "split column"
    assert res.config["split"]["groups"]["test"] == ["subject:s4"]
    assert res.config["score_target"] == "binary"
    rep = evaluate_model_dir(res.model_dir, data, tmp_path, progress=False)
    ev = rep["evaluated_on"]
    assert ev["split"] == "test" and ev["n_clips"] == 4 and ev["n_groups"] == 1
    assert rep["accuracy_level"] == "clip"
    cm = np.array(rep["classification"]["clip"]["confusion_matrix"])
    assert cm.sum() == 4
    assert np.array(rep["classification"]["sample"]["confusion_matrix"]).sum() == ev["n_samples"]
    sc = rep["scoring"]["sample"]
    assert sc["binary_target"] and "accuracy_at_0.5" in sc


def test_only_training_subjects_is_reported(model_and_data, tmp_path):
    from repcoach.evaluation.evaluate import evaluate_model_dir

    res, data, root = model_and_data
    # a copy of the data without the split column and with training subjects only
    other = root / "train_only"
    other.mkdir(exist_ok=True)
    lines = (data / "index.csv").read_text().splitlines()
    head = lines[0].split(",")
    keep = [head.index(c) for c in head if c != "split"]
    rows = [",".join(r.split(",")[i] for i in keep) for r in lines[1:]
            if r.split(",")[head.index("split")] == "train"]
    (other / "index.csv").write_text(",".join(head[i] for i in keep) + "\n" + "\n".join(rows))
    (other / "seq").symlink_to(data / "seq")
    rep = evaluate_model_dir(res.model_dir, other, tmp_path / "r", progress=False)
    ev = rep["evaluated_on"]
    assert ev["includes_training_subjects"] and "NOT held-out" in ev["warning"]
    assert "Warning" in (tmp_path / "r" / "report.md").read_text()
    assert json.loads((tmp_path / "r" / "report.json").read_text())["evaluated_on"]["warning"]


def test_export_json_is_included(model_and_data, tmp_path):
    from repcoach.evaluation.evaluate import evaluate_model_dir

    res, data, _ = model_and_data
    export = {"models": [{"name": "classifier", "precision": "int8", "size_bytes": 1234,
                          "max_abs_diff": 0.001, "class_agreement": 1.0}]}
    (res.model_dir / "export.json").write_text(json.dumps(export))
    try:
        rep = evaluate_model_dir(res.model_dir, data, tmp_path, progress=False)
    finally:
        (res.model_dir / "export.json").unlink()
    assert rep["export"]["models"][0]["size_bytes"] == 1234
    assert "TFLite export" in (tmp_path / "report.md").read_text()
