"""Repeated cross-validation: `repcoach crossval --repeats N` and its summary."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from helpers.toy_pose import write_indexed
from repcoach.cli import app
from repcoach.evaluation.repeats import summarise_repeats

runner = CliRunner()


def test_summary_of_plain_and_nested_repeats():
    """Mean / sd / range over repeats; recipes chosen counted over repeats x folds; each
    recipe's own accuracy per repeat and its mean."""
    plain = summarise_repeats([{"accuracy": 0.8}, {"accuracy": 0.7}, {"accuracy": None}],
                              [3, 4, 5])  # fmt: skip
    assert plain["seeds"] == [3, 4, 5] and plain["mean"] == pytest.approx(0.75)
    assert plain["sd"] == pytest.approx(np.std([0.8, 0.7], ddof=1))
    assert (plain["min"], plain["max"]) == (0.7, 0.8) and "chosen" not in plain
    nested = [{"accuracy": 0.6, "nested_selection": {"chosen": ["a", "b"],
                                                     "candidate_outer": {"a": 0.5, "b": 0.9}}},
              {"accuracy": 0.8, "nested_selection": {"chosen": ["a", "a"],
                                                     "candidate_outer": {"a": 0.7, "b": 0.8}}}]
    got = summarise_repeats(nested, [0, 1])
    assert got["chosen"] == {"a": 3, "b": 1}
    assert got["candidate_outer"]["a"]["accuracy"] == [0.5, 0.7]
    assert got["candidate_outer"]["b"]["mean"] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="2 reports for 1 seeds"):
        summarise_repeats(nested, [0])


def _cv(data, out, *extra):
    args = ["crossval", "--data", str(data), "--out", str(out), "-k", "2", "--task",
            "correctness", "--clip-mode", "whole", "--scorer-arch", "forest", "--scorer-inputs",
            "duration", "--quiet", *extra]  # fmt: skip
    return runner.invoke(app, args)


def test_crossval_repeats_report_their_mean_and_resume(tmp_path):
    """--repeats 3: one full report per fold seed in repeat-<r>/, the summary's accuracy is
    their mean and says so; the folds differ between seeds; a rerun keeps finished repeats,
    and a changed option reruns them."""
    data = write_indexed(tmp_path / "d", n_subjects=8, n_reps=2, correctness=True)
    out = tmp_path / "cv"
    r = _cv(data, out, "--repeats", "3", "--seed", "4")
    assert r.exit_code == 0, r.output
    rep = json.loads((out / "report.json").read_text())
    subs = [json.loads((out / f"repeat-{i}" / "report.json").read_text()) for i in range(3)]
    accs = [s["accuracy"] for s in subs]
    assert rep["repeats"]["seeds"] == [4, 5, 6] and rep["repeats"]["accuracy"] == accs
    assert rep["accuracy"] == pytest.approx(np.mean(accs))
    assert rep["evaluated_on"]["protocol"].startswith("3 repeats of 2-fold cross-validation")
    assert rep["evaluated_on"]["n_samples"] == subs[0]["evaluated_on"]["n_samples"]
    folds = []
    for i in range(3):
        with open(out / f"repeat-{i}" / "predictions.csv") as fh:
            folds.append(fh.read())
    assert len(set(folds)) > 1  # another fold seed, other folds
    assert "## Repeats" in (out / "report.md").read_text()
    assert Image.open(out / "repeats.png").size[0] > 300
    before = [(out / f"repeat-{i}" / "report.json").stat().st_mtime_ns for i in range(3)]
    again = _cv(data, out, "--repeats", "3", "--seed", "4")
    assert again.exit_code == 0 and again.output.count("finished earlier") == 3, again.output
    assert [(out / f"repeat-{i}" / "report.json").stat().st_mtime_ns
            for i in range(3)] == before  # fmt: skip
    more = _cv(data, out, "--repeats", "2", "--seed", "4", "--folds", "3")
    assert more.exit_code == 0 and "finished earlier" not in more.output, more.output
    assert json.loads((out / "report.json").read_text())["repeats"]["seeds"] == [4, 5]


def test_crossval_repeats_of_nested_selection(tmp_path):
    """--select with --repeats 2 --score-all: each repeat is a nested run; the summary counts
    the recipes chosen and gives each recipe's own mean."""
    data = write_indexed(tmp_path / "d", n_subjects=6, n_reps=2, correctness=True)
    out = tmp_path / "cv"
    r = runner.invoke(app, ["crossval", "--data", str(data), "--out", str(out), "--folds", "3",
                            "--inner-folds", "2", "--task", "correctness", "--clip-mode", "whole",
                            "--quiet", "--score-all", "--repeats", "2", "--select",
                            "--scorer-arch forest --scorer-inputs form;"
                            "--scorer-arch forest --scorer-inputs duration"])  # fmt: skip
    assert r.exit_code == 0, r.output
    rp = json.loads((out / "report.json").read_text())["repeats"]
    assert sum(rp["chosen"].values()) == 2 * 3
    assert set(rp["chosen"]) <= set(rp["candidate_outer"]) and len(rp["candidate_outer"]) == 2
    for c in rp["candidate_outer"].values():
        assert len(c["accuracy"]) == 2 and c["mean"] == pytest.approx(np.mean(c["accuracy"]))
    assert "mean over repeats" in r.output


def test_crossval_repeats_are_checked(tmp_path):
    """--repeats below 1, or with --modality imu (leave-one-subject-out has no fold seed):
    usage errors, exit 2, nothing written."""
    data = write_indexed(tmp_path / "d", n_subjects=2)
    zero = _cv(data, tmp_path / "r", "--repeats", "0")
    assert zero.exit_code == 2 and "--repeats" in zero.output, zero.output
    imu = runner.invoke(app, ["crossval", "--data", str(data), "--out", str(tmp_path / "r"),
                              "--modality", "imu", "--repeats", "2"])  # fmt: skip
    assert imu.exit_code == 2 and "--repeats" in imu.output, imu.output
    assert not (tmp_path / "r").exists()
