"""The dataclasses that travel between stages validate their shapes and serialise cleanly."""

import json

import numpy as np
import pytest

from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import ClipAnalysis, ImuRecording, PoseSequence, Repetition


def _seq(t=10):
    rng = np.random.default_rng(0)
    return PoseSequence.from_array(rng.random((t, 33, 3)), MEDIAPIPE_33, fps=30)


def test_pose_sequence_shapes_and_timing():
    s = _seq(10)
    assert s.n_frames == 10
    assert s.fps == pytest.approx(30.0)
    assert s.features().shape == (10, 99)
    assert s.visibility.shape == (10, 33) and s.detected.all()
    part = s.slice(2, 5)
    assert part.n_frames == 3
    assert part.timestamps[0] == pytest.approx(2 / 30)  # timestamps keep their clock
    assert np.array_equal(s.joint("left_wrist"), s.coords[:, 15])


def test_pose_sequence_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="does not fit layout 'penn13'"):
        PoseSequence.from_array(np.zeros((5, 33, 3)), PENN_13)
    with pytest.raises(ValueError, match="strictly increasing"):
        PoseSequence(np.zeros((3, 13, 2)), np.array([0.0, 0.1, 0.1]), PENN_13)
    with pytest.raises(ValueError, match="visibility"):
        PoseSequence.from_array(np.zeros((3, 13, 2)), PENN_13, visibility=np.ones((3, 12)))


def test_repetition_and_clip_analysis_to_json():
    reps = (
        Repetition(0, 30, 0.0, 1.0, "jumping_jacks", 0.9, 0.75, ("good form",)),
        Repetition(30, 55, 1.0, 1.83, "jumping_jacks", 0.8, float("nan")),
    )
    clip = ClipAnalysis("jumping_jacks", 0.85, {"jumping_jacks": 2}, reps, source="x.csv")
    d = json.loads(json.dumps(clip.to_dict()))
    assert d["rep_count"] == 2
    assert d["repetitions"][0]["score"] == 0.75
    assert d["repetitions"][1]["score"] is None  # NaN is not valid JSON
    with pytest.raises(ValueError, match="must be after start"):
        Repetition(10, 10)


def test_imu_recording_select():
    rec = ImuRecording(np.arange(4) / 50, np.arange(12).reshape(4, 3), ("a.x", "a.y", "a.z"), 50)
    sub = rec.select(["a.z", "a.x"])
    assert sub.data.tolist() == [[2, 0], [5, 3], [8, 6], [11, 9]]
    with pytest.raises(KeyError, match="no IMU channel"):
        rec.select(["b.x"])
