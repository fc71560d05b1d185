"""Test helper (not a test): procedurally built pose datasets for the training tests.

Four toy exercises on a MediaPipe-33 stick figure (image space, y down), varied per subject
(body size, position, tempo, amplitude, noise) so that a classifier has to generalise to unseen
subjects. Written either as an indexed dataset (index.csv + pose CSVs) or in the EJUST layout
(participants.csv + annotations.csv with per-rep boundaries and scores).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from repcoach.io.ejust import LABEL_TO_CODE, format_name
from repcoach.io.pose_csv import write_pose_csv
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence

LABELS = ["high_knees", "jumping_jacks", "sit_ups", "steam_engine"]
_N = MEDIAPIPE_33.joint_names

_BASE = {  # body coordinates: x to the person's left (image right for a frontal view), y up
    "nose": (0.0, 1.65), "left_shoulder": (0.2, 1.45), "right_shoulder": (-0.2, 1.45),
    "left_elbow": (0.25, 1.2), "right_elbow": (-0.25, 1.2), "left_wrist": (0.27, 0.95),
    "right_wrist": (-0.27, 0.95), "left_hip": (0.12, 0.95), "right_hip": (-0.12, 0.95),
    "left_knee": (0.13, 0.5), "right_knee": (-0.13, 0.5), "left_ankle": (0.13, 0.05),
    "right_ankle": (-0.13, 0.05),
}  # fmt: skip


def _attach(name: str) -> str:
    """Which main joint a minor landmark (face, hand, foot) follows."""
    if name in _BASE:
        return name
    if "eye" in name or "ear" in name or "mouth" in name:
        return "nose"
    side = "left" if name.startswith("left") else "right"
    if any(k in name for k in ("pinky", "index", "thumb")) and "foot" not in name:
        return f"{side}_wrist"
    return f"{side}_ankle"


def _offsets() -> np.ndarray:
    rng = np.random.default_rng(123)
    return rng.normal(0, 0.03, (33, 2))


def toy_motion(label: str, n_frames: int, period: float, amp: float) -> np.ndarray:
    """(frames, 33, 2) body coordinates of ``label`` repeated every ``period`` frames."""
    t = np.arange(n_frames)
    ph = 2 * np.pi * t / period
    up = 0.5 - 0.5 * np.cos(ph)  # 0 at rest, 1 mid-repetition
    j = {k: np.tile(np.asarray(v, float), (n_frames, 1)) for k, v in _BASE.items()}
    if label == "jumping_jacks":
        for s, sign in (("left", 1), ("right", -1)):
            j[f"{s}_wrist"] += np.c_[sign * 0.35 * up * amp, 1.0 * up * amp]
            j[f"{s}_elbow"] += np.c_[sign * 0.25 * up * amp, 0.45 * up * amp]
            j[f"{s}_ankle"] += np.c_[sign * 0.25 * up * amp, 0 * up]
            j[f"{s}_knee"] += np.c_[sign * 0.12 * up * amp, 0 * up]
    elif label == "sit_ups":
        # lying down at rest, curling up to sitting mid-repetition
        for k in ("nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                  "left_wrist", "right_wrist"):
            h = j[k][:, 1] - 0.95
            lift = 0.15 + 0.85 * up * amp
            j[k] = np.c_[j[k][:, 0] * 0.4 + 0.9 * h * (1 - lift), 0.95 + h * lift]
    elif label == "high_knees":
        left = np.clip(np.sin(ph), 0, None) * amp
        right = np.clip(-np.sin(ph), 0, None) * amp
        j["left_knee"] += np.c_[0 * left, 0.45 * left]
        j["left_ankle"] += np.c_[0 * left, 0.35 * left]
        j["right_knee"] += np.c_[0 * right, 0.45 * right]
        j["right_ankle"] += np.c_[0 * right, 0.35 * right]
    elif label == "steam_engine":
        left = np.clip(np.sin(ph), 0, None) * amp
        right = np.clip(-np.sin(ph), 0, None) * amp
        # hands behind the head; elbow to the opposite knee
        for s, sign in (("left", 1), ("right", -1)):
            j[f"{s}_wrist"] = j[f"{s}_wrist"] * 0 + [sign * 0.05, 1.7]
            j[f"{s}_elbow"] = j[f"{s}_elbow"] * 0 + [sign * 0.3, 1.65]
        j["right_elbow"] += np.c_[0.3 * left, -0.55 * left]
        j["left_knee"] += np.c_[-0.1 * left, 0.45 * left]
        j["left_elbow"] += np.c_[-0.3 * right, -0.55 * right]
        j["right_knee"] += np.c_[0.1 * right, 0.45 * right]
    else:
        raise ValueError(label)
    off = _offsets()
    out = np.zeros((n_frames, 33, 2))
    for i, name in enumerate(_N):
        out[:, i] = j[_attach(name)] + off[i] * (name not in _BASE)
    return out


def toy_sequence(label: str, subject: int, n_reps: int = 4, seed: int = 0, fps: float = 30.0):
    """A clip of ``n_reps`` repetitions by toy ``subject``: (PoseSequence, rep boundaries)."""
    rng = np.random.default_rng([subject, seed, LABELS.index(label)])
    srng = np.random.default_rng(subject + 1000)
    size = srng.uniform(0.25, 0.4)
    cx, cy = srng.uniform(0.4, 0.6), srng.uniform(0.75, 0.9)
    period = rng.uniform(24, 40)
    amp = rng.uniform(0.7, 1.0)
    lead = int(rng.integers(0, 6))
    n = int(lead + n_reps * period + 3)
    body = toy_motion(label, n + lead, period, amp)[lead:]
    body += rng.normal(0, 0.01, body.shape)
    xy = np.stack([cx + size * body[..., 0], cy - size * body[..., 1]], axis=-1)
    z = np.zeros(xy.shape[:2] + (1,))
    coords = np.concatenate([xy, z], axis=-1).astype(np.float32)
    seq = PoseSequence.from_array(coords, MEDIAPIPE_33, fps=fps)
    bounds = [(int(round(k * period)), int(round((k + 1) * period))) for k in range(n_reps)]
    return seq, [(a, min(b, n)) for a, b in bounds]


def write_indexed(root: Path, n_subjects: int = 6, clips_per: int = 1, n_reps: int = 3,
                  split: dict[int, str] | None = None, correctness: bool = False) -> Path:
    """index.csv + one pose CSV per (subject, label, clip)."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for s in range(n_subjects):
        for label in LABELS:
            for c in range(clips_per):
                seq, _ = toy_sequence(label, s, n_reps, seed=c)
                f = f"seq/s{s}_{label}_{c}.csv"
                write_pose_csv(seq, root / f)
                row = {"file": f, "subject": f"s{s}", "label": label}
                if correctness:
                    row["correctness"] = str((s + c) % 2)
                if split is not None:
                    row["split"] = split.get(s, "train")
                rows.append(row)
    with open(root / "index.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return root


FIRST = ["anna", "bilal", "carla", "dina", "emad", "farah", "gamal", "hana", "ivan", "jana",
         "karim", "lina"]  # fmt: skip


def write_ejust(root: Path, n_subjects: int = 8, n_reps: int = 3) -> Path:
    """EJUST layout: participants.csv, frontal + side pose CSVs, annotations.csv with scores."""
    root.mkdir(parents=True, exist_ok=True)
    parts, ann = [], []
    for s in range(n_subjects):
        name = f"{FIRST[s]}-test"
        parts.append([f"P{s + 1:03d}", name, 20 + s, 170, 70, 7, "no", "yes"])
        for label in LABELS:
            code = LABEL_TO_CODE[label]
            seq, bounds = toy_sequence(label, s, n_reps)
            for view in ("frontal", "side"):
                fn = format_name(name, code, view, "csv")
                write_pose_csv(seq, root / name / code / view / fn)
            for k, (a, b) in enumerate(bounds):
                score = round(0.2 + 0.6 * ((s * 7 + k * 3) % 10) / 10, 3)
                ann.append([name, code, label, k + 1, a, b, a / 30, b / 30, score])
    with open(root / "participants.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["participant_id", "name", "age", "height_cm", "weight_kg", "sleep_h",
                    "smoker", "healthy_eater"])  # fmt: skip
        w.writerows(parts)
    with open(root / "annotations.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["participant", "exercise", "label", "rep", "start_frame", "end_frame",
                    "start_s", "end_s", "score"])  # fmt: skip
        w.writerows(ann)
    return root
