"""Test helper (not a test): a tiny procedural MediaPipe-33 figure doing repetitions.

Independent of repcoach.synth so the preprocessing and segmentation tests have ground truth of
their own: ``make_sequence("jumping_jacks", [1.0, 0.8, 1.2], lead_in_s=1.0)`` returns a
:class:`PoseSequence` (image coordinates) and the true ``[(start, end), ...]`` frames.
"""

from __future__ import annotations

import numpy as np

from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence

_BASE = {
    "nose": (0.50, 0.20), "left_eye_inner": (0.51, 0.19), "left_eye": (0.515, 0.19),
    "left_eye_outer": (0.52, 0.19), "right_eye_inner": (0.49, 0.19), "right_eye": (0.485, 0.19),
    "right_eye_outer": (0.48, 0.19), "left_ear": (0.53, 0.20), "right_ear": (0.47, 0.20),
    "mouth_left": (0.51, 0.22), "mouth_right": (0.49, 0.22), "left_shoulder": (0.57, 0.30),
    "right_shoulder": (0.43, 0.30), "left_elbow": (0.59, 0.42), "right_elbow": (0.41, 0.42),
    "left_wrist": (0.60, 0.53), "right_wrist": (0.40, 0.53), "left_pinky": (0.60, 0.55),
    "right_pinky": (0.40, 0.55), "left_index": (0.60, 0.555), "right_index": (0.40, 0.555),
    "left_thumb": (0.595, 0.55), "right_thumb": (0.405, 0.55), "left_hip": (0.55, 0.55),
    "right_hip": (0.45, 0.55), "left_knee": (0.55, 0.72), "right_knee": (0.45, 0.72),
    "left_ankle": (0.55, 0.89), "right_ankle": (0.45, 0.89), "left_heel": (0.55, 0.91),
    "right_heel": (0.45, 0.91), "left_foot_index": (0.56, 0.92), "right_foot_index": (0.44, 0.92),
}  # fmt: skip
BASE = np.array([_BASE[n] for n in MEDIAPIPE_33.joint_names], dtype=np.float64)
_IX = MEDIAPIPE_33.index
ARM = {
    s: [_IX(f"{s}_{p}") for p in ("elbow", "wrist", "pinky", "index", "thumb")]
    for s in ("left", "right")
}
LEG = {
    s: [_IX(f"{s}_{p}") for p in ("knee", "ankle", "heel", "foot_index")] for s in ("left", "right")
}


def _rotate(p: np.ndarray, centre: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    d = p - centre
    return centre + np.stack([c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1]], axis=1)


def pose_at(exercise: str, u: float, active: bool = True) -> np.ndarray:
    """(33, 2) pose at phase ``u`` in [0, 1) of one repetition (``active=False``: rest pose)."""
    p = BASE.copy()
    if not active:
        return p
    a = (1 - np.cos(2 * np.pi * u)) / 2  # 0 at rest, 1 mid-repetition
    if exercise == "jumping_jacks":
        for side, sgn in (("left", -1), ("right", 1)):
            sh = p[_IX(f"{side}_shoulder")]
            p[ARM[side]] = _rotate(p[ARM[side]], sh, sgn * a * np.deg2rad(150))
            p[LEG[side]] += np.array([-sgn * 0.07 * a, 0.0])
    elif exercise == "high_knees":
        for side, phase in (("left", 0.0), ("right", 0.5)):
            w = u - phase
            lift = np.sin(2 * np.pi * w) if 0 <= w < 0.5 else 0.0
            hip = p[_IX(f"{side}_hip")]
            p[LEG[side]] = _rotate(p[LEG[side]], hip, 0.0) - np.array([0, 0.14 * lift])
            p[LEG[side][1:]] -= np.array([0, 0.03 * lift])
            other = "right" if side == "left" else "left"
            p[ARM[other]] -= np.array([0, 0.06 * lift])
    elif exercise == "squat":
        upper = [i for i, n in enumerate(MEDIAPIPE_33.joint_names) if _BASE[n][1] <= 0.56]
        p[upper] += np.array([0, 0.14 * a])
        for side in ("left", "right"):
            p[_IX(f"{side}_knee")] += np.array([0, 0.05 * a])
    else:
        raise ValueError(exercise)
    return p


def make_sequence(
    exercise: str,
    rep_durations_s: list[float],
    *,
    fps: float = 30.0,
    lead_in_s: float = 1.0,
    lead_out_s: float = 1.0,
    pauses_s: dict[int, float] | None = None,
    noise: float = 0.0,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    seed: int = 0,
) -> tuple[PoseSequence, list[tuple[int, int]]]:
    """A recording: rest, the repetitions (``pauses_s[k]`` seconds of rest after rep k), rest."""
    rng = np.random.default_rng(seed)
    frames: list[np.ndarray] = []
    truth = []

    def rest(seconds: float) -> None:
        for _ in range(int(round(seconds * fps))):
            frames.append(pose_at(exercise, 0.0, active=False))

    rest(lead_in_s)
    for k, dur in enumerate(rep_durations_s):
        n = int(round(dur * fps))
        start = len(frames)
        for i in range(n):
            frames.append(pose_at(exercise, i / n))
        truth.append((start, len(frames)))
        if pauses_s and k in pauses_s:
            rest(pauses_s[k])
    rest(lead_out_s)
    xy = np.stack(frames)
    xy = (xy - 0.5) * scale + 0.5 + np.asarray(offset)
    xy += rng.normal(0, noise, xy.shape)
    z = np.zeros(xy.shape[:2] + (1,))
    coords = np.concatenate([xy, z], axis=2)
    seq = PoseSequence.from_array(coords, MEDIAPIPE_33, fps=fps, visibility=np.ones(xy.shape[:2]))
    return seq, truth
