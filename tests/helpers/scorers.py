"""Shared checks for correctness scorers."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def toy_extra(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(pose x, extra values, 0/1 scores)``: the score depends on two of three extra channels
    (on very different scales), never on the pose channels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 30, 6)).astype(np.float32)
    extra = np.c_[rng.normal(0.9, 0.05, n), rng.normal(0, 1, n), rng.normal(0.1, 0.02, n)]
    score = ((extra[:, 0] - 0.9) / 0.05 + 0.5 * extra[:, 1] > 0).astype(np.float32)
    return x, extra.astype(np.float32), score


def assert_folder_round_trip(scorer, x: np.ndarray, extra: np.ndarray, names, folder: Path):
    """Save ``scorer`` (label ``pushup``, extra inputs ``names``) in a model folder and check that
    its .keras and .h5 reloads predict what it predicts on ``x`` / ``extra``."""
    from repcoach.models.folder import load_keras_models, load_model_config, save_model_dir
    from repcoach.models.scorer import CorrectnessScorer

    ref = scorer.predict(x, extra)
    cfg = {"task": "correctness", "seq_len": x.shape[1], "n_features": x.shape[2],
           "classes": ["pushup"], "scorer_inputs": list(names)}  # fmt: skip
    save_model_dir(folder, cfg, None, {"pushup": scorer})
    recorded = load_model_config(folder)["scorer_inputs"]
    for prefer in (".keras", ".h5"):
        _, scorers, _ = load_keras_models(folder, prefer=prefer)
        again = CorrectnessScorer.from_model(scorers["pushup"], "pushup", recorded)
        np.testing.assert_allclose(again.predict(x, extra), ref, atol=1e-6, err_msg=prefer)
