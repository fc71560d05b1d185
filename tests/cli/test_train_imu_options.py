"""`repcoach train --modality imu` with the imu-crossval options (--arch, --mirror, --derived,
--rotate, --n-models): recorded in config.json, and the folder evaluates and exports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from repcoach.cli import app

runner = CliRunner()
SUBJECTS = ("s1", "s2", "s3", "s4")


def two_wrist_dataset(root: Path, seconds: float = 8.0) -> Path:
    """Indexed IMU dataset (index.csv + one CSV per recording), both wrists with acc (g) and
    gyro (deg/s) at 50 Hz: 'swing' rotates about x at 0.8 Hz, 'lift' about y at 0.4 Hz; the
    amplitude and phase vary by subject. Small, so training in a test takes seconds."""
    t = np.arange(int(seconds * 50)) / 50.0
    rows = ["file,subject,label"]
    for i, subj in enumerate(SUBJECTS):
        rng = np.random.default_rng(i)
        for label, axis, hz in (("swing", 0, 0.8), ("lift", 1, 0.4)):
            cols, data = ["t_s"], [t]
            for site in ("lwrist", "rwrist"):
                ang = rng.uniform(0.6, 1.0) * np.sin(2 * np.pi * hz * t + rng.uniform(0, 6))
                gyro = np.zeros((len(t), 3))
                gyro[:, axis] = np.degrees(np.gradient(ang, t))
                acc = np.stack([np.sin(ang) if axis else np.zeros_like(t),
                                np.zeros_like(t) if axis else np.sin(ang), np.cos(ang)], 1)
                acc += rng.normal(0, 0.02, acc.shape)
                cols += [f"{site}_acc_{a}_g" for a in "xyz"]
                cols += [f"{site}_gyr_{a}_dps" for a in "xyz"]
                data += [*acc.T, *gyro.T]
            name = f"{subj}_{label}.csv"
            np.savetxt(root / name, np.stack(data, 1), delimiter=",", fmt="%.5f",
                       header=",".join(cols), comments="")
            rows.append(f"{name},{subj},{label}")
    (root / "index.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.mark.slow
def test_train_imu_options_reach_the_model_and_it_evaluates_and_exports(tmp_path: Path) -> None:
    from repcoach.imu.model import mirror_map
    from repcoach.models.folder import load_keras_models

    data = tmp_path / "data"
    data.mkdir()
    two_wrist_dataset(data)
    model = tmp_path / "model"
    r = runner.invoke(app, ["train", "--modality", "imu", "--data", str(data), "--out",
                            str(model), "--quick", "--epochs", "1", "--quiet", "--arch",
                            "cnn_deep", "--derived", "--n-models", "2", "--mirror", "x",
                            "--rotate", "10"])
    assert r.exit_code == 0, r.output
    assert "held-out accuracy" in r.output
    cfg = json.loads((model / "config.json").read_text())
    tp = cfg["train_params"]
    assert (tp["arch"], tp["derived"], tp["n_models"], tp["mirror"], tp["rotate_deg"]) == (
        "cnn_deep", True, 2, "x", 10.0)
    assert (tp["epochs"], tp["batch_size"]) == (1, 64)  # as asked; the imu batch size default
    perm, signs = mirror_map(cfg["channels"], "x")
    assert tp["mirror_map"] == {"perm": perm.tolist(), "signs": signs.tolist()}
    assert tp["mirror_map"]["perm"] != list(range(len(cfg["channels"])))  # left <-> right
    assert cfg["n_features"] == 12 and cfg["split"]["test"]  # raw channels; derived are inside

    # the saved model is what was asked for: 2 averaged cnn_deep members with derived channels
    clf, _, _ = load_keras_models(model)
    members = [la for la in clf.layers if la.name.startswith("imu_cnn_deep_m")]
    assert len(members) == 2
    assert all(m.get_layer("with_derived") is not None for m in members)
    assert clf.input_shape == (None, 100, 12)

    rep = tmp_path / "report"
    r = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(data), "--out",
                            str(rep), "--quiet"])
    assert r.exit_code == 0, r.output
    got = json.loads((rep / "report.json").read_text())
    assert got["evaluated_on"]["includes_training_subjects"] is False
    assert got["evaluated_on"]["n_groups"] == len(cfg["split"]["test"])
    assert 0 <= got["accuracy"] <= 1

    r = runner.invoke(app, ["export", "--model", str(model), "--no-int8"])
    assert r.exit_code == 0, r.output
    exp = json.loads((model / "export.json").read_text())
    assert "test split" in exp["sample_source"]  # held-out real windows, not synthetic inputs
    fp32 = [m for m in exp["models"] if m["precision"] == "fp32"]
    assert fp32 and all(m["class_agreement"] == 1.0 for m in fp32)
    assert all(m["max_abs_diff"] < 1e-4 for m in fp32)


@pytest.mark.parametrize(("args", "words"), [
    (["--modality", "imu", "--arch", "resnet"], ["--arch", "cnn_deep", "resnet"]),
    (["--modality", "imu", "--mirror", "w"], ["--mirror", "x, y, z"]),
    (["--modality", "imu", "--rotate", "-5"], ["--rotate", "between 0 and 180"]),
    (["--modality", "imu", "--n-models", "0"], ["--n-models", "at least 1"]),
    (["--arch", "cnn_deep", "--derived"], ["--derived", "only applies to --modality imu"]),
    (["--arch", "resnet"], ["arch must be one of", "bilstm", "cnn_deep", "resnet"]),
    (["--modality", "pose", "--mirror", "x"], ["--mirror", "only applies to --modality imu"]),
    (["--channels", "acc"], ["--channels", "only applies to --modality imu"]),
    (["--modality", "imu", "--presence", "--occlusion", "0.2"],
     ["--presence, --occlusion", "only apply to", "--modality pose"]),
    (["--modality", "imu", "--task", "correctness"], ["--task", "--label correctness"]),
    (["--modality", "imu", "--group-col", "g"], ["--group-col", "by subject"]),
    (["--modality", "imu", "--unit", "clip"], ["unit must be", "'clip'"]),
    (["--modality", "imu", "--label", "correctness"], ["needs unit 'rep'"]),
    (["--modality", "imu", "--unit", "rep", "--label", "speed"], ["label must be one of"]),
])
def test_bad_imu_options_are_rejected_before_loading_data(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    """The folder is empty: the options are checked first, so the error is about them."""
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                            *args])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split()).replace("│", "").replace("  ", " ")
    for w in words:
        assert w in text, (w, r.output)
    assert not (tmp_path / "m").exists()


def test_train_imu_api_checks_options_first(tmp_path: Path) -> None:
    from repcoach.imu.train import train_imu

    with pytest.raises(ValueError, match="mirror must be one of"):
        train_imu(tmp_path, tmp_path / "m", mirror="q")
    with pytest.raises(ValueError, match="arch must be one of"):
        train_imu(tmp_path, tmp_path / "m", arch="lstm")


@pytest.mark.parametrize(("args", "word"), [(["--arch", "resnet"], "arch must be one of"),
                                            (["--mirror", "w"], "mirror must be one of"),
                                            (["--label", "speed"], "label must be one of")])
def test_imu_crossval_rejects_bad_options_cleanly(tmp_path: Path, args, word) -> None:
    """imu-crossval checks the same options first: exit code 2 and the reason, no traceback."""
    r = runner.invoke(app, ["imu-crossval", "--data", str(tmp_path), "--out",
                            str(tmp_path / "o"), *args])
    assert r.exit_code == 2, r.output
    assert word in " ".join(r.output.split()).replace("│", "").replace("  ", " ")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_train_imu_on_annotated_repetitions_learns_the_chosen_column(tmp_path: Path) -> None:
    """--unit rep --label execution_type: one sample per reps.csv repetition, labelled by that
    column; config.json records both, so `evaluate` rebuilds the same windows."""
    data = tmp_path / "data"
    data.mkdir()
    two_wrist_dataset(data)
    index = (data / "index.csv").read_text().splitlines()
    (data / "index.csv").write_text("\n".join([index[0] + ",fs_hz"]
                                              + [f"{ln},50" for ln in index[1:]]) + "\n")
    reps = ["file,start_index,end_index,execution_type"]
    for ln in index[1:]:
        name = ln.split(",")[0]
        reps += [f"{name},{1 + 120 * k},{100 + 120 * k},{'slow' if k % 2 else 'fast'}"
                 for k in range(3)]
    (data / "reps.csv").write_text("\n".join(reps) + "\n")
    model = tmp_path / "model"
    r = runner.invoke(app, ["train", "--modality", "imu", "--data", str(data), "--out",
                            str(model), "--quick", "--epochs", "1", "--quiet", "--unit", "rep",
                            "--label", "execution_type", "--channels", "acc"])
    assert r.exit_code == 0, r.output
    cfg = json.loads((model / "config.json").read_text())
    assert (cfg["unit"], cfg["label"]) == ("rep", "execution_type")
    assert sorted(cfg["classes"]) == ["fast", "slow"]
    assert cfg["n_features"] == 6  # both wrists' accelerometers only
    rep = tmp_path / "report"
    r = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(data), "--out",
                            str(rep), "--quiet"])
    assert r.exit_code == 0, r.output
    got = json.loads((rep / "report.json").read_text())
    # one window per 100-sample repetition, 3 per recording, 2 recordings per test subject
    assert got["evaluated_on"]["n_samples"] == 3 * 2 * len(cfg["split"]["test"])
