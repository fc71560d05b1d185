"""Nested cross-validation over any candidate models given as fit-and-predict functions.

:mod:`repcoach.evaluation.nested` selects among ``repcoach train`` recipes; this module does the
same for models that are not recipes (scikit-learn / numpy bench models such as DTW nearest
neighbours or a random forest on hand-made features, and recipes wrapped as functions). A
candidate is ``fit_predict(train_idx, test_idx) -> labels of test_idx``. For each outer grouped
fold, inner grouped folds on its training part score every candidate (pooled inner accuracy);
the best (first listed on ties) is refitted on the whole training part and tested on the outer
fold. Fold seeds follow :func:`~repcoach.evaluation.nested.nested_cross_validate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from repcoach.data.splits import subject_kfold

FitPredict = Callable[[np.ndarray, np.ndarray], np.ndarray]


def outer_folds(
    groups: Sequence[str], y: Sequence[Any], k: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The outer folds :func:`nested_select` uses (``subject_kfold`` stratified by label), for
    baselines that must be scored on the same folds."""
    return subject_kfold(np.asarray(groups), k=k, seed=seed, labels=np.asarray(y).astype(str))


def nested_select(
    candidates: Mapping[str, FitPredict],
    y: Sequence[Any],
    groups: Sequence[str],
    k: int = 5,
    inner_k: int = 3,
    seed: int = 0,
    score_all: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Nested selection among ``candidates`` (name -> fit_predict).

    Returns ``accuracy`` (pooled over outer folds), ``predicted`` (per sample), per fold the
    inner accuracy of every candidate, the chosen name and its outer accuracy. ``score_all``
    also scores every candidate on every outer fold (``candidate_outer``: each one's plain
    grouped CV accuracy, for information; the selection never sees it)."""
    if not candidates:
        raise ValueError("no candidates to select from")
    log = log or (lambda _m: None)
    names = list(candidates)
    y = np.asarray(y)
    g = np.asarray(groups).astype(str)
    if len(y) != len(g):
        raise ValueError(f"{len(y)} labels but {len(g)} groups")
    folds = outer_folds(g, y, k, seed)
    pred = np.empty(len(y), dtype=y.dtype if y.dtype != object else object)
    all_pred = {n: np.empty_like(pred) for n in names} if score_all else {}
    per_fold: list[dict[str, Any]] = []
    for f, (tr, te) in enumerate(folds):
        t0 = time.time()
        inner = subject_kfold(g[tr], k=inner_k, seed=seed + 100 + f, labels=y[tr].astype(str))
        inner_acc: dict[str, float] = {}
        for n in names:
            hits = sum(int(np.sum(candidates[n](tr[itr], tr[ite]) == y[tr[ite]]))
                       for itr, ite in inner)  # fmt: skip
            inner_acc[n] = hits / len(tr)
            log(f"fold {f}: inner {100 * inner_acc[n]:.1f} %  {n}")
        best = max(range(len(names)), key=lambda i: (inner_acc[names[i]], -i))
        chosen = names[best]
        outer: dict[str, float] = {}
        for n in names if score_all else [chosen]:
            p = candidates[n](tr, te)
            if score_all:
                all_pred[n][te] = p
            if n == chosen:
                pred[te] = p
            outer[n] = float(np.mean(p == y[te]))
        per_fold.append({
            "fold": f, "chosen": chosen, "inner_accuracy": inner_acc,
            "outer_accuracy": outer[chosen], "n_test": int(len(te)),
            "test_groups": sorted(set(g[te])), "seconds": round(time.time() - t0, 1),
            **({"candidate_outer_accuracy": outer} if score_all else {}),
        })  # fmt: skip
        log(f"fold {f}: chose {chosen!r}; outer {100 * outer[chosen]:.1f} % on {len(te)}")
    out: dict[str, Any] = {
        "k": k, "inner_k": inner_k, "seed": seed, "n_samples": int(len(y)),
        "n_groups": len(set(g)), "candidates": names, "folds": per_fold,
        "chosen": [p["chosen"] for p in per_fold],
        "accuracy": float(np.mean(pred == y)), "predicted": pred,
    }  # fmt: skip
    if score_all:
        out["candidate_outer"] = {n: float(np.mean(all_pred[n] == y)) for n in names}
    return out
