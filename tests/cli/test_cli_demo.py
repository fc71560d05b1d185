"""`repcoach demo` runs the whole path on a small generated dataset and resumes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from repcoach.cli import app

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end_and_resumes(tmp_path):
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "-n", "4", "--epochs", "2", "--modalities", "pose"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    for rel in ("data/participants.csv", "data/annotations.csv", "summary.json",
                "model/classifier.keras", "model/classifier.h5", "model/labels.json",
                "model/classifier_int8.tflite", "model/export.json",
                "report/report.json", "report/report.md", "report/confusion_matrix.png",
                "report/loss_curves.png"):  # fmt: skip
        assert (out / rel).is_file(), rel
    report = json.loads((out / "report" / "report.json").read_text())
    assert 0.0 <= report["accuracy"] <= 1.0
    assert report["evaluated_on"]["includes_training_subjects"] is False
    analyses = sorted((out / "analyses").glob("*.json"))
    assert len(analyses) == 4  # one unseen participant x four exercises
    clip = json.loads(analyses[0].read_text())
    assert {"exercise", "confidence", "votes", "rep_count", "repetitions"} <= set(clip)
    assert "demo finished" in res.output

    # A second run reuses the generated data and the trained model.
    stamp = (out / "model" / "classifier.keras").stat().st_mtime_ns
    res2 = CliRunner().invoke(app, args)
    assert res2.exit_code == 0, res2.output
    assert "reusing" in res2.output
    assert (out / "model" / "classifier.keras").stat().st_mtime_ns == stamp
