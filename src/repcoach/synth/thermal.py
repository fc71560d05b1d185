"""Generated thermal video: the body from the same kinematics, seen by a FLIR One Pro.

The body is drawn as warm capsules along the bones of the 33 MediaPipe landmarks (head as an
ellipse, torso as a filled quad) with skin ~33-34 C, clothing a few degrees cooler and shoes
cooler still, on a room background (~22-25 C) with a gentle vertical gradient, a fixed smooth
pattern and per-pixel sensor noise. Skin warms slowly over the set. A static pinhole camera
(160x120, 8.7 FPS, ~50 deg horizontal field of view) faces the person from the front. Drawing is
done with OpenCV at ``supersample`` times the resolution and area-averaged down, so edge pixels
mix body and room temperatures as a real low-resolution sensor does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from repcoach.io.atomic import atomic_path
from repcoach.io.ejust import format_name
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.thermal.io import write_thermal_npz
from repcoach.types import ThermalClip

BG, CLOTH, SHOE, SKIN = 0, 1, 2, 3


class Kinematics(Protocol):
    """What the renderer needs from a generated recording."""

    duration_s: float

    def landmarks_world(self, times: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ThermalSynthOptions:
    """Camera and temperature settings of the generated thermal stream."""

    width: int = 160
    height: int = 120
    fps: float = 8.7
    hfov_deg: float = 50.0
    distance_m: float = 4.0
    yaw_deg: float = 0.0
    margin: float = 0.9
    room_c: float = 23.5
    gradient_c: float = 1.2
    pattern_c: float = 0.4
    noise_c: float = 0.12
    skin_c: float = 33.5
    clothing_factor: float = 0.55
    shoe_factor: float = 0.3
    warming_c: float = 1.0
    blur_sigma_px: float = 0.7
    supersample: int = 3


# (landmark a, landmark b, radius m, material); drawn in this order (later on top).
_I = MEDIAPIPE_33.index
_PARTS: tuple[tuple[int, int, float, int], ...] = (
    (_I("left_hip"), _I("left_knee"), 0.075, CLOTH),
    (_I("right_hip"), _I("right_knee"), 0.075, CLOTH),
    (_I("left_knee"), _I("left_ankle"), 0.055, CLOTH),
    (_I("right_knee"), _I("right_ankle"), 0.055, CLOTH),
    (_I("left_ankle"), _I("left_foot_index"), 0.045, SHOE),
    (_I("right_ankle"), _I("right_foot_index"), 0.045, SHOE),
    (_I("left_heel"), _I("left_foot_index"), 0.04, SHOE),
    (_I("right_heel"), _I("right_foot_index"), 0.04, SHOE),
    (_I("left_shoulder"), _I("left_elbow"), 0.047, CLOTH),
    (_I("right_shoulder"), _I("right_elbow"), 0.047, CLOTH),
    (_I("left_elbow"), _I("left_wrist"), 0.036, SKIN),
    (_I("right_elbow"), _I("right_wrist"), 0.036, SKIN),
    (_I("left_wrist"), _I("left_index"), 0.032, SKIN),
    (_I("right_wrist"), _I("right_index"), 0.032, SKIN),
)
_TORSO = (_I("left_shoulder"), _I("right_shoulder"), _I("right_hip"), _I("left_hip"))
_EARS = (_I("left_ear"), _I("right_ear"))
_NOSE = _I("nose")


def _camera(points: np.ndarray, opt: ThermalSynthOptions) -> tuple[np.ndarray, ...]:
    """A static look-at camera facing the person (from the mean shoulder line)."""
    up = np.array([0.0, 1.0, 0.0])
    lateral = np.nanmean(points[:, _I("left_shoulder")] - points[:, _I("right_shoulder")], 0)
    lateral[1] = 0.0
    if np.linalg.norm(lateral) < 1e-6:
        lateral = np.array([1.0, 0.0, 0.0])
    lateral /= np.linalg.norm(lateral)
    forward = np.cross(lateral, up)  # the direction the chest faces
    yaw = np.deg2rad(opt.yaw_deg)
    forward = np.cos(yaw) * forward + np.sin(yaw) * np.cross(up, forward)
    flat = points.reshape(-1, 3)
    flat = flat[np.isfinite(flat).all(1)]
    lo, hi = flat.min(0), flat.max(0)
    centre = 0.5 * (lo + hi)
    look = -forward  # camera looks back at the person
    right = np.cross(look, up)
    right /= np.linalg.norm(right)
    cam_up = np.cross(right, look)
    f = (opt.width / 2) / np.tan(np.deg2rad(opt.hfov_deg) / 2)
    rel = flat - centre
    ext_r = np.abs(rel @ right).max() + 0.15
    ext_u = np.abs(rel @ cam_up).max() + 0.15
    depth = np.abs(rel @ look).max()
    need = max(f * ext_r / (opt.width / 2 * opt.margin), f * ext_u / (opt.height / 2 * opt.margin))
    dist = max(opt.distance_m, need + depth)
    eye = centre - look * dist
    return eye, right, cam_up, look, np.float64(f)


def render_thermal(
    landmarks: np.ndarray,
    times: np.ndarray,
    rng: np.random.Generator,
    options: ThermalSynthOptions | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Render ``(N, 33, 3)`` world landmarks (metres, y up) to thermal frames.

    Returns ``frames`` ``(N, H, W)`` float32 degrees C and the ground-truth body ``masks``
    ``(N, H, W)`` bool (pixels at least half covered by the body).
    """

    opt = options or ThermalSynthOptions()
    lm = np.asarray(landmarks, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    n = len(lm)
    w, h, ss = opt.width, opt.height, max(1, opt.supersample)
    eye, right, cam_up, look, f = _camera(lm, opt)
    rel = lm - eye
    zc = rel @ look
    u = (w / 2 + f * (rel @ right) / zc) * ss
    v = (h / 2 - f * (rel @ cam_up) / zc) * ss
    px_per_m = f * ss / np.maximum(zc, 0.1)  # (N, 33)

    # background: gradient (warmer near the ceiling) + fixed smooth pattern
    rows = np.linspace(1.0, 0.0, h)[:, None]
    pattern = cv2.resize(rng.normal(0, 1, (6, 8)).astype(np.float32), (w, h),
                         interpolation=cv2.INTER_CUBIC)
    background = opt.room_c + opt.gradient_c * (rows - 0.5) + opt.pattern_c * pattern
    duration = max(float(times[-1] - times[0]), 1e-6) if n else 1.0

    frames = np.empty((n, h, w), np.float32)
    masks = np.empty((n, h, w), bool)
    shift = 4  # sub-pixel drawing precision for OpenCV
    scale = float(1 << shift)
    for i in range(n):
        label = np.zeros((h * ss, w * ss), np.uint8)
        pts = np.stack([u[i], v[i]], 1)
        ok = np.isfinite(pts).all(1)
        quad = [_TORSO[k] for k in range(4) if ok[_TORSO[k]]]
        if len(quad) == 4:
            poly = np.round(pts[list(quad)] * scale).astype(np.int32)
            cv2.fillConvexPoly(label, poly, CLOTH, cv2.LINE_8, shift)
            r = int(round(0.06 * px_per_m[i, quad].mean()))
            for a, b in zip(quad, quad[1:] + quad[:1], strict=True):
                _capsule(label, pts[a], pts[b], r, CLOTH, shift)
        for a, b, rad, mat in _PARTS:
            if ok[a] and ok[b]:
                r = int(round(rad * 0.5 * (px_per_m[i, a] + px_per_m[i, b])))
                _capsule(label, pts[a], pts[b], r, mat, shift)
        _head(label, pts, ok, px_per_m[i], shift)

        skin = opt.skin_c + opt.warming_c * (times[i] - times[0]) / duration
        temps = np.array([0.0, 0.0, 0.0, skin], np.float32)
        temps[CLOTH] = opt.room_c + opt.clothing_factor * (skin - opt.room_c)
        temps[SHOE] = opt.room_c + opt.shoe_factor * (skin - opt.room_c)
        cover = np.zeros((h, w), np.float32)
        heat = np.zeros((h, w), np.float32)
        for mat in (CLOTH, SHOE, SKIN):
            c = cv2.resize((label == mat).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
            cover += c
            heat += c * temps[mat]
        masks[i] = cover >= 0.5
        img = background * (1 - cover) + heat
        if opt.blur_sigma_px > 0:
            img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), opt.blur_sigma_px)
        img = img + rng.normal(0, opt.noise_c, (h, w)) + rng.normal(0, opt.noise_c / 2)
        frames[i] = img
    return frames, masks


