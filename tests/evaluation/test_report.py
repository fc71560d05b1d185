"""Metrics and the report writer: Table II numbers, clip votes, files written atomically."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repcoach.evaluation.metrics import (
    classification_metrics,
    classification_section,
    clip_vote,
    headline_accuracy,
    regression_metrics,
)
from repcoach.evaluation.report import write_report


def test_classification_metrics_match_hand_counts():
    yt = ["a", "a", "a", "b", "b", "c"]
    yp = ["a", "a", "b", "b", "b", "a"]
    m = classification_metrics(yt, yp, ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion_matrix"] == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert m["per_class"]["a"]["precision"] == pytest.approx(2 / 3)
    assert m["per_class"]["a"]["recall"] == pytest.approx(2 / 3)
    assert m["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert m["per_class"]["b"]["recall"] == 1.0
    assert m["per_class"]["c"]["f1"] == 0.0
    assert m["per_class"]["a"]["accuracy"] == m["per_class"]["a"]["recall"]  # Table II
    assert m["macro"]["recall"] == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_clip_vote_majority_and_tie_break():
    clips = ["x", "x", "x", "y", "y"]
    yt = ["a", "a", "a", "b", "b"]
    yp = ["a", "b", "a", "a", "b"]
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.8, 0.2], [0.55, 0.45], [0.1, 0.9]])
    ids, ct, cp = clip_vote(clips, yt, yp, proba, ["a", "b"])
    assert ids == ["x", "y"] and ct == ["a", "b"]
    assert cp == ["a", "b"]  # y: 1-1 tie, b has more probability mass (0.9 > 0.55)


def test_regression_metrics_binary():
    m = regression_metrics([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.6])
    assert m["mae"] == pytest.approx((0.1 + 0.2 + 0.6 + 0.6) / 4)
    assert m["accuracy_at_0.5"] == 0.5 and m["binary_target"]
    assert m["majority_baseline"] == 0.5
    assert -1 <= m["pearson_r"] <= 1
    assert regression_metrics([], [])["mae"] is None


def test_write_report_files_and_fields(tmp_path):
    rng = np.random.default_rng(0)
    classes = ["jumping_jacks", "sit_ups", "high_knees"]
    yt = rng.choice(classes, 40)
    yp = np.where(rng.random(40) < 0.8, yt, rng.choice(classes, 40))
    clips = [f"c{i // 4}" for i in range(40)]
    report = {"classification": classification_section(yt, yp, classes, clips),
              "evaluated_on": {"n_samples": 40, "warning": "example"}}
    history = {"classifier": {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]}}
    path = write_report(tmp_path, report, history)
    got = json.loads(path.read_text())
    acc, level = headline_accuracy(report)
    assert level == "clip" and got["accuracy"] == acc == got["classification"]["clip"]["accuracy"]
    cm = np.array(got["classification"]["sample"]["confusion_matrix"])
    assert cm.sum() == 40 and np.trace(cm) == int((yt == yp).sum())
    assert np.array(got["classification"]["clip"]["confusion_matrix"]).sum() == 10
    for f in ("report.md", "confusion_matrix.png", "confusion_matrix_clip.png",
              "loss_curves.png"):
        assert (tmp_path / f).stat().st_size > 100, f
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    md = (tmp_path / "report.md").read_text()
    assert "macro average" in md and "Warning" in md and "jumping_jacks" in md
    assert not list(tmp_path.glob(".*"))  # nothing half-written left behind


def test_scoring_only_report_has_accuracy(tmp_path):
    from repcoach.evaluation.metrics import scoring_section

    report = {"scoring": scoring_section(["pushup"] * 4, [1, 0, 1, 0], [0.8, 0.3, 0.2, 0.1],
                                         ["a", "a", "b", "c"])}
    got = json.loads(write_report(tmp_path, report).read_text())
    assert got["accuracy_level"].startswith("clip")
    assert got["accuracy"] == pytest.approx(2 / 3)  # clips a (0.55 vs 0.5 -> 1), b wrong, c right
