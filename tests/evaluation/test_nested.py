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


def test_select_among_scorer_recipes_for_binary_correctness(tmp_path, monkeypatch):
    """--task correctness --select: forest scorer recipes chosen on inner folds by accuracy at
    0.5; no fit ever sees its outer fold's groups; --score-all scores every recipe on the same
    outer folds; predictions.csv carries the scores."""
    import csv

    import numpy as np
    from typer.testing import CliRunner

    import repcoach.evaluation.nested as nested
    from repcoach.cli.app import app

    data = write_indexed(tmp_path / "data", n_subjects=6, n_reps=2, correctness=True)
    fits: list[tuple[set, set]] = []
    real = nested.fit_predict

    def spy(samples, options, train_idx, test_idx, seed, val_fraction=0.15):
        fits.append((set(samples.group[train_idx]) | set(samples.subject[train_idx]),
                     set(samples.subject[test_idx])))  # fmt: skip
        assert options.task == "correctness" and options.scorer_arch == "forest"
        return real(samples, options, train_idx, test_idx, seed, val_fraction)

    monkeypatch.setattr(nested, "fit_predict", spy)
    out = tmp_path / "report"
    res = CliRunner().invoke(app, [
        "crossval", "--data", str(data), "--out", str(out), "--folds", "3", "--inner-folds", "2",
        "--task", "correctness", "--clip-mode", "whole", "--quiet", "--score-all",
        "--select", "--scorer-arch forest --scorer-inputs form;"
                    "--scorer-arch forest --scorer-inputs signals",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text())
    sel = rep["nested_selection"]
    assert rep["task"] == "correctness" and "scoring" in rep and "classification" not in rep
    assert set(sel["candidate_outer"]) == set(sel["recipes"]) and len(sel["recipes"]) == 2
    for f in sel["folds"]:
        assert f["inner_accuracy"][f["chosen"]] == max(f["inner_accuracy"].values())
    assert all(not (seen & tested) for seen, tested in fits)  # subjects are the groups here
    # 3 outer folds x (2 recipes x 2 inner folds + the chosen one + the other, scored alone)
    assert len(fits) == 3 * (2 * 2 + 2)
    acc = rep["scoring"]["sample"]["accuracy_at_0.5"]
    assert rep["accuracy"] == pytest.approx(acc) and 0 <= acc <= 1
    with open(out / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == rep["evaluated_on"]["n_samples"]
    assert np.isfinite([float(r["predicted_score"]) for r in rows]).all()
    for f in range(3):  # no fit made for outer fold f trained on f's held-out subjects
        held_out = {r["subject"] for r in rows if int(r["fold"]) == f}
        assert held_out and all(not (seen & held_out) for seen, _ in fits[6 * f: 6 * f + 6])


def test_select_for_correctness_needs_binary_scores(tmp_path):
    import csv

    from typer.testing import CliRunner

    from repcoach.cli.app import app
    from repcoach.errors import DataError

    data = write_indexed(tmp_path / "data", n_subjects=4, n_reps=1, correctness=True)
    with open(data / "index.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["correctness"] = "0.7"
    with open(data / "index.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    res = CliRunner().invoke(app, [
        "crossval", "--data", str(data), "--out", str(tmp_path / "r"), "--folds", "2",
        "--task", "correctness", "--clip-mode", "whole", "--quiet",
        "--select", "--scorer-arch forest --scorer-inputs form",
    ])  # fmt: skip
    assert isinstance(res.exception, DataError) and "0/1 correctness" in str(res.exception)
    res = CliRunner().invoke(app, ["crossval", "--data", str(data), "--out", str(tmp_path / "r"),
                                   "--score-all"])  # fmt: skip
    assert res.exit_code != 0 and "--select" in res.output
