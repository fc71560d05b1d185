"""`repcoach train` / `repcoach evaluate` on a tiny indexed dataset."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from helpers.toy_pose import write_indexed
from repcoach.cli import app
from repcoach.errors import DataError

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


@pytest.mark.parametrize("cmd", [["train"], ["crossval", "-k", "2"]])
def test_cli_occlusion_needs_presence_channels(tmp_path, cmd):
    r = runner.invoke(app, [*cmd, "--data", str(tmp_path), "--out", str(tmp_path / "o"),
                            "--occlusion", "0.3"])
    assert r.exit_code == 2 and "--presence" in r.output
    r = runner.invoke(app, [*cmd, "--data", str(tmp_path), "--out", str(tmp_path / "o"),
                            "--occlusion", "1.5", "--presence"])
    assert r.exit_code == 2 and "probability" in r.output
    assert not (tmp_path / "o").exists()


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
                            "--root-motion", "--mirror-average", "--presence", "--occlusion",
                            "0.5", "--no-scorers", "--quiet"])
    assert r.exit_code == 0, r.output
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["root_motion"] is True and cfg["n_features"] == 99 + 33 + 2
    clf = cfg["train_params"]["classifier"]
    assert (clf["arch"], clf["mirror"], clf["min_epochs"]) == ("cnn_deep", cfg["layout"], 2)
    assert clf["augment"]["occlusion"] == 0.5
    assert runner.invoke(app, ["export", "--model", str(model)]).exit_code == 0
    first = sorted(p for p in data.rglob("*.csv") if p.name != "index.csv")[0]
    r = runner.invoke(app, ["analyze", str(first), "--model", str(model), "--json",
                            str(tmp_path / "a.json")])
    assert r.exit_code == 0, r.output
    got = json.loads((tmp_path / "a.json").read_text())
    assert got["exercise"] in cfg["classes"]


def _form_cli_data(tmp_path: Path) -> Path:
    """A tiny MediaPipe-33 indexed dataset with 0/1 correctness per clip, filmed at 1280x720
    (index.csv width/height: training aspect-corrects the landmarks)."""
    data = write_indexed(tmp_path / "data", n_subjects=6, n_reps=2, correctness=True)
    with open(data / "index.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(data / "index.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*rows[0], "width", "height"])
        w.writeheader()
        w.writerows({**r, "width": "1280", "height": "720"} for r in rows)
    return data


@pytest.mark.slow
def test_cli_form_mlp_correctness_train_evaluate_export(tmp_path):
    """--task correctness --scorer-inputs form --scorer-arch mlp through train, evaluate and
    export: the names and the network are recorded, every stage feeds the 19 form channels."""
    from repcoach.data.scorer_inputs import FORM_INPUTS

    data, model, rep = _form_cli_data(tmp_path), tmp_path / "model", tmp_path / "report"
    r = runner.invoke(app, ["train", "--data", str(data), "--out", str(model), "--task",
                            "correctness", "--clip-mode", "whole", "--scorer-inputs", "form",
                            "--scorer-arch", "mlp", "--epochs", "5", "--quiet"])
    assert r.exit_code == 0, r.output
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["scorer_inputs"] == list(FORM_INPUTS) and not (model / "classifier.keras").exists()
    sc = cfg["train_params"]["scorers"]
    assert (sc["arch"], sc["extra_inputs"]) == ("mlp", list(FORM_INPUTS))
    assert cfg["train_params"]["options"]["scorer_arch"] == "mlp"
    for label in cfg["scorers"]:
        assert (model / "scorers" / f"{label}.h5").is_file()
    r = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(data), "--out",
                            str(rep), "--quiet"])
    assert r.exit_code == 0, r.output
    got = json.loads((rep / "report.json").read_text())
    assert got["scoring"]["scorer_inputs"] == ["pose", *FORM_INPUTS]
    assert 0 <= got["accuracy"] <= 1
    r = runner.invoke(app, ["export", "--model", str(model), "--samples", "8"])
    assert r.exit_code == 0, r.output
    info = json.loads((model / "export.json").read_text())
    assert info["scorer_input_shape"] == [1, 30, 99 + 19]
    assert all(m["max_abs_diff"] < 1e-4 for m in info["models"] if m["precision"] == "fp32")

    # analyze with a scorers-only folder: the exercise must be given when there are several
    clip = data / "seq" / "s0_sit_ups_0.csv"
    r = runner.invoke(app, ["analyze", str(clip), "--model", str(model)])
    assert r.exit_code != 0 and "--exercise" in str(r.exception)
    r = runner.invoke(app, ["analyze", str(clip), "--model", str(model), "--exercise", "lunge"])
    assert r.exit_code != 0 and "not one of the model's classes" in str(r.exception)
    r = runner.invoke(app, ["analyze", str(clip), "--model", str(model), "--exercise",
                            "sit_ups", "--precision", "fp32", "--json", str(tmp_path / "a.json")])
    assert r.exit_code == 0, r.output
    got = json.loads((tmp_path / "a.json").read_text())
    assert got["exercise"] == "sit_ups" and got["exercise_source"] == "given"
    (window,) = got["windows"]  # a whole-clip model scores the whole clip
    assert 0 <= window["score"] <= 1 and "correctness score (whole clip)" in r.output
    pred = {row["clip_id"]: row for row in csv.DictReader((rep / "predictions.csv").open())}
    if "seq/s0_sit_ups_0.csv" in pred:  # a test clip: evaluate scored the same input
        assert window["score"] == pytest.approx(float(pred["seq/s0_sit_ups_0.csv"]
                                                      ["predicted_score"]), abs=1e-4)


@pytest.mark.slow
def test_cli_form_mlp_scorers_analyze_per_repetition(tmp_path, scorer_inputs_seen):
    """train (classifier + form-MLP scorers) -> export -> analyze: every repetition is scored,
    and the scorer is fed the form values of that repetition's frames of the aspect-corrected
    recording (as training measured them)."""
    from repcoach.data.samples import aspect_corrected
    from repcoach.data.scorer_inputs import FORM_INPUTS, span_values
    from repcoach.io.pose_csv import read_pose_csv

    data, model = _form_cli_data(tmp_path), tmp_path / "model"
    r = runner.invoke(app, ["train", "--data", str(data), "--out", str(model), "--quick",
                            "--epochs", "2", "--scorer-inputs", "form", "--scorer-arch", "mlp",
                            "--quiet"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["export", "--model", str(model), "--samples", "8"]).exit_code == 0
    seen = scorer_inputs_seen
    seen.clear()  # export's parity checks ran the scorers too
    clip = data / "seq" / "s0_sit_ups_0.csv"
    r = runner.invoke(app, ["analyze", str(clip), "--model", str(model), "--precision", "fp32",
                            "--frame-size", "1280x720", "--json", str(tmp_path / "a.json")])
    assert r.exit_code == 0, r.output
    reps = json.loads((tmp_path / "a.json").read_text())["repetitions"]
    assert reps and all(rp["score"] is not None for rp in reps)
    x = np.concatenate(seen)
    assert x.shape == (len(reps), 30, 99 + 19)
    spans = [(rp["start_frame"], rp["end_frame"]) for rp in reps]
    seq = aspect_corrected(read_pose_csv(clip), 1280, 720)
    np.testing.assert_allclose(x[:, 0, 99:], span_values(FORM_INPUTS, seq, spans), atol=1e-6)
    assert json.loads((model / "config.json").read_text())["aspect_corrected_clips"] > 0

    # two views: each view's scorer gets the form values of its own landmarks
    from repcoach.video.io import MODEL_FPS
    from repcoach.video.views import combine_views

    side = data / "seq" / "s1_sit_ups_0.csv"  # another body stands in for the side camera
    seen.clear()
    r = runner.invoke(app, ["analyze", str(clip), "--side", str(side), "--model", str(model),
                            "--precision", "fp32", "--frame-size", "1280x720",
                            "--side-frame-size", "1280x720", "--json", str(tmp_path / "b.json")])
    assert r.exit_code == 0, r.output
    reps = json.loads((tmp_path / "b.json").read_text())["repetitions"]
    spans = [(rp["start_frame"], rp["end_frame"]) for rp in reps]
    f, sd = combine_views(seq, aspect_corrected(read_pose_csv(side), 1280, 720), fps=MODEL_FPS)
    assert len(seen) == 2 and spans
    for got, view in zip(seen, (f, sd), strict=True):
        np.testing.assert_allclose(got[:, 0, 99:], span_values(FORM_INPUTS, view, spans),
                                   atol=1e-5)
    assert np.abs(seen[0][:, 0, 99:] - seen[1][:, 0, 99:]).max() > 1e-3


def test_cli_scorer_arch_errors_are_clear(tmp_path):
    data = write_indexed(tmp_path / "d", n_subjects=3, n_reps=1, correctness=True)
    base = ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--task",
            "correctness", "--clip-mode", "whole", "--quiet"]
    r = runner.invoke(app, [*base, "--scorer-arch", "mlp", "--scorer-inputs", "none"])
    assert r.exit_code != 0 and "none" in r.output
    r = runner.invoke(app, [*base, "--scorer-arch", "mlp"])  # auto: nothing for whole clips
    assert isinstance(r.exception, DataError) and "--scorer-inputs form" in str(r.exception)
    r = runner.invoke(app, [*base, "--scorer-arch", "forest"])
    assert isinstance(r.exception, DataError) and "'forest'" in str(r.exception)
    r = runner.invoke(app, [*base, "--scorer-arch", "svm"])
    assert r.exit_code != 0 and "scorer arch" in r.output
    r = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m"),
                            "--modality", "imu", "--scorer-arch", "mlp"])
    assert r.exit_code != 0 and "--scorer-arch" in r.output
    assert not (tmp_path / "m" / "scorers").exists()


@pytest.mark.slow
def test_cli_forest_scorers_train_evaluate_export_analyze(tmp_path, scorer_inputs_seen):
    """--scorer-arch forest --scorer-inputs form+signals through train, evaluate, export (fp32
    and int8 within the parity bounds) and analyze: the scorers get the 40 form channels of each
    repetition's frames of the aspect-corrected recording."""
    from repcoach.data.samples import aspect_corrected
    from repcoach.data.scorer_inputs import FORM_INPUTS, SIGNAL_INPUTS, span_values
    from repcoach.io.pose_csv import read_pose_csv

    names = FORM_INPUTS + SIGNAL_INPUTS
    data, model, rep = _form_cli_data(tmp_path), tmp_path / "model", tmp_path / "report"
    r = runner.invoke(app, ["train", "--data", str(data), "--out", str(model), "--quick",
                            "--epochs", "2", "--scorer-inputs", "form+signals",
                            "--scorer-arch", "forest", "--quiet"])  # fmt: skip
    assert r.exit_code == 0, r.output
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["scorer_inputs"] == list(names)
    sc = cfg["train_params"]["scorers"]
    assert (sc["arch"], sc["n_trees"], sc["extra_inputs"]) == ("forest", 300, list(names))
    r = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(data), "--out",
                            str(rep), "--quiet"])
    assert r.exit_code == 0, r.output
    assert json.loads((rep / "report.json").read_text())["scoring"]["scorer_inputs"] == [
        "pose", *names]
    r = runner.invoke(app, ["export", "--model", str(model), "--samples", "8"])
    assert r.exit_code == 0, r.output
    info = json.loads((model / "export.json").read_text())
    assert info["scorer_input_shape"] == [1, 30, 99 + 40]
    scorers = [m for m in info["models"] if m["name"].startswith("scorers/")]
    assert {m["precision"] for m in scorers} == {"fp32", "int8"}
    for m in scorers:
        assert m["max_abs_diff"] < (1e-4 if m["precision"] == "fp32" else 0.02), m
    seen = scorer_inputs_seen
    seen.clear()
    clip = data / "seq" / "s0_sit_ups_0.csv"
    r = runner.invoke(app, ["analyze", str(clip), "--model", str(model), "--precision", "int8",
                            "--frame-size", "1280x720", "--json", str(tmp_path / "a.json")])
    assert r.exit_code == 0, r.output
    reps = json.loads((tmp_path / "a.json").read_text())["repetitions"]
    assert reps and all(0 <= rp["score"] <= 1 for rp in reps)
    x = np.concatenate(seen)
    spans = [(rp["start_frame"], rp["end_frame"]) for rp in reps]
    seq = aspect_corrected(read_pose_csv(clip), 1280, 720)
    np.testing.assert_allclose(x[:, 0, 99:], span_values(names, seq, spans), atol=1e-5)


