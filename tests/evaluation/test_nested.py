"""Nested recipe selection: recipes parse onto the command's options; `repcoach crossval
--select` chooses per outer fold on inner folds only and records the choice."""

from __future__ import annotations

import json

import pytest

from helpers.toy_pose import write_indexed


def test_parse_recipes_applies_options():
    from repcoach.data.samples import SampleOptions
    from repcoach.evaluation.nested import parse_recipes
    from repcoach.models.train import TrainOptions

    base_s, base_t = SampleOptions(seq_len=40, progress=False), TrainOptions(epochs=7)
    a, b = parse_recipes("--arch rocket ; --arch cnn_deep --presence --occlusion 0.3;",
                         base_s, base_t)
    assert a.train_options.arch == "rocket" and a.sample_options.presence is False
    assert a.train_options.epochs == 7 and a.sample_options.seq_len == 40
    assert b.train_options.arch == "cnn_deep" and b.sample_options.presence is True
    assert b.train_options.occlusion == 0.3
    assert b.text == "--arch cnn_deep --presence --occlusion 0.3"
    (c,) = parse_recipes("--arch rocket+cnn_deep --camera-roll 15 --stretch 0.2 --time-warp 0.3",
                         base_s, base_t)
    t = c.train_options
    assert (t.arch, t.roll_deg, t.stretch, t.time_warp) == ("rocket+cnn_deep", 15.0, 0.2, 0.3)
    for bad in ("--arch", "--frobnicate 3", "--epochs many", "--occlusion 0.3", "--arch lstm9", "",
                "--arch rocket+lstm9"):
        with pytest.raises(ValueError):
            parse_recipes(bad, base_s, base_t)


@pytest.mark.slow
def test_crossval_select_chooses_on_inner_folds(tmp_path):
    from typer.testing import CliRunner

    from repcoach.cli.app import app

    data = write_indexed(tmp_path / "data", n_subjects=6, n_reps=3)
    out = tmp_path / "report"
    res = CliRunner().invoke(app, [
        "crossval", "--data", str(data), "--out", str(out), "--folds", "2", "--inner-folds", "2",
        "--clip-mode", "whole", "--seq-len", "32", "--quiet",
        "--select", "--arch rocket --epochs 30;--arch cnn --epochs 1 --min-epochs 0 --no-augment",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text())
    sel = rep["nested_selection"]
    assert len(sel["chosen"]) == 2 and len(sel["folds"]) == 2
    assert set(sel["chosen"]) <= set(sel["recipes"])
    for f in sel["folds"]:
        assert f["test_groups_seen_in_training"] == []
        assert set(f["inner_accuracy"]) == set(sel["recipes"])
        best = max(f["inner_accuracy"].values())
        assert f["inner_accuracy"][f["chosen"]] == best
        assert f"fold {f['fold']}: chose {f['chosen']!r}" in res.output
    n = rep["evaluated_on"]["n_samples"]
    assert n == 24 and sum(f["n_test"] for f in sel["folds"]) == n
    assert rep["accuracy"] >= 0.5  # chance 0.25; rocket separates the toy exercises
    assert (out / "predictions.csv").read_text().count("\n") == n + 1
