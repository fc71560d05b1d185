"""Gait Energy Images (GEIs) from thermal silhouettes, per clip and per repetition.

A GEI is the pixel-wise mean of the body's binary silhouettes over a run of frames, after each
silhouette is aligned the standard way (Han & Bhanu 2006): cropped to its bounding box, scaled to
a fixed height and centred horizontally on its centroid. Bright pixels are where the body always
was, grey pixels where it moved (limbs), so one image summarises the movement of a repetition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_path, atomic_write
from repcoach.thermal.silhouette import SilhouetteOptions, segment_clip
from repcoach.types import Repetition, ThermalClip


@dataclass(frozen=True)
class GeiOptions:
    """GEI canvas and alignment.

    ``mode="height"`` is the standard alignment (bounding-box height -> ``height`` pixels, width
    follows the aspect ratio, cropped to ``width`` around the centroid). ``mode="fit"`` scales so
    the whole box fits the canvas (use it for lying exercises seen from the side, whose
    silhouettes are wider than tall). The default canvas is square because arms spread wide in
    jumping jacks; 128x88 or 64x44 give the classic gait canvases.
    """

    height: int = 64
    width: int = 64
    mode: str = "height"
    min_pixels: int = 20
    silhouette: SilhouetteOptions = SilhouetteOptions()

    def __post_init__(self) -> None:
        if self.mode not in ("height", "fit"):
            raise ValueError(f"unknown GEI alignment mode {self.mode!r}; use 'height' or 'fit'")
        if self.height < 4 or self.width < 4:
            raise ValueError("GEI canvas must be at least 4x4 pixels")


@dataclass(frozen=True, eq=False)
class RepetitionGei:
    """The GEI of one repetition: which thermal frames went into it and the image.

    ``gei`` is ``(height, width)`` float32 in [0, 1], all NaN when no frame of the repetition had
    a silhouette (``n_silhouettes == 0``).
    """

    index: int
    start_s: float
    end_s: float
    frames: np.ndarray
    n_silhouettes: int
    gei: np.ndarray


def align_silhouette(
    mask: np.ndarray, height: int = 64, width: int = 64, mode: str = "height"
) -> np.ndarray | None:
    """Crop, scale and centre one silhouette on a ``(height, width)`` float canvas (None if
    the mask is empty)."""

    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = np.asarray(mask[y0:y1, x0:x1], dtype=np.float32)
    h, w = crop.shape
    scale = height / h if mode == "height" else min(height / h, width / w)
    new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    s = cv2.resize(crop, (new_w, new_h), interpolation=interp)
    col = s.sum(axis=0)
    cx = float((np.arange(new_w) * col).sum() / max(col.sum(), 1e-9)) + 0.5
    dx = int(round(width / 2 - cx))
    dy = (height - new_h) // 2
    canvas = np.zeros((height, width), np.float32)
    # paste s at (dy, dx), clipping to the canvas
    sx0, sy0 = max(0, -dx), max(0, -dy)
    cx0, cy0 = max(0, dx), max(0, dy)
    cw = min(new_w - sx0, width - cx0)
    ch = min(new_h - sy0, height - cy0)
    if cw > 0 and ch > 0:
        canvas[cy0 : cy0 + ch, cx0 : cx0 + cw] = s[sy0 : sy0 + ch, sx0 : sx0 + cw]
    return np.clip(canvas, 0.0, 1.0)


def _masks_of(source: ThermalClip | np.ndarray, opt: GeiOptions) -> np.ndarray:
    if isinstance(source, ThermalClip):
        return segment_clip(source, opt.silhouette)
    m = np.asarray(source)
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3:
        raise ValueError(f"silhouettes must be (frames, H, W), got shape {m.shape}")
    return m.astype(bool)


def _average(masks: np.ndarray, opt: GeiOptions) -> tuple[np.ndarray, int]:
    acc = np.zeros((opt.height, opt.width), np.float64)
    n = 0
    for m in masks:
        if m.sum() < opt.min_pixels:
            continue
        a = align_silhouette(m, opt.height, opt.width, opt.mode)
        if a is not None:
            acc += a
            n += 1
    if n == 0:
        return np.full((opt.height, opt.width), np.nan, np.float32), 0
    return (acc / n).astype(np.float32), n


def gei(source: ThermalClip | np.ndarray, options: GeiOptions | None = None) -> np.ndarray:
    """The GEI of a whole clip (or of a stack of silhouettes): ``(height, width)`` in [0, 1]."""
    opt = options or GeiOptions()
    img, n = _average(_masks_of(source, opt), opt)
    if n == 0:
        src = source.source if isinstance(source, ThermalClip) else None
        raise DataError("no body silhouette found in any thermal frame", src)
    return img


def repetition_frames(
    timestamps: np.ndarray, start_s: float, end_s: float
) -> np.ndarray:
    """Indices of frames whose timestamp lies in ``[start_s, end_s)``; the nearest frame to the
    middle when the repetition is shorter than one frame interval."""
    t = np.asarray(timestamps, dtype=np.float64)
    idx = np.flatnonzero((t >= start_s) & (t < end_s))
    if len(idx) == 0 and len(t):
        mid = 0.5 * (start_s + end_s)
        if t[0] - 1.0 <= mid <= t[-1] + 1.0:
            idx = np.array([int(np.argmin(np.abs(t - mid)))])
    return idx


def _rep_times(
    rep: Repetition | tuple[float, float], pose_fps: float
) -> tuple[float, float]:
    if isinstance(rep, Repetition):
        s, e = rep.start_s, rep.end_s
        if not (np.isfinite(s) and np.isfinite(e)):
            s, e = rep.start / pose_fps, rep.end / pose_fps
        return float(s), float(e)
    s, e = rep
    return float(s), float(e)


def gei_per_repetition(
    clip: ThermalClip,
    reps: Sequence[Repetition] | Sequence[tuple[float, float]],
    options: GeiOptions | None = None,
    time_offset_s: float = 0.0,
    pose_fps: float = 30.0,
    masks: np.ndarray | None = None,
) -> list[RepetitionGei]:
    """One GEI per repetition. Repetition times (``start_s``/``end_s``, or ``start``/``end``
    frames at ``pose_fps`` when the times are NaN, or ``(start_s, end_s)`` tuples) are moved
    onto the thermal clock by ``time_offset_s`` (thermal time = repetition time + offset) and
    every thermal frame with a timestamp in ``[start, end)`` goes into that repetition's GEI."""
    opt = options or GeiOptions()
    m = segment_clip(clip, opt.silhouette) if masks is None else np.asarray(masks, bool)
    if len(m) != clip.n_frames:
        raise ValueError(f"{len(m)} silhouettes for {clip.n_frames} thermal frames")
    out = []
    for k, rep in enumerate(reps):
        s, e = _rep_times(rep, pose_fps)
        idx = repetition_frames(clip.timestamps, s + time_offset_s, e + time_offset_s)
        img, n = _average(m[idx], opt)
        out.append(RepetitionGei(k, s, e, idx, n, img))
    return out


