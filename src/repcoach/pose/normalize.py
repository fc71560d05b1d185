"""Pose normalisation: hip-centred, torso-scaled coordinates.

Where the camera stood and how tall the person is should not change what a model sees. Every
frame is translated so the hip midpoint is the origin and the whole sequence is divided by one
torso length (shoulder midpoint to hip midpoint). One scale per sequence, not per frame: in a
sit-up filmed from the front the projected torso shrinks as the person sits up, and a per-frame
scale would blow the pose up exactly then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.logs import nan_warnings_silenced
from repcoach.pose.clean import _midpoint
from repcoach.types import PoseSequence

__all__ = ["Normalizer", "normalize", "hip_centres", "torso_scale"]


def hip_centres(seq: PoseSequence, coords: np.ndarray | None = None) -> np.ndarray:
    """``(frames, dims)`` centre of every frame: the hip midpoint, or where hips are missing the
    shoulder midpoint (then the joints' centroid) shifted by its median offset to the hips; NaN
    only for frames with no landmark at all."""
    c = seq.coords if coords is None else coords
    ix = seq.layout.index
    hip = _midpoint(c, ix("left_hip"), ix("right_hip"))
    shoulder = _midpoint(c, ix("left_shoulder"), ix("right_shoulder"))
    with nan_warnings_silenced():
        centroid = np.nanmean(c, axis=1)
    centre = hip.copy()
    for proxy in (shoulder, centroid):
        need = ~np.isfinite(centre).all(axis=1)
        if not need.any():
            break
        both = np.isfinite(hip).all(axis=1) & np.isfinite(proxy).all(axis=1)
        offset = np.median(hip[both] - proxy[both], axis=0) if both.any() else 0.0
        centre[need] = proxy[need] + offset
    return centre


def torso_scale(
    seq: PoseSequence,
    coords: np.ndarray | None = None,
    quantile: float = 0.9,
    dims: int | None = None,
) -> float:
    """One torso length for the whole sequence: the ``quantile`` of per-frame shoulder-midpoint
    to hip-midpoint distances (a high quantile because foreshortening only ever shortens the
    projected torso). Falls back to a third of the median body extent, then to 1."""
    c = seq.coords if coords is None else coords
    d = dims or c.shape[2]
    ix = seq.layout.index
    hip = _midpoint(c, ix("left_hip"), ix("right_hip"))[:, :d]
    shoulder = _midpoint(c, ix("left_shoulder"), ix("right_shoulder"))[:, :d]
    lengths = np.linalg.norm(shoulder - hip, axis=1)
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if lengths.size:
        return float(np.quantile(lengths, quantile))
    with nan_warnings_silenced():
        extent = np.nanmax(c[:, :, :d], axis=1) - np.nanmin(c[:, :, :d], axis=1)
        size = float(np.nanmedian(np.linalg.norm(extent, axis=1))) if c.size else float("nan")
    if np.isfinite(size) and size > 0:
        return size / 3.0
    return 1.0


@dataclass
class Normalizer:
    """Estimator-style normaliser (stateless).

    ``scale_quantile``: which quantile of per-frame torso lengths is the sequence's scale.
    ``aspect_ratio``: image width / height; when given and the sequence is in ``"image"`` space,
    x is multiplied by it first so x and y share a unit (MediaPipe divides x by the width and y by
    the height). ``scale_dims``: dimensions used to measure the torso (None = x, y for image-space
    sequences, whose monocular z is noisy, else all).
    """

    scale_quantile: float = 0.9
    aspect_ratio: float | None = None
    scale_dims: int | None = None

    def fit(self, seq: PoseSequence | None = None) -> Normalizer:
        return self

    def transform(self, seq: PoseSequence) -> PoseSequence:
        """Return the hip-centred, torso-scaled copy (``space="normalized"``); NaN stays NaN."""
        c = seq.coords.astype(np.float64).copy()
        if self.aspect_ratio is not None and seq.space == "image":
            c[:, :, 0] *= self.aspect_ratio
        dims = self.scale_dims or (2 if seq.space == "image" else c.shape[2])
        centre = hip_centres(seq, c)
        scale = torso_scale(seq, c, self.scale_quantile, dims)
        if not np.isfinite(scale) or scale <= 1e-9:
            scale = 1.0
        out = (c - centre[:, None, :]) / scale
        out[~np.isfinite(out)] = np.nan
        return seq.with_coords(out.astype(np.float32), space="normalized")


def normalize(seq: PoseSequence, **options: float | int | None) -> PoseSequence:
    """Hip-centred, torso-scaled copy of ``seq`` (options as in :class:`Normalizer`)."""
    return Normalizer(**options).transform(seq)
