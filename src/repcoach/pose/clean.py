"""Pose cleaning: mask unreliable landmarks, drop outlier jumps, bridge short gaps.

Trackers lose landmarks (low visibility, no person found) and sometimes put one in a wrong place
for a frame or two. Cleaning turns both into NaN and then interpolates gaps short enough that a
straight line is a fair guess; longer gaps stay NaN so later stages know they are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.logs import nan_warnings_silenced
from repcoach.skeleton import Skeleton
from repcoach.types import PoseSequence

__all__ = ["PoseCleaner", "clean", "fill_gaps", "torso_length"]


def torso_length(coords: np.ndarray, layout: Skeleton, dims: int | None = None) -> float:
    """Robust torso length of a ``(frames, joints, dims)`` array: the median over frames of the
    shoulder-midpoint to hip-midpoint distance (NaN when no frame shows both)."""
    d = coords.shape[2] if dims is None else dims
    ix = layout.index
    sh = _midpoint(coords, ix("left_shoulder"), ix("right_shoulder"))[:, :d]
    hp = _midpoint(coords, ix("left_hip"), ix("right_hip"))[:, :d]
    length = np.linalg.norm(sh - hp, axis=1)
    length = length[np.isfinite(length)]
    return float(np.median(length)) if length.size else float("nan")


def _midpoint(coords: np.ndarray, a: int, b: int) -> np.ndarray:
    """Per-frame midpoint of joints a and b; where one is missing, the other one."""
    with np.errstate(invalid="ignore"), nan_warnings_silenced():
        return np.nanmean(np.stack([coords[:, a], coords[:, b]]), axis=0)


def fill_gaps(values: np.ndarray, t: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linearly interpolate NaN runs of each column of ``values`` (frames, columns) over times
    ``t`` when the run lasts at most ``max_gap_s``; hold the edge value for leading/trailing frames
    within ``max_gap_s`` of the nearest valid frame. Longer gaps stay NaN."""
    v = np.array(values, dtype=np.float64, copy=True)
    squeeze = v.ndim == 1
    if squeeze:
        v = v[:, None]
    n = v.shape[0]
    if n == 0:
        return v[:, 0] if squeeze else v
    dt = float(np.median(np.diff(t))) if n > 1 else 1.0
    tol = 1e-6 * max(dt, 1e-9)
    idx = np.arange(n)
    for c in range(v.shape[1]):
        col = v[:, c]
        ok = np.isfinite(col)
        if ok.all() or not ok.any():
            continue
        good = idx[ok]
        prev = np.maximum.accumulate(np.where(ok, idx, -1))
        nxt = np.minimum.accumulate(np.where(ok, idx, n)[::-1])[::-1]
        miss = ~ok
        interior = miss & (prev >= 0) & (nxt < n)
        gap = np.full(n, np.inf)
        gap[interior] = t[nxt[interior]] - t[prev[interior]] - dt
        fill = interior & (gap <= max_gap_s + tol)
        col[fill] = np.interp(t[fill], t[good], col[good])
        lead = miss & (prev < 0) & (t[good[0]] - t <= max_gap_s + tol)
        col[lead] = col[good[0]]
        trail = miss & (nxt >= n) & (t - t[good[-1]] <= max_gap_s + tol)
        col[trail] = col[good[-1]]
    return v[:, 0] if squeeze else v


def _rolling_nanmedian(x: np.ndarray, half: int) -> np.ndarray:
    """Centred NaN-aware running median along axis 0 (window 2*half+1, shrinking at edges)."""
    n = x.shape[0]
    pad = np.concatenate(
        [np.full((half, *x.shape[1:]), np.nan), x, np.full((half, *x.shape[1:]), np.nan)]
    )
    win = np.stack([pad[k : k + n] for k in range(2 * half + 1)])
    with nan_warnings_silenced():
        return np.nanmedian(win, axis=0)


@dataclass
class PoseCleaner:
    """Estimator-style cleaner (stateless: ``transform`` only; ``fit`` returns self).

    ``min_visibility``: landmarks below it become missing. ``max_gap_s``: longest gap bridged by
    linear interpolation. ``outlier_z``: robust z-score (residual from a 5-frame running median,
    scaled by 1.4826 x MAD per joint) above which a landmark counts as a jump. ``min_outlier``:
    the residual must also exceed this fraction of the torso length, so that fast but genuine
    motion at turning points of smooth sequences (MAD near 0) is not flagged.
    ``outlier_dims``: dimensions used for the jump test (None = x, y only for image-space
    sequences, whose monocular z is far noisier, else all).
    """

    min_visibility: float = 0.5
    max_gap_s: float = 0.5
    outlier_z: float = 4.0
    min_outlier: float = 0.3
    outlier_dims: int | None = None

    def fit(self, seq: PoseSequence | None = None) -> PoseCleaner:
        return self

    def outlier_mask(self, seq: PoseSequence, coords: np.ndarray | None = None) -> np.ndarray:
        """``(frames, joints)`` bool: landmarks that jump implausibly far from their neighbours."""
        c = seq.coords if coords is None else coords
        dims = self.outlier_dims or (2 if seq.space == "image" else c.shape[2])
        c = c[:, :, :dims].astype(np.float64)
        if c.shape[0] < 5 or self.outlier_z is None or not np.isfinite(self.outlier_z):
            return np.zeros(c.shape[:2], bool)
        med = _rolling_nanmedian(c, 2)
        resid = np.linalg.norm(c - med, axis=2)  # (frames, joints)
        with nan_warnings_silenced():
            mad = np.nanmedian(np.abs(resid - np.nanmedian(resid, axis=0)), axis=0)
        scale = torso_length(c, seq.layout)
        if not np.isfinite(scale) or scale <= 0:
            with nan_warnings_silenced():
                spread = np.nanmax(c, axis=1) - np.nanmin(c, axis=1)
                scale = float(np.nanmedian(np.linalg.norm(spread, axis=1))) / 3.0
        if not np.isfinite(scale) or scale <= 0:
            return np.zeros(c.shape[:2], bool)
        sigma = np.maximum(1.4826 * np.nan_to_num(mad), 1e-12)
        with np.errstate(invalid="ignore"):
            flag = (resid / sigma > self.outlier_z) & (resid > self.min_outlier * scale)
        return flag & np.isfinite(resid)

    def transform(self, seq: PoseSequence) -> PoseSequence:
        """Return a cleaned copy of ``seq`` (same timestamps, layout and space)."""
        coords = seq.coords.astype(np.float64).copy()
        missing = (seq.visibility < self.min_visibility) | ~seq.detected[:, None]
        missing |= ~np.isfinite(coords).all(axis=2)
        coords[missing] = np.nan
        # Two passes: a big jump can hide a smaller one next to it from the running median.
        for _ in range(2):
            out = self.outlier_mask(seq, coords)
            if not out.any():
                break
            coords[out] = np.nan
        t, j, d = coords.shape
        flat = fill_gaps(coords.reshape(t, j * d), seq.timestamps, self.max_gap_s)
        return seq.with_coords(flat.reshape(t, j, d).astype(np.float32))


def clean(
    seq: PoseSequence,
    *,
    min_visibility: float = 0.5,
    max_gap_s: float = 0.5,
    outlier_z: float = 4.0,
    **options: float | int | None,
) -> PoseSequence:
    """Functional shortcut for :class:`PoseCleaner` (``options``: ``min_outlier``,
    ``outlier_dims``)."""
    return PoseCleaner(
        min_visibility=min_visibility, max_gap_s=max_gap_s, outlier_z=outlier_z, **options
    ).transform(seq)