def gei_features(img: np.ndarray, size: tuple[int, int] = (16, 16)) -> np.ndarray:
    """A compact feature vector from a GEI: area-averaged down to ``size`` (rows, cols) and
    flattened (256 values in [0, 1] by default; NaN when the GEI is missing). Feed it to the
    correctness scorer next to the pose features, or stack many and fit a PCA."""

    g = np.asarray(img, dtype=np.float32)
    if np.isnan(g).all():
        return np.full(size[0] * size[1], np.nan, np.float32)
    small = cv2.resize(np.nan_to_num(g), (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return small.reshape(-1).astype(np.float32)


def gei_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Root-mean-square pixel difference between two GEIs of the same size."""
    a, b = np.nan_to_num(np.asarray(a, np.float64)), np.nan_to_num(np.asarray(b, np.float64))
    return float(np.sqrt(np.mean((a - b) ** 2)))


def save_gei_png(path: str | Path, img: np.ndarray) -> Path:
    """Save a GEI as an 8-bit grayscale PNG (0..255), atomically."""

    path = Path(path)
    u8 = np.round(np.clip(np.nan_to_num(np.asarray(img, np.float32)), 0, 1) * 255).astype(np.uint8)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), u8):
            raise OSError(f"could not write {path}")
    return path


def save_geis_npz(
    path: str | Path,
    geis: Sequence[RepetitionGei],
    clip_gei: np.ndarray | None = None,
) -> Path:
    """Save per-repetition GEIs (``geis`` (K, H, W), ``start_s``, ``end_s``, ``n_silhouettes``,
    optional ``clip_gei``) as one ``.npz``, atomically."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "geis": np.stack([g.gei for g in geis]) if geis else np.zeros((0, 0, 0), np.float32),
        "start_s": np.array([g.start_s for g in geis], np.float64),
        "end_s": np.array([g.end_s for g in geis], np.float64),
        "n_silhouettes": np.array([g.n_silhouettes for g in geis], np.int64),
    }
    if clip_gei is not None:
        arrays["clip_gei"] = np.asarray(clip_gei, np.float32)
    with atomic_write(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path
