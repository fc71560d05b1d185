"""Segmentation and counting against ground truth: boundary errors, count metrics."""

from __future__ import annotations

import numpy as np

from repcoach.types import Repetition


def boundary_errors(
    pred: list[tuple[int, int]] | list[Repetition], true: list[tuple[int, int]] | list[Repetition]
) -> dict[str, float]:
    """Compare predicted with true repetitions (frame indices).

    Each true repetition is matched to the unused predicted one with the largest overlap
    (greedy, overlap > 0). Returns ``count_error`` (pred - true), ``matched``, ``missed``,
    ``extra``, and over matched pairs the mean / max absolute start and end errors in frames
    (``mean_abs``/``max_abs`` pool both boundaries; NaN when nothing matched)."""
    p = [(r.start, r.end) if isinstance(r, Repetition) else tuple(r) for r in pred]
    t = [(r.start, r.end) if isinstance(r, Repetition) else tuple(r) for r in true]
    pairs = []
    for i, (ts, te) in enumerate(t):
        for j, (ps, pe) in enumerate(p):
            ov = min(te, pe) - max(ts, ps)
            if ov > 0:
                pairs.append((ov, i, j))
    pairs.sort(reverse=True)
    used_t: set[int] = set()
    used_p: set[int] = set()
    errs: list[tuple[int, int]] = []
    for _ov, i, j in pairs:
        if i in used_t or j in used_p:
            continue
        used_t.add(i)
        used_p.add(j)
        errs.append((abs(p[j][0] - t[i][0]), abs(p[j][1] - t[i][1])))
    e = np.array(errs, dtype=float).reshape(-1, 2)
    nan = float("nan")
    return {
        "n_pred": len(p),
        "n_true": len(t),
        "count_error": len(p) - len(t),
        "matched": len(errs),
        "missed": len(t) - len(errs),
        "extra": len(p) - len(errs),
        "mean_abs_start": float(e[:, 0].mean()) if len(e) else nan,
        "mean_abs_end": float(e[:, 1].mean()) if len(e) else nan,
        "mean_abs": float(e.mean()) if len(e) else nan,
        "max_abs": float(e.max()) if len(e) else nan,
    }


def count_metrics(true: list[int] | np.ndarray, pred: list[int] | np.ndarray) -> dict[str, float]:
    """``mae`` (mean absolute count error), ``obo`` (fraction within one repetition), ``exact``
    (fraction exactly right), ``n`` and, when some true count is positive, ``nmae`` over those
    (mean of |pred - true| / true, the repetition-counting literature's normalised MAE)."""
    t = np.asarray(true, dtype=float)
    p = np.asarray(pred, dtype=float)
    if t.shape != p.shape or len(t) == 0:
        raise ValueError("need equally long, non-empty true and predicted counts")
    err = np.abs(t - p)
    pos = t > 0
    out = {
        "n": int(len(t)),
        "mae": float(err.mean()),
        "obo": float((err <= 1).mean()),
        "exact": float((err == 0).mean()),
    }
    if pos.any():
        out["nmae"] = float((err[pos] / t[pos]).mean())
    return out


def match_repetitions(
    true: list[tuple[float, float]], pred: list[tuple[float, float]], min_iou: float = 0.5
) -> dict[str, float]:
    """Greedy one-to-one matching of annotated and detected repetitions (seconds) by temporal
    IoU: ``recall`` (annotated reps found), ``precision`` and ``mean_iou`` of matches."""
    used: set[int] = set()
    ious = []
    for ts, te in true:
        best, best_j = 0.0, -1
        for j, (ps, pe) in enumerate(pred):
            if j in used:
                continue
            inter = max(0.0, min(te, pe) - max(ts, ps))
            union = max(te, pe) - min(ts, ps)
            iou = inter / union if union > 0 else 0.0
            if iou > best:
                best, best_j = iou, j
        if best >= min_iou:
            used.add(best_j)
            ious.append(best)
    return {
        "n_true": len(true),
        "n_pred": len(pred),
        "recall": len(ious) / len(true) if true else float("nan"),
        "precision": len(ious) / len(pred) if pred else float("nan"),
        "mean_iou": float(np.mean(ious)) if ious else float("nan"),
    }
