"""The feedback model: a reference of good repetitions per exercise and the rules that turn a
repetition's deviations from it into at most two ranked cues.

Fit in two steps. :meth:`FeedbackModel.fit` keeps, per exercise, the median and robust spread
(1.4826 MAD) of every per-repetition feature over the **correct** repetitions, and the mean and
spread of every joint-angle curve over the repetition's phase (time-normalised template). With
fault annotations (generated data: severities of rom / asymmetry / posture / tempo) it then
learns, per fault, which deviations witness it: the ``n_witness`` feature deviations (signed
or absolute z-scores) whose AUC best separates repetitions with that fault from all others,
a threshold on their mean (best F1 against "the fault is present" on the training data) and a
line from that mean to the score points the fault costs (for ranking). Without annotations,
:func:`default_rules` maps feature families to faults (range -> rom, left/right difference ->
asymmetry, tempo -> tempo, trunk / neck levels -> posture) with a fixed z threshold.

Saved as JSON (:meth:`FeedbackModel.save`, ``feedback.json`` beside the models); numpy only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import rankdata

from repcoach.errors import DataError
from repcoach.feedback.cue import FAULTS, Cue, phase_words
from repcoach.feedback.pose_features import BODY_PARTS
from repcoach.io.atomic import write_json

#: Weights of the generated score (``repcoach.synth.form.WEIGHTS``), used to rank faults.
FAULT_WEIGHTS: dict[str, float] = {"rom": 0.45, "asymmetry": 0.30, "posture": 0.35,
                                   "tempo": 0.20}  # fmt: skip
#: A fault counts (present / main) when its weighted deviation exceeds this (fixed in advance:
#: natural variation stays below 0.032, the mildest generated fault is 0.08).
FAULT_THRESHOLD = 0.06
FORMAT_VERSION = 1


@dataclass
class FaultRule:
    """How one fault is seen: witness features (name, ``"+"`` / ``"-"`` / ``"abs"``), the
    threshold on their mean transformed z, and ``explains = slope * s + intercept``."""

    fault: str
    witnesses: list[tuple[str, str]]
    threshold: float
    slope: float = 0.0
    intercept: float = FAULT_THRESHOLD
    weights: list[float] | None = None  # None: the plain mean
    bias: float = 0.0

    def score(self, z: Mapping[str, float]) -> tuple[float, str]:
        """The rule's score (weighted sum + bias of the transformed witness z, or their mean)
        and the name of the witness contributing most."""
        vals = np.array([_transform(z.get(f, 0.0), d) for f, d in self.witnesses])
        if not len(vals):
            return 0.0, ""
        if self.weights is None:
            return float(np.mean(vals)), self.witnesses[int(np.argmax(vals))][0]
        contrib = vals * np.asarray(self.weights)
        return float(contrib.sum() + self.bias), self.witnesses[int(np.argmax(contrib))][0]

    def explains(self, s: float) -> float:
        return float(max(0.0, self.slope * s + self.intercept))


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


def _transform(z: float, d: str) -> float:
    return abs(z) if d == "abs" else (z if d == "+" else -z)


def _robust(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan"), 1.0
    med = float(np.median(x))
    sc = 1.4826 * float(np.median(np.abs(x - med)))
    return med, max(sc, 0.25 * float(np.std(x)), 1e-6)


def _auc(score: np.ndarray, pos: np.ndarray) -> float:

    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return 0.5
    r = rankdata(score)
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def main_faults(severities: np.ndarray, threshold: float = FAULT_THRESHOLD) -> np.ndarray:
    """Per row of ``(n, 4)`` severities (:data:`FAULTS` order): the fault with the largest
    weighted deviation if above ``threshold``, else ``""`` (fault-free)."""
    w = np.array([FAULT_WEIGHTS[k] for k in FAULTS])
    wd = np.asarray(severities, dtype=np.float64) * w
    best = wd.argmax(1)
    return np.where(wd.max(1) > threshold, np.array(FAULTS)[best], "")


def present_faults(severities: np.ndarray, threshold: float = FAULT_THRESHOLD) -> np.ndarray:
    """``(n, 4)`` bool: weighted deviation above ``threshold``."""
    w = np.array([FAULT_WEIGHTS[k] for k in FAULTS])
    return np.asarray(severities, dtype=np.float64) * w > threshold


def default_rules(features: Sequence[str], z_threshold: float = 3.0) -> dict[str, FaultRule]:
    """Fault rules without annotations, by feature family (one witness per rule: the largest)."""
    fam: dict[str, list[tuple[str, str]]] = {k: [] for k in FAULTS}
    for f in features:
        if f in ("tempo", "duration"):
            fam["tempo"].append((f, "-"))
        elif ".lr_" in f:
            fam["asymmetry"].append((f, "abs"))
        elif f.endswith((".range", ".rotation")):
            fam["rom"].append((f, "-"))
        elif any(f.endswith(f"{p}.max") or f.endswith(f"{p}.min")
                 for p in ("trunk", "neck", "width", "torso", "twist", "lean_depth", "hip_l",
                           "hip_r", "hip_near", "knee_near")):
            fam["posture"].append((f, "abs"))
    return {k: _MaxRule(k, v, z_threshold) for k, v in fam.items() if v}


@dataclass
class _MaxRule(FaultRule):
    """A rule whose score is the largest transformed z (family rules)."""

    def score(self, z: Mapping[str, float]) -> tuple[float, str]:
        vals = [_transform(z.get(f, 0.0), d) for f, d in self.witnesses]
        if not vals:
            return 0.0, ""
        i = int(np.argmax(vals))
        return float(vals[i]), self.witnesses[i][0]

    def explains(self, s: float) -> float:
        return float(FAULT_WEIGHTS.get(self.fault, 0.3) * min(1.0, s / (3 * self.threshold)))


def learn_rules(
    ref: ExerciseReference, feats: Sequence[Mapping[str, float]], severities: np.ndarray,
    n_witness: int = 3, zs: Sequence[Mapping[str, float]] | None = None,
    combine: str = "logistic",
) -> dict[str, FaultRule]:
    """Fault rules learned from annotated repetitions (``severities`` ``(n, 4)``); ``zs``:
    their deviations if already known (e.g. each from a reference fitted without its person)."""
    zs = list(zs) if zs is not None else [ref.z(f) for f in feats]
    names = sorted(ref.features)
    # a feature a repetition lacks (e.g. a joint never seen) counts as typical (z = 0)
    z = np.array([[r.get(k, 0.0) for k in names] for r in zs]).reshape(len(zs), len(names))
    present = present_faults(severities)
    w = np.array([FAULT_WEIGHTS[k] for k in FAULTS])
    rules = {}
    for ki, k in enumerate(FAULTS):
        pos = present[:, ki]
        if pos.sum() < 3:
            continue
        cands = []
        for j, n in enumerate(names):
            for d in ("+", "-", "abs"):
                cands.append((_auc(np.array([_transform(v, d) for v in z[:, j]]), pos), n, d))
        cands.sort(key=lambda c: -c[0])
        wit, used = [], set()
        for _, n, d in cands:
            if n not in used:
                wit.append((n, d))
                used.add(n)
            if len(wit) == n_witness:
                break
        rule = FaultRule(k, wit, 0.0)
        if combine == "logistic":
            t = np.array([[_transform(r.get(f, 0.0), d) for f, d in wit] for r in zs])
            wts, b = _logistic(t, pos)
            rule.weights, rule.bias = wts.tolist(), float(b)
        s = np.array([rule.score(r)[0] for r in zs])
        rule.threshold = _best_threshold(s, present[:, ki])
        hit = present[:, ki]
        if hit.sum() >= 3 and np.ptp(s[hit]) > 0:
            slope, icpt = np.polyfit(s[hit], severities[hit, ki] * w[ki], 1)
            rule.slope, rule.intercept = float(slope), float(icpt)
        rules[k] = rule
    return rules


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression (scipy): weights and bias."""

    x = np.clip(np.nan_to_num(x), -50, 50)
    yf = y.astype(np.float64)

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = p[:-1], p[-1]
        q = expit(x @ w + b)
        eps = 1e-12
        val = -np.mean(yf * np.log(q + eps) + (1 - yf) * np.log(1 - q + eps))
        val += 0.5 * l2 * float(w @ w) / len(yf)
        g = q - yf
        return val, np.concatenate([x.T @ g / len(yf) + l2 * w / len(yf), [g.mean()]])

    r = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
    return r.x[:-1], float(r.x[-1])


