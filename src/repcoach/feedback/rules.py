"""Fault rules: which deviations from the reference witness each fault (learned from fault
annotations, or by feature family without them), their thresholds and the score points a
detected fault is estimated to cost (used to rank cues)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import rankdata

from repcoach.feedback.cue import FAULTS
from repcoach.feedback.reference import ExerciseReference

#: Weights of the generated score (``repcoach.synth.form.WEIGHTS``), used to rank faults.
FAULT_WEIGHTS: dict[str, float] = {"rom": 0.45, "asymmetry": 0.30, "posture": 0.35,
                                   "tempo": 0.20}  # fmt: skip
#: A fault counts (present / main) when its weighted deviation exceeds this (fixed in advance:
#: natural variation stays below 0.032, the mildest generated fault is 0.08).
FAULT_THRESHOLD = 0.06


@dataclass
class FaultRule:
    """How one fault is seen: witness features (name, ``"+"`` / ``"-"`` / ``"abs"``), the
    threshold on their mean transformed z, and ``explains = slope * s + intercept``;
    ``explained_by``: weights (<= 0) on other faults' own scores that are added to this one
    (explaining away: a deviation another fault accounts for is not also this fault)."""

    fault: str
    witnesses: list[tuple[str, str]]
    threshold: float
    slope: float = 0.0
    intercept: float = FAULT_THRESHOLD
    weights: list[float] | None = None  # None: the plain mean
    bias: float = 0.0
    explained_by: dict[str, float] = field(default_factory=dict)

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


def rule_scores(rules: Mapping[str, FaultRule], z: Mapping[str, float]
                ) -> dict[str, tuple[float, str]]:
    """Each rule's final score (its own score plus the ``explained_by`` terms) and its top
    witness."""
    own = {k: r.score(z) for k, r in rules.items()}
    return {k: (s + sum(w * own[j][0] for j, w in rules[k].explained_by.items() if j in own), wit)
            for k, (s, wit) in own.items()}


def _transform(z: float, d: str) -> float:
    return abs(z) if d == "abs" else (z if d == "+" else -z)


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
    return {k: MaxRule(k, v, z_threshold) for k, v in fam.items() if v}


@dataclass
class MaxRule(FaultRule):
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
    combine: str = "logistic", explain_away: bool = True,
) -> dict[str, FaultRule]:
    """Fault rules learned from annotated repetitions (``severities`` ``(n, 4)``); ``zs``:
    their deviations if already known (e.g. each from a reference fitted without its person).
    ``explain_away``: a second logistic step per fault on its own score and the other rules'
    scores (their weights bounded to <= 0) sets :attr:`FaultRule.explained_by`."""
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
        rules[k] = rule
    if explain_away and combine == "logistic" and len(rules) > 1:
        _explain_away(rules, zs, present)
    for ki, k in enumerate(FAULTS):
        if k in rules:
            _calibrate(rules[k], zs, rules, present[:, ki], severities[:, ki] * w[ki])
    return rules


def _explain_away(rules: dict[str, FaultRule], zs: Sequence[Mapping[str, float]],
                  present: np.ndarray) -> None:
    """Per rule: logistic on (own score, other rules' own scores), the others' weights <= 0,
    stored relative to the own score's weight as ``explained_by``."""
    keys = list(rules)
    own = np.array([[rules[k].score(r)[0] for k in keys] for r in zs]).reshape(len(zs), -1)
    for i, k in enumerate(keys):
        others = [j for j in range(len(keys)) if j != i]
        x = own[:, [i, *others]]
        bounds = [(1e-3, None)] + [(None, 0.0)] * len(others) + [(None, None)]
        wts, _ = _logistic(x, present[:, FAULTS.index(k)], bounds=bounds)
        rules[k].explained_by = {keys[j]: float(wts[1 + n] / wts[0])
                                 for n, j in enumerate(others) if wts[1 + n] < 0}


def _calibrate(rule: FaultRule, zs: Sequence[Mapping[str, float]],
               rules: Mapping[str, FaultRule], hit: np.ndarray, cost: np.ndarray) -> None:
    """Threshold (best F1 for "present") and the score -> cost line of one rule."""
    s = np.array([rule_scores(rules, r)[rule.fault][0] for r in zs])
    rule.threshold = _best_threshold(s, hit)
    if hit.sum() >= 3 and np.ptp(s[hit]) > 0:
        slope, icpt = np.polyfit(s[hit], cost[hit], 1)
        rule.slope, rule.intercept = float(slope), float(icpt)


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0,
              bounds: Sequence[tuple[float | None, float | None]] | None = None,
              ) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression (scipy; optional bounds on weights and bias): weights
    and bias."""

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

    p0 = np.zeros(x.shape[1] + 1)
    if bounds is not None:
        p0 = np.clip(p0, [lo if lo is not None else -np.inf for lo, _ in bounds],
                     [hi if hi is not None else np.inf for _, hi in bounds])
    r = minimize(loss, p0, jac=True, method="L-BFGS-B", bounds=bounds)
    return r.x[:-1], float(r.x[-1])


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
