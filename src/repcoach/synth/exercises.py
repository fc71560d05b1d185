"""The four exercises as joint-angle trajectories of a repetition phase.

Each exercise maps the phase ``phi`` in [0, 1) of the current repetition (0 outside
repetitions: the rest pose), the repetition's form deviations and the person's style to joint
angles (degrees, see :mod:`repcoach.synth.kinematics`) and a vertical hop (metres). Every
movement term is a bump that is 0 with zero slope at ``phi`` = 0 and 1, so repetitions start
and end in the rest pose and the motion is smooth at any sampling rate.

* JJ jumping jacks: one rep = out and back in; arms abduct from the sides to overhead while the
  legs abduct; two small hops.
* HK high knees: one rep = left knee up then right knee up; hip flexion to 100-115 degrees
  (knee above hip height), knee flexion, opposite arm pump, running bounce.
* SU sit-ups: lying on the back, knees bent ~100 degrees with feet flat, hands behind the head;
  the trunk rises by 85-100 degrees of pelvis tilt + spinal curl (the shoulders end up
  ~60-70 degrees above the hips seen from the side) and lies back.
* SE steam engine: standing with hands behind the head, elbows out; one rep = left knee up to
  the right elbow (trunk turns left, flexes and side-bends), then right knee to left elbow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.synth.body import Body

Angles = dict[str, np.ndarray]


@dataclass(frozen=True)
class RepState:
    """Per-sample state: the repetition phase and that repetition's deviation severities
    (all zero outside repetitions). ``weak_left`` is True where the left side is the weak one."""

    phase: np.ndarray
    rom: np.ndarray
    asym: np.ndarray
    posture: np.ndarray
    weak_left: np.ndarray

    def side_factors(self, depth: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Amplitude factors (left, right): the weak side loses ``depth * asym``."""
        cut = 1.0 - depth * self.asym
        return np.where(self.weak_left, cut, 1.0), np.where(self.weak_left, 1.0, cut)


def bump(phase: np.ndarray, shape: float = 1.0) -> np.ndarray:
    """0 -> 1 -> 0 over one repetition, flat at both ends; ``shape`` < 1 widens the top."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * phase)) ** shape


def half_bumps(phase: np.ndarray, shape: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A bump in the first half (left side) and one in the second half (right side)."""
    b = np.sin(2 * np.pi * phase) ** 2
    b = b**shape
    first = phase < 0.5
    return np.where(first, b, 0.0), np.where(first, 0.0, b)


class Exercise:
    """Base class: subclasses set the class attributes and implement ``style``/``angles``."""

    code: str = ""
    label: str = ""
    rep_s: tuple[float, float] = (1.0, 2.0)  # person's normal repetition duration range
    pause_s: tuple[float, float] = (0.1, 0.6)  # pause between reps (when there is one)
    pause_p: float = 0.3  # probability of a pause after a rep
    supine: bool = False  # lying on the floor (else standing on the feet)
    hop_share: float = 1.0

    def style(self, rng: np.random.Generator) -> dict[str, float]:
        raise NotImplementedError

    def angles(
        self, st: RepState, style: dict[str, float], body: Body
    ) -> tuple[Angles, np.ndarray]:
        raise NotImplementedError


def _hands_behind_head(style: dict[str, float], n: int) -> Angles:
    """Both hands behind the head, elbows out to the sides."""
    out: Angles = {}
    for s in ("l", "r"):
        out[f"shoulder_abd_{s}"] = np.full(n, style["arm_abd"])
        out[f"shoulder_rot_{s}"] = np.full(n, style["arm_rot"])
        out[f"shoulder_hflex_{s}"] = np.full(n, style["arm_hflex"])
        out[f"elbow_flex_{s}"] = np.full(n, style["elbow"])
        out[f"wrist_flex_{s}"] = np.full(n, -10.0)
    return out


def _arms_style(rng: np.random.Generator) -> dict[str, float]:
    return {
        "arm_abd": float(rng.uniform(118, 130)),
        "arm_rot": float(rng.uniform(78, 92)),
        "arm_hflex": float(rng.uniform(-20, -5)),
        "elbow": float(rng.uniform(140, 155)),
    }