def _held_out_z(exercise: str, feats: Sequence[Mapping[str, float]], good: np.ndarray,
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


def _best_threshold(s: np.ndarray, y: np.ndarray) -> float:
    """Threshold on ``s`` with the best F1 for ``y`` (ties: the higher threshold)."""
    best, thr = -1.0, float(np.max(s)) + 1.0
    for t in np.unique(s):
        p = s >= t
        tp = float((p & y).sum())
        f1 = 2 * tp / max(1.0, p.sum() + y.sum())
        if f1 >= best:
            best, thr = f1, float(t)
    return thr


@dataclass
class FeedbackModel:
    """References and rules of every exercise; ``kind`` ``"pose"`` or ``"imu"``."""

    exercises: dict[str, ExerciseReference]
    kind: str = "pose"
    max_cues: int = 2
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(
        cls, exercise_data: Mapping[str, tuple[Any, ...]],
        kind: str = "pose", n_witness: int = 3, meta: dict[str, Any] | None = None,
        combine: str = "logistic",
    ) -> FeedbackModel:
        """``exercise_data[exercise] = (features, curves or None, severities (n, 4) or None,
        good (n,) bool[, groups (n,)])``: the reference from the ``good`` rows, rules from the
        severities (learned) or by feature family (:func:`default_rules`) when None. With
        ``groups`` (people) the rules are learned on deviations of each person's repetitions
        from a reference built without that person (as a new person will be seen)."""
        refs = {}
        for ex, item in exercise_data.items():
            feats, curves, sev, good = item[:4]
            groups = item[4] if len(item) > 4 else None
            good = np.asarray(good, dtype=bool)
            ref = fit_reference(ex, [f for f, g in zip(feats, good, strict=True) if g],
                                None if curves is None else
                                [c for c, g in zip(curves, good, strict=True) if g])
            if sev is None:
                ref.rules = default_rules(list(ref.features))
            else:
                zs = None
                if groups is not None and len(set(map(str, groups))) > 1:
                    zs = _held_out_z(ex, feats, good, np.asarray([str(g) for g in groups]))
                ref.rules = learn_rules(ref, feats, np.asarray(sev), n_witness, zs, combine)
            refs[ex] = ref
        return cls(refs, kind, meta=dict(meta or {}))

    def reference(self, exercise: str) -> ExerciseReference:
        if exercise not in self.exercises:
            raise DataError(f"no feedback reference for exercise {exercise!r} (have "
                            f"{sorted(self.exercises)})")  # fmt: skip
        return self.exercises[exercise]

    def personal(self, exercise: str, best: Sequence[Mapping[str, float]],
                 curves: Sequence[Mapping[str, np.ndarray]] | None = None) -> FeedbackModel:
        """A copy whose ``exercise`` reference is centred on a person's own best repetitions
        (feature medians and curve means from ``best``; spreads and rules kept)."""
        ref = self.reference(exercise)
        feats = {}
        for k, (med, sc) in ref.features.items():
            v = np.array([f.get(k, np.nan) for f in best], dtype=np.float64)
            v = v[np.isfinite(v)]
            feats[k] = (float(np.median(v)) if len(v) else med, sc)
        cur = dict(ref.curves)
        if curves:
            for k, (_, sd) in ref.curves.items():
                cs = [c[k] for c in curves if k in c]
                if cs:
                    cur[k] = (np.mean(cs, axis=0).tolist(), sd)
        exs = dict(self.exercises)
        exs[exercise] = replace(ref, features=feats, curves=cur)
        return replace(self, exercises=exs)

    def fault_scores(self, exercise: str, feats: Mapping[str, float]) -> dict[str, float]:
        """Each rule's score (mean transformed z of its witnesses)."""
        ref = self.reference(exercise)
        z = ref.z(feats)
        return {k: r.score(z)[0] for k, r in ref.rules.items()}

    def cues(self, exercise: str, feats: Mapping[str, float],
             curves: Mapping[str, np.ndarray] | None = None) -> list[Cue]:
        """At most ``max_cues`` cues for one repetition, the fault costing most score first."""
        ref = self.reference(exercise)
        z = ref.z(feats)
        found = []
        for k, rule in ref.rules.items():
            s, witness = rule.score(z)
            if s >= rule.threshold and witness:
                found.append(_make_cue(ref, k, witness, feats, curves, rule.explains(s)))
        found.sort(key=lambda c: -c.explains)
        return found[: self.max_cues]

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "repcoach-feedback", "version": FORMAT_VERSION, "kind": self.kind,
            "max_cues": self.max_cues, "meta": self.meta,
            "exercises": {ex: {
                "n_reps": r.n_reps,
                "features": {k: [_r(m), _r(s)] for k, (m, s) in r.features.items()},
                "curves": {k: [[_r(v) for v in m], [_r(v) for v in s]]
                           for k, (m, s) in r.curves.items()},
                "rules": {k: {"witnesses": [list(w) for w in rl.witnesses],
                              "threshold": rl.threshold, "slope": rl.slope,
                              "intercept": rl.intercept,
                              "kind": "max" if isinstance(rl, _MaxRule) else "mean",
                              "weights": rl.weights, "bias": rl.bias}
                          for k, rl in r.rules.items()},
            } for ex, r in self.exercises.items()},
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str | Path | None = None) -> FeedbackModel:
        if d.get("format") != "repcoach-feedback":
            raise DataError("not a feedback reference (format != 'repcoach-feedback')", source)
        try:
            exs = {}
            for ex, r in d["exercises"].items():
                rules: dict[str, FaultRule] = {}
                for k, rl in r.get("rules", {}).items():
                    kls = _MaxRule if rl.get("kind") == "max" else FaultRule
                    rules[k] = kls(k, [(str(a), str(b)) for a, b in rl["witnesses"]],
                                   float(rl["threshold"]), float(rl["slope"]),
                                   float(rl["intercept"]),
                                   None if rl.get("weights") is None else
                                   [float(w) for w in rl["weights"]], float(rl.get("bias", 0)))
                exs[ex] = ExerciseReference(
                    ex, {k: (_f(v[0]), _f(v[1])) for k, v in r["features"].items()},
                    {k: ([_f(x) for x in v[0]], [_f(x) for x in v[1]])
                     for k, v in r.get("curves", {}).items()}, rules, int(r.get("n_reps", 0)))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            raise DataError(f"malformed feedback reference ({e.__class__.__name__}: {e})",
                            source) from None
        return cls(exs, str(d.get("kind", "pose")), int(d.get("max_cues", 2)),
                   dict(d.get("meta", {})))

    def save(self, path: str | Path) -> Path:

        write_json(path, self.to_dict())
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> FeedbackModel:
        p = Path(path)
        try:
            d = json.loads(p.read_text())
        except FileNotFoundError:
            raise DataError("file not found", p) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DataError(f"not JSON ({e})", p) from None
        return cls.from_dict(d, p)


