"""Evaluation (paper VI): per-class precision / recall / F1 / accuracy (Table II) at sample and
clip level, the confusion matrix (Fig. 6), training curves (Fig. 7) and correctness-scorer
errors. The metric functions are modality-free (IMU evaluation uses them too); report files are
written by :mod:`repcoach.evaluation.report`, the one report writer.

Per-class "accuracy" follows Table II, where it equals the class's recall (share of that class's
samples classified correctly). Clip level: each clip's label is the majority vote of its
samples' predictions (ties broken by summed probability). The report's top-level ``accuracy`` is
the clip-level accuracy when some clip has more than one sample, else the sample accuracy
(``accuracy_level`` says which).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.data.sample_splits import load_samples_for_config
from repcoach.data.scorer_inputs import append_channels, samples_values
from repcoach.errors import DataError
from repcoach.evaluation.metrics import (
    classification_section,
    headline_accuracy,
    regression_metrics,
    scoring_section,
)
from repcoach.evaluation.report import write_report
from repcoach.io.atomic import atomic_write
from repcoach.models.fitting import predict_batched
from repcoach.models.folder import load_history, load_keras_models, load_model_config


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

    model_dir, data, out = Path(model_dir), Path(data), Path(out)
    cfg = load_model_config(model_dir)
    if cfg.get("modality", "pose") != "pose":
        raise DataError(f"model modality {cfg.get('modality')!r} is not pose; use the "
                        "modality's evaluator", model_dir)  # fmt: skip

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
    probability of every class (``p_<class>``). ``samples`` is a :class:`~repcoach.data.samples.
    Samples` aligned with the other arguments. Written atomically."""


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
