"""Push-up form features and cues on constructed side-view push-ups."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.pose.pushup_form import (
    FEATURES,
    feature_vector,
    pushup_cues,
    pushup_form_features,
    summary,
)
from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence


def pushups(hip_drop: float = 0.0, knee_bend: float = 0.0, low_elbow: float = 60.0,
            facing_right: bool = False, n: int = 60) -> PoseSequence:
    """A body seen from its left side doing push-ups: shoulders at x 0.3, ankles at x 0.9
    (head on the left), hips ``hip_drop`` below the shoulder-ankle line (image y down), elbows
    bending from 170 to ``low_elbow`` degrees and back twice."""
    t = np.linspace(0, 2, n)
    bend = np.radians(170 - (170 - low_elbow) * (0.5 - 0.5 * np.cos(2 * np.pi * t)))
    c = np.full((n, 33, 3), np.nan, np.float32)
    upper = 0.12
    sh_y = 0.5 + 0.05 * (1 - np.cos(2 * np.pi * t))
    for side in (0, 1):  # both sides at the same place (a profile view)
        sh, el, wr = (11, 13, 15) if side == 0 else (12, 14, 16)
        hip, kn, an, ear = (23, 25, 27, 7) if side == 0 else (24, 26, 28, 8)
        c[:, sh, 0], c[:, sh, 1] = 0.3, sh_y
        c[:, an, 0], c[:, an, 1] = 0.9, 0.6
        c[:, hip, 0] = 0.6
        c[:, hip, 1] = (sh_y + 0.6) / 2 + hip_drop
        c[:, kn, 0] = 0.75
        c[:, kn, 1] = (c[:, hip, 1] + 0.6) / 2 + knee_bend
        c[:, ear, 0], c[:, ear, 1] = 0.22, sh_y - 0.03
        # upper arm straight down from the shoulder, forearm at the elbow angle
        c[:, el, 0], c[:, el, 1] = 0.3, sh_y + upper
        c[:, wr, 0] = 0.3 + upper * np.sin(bend)
        c[:, wr, 1] = sh_y + upper - upper * np.cos(bend)
    c[..., 2] = 0.0
    if facing_right:
        c[..., 0] = 1.2 - c[..., 0]
    return PoseSequence.from_array(c, MEDIAPIPE_33, fps=30.0)


def test_good_pushups_have_a_straight_line_and_no_cues():
    f = pushup_form_features(pushups())
    assert set(f) == set(FEATURES)
    assert f["body_angle_median"] > 170 and abs(f["hip_offset_median"]) < 0.01
    assert f["knee_angle_median"] > 170
    assert f["elbow_angle_min"] == pytest.approx(60, abs=2)
    assert f["elbow_angle_max"] == pytest.approx(170, abs=2)
    assert pushup_cues(f) == []


@pytest.mark.parametrize("facing_right", [False, True])
def test_sagging_hips_and_bent_knees_are_named(facing_right):
    sag = pushup_form_features(pushups(hip_drop=0.06, facing_right=facing_right))
    assert sag["hip_offset_median"] > 0.066 and sag["body_angle_median"] < 165
    assert any("hips sagging" in c for c in pushup_cues(sag))
    pike = pushup_form_features(pushups(hip_drop=-0.06, facing_right=facing_right))
    assert pike["hip_offset_median"] < -0.05  # hips above the line: negative
    assert not any("sagging" in c for c in pushup_cues(pike))
    knees = pushup_form_features(pushups(knee_bend=0.08, facing_right=facing_right))
    assert any("knees" in c for c in pushup_cues(knees))


def test_shallow_pushups_ask_to_go_lower():
    f = pushup_form_features(pushups(low_elbow=120))
    assert f["elbow_angle_min"] == pytest.approx(120, abs=2)
    assert any("go lower" in c for c in pushup_cues(f))


def test_too_few_frames_and_other_layouts():
    seq = pushups(n=60)
    det = np.zeros(60, bool)
    det[:3] = True
    few = PoseSequence(seq.coords, seq.timestamps, MEDIAPIPE_33, detected=det)
    assert pushup_form_features(few) is None
    assert pushup_cues(None) == [] and summary(None) == {"features": None, "cues": []}
    assert np.isnan(feature_vector(None)).all() and len(feature_vector(None)) == len(FEATURES)
    with pytest.raises(ValueError, match="mediapipe33"):
        pushup_form_features(PoseSequence.from_array(np.zeros((10, 13, 2)), PENN_13))
    # a span of the recording
    part = pushup_form_features(pushups(low_elbow=60), 0, 15)
    assert part["elbow_angle_min"] > 60


def test_analyzer_adds_pushup_cues_for_pushup_clips(tmp_path, monkeypatch):
    """A clip voted "pushup": extra["pushup_form"] has the features and cues, and unscored
    repetitions get the hints appended; other exercises get none."""
    import json

    from helpers.tiny_model_dir import CLASSES, exported_copy
    from repcoach.analyze import Analyzer, AnalyzerOptions
    from repcoach.types import Repetition

    d = exported_copy(tmp_path / "m")
    classes = ["pushup" if c == "jumping_jacks" else c for c in CLASSES]
    cfg = json.loads((d / "config.json").read_text())
    cfg["classes"] = classes
    (d / "config.json").write_text(json.dumps(cfg))
    (d / "labels.json").write_text(json.dumps({"classes": classes}))
    seg = lambda s: [Repetition(0, 30), Repetition(30, 60)]  # noqa: E731
    an = Analyzer(d, options=AnalyzerOptions(segmenter=seg))
    k = classes.index("pushup")
    monkeypatch.setattr(an.models.classifier, "predict",
                        lambda x: np.eye(len(classes), dtype=np.float32)[[k] * len(x)])
    res = an.analyze(pushups(hip_drop=0.06), frame_size=(1000, 1000))
    assert res.exercise == "pushup"
    form = res.extra["pushup_form"]
    assert any("hips sagging" in c for c in form["cues"]) and "note" not in form
    assert form["features"]["body_angle_median"] < 165
    for r in res.repetitions:  # no scorer for "pushup" here: unscored, so hints are added
        assert r.score is None and any("hips sagging" in c for c in r.cues)
    good = an.analyze(pushups())
    assert good.extra["pushup_form"]["cues"] == [] and "note" in good.extra["pushup_form"]
    j = classes.index("sit_ups")
    monkeypatch.setattr(an.models.classifier, "predict",
                        lambda x: np.eye(len(classes), dtype=np.float32)[[j] * len(x)])
    assert "pushup_form" not in an.analyze(pushups(hip_drop=0.06)).extra
