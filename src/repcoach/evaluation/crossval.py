"""Grouped, stratified k-fold cross-validation of the training recipes (for measuring, not for
the saved model): every sample is tested once by a model that never saw its group."""

from __future__ import annotations

from typing import Any

import numpy as np

from repcoach.data.sample_splits import group_values
from repcoach.data.samples import Samples
from repcoach.data.splits import subject_kfold, subject_split
from repcoach.errors import DataError
from repcoach.evaluation.metrics import classification_section, scoring_section
from repcoach.models.scorer import MIN_SCORER_SAMPLES
from repcoach.models.train import (
    TrainOptions,
    make_augmenter,
    make_classifier,
    make_scorer_set,
    scorer_extra_inputs,
)


def cross_validate(
    samples: Samples,
    k: int = 5,
    options: TrainOptions | None = None,
    val_fraction: float = 0.15,
    only_folds: list[int] | None = None,
) -> dict[str, Any]:
    """Grouped, stratified k-fold cross-validation (for measuring, not for the saved model).

    Each fold's test groups are unseen in its training; a validation part (``val_fraction`` of
    the remaining groups) drives early stopping. Returns pooled sample- and clip-level figures
    and per-fold accuracies, plus ``predictions`` (the out-of-fold prediction of every
    evaluated sample, for :func:`repcoach.evaluation.evaluate.write_predictions`).
    ``task="exercise"``
    trains the classifier, ``"correctness"`` the scorers (accuracy at 0.5 for 0/1 targets).
    ``only_folds`` runs a subset of the folds (pooled figures then cover those folds' test
    samples only)."""
    options = options or TrainOptions()
    groups = group_values(samples)
    augment = make_augmenter(samples, options)
    folds = subject_kfold(groups, k=k, seed=options.seed, labels=samples.y)
    extra_names, extra = scorer_extra_inputs(options, samples, samples.meta.get("clip_mode"))
    sel = lambda i: None if extra is None else extra[i]  # noqa: E731
    pred = np.empty(len(samples), dtype=object)
    score = np.full(len(samples), np.nan, np.float32)
    per_fold: list[float] = []
    epochs_run: list[int] = []
    done = np.zeros(len(samples), bool)
    fold_of = np.full(len(samples), -1)
    classes = np.asarray(sorted(set(samples.y)), dtype=object)
    proba: np.ndarray | None = None
    for f, (tr_all, te) in enumerate(folds):
        if only_folds is not None and f not in only_folds:
            continue
        done[te] = True
        fold_of[te] = f
        inner = subject_split(
            samples.subject[tr_all], samples.y[tr_all], (1 - val_fraction, val_fraction, 0.0),
            seed=options.seed + f, groups=groups[tr_all],
        )  # fmt: skip
        a, v = tr_all[inner["train"]], tr_all[inner["val"]]
        tr, va, ts = samples.subset(a), samples.subset(v), samples.subset(te)
        if options.task == "exercise":
            clf = make_classifier(options, augment, samples).fit(tr.X, tr.y, va.X, va.y)
            p = clf.predict_proba(ts.X)
            if proba is None:
                proba = np.full((len(samples), len(classes)), np.nan, np.float32)
            cols = np.searchsorted(classes, clf.classes_)  # a fold may lack a class
            proba[np.ix_(te, cols)] = p
            proba[np.ix_(te, np.setdiff1d(np.arange(len(classes)), cols))] = 0.0
            pred[te] = clf.classes_[p.argmax(axis=1)]
            epochs_run.append(len(clf.history_["loss"]))
            per_fold.append(float(np.mean(pred[te] == ts.y)))
        else:
            sset = make_scorer_set(options, augment, extra_names).fit(
                tr.X, tr.y, tr.score, va.X, va.y, va.score,
                extra=sel(a), extra_val=sel(v),
            )  # fmt: skip
            if not len(sset):
                raise DataError(
                    f"fold {f}: no exercise has {MIN_SCORER_SAMPLES} or more scored training "
                    f"clips, so no scorer can be fitted; use fewer folds (now {k}) or more data",
                    samples.meta.get("root"), column="correctness")  # fmt: skip
            score[te] = sset.predict(ts.X, ts.y, sel(te))
            epochs_run.append(max(len(s.history_["loss"]) for s in sset.scorers.values()))
            per_fold.append(float(np.mean((score[te] >= 0.5) == (ts.score >= 0.5))))
    out: dict[str, Any] = {"k": k, "n_samples": int(done.sum()), "n_groups": len(set(groups)),
                           "scorer_inputs": list(extra_names),
                           "per_fold_sample_accuracy": per_fold,
                           "epochs_run": epochs_run}  # fmt: skip
    ev = samples.subset(np.flatnonzero(done))
    # Out-of-fold predictions, one per evaluated sample (evaluate.write_predictions).
    out["predictions"] = {
        "samples": ev, "fold": fold_of[done], "classes": [str(c) for c in classes],
        "predicted": pred[done] if options.task == "exercise" else None,
        "proba": proba[done] if proba is not None else None,
        "predicted_score": score[done] if options.task != "exercise" else None,
    }  # fmt: skip
    if options.task == "exercise":
        out["classification"] = classification_section(
            ev.y, pred[done], sorted(set(samples.y)), ev.clip_id
        )
    else:
        out["scoring"] = scoring_section(ev.y, ev.score, score[done], ev.clip_id)
    return out
