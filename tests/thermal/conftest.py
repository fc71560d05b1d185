"""A tiny stand-in for the generator's Recording (same interface: ``duration_s``, ``reps``,
``landmarks_world(times) -> (N, 33, 3)`` metres, y up, MediaPipe order), for thermal/sync tests.

Jumping jacks (standing, arms and legs in the frontal plane) and sit-ups (lying along z, torso
pitching up) with per-repetition amplitude, so incomplete range of motion can be simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from repcoach.skeleton import MEDIAPIPE_33

I = MEDIAPIPE_33.index  # noqa: E741


@dataclass
class Rep:
    start_s: float
    end_s: float


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _body(hip: np.ndarray, up: np.ndarray, face: np.ndarray, arms: tuple, legs: tuple,
          size: float = 1.0) -> np.ndarray:
    """33 landmarks from a hip centre, torso up direction, facing direction and limb directions
    (arms/legs: ((upper_l, lower_l), (upper_r, lower_r)) unit vectors)."""
    p = np.zeros((33, 3))
    side = _unit(np.cross(up, face))  # person's left
    s = size
    p[I("left_hip")], p[I("right_hip")] = hip + 0.12 * s * side, hip - 0.12 * s * side
    neck = hip + 0.52 * s * up
    p[I("left_shoulder")], p[I("right_shoulder")] = neck + 0.19 * s * side, neck - 0.19 * s * side
    head = neck + 0.22 * s * up
    p[I("nose")] = head + 0.09 * s * face
    for k, sg in (("left", 1), ("right", -1)):
        p[I(f"{k}_eye")] = head + 0.07 * s * face + 0.035 * s * sg * side + 0.03 * s * up
        p[I(f"{k}_eye_inner")] = p[I(f"{k}_eye")] - 0.015 * s * sg * side
        p[I(f"{k}_eye_outer")] = p[I(f"{k}_eye")] + 0.015 * s * sg * side
        p[I(f"{k}_ear")] = head + 0.075 * s * sg * side
        p[I(f"mouth_{k}")] = head + 0.08 * s * face + 0.025 * s * sg * side - 0.05 * s * up
    for (ua, la), k in zip(arms, ("left", "right"), strict=True):
        e = p[I(f"{k}_shoulder")] + 0.30 * s * ua
        w = e + 0.27 * s * la
        p[I(f"{k}_elbow")], p[I(f"{k}_wrist")] = e, w
        for nm, off in (("pinky", 0.08), ("index", 0.09), ("thumb", 0.05)):
            p[I(f"{k}_{nm}")] = w + off * s * la
    for (th, sh), k in zip(legs, ("left", "right"), strict=True):
        kn = p[I(f"{k}_hip")] + 0.45 * s * th
        an = kn + 0.43 * s * sh
        p[I(f"{k}_knee")], p[I(f"{k}_ankle")] = kn, an
        p[I(f"{k}_heel")] = an - 0.05 * s * face - 0.04 * s * up
        p[I(f"{k}_foot_index")] = an + 0.15 * s * face - 0.06 * s * up
    return p


@dataclass
class StandIn:
    """Generated-recording stand-in. ``amplitudes`` scales each repetition's range of motion."""

    exercise: str = "JJ"
    n_reps: int = 5
    period_s: float = 1.4
    lead_s: float = 1.0
    tail_s: float = 0.8
    size: float = 1.0
    amplitudes: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.amplitudes:
            self.amplitudes = [1.0] * self.n_reps
        self.reps = [
            Rep(self.lead_s + k * self.period_s, self.lead_s + (k + 1) * self.period_s)
            for k in range(self.n_reps)
        ]

    @property
    def duration_s(self) -> float:
        return self.lead_s + self.n_reps * self.period_s + self.tail_s

    def phase(self, t: float) -> float:
        k = int(np.floor((t - self.lead_s) / self.period_s))
        if k < 0 or k >= self.n_reps:
            return 0.0
        x = (t - self.lead_s) / self.period_s - k
        return self.amplitudes[k] * 0.5 * (1 - np.cos(2 * np.pi * x))

    def landmarks_world(self, times: np.ndarray) -> np.ndarray:
        return np.stack([self._pose(float(t)) for t in np.atleast_1d(times)])

    def _pose(self, t: float) -> np.ndarray:
        p = self.phase(t)
        face = np.array([0.0, 0.0, 1.0])
        left = np.array([1.0, 0.0, 0.0])
        down = np.array([0.0, -1.0, 0.0])
        if self.exercise == "JJ":
            a = 0.15 + 2.6 * p
            b = 0.03 + 0.3 * p
            arm_l = np.sin(a) * left + np.cos(a) * down
            arm_r = -np.sin(a) * left + np.cos(a) * down
            leg_l = np.sin(b) * left + np.cos(b) * down
            leg_r = -np.sin(b) * left + np.cos(b) * down
            hip = np.array([0.0, 0.88 * self.size * np.cos(b) + 0.06, 0.0])
            return _body(hip, -down, face, ((arm_l, arm_l), (arm_r, arm_r)),
                         ((leg_l, leg_l), (leg_r, leg_r)), self.size)
        # sit-up: lying on the back along z (head towards -z), torso pitching up by 75 deg * p
        th = 1.3 * p
        up = np.array([0.0, np.sin(th), -np.cos(th)])
        face = np.array([0.0, np.cos(th), np.sin(th)])
        hip = np.array([0.0, 0.12, 0.0])
        thigh = _unit(np.array([0.0, 0.8, 0.6]))
        shin = _unit(np.array([0.0, -0.8, 0.6]))
        fore = _unit(-up + 0.3 * face)
        arms = ((_unit(-up + 0.6 * face), fore), (_unit(-up + 0.6 * face), fore))
        return _body(hip, up, face, arms, ((thigh, shin), (thigh, shin)), self.size)


@pytest.fixture
def standin():
    """Factory: ``standin("JJ", n_reps=4, amplitudes=[...])``."""
    return lambda exercise="JJ", **kw: StandIn(exercise=exercise, **kw)


@pytest.fixture(scope="session")
def standin_cls():
    """The :class:`StandIn` class itself (for module-scoped fixtures)."""
    return StandIn