class JumpingJacks(Exercise):
    code, label = "JJ", "jumping_jacks"
    rep_s = (0.95, 1.4)
    pause_p = 0.2

    def style(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "arm_top": float(rng.uniform(160, 176)),
            "arm_rest": float(rng.uniform(4, 10)),
            "arm_flex_top": float(rng.uniform(0, 15)),
            "elbow_rest": float(rng.uniform(5, 15)),
            "elbow_top": float(rng.uniform(10, 30)),
            "leg_top": float(rng.uniform(17, 26)),
            "hop": float(rng.uniform(0.04, 0.08)),
            "lean": float(rng.uniform(-2, 5)),
            "knee": float(rng.uniform(3, 8)),
            "shape": float(rng.uniform(0.8, 1.2)),
        }

    def angles(
        self, st: RepState, style: dict[str, float], body: Body
    ) -> tuple[Angles, np.ndarray]:
        b = bump(st.phase, style["shape"])
        flight = np.sin(2 * np.pi * st.phase) ** 2
        amp = 1.0 - 0.55 * st.rom
        fl, fr = st.side_factors()
        out: Angles = {"trunk_flex": style["lean"] + 30.0 * st.posture * b}
        for s, f in (("l", fl), ("r", fr)):
            out[f"shoulder_abd_{s}"] = (
                style["arm_rest"] + (style["arm_top"] - style["arm_rest"]) * b * amp * f
            )
            out[f"shoulder_flex_{s}"] = style["arm_flex_top"] * b
            out[f"elbow_flex_{s}"] = (
                style["elbow_rest"] + (style["elbow_top"] - style["elbow_rest"]) * b
            )
            out[f"hip_abd_{s}"] = 2.0 + (style["leg_top"] - 2.0) * b * amp * f
            out[f"hip_rot_{s}"] = 8.0 + 4.0 * b
            out[f"knee_flex_{s}"] = style["knee"] + 10.0 * flight
            out[f"ankle_pf_{s}"] = 12.0 * flight
        return out, style["hop"] * flight


class HighKnees(Exercise):
    code, label = "HK", "high_knees"
    rep_s = (0.6, 0.9)
    pause_p = 0.15
    pause_s = (0.1, 0.4)

    def style(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "hip_top": float(rng.uniform(100, 115)),
            "knee_ratio": float(rng.uniform(1.0, 1.15)),
            "elbow": float(rng.uniform(75, 95)),
            "arm_fwd": float(rng.uniform(40, 65)),
            "arm_back": float(rng.uniform(15, 30)),
            "lean": float(rng.uniform(0, 8)),
            "bounce": float(rng.uniform(0.02, 0.045)),
            "shape": float(rng.uniform(0.8, 1.2)),
        }

    def angles(
        self, st: RepState, style: dict[str, float], body: Body
    ) -> tuple[Angles, np.ndarray]:
        bl, br = half_bumps(st.phase, style["shape"])
        amp = 1.0 - 0.5 * st.rom
        fl, fr = st.side_factors()
        out: Angles = {
            "trunk_flex": style["lean"] + 30.0 * st.posture * bump(st.phase),
            "pelvis_pitch": -6.0 * (bl + br),
        }
        lift = {"l": bl * amp * fl, "r": br * amp * fr}
        for s, o in (("l", "r"), ("r", "l")):
            hip = 5.0 + (style["hip_top"] - 5.0) * lift[s]
            out[f"hip_flex_{s}"] = hip
            out[f"knee_flex_{s}"] = 5.0 + (hip - 5.0) * style["knee_ratio"]
            out[f"ankle_pf_{s}"] = 5.0 + 25.0 * lift[s]
            swing = bl if o == "l" else br  # this arm goes forward with the other knee
            back = br if o == "l" else bl
            out[f"shoulder_flex_{s}"] = style["arm_fwd"] * swing - style["arm_back"] * back
            out[f"shoulder_abd_{s}"] = np.full_like(st.phase, 10.0)
            out[f"elbow_flex_{s}"] = np.full_like(st.phase, style["elbow"])
        return out, style["bounce"] * (bl + br)


