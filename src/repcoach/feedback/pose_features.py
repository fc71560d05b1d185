"""Joint-angle and limb-path series of a pose recording, and per-repetition features of them.

Angles are measured in the image plane (2D; x aspect-corrected by the caller) or in 3D for
world-space poses, from joints found by name, so any layout with the joints works (MediaPipe 33,
Penn 13, COCO 17). A series needing a missing joint is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import theilslopes

from repcoach.types import PoseSequence

#: Number of phase points a repetition is resampled to for the templates.
PHASE_POINTS = 32
#: Residual quantile of a set's log durations taken as the unhurried pace (chosen on the
#: seed-0 development data: AUC of ``tempo`` for rushed reps 0.94 at the median, 0.99 here).
TEMPO_QUANTILE = 0.9

#: angle name -> (joint a, vertex b, joint c), ``{s}`` = left / right.
_ANGLES = {
    "elbow": ("{s}_shoulder", "{s}_elbow", "{s}_wrist"),
    "shoulder": ("{s}_hip", "{s}_shoulder", "{s}_elbow"),
    "hip": ("{s}_shoulder", "{s}_hip", "{s}_knee"),
    "knee": ("{s}_hip", "{s}_knee", "{s}_ankle"),
}
#: height of a joint above the hip midpoint, in torso lengths (limb paths)
_HEIGHTS = {"wrist_height": "{s}_wrist", "knee_height": "{s}_knee"}

#: series name -> (body part in words, unit)
BODY_PARTS: dict[str, tuple[str, str]] = {
    "elbow": ("elbow", "deg"), "shoulder": ("arm", "deg"), "hip": ("hip", "deg"),
    "knee": ("knee", "deg"), "wrist_height": ("hand", "torso"),
    "knee_height": ("knee lift", "torso"), "trunk": ("trunk lean", "deg"),
    "neck": ("neck", "deg"), "torso": ("torso", "ratio"), "width": ("shoulder line", "ratio"),
    "twist": ("trunk rotation", "torso"), "lean_depth": ("forward lean", "torso"),
}  # fmt: skip


def _joint(seq: PoseSequence, c: np.ndarray, name: str) -> np.ndarray | None:
    if seq.layout.has(name):
        return c[:, seq.layout.index(name)]
    return None


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    v1, v2 = a - b, c - b
    n = np.linalg.norm(v1, axis=-1) * np.linalg.norm(v2, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (v1 * v2).sum(-1) / n
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def angle_series(seq: PoseSequence) -> dict[str, np.ndarray]:
    """Per-frame series (NaN where undetected): ``elbow_l``, ``shoulder_r``, ``hip_l``,
    ``knee_r`` (degrees), ``wrist_height_l`` / ``knee_height_r`` (above the hip midpoint, torso
    lengths), ``trunk`` (lean from vertical, deg), ``neck`` (head-shoulders-hips, deg),
    ``torso`` (torso length / recording median), ``width`` (shoulder width / torso length);
    with image depth (MediaPipe z): ``twist`` (left minus right shoulder depth) and
    ``lean_depth`` (hips minus shoulders depth: > 0 when the shoulders are nearer the camera),
    in torso lengths."""
    world = seq.space == "world"
    c3 = seq.coords.astype(np.float64)
    c = c3 if world else c3[..., :2]
    if seq.detected is not None:
        c = c.copy()
        c[~seq.detected] = np.nan
    out: dict[str, np.ndarray] = {}
    for name, (a, b, cc) in _ANGLES.items():
        for s, side in (("l", "left"), ("r", "right")):
            ja, jb, jc = (_joint(seq, c, x.format(s=side)) for x in (a, b, cc))
            if ja is not None and jb is not None and jc is not None:
                out[f"{name}_{s}"] = _angle(ja, jb, jc)
    sh = [_joint(seq, c, f"{s}_shoulder") for s in ("left", "right")]
    hp = [_joint(seq, c, f"{s}_hip") for s in ("left", "right")]
    if any(x is None for x in sh + hp):
        return out
    smid, hmid = (sh[0] + sh[1]) / 2, (hp[0] + hp[1]) / 2
    up = np.array([0.0, 1.0, 0.0]) if world else np.array([0.0, -1.0])  # image y points down
    torso_v = smid - hmid
    torso = np.linalg.norm(torso_v, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["trunk"] = np.degrees(np.arccos(np.clip(torso_v @ up / torso, -1, 1)))
        med = np.nanmedian(torso) if np.isfinite(torso).any() else np.nan
        out["torso"] = torso / med
        out["width"] = np.linalg.norm(sh[0] - sh[1], axis=1) / torso
        for name, j in _HEIGHTS.items():
            for s, side in (("l", "left"), ("r", "right")):
                p = _joint(seq, c, j.format(s=side))
                if p is not None:
                    out[f"{name}_{s}"] = ((p - hmid) @ up) / med
        if not world and c3.shape[-1] == 3:  # image depth (MediaPipe z, same scale as x)
            zc = c3[..., 2].copy()
            if seq.detected is not None:
                zc[~seq.detected] = np.nan
            zs = [zc[:, seq.layout.index(f"{s}_shoulder")] for s in ("left", "right")]
            zh = [zc[:, seq.layout.index(f"{s}_hip")] for s in ("left", "right")]
            out["twist"] = (zs[0] - zs[1]) / med
            out["lean_depth"] = ((zh[0] + zh[1]) - (zs[0] + zs[1])) / 2 / med
    head = next((h for h in ("nose", "head") if seq.layout.has(h)), None)
    if head is not None:
        out["neck"] = _angle(_joint(seq, c, head), smid, hmid)
    return out


def _fill(x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x
    i = np.arange(len(x))
    return np.interp(i, i[ok], x[ok])


def phase_curve(x: np.ndarray, n: int = PHASE_POINTS) -> np.ndarray:
    """``x`` (one repetition's frames) resampled to ``n`` points over its phase."""
    x = _fill(np.asarray(x, dtype=np.float64))
    if len(x) < 2:
        return np.full(n, x[0] if len(x) else np.nan)
    return np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x)


