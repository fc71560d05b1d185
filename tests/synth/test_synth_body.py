"""Body model and forward kinematics: rigid bones, frame conventions, the modality API."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.io.pose_csv import read_pose_csv
from repcoach.skeleton import MEDIAPIPE_33 as L
from repcoach.synth import simulate
from repcoach.synth.body import SEGMENTS, build_body
from repcoach.synth.generate import generate_dataset
from repcoach.synth.kinematics import forward, landmarks, local_rotations
from repcoach.types import Participant

IX = L.index
PERSON = Participant("P001", "ahmed-attia", 20, 178.0, 75.0, 7.0, False, True)
# Bones that cross the bending spine are the only non-rigid MediaPipe connections.
NON_RIGID = {(11, 23), (12, 24)}
RIGID = [b for b in L.bones if b not in NON_RIGID]


def _pose(angles: dict[str, float], height: float = 1.78) -> np.ndarray:
    body = build_body(height)
    a = {k: np.array([v], float) for k, v in angles.items()}
    root, local = local_rotations(a, 1)
    o, r = forward(body, np.array([[0.0, 1.0, 0.0]]), root, local)
    return landmarks(body, o, r)[0]


def test_rest_pose_proportions_and_frame():
    p = _pose({})
    # Faces +z (nose in front of the ears), x toward the person's left, y up.
    assert p[IX("nose"), 2] > p[IX("left_ear"), 2] + 0.05
    assert p[IX("left_shoulder"), 0] > 0 > p[IX("right_shoulder"), 0]
    assert (
        p[IX("nose"), 1] > p[IX("left_shoulder"), 1] > p[IX("left_hip"), 1] > p[IX("left_knee"), 1]
    )
    # Winter: hip-to-knee 0.245 H, shoulder-to-elbow 0.186 H.
    assert np.linalg.norm(p[IX("left_hip")] - p[IX("left_knee")]) == pytest.approx(0.245 * 1.78)
    assert np.linalg.norm(p[IX("left_shoulder")] - p[IX("left_elbow")]) == pytest.approx(
        0.186 * 1.78
    )


def test_joint_angle_conventions():
    up = _pose({"shoulder_abd_l": 170.0})
    assert up[IX("left_wrist"), 1] > up[IX("nose"), 1] + 0.2  # arm overhead
    assert up[IX("right_wrist"), 1] < up[IX("right_hip"), 1] + 0.1  # other arm still down
    knee = _pose({"hip_flex_l": 90.0, "knee_flex_l": 90.0})
    assert knee[IX("left_knee"), 1] == pytest.approx(knee[IX("left_hip"), 1], abs=1e-9)
    assert knee[IX("left_knee"), 2] > 0.3  # knee forward
    bent = _pose({"trunk_flex": 40.0, "trunk_rot": 30.0})
    assert bent[IX("nose"), 2] > 0.3  # leaning forward
    assert bent[IX("right_shoulder"), 2] > bent[IX("left_shoulder"), 2]  # turned to the left


def test_world_bones_are_rigid_over_a_whole_recording():
    for code in ("JJ", "HK", "SU", "SE"):
        rec = simulate(PERSON, code, np.random.default_rng(4), n_reps=3)
        lm = rec.landmarks_world(rec.frame_times())
        for a, b in RIGID:
            d = np.linalg.norm(lm[:, a] - lm[:, b], axis=1)
            assert d.std() < 1e-9, (code, L.joint_names[a], L.joint_names[b])
        torso = np.linalg.norm(lm[:, 11] - lm[:, 23], axis=1)
        assert torso.std() > 1e-4  # the spine does bend


def test_api_for_other_modalities():
    rec = simulate(PERSON, "HK", np.random.default_rng(1), n_reps=4)
    t50 = np.arange(0, rec.duration_s, 1 / 50)
    for seg in ("forearm_l", "forearm_r", "shank_l", "shank_r"):
        r = rec.segment_rotations(t50, seg)
        assert r.shape == (len(t50), 3, 3)
        eye = np.broadcast_to(np.eye(3), r.shape)
        np.testing.assert_allclose(r @ r.transpose(0, 2, 1), eye, atol=1e-9)
        np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-9)
        assert rec.segment_positions(t50, seg).shape == (len(t50), 3)
    joints = rec.joint_positions(t50)
    lm = rec.landmarks_world(t50)
    np.testing.assert_allclose(joints["wrist_l"], lm[:, IX("left_wrist")])
    np.testing.assert_allclose(joints["knee_r"], lm[:, IX("right_knee")])
    # The forearm ends at the wrist (forearm length along the segment's -y).
    fore = rec.body.lengths["forearm"]
    np.testing.assert_allclose(
        rec.segment_positions(t50, "forearm_l", [0, -fore, 0]), joints["wrist_l"], atol=1e-9
    )
    pos, rot = rec.site_pose(t50, "rankle")
    assert pos.shape == (len(t50), 3) and rot.shape == (len(t50), 3, 3)
    # Any sampling rate: 30 FPS and 50 Hz agree at shared instants (every 0.1 s).
    t30 = rec.frame_times(30.0)
    np.testing.assert_allclose(rec.landmarks_world(t30[::3]), lm[::5][: len(t30[::3])], atol=1e-9)
    assert set(SEGMENTS) >= {"forearm_l", "shank_r", "hand_l", "head"}
    with pytest.raises(KeyError):
        rec.segment_rotations(t50, "tail")


def test_motion_is_smooth_at_any_rate():
    for code in ("JJ", "HK", "SU", "SE"):
        rec = simulate(PERSON, code, np.random.default_rng(2), n_reps=3)
        t = np.arange(0, rec.duration_s, 1 / 500)
        lm = rec.landmarks_world(t)
        speed = np.linalg.norm(np.diff(lm, axis=0), axis=2).max() * 500
        assert speed < 12.0, code  # m/s: no jumps at repetition boundaries


def test_bone_lengths_in_written_frontal_csv(tmp_path):
    """Jumping jacks move the limbs in the image plane of the frontal camera, so 2D bone
    lengths there stay nearly constant up to tracker jitter (~2-5 px on 50-110 px bones).
    Measured coefficients of variation over 6 people (seed 11): shoulders <= 0.043, upper
    arms <= 0.053, thighs <= 0.043, hips <= 0.083 (short bone), shanks <= 0.125 (noisier ankles,
    small knee bends)."""
    generate_dataset(
        tmp_path, n_participants=2, seed=11, exercises=["JJ"], reps=(4, 4), progress=False
    )
    limits = {(11, 12): 0.06, (11, 13): 0.07, (12, 14): 0.07, (23, 25): 0.06, (24, 26): 0.06,
              (23, 24): 0.12, (25, 27): 0.16, (26, 28): 0.16}  # fmt: skip
    for d in sorted(p for p in tmp_path.iterdir() if p.is_dir()):
        seq = read_pose_csv(d / "JJ" / "frontal" / f"{d.name}JJ-frontal.csv")
        c = seq.coords[seq.detected][:, :, :2] * np.array([1280.0, 720.0])
        for (a, b), limit in limits.items():
            n = np.linalg.norm(c[:, a] - c[:, b], axis=1)
            cv = n.std() / n.mean()
            assert cv < limit, (d.name, L.joint_names[a], L.joint_names[b], cv)
