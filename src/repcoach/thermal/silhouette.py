"""Body silhouettes from thermal frames: the body is warmer than the room.

Per frame: light smoothing, a threshold (Otsu on the frame's own histogram by default, a fixed
temperature, or a background model), morphological opening/closing, then the largest connected
component (plus any component at least ``keep_fraction`` of its size, e.g. a forearm split off by
a cooler sleeve) with holes filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from repcoach.types import ThermalClip


@dataclass(frozen=True)
class SilhouetteOptions:
    """How to segment the warm body.

    ``method``: ``"otsu"`` (per-frame Otsu threshold; robust to slow warming and drift),
    ``"fixed"`` (pixels warmer than ``threshold``, in the clip's unit) or ``"background"``
    (pixels at least ``background_delta`` warmer than the per-pixel median over the clip; needs
    the person to move).
    """

    method: str = "otsu"
    threshold: float = 28.0
    background_delta: float = 2.0
    blur: int = 3
    open_px: int = 3
    close_px: int = 5
    keep_fraction: float = 0.15
    min_area_fraction: float = 0.002
    fill_holes: bool = True

    def __post_init__(self) -> None:
        if self.method not in ("otsu", "fixed", "background"):
            raise ValueError(f"unknown silhouette method {self.method!r}")


def _to_uint8(frame: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Stretch a frame's 0.5-99.5 percentile range to 0..255 (returns lo, hi for inversion)."""
    f = np.asarray(frame, dtype=np.float32)
    lo, hi = np.percentile(f, [0.5, 99.5])
    if hi - lo < 1e-6:
        hi = lo + 1.0
    u = np.clip((f - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    return u, float(lo), float(hi)


def _cleanup(mask: np.ndarray, opt: SilhouetteOptions) -> np.ndarray:

    m = mask.astype(np.uint8)
    if opt.open_px > 1:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (opt.open_px, opt.open_px))
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, k)
    if opt.close_px > 1:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (opt.close_px, opt.close_px))
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    biggest = areas.max()
    if biggest < opt.min_area_fraction * mask.size:
        return np.zeros(mask.shape, bool)
    keep = np.flatnonzero(areas >= max(opt.keep_fraction * biggest, 1)) + 1
    out = np.isin(labels, keep)
    if opt.fill_holes:
        out = _fill_holes(out)
    return out


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill background regions not connected to the image border."""

    inv = (~mask).astype(np.uint8)
    n, labels = cv2.connectedComponents(inv, connectivity=4)
    border = np.unique(
        np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    )
    holes = (labels > 0) & ~np.isin(labels, border)
    return mask | holes


def segment_frame(
    frame: np.ndarray,
    options: SilhouetteOptions | None = None,
    background: np.ndarray | None = None,
) -> np.ndarray:
    """Binary silhouette ``(H, W)`` bool of the warm body in one thermal frame."""

    opt = options or SilhouetteOptions()
    f = np.asarray(frame, dtype=np.float32)
    if opt.blur > 1:
        k = opt.blur | 1
        f = cv2.GaussianBlur(f, (k, k), 0)
    if opt.method == "fixed":
        raw = f > opt.threshold
    elif opt.method == "background":
        if background is None:
            raise ValueError("method 'background' needs a background frame")
        raw = (f - background) > opt.background_delta
    else:
        u, _, _ = _to_uint8(f)
        _, th = cv2.threshold(u, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        raw = th > 0
    return _cleanup(raw, opt)


def segment_clip(clip: ThermalClip, options: SilhouetteOptions | None = None) -> np.ndarray:
    """Silhouettes for every frame: ``(T, H, W)`` bool."""
    opt = options or SilhouetteOptions()
    background = None
    if opt.method == "background":
        background = np.median(np.asarray(clip.frames, dtype=np.float32), axis=0)
    return np.stack([segment_frame(f, opt, background) for f in clip.frames])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)
