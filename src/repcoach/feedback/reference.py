"""The reference of good repetitions of one exercise: per feature the median and a robust
spread, per joint curve the mean and spread over the repetition's phase; deviations as z."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from repcoach.errors import DataError

if TYPE_CHECKING:
    from repcoach.feedback.rules import FaultRule


@dataclass
class ExerciseReference:
    """Good-repetition reference of one exercise: per feature (median, spread), per curve
    (mean, spread over phase) and the fault rules."""

    exercise: str
    features: dict[str, tuple[float, float]]
    curves: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    rules: dict[str, FaultRule] = field(default_factory=dict)
    n_reps: int = 0

    def z(self, feats: Mapping[str, float]) -> dict[str, float]:
        """Deviation of each feature in reference spreads (0 where unknown)."""
        out = {}
        for k, (med, sc) in self.features.items():
            v = feats.get(k, np.nan)
            out[k] = float((v - med) / sc) if np.isfinite(v) and np.isfinite(med) else 0.0
        return out


def _robust(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan"), 1.0
    med = float(np.median(x))
    sc = 1.4826 * float(np.median(np.abs(x - med)))
    return med, max(sc, 0.25 * float(np.std(x)), 1e-6)


def fit_reference(
    exercise: str, feats: Sequence[Mapping[str, float]],
    curves: Sequence[Mapping[str, np.ndarray]] | None = None,
) -> ExerciseReference:
    """Median / spread of every feature and mean / spread of every curve over ``feats``
    (the good repetitions of one exercise)."""
    if not feats:
        raise DataError(f"no correct repetitions of {exercise!r} to build a reference from")
    names = sorted({k for f in feats for k in f})
    fr = {k: _robust(np.array([f.get(k, np.nan) for f in feats], dtype=np.float64))
          for k in names}
    cr: dict[str, tuple[list[float], list[float]]] = {}
    if curves:
        for k in sorted({k for c in curves for k in c}):
            cs = np.array([c[k] for c in curves if k in c])
            if len(cs) >= 2:
                cr[k] = (np.nanmean(cs, 0).tolist(), np.maximum(np.nanstd(cs, 0), 1e-6).tolist())
    return ExerciseReference(exercise, fr, cr, {}, len(feats))


def held_out_z(exercise: str, feats: Sequence[Mapping[str, float]], good: np.ndarray,
                groups: np.ndarray) -> list[dict[str, float]]:
    """Deviations of each group's rows from a reference fitted on the other groups."""
    zs: list[dict[str, float]] = [{} for _ in feats]
    for g in np.unique(groups):
        rest = [f for f, ok, gg in zip(feats, good, groups, strict=True) if ok and gg != g]
        if not rest:
            continue
        ref = fit_reference(exercise, rest)
        for i in np.flatnonzero(groups == g):
            zs[i] = ref.z(feats[i])
    return zs
