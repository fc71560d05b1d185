"""Evaluation (paper VI): per-class precision / recall / F1 / accuracy (Table II) at sample and
clip level, the confusion matrix (Fig. 6), training curves (Fig. 7) and correctness-scorer
errors. The metric functions are modality-free (IMU evaluation uses them too); report files are
written by :mod:`repcoach.report`, the one report writer.

Per-class "accuracy" follows Table II, where it equals the class's recall (share of that class's
samples classified correctly). Clip level: each clip's label is the majority vote of its
samples' predictions (ties broken by summed probability). The report's top-level ``accuracy`` is
the clip-level accuracy when some clip has more than one sample, else the sample accuracy
(``accuracy_level`` says which).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Table II for one set of predictions: accuracy, per-class precision / recall / F1 /
    accuracy / support, macro averages and the confusion matrix (rows true, columns predicted)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

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


def _same_path(a: str | Path | None, b: str | Path) -> bool:
    if not a:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def evaluate_model_dir(
    model_dir: str | Path,
    data: str | Path,
    out: str | Path,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate a model folder on the held-out part of ``data``; write the report to ``out``.

    Which samples: the test rows of a ``split`` column; else (same data as training) the groups
    held out as test in config.json; else (other data) every sample whose group was not used in
    training. If none are left, every sample is evaluated and the report says it includes
    training subjects."""
    from repcoach.model_dir import load_history, load_keras_models, load_model_config
    from repcoach.models.classifier import predict_batched
    from repcoach.report import write_report
    from repcoach.samples import load_samples_for_config

    model_dir, data, out = Path(model_dir), Path(data), Path(out)
    cfg = load_model_config(model_dir)
    if cfg.get("modality", "pose") != "pose":
        raise DataError(f"model modality {cfg.get('modality')!r} is not pose; use the "
                        "modality's evaluator", model_dir)  # fmt: skip
    from repcoach.models.scorer_inputs import append_channels, samples_values

    samples, idx = load_samples_for_config(cfg, data, progress=progress)
    extra_names = cfg.get("scorer_inputs") or []
    extra_all = samples_values(extra_names, samples)  # durations over whole recordings
    test = idx["test"]
    warning = None
    on_training = False
    if len(test) == 0:
        test = np.arange(len(samples))
        on_training = True
        warning = ("the data holds only participants/clips used for training or validation: "
                   "these figures are NOT held-out results")  # fmt: skip
    ts = samples.subset(test)
    if len(ts) == 0:
        raise DataError("no samples to evaluate", data)
    clf, scorers, classes = load_keras_models(model_dir)
    report: dict[str, Any] = {
        "model": str(model_dir),
        "data": str(data),
        "task": cfg.get("task"),
        "modality": "pose",
        "evaluated_on": {
            "split": "all (includes training subjects)" if on_training else "test",
            "same_data_as_training": _same_path(cfg.get("data"), data),
            "n_samples": len(ts),
            "n_clips": len(set(ts.clip_id)),
            "n_groups": len(set(ts.subject if not any(ts.group != "") else ts.group)),
            "includes_training_subjects": on_training,
            "warning": warning,
            "split_protocol": (cfg.get("split") or {}).get("source"),
            "group_by": (cfg.get("split") or {}).get("group_by"),
        },
    }
    pred_labels = ts.y
    proba = None
    own = None
    if clf is not None:
        proba = predict_batched(clf, ts.X)
        pred_labels = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
        report["classification"] = classification_section(
            ts.y, pred_labels, classes, ts.clip_id, proba
        )
    if scorers and ts.has_scores:
        t = ts.score
        xs = append_channels(ts.X, None if extra_all is None else extra_all[test])
        own = np.full(len(ts), np.nan, np.float32)
        for label, model in scorers.items():
            m = ts.y == label
            if m.any():
                own[m] = predict_batched(model, xs[m])[:, 0]
        report["scoring"] = scoring_section(ts.y, t, own, ts.clip_id)
        report["scoring"]["scorer_used"] = "scorer of the true exercise" + (
            f"; inputs: pose + {', '.join(extra_names)}" if extra_names else "")
        report["scoring"]["scorer_inputs"] = ["pose", *extra_names]
        if clf is not None:
            pipe = np.full(len(ts), np.nan, np.float32)
            for label, model in scorers.items():
                m = pred_labels == label
                if m.any():
                    pipe[m] = predict_batched(model, xs[m])[:, 0]
            report["scoring_pipeline"] = {
                "note": "scorer of the PREDICTED exercise, as at inference",
                **regression_metrics(t, pipe),
            }
    acc, level = headline_accuracy(report)
    report = {"accuracy": acc, "accuracy_level": level, **report}
    export = model_dir / "export.json"
    if export.exists():
        import json

        try:
            report["export"] = json.loads(export.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            report["export"] = {"error": "export.json is not valid JSON"}
    write_report(out, report, history=load_history(model_dir))
    write_predictions(out / "predictions.csv", ts, pred_labels if clf is not None else None,
                      proba, classes, own)  # fmt: skip
    return report


def write_predictions(
    path: str | Path,
    samples: Any,
    predicted: Sequence[str] | None = None,
    proba: np.ndarray | None = None,
    classes: Sequence[str] | None = None,
    predicted_score: Sequence[float] | None = None,
    fold: Sequence[int] | None = None,
) -> Path:
    """Write one CSV row per evaluated sample (for error analysis): where it came from
    (clip, subject, frames), its true label / score, the prediction and, with ``proba``, the
    probability of every class (``p_<class>``). ``samples`` is a :class:`~repcoach.samples.
    Samples` aligned with the other arguments. Written atomically."""
    import csv

    from repcoach.io.atomic import atomic_write

    n = len(samples)
    cols: dict[str, Sequence[Any]] = {
        "clip_id": samples.clip_id, "subject": samples.subject, "start_frame": samples.start,
        "end_frame": samples.end, "label": samples.y,
    }  # fmt: skip
    if fold is not None:
        cols["fold"] = fold
    if predicted is not None:
        cols["predicted"] = predicted
        cols["correct"] = [int(str(a) == str(b)) for a, b in zip(samples.y, predicted, strict=True)]
    if proba is not None and classes is not None:
        proba = np.asarray(proba, np.float64)
        for j, c in enumerate(classes):
            cols[f"p_{c}"] = [f"{v:.5f}" for v in proba[:, j]]
    if samples.has_scores or predicted_score is not None:
        cols["score"] = ["" if not np.isfinite(v) else f"{v:.4f}" for v in samples.score]
    if predicted_score is not None:
        cols["predicted_score"] = [
            "" if not np.isfinite(v) else f"{v:.4f}" for v in np.asarray(predicted_score, float)
        ]
    for name, values in cols.items():
        if len(values) != n:
            raise ValueError(f"column {name!r} has {len(values)} values for {n} samples")
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(cols))
        for i in range(n):
            w.writerow([values[i] for values in cols.values()])
    return path


def nan_to_none(x: Any) -> Any:
    """Recursively turn NaN floats into None (JSON has no NaN)."""
    if isinstance(x, dict):
        return {k: nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [nan_to_none(v) for v in x]
    if isinstance(x, float | np.floating) and not math.isfinite(float(x)):
        return None
    return x
