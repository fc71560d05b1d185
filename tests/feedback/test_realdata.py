"""Feedback features on real recordings: a PushFit push-up clip and pt_exercises_imu reps."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.realdata
def test_pushfit_clip_elbow_range_and_reference(realdata):
    from repcoach.feedback import FeedbackModel
    from repcoach.feedback.dataset import pose_rep_features
    from repcoach.feedback.model import default_rules, fit_reference
    from repcoach.io.pose_csv import read_pose_csv

    root = realdata("pushfit_pushup_form")
    feats = []
    for name in ("correct001", "correct002", "correct003", "correct004"):
        seq = read_pose_csv(root / "sequences" / f"{name}.csv", fps=25.0)
        f, c = pose_rep_features({"pose": seq}, [(0, seq.n_frames)], (640, 360))
        feats.append(f[0])
        assert c[0]["pose.elbow_l"].shape == (32,)
    # a push-up bends the elbows: tens of degrees of range on the visible side
    assert max(max(f["pose.elbow_l.range"], f["pose.elbow_r.range"]) for f in feats) > 40
    ref = fit_reference("pushup", feats)
    ref.rules = default_rules(list(ref.features), 3.0)
    model = FeedbackModel({"pushup": ref})
    bad = dict(feats[0])
    bad["pose.elbow_l.range"] = ref.features["pose.elbow_l.range"][0] - 20 * ref.features[
        "pose.elbow_l.range"][1]
    cues = model.cues("pushup", bad)
    assert cues and cues[0].fault == "rom" and cues[0].body_part == "left elbow"


@pytest.mark.realdata
def test_pt_exercises_imu_rep_features(realdata):
    from repcoach.imu.feedback_features import imu_rep_features
    from repcoach.imu.load import load_imu_recording
    from repcoach.io.imu_csv import read_imu_index, read_rep_annotations

    root = realdata("pt_exercises_imu")
    ann = read_rep_annotations(root)
    e = next(e for e in read_imu_index(root) if e.path.name == "s1_e1_template.csv.gz")
    reps = ann[str(e.path.relative_to(root))]
    f = imu_rep_features(load_imu_recording(e), [(r.start_s, r.end_s) for r in reps])
    by = {r.execution_type: x for r, x in zip(reps, f, strict=True)}
    assert by["too_fast"]["duration"] < by["correct"]["duration"]
    assert all(np.isfinite(x["u1.range"]) for x in f)
