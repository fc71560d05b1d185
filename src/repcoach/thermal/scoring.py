"""Correctness scoring from thermal GEIs (paper V.C: "GEIs complement pose").

Each annotated repetition becomes one feature vector: its GEI area-averaged to 16x16, plus a few
scalars a silhouette sequence carries (how much the silhouette's area, height and width change
over the repetition, its widest aspect) and the repetition's duration. :class:`GeiScorer`
regresses the 0-1 correctness score from them per exercise; :func:`fuse_scores` mixes its output
with a pose scorer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import track
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from repcoach.errors import DataError
from repcoach.io.ejust import format_name
from repcoach.thermal.gei import GeiOptions, gei_features, gei_per_repetition
from repcoach.thermal.io import read_thermal
from repcoach.thermal.silhouette import segment_clip

SCALAR_NAMES = ("area_range", "height_range", "width_range", "max_aspect", "duration_s")
"""Names of the per-repetition scalars appended after the GEI pixels."""

#: Lying exercises (silhouette wider than tall) use the "fit" alignment; the rest "height".
DEFAULT_GEI_OPTIONS = {"SU": GeiOptions(mode="fit")}


@dataclass(frozen=True, eq=False)
class GeiRepetitionFeatures:
    """Features of every annotated repetition of a dataset (row i of each array is one rep).

    ``features`` is ``(n, size[0]*size[1] + 5)``: GEI pixels then :data:`SCALAR_NAMES`; a row is
    all NaN when no thermal frame of the repetition had a silhouette. ``keys`` are
    ``(participant, exercise code, rep number)``."""

    features: np.ndarray
    scores: np.ndarray
    participant: np.ndarray
    exercise: np.ndarray
    keys: list[tuple[str, str, int]]

    def __iter__(self):
        """Unpack as ``features, scores, participant, exercise, keys``."""
        return iter((self.features, self.scores, self.participant, self.exercise, self.keys))


def _shape_scalars(masks: np.ndarray) -> np.ndarray:
    """Range of area / bounding-box height / width over the frames (relative to their max) and
    the largest width/height ratio; NaN when no frame has a silhouette."""
    areas, hs, ws = [], [], []
    for m in masks:
        ys, xs = np.nonzero(m)
        if len(ys) == 0:
            continue
        areas.append(len(ys))
        hs.append(ys.max() - ys.min() + 1)
        ws.append(xs.max() - xs.min() + 1)
    if not areas:
        return np.full(4, np.nan, np.float32)
    a, h, w = (np.asarray(v, np.float64) for v in (areas, hs, ws))
    return np.array(
        [np.ptp(a) / a.max(), np.ptp(h) / h.max(), np.ptp(w) / w.max(), (w / h).max()],
        np.float32,
    )


def thermal_path(dataset_dir: str | Path, participant: str, code: str) -> Path:
    """Where a generated / EJUST-GYM-3 recording's thermal ``.npz`` lives."""
    name = format_name(participant, code, "thermal", "npz")
    return Path(dataset_dir) / participant / code / "thermal" / name


def gei_repetition_features(
    dataset_dir: str | Path,
    size: tuple[int, int] = (16, 16),
    gei_options: dict[str, GeiOptions] | None = None,
    exercises: Sequence[str] | None = None,
    progress: bool = False,
) -> GeiRepetitionFeatures:
    """GEI features of every repetition in ``dataset_dir/annotations.csv``.

    Each recording's thermal clip is segmented once; repetition ``start_s``/``end_s`` select its
    frames (:func:`gei_per_repetition`). ``gei_options`` maps exercise code -> GeiOptions
    (default: ``mode="fit"`` for sit-ups). A recording without a thermal file raises DataError."""

    root = Path(dataset_dir)
    ann_path = root / "annotations.csv"
    if not ann_path.is_file():
        raise DataError(
            "annotations.csv not found (generate the dataset with repcoach synth)", ann_path
        )
    ann = pd.read_csv(ann_path)
    need = {"participant", "exercise", "rep", "start_s", "end_s", "score"}
    missing = sorted(need - set(ann.columns))
    if missing:
        raise DataError(f"missing columns {missing}", ann_path)
    if exercises is not None:
        ann = ann[ann["exercise"].isin(list(exercises))]
    opts = {**DEFAULT_GEI_OPTIONS, **(gei_options or {})}
    n_pix = size[0] * size[1]
    feats, scores, parts, exs, keys = [], [], [], [], []
    groups = list(ann.groupby(["participant", "exercise"], sort=True))
    iterator = groups
    if progress:

        iterator = track(groups, description="thermal GEIs")
    for (part, code), rows in iterator:
        path = thermal_path(root, str(part), str(code))
        if not path.is_file():
            raise DataError(
                f"no thermal recording for {part} {code} (expected {path.name}; generate with "
                "--modalities pose,thermal)",
                path,
            )
        clip = read_thermal(path)
        opt = opts.get(str(code), GeiOptions())
        masks = segment_clip(clip, opt.silhouette)
        rows = rows.sort_values("rep")
        spans = list(zip(rows["start_s"].astype(float), rows["end_s"].astype(float), strict=True))
        geis = gei_per_repetition(clip, spans, opt, masks=masks)
        for g, (_, r) in zip(geis, rows.iterrows(), strict=True):
            row = np.full(n_pix + len(SCALAR_NAMES), np.nan, np.float32)
            if g.n_silhouettes > 0:
                row[:n_pix] = gei_features(g.gei, size)
                row[n_pix : n_pix + 4] = _shape_scalars(masks[g.frames])
                row[-1] = float(r["end_s"]) - float(r["start_s"])
            feats.append(row)
            scores.append(float(r["score"]))
            parts.append(str(part))
            exs.append(str(code))
            keys.append((str(part), str(code), int(r["rep"])))
    width = n_pix + len(SCALAR_NAMES)
    return GeiRepetitionFeatures(
        np.asarray(feats, np.float32).reshape(-1, width),
        np.asarray(scores, np.float64),
        np.asarray(parts, dtype=object),
        np.asarray(exs, dtype=object),
        keys,
    )