def _r(v: float) -> float | None:
    return None if not np.isfinite(v) else round(float(v), 6)


def _f(v: Any) -> float:
    return float("nan") if v is None else float(v)


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


# ------------------------------------------------------------------------- cue text
_IMU_PARTS = ("wrist", "ankle", "thigh", "shank", "forearm", "upper_arm", "shoulder_imu")


def describe(feature: str) -> tuple[str, str, str, str]:
    """(body part, unit, stat, series) of a feature name like ``frontal.knee_l.range``."""
    if feature in ("tempo", "duration"):
        return "whole body", "s", feature, feature
    parts = feature.split(".")
    stat = parts[-1]
    series = parts[-2] if len(parts) >= 2 else feature
    base, side = series, ""
    if series.endswith(("_l", "_r")):
        base, side = series[:-2], {"_l": "left", "_r": "right"}[series[-2:]]
    elif series.endswith("_near"):
        base, side = series[:-5], "near-side"
    elif series[:1] in "lr" and series[1:] in _IMU_PARTS:
        base, side = series[1:], {"l": "left", "r": "right"}[series[0]]
    if base in BODY_PARTS:
        part, unit = BODY_PARTS[base]
    else:  # IMU sites: features are logs
        part, unit = base.replace("_", " "), "log"
    if stat.startswith("lr_"):
        return f"left/right {part}", unit, stat, series
    return (f"{side} {part}".strip(), unit, stat, series)


