"""Candidate 1-D motion signals of a pose recording, for repetition counting.

Every frame's main joints are expressed relative to the body centre (hip midpoint, shoulder
midpoint where hips are missing) in torso lengths; the centre itself (in torso lengths), the
projected torso length, eight joint angles and the leading principal components of the relative
coordinates are added. Frames without a person are NaN, then gaps are filled linearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.skeleton import Skeleton

__all__ = ["SignalSet", "candidate_signals", "fill_gaps"]

#: Joints whose coordinates become candidate signals (by name, any layout that has them).
JOINTS = (
    "nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
)  # fmt: skip

#: Joint angles (a, vertex, b) that become candidate signals.
ANGLES = (
    ("left_shoulder", "left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow", "right_wrist"),
    ("left_hip", "left_knee", "left_ankle"),
    ("right_hip", "right_knee", "right_ankle"),
    ("left_shoulder", "left_hip", "left_knee"),
    ("right_shoulder", "right_hip", "right_knee"),
    ("left_hip", "left_shoulder", "left_elbow"),
    ("right_hip", "right_shoulder", "right_elbow"),
)


@dataclass
class SignalSet:
    """``values`` (frames, signals) with ``names``; ``present`` (frames,) True where a person
    was seen; ``scale`` the torso length used (input units)."""

    values: np.ndarray
    names: list[str]
    present: np.ndarray
    scale: float


def fill_gaps(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs along axis 0 (edges held); all-NaN columns -> zeros."""
    x = np.array(x, dtype=np.float64, copy=True)
    one = x.ndim == 1
    x = x[:, None] if one else x
    idx = np.arange(x.shape[0])
    for j in range(x.shape[1]):
        ok = np.isfinite(x[:, j])
        if ok.all():
            continue
        x[:, j] = np.interp(idx, idx[ok], x[ok, j]) if ok.any() else 0.0
    return x[:, 0] if one else x


def _mid(c: np.ndarray, a: int, b: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        m = (c[:, a] + c[:, b]) / 2
    # one side only: take it
    only_a = ~np.isfinite(m).all(axis=1) & np.isfinite(c[:, a]).all(axis=1)
    only_b = ~np.isfinite(m).all(axis=1) & np.isfinite(c[:, b]).all(axis=1)
    m[only_a] = c[only_a, a]
    m[only_b] = c[only_b, b]
    return m


def _angle(a: np.ndarray, v: np.ndarray, b: np.ndarray) -> np.ndarray:
    u, w = a - v, b - v
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (u * w).sum(axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(w, axis=1))
    return np.arccos(np.clip(cos, -1.0, 1.0))


def candidate_signals(
    coords: np.ndarray,
    layout: Skeleton,
    detected: np.ndarray | None = None,
    *,
    min_seen: float = 0.5,
    n_components: int = 3,
) -> SignalSet:
    """Candidate signals of ``coords`` (frames, joints, dims); only x and y are used. A signal
    is kept when finite in at least ``min_seen`` of the frames where a person was seen."""
    c = np.array(coords, dtype=np.float64, copy=True)[:, :, :2]
    n = c.shape[0]
    if detected is not None:
        c[~np.asarray(detected, bool)] = np.nan
    c[~np.isfinite(c).all(axis=2)] = np.nan
    present = np.isfinite(c).any(axis=(1, 2))
    if n == 0 or not present.any():
        return SignalSet(np.zeros((n, 0)), [], present, 1.0)
    has = layout.has
    ix = layout.index
    if has("left_hip") and has("right_hip"):
        hip = _mid(c, ix("left_hip"), ix("right_hip"))
    else:
        hip = np.full((n, 2), np.nan)
    if has("left_shoulder") and has("right_shoulder"):
        sh = _mid(c, ix("left_shoulder"), ix("right_shoulder"))
    else:
        sh = np.full((n, 2), np.nan)
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        centroid = np.nanmean(c, axis=1)
    centre = hip.copy()
    for proxy in (sh, centroid):
        need = ~np.isfinite(centre).all(axis=1)
        both = np.isfinite(centre).all(axis=1) & np.isfinite(proxy).all(axis=1)
        off = np.median(centre[both] - proxy[both], axis=0) if both.any() else 0.0
        centre[need] = proxy[need] + off
    torso = np.linalg.norm(sh - hip, axis=1)
    ok = np.isfinite(torso) & (torso > 0)
    if ok.any():
        scale = float(np.quantile(torso[ok], 0.9))
    else:
        with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
            sup.filter(RuntimeWarning)
            ext = np.nanmax(c[..., 1], axis=1) - np.nanmin(c[..., 1], axis=1)
        ext = ext[np.isfinite(ext) & (ext > 0)]
        scale = float(np.median(ext) / 3) if ext.size else 1.0
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0

    cols: list[np.ndarray] = []
    names: list[str] = []
    joints = [j for j in JOINTS if has(j)]
    rel = (c[:, [ix(j) for j in joints]] - centre[:, None]) / scale
    for k, j in enumerate(joints):
        for d, axis in enumerate("xy"):
            cols.append(rel[:, k, d])
            names.append(f"{j}.{axis}")
    for d, axis in enumerate("xy"):
        cols.append(centre[:, d] / scale)
        names.append(f"centre.{axis}")
    cols.append(torso / scale)
    names.append("torso_length")
    for a, v, b in ANGLES:
        if has(a) and has(v) and has(b):
            cols.append(_angle(c[:, ix(a)], c[:, ix(v)], c[:, ix(b)]))
            names.append(f"angle.{v}")
    x = np.column_stack(cols)
    seen = np.isfinite(x[present]).mean(axis=0)
    keep = seen >= min_seen
    x, names = x[:, keep], [nm for nm, k in zip(names, keep, strict=True) if k]
    x = fill_gaps(x)
    # Principal components of the relative coordinates (same units, so no standardising).
    coord_cols = [i for i, nm in enumerate(names) if nm.endswith((".x", ".y"))
                  and not nm.startswith("centre")]  # fmt: skip
    if len(coord_cols) >= 2 and present.sum() > 2:
        y = x[:, coord_cols] - x[present][:, coord_cols].mean(axis=0)
        _u, s, vt = np.linalg.svd(y[present], full_matrices=False)
        k = min(n_components, len(s))
        pcs = y @ vt[:k].T
        x = np.column_stack([x, pcs])
        names += [f"pca{i}" for i in range(k)]
    return SignalSet(x, names, present, scale)
