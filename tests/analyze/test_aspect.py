"""A pose CSV that knows its frame size (``.pose.json``, written by ``repcoach extract``) is
aspect-corrected at analysis without ``--frame-size``, exactly as with the size given."""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from helpers import tiny_model_dir
from helpers.tiny_model_dir import exported_copy
from repcoach.analyze import Analyzer, AnalyzerOptions
from repcoach.cli import app
from repcoach.errors import DataError
from repcoach.io.pose_csv import pose_meta_path, read_pose_csv, write_pose_csv
from repcoach.types import PoseSequence

runner = CliRunner()
SIZE = (1280.0, 720.0)


def arm_swings(seconds: float = 8.0, frame_size=SIZE) -> PoseSequence:
    return tiny_model_dir.arm_swings(seconds, seed=3, frame_size=frame_size)


@pytest.fixture(scope="module")
def corrected_model(tmp_path_factory):
    """The tiny exported model, its config saying it was trained on aspect-corrected clips."""
    m = exported_copy(tmp_path_factory.mktemp("fs") / "model")
    cfg = json.loads((m / "config.json").read_text())
    cfg.update(aspect_correct=True, aspect_corrected_clips=3)
    (m / "config.json").write_text(json.dumps(cfg))
    return m


def _spy(monkeypatch, an: Analyzer) -> list[np.ndarray]:
    seen: list[np.ndarray] = []
    predict = an.models.classifier.predict

    def spy(x):
        seen.append(np.asarray(x))
        return predict(x)

    monkeypatch.setattr(an.models.classifier, "predict", spy)
    return seen


def test_recorded_size_gives_the_same_analysis_as_the_size_given(
    corrected_model, tmp_path, monkeypatch
):
    with_side, bare = tmp_path / "a" / "clip.csv", tmp_path / "b" / "clip.csv"
    write_pose_csv(arm_swings(), with_side)
    write_pose_csv(arm_swings(frame_size=None), bare)
    assert pose_meta_path(with_side).is_file() and not pose_meta_path(bare).exists()
    an = Analyzer(corrected_model)
    seen = _spy(monkeypatch, an)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "frame size is unknown" warning
        auto = an.analyze(read_pose_csv(with_side))
        given = an.analyze(read_pose_csv(bare), frame_size=SIZE)
    x_auto, x_given = seen[-2], seen[-1]
    with pytest.warns(UserWarning, match="frame size is unknown"):
        uncorrected = an.analyze(read_pose_csv(bare))
    assert auto.rep_count >= 3
    np.testing.assert_array_equal(x_auto, x_given)
    assert x_auto.shape == seen[-1].shape and not np.allclose(x_auto, seen[-1], atol=1e-3)
    assert auto.extra["aspect"] == {"model_expects": True, "frame_size": list(SIZE),
                                    "frame_size_source": "recording", "applied": True,
                                    "warning": None}  # fmt: skip
    assert given.extra["aspect"]["frame_size_source"] == "argument"
    assert "warnings" not in auto.extra and uncorrected.extra["warnings"]
    a, g = auto.to_dict(), given.to_dict()
    for d in (a, g):
        d.pop("aspect"), d.pop("source")
    assert a == g


def test_size_precedence_argument_recording_options(corrected_model):
    seq = arm_swings(seconds=2.0, frame_size=(640, 480))
    an = Analyzer(corrected_model, options=AnalyzerOptions(frame_size=(1920, 1080)))
    out, info = an.aspect_correct(seq, (1280, 720))
    assert (info["frame_size"], info["frame_size_source"]) == ([1280.0, 720.0], "argument")
    np.testing.assert_allclose(out.coords[..., 0], seq.coords[..., 0] * 1280 / 720, rtol=1e-6)
    _, info = an.aspect_correct(seq)
    assert (info["frame_size"], info["frame_size_source"]) == ([640.0, 480.0], "recording")
    _, info = an.aspect_correct(replace(seq, frame_size=None))
    assert (info["frame_size"], info["frame_size_source"]) == ([1920.0, 1080.0], "options")
    _, info = Analyzer(corrected_model).aspect_correct(replace(seq, frame_size=None))
    assert info["frame_size_source"] is None and info["applied"] is False and info["warning"]


def test_cli_analyze_csv_uses_recorded_size_and_rejects_a_bad_side_file(
    corrected_model, tmp_path
):
    csv = tmp_path / "clip.csv"
    write_pose_csv(arm_swings(), csv)
    out = tmp_path / "a.json"
    base = ["analyze", str(csv), "--model", str(corrected_model), "--json", str(out)]
    res = runner.invoke(app, base)
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output
    d = json.loads(out.read_text())
    assert d["aspect"]["applied"] is True and d["aspect"]["frame_size"] == list(SIZE)
    assert d["aspect"]["frame_size_source"] == "recording" and "warnings" not in d
    res = runner.invoke(app, [*base, "--frame-size", "640x480"])  # explicit still wins
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    assert d["aspect"]["frame_size"] == [640.0, 480.0]
    assert d["aspect"]["frame_size_source"] == "argument"
    pose_meta_path(csv).write_text('{"frame_width": 1280, "frame_height": "720p"}')
    res = runner.invoke(app, base)
    assert isinstance(res.exception, DataError)
    assert "clip.pose.json" in str(res.exception) and "frame_height" in str(res.exception)


def test_extract_records_the_frame_size(tmp_path):
    """`repcoach extract` on a small generated video writes the side file with the decoded
    frame size; reading the CSV back gives it (no person in it: only the plumbing)."""
    import cv2

    video = tmp_path / "in" / "v.mp4"
    video.parent.mkdir()
    wr = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (320, 180))
    for i in range(6):
        wr.write(np.full((180, 320, 3), 30 * i, np.uint8))
    wr.release()
    res = runner.invoke(app, ["extract", str(video), "--out", str(tmp_path / "o"),
                              "--max-frames", "4", "--world", "-j", "1", "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    info = json.loads((tmp_path / "o" / "v.pose.json").read_text())
    assert (info["frame_width"], info["frame_height"]) == (320, 180)
    assert info["video_fps"] == pytest.approx(25.0) and info["fps"] == pytest.approx(30.0)
    assert read_pose_csv(tmp_path / "o" / "v.csv").frame_size == (320.0, 180.0)
    assert (tmp_path / "o" / "v-world.pose.json").is_file()
    assert not [p for p in (tmp_path / "o").iterdir() if p.name.startswith(".")]


def test_extracted_real_video_analyses_without_frame_size(realdata, corrected_model, tmp_path):
    """End to end on a real clip: extract, then analyse the CSV with no size given: same as
    giving the video's size explicitly, and no warning."""
    src = realdata("pushfit_pushup_form", "videos", "correct001.mp4")
    video = tmp_path / "correct001.mp4"
    shutil.copy(src, video)
    res = runner.invoke(app, ["extract", str(video), "--max-frames", "50", "-j", "1", "-q"])
    assert res.exit_code == 0, res.output
    from repcoach.analyze import recording_frame_size

    size = recording_frame_size(video)
    seq = read_pose_csv(tmp_path / "correct001.csv")
    assert seq.frame_size == size
    an = Analyzer(corrected_model)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        auto = an.analyze(seq)
    given = an.analyze(replace(seq, frame_size=None), frame_size=size)
    assert auto.extra["aspect"]["applied"] is True
    assert auto.extra["aspect"]["frame_size_source"] == "recording"
    assert auto.exercise == given.exercise and auto.confidence == given.confidence
    assert [r.to_dict() for r in auto.repetitions] == [r.to_dict() for r in given.repetitions]
