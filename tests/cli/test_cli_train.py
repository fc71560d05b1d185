"""`repcoach train` / `repcoach evaluate` on a tiny indexed dataset."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from toy_pose import write_indexed  # noqa: E402

from repcoach.cli import app  # noqa: E402

runner = CliRunner()


@pytest.mark.slow
def test_cli_train_then_evaluate(tmp_path):
    data = write_indexed(tmp_path / "data", n_subjects=6, n_reps=3)
    model = tmp_path / "model"
    r = runner.invoke(app, ["train", "--data", str(data), "--out", str(model), "--quick",
                            "--epochs", "2", "--clip-mode", "whole", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "validation accuracy" in r.output and "participant" in r.output
    for f in ("config.json", "labels.json", "classifier.keras", "classifier.h5", "history.json"):
        assert (model / f).is_file()
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["clip_mode"] == "whole" and cfg["split"]["source"] == "group split"
    # too few held-out participants for a single split to mean much: train says so
    assert ("warning:" in r.output) == (len(cfg["split"]["groups"]["test"]) < 3)
    rep = tmp_path / "report"
    r = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(data), "--out",
                            str(rep), "--quiet"])
    assert r.exit_code == 0, r.output
    got = json.loads((rep / "report.json").read_text())
    assert 0 <= got["accuracy"] <= 1
    assert got["evaluated_on"]["n_clips"] == 4 * len(cfg["split"]["groups"]["test"])
    assert "accuracy" in r.output


def test_cli_errors_are_clear(tmp_path):
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "m")])
    assert r.exit_code != 0
    assert "index.csv" in str(r.exception) or "index.csv" in r.output
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                            "--clip-mode", "frames"])
    assert r.exit_code != 0 and "clip_mode" in r.output


def test_cli_exercise_task_needs_two_labels(tmp_path):
    data = write_indexed(tmp_path / "d", n_subjects=3, n_reps=2)
    idx = data / "index.csv"
    lines = idx.read_text().splitlines()
    idx.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if "high_knees" in ln]))
    r = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m"),
                            "--clip-mode", "whole", "--quiet"])
    assert r.exit_code != 0 and "--task correctness" in str(r.exception)


@pytest.mark.slow
def test_cli_crossval_tests_every_sample_once(tmp_path):
    data = write_indexed(tmp_path / "data", n_subjects=4, n_reps=2)
    rep = tmp_path / "cv"
    r = runner.invoke(app, ["crossval", "--data", str(data), "--out", str(rep), "-k", "2",
                            "--quick", "--epochs", "2", "--clip-mode", "whole", "--quiet"])
    assert r.exit_code == 0, r.output
    got = json.loads((rep / "report.json").read_text())
    n_clips = len((data / "index.csv").read_text().splitlines()) - 1
    assert got["evaluated_on"]["n_samples"] == n_clips  # each clip tested exactly once
    assert len(got["cross_validation"]["per_fold_sample_accuracy"]) == 2
    assert 0 <= got["accuracy"] <= 1
    assert (rep / "report.md").is_file() and (rep / "confusion_matrix.png").is_file()
    bad = runner.invoke(app, ["crossval", "--data", str(data), "--out", str(rep), "-k", "1"])
    assert bad.exit_code != 0
