"""Per-repetition features for execution type (correct / too fast / low amplitude).

Tempo and range of motion are properties of a whole repetition, which fixed 2 s windows cannot
see. For each repetition we take its duration and, per sensor, the peak-to-peak range of the
low-passed accelerometer (tilt change = range of motion), the RMS and peak of the gyroscope
magnitude (angular speed) and the integrated rotation (speed x time). All are logged and
normalised per group (subject x exercise): the group median is subtracted, so a feature says
"shorter / smaller than this person's usual repetition of this exercise". The median uses no
labels (all the group's repetitions), so it is available for a new person too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track
from scipy.signal import butter, sosfiltfilt
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from repcoach.errors import DataError
from repcoach.imu.load import load_imu_recording
from repcoach.io.imu_csv import read_imu_index, read_rep_annotations
from repcoach.segment.signals import fill_nan
from repcoach.types import ImuRecording


def _sites(rec: ImuRecording) -> list[str]:
    sites: list[str] = []
    for c in rec.channels:
        site = c.rpartition(".")[0]
        if site not in sites:
            sites.append(site)
    return sites


def rep_feature_names(sites: Sequence[str]) -> list[str]:
    """Names of the columns returned by :func:`rep_features` for these sites."""
    names = ["log_duration"]
    for s in sites:
        names += [f"{s}.acc_range", f"{s}.gyro_rms", f"{s}.gyro_peak", f"{s}.rotation"]
    return names


def rep_features(
    rec: ImuRecording, start_s: float, end_s: float, sites: Sequence[str] | None = None
) -> np.ndarray:
    """Raw (log) features of the repetition ``[start_s, end_s)`` of ``rec``: log duration, then
    per site log acc range (max peak-to-peak of the 1.5 Hz low-passed axes), log gyro RMS, log
    gyro 95th-percentile magnitude and log rotation (gyro magnitude integrated over the rep).
    Sites without a signal give NaN."""

    rate = rec.rate_hz or float(1.0 / np.median(np.diff(rec.timestamps)))
    sites = list(sites) if sites is not None else _sites(rec)
    t = rec.timestamps
    a, b = int(np.searchsorted(t, start_s)), int(np.searchsorted(t, end_s))
    b = max(b, a + 2)
    dur = max(end_s - start_s, 1.0 / rate)
    eps = 1e-6
    out = [np.log(dur)]
    for s in sites:
        acc = [c for c in rec.channels if c.startswith(f"{s}.acc_")]
        gyr = [c for c in rec.channels if c.startswith(f"{s}.gyro_")]
        if acc:
            x = fill_nan(rec.select(acc).data.astype(np.float64))
            if len(x) > 30 and 0.45 * rate > 1.5:
                x = sosfiltfilt(butter(2, 1.5, fs=rate, output="sos"), x, axis=0)
            seg = x[a:b]
            out.append(np.log(np.ptp(seg, axis=0).max() + eps) if len(seg) else np.nan)
        else:
            out.append(np.nan)
        if gyr:
            g = np.linalg.norm(fill_nan(rec.select(gyr).data.astype(np.float64))[a:b], axis=1)
            if len(g):
                out += [np.log(np.sqrt(np.mean(g**2)) + eps),
                        np.log(np.percentile(g, 95) + eps), np.log(g.sum() / rate + eps)]
            else:
                out += [np.nan] * 3
        else:
            out += [np.nan] * 3
    return np.asarray(out, dtype=np.float64)


def normalise_by_group(x: np.ndarray, groups: Sequence[Any]) -> np.ndarray:
    """Subtract each group's median (per column, NaN-aware) from its rows; NaN -> 0."""
    x = np.asarray(x, dtype=np.float64).copy()
    g = np.asarray([str(v) for v in groups])
    for key in np.unique(g):
        m = g == key
        with np.errstate(all="ignore"):
            med = np.nanmedian(x[m], axis=0)
        x[m] = x[m] - np.where(np.isfinite(med), med, 0.0)
    return np.nan_to_num(x, nan=0.0)


@dataclass
class RepFeatureSet:
    """Per-repetition features of an indexed IMU dataset with annotated repetitions."""

    x: np.ndarray  # (n, f) group-normalised features
    y: np.ndarray  # (n,) labels (str)
    subjects: np.ndarray  # (n,)
    groups: np.ndarray  # (n,) subject|exercise
    feature_names: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)


def load_rep_feature_set(
    data_dir: str | Path, label: str = "execution_type", progress: bool = True
) -> RepFeatureSet:
    """Features of every annotated repetition (``reps.csv``) of an indexed IMU dataset, labelled
    by ``label`` (``execution_type``, ``correctness``, or ``label`` = the exercise)."""


    root = Path(data_dir)
    ann = read_rep_annotations(root)
    if not ann:
        raise DataError("per-repetition features need annotated repetitions (reps.csv)", root)
    rows, ys, subj, grp = [], [], [], []
    names: list[str] | None = None
    for e in track(read_imu_index(root), description="rep features", disable=not progress):
        reps = ann.get(str(e.path.relative_to(root)), [])
        if not reps:
            continue
        rec = load_imu_recording(e)
        sites = _sites(rec)
        if names is None:
            names = rep_feature_names(sites)
        for r in reps:
            y = {"execution_type": r.execution_type, "correctness": r.correctness,
                 "label": e.label}.get(label)
            if y is None or y != y:
                continue
            rows.append(rep_features(rec, r.start_s, r.end_s, sites))
            ys.append(str(y))
            subj.append(e.subject)
            grp.append(f"{e.subject}|{e.label}")
    if not rows:
        raise DataError(f"no annotated repetitions with a {label!r} value", root)
    x = normalise_by_group(np.vstack(rows), grp)
    y = np.asarray(ys)
    return RepFeatureSet(x, y, np.asarray(subj), np.asarray(grp), names or [],
                         sorted(set(ys)))


def rep_cross_subject(
    fs: RepFeatureSet, folds: list[list[str]] | None = None, model: str = "logreg", seed: int = 0
) -> dict[str, Any]:
    """Cross-subject accuracy of a per-repetition classifier (``logreg``: standardised
    logistic regression; ``gbm``: gradient boosting). ``folds``: test subjects per fold
    (default leave one subject out). Returns per-fold and pooled accuracy, confusion."""

    subjects = sorted(set(fs.subjects.tolist()))
    folds = folds or [[s] for s in subjects]
    y_true: list[str] = []
    y_pred: list[str] = []
    per_fold = []
    for test in folds:
        te = np.isin(fs.subjects, test)
        tr = ~te
        if not te.any() or len(set(fs.y[tr])) < 2:
            continue
        if model == "gbm":
            clf: Any = GradientBoostingClassifier(random_state=seed)
        elif model == "logreg":
            clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        else:
            raise ValueError(f"unknown model {model!r} (logreg | gbm)")
        clf.fit(fs.x[tr], fs.y[tr])
        p = clf.predict(fs.x[te])
        per_fold.append({"test_subjects": list(test), "n": int(te.sum()),
                         "accuracy": float((p == fs.y[te]).mean())})
        y_true += fs.y[te].tolist()
        y_pred += p.tolist()
    cm = confusion_matrix(y_true, y_pred, labels=fs.classes) if y_true else np.zeros((0, 0))
    return {
        "protocol": f"cross-subject per repetition ({model}), folds {folds}",
        "folds": per_fold,
        "accuracy": float(np.mean(np.array(y_true) == np.array(y_pred))) if y_true else None,
        "classes": fs.classes,
        "confusion": cm.tolist(),
        "y_true": y_true,
        "y_pred": y_pred,
    }