def pair_names(series: Sequence[str]) -> list[str]:
    """Bases having both ``_l`` and ``_r`` series."""
    return [s[:-2] for s in series if s.endswith("_l") and s[:-2] + "_r" in series]


def typical_durations(durs: np.ndarray, quantile: float = TEMPO_QUANTILE) -> np.ndarray:
    """Each repetition's unhurried duration in its set: a robust (Theil-Sen) line through the
    log durations over the repetition index (follows fatigue drift), raised to the
    ``quantile`` of the residuals (rushed reps are only ever shorter, so the set's slower reps
    say what the person's own normal pace is)."""
    d = np.log(np.maximum(np.asarray(durs, dtype=np.float64), 1e-3))
    if len(d) < 4:
        return np.exp(np.full(len(d), np.quantile(d, quantile) if len(d) else 0.0))

    i = np.arange(len(d), dtype=np.float64)
    slope, icpt, _, _ = theilslopes(d, i)
    line = icpt + slope * i
    return np.exp(line + np.quantile(d - line, quantile))


def rep_features(
    series: dict[str, np.ndarray], timestamps: np.ndarray, spans: Sequence[tuple[int, int]],
    prefix: str = "",
) -> tuple[list[dict[str, float]], list[dict[str, np.ndarray]]]:
    """Per repetition (frames ``[start, end)``): scalar features (``{s}.range`` / ``.max`` /
    ``.min`` of every series, ``{pair}.lr_range`` and ``.lr_lag`` (s) of left/right pairs,
    ``duration`` and ``tempo`` (log of duration / :func:`typical_durations`)) and phase curves."""
    t = np.asarray(timestamps, dtype=np.float64)
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 1.0 / 30
    durs = np.array([(e - s) * dt for s, e in spans], dtype=np.float64)
    typical = typical_durations(durs)
    pairs = pair_names(list(series))
    feats, curves = [], []
    for (s, e), dur, typ in zip(spans, durs, typical, strict=True):
        f: dict[str, float] = {"duration": float(dur),
                               "tempo": float(np.log(max(dur, 1e-3) / typ))}
        cv: dict[str, np.ndarray] = {}
        peak_t: dict[str, float] = {}
        for name, x in series.items():
            seg = x[s:e]
            ok = seg[np.isfinite(seg)]
            if len(ok) < 3:
                f.update({f"{prefix}{name}.range": np.nan, f"{prefix}{name}.max": np.nan,
                          f"{prefix}{name}.min": np.nan})  # fmt: skip
                continue
            hi, lo = np.percentile(ok, 95), np.percentile(ok, 5)
            f[f"{prefix}{name}.range"] = float(hi - lo)
            f[f"{prefix}{name}.max"] = float(hi)
            f[f"{prefix}{name}.min"] = float(lo)
            c = phase_curve(seg)
            cv[f"{prefix}{name}"] = c
            dev = np.abs(c - c[0])
            peak_t[name] = float(np.argmax(dev) / (PHASE_POINTS - 1) * dur)
        for p in pairs:
            rl, rr = f.get(f"{prefix}{p}_l.range", np.nan), f.get(f"{prefix}{p}_r.range", np.nan)
            f[f"{prefix}{p}.lr_range"] = float(rl - rr)
            f[f"{prefix}{p}.lr_lag"] = float(peak_t.get(f"{p}_l", np.nan)
                                             - peak_t.get(f"{p}_r", np.nan))
        feats.append(f)
        curves.append(cv)
    return feats, curves
