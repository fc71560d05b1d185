"""Per-frame push-up form signals, time-normalised, for sequence models (DTW nearest neighbour,
MiniRocket) that judge form across people and cameras.

Per frame, on the side facing the camera (as :mod:`repcoach.pose.pushup_form`): the body line
angle (shoulder-hip-ankle), the signed hip offset from the shoulder-ankle line (+ = sag, - =
pike), knee, elbow and neck angles, the shoulder height above the wrists in torso lengths and
the body tilt. Angles and ratios do not depend on the person's size or distance to the camera;
resampling the detected frames to a fixed length removes the frame rate and the tempo.

:func:`form_signals` scales each channel by fixed constants (:data:`SIGNAL_REFERENCE`, chosen
from push-up geometry, not fitted on any data), so that a clip's level (how sagged, how deep)
is kept; :func:`zscore_per_clip` keeps only the shape of each channel.
"""

from __future__ import annotations

import numpy as np

from repcoach.pose.pushup_form import _JOINTS, _SIDE_JOINTS, _angle
from repcoach.types import PoseSequence

#: Channel names, in the order of :func:`form_signals`' last axis.
SIGNALS: tuple[str, ...] = ("body_angle", "hip_offset", "knee_angle", "elbow_angle",
                            "neck_angle", "shoulder_height", "body_tilt")  # fmt: skip

#: (reference, scale) per channel: the value is ``(x - reference) / scale``. References are a
#: straight, horizontal plank; scales about one "clearly different" step (20 degrees, 5 % of the
#: body length, half a torso, 10 degrees of tilt).
SIGNAL_REFERENCE: dict[str, tuple[float, float]] = {
    "body_angle": (180.0, 20.0), "hip_offset": (0.0, 0.05), "knee_angle": (180.0, 20.0),
    "elbow_angle": (180.0, 20.0), "neck_angle": (180.0, 20.0),
    "shoulder_height": (1.0, 0.5), "body_tilt": (0.0, 10.0),
}  # fmt: skip


def raw_signals(seq: PoseSequence, dims: int = 2) -> np.ndarray:
    """``(n_detected, 7)`` per-frame signals (unscaled; NaN where a joint is missing) of a
    MediaPipe-33 image-space recording, aspect-corrected (see :mod:`pushup_form`).
    ``dims=3`` measures the angles and the tilt with MediaPipe's relative depth z too (less
    dependent on the camera's direction, but z is noisier); the hip offset stays in the image."""
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims}")
    if seq.layout.n_joints != 33:
        raise ValueError(f"push-up form signals need the mediapipe33 layout, got "
                         f"{seq.layout.name!r}")  # fmt: skip
    det = np.asarray(seq.detected, bool)
    c = np.asarray(seq.coords)[det][..., :dims].astype(np.float64)
    vis = np.asarray(seq.visibility)[det]
    if not len(c):
        return np.zeros((0, len(SIGNALS)))
    left = [_JOINTS[j][0] for j in _SIDE_JOINTS]
    right = [_JOINTS[j][1] for j in _SIDE_JOINTS]
    side = 0 if np.nanmean(vis[:, left]) >= np.nanmean(vis[:, right]) else 1
    p = {name: c[:, idx[side]] for name, idx in _JOINTS.items()}
    line = (p["ankle"] - p["shoulder"])[:, :2]
    rel = (p["hip"] - p["shoulder"])[:, :2]
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = (line[:, 0] * rel[:, 1] - line[:, 1] * rel[:, 0]) / (line**2).sum(1)
        fin = np.isfinite(line[:, 0])
        facing = float(np.sign(line[fin, 0].mean())) if fin.any() else 1.0
        tl = np.linalg.norm(p["shoulder"] - p["hip"], axis=1)
        torso = float(np.median(tl[np.isfinite(tl)])) if np.isfinite(tl).any() else np.nan
        height = (p["wrist"][:, 1] - p["shoulder"][:, 1]) / torso
    facing = facing if np.isfinite(facing) and facing != 0 else 1.0
    full = p["ankle"] - p["shoulder"]  # tilt: the body line against the horizontal (x, z)
    flat = np.linalg.norm(np.delete(full, 1, axis=1), axis=1)
    tilt = np.degrees(np.arctan2(np.abs(full[:, 1]), flat))
    out = np.stack([
        _angle(p["shoulder"], p["hip"], p["ankle"]), cross * facing,
        _angle(p["hip"], p["knee"], p["ankle"]), _angle(p["shoulder"], p["elbow"], p["wrist"]),
        _angle(p["ear"], p["shoulder"], p["hip"]), height, tilt,
    ], axis=1)  # fmt: skip
    out[~np.isfinite(out)] = np.nan
    return out


