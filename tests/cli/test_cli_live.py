"""`repcoach live --video` through typer's CliRunner, and its bad-argument errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers.tiny_model_dir import exported_copy
from repcoach.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return exported_copy(tmp_path_factory.mktemp("l") / "model")


def test_live_needs_one_source(model_dir, tmp_path):
    res = runner.invoke(app, ["live", "--model", str(model_dir)])
    assert res.exit_code == 2 and "exactly one of --camera" in res.output
    res = runner.invoke(app, ["live", "--model", str(model_dir), "--video", str(tmp_path / "x")])
    assert res.exit_code == 1 and "video not found" in str(res.exception)


@pytest.mark.slow
@pytest.mark.realdata
def test_live_video_writes_the_analyze_json(model_dir, realdata, tmp_path):
    video = realdata("exercise_videos_stock", "videos", "jumpingjack_a.mp4")
    out = tmp_path / "session.json"
    res = runner.invoke(app, ["live", "--video", str(video), "--model", str(model_dir),
                              "--json", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    assert {"exercise", "confidence", "votes", "rep_count", "repetitions", "live"} <= set(d)
    assert d["live"]["frames"] == 74 and d["live"]["detected_frames"] > 60
    assert f"repetitions: {d['rep_count']}" in res.output