def _fmt(unit: str):
    """Number formatting by unit (whole degrees, two decimals otherwise)."""
    return (lambda v: f"{v:.0f}") if unit == "deg" else (lambda v: f"{v:.2f}")


def _make_cue(ref: ExerciseReference, fault: str, witness: str, feats: Mapping[str, float],
              curves: Mapping[str, np.ndarray] | None, explains: float) -> Cue:
    if fault == "tempo" and "tempo" in feats and "tempo" in ref.features:
        witness = "tempo"  # say it in seconds whatever witnessed it
    part, unit, stat, series = describe(witness)
    v = float(feats.get(witness, np.nan))
    med = ref.features.get(witness, (np.nan, 1.0))[0]
    size = v - med if np.isfinite(v) and np.isfinite(med) else float("nan")
    prefix = witness.rsplit(".", 1)[0]
    phase = None
    if curves is not None and prefix in curves and prefix in ref.curves:
        m, sd = (np.asarray(a, dtype=np.float64) for a in ref.curves[prefix])
        dev = np.abs(np.asarray(curves[prefix]) - m) / sd
        if np.isfinite(dev).any():
            phase = float(np.nanargmax(dev) / max(1, len(dev) - 1))
    u = {"deg": " deg", "s": " s", "torso": " torso lengths"}.get(unit, f" {unit}" if unit else "")
    fmt = _fmt(unit)
    if unit == "log" and np.isfinite(size):  # log ratios -> percent
        pct = 100.0 * (np.exp(size) - 1.0)
        what = {"range": "amplitude", "rotation": "rotation", "gyro_rms": "speed",
                "gyro_peak": "peak speed"}.get(stat, stat)
        if stat.startswith("lr_"):
            less = "left" if size < 0 else "right"
            base = part.replace("left/right ", "")
            pct = 100.0 * (1.0 - np.exp(-abs(size)))
            text = f"{less} {base} moves {pct:.0f}% less than the other side"
            return Cue(text, f"{less} {base}", fault, pct, "%", explains, None, witness)
        more = "more" if size > 0 else "less"
        text = f"{part}: {abs(pct):.0f}% {more} {what} than your good reps"
        return Cue(text, part, fault, pct, "%", explains, None, witness)
    if stat == "tempo":
        d = float(feats.get("duration", np.nan))
        typical = d * float(np.exp(med - v)) if np.isfinite(d) else float("nan")
        word = "rushed" if size < 0 else "slow"
        text = f"{word}: {d:.1f} s against {typical:.1f} s"
        return Cue(text, "whole body", fault, d - typical, "s", explains, None, witness)
    if stat == "lr_range":
        base = describe(prefix + "_l.range")[0].replace("left ", "")
        less = "left" if size < 0 else "right"
        other = "right" if less == "left" else "left"
        text = f"{less} {base} moves {fmt(abs(size))}{u} less than the {other}"
        return Cue(text, f"{less} {base}", fault, abs(size), unit, explains, phase, witness)
    if stat == "lr_lag":
        base = describe(prefix + "_l.range")[0].replace("left ", "")
        late = "left" if size > 0 else "right"
        other = "right" if late == "left" else "left"
        text = f"{late} {base} peaks {abs(size):.1f} s later than the {other}"
        return Cue(text, f"{late} {base}", fault, abs(size), "s", explains, phase, witness)
    what = {"range": "range", "max": "at its highest", "min": "at its lowest"}.get(stat, stat)
    more = "more" if size > 0 else "less"
    if stat == "range":
        text = f"{part}: {fmt(abs(size))}{u} {more} range than your good reps"
    else:
        text = f"{part} {fmt(abs(size))}{u} {more} than your good reps ({what})"
    text += f", {phase_words(phase)}" if phase is not None else ""
    return Cue(text, part, fault, size, unit, explains, phase, witness)
