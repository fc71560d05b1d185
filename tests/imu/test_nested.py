"""Nested cross-subject selection among IMU recipes (repcoach.imu.nested, crossval --select)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.imu.test_imu_train import tiny_dataset
from typer.testing import CliRunner

from repcoach.imu.nested import nested_cross_subject, parse_imu_recipes, recording_candidate


def test_parse_imu_recipes() -> None:
    a, b = parse_imu_recipes("--arch rocket; --arch cnn_deep --derived --mirror x --rotate 10",
                             {"epochs": 5})
    assert a.text == "--arch rocket" and a.params["arch"] == "rocket"
    assert a.params["epochs"] == 5 and a.params["derived"] is False
    assert b.params == {**b.params, "arch": "cnn_deep", "derived": True, "mirror": "x",
                        "rotate_deg": 10.0}
    with pytest.raises(ValueError, match="unknown option '--presence'"):
        parse_imu_recipes("--arch cnn --presence")
    with pytest.raises(ValueError, match="--n-models expects int"):
        parse_imu_recipes("--n-models two")
    with pytest.raises(ValueError, match="'--arch nope'"):
        parse_imu_recipes("--arch cnn;--arch nope")
    with pytest.raises(ValueError, match="at least one recipe"):
        parse_imu_recipes(" ; ")


@pytest.fixture(scope="module")
def windows(tmp_path_factory: pytest.TempPathFactory):
    from repcoach.imu.train import load_window_set

    data = tiny_dataset(tmp_path_factory.mktemp("imu") / "data", people=4)
    return data, load_window_set(data, progress=False)


@pytest.mark.slow
def test_nested_keeps_outer_subject_out_of_every_choice(windows, monkeypatch) -> None:
    """Every recording is tested once, by the recipe its fold's inner folds chose, and no fit
    made for a fold (inner or final) sees the held-out subject."""
    import repcoach.imu.nested as nested

    _, ws = windows
    seen: list[tuple[set, set]] = []

    def spy(ws_, clips, params, seed=0):
        inner = recording_candidate(ws_, clips, params, seed)
        subj = {c: ws_.groups[np.flatnonzero(ws_.clip_ids == c)[0]] for c in clips}

        def fp(tr, te):
            seen.append(({subj[c] for c in clips[tr]}, {subj[c] for c in clips[te]}))
            return inner(tr, te)
        return fp

    monkeypatch.setattr(nested, "recording_candidate", spy)
    recipes = parse_imu_recipes("--arch cnn --epochs 1;--arch cnn --epochs 4", {"rotate_deg": 0})
    res = nested_cross_subject(ws, recipes, inner_k=2, seed=0)
    assert res["n_groups"] == 4 and len(res["folds"]) == 4  # leave one subject out
    assert res["n_samples"] == 8 and len(res["predictions"]["predicted"]) == 8
    assert all(f["chosen"] in res["recipes"] for f in res["folds"])
    assert res["chosen"] == [f["chosen"] for f in res["folds"]]
    for f in res["folds"]:
        assert set(f["inner_accuracy"]) == set(res["recipes"])
    assert 0.0 <= res["clip_accuracy"] <= 1.0
    assert res["classification"]["sample"]["n"] == 8
    # per fold: 2 recipes x 2 inner fits, then 1 final fit; none trains on the held-out subject
    assert len(seen) == 4 * (2 * 2 + 1)
    for f in range(4):
        calls = seen[5 * f: 5 * f + 5]
        held = calls[-1][1]
        assert len(held) == 1
        assert all(not (held & train) and not (held & test) for train, test in calls[:-1])
        assert not (held & calls[-1][0])


def test_nested_refuses_too_many_inner_folds(windows) -> None:
    _, ws = windows
    with pytest.raises(ValueError, match="inner_k"):
        nested_cross_subject(ws, parse_imu_recipes("--arch cnn"), inner_k=4)


@pytest.mark.slow
def test_cli_crossval_imu_select(windows, tmp_path: Path) -> None:
    from repcoach.cli import app

    data, _ = windows
    r = CliRunner().invoke(app, ["crossval", "--modality", "imu", "--data", str(data), "--out",
                                 str(tmp_path / "r"), "--select",
                                 "--arch cnn --epochs 1;--arch cnn --epochs 2",
                                 "--inner-folds", "2", "--quiet"])
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    assert rep["modality"] == "imu" and rep["accuracy_level"] == "recording"
    assert len(rep["nested_selection"]["folds"]) == 4
    assert rep["nested_selection"]["recipes"] == ["--arch cnn --epochs 1", "--arch cnn --epochs 2"]
    assert "chose" in r.output and (tmp_path / "r" / "nested.json").exists()
    bad = CliRunner().invoke(app, ["crossval", "--modality", "imu", "--data", str(data), "--out",
                                   str(tmp_path / "b"), "--select", "--arch cnn --presence"])
    text = " ".join(bad.output.replace("│", " ").split())
    assert bad.exit_code == 2 and "unknown option" in text and "--presence" in text
    assert not (tmp_path / "b").exists()