def _capsule(img: np.ndarray, a: np.ndarray, b: np.ndarray, r: int, val: int, shift: int) -> None:

    s = float(1 << shift)
    pa = (int(round(a[0] * s)), int(round(a[1] * s)))
    pb = (int(round(b[0] * s)), int(round(b[1] * s)))
    cv2.line(img, pa, pb, val, max(1, 2 * r), cv2.LINE_8, shift)
    cv2.circle(img, pa, int(r * s), val, -1, cv2.LINE_8, shift)
    cv2.circle(img, pb, int(r * s), val, -1, cv2.LINE_8, shift)


def _head(img: np.ndarray, pts: np.ndarray, ok: np.ndarray, px_per_m: np.ndarray,
          shift: int) -> None:
    """Head as an ellipse around the ears/nose, elongated along the neck direction; plus neck."""

    if not (ok[_EARS[0]] and ok[_EARS[1]]):
        return
    ears = 0.5 * (pts[_EARS[0]] + pts[_EARS[1]])
    centre = ears if not ok[_NOSE] else 0.7 * ears + 0.3 * pts[_NOSE]
    ppm = float(px_per_m[list(_EARS)].mean())
    sh = [_I("left_shoulder"), _I("right_shoulder")]
    angle = 90.0
    if ok[sh].all():
        neck = 0.5 * (pts[sh[0]] + pts[sh[1]])
        _capsule(img, neck, centre, int(round(0.05 * ppm)), SKIN, shift)
        d = centre - neck
        angle = float(np.degrees(np.arctan2(d[1], d[0])))
    s = float(1 << shift)
    axes = (int(round(0.12 * ppm * s)), int(round(0.095 * ppm * s)))
    c = (int(round(centre[0] * s)), int(round(centre[1] * s)))
    cv2.ellipse(img, c, axes, angle, 0, 360, SKIN, -1, cv2.LINE_8, shift)


