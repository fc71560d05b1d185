"""Cue text: a witness feature's body part, direction, size and phase in words."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from repcoach.feedback.cue import Cue, phase_words
from repcoach.feedback.pose_features import BODY_PARTS
from repcoach.feedback.reference import ExerciseReference

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


def make_cue(ref: ExerciseReference, fault: str, witness: str, feats: Mapping[str, float],
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
