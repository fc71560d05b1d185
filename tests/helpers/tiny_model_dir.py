"""Test helper (not a test): a tiny model folder in the training output format, random weights.

Used by test_export.py, test_runtime.py, test_analyze.py and cli/test_cli_analyze.py so those
tests do not depend on training. Layout: config.json, classifier.keras/.h5, scorers/<label>.keras.
Also ``arm_swings``: a recording to analyse with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CLASSES = ["steam_engine", "jumping_jacks", "sit_ups", "high_knees"]


def build_tiny_model_dir(
    out: Path, seq_len: int = 30, n_features: int = 99, units: int = 8, seed: int = 0,
    labels_json: bool = False, scorer_inputs: tuple[str, ...] = (),
) -> Path:
    """Write a random-weight BiLSTM classifier and four sigmoid scorers into ``out``; with
    ``scorer_inputs`` the scorers take ``n_features + len(scorer_inputs)`` channels."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.utils.set_random_seed(seed)

    def bilstm(n_out: int, activation: str, extra: int = 0) -> keras.Model:
        inp = keras.Input((seq_len, n_features + extra))
        x = keras.layers.Bidirectional(keras.layers.LSTM(units))(inp)
        x = keras.layers.Dense(8, activation="relu")(x)
        x = keras.layers.Dropout(0.4)(x)
        return keras.Model(inp, keras.layers.Dense(n_out, activation=activation)(x))

    out.mkdir(parents=True, exist_ok=True)
    (out / "scorers").mkdir(exist_ok=True)
    clf = bilstm(len(CLASSES), "softmax")
    clf.save(out / "classifier.keras")
    clf.save(out / "classifier.h5")
    for label in CLASSES:
        bilstm(1, "sigmoid", len(scorer_inputs)).save(out / "scorers" / f"{label}.keras")
    config = {
        "format_version": 1, "task": "exercise", "modality": "pose", "layout": "mediapipe33",
        "seq_len": seq_len, "n_features": n_features, "resample": "interpolate",
        "classes": CLASSES, "clip_mode": "repetitions",
    }
    if scorer_inputs:
        config["scorer_inputs"] = list(scorer_inputs)
    (out / "config.json").write_text(json.dumps(config, indent=2))
    if labels_json:
        (out / "labels.json").write_text(json.dumps({"classes": CLASSES}))
    return out


def held_out_inputs(n: int = 48, seq_len: int = 30, n_features: int = 99, seed: int = 1):
    """Pose-like inputs not used anywhere else (the export default uses seed 0)."""
    from repcoach.deploy.export import synthetic_pose_inputs

    return synthetic_pose_inputs(n, seq_len, n_features, seed=seed)




_CACHE: dict[str, Path] = {}


def exported_copy(dest: Path, *, exported: bool = True) -> Path:
    """A copy (at ``dest``) of one tiny model folder built once per test session, exported to
    fp32 + int8 on 32 held-out inputs (``sample_source="test inputs"``) when ``exported``."""
    import shutil
    import tempfile

    key = "exported" if exported else "keras"
    if key not in _CACHE:
        src = Path(tempfile.mkdtemp(prefix=f"repcoach-tiny-{key}-")) / "model"
        build_tiny_model_dir(src)
        if exported:
            from repcoach.deploy.export import export_model_dir

            export_model_dir(src, parity_samples=held_out_inputs(32), sample_source="test inputs")
        _CACHE[key] = src
    shutil.copytree(_CACHE[key], dest)
    return dest


def arm_swings(seconds: float = 12.0, fps: float = 30.0, seed: int = 0, frame_size=None):
    """A standing MediaPipe-33 body raising both arms every 2 s (image coordinates), for
    analysis tests; ``frame_size`` is recorded on the sequence."""
    import numpy as np

    from repcoach.skeleton import MEDIAPIPE_33
    from repcoach.types import PoseSequence

    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    coords = np.zeros((n, 33, 3), np.float32)
    coords[:, :, 0] = 0.5 + rng.normal(0, 0.05, 33)
    coords[:, :, 1] = np.linspace(0.2, 0.9, 33)
    coords[:, [11, 12], 1], coords[:, [23, 24], 1] = 0.35, 0.6
    coords[:, [11, 23], 0], coords[:, [12, 24], 0] = 0.42, 0.58
    swing = 0.15 * np.sin(2 * np.pi * 0.5 * np.arange(n) / fps)
    coords[:, 13:17, 1] += swing[:, None].astype(np.float32)
    coords += rng.normal(0, 0.002, coords.shape).astype(np.float32)
    return PoseSequence.from_array(coords, MEDIAPIPE_33, fps, frame_size=frame_size)
