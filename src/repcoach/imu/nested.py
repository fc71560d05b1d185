"""Nested cross-subject selection among IMU recipes (``repcoach crossval --modality imu
--select "A;B"``).

The unit is the recording (a clip of windows): outer folds hold whole subjects out (leave one
subject out by default); inside each, ``inner_k`` grouped folds of the training subjects score
every recipe by per-recording accuracy (majority vote of its windows, as
:func:`repcoach.evaluation.metrics.clip_vote`); the best (first listed on ties) is retrained on
all training subjects and tested on the held-out ones, which took no part in the choice. The
selection rule is :func:`repcoach.evaluation.nested_select.nested_select`, shared with the
pose bench models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repcoach.evaluation.metrics import classification_section, clip_vote
from repcoach.evaluation.nested import read_recipe, split_recipes
from repcoach.evaluation.nested_select import FitPredict, nested_select
from repcoach.imu.model import ImuClassifier, mirror_param
from repcoach.imu.train import (
    DEFAULT_ROTATE_DEG,
    WindowSet,
    check_augment_options,
    check_side_mirror,
    check_train_options,
    side_mirrored,
)

__all__ = ["IMU_RECIPE_FLAGS", "ImuRecipe", "nested_cross_subject", "parse_imu_recipes"]

#: Recipe flags: option -> (ImuClassifier parameter, value type; None = a switch).
IMU_RECIPE_FLAGS: dict[str, tuple[str, type | None]] = {
    "--arch": ("arch", str),
    "--n-models": ("n_models", int),
    "--epochs": ("epochs", int),
    "--derived": ("derived", None),
    "--mirror": ("mirror", str),
    "--rotate": ("rotate_deg", float),
    "--copies": ("augment_copies", int),
    "--scale": ("scale_augment", float),
    "--side-mirror": ("side_mirror", str),
}


@dataclass(frozen=True)
class ImuRecipe:
    """One candidate: its text and the :class:`ImuClassifier` parameters it resolves to."""

    text: str
    params: dict[str, Any] = field(repr=False)


def parse_imu_recipes(select: str, base: dict[str, Any] | None = None) -> list[ImuRecipe]:
    """``"A;B;..."`` (IMU train options, on top of ``base``) -> recipes; ``ValueError`` naming
    the recipe and the bad option."""
    out = []
    for text in split_recipes(select):
        norm, values = read_recipe(text, {f: kind for f, (_, kind) in IMU_RECIPE_FLAGS.items()})
        params: dict[str, Any] = {"arch": "cnn", "epochs": 30, "n_models": 1,
                                  "derived": False, "mirror": None,
                                  "rotate_deg": DEFAULT_ROTATE_DEG, **(base or {}),
                                  **{IMU_RECIPE_FLAGS[f][0]: v for f, v in values.items()}}
        try:
            check_train_options(params["arch"], params["mirror"], params["rotate_deg"],
                                params["n_models"])  # fmt: skip
            check_augment_options(params.get("augment_copies", 0),
                                  params.get("scale_augment", 0.15))  # fmt: skip
            check_side_mirror(params.get("side_mirror"))
        except ValueError as e:
            raise ValueError(f"recipe {text!r}: {e}") from None
        out.append(ImuRecipe(norm, params))
    return out


def recording_candidate(
    ws: WindowSet, clips: np.ndarray, params: dict[str, Any], seed: int = 0
) -> FitPredict:
    """``fit_predict(train_clips, test_clips)`` over indices into ``clips``: train on the
    windows of the training recordings, return each test recording's majority vote. A
    ``side_mirror`` recipe sees the left-side recordings mirrored (:func:`side_mirrored`)."""
    params = dict(params)
    ws = side_mirrored(ws, params.pop("side_mirror", None) or None)
    cp = {**params, "channels": ws.channels, "mirror": mirror_param(ws.channels,
                                                                   params.get("mirror"))}
    calls = [0]

    def fit_predict(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        trw = np.isin(ws.clip_ids, clips[tr])
        tew = np.flatnonzero(np.isin(ws.clip_ids, clips[te]))
        clf = ImuClassifier(**{**cp, "seed": int(cp.get("seed", 0)) + seed + calls[0]})
        calls[0] += 1
        clf.fit(ws.X[trw], ws.y[trw])
        proba = clf.predict_proba(ws.X[tew])
        pred = clf.classes_[np.argmax(proba, axis=1)]
        ids, _, voted = clip_vote(ws.clip_ids[tew], ws.y[tew], pred, proba,
                                  list(clf.classes_))  # fmt: skip
        by_id = dict(zip(ids, voted, strict=True))
        return np.asarray([by_id[str(c)] for c in clips[te]], dtype=object)

    return fit_predict


def nested_cross_subject(
    ws: WindowSet,
    recipes: list[ImuRecipe],
    k: int | None = None,
    inner_k: int = 3,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
    score_all: bool = False,
) -> dict[str, Any]:
    """Nested selection by subject: ``k`` outer folds (default: one per subject), ``inner_k``
    inner grouped folds; per-recording accuracy. Returns ``clip_accuracy``, the choice and inner
    accuracies per fold, and ``classification`` (per recording). ``score_all`` also scores
    every recipe on every outer fold (``candidate_outer``: each one's plain cross-subject
    figure on the same folds, which the selection never sees)."""
    if not recipes:
        raise ValueError("no recipes to select from")
    clips = np.asarray(list(dict.fromkeys(ws.clip_ids.tolist())), dtype=object)
    first = {c: i for i, c in reversed(list(enumerate(ws.clip_ids.tolist())))}
    y = np.asarray([ws.y[first[c]] for c in clips], dtype=object)
    g = np.asarray([ws.groups[first[c]] for c in clips]).astype(str)
    n_subjects = len(set(g))
    k = n_subjects if k is None else k
    if inner_k < 2 or inner_k > n_subjects - max(1, n_subjects // k):
        raise ValueError(f"inner_k must be at least 2 and leave a subject per inner fold "
                         f"({n_subjects} subjects, {k} outer folds), got {inner_k}")  # fmt: skip
    cands = {r.text: recording_candidate(ws, clips, r.params, seed) for r in recipes}
    res = nested_select(cands, y, g, k=k, inner_k=inner_k, seed=seed, log=log,
                        score_all=score_all)  # fmt: skip
    classes = sorted(set(map(str, y)))
    pred = res.pop("predicted")
    return {
        **res,
        "protocol": f"nested cross-subject: {k} outer folds by subject, {inner_k} inner "
                    "grouped folds choose the recipe by per-recording accuracy",
        "unit": "recording",
        "clip_accuracy": res["accuracy"],
        "recipes": [r.text for r in recipes],
        "params": {r.text: {kk: v for kk, v in r.params.items() if kk != "channels"}
                   for r in recipes},
        "classification": classification_section(list(y), list(pred), classes),
        "predictions": {"clip": clips.tolist(), "subject": g.tolist(), "true": y.tolist(),
                        "predicted": pred.tolist()},
    }  # fmt: skip
