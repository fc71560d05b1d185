"""Test helper (not a test): small valid inputs of every kind, and ways to break them.

Everything is generated here (no real data): pose CSVs, an indexed IMU dataset, an EJUST-layout
folder (synthetic), thermal clips, and a model folder with a manifest but no real networks (the
malformed-input tests never get as far as running one).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

CLASSES = ["high_knees", "jumping_jacks", "sit_ups", "steam_engine"]


def pose_frame(n: int = 90, fps: float = 30.0, seed: int = 0) -> pd.DataFrame:
    """A valid MediaPipe-33 pose table: a person who moves their arms up and down."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    data: dict[str, object] = {"frame": np.arange(n), "timestamp_s": np.round(t, 6),
                               "detected": np.ones(n, int)}
    base = rng.uniform(0.3, 0.7, size=(33, 3))
    for i in range(33):
        wave = 0.05 * np.sin(2 * np.pi * 0.5 * t) * (1 if i in (13, 14, 15, 16) else 0.1)
        data[f"lm{i:02d}_x"] = np.round(base[i, 0] + wave, 5)
        data[f"lm{i:02d}_y"] = np.round(base[i, 1] + wave, 5)
        data[f"lm{i:02d}_z"] = np.round(base[i, 2] - 0.5, 5)
        data[f"lm{i:02d}_vis"] = 0.9
    return pd.DataFrame(data)


def write_pose(path: Path, df: pd.DataFrame | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (pose_frame() if df is None else df).to_csv(path, index=False)
    return path


def fake_model_dir(out: Path) -> Path:
    """config.json, labels.json, a placeholder classifier.keras and a manifest over them."""
    from repcoach.models.manifest import write_manifest

    out.mkdir(parents=True, exist_ok=True)
    cfg = {"format_version": 1, "task": "exercise", "modality": "pose", "layout": "mediapipe33",
           "seq_len": 30, "n_features": 99, "resample": "interpolate", "classes": CLASSES,
           "clip_mode": "reps", "scorers": []}
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "labels.json").write_text(json.dumps({"classes": CLASSES}))
    (out / "classifier.keras").write_bytes(b"PK\x03\x04 placeholder, never loaded here")
    write_manifest(out, cfg)
    return out


def imu_recording(n: int = 500, rate: float = 50.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    df = pd.DataFrame({"t_s": np.round(t, 5)})
    for ax, k in zip("xyz", range(3), strict=True):
        df[f"acc_{ax}_g"] = np.round(np.sin(2 * np.pi * 0.5 * t + k) + 0.01 * rng.normal(size=n), 5)
        df[f"gyr_{ax}_dps"] = np.round(30 * np.cos(2 * np.pi * 0.5 * t + k), 4)
    return df


def imu_dataset(root: Path) -> Path:
    """An indexed IMU dataset: index.csv (with fs_hz, rep_count, correctness) and reps.csv."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (subj, label) in enumerate([("s1", "curl"), ("s2", "curl"), ("s1", "squat")]):
        f = f"rec{i}.csv"
        imu_recording(seed=i).to_csv(root / f, index=False)
        rows.append({"file": f, "subject": subj, "label": label, "rep_count": 5,
                     "correctness": 0.5, "fs_hz": 50})
    pd.DataFrame(rows).to_csv(root / "index.csv", index=False)
    reps = [{"file": "rec0.csv", "start_index": 1 + 50 * k, "end_index": 50 * (k + 1),
             "execution_type": "correct", "correctness": 1.0} for k in range(5)]
    pd.DataFrame(reps).to_csv(root / "reps.csv", index=False)
    return root


def ejust_dataset(root: Path) -> Path:
    """A one-participant synthetic EJUST-GYM-3 folder with pose and IMU."""
    from repcoach.synth.generate import generate_dataset

    return generate_dataset(root, n_participants=1, seed=0, exercises=["JJ"], reps=(3, 3),
                            modalities=("pose", "imu"), progress=False)


def thermal_npz(path: Path, **arrays: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    frames = rng.uniform(20, 24, size=(20, 24, 32)).astype(np.float32)
    frames[:, 6:20, 12:20] = 34.0  # a warm body
    base: dict[str, object] = {"frames": frames, "timestamps": np.arange(20) / 8.7}
    base.update(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **{k: v for k, v in base.items() if v is not None})
    return path


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def huge_field(n: int = 200_000) -> str:
    return "x" * n