def _fill(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN frames per channel (edges held); all-NaN -> 0 (the
    reference once scaled)."""
    out = x.copy()
    t = np.arange(len(x))
    for ch in range(x.shape[1]):
        ok = np.isfinite(x[:, ch])
        out[:, ch] = np.interp(t, t[ok], x[ok, ch]) if ok.any() else 0.0
    return out


def _median_filter(x: np.ndarray, width: int) -> np.ndarray:
    """Running median over time (odd ``width``, edges padded by repetition)."""
    if width <= 1 or len(x) < 2:
        return x
    h = width // 2
    pad = np.concatenate([np.repeat(x[:1], h, 0), x, np.repeat(x[-1:], h, 0)])
    win = np.lib.stride_tricks.sliding_window_view(pad, width, axis=0)
    return np.median(win, axis=-1)


def form_signals(
    seq: PoseSequence, length: int = 64, median_width: int = 5, dims: int = 2
) -> np.ndarray:
    """``(length, 7)`` scaled form signals (:func:`raw_signals` with ``dims``) of the detected
    frames, median-filtered over
    ``median_width`` frames (MediaPipe's single-frame mis-detections) and resampled to
    ``length`` frames; zeros (= the reference plank) when no frame was detected."""
    raw = raw_signals(seq, dims)
    ref = np.array([SIGNAL_REFERENCE[s][0] for s in SIGNALS])
    scale = np.array([SIGNAL_REFERENCE[s][1] for s in SIGNALS])
    if not len(raw):
        return np.zeros((length, len(SIGNALS)), np.float32)
    x = _median_filter(_fill((raw - ref) / scale), median_width)
    if len(x) == 1:
        return np.repeat(x, length, 0).astype(np.float32)
    src = np.linspace(0.0, 1.0, len(x))
    dst = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(dst, src, x[:, ch]) for ch in range(x.shape[1])],
                    axis=1).astype(np.float32)  # fmt: skip


#: Statistics over time of each form signal (:func:`signal_statistics`), in output order.
SIGNAL_STATS: tuple[str, ...] = ("median", "p10", "p90")


def signal_statistics(sig: np.ndarray) -> np.ndarray:
    """``(..., T, C)`` form signals -> ``(..., 3 C)``: per channel the median, 10th and 90th
    percentile over time, statistic-major (all medians, then p10s, then p90s): a clip's level
    (how sagged, how deep) without its timing, for models on fixed-size vectors."""
    x = np.asarray(sig, np.float64)
    return np.concatenate([np.median(x, axis=-2), np.percentile(x, 10, axis=-2),
                           np.percentile(x, 90, axis=-2)], axis=-1)  # fmt: skip


def zscore_per_clip(x: np.ndarray, floor: float = 0.05) -> np.ndarray:
    """Each clip's channels to zero mean and unit deviation over time (``x``: ``(T, C)`` or
    ``(n, T, C)``); a deviation under ``floor`` (a still channel) divides by ``floor``."""
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=-2, keepdims=True)
    std = np.maximum(x.std(axis=-2, keepdims=True), floor)
    return ((x - mean) / std).astype(np.float32)
