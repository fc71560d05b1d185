"""`repcoach export` and `repcoach analyze` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers.tiny_model_dir import CLASSES, arm_swings, exported_copy
from repcoach.cli import app
from repcoach.errors import DataError
from repcoach.io.pose_csv import write_pose_csv

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return exported_copy(tmp_path_factory.mktemp("c") / "model", exported=False)


def test_export_then_analyze_writes_documented_json(model_dir, tmp_path):
    res = runner.invoke(app, ["export", "--model", str(model_dir), "--samples", "8"])
    assert res.exit_code == 0, res.output
    assert "classifier" in res.output and "int8" in res.output and "100.0 %" in res.output
    info = json.loads((model_dir / "export.json").read_text())
    assert info["n_samples"] == 8 and "synthetic" in info["sample_source"]

    csv = tmp_path / "clip.csv"
    write_pose_csv(arm_swings(), csv)
    out = tmp_path / "out" / "analysis.json"
    res = runner.invoke(app, ["analyze", str(csv), "--model", str(model_dir), "--json", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    assert {"exercise", "confidence", "votes", "rep_count", "repetitions"} <= set(d)
    assert d["exercise"] in CLASSES and d["rep_count"] == len(d["repetitions"]) >= 4
    assert sum(d["votes"].values()) == d["rep_count"]
    for r in d["repetitions"]:
        assert {"start_s", "end_s", "label", "probability", "score"} <= set(r)
        assert r["end_s"] > r["start_s"] and 0 <= r["score"] <= 1
    assert d["exercise"] in res.output and "repetitions: " in res.output

    res = runner.invoke(app, ["analyze", str(csv), "--model", str(model_dir),
                              "--precision", "fp32", "--json", str(out)])
    assert res.exit_code == 0 and json.loads(out.read_text())["precision"] == "fp32"


def test_analyze_rejects_bad_options(model_dir, tmp_path):
    csv = tmp_path / "clip.csv"
    write_pose_csv(arm_swings(seconds=3), csv)
    res = runner.invoke(app, ["analyze", str(csv), "--model", str(model_dir),
                              "--annotate", str(tmp_path / "a.mp4")])
    assert isinstance(res.exception, DataError) and "needs a video" in str(res.exception)
    res = runner.invoke(app, ["analyze", str(csv), "--model", str(model_dir),
                              "--precision", "fp16"])
    assert res.exit_code != 0 and "int8 or fp32" in res.output


def test_analyze_frame_size_option_and_warning(model_dir, tmp_path):
    import shutil

    m = shutil.copytree(model_dir, tmp_path / "m")
    res = runner.invoke(app, ["export", "--model", str(m), "--samples", "4", "--no-int8"])
    assert res.exit_code == 0, res.output
    cfg = json.loads((m / "config.json").read_text())
    cfg.update(aspect_correct=True, aspect_corrected_clips=5)  # trained on corrected clips
    (m / "config.json").write_text(json.dumps(cfg))
    csv = tmp_path / "clip.csv"
    write_pose_csv(arm_swings(seconds=8), csv)
    out = tmp_path / "a.json"
    base = ["analyze", str(csv), "--model", str(m), "--precision", "fp32", "--json", str(out)]
    res = runner.invoke(app, base)
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and "--frame-size" in res.output
    d = json.loads(out.read_text())
    assert d["aspect"]["applied"] is False and d["warnings"]
    res = runner.invoke(app, [*base, "--frame-size", "1280x720"])
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output
    d = json.loads(out.read_text())
    assert d["aspect"] == {"model_expects": True, "frame_size": [1280.0, 720.0],
                           "frame_size_source": "argument",
                           "applied": True, "warning": None}
    assert "warnings" not in d
    res = runner.invoke(app, [*base, "--frame-size", "1280by720"])
    assert res.exit_code != 0 and "WIDTHxHEIGHT" in res.output
    res = runner.invoke(app, [*base, "--side-frame-size", "640x480"])
    assert res.exit_code != 0 and "--side" in res.output
