"""`repcoach analyze` from a real video end to end: MediaPipe pose -> analysis -> JSON and an
annotated video. The tiny random-weight model makes the predictions meaningless; what is
checked is the pipeline (fields, types, frame counts)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers.tiny_model_dir import CLASSES, exported_copy
from repcoach.cli import app
from repcoach.video.io import read_frames

pytestmark = pytest.mark.slow

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return exported_copy(tmp_path_factory.mktemp("vid") / "model")


def _check_analysis(d: dict) -> None:
    assert {"source", "exercise", "confidence", "votes", "rep_count", "repetitions",
            "segmentation", "precision", "mean_probabilities"} <= set(d)
    assert isinstance(d["rep_count"], int) and d["rep_count"] >= 0
    assert d["rep_count"] == len(d["repetitions"])
    assert d["exercise"] in CLASSES and 0.0 <= d["confidence"] <= 1.0
    assert d["segmentation"] in ("repetitions", "windows")
    # every vote is a repetition, or a window when none was found
    n_voting = d["rep_count"] if d["segmentation"] == "repetitions" else len(d["windows"])
    assert sum(d["votes"].values()) == n_voting >= 1
    for r in d["repetitions"]:
        assert r["end_s"] > r["start_s"] and 0.0 <= r["score"] <= 1.0


def test_analyze_video_json_and_annotated_video(realdata, model_dir, tmp_path):
    video = realdata("exercise_videos_stock", "videos", "jumpingjack_a.mp4")  # 74 frames, 2.5 s
    out_json, out_mp4 = tmp_path / "out" / "a.json", tmp_path / "out" / "a.mp4"
    res = runner.invoke(app, ["analyze", str(video), "--model", str(model_dir),
                              "--annotate", str(out_mp4), "--json", str(out_json)])
    assert res.exit_code == 0, res.output
    d = json.loads(out_json.read_text())
    _check_analysis(d)
    assert d["source"] == str(video) and d["modality"] == "pose"
    frames_in, info_in = read_frames(video, rgb=False)
    frames_out, info_out = read_frames(out_mp4, rgb=False)
    assert len(frames_out) == len(frames_in) == 74
    assert (info_out.width, info_out.height) == (info_in.width, info_in.height)
    assert f"wrote {out_mp4}" in res.output.replace("\n", "")


def test_analyze_two_videos(realdata, model_dir, tmp_path):
    """Two videos as frontal and side views (the same clip twice, as no synchronised pair of
    real views is available): both go through pose extraction and the common clock."""
    video = realdata("exercise_videos_stock", "videos", "squat_correct_a.mp4")  # 29 frames
    out_json = tmp_path / "b.json"
    res = runner.invoke(app, ["analyze", str(video), "--side", str(video), "--model",
                              str(model_dir), "--json", str(out_json)])
    assert res.exit_code == 0, res.output
    d = json.loads(out_json.read_text())
    _check_analysis(d)
    v = d["views"]
    assert v["common_frames"] == 29 and v["sources"] == {"frontal": str(video), "side": str(video)}
    n = d["rep_count"] if d["segmentation"] == "repetitions" else len(d["windows"])
    assert len(d["view_probabilities"]["frontal"]) == len(d["view_probabilities"]["side"]) == n
