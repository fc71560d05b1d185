"""The pose CSV's ``.pose.json`` side file: frame size round trip, stale files, clear errors."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from repcoach.errors import DataError
from repcoach.io.pose_csv import (
    META_FORMAT,
    pose_columns,
    pose_meta_path,
    read_pose_csv,
    read_pose_meta,
    write_pose_csv,
)
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence


def _seq(t: int = 10, frame_size=(1280, 720)) -> PoseSequence:
    rng = np.random.default_rng(0)
    coords = rng.random((t, 33, 3)).astype(np.float32)
    return PoseSequence.from_array(coords, MEDIAPIPE_33, fps=25.0, source="/videos/clip.mp4",
                                   frame_size=frame_size)  # fmt: skip


def test_frame_size_round_trip_and_csv_schema_unchanged(tmp_path):
    p = tmp_path / "clip.csv"
    write_pose_csv(_seq(), p, meta={"video_fps": 25.0})
    side = tmp_path / "clip.pose.json"
    assert pose_meta_path(p) == side and side.is_file()
    info = json.loads(side.read_text())
    assert info["format"] == META_FORMAT and info["csv"] == "clip.csv"
    assert (info["frame_width"], info["frame_height"]) == (1280, 720)
    assert info["fps"] == pytest.approx(25.0) and info["video_fps"] == 25.0
    assert info["source"] == "clip.mp4" and info["layout"] == "mediapipe33"
    back = read_pose_csv(p)
    assert back.frame_size == (1280.0, 720.0)
    assert read_pose_csv(p, meta=False).frame_size is None
    # other readers see exactly the documented columns: nothing was added to the table
    assert list(pd.read_csv(p).columns) == pose_columns(MEDIAPIPE_33, with_detected=True)
    # a non-integer size survives too, and slicing keeps it
    write_pose_csv(_seq(frame_size=(640.5, 360)), p)
    assert read_pose_csv(p).slice(2, 5).frame_size == (640.5, 360.0)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["clip.csv", "clip.pose.json"]


def test_no_side_file_without_size_and_stale_one_removed(tmp_path):
    p = tmp_path / "clip.csv"
    write_pose_csv(_seq(frame_size=None), p)
    assert not pose_meta_path(p).exists()
    assert read_pose_csv(p).frame_size is None and read_pose_meta(p) is None
    write_pose_csv(_seq(), p)
    assert pose_meta_path(p).exists()
    # rewriting the CSV from a sequence that does not know its size drops the old side file
    write_pose_csv(replace(_seq(), frame_size=None), p)
    assert not pose_meta_path(p).exists()
    assert read_pose_csv(p).frame_size is None


def test_side_file_without_size_reads_as_unknown(tmp_path):
    p = tmp_path / "clip.csv"
    write_pose_csv(_seq(frame_size=None), p)
    pose_meta_path(p).write_text(json.dumps({"fps": 30.0, "note": "hand made"}))
    assert read_pose_csv(p).frame_size is None


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[1280, 720]", "expected a JSON object"),
        ('{"frame_width": 1280}', "has frame_width but no frame_height"),
        ('{"frame_height": 720}', "has frame_height but no frame_width"),
        ('{"frame_width": "1280", "frame_height": 720}', "frame_width must be a positive number"),
        ('{"frame_width": 1280, "frame_height": 0}', "frame_height must be a positive number"),
        ('{"frame_width": true, "frame_height": 720}', "frame_width must be a positive number"),
        ('{"frame_width": 1280, "frame_height": -720}', "frame_height must be a positive"),
    ],
)
def test_malformed_side_file_is_a_data_error_naming_it(tmp_path, content, match):
    p = tmp_path / "clip.csv"
    write_pose_csv(_seq(frame_size=None), p)
    pose_meta_path(p).write_text(content)
    with pytest.raises(DataError, match=match) as e:
        read_pose_csv(p)
    assert "clip.pose.json" in str(e.value)
    assert read_pose_csv(p, meta=False).n_frames == 10  # the CSV itself is fine


@pytest.mark.parametrize("bad", [(0, 720), (1280,), (1280, float("nan")), ("w", "h"), 5])
def test_pose_sequence_rejects_bad_frame_size(bad):
    with pytest.raises(ValueError, match="frame_size"):
        _seq(frame_size=bad)
