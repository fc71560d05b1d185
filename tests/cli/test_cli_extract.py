"""`repcoach extract` through typer's CliRunner (in-process, one worker)."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from repcoach.cli import app
from repcoach.io.pose_csv import read_pose_csv

runner = CliRunner()


def test_extract_help_is_fast_and_lists_options():
    res = runner.invoke(app, ["extract", "--help"])
    assert res.exit_code == 0
    for opt in ("--out", "--workers", "--model", "--fps", "--world", "--max-frames"):
        assert opt in res.output


@pytest.mark.slow
def test_extract_one_video_and_a_bad_one(realdata, tmp_path):
    src = realdata("pushfit_pushup_form", "videos", "wrong002.mp4")
    video = tmp_path / "in" / "wrong002.mp4"
    video.parent.mkdir()
    shutil.copy(src, video)
    res = runner.invoke(
        app, ["extract", str(video), "--out", str(tmp_path / "o"), "--max-frames", "10",
              "--fps", "0", "--world", "-j", "1", "-q"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "1 extracted" in res.output
    seq = read_pose_csv(tmp_path / "o" / "wrong002.csv")
    assert seq.n_frames == 10  # --fps 0 keeps the video's 25 FPS frames
    assert (tmp_path / "o" / "wrong002-world.csv").is_file()
    man = json.loads((tmp_path / "o" / "extract_manifest.json").read_text())
    assert man["counts"]["done"] == 1

    (tmp_path / "in" / "empty.mp4").write_bytes(b"")
    res = runner.invoke(app, ["extract", str(tmp_path / "in"), "--max-frames", "5", "-j", "1"])
    assert res.exit_code == 1
    assert "empty.mp4" in res.output and "0 bytes" in res.output
    assert (tmp_path / "in" / "wrong002.csv").is_file()  # default: beside the video
