"""The body model: a 3D kinematic skeleton sized from a participant's height and weight.

Segment lengths follow Winter's anthropometric proportions (fractions of body height H:
shoulder height 0.818 H, upper arm 0.186 H, forearm 0.146 H, hand 0.108 H, hip joint 0.530 H,
thigh 0.245 H, shank 0.246 H, ankle 0.039 H, foot 0.152 H), with a few per-person deviations of
about 2 % so no two people share exact proportions.

Frames (all right-handed, metres): the world has y up; at rest the person stands facing +z with
x toward the person's left. Every segment frame equals the world frame in the rest pose (arms
hanging, palms facing the thighs), so a segment's local offsets below read like world offsets
of a person standing at attention. Each segment's origin is its proximal joint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import Participant

#: Segments, parents first (the forward-kinematics order).
SEGMENTS: tuple[str, ...] = (
    "pelvis", "abdomen", "chest", "neck", "head",
    "upperarm_l", "forearm_l", "hand_l", "upperarm_r", "forearm_r", "hand_r",
    "thigh_l", "shank_l", "foot_l", "thigh_r", "shank_r", "foot_r",
)  # fmt: skip

PARENT: dict[str, str | None] = {
    "pelvis": None,
    "abdomen": "pelvis",
    "chest": "abdomen",
    "neck": "chest",
    "head": "neck",
    "upperarm_l": "chest",
    "forearm_l": "upperarm_l",
    "hand_l": "forearm_l",
    "upperarm_r": "chest",
    "forearm_r": "upperarm_r",
    "hand_r": "forearm_r",
    "thigh_l": "pelvis",
    "shank_l": "thigh_l",
    "foot_l": "shank_l",
    "thigh_r": "pelvis",
    "shank_r": "thigh_r",
    "foot_r": "shank_r",
}

#: Named body joints (for :meth:`Recording.joint_positions`): segment + where on it.
JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "lumbar", "thorax", "neck", "head", "head_top",
    "shoulder_l", "elbow_l", "wrist_l", "hand_l", "shoulder_r", "elbow_r", "wrist_r", "hand_r",
    "hip_l", "knee_l", "ankle_l", "heel_l", "toe_l", "hip_r", "knee_r", "ankle_r", "heel_r",
    "toe_r",
)  # fmt: skip


@dataclass(frozen=True)
class Body:
    """One person's skeleton: where each segment sits on its parent and where each landmark
    and named joint sits on its segment (local coordinates, metres)."""

    height_m: float
    offsets: dict[str, np.ndarray]  # segment origin in the parent's frame
    landmark_segment: tuple[str, ...]  # one per MediaPipe landmark
    landmark_offset: np.ndarray  # (33, 3) in the landmark's segment frame
    joints: dict[str, tuple[str, np.ndarray]]  # joint name -> (segment, local offset)
    lengths: dict[str, float]  # named lengths (upper_arm, forearm, thigh, shank, ...)

    @classmethod
    def from_participant(cls, p: Participant, rng: np.random.Generator | None = None) -> Body:
        """A body sized from ``p.height_cm`` and ``p.weight_kg`` (``rng`` adds ~2 % per-person
        proportion differences; None gives the textbook proportions)."""
        bmi = p.weight_kg / (p.height_cm / 100.0) ** 2
        return build_body(p.height_cm / 100.0, bmi, rng)


def build_body(height_m: float, bmi: float = 22.5, rng: np.random.Generator | None = None) -> Body:
    """Build a :class:`Body` of ``height_m`` metres (see the module doc for the proportions)."""
    h = float(height_m)

    def var(sd: float = 0.02) -> float:
        return (
            1.0 if rng is None else float(np.clip(rng.normal(1.0, sd), 1 - 2.5 * sd, 1 + 2.5 * sd))
        )

    arm, leg, trunk, width = var(), var(), var(), var(0.03)
    hip_w = 0.062 * h * width * (bmi / 22.5) ** 0.25
    sho_w = 0.112 * h * width * (bmi / 22.5) ** 0.08
    upper, fore, hand = 0.186 * h * arm, 0.146 * h * arm, 0.108 * h * arm
    thigh, shank = 0.245 * h * leg, 0.246 * h * leg
    ankle_h, foot_l = 0.039 * h, 0.152 * h
    lumbar, abdomen, chest = 0.07 * h * trunk, 0.10 * h * trunk, 0.118 * h * trunk
    neck_len = 0.045 * h

    v = np.array
    offsets = {
        "pelvis": v([0.0, 0.0, 0.0]),
        "abdomen": v([0.0, lumbar, -0.01 * h]),
        "chest": v([0.0, abdomen, 0.0]),
        "neck": v([0.0, chest, -0.005 * h]),
        "head": v([0.0, neck_len, 0.006 * h]),
        "upperarm_l": v([sho_w, chest, 0.0]),
        "upperarm_r": v([-sho_w, chest, 0.0]),
        "forearm_l": v([0.0, -upper, 0.0]),
        "forearm_r": v([0.0, -upper, 0.0]),
        "hand_l": v([0.0, -fore, 0.0]),
        "hand_r": v([0.0, -fore, 0.0]),
        "thigh_l": v([hip_w, 0.0, 0.0]),
        "thigh_r": v([-hip_w, 0.0, 0.0]),
        "shank_l": v([0.0, -thigh, 0.0]),
        "shank_r": v([0.0, -thigh, 0.0]),
        "foot_l": v([0.0, -shank, 0.0]),
        "foot_r": v([0.0, -shank, 0.0]),
    }
    z3 = v([0.0, 0.0, 0.0])
    sole = -(ankle_h * 0.8)
    heel = v([0.0, sole, -0.26 * foot_l])
    head_top = v([0.0, 0.132 * h, 0.0])

    # MediaPipe landmarks: (segment, local offset); left = +x, right = -x (mirror).
    def face(x: float, y: float, z: float) -> tuple[str, np.ndarray]:
        return ("head", v([x * h, y * h, z * h]))

    def hand_pt(side: int, x: float, y: float, z: float) -> tuple[str, np.ndarray]:
        return ("hand_l" if side > 0 else "hand_r", v([side * x * h, y * hand / 0.108, z * h]))

    lm: dict[str, tuple[str, np.ndarray]] = {
        "nose": face(0.0, 0.052, 0.058),
        "left_eye_inner": face(0.010, 0.068, 0.050),
        "left_eye": face(0.019, 0.069, 0.047),
        "left_eye_outer": face(0.028, 0.068, 0.042),
        "right_eye_inner": face(-0.010, 0.068, 0.050),
        "right_eye": face(-0.019, 0.069, 0.047),
        "right_eye_outer": face(-0.028, 0.068, 0.042),
        "left_ear": face(0.043, 0.058, 0.002),
        "right_ear": face(-0.043, 0.058, 0.002),
        "mouth_left": face(0.013, 0.027, 0.050),
        "mouth_right": face(-0.013, 0.027, 0.050),
        "left_shoulder": ("upperarm_l", z3),
        "right_shoulder": ("upperarm_r", z3),
        "left_elbow": ("forearm_l", z3),
        "right_elbow": ("forearm_r", z3),
        "left_wrist": ("hand_l", z3),
        "right_wrist": ("hand_r", z3),
        "left_pinky": hand_pt(1, -0.006, -0.048, -0.012),
        "right_pinky": hand_pt(-1, -0.006, -0.048, -0.012),
        "left_index": hand_pt(1, -0.002, -0.054, 0.014),
        "right_index": hand_pt(-1, -0.002, -0.054, 0.014),
        "left_thumb": hand_pt(1, 0.004, -0.030, 0.024),
        "right_thumb": hand_pt(-1, 0.004, -0.030, 0.024),
        "left_hip": ("thigh_l", z3),
        "right_hip": ("thigh_r", z3),
        "left_knee": ("shank_l", z3),
        "right_knee": ("shank_r", z3),
        "left_ankle": ("foot_l", z3),
        "right_ankle": ("foot_r", z3),
        "left_heel": ("foot_l", heel),
        "right_heel": ("foot_r", heel),
        "left_foot_index": ("foot_l", v([0.008 * h, sole, 0.72 * foot_l])),
        "right_foot_index": ("foot_r", v([-0.008 * h, sole, 0.72 * foot_l])),
    }
    names = MEDIAPIPE_33.joint_names
    joints = {
        "pelvis": ("pelvis", z3),
        "lumbar": ("abdomen", z3),
        "thorax": ("chest", z3),
        "neck": ("neck", z3),
        "head": ("head", z3),
        "head_top": ("head", head_top),
        "shoulder_l": ("upperarm_l", z3),
        "elbow_l": ("forearm_l", z3),
        "wrist_l": ("hand_l", z3),
        "hand_l": ("hand_l", v([0.0, -0.5 * hand, 0.0])),
        "shoulder_r": ("upperarm_r", z3),
        "elbow_r": ("forearm_r", z3),
        "wrist_r": ("hand_r", z3),
        "hand_r": ("hand_r", v([0.0, -0.5 * hand, 0.0])),
        "hip_l": ("thigh_l", z3),
        "knee_l": ("shank_l", z3),
        "ankle_l": ("foot_l", z3),
        "heel_l": lm["left_heel"],
        "toe_l": lm["left_foot_index"],
        "hip_r": ("thigh_r", z3),
        "knee_r": ("shank_r", z3),
        "ankle_r": ("foot_r", z3),
        "heel_r": lm["right_heel"],
        "toe_r": lm["right_foot_index"],
    }
    lengths = {
        "height": h,
        "upper_arm": upper,
        "forearm": fore,
        "hand": hand,
        "thigh": thigh,
        "shank": shank,
        "foot": foot_l,
        "ankle_height": ankle_h,
        "hip_width": 2 * hip_w,
        "shoulder_width": 2 * sho_w,
        "trunk": lumbar + abdomen + chest,
        "sole": -sole,
    }
    return Body(
        height_m=h,
        offsets=offsets,
        landmark_segment=tuple(lm[n][0] for n in names),
        landmark_offset=np.stack([lm[n][1] for n in names]).astype(np.float64),
        joints=joints,
        lengths=lengths,
    )
