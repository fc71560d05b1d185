"""Pure metrics (no models, no files): classification and regression figures, clip votes and
means, the report sections built from them, the headline accuracy, JSON-safe NaNs."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Table II for one set of predictions: accuracy, per-class precision / recall / F1 /
    accuracy / support, macro averages and the confusion matrix (rows true, columns predicted)."""

    yt = np.asarray([str(v) for v in y_true], dtype=object)
    yp = np.asarray([str(v) for v in y_pred], dtype=object)
    if classes is None:
        classes = sorted(set(yt) | set(yp))
    classes = [str(c) for c in classes]
    extra = sorted((set(yt) | set(yp)) - set(classes))
    labels = classes + extra
    n = len(yt)
    if n == 0:
        return {"n": 0, "accuracy": None, "classes": labels, "per_class": {}, "macro": {},
                "confusion_matrix": [[0] * len(labels) for _ in labels]}  # fmt: skip
    p, r, f, s = precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0)
    cm = confusion_matrix(yt, yp, labels=labels)
    present = s > 0
    per_class = {
        c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
            "accuracy": float(r[i]), "support": int(s[i])}
        for i, c in enumerate(labels)
    }  # fmt: skip
    macro = {
        "precision": float(np.mean(p[present])),
        "recall": float(np.mean(r[present])),
        "f1": float(np.mean(f[present])),
    }
    return {
        "n": n,
        "accuracy": float(np.mean(yt == yp)),
        "classes": labels,
        "per_class": per_class,
        "macro": macro,
        "confusion_matrix": cm.astype(int).tolist(),
    }


def clip_vote(
    clip_ids: Sequence[str],
    y_true: Sequence[str],
    y_pred: Sequence[str],
    proba: np.ndarray | None = None,
    classes: Sequence[str] | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """Majority vote per clip: ``(clip ids, true labels, voted labels)`` in first-seen order."""
    votes: dict[str, Counter] = defaultdict(Counter)
    mass: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    truth: dict[str, str] = {}
    order: list[str] = []
    for i, (c, t, p) in enumerate(zip(clip_ids, y_true, y_pred, strict=True)):
        c = str(c)
        if c not in truth:
            order.append(c)
            truth[c] = str(t)
        votes[c][str(p)] += 1
        if proba is not None and classes is not None:
            mass[c][str(p)] += float(proba[i][list(classes).index(str(p))])
    voted = []
    for c in order:
        top = max(votes[c].values())
        tied = sorted(k for k, v in votes[c].items() if v == top)
        voted.append(max(tied, key=lambda k: mass[c].get(k, 0.0)) if len(tied) > 1 else tied[0])
    return order, [truth[c] for c in order], voted


def regression_metrics(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, Any]:
    """MAE, RMSE, Pearson r (None when undefined) and, for 0/1 targets, accuracy at 0.5."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    m = np.isfinite(t) & np.isfinite(p)
    t, p = t[m], p[m]
    out: dict[str, Any] = {"n": int(len(t))}
    if len(t) == 0:
        return {**out, "mae": None, "rmse": None, "pearson_r": None}
    out["mae"] = float(np.mean(np.abs(p - t)))
    out["rmse"] = float(np.sqrt(np.mean((p - t) ** 2)))
    r = None
    if len(t) > 2 and np.std(t) > 0 and np.std(p) > 0:
        r = float(np.corrcoef(t, p)[0, 1])
    out["pearson_r"] = r
    out["binary_target"] = bool(np.isin(t, (0.0, 1.0)).all())
    out["accuracy_at_0.5"] = float(np.mean((p >= 0.5) == (t >= 0.5)))
    if out["binary_target"]:
        out["n_positive"] = int((t == 1).sum())
        out["majority_baseline"] = float(max(np.mean(t == 1), np.mean(t == 0)))
    return out


def clip_means(clip_ids: Sequence[str], values: Sequence[float]) -> tuple[list[str], np.ndarray]:
    """Mean value per clip (first-seen order), NaN-aware."""
    acc: dict[str, list[float]] = defaultdict(list)
    order: list[str] = []
    for c, v in zip(clip_ids, values, strict=True):
        c = str(c)
        if c not in acc:
            order.append(c)
        acc[c].append(float(v))
    means = []
    for c in order:
        vals = np.asarray(acc[c], dtype=np.float64)
        vals = vals[np.isfinite(vals)]
        means.append(float(vals.mean()) if len(vals) else float("nan"))
    return order, np.asarray(means)


def classification_section(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    classes: Sequence[str],
    clip_ids: Sequence[str] | None = None,
    proba: np.ndarray | None = None,
) -> dict[str, Any]:
    """``{"sample": metrics, "clip": metrics or None}`` for a report."""
    out: dict[str, Any] = {"sample": classification_metrics(y_true, y_pred, classes),
                           "clip": None}  # fmt: skip
    if clip_ids is not None and len(clip_ids):
        ids, ct, cp = clip_vote(clip_ids, y_true, y_pred, proba, classes)
        out["clip"] = classification_metrics(ct, cp, classes)
        out["clip"]["samples_per_clip"] = float(len(clip_ids) / max(1, len(ids)))
    return out


def scoring_section(
    labels: Sequence[str],
    y_true: Sequence[float],
    y_pred: Sequence[float],
    clip_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Scorer errors overall, per exercise and per clip (mean score per clip)."""
    labels = np.asarray([str(v) for v in labels], dtype=object)
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    out: dict[str, Any] = {"sample": regression_metrics(t, p), "per_exercise": {}}
    for label in sorted(set(labels)):
        m = labels == label
        out["per_exercise"][label] = regression_metrics(t[m], p[m])
    if clip_ids is not None and len(clip_ids):
        ids, ct = clip_means(clip_ids, t)
        _, cp = clip_means(clip_ids, p)
        out["clip"] = regression_metrics(ct, cp)
        out["clip"]["n_clips"] = len(ids)
    return out


def headline_accuracy(report: dict[str, Any]) -> tuple[float | None, str]:
    """The report's top-level accuracy and its level (see module docstring)."""
    cls = report.get("classification")
    if cls:
        clip = cls.get("clip")
        if clip and clip.get("samples_per_clip", 1.0) > 1.0:
            return clip["accuracy"], "clip"
        return cls["sample"]["accuracy"], "sample"
    sc = report.get("scoring")
    if sc:
        clip = sc.get("clip")
        if clip and clip.get("n_clips", 0) < sc["sample"]["n"]:
            return clip.get("accuracy_at_0.5"), "clip (score >= 0.5)"
        return sc["sample"].get("accuracy_at_0.5"), "sample (score >= 0.5)"
    return None, "none"


def nan_to_none(x: Any) -> Any:
    """Recursively turn NaN floats into None (JSON has no NaN)."""
    if isinstance(x, dict):
        return {k: nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [nan_to_none(v) for v in x]
    if isinstance(x, float | np.floating) and not math.isfinite(float(x)):
        return None
    return x