class GeiScorer:
    """Per-exercise ridge regression from GEI features to the 0-1 correctness score.

    Per exercise: mean-impute missing values, standardise, PCA to ``n_components`` (capped by
    the number of training reps), ridge with ``alpha``. Output is clipped to [0, 1]; exercises
    never seen in fit (or with fewer than ``min_samples`` reps) get the training mean."""

    def __init__(self, n_components: int = 20, alpha: float = 10.0, min_samples: int = 5) -> None:
        self.n_components = n_components
        self.alpha = alpha
        self.min_samples = min_samples

    def fit(self, X: np.ndarray, y: np.ndarray, exercise: Sequence[str]) -> GeiScorer:
        """Fit one model per exercise code in ``exercise``."""

        X, y, ex = self._check(X, exercise, y)
        self.mean_score_ = float(np.mean(y))
        self.models_: dict[str, object] = {}
        for code in sorted(set(ex)):
            sel = ex == code
            ok = sel & ~np.isnan(X).all(axis=1)
            if ok.sum() < self.min_samples:
                continue
            k = int(min(self.n_components, ok.sum() - 1, X.shape[1]))
            model = make_pipeline(
                SimpleImputer(strategy="mean", keep_empty_features=True),
                StandardScaler(),
                PCA(n_components=max(k, 1), random_state=0),
                Ridge(alpha=self.alpha),
            )
            model.fit(X[ok], y[ok])
            self.models_[code] = model
        self.exercise_means_ = {c: float(np.mean(y[ex == c])) for c in sorted(set(ex))}
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray, exercise: Sequence[str]) -> np.ndarray:
        """Scores in [0, 1]; reps with no silhouette get their exercise's training mean."""
        if not hasattr(self, "models_"):
            raise RuntimeError("GeiScorer is not fitted; call fit first")
        X, _, ex = self._check(X, exercise)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features, got {X.shape[1]}")
        out = np.empty(len(X), np.float64)
        empty = np.isnan(X).all(axis=1)
        for code in set(ex):
            sel = ex == code
            fallback = self.exercise_means_.get(code, self.mean_score_)
            out[sel] = fallback
            model = self.models_.get(code)
            ok = sel & ~empty
            if model is not None and ok.any():
                out[ok] = model.predict(X[ok])
        return np.clip(out, 0.0, 1.0)

    @staticmethod
    def _check(X, exercise, y=None):
        X = np.asarray(X, np.float64)
        if X.ndim != 2:
            raise ValueError(f"features must be (n, k), got shape {X.shape}")
        ex = np.asarray([str(e) for e in exercise], dtype=object)
        if len(ex) != len(X):
            raise ValueError(f"{len(X)} feature rows but {len(ex)} exercise codes")
        if y is not None:
            y = np.asarray(y, np.float64)
            if y.shape != (len(X),):
                raise ValueError(f"{len(X)} feature rows but scores of shape {y.shape}")
        return X, y, ex


def fuse_scores(pose_score: np.ndarray, gei_score: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """Weighted mean ``(1 - weight) * pose + weight * gei``; where one is NaN the other is used."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    p = np.asarray(pose_score, np.float64)
    g = np.asarray(gei_score, np.float64)
    fused = (1.0 - weight) * p + weight * g
    fused = np.where(np.isnan(p), g, fused)
    return np.where(np.isnan(g), p, fused)


def regression_report(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE and Pearson r (NaN when either side is constant) of predicted scores."""
    t, p = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    mae = float(np.mean(np.abs(t - p)))
    r = float(np.corrcoef(t, p)[0, 1]) if t.std() > 0 and p.std() > 0 else float("nan")
    return {"mae": mae, "pearson_r": r, "n": int(len(t))}
