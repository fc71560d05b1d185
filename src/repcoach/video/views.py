"""Combining the frontal and side views of one session (paper IV.B: synchronised frame by frame).

The two RGB views share one clock, so combining them means putting both pose sequences on the
same uniform clock and trimming them to the time both cover; then frame ``k`` of one view is
frame ``k`` of the other. A known offset (e.g. measured from the synchronisation beep) can be
given. :func:`stronger_view` picks the view whose motion signal is larger, the one repcoach
segments repetitions on by default (frontal for jumping jacks, usually side for sit-ups).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from repcoach.logs import nan_warnings_silenced
from repcoach.types import PoseSequence
from repcoach.video.io import MODEL_FPS, resample_at


def combine_views(
    frontal: PoseSequence,
    side: PoseSequence,
    *,
    fps: float = MODEL_FPS,
    side_offset_s: float = 0.0,
) -> tuple[PoseSequence, PoseSequence]:
    """Both views on one ``fps`` clock over the time both cover, with equal frame counts.

    ``side_offset_s`` is added to the side view's timestamps first (positive when the side
    camera started later than the frontal one). The returned timestamps are the common clock
    (starting at the first shared instant); frames keep their ``detected`` flags.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if frontal.n_frames == 0 or side.n_frames == 0:
        raise ValueError("cannot combine an empty view")
    side = replace(side, timestamps=side.timestamps + side_offset_s)
    start = max(frontal.timestamps[0], side.timestamps[0])
    end = min(frontal.timestamps[-1], side.timestamps[-1])
    if end < start:
        raise ValueError(
            f"the views do not overlap in time: frontal {frontal.timestamps[0]:.3f}-"
            f"{frontal.timestamps[-1]:.3f} s, side {side.timestamps[0]:.3f}-"
            f"{side.timestamps[-1]:.3f} s"
        )
    n = int(np.floor((end - start) * fps + 1e-6)) + 1
    clock = start + np.arange(n) / fps
    return resample_at(frontal, clock), resample_at(side, clock)


def motion_strength(seq: PoseSequence, min_visibility: float = 0.5) -> float:
    """How much the body moves, independent of camera distance: the mean over joints of the
    standard deviation of their image positions over time, divided by the median torso size
    (shoulder centre to hip centre). 0 when nothing usable is found."""
    ok = seq.detected[:, None] & (seq.visibility >= min_visibility)
    xy = np.where(ok[..., None], seq.coords[..., :2], np.nan).astype(np.float64)
    if ok.sum() < 2:
        return 0.0
    with np.errstate(invalid="ignore"), nan_warnings_silenced():
        spread = np.nanstd(xy, axis=0)  # (joints, 2)
        spread = float(np.nanmean(np.linalg.norm(spread, axis=1)))
        scale = _torso(seq, xy)
    if not np.isfinite(spread):
        return 0.0
    return spread / scale if np.isfinite(scale) and scale > 0 else spread


def stronger_view(frontal: PoseSequence, side: PoseSequence) -> str:
    """``"frontal"`` or ``"side"``: the view with the larger :func:`motion_strength`."""
    return "side" if motion_strength(side) > motion_strength(frontal) else "frontal"


def _torso(seq: PoseSequence, xy: np.ndarray) -> float:
    names = seq.layout.joint_names
    need = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    if not all(n in names for n in need):
        return float("nan")
    ls, rs, lh, rh = (xy[:, seq.layout.index(n)] for n in need)
    d = np.linalg.norm((ls + rs) / 2 - (lh + rh) / 2, axis=1)
    return float(np.nanmedian(d)) if np.isfinite(d).any() else float("nan")