class SitUps(Exercise):
    code, label = "SU", "sit_ups"
    rep_s = (1.9, 3.0)
    pause_p = 0.35
    pause_s = (0.2, 1.0)
    supine = True

    def style(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "rise_top": float(rng.uniform(85, 100)),
            "hip_base": float(rng.uniform(45, 55)),
            "pelvis_share": float(rng.uniform(0.45, 0.6)),
            "neck": float(rng.uniform(10, 20)),
            "feet_apart": float(rng.uniform(4, 10)),
            "shape": float(rng.uniform(0.8, 1.2)),
            **_arms_style(rng),
        }

    def pelvis_height(self, body: Body) -> float:
        """Height of the hip joints above the floor when lying on the back."""
        return 0.05 * body.height_m

    def angles(
        self, st: RepState, style: dict[str, float], body: Body
    ) -> tuple[Angles, np.ndarray]:
        n = st.phase.shape[0]
        b = bump(st.phase, style["shape"])
        rise = style["rise_top"] * b * (1.0 - 0.6 * st.rom)
        tilt = style["pelvis_share"] * rise
        side = np.where(st.weak_left, 1.0, -1.0)
        out: Angles = _hands_behind_head(style, n)
        out["pelvis_pitch"] = -90.0 + tilt
        out["trunk_flex"] = rise - tilt
        out["trunk_rot"] = 25.0 * st.asym * b * side
        out["trunk_lat"] = 10.0 * st.asym * b * side
        out["neck_flex"] = style["neck"] + 10.0 * b + 35.0 * st.posture * b
        # Feet flat on the floor: solve the knee angle that puts the ankle at its standing height.
        lt, ls = body.lengths["thigh"], body.lengths["shank"]
        thigh_pitch = np.radians(-90.0 - style["hip_base"])
        c = (self.pelvis_height(body) - np.cos(thigh_pitch) * lt - body.lengths["sole"]) / ls
        shank_pitch = -np.degrees(np.arccos(np.clip(c, 0.0, 1.0)))
        knee = shank_pitch - np.degrees(thigh_pitch)
        for s in ("l", "r"):
            out[f"shoulder_hflex_{s}"] = style["arm_hflex"] + 50.0 * st.posture * b
            out[f"hip_flex_{s}"] = style["hip_base"] + tilt
            out[f"hip_abd_{s}"] = np.full(n, style["feet_apart"])
            out[f"knee_flex_{s}"] = np.full(n, knee)
            out[f"ankle_pf_{s}"] = np.full(n, -shank_pitch)
        return out, np.zeros(n)


class SteamEngine(Exercise):
    code, label = "SE", "steam_engine"
    rep_s = (1.9, 2.8)
    pause_p = 0.25
    pause_s = (0.1, 0.6)

    def style(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "knee_top": float(rng.uniform(105, 120)),
            "knee_bend": float(rng.uniform(90, 110)),
            "rot_top": float(rng.uniform(38, 48)),
            "flex_top": float(rng.uniform(50, 62)),
            "lat_top": float(rng.uniform(22, 32)),
            "pelvis_tip": float(rng.uniform(0, 8)),
            "arm_drop": float(rng.uniform(25, 40)),
            "shape": float(rng.uniform(0.8, 1.2)),
            **_arms_style(rng),
        }

    def angles(
        self, st: RepState, style: dict[str, float], body: Body
    ) -> tuple[Angles, np.ndarray]:
        n = st.phase.shape[0]
        bl, br = half_bumps(st.phase, style["shape"])
        amp = 1.0 - 0.5 * st.rom
        fl, fr = st.side_factors()
        left, right = bl * fl * amp, br * fr * amp
        out: Angles = _hands_behind_head(style, n)
        out["trunk_rot"] = style["rot_top"] * (left - right) * (1.0 - 0.9 * st.posture)
        out["trunk_flex"] = style["flex_top"] * (left + right)
        out["trunk_lat"] = style["lat_top"] * (left - right)
        out["pelvis_pitch"] = style["pelvis_tip"] * (left + right)
        # The working elbow (opposite the raised knee) drops and swings forward to meet it.
        for s, work in (("l", right), ("r", left)):
            out[f"shoulder_abd_{s}"] = out[f"shoulder_abd_{s}"] - style["arm_drop"] * work
            out[f"shoulder_hflex_{s}"] = out[f"shoulder_hflex_{s}"] + 30.0 * work
        for s, lift in (("l", left), ("r", right)):
            out[f"hip_flex_{s}"] = (
                style["pelvis_tip"] * (left + right) + 5.0 + (style["knee_top"] - 5.0) * lift
            )
            out[f"hip_abd_{s}"] = 3.0 - 12.0 * lift
            out[f"knee_flex_{s}"] = 5.0 + style["knee_bend"] * lift
            out[f"ankle_pf_{s}"] = 20.0 * lift
        return out, np.zeros(n)


EXERCISE_MODELS: dict[str, Exercise] = {
    e.code: e for e in (SteamEngine(), JumpingJacks(), SitUps(), HighKnees())
}


def get_exercise(name: str) -> Exercise:
    """The model for an exercise code (``JJ``) or label (``jumping_jacks``)."""
    for e in EXERCISE_MODELS.values():
        if name in (e.code, e.label):
            return e
    known = ", ".join(f"{e.code} ({e.label})" for e in EXERCISE_MODELS.values())
    raise ValueError(f"unknown exercise {name!r}; known: {known}")
