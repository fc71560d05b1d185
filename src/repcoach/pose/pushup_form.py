"""Push-up form features and "what to fix" cues from image-space MediaPipe landmarks.

A push-up is judged by a few body angles, seen from the side: the body line (shoulder-hip-ankle
angle, 180 degrees = straight) and which way the hips leave it (sagging towards the floor or
piking up), straight knees, the head in line with the back (ear-shoulder-hip), and the elbow
range (depth). :func:`pushup_form_features` computes them over a recording (or a span of it) on
the side facing the camera (higher landmark visibility); :func:`pushup_cues` turns them into
short cues.

The coordinates must be aspect-corrected (x scaled by width/height, as training does with
index.csv sizes and analysis with the frame size): angles in raw [0, 1] image coordinates are
distorted by the frame's proportions.

Cue thresholds (:data:`CUE_THRESHOLDS`) are the midpoints between the mean feature of correct
and of incorrect clips of the PushFit development data (165 clips; chosen by looking at that
data, so they are not a held-out result), except the elbow depth, which is the usual coaching
rule (elbows to about 90 degrees). PushFit's labels say only correct / incorrect, not which
fault, so a cue is a hint, not a diagnosis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from repcoach.types import PoseSequence

#: MediaPipe-33 indices (left, right) of the joints used.
_JOINTS = {"ear": (7, 8), "shoulder": (11, 12), "elbow": (13, 14), "wrist": (15, 16),
           "hip": (23, 24), "knee": (25, 26), "ankle": (27, 28)}  # fmt: skip
_SIDE_JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")

#: Feature names, in the order of :func:`feature_vector`.
FEATURES: tuple[str, ...] = (
    "body_angle_median", "body_angle_p10", "body_angle_p90",  # shoulder-hip-ankle, degrees
    "hip_offset_median", "hip_offset_p10", "hip_offset_p90",  # + = hips below the line (sag)
    "knee_angle_median", "knee_angle_p10", "knee_angle_p90",  # hip-knee-ankle, degrees
    "elbow_angle_min", "elbow_angle_max", "elbow_range",  # shoulder-elbow-wrist, degrees
    "neck_angle_median", "neck_angle_p10", "neck_angle_p90",  # ear-shoulder-hip, degrees
    "shoulder_travel",  # vertical shoulder range / torso length
    "body_tilt_median", "body_tilt_p10", "body_tilt_p90",  # shoulder-ankle line vs horizontal
)  # fmt: skip

#: Cue rules: (feature, "above" | "below", threshold, cue).
CUE_THRESHOLDS: tuple[tuple[str, str, float, str], ...] = (
    ("hip_offset_p90", "above", 0.066, "hips sagging: tighten your core, body in one line"),
    ("body_angle_median", "below", 158.0, "body not straight: keep shoulders, hips and ankles "
                                          "in line"),
    ("knee_angle_p10", "below", 133.0, "knees bending: keep your legs straight"),
    ("neck_angle_median", "below", 151.0, "head dropping: keep your neck in line with your back"),
    ("elbow_angle_min", "above", 90.0, "go lower: bend your elbows to about 90 degrees"),
)


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC in degrees, per frame."""
    v1, v2 = a - b, c - b
    n = np.linalg.norm(v1, axis=-1) * np.linalg.norm(v2, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (v1 * v2).sum(-1) / n
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _stats(x: np.ndarray) -> list[float]:
    x = x[np.isfinite(x)]
    if not len(x):
        return [float("nan")] * 3
    return [float(np.median(x)), float(np.percentile(x, 10)), float(np.percentile(x, 90))]


def pushup_form_features(
    seq: PoseSequence, start: int = 0, end: int | None = None, min_frames: int = 5
) -> dict[str, float] | None:
    """Form features of frames ``[start, end)`` of a MediaPipe-33 image-space recording (None
    when fewer than ``min_frames`` frames have a detected pose). Values are NaN where the
    joints needed were never seen."""
    if seq.layout.n_joints != 33:
        raise ValueError(f"push-up form features need the mediapipe33 layout, got "
                         f"{seq.layout.name!r}")  # fmt: skip
    sl = slice(start, end)
    det = seq.detected[sl]
    c = seq.coords[sl][det][..., :2].astype(np.float64)
    vis = seq.visibility[sl][det]
    if len(c) < min_frames:
        return None
    left = [_JOINTS[j][0] for j in _SIDE_JOINTS]
    right = [_JOINTS[j][1] for j in _SIDE_JOINTS]
    side = 0 if np.nanmean(vis[:, left]) >= np.nanmean(vis[:, right]) else 1
    p = {name: c[:, idx[side]] for name, idx in _JOINTS.items()}
    body = _angle(p["shoulder"], p["hip"], p["ankle"])
    line = p["ankle"] - p["shoulder"]
    length = np.linalg.norm(line, axis=1)
    rel = p["hip"] - p["shoulder"]
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = (line[:, 0] * rel[:, 1] - line[:, 1] * rel[:, 0]) / length**2
    # image y points down: with the head on the left (line.x > 0) a positive cross product
    # means the hip is below the line; flip for a body facing the other way
    facing = np.sign(np.nanmean(line[:, 0])) or 1.0
    offset = cross * facing
    knee = _angle(p["hip"], p["knee"], p["ankle"])
    elbow = _angle(p["shoulder"], p["elbow"], p["wrist"])
    neck = _angle(p["ear"], p["shoulder"], p["hip"])
    torso = float(np.nanmean(np.linalg.norm(p["shoulder"] - p["hip"], axis=1)))
    sh_y = p["shoulder"][:, 1] / torso if torso > 0 else np.full(len(c), np.nan)
    tilt = np.degrees(np.arctan2(np.abs(line[:, 1]), np.abs(line[:, 0])))
    fin = elbow[np.isfinite(elbow)]
    sy = sh_y[np.isfinite(sh_y)]
    values = (
        _stats(body) + _stats(offset) + _stats(knee)
        + ([float(fin.min()), float(fin.max()), float(fin.max() - fin.min())] if len(fin)
           else [float("nan")] * 3)
        + _stats(neck)
        + [float(np.percentile(sy, 95) - np.percentile(sy, 5)) if len(sy) else float("nan")]
        + _stats(tilt)
    )  # fmt: skip
    return dict(zip(FEATURES, values, strict=True))


def feature_vector(features: dict[str, float] | None) -> np.ndarray:
    """The features in :data:`FEATURES` order (NaN for None / missing)."""
    if features is None:
        return np.full(len(FEATURES), np.nan)
    return np.array([features.get(k, np.nan) for k in FEATURES], dtype=np.float64)


def pushup_cues(features: dict[str, float] | None) -> list[str]:
    """"What to fix" cues from :func:`pushup_form_features` (empty when nothing stands out or
    the features are unknown)."""
    if features is None:
        return []
    cues = []
    for name, direction, threshold, cue in CUE_THRESHOLDS:
        v = features.get(name, float("nan"))
        if np.isfinite(v) and (v > threshold if direction == "above" else v < threshold):
            cues.append(cue)
    return cues


def summary(features: dict[str, float] | None) -> dict[str, Any]:
    """Features (rounded) and cues, for an analysis's JSON."""
    return {
        "features": None if features is None else {
            k: (round(v, 4) if np.isfinite(v) else None) for k, v in features.items()},
        "cues": pushup_cues(features),
    }  # fmt: skip
