"""`repcoach train` / `repcoach evaluate` on a tiny indexed dataset."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from toy_pose import write_indexed  # noqa: E402

from repcoach.cli import app  # noqa: E402
from repcoach.errors import DataError  # noqa: E402

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
    # one prediction row per evaluated sample, agreeing with the report's accuracy
    pred = list(csv.DictReader((rep / "predictions.csv").open()))
    assert len(pred) == got["evaluated_on"]["n_samples"]
    assert {r["clip_id"] for r in pred} and all(r["predicted"] in cfg["classes"] for r in pred)
    acc = np.mean([r["label"] == r["predicted"] for r in pred])
    assert acc == pytest.approx(got["classification"]["sample"]["accuracy"])
    p = np.array([[float(r[f"p_{c}"]) for c in cfg["classes"]] for r in pred])
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-3)


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


def test_cli_mirror_average_refuses_asymmetric_exercises_cleanly(tmp_path):
    data = write_indexed(tmp_path / "d", n_subjects=4, n_reps=1)
    idx = data / "index.csv"
    idx.write_text(idx.read_text().replace("high_knees", "left_lunge"))
    for cmd in (["crossval", "-k", "2"], ["train"]):
        r = runner.invoke(app, [*cmd, "--data", str(data), "--out", str(tmp_path / "o"),
                                "--clip-mode", "whole", "--mirror-average", "--quiet"])
        assert r.exit_code != 0
        assert isinstance(r.exception, DataError) and "left_lunge" in str(r.exception)
        assert not (tmp_path / "o" / "classifier.keras").exists()


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
    pred = list(csv.DictReader((rep / "predictions.csv").open()))
    assert len(pred) == n_clips and len({r["clip_id"] for r in pred}) == n_clips
    assert sorted({int(r["fold"]) for r in pred}) == [0, 1]
    assert np.mean([r["correct"] == "1" for r in pred]) == pytest.approx(got["accuracy"])
    bad = runner.invoke(app, ["crossval", "--data", str(data), "--out", str(rep), "-k", "1"])
    assert bad.exit_code != 0


@pytest.mark.slow
def test_cli_train_cnn_with_root_motion_and_mirror_average(tmp_path):
    """The Penn recipe's options on the CLI: recorded in config.json, the right input width,
    and `analyze` of a bare pose CSV builds the same inputs."""
    data = write_indexed(tmp_path / "data", n_subjects=4, n_reps=2)
    model = tmp_path / "model"
    r = runner.invoke(app, ["train", "--data", str(data), "--out", str(model), "--quick",
                            "--epochs", "2", "--clip-mode", "whole", "--arch", "cnn_deep",
                            "--root-motion", "--mirror-average", "--no-scorers", "--quiet"])
    assert r.exit_code == 0, r.output
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["root_motion"] is True and cfg["n_features"] == 99 + 2
    clf = cfg["train_params"]["classifier"]
    assert (clf["arch"], clf["mirror"], clf["min_epochs"]) == ("cnn_deep", cfg["layout"], 2)
    assert runner.invoke(app, ["export", "--model", str(model)]).exit_code == 0
    first = sorted(p for p in data.rglob("*.csv") if p.name != "index.csv")[0]
    r = runner.invoke(app, ["analyze", str(first), "--model", str(model), "--json",
                            str(tmp_path / "a.json")])
    assert r.exit_code == 0, r.output
    got = json.loads((tmp_path / "a.json").read_text())
    assert got["exercise"] in cfg["classes"]