def thermal_times(duration_s: float, fps: float = 8.7) -> np.ndarray:
    """Frame timestamps of a thermal stream covering ``[0, duration_s)``."""
    return np.arange(0.0, max(duration_s, 1.0 / fps), 1.0 / fps)


def synth_thermal_clip(
    recording: Kinematics,
    rng: np.random.Generator,
    options: ThermalSynthOptions | None = None,
) -> tuple[ThermalClip, np.ndarray]:
    """Render a recording's thermal clip; returns the clip and its ground-truth masks."""
    opt = options or ThermalSynthOptions()
    t = thermal_times(float(recording.duration_s), opt.fps)
    frames, masks = render_thermal(recording.landmarks_world(t), t, rng, opt)
    return ThermalClip(frames, t, "celsius", "synthetic"), masks


def write_thermal(
    recording: Kinematics,
    participant: Any,
    code: str,
    rec_dir: str | Path,
    rng: np.random.Generator,
    options: ThermalSynthOptions | None = None,
    preview: bool = False,
) -> Path:
    """Write ``rec_dir/thermal/<name><CODE>-thermal.npz`` (frames in deg C, timestamps) and,
    with ``preview``, a false-colour ``.mp4`` next to it. Skin temperature and warming vary by
    participant (drawn from ``rng``)."""

    name = str(getattr(participant, "name", participant))
    base = options or ThermalSynthOptions()
    opt = ThermalSynthOptions(**{
        **base.__dict__,
        "skin_c": base.skin_c + float(rng.uniform(-0.5, 0.5)),
        "warming_c": float(rng.uniform(0.5, 1.5)) if options is None else base.warming_c,
        "room_c": base.room_c + float(rng.uniform(-1.0, 1.0)),
    })
    clip, _ = synth_thermal_clip(recording, rng, opt)
    out = Path(rec_dir) / "thermal" / format_name(name, code, "thermal", "npz")
    write_thermal_npz(out, clip, fps=opt.fps)
    if preview:
        write_preview(out.with_suffix(".mp4"), clip)
    return out


def write_preview(path: str | Path, clip: ThermalClip, lo: float = 20.0, hi: float = 36.0) -> Path:
    """False-colour (inferno) preview video of a thermal clip, atomically."""


    path = Path(path)
    fps = 1.0 / float(np.median(np.diff(clip.timestamps))) if clip.n_frames > 1 else 8.7
    h, w = clip.frames.shape[1:]
    with atomic_path(path) as tmp:
        vw = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w * 4, h * 4))
        for f in clip.frames:
            u8 = np.clip((f - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
            col = cv2.applyColorMap(u8, cv2.COLORMAP_INFERNO)
            vw.write(cv2.resize(col, (w * 4, h * 4), interpolation=cv2.INTER_NEAREST))
        vw.release()
    return path
