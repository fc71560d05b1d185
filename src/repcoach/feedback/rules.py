"""Fault rules: which deviations from the reference witness each fault (learned from fault
annotations by forward selection and logistic regression, with explaining away between faults;
or by feature family without annotations), their thresholds and the score points a detected
fault is estimated to cost (used to rank cues)."""

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

    def _contributions(self, z: Mapping[str, float]) -> np.ndarray:
        """Each witness's transformed z, times its weight when the rule has weights."""
        vals = np.array([_transform(z.get(f, 0.0), d) for f, d in self.witnesses])
        return vals if self.weights is None or not len(vals) else vals * np.asarray(self.weights)

    def score(self, z: Mapping[str, float]) -> tuple[float, str]:
        """The rule's score (weighted sum + bias of the transformed witness z, or their mean)
        and the name of the witness contributing most."""
        contrib = self._contributions(z)
        if not len(contrib):
            return 0.0, ""
        top = self.witnesses[int(np.argmax(contrib))][0]
        if self.weights is None:
            return float(np.mean(contrib)), top
        return float(contrib.sum() + self.bias), top

    def ranked_witnesses(self, z: Mapping[str, float]) -> list[str]:
        """The witnesses, the one contributing most to the score first."""
        contrib = self._contributions(z)
        return [self.witnesses[i][0] for i in np.argsort(-contrib, kind="stable")]

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
        vals = self._contributions(z)
        if not len(vals):
            return 0.0, ""
        i = int(np.argmax(vals))
        return float(vals[i]), self.witnesses[i][0]

    def explains(self, s: float) -> float:
        return float(FAULT_WEIGHTS.get(self.fault, 0.3) * min(1.0, s / (3 * self.threshold)))


def learn_rules(
    ref: ExerciseReference, feats: Sequence[Mapping[str, float]], severities: np.ndarray,
    n_witness: int = 3, zs: Sequence[Mapping[str, float]] | None = None,
    combine: str = "logistic", explain_away: bool = True, select: str = "forward",
    min_gain: float = 1.0,
) -> dict[str, FaultRule]:
    """Fault rules learned from annotated repetitions (``severities`` ``(n, 4)``); ``zs``:
    their deviations if already known (e.g. each from a reference fitted without its person).
    Witnesses: ``select="forward"`` (logistic only): the best-AUC deviation, then forward
    selection by log-likelihood while the gain beats ``min_gain`` x the BIC penalty;
    ``"auc"``: the ``n_witness`` best single AUCs. ``explain_away``: a second logistic step
    per fault on its own score and the other rules' scores (their weights bounded to <= 0)
    sets :attr:`FaultRule.explained_by`."""
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
        cands = [(_auc(_transform_col(z[:, j], d), pos), n, d)
                 for j, n in enumerate(names) for d in ("+", "-", "abs")]
        cands.sort(key=lambda c: -c[0])
        if select == "forward" and combine == "logistic":
            wit = _forward(z, names, cands, pos, n_witness, min_gain)
        else:
            wit, used = [], set()
            for _, n, d in cands:
                if n not in used and len(wit) < n_witness:
                    wit.append((n, d))
                    used.add(n)
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


def _forward(z: np.ndarray, names: Sequence[str], cands: Sequence[tuple[float, str, str]],
             pos: np.ndarray, n_witness: int, min_gain: float) -> list[tuple[str, str]]:
    """Forward selection: the best-AUC witness, then each time the deviation (signed z or |z|)
    that most raises the logistic log-likelihood, while the gain exceeds ``min_gain`` x
    ln(n) / 2 (BIC); a signed one gets the sign that makes its weight >= 0."""
    col = {n: j for j, n in enumerate(names)}
    wit = [(cands[0][1], cands[0][2])]
    pool = [(n, d) for _, n, d in cands if d != "-"]
    cols = [_transform_col(z[:, col[wit[0][0]]], wit[0][1])]
    ll0 = _loglik(np.column_stack(cols), pos)
    while len(wit) < n_witness:
        have = {n for n, _ in wit}
        best = None
        for n, d in pool:
            if n in have:
                continue
            x = np.column_stack([*cols, _transform_col(z[:, col[n]], d)])
            ll = _loglik(x, pos)
            if best is None or ll > best[0]:
                best = (ll, n, d, x)
        if best is None or best[0] - ll0 < min_gain * 0.5 * np.log(len(pos)):
            break
        ll0, n, d, x = best
        wts, _ = _logistic(x, pos)
        if d == "+" and wts[-1] < 0:
            d = "-"
        wit.append((n, d))
        cols.append(_transform_col(z[:, col[n]], d))
    return wit


def _transform_col(v: np.ndarray, d: str) -> np.ndarray:
    return np.abs(v) if d == "abs" else (v if d == "+" else -v)


def _loglik(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 25) -> float:
    """Log-likelihood of the L2 logistic fit of ``y`` on ``x`` (Newton steps; the same
    penalty as :func:`_logistic`)."""
    xb = np.column_stack([np.clip(np.nan_to_num(x), -50, 50), np.ones(len(x))])
    yf = y.astype(np.float64)
    pen = np.full(xb.shape[1], l2)
    pen[-1] = 0.0
    p = np.zeros(xb.shape[1])
    for _ in range(iters):
        q = expit(xb @ p)
        g = xb.T @ (q - yf) + pen * p
        h = (xb * (q * (1 - q))[:, None]).T @ xb + np.diag(pen) + 1e-9 * np.eye(len(p))
        step = np.linalg.solve(h, g)
        p -= step
        if np.abs(step).max() < 1e-6:
            break
    q = np.clip(expit(xb @ p), 1e-12, 1 - 1e-12)
    return float(np.sum(yf * np.log(q) + (1 - yf) * np.log(1 - q)))


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
