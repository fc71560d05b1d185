"""The feedback model: the references and fault rules of every exercise, at most two ranked cues
per repetition, saved as JSON (``feedback.json`` beside the models); numpy / scipy only.

:meth:`FeedbackModel.fit` builds, per exercise, the reference of the **correct** repetitions
(:mod:`repcoach.feedback.reference`) and, with fault annotations, learns the fault rules
(:func:`repcoach.feedback.rules.learn_rules`) on each person's deviations from a reference built
without them; without annotations it uses :func:`repcoach.feedback.rules.default_rules`. Cue
text comes from :mod:`repcoach.feedback.cue_text`. The names of those modules are re-exported
here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.feedback.cue import Cue
from repcoach.feedback.cue_text import describe, make_cue
from repcoach.feedback.reference import ExerciseReference, fit_reference, held_out_z
from repcoach.feedback.rules import (
    FAULT_THRESHOLD,
    FAULT_WEIGHTS,
    FaultRule,
    MaxRule,
    default_rules,
    learn_rules,
    main_faults,
    present_faults,
    rule_scores,
)
from repcoach.io.atomic import write_json

__all__ = ["FAULT_THRESHOLD", "FAULT_WEIGHTS", "ExerciseReference", "FaultRule", "FeedbackModel",
           "default_rules", "describe", "fit_reference", "learn_rules", "main_faults",
           "present_faults"]

#: 2: tempo against the set's unhurried pace, lean_depth sign flipped, ``explained_by``.
FORMAT_VERSION = 2


class StaleFeedbackError(DataError):
    """A ``feedback.json`` written by an older repcoach whose features meant something else."""


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
        **rule_options: Any,
    ) -> FeedbackModel:
        """``exercise_data[exercise] = (features, curves or None, severities (n, 4) or None,
        good (n,) bool[, groups (n,)])``: the reference from the ``good`` rows, rules from the
        severities (learned) or by feature family (:func:`default_rules`) when None. With
        ``groups`` (people) the rules are learned on deviations of each person's repetitions
        from a reference built without that person (as a new person will be seen);
        ``rule_options``: passed to :func:`learn_rules` (``combine``, ``explain_away``,
        ``select``, ...)."""
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
                    zs = held_out_z(ex, feats, good, np.asarray([str(g) for g in groups]))
                ref.rules = learn_rules(ref, feats, np.asarray(sev), n_witness, zs,
                                        **rule_options)
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
        """Each rule's final score (compare with its threshold)."""
        ref = self.reference(exercise)
        return {k: s for k, (s, _) in rule_scores(ref.rules, ref.z(feats)).items()}

    def cues(self, exercise: str, feats: Mapping[str, float],
             curves: Mapping[str, np.ndarray] | None = None) -> list[Cue]:
        """At most ``max_cues`` cues for one repetition, the fault costing most score first; a
        fault whose top witness an earlier cue already names is said by its next witness."""
        ref = self.reference(exercise)
        z = ref.z(feats)
        found = []
        for k, (s, witness) in rule_scores(ref.rules, z).items():
            rule = ref.rules[k]
            if s >= rule.threshold and witness:
                found.append(make_cue(ref, k, witness, feats, curves, rule.explains(s)))
        found.sort(key=lambda c: -c.explains)
        out: list[Cue] = []
        for c in found[: self.max_cues]:
            if any(c.feature == o.feature for o in out):
                alt = [w for w in ref.rules[c.fault].ranked_witnesses(z)
                       if w != c.feature and all(w != o.feature for o in out)]
                if alt:
                    c = make_cue(ref, c.fault, alt[0], feats, curves, c.explains)
            out.append(c)
        return out

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
                              "kind": "max" if isinstance(rl, MaxRule) else "mean",
                              "weights": rl.weights, "bias": rl.bias,
                              "explained_by": rl.explained_by}
                          for k, rl in r.rules.items()},
            } for ex, r in self.exercises.items()},
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str | Path | None = None) -> FeedbackModel:
        if d.get("format") != "repcoach-feedback":
            raise DataError("not a feedback reference (format != 'repcoach-feedback')", source)
        if d.get("version") != FORMAT_VERSION:
            raise StaleFeedbackError(f"feedback reference version {d.get('version')!r}, this "
                                     f"repcoach reads {FORMAT_VERSION}: retrain", source)
        try:
            exs = {}
            for ex, r in d["exercises"].items():
                rules: dict[str, FaultRule] = {}
                for k, rl in r.get("rules", {}).items():
                    kls = MaxRule if rl.get("kind") == "max" else FaultRule
                    rules[k] = kls(k, [(str(a), str(b)) for a, b in rl["witnesses"]],
                                   float(rl["threshold"]), float(rl["slope"]),
                                   float(rl["intercept"]),
                                   None if rl.get("weights") is None else
                                   [float(w) for w in rl["weights"]], float(rl.get("bias", 0)),
                                   {str(j): float(w)
                                    for j, w in rl.get("explained_by", {}).items()})
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