def test_cli_crossval_group_blocks_is_checked(tmp_path):
    """--group-blocks belongs to pose data and must not be negative: usage errors, exit 2."""
    imu = runner.invoke(app, ["crossval", "--data", str(tmp_path), "--out", str(tmp_path / "r"),
                              "--modality", "imu", "--group-blocks", "2"])  # fmt: skip
    assert imu.exit_code == 2 and "--group-blocks" in imu.output, imu.output
    neg = runner.invoke(app, ["crossval", "--data", str(write_indexed(tmp_path / "d", 2)),
                              "--out", str(tmp_path / "r"), "--group-blocks", "-1"])  # fmt: skip
    assert neg.exit_code == 2 and "group_blocks" in neg.output, neg.output
    assert not (tmp_path / "r").exists()


def test_cli_crossval_with_group_blocks_reports_its_groups(tmp_path):
    """crossval --group-col subject --group-blocks 2: each subject's clips of one label and
    correctness split into two blocks, the report says so and counts those groups."""
    data = write_indexed(tmp_path / "d", n_subjects=2, clips_per=8, n_reps=2, correctness=True)
    rep = tmp_path / "cv"
    r = runner.invoke(app, ["crossval", "--data", str(data), "--out", str(rep), "-k", "2",
                            "--task", "correctness", "--clip-mode", "whole", "--scorer-arch",
                            "forest", "--scorer-inputs", "duration", "--group-col", "subject",
                            "--group-blocks", "2", "--quiet"])  # fmt: skip
    assert r.exit_code == 0, r.output
    got = json.loads((rep / "report.json").read_text())["evaluated_on"]
    assert got["grouped_by"] == ("2 contiguous blocks of clips (index.csv order) per index.csv "
                                 "column 'subject', label and correctness")
    # 2 subjects x 4 labels x correctness 0/1 (alternating clips, 4 each) x 2 blocks of 2
    assert got["n_samples"] == 64 and got["n_groups"] == 32


def test_cli_crossval_too_few_scored_clips_per_fold_is_a_data_error(tmp_path):
    """Correctness folds whose training part holds under 4 scored clips of every exercise fit
    no scorer: one error line naming the data and what to change, exit 2 (not a crash)."""
    data = write_indexed(tmp_path / "d", n_subjects=6, n_reps=2, correctness=True)
    r = runner.invoke(app, ["crossval", "--data", str(data), "--out", str(tmp_path / "cv"),
                            "-k", "2", "--task", "correctness", "--clip-mode", "whole",
                            "--scorer-arch", "forest", "--scorer-inputs", "duration", "--quiet",
                            "--seed", "4"])  # fmt: skip
    assert isinstance(r.exception, DataError), r.output
    assert "no scorer can be fitted" in str(r.exception) and "fewer folds" in str(r.exception)
    assert str(data) in str(r.exception)
