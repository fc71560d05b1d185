"""Form deviations per repetition and the correctness score computed from them.

Every repetition gets four severities in [0, 1] (0 = textbook form, 1 = the worst fault we
generate); the motion is changed by them (see :mod:`repcoach.synth.exercises`) and the score is

    score = clip(1 - (0.45 rom + 0.30 asymmetry + 0.35 posture + 0.20 tempo), 0, 1)

* ``rom``: missing range of motion (JJ: arm and leg abduction; HK: hip flexion; SU: how far
  the trunk rises; SE: knee lift and trunk crunch), up to 50-60 % of the range missing.
* ``asymmetry``: one side (chosen per repetition) moves up to 50 % less than the other
  (SU: the trunk twists and tilts to one side on the way up).
* ``posture``: JJ / HK: forward trunk lean (up to 30 degrees); SU: pulling on the neck (chin
  to chest, elbows forward); SE: no trunk rotation (up to 90 % of the rotation missing).
* ``tempo``: rushed repetition: the rep is up to 45 % shorter than the person's current
  normal duration (severity = shortening / 0.45).

About half the repetitions are good (all severities small, score > 0.8); the others carry one
to three faults whose severities are spread so that scores reach down to ~0.2. Each person has
a fault rate and favourite faults (habits); faults become more likely late in the set
(fatigue).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEVIATIONS: tuple[str, ...] = ("rom", "asymmetry", "posture", "tempo")
WEIGHTS: dict[str, float] = {"rom": 0.45, "asymmetry": 0.30, "posture": 0.35, "tempo": 0.20}
#: Largest shortening of a rushed repetition (severity 1).
MAX_RUSH = 0.45

#: What ``posture`` means for each exercise code.
POSTURE_MEANING: dict[str, str] = {
    "JJ": "forward trunk lean",
    "HK": "forward trunk lean",
    "SU": "pulling on the neck (chin to chest, elbows forward)",
    "SE": "no trunk rotation",
}


def score_from_deviations(dev: dict[str, float] | np.ndarray) -> float | np.ndarray:
    """The correctness score: ``clip(1 - sum(WEIGHTS[k] * dev[k]), 0, 1)``.

    ``dev`` is a dict of severities, or an array ``(..., 4)`` in :data:`DEVIATIONS` order.
    """
    w = np.array([WEIGHTS[k] for k in DEVIATIONS])
    if isinstance(dev, dict):
        v = np.array([float(dev.get(k, 0.0)) for k in DEVIATIONS])
        return float(np.clip(1.0 - v @ w, 0.0, 1.0))
    return np.clip(1.0 - np.asarray(dev, dtype=np.float64) @ w, 0.0, 1.0)


@dataclass(frozen=True)
class FormProfile:
    """One person's tendencies for one exercise: how often they make faults and which."""

    fault_rate: float
    habits: np.ndarray  # (4,) probabilities of each deviation being the fault

    @classmethod
    def sample(cls, rng: np.random.Generator) -> FormProfile:
        return cls(
            fault_rate=float(rng.uniform(0.35, 0.8)),
            habits=rng.dirichlet(np.full(len(DEVIATIONS), 1.5)),
        )


def sample_deviations(rng: np.random.Generator, n_reps: int, profile: FormProfile) -> np.ndarray:
    """``(n_reps, 4)`` severities in [0, 1] (columns in :data:`DEVIATIONS` order)."""
    k = len(DEVIATIONS)
    out = np.zeros((n_reps, k))
    for i in range(n_reps):
        fatigue = i / max(1, n_reps - 1)
        natural = rng.uniform(0.0, 0.07, k) * (rng.random(k) < 0.7)
        natural[DEVIATIONS.index("tempo")] *= 0.5
        out[i] = natural
        if rng.random() < np.clip(profile.fault_rate + 0.2 * (fatigue - 0.5), 0.05, 0.95):
            n_faults = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
            which = rng.choice(k, size=n_faults, replace=False, p=profile.habits)
            out[i, which] = rng.uniform(0.4, 1.0, n_faults)
    return out
