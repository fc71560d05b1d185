"""Cameras and a pose-tracker model: world landmarks -> MediaPipe-style pose sequences.

Two phone cameras (1280x720, 30 FPS, ~65 degree horizontal field of view) on tripods: one in
front of the subject, one at the subject's left side (paper IV.B), each 3.6-4.6 m away,
0.8-1.3 m high, aimed at the middle of the space the body moves through.

The tracker output follows MediaPipe Pose: ``x``, ``y`` normalised to [0, 1] of image width /
height (y down); ``z`` relative depth with the hip midpoint as origin, in the same scale as
``x`` (``(depth - hip_depth) * fx / hip_depth / width``, smaller = closer); ``visibility`` near 1
for landmarks in view, lower for landmarks hidden behind the body (e.g. the far-side limbs in
the side view) or outside the image. Tracker imperfections: per-landmark jitter (temporally
correlated, larger on hands, feet and z, larger when occluded), occasional short runs of
low-visibility landmarks, and occasional dropped frames (no detection: ``detected`` False,
coordinates NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence

_I = MEDIAPIPE_33.index
_EXTREMITIES = [
    _I(n)
    for n in MEDIAPIPE_33.joint_names
    if any(k in n for k in ("wrist", "pinky", "index", "thumb", "ankle", "heel", "foot"))
]
_FACE = list(range(11))
_TORSO = [_I(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
_HIPS = [_I("left_hip"), _I("right_hip")]


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: ``rotation`` rows are the camera's right, down and forward axes in
    world coordinates; intrinsics in pixels."""

    name: str
    position: np.ndarray
    rotation: np.ndarray
    fx: float
    fy: float
    width: int = 1280
    height: int = 720

    @classmethod
    def look_at(
        cls,
        name: str,
        position: np.ndarray,
        target: np.ndarray,
        fx: float,
        width: int = 1280,
        height: int = 720,
        roll_deg: float = 0.0,
    ) -> Camera:
        """A level camera at ``position`` looking at ``target`` (optionally rolled)."""
        pos = np.asarray(position, dtype=np.float64)
        f = np.asarray(target, dtype=np.float64) - pos
        f /= np.linalg.norm(f)
        r = np.cross(f, [0.0, 1.0, 0.0])
        r /= np.linalg.norm(r)
        d = np.cross(f, r)
        a = np.radians(roll_deg)
        r, d = np.cos(a) * r + np.sin(a) * d, -np.sin(a) * r + np.cos(a) * d
        return cls(name, pos, np.stack([r, d, f]), float(fx), float(fx), width, height)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points ``(..., 3)`` -> camera coordinates (right, down, depth)."""
        return (np.asarray(points) - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised image coordinates ``(..., 2)`` (x right, y down, in [0, 1] inside the
        image) and depth ``(...)`` in metres."""
        c = self.to_camera(points)
        depth = c[..., 2]
        u = self.width / 2 + self.fx * c[..., 0] / depth
        v = self.height / 2 + self.fy * c[..., 1] / depth
        return np.stack([u / self.width, v / self.height], -1), depth


def place_cameras(
    world: np.ndarray, rng: np.random.Generator, supine: bool = False
) -> dict[str, Camera]:
    """Frontal and side (subject's left) cameras aimed at the middle of the motion in ``world``
    (``(N, 33, 3)`` landmarks, a coarse sample of the recording is enough)."""
    lo = np.nanmin(world.reshape(-1, 3), axis=0)
    hi = np.nanmax(world.reshape(-1, 3), axis=0)
    centre = (lo + hi) / 2
    fx = 1000.0 * float(rng.uniform(0.97, 1.03))
    cams = {}
    for view, axis in (("frontal", np.array([0.0, 0.0, 1.0])), ("side", np.array([1.0, 0.0, 0.0]))):
        dist = float(rng.uniform(3.6, 4.6))
        height = float(rng.uniform(0.8, 1.3))
        lateral = np.cross([0.0, 1.0, 0.0], axis) * float(rng.uniform(-0.25, 0.25))
        pos = centre * np.array([1.0, 0.0, 1.0]) + axis * dist + lateral
        pos[1] = height
        target = centre + rng.normal(0.0, 0.05, 3)
        cams[view] = Camera.look_at(view, pos, target, fx, roll_deg=float(rng.normal(0, 1.0)))
    return cams


@dataclass(frozen=True)
class TrackerNoise:
    """How imperfect the simulated pose tracker is (pixel jitter, dropouts, low visibility)."""

    jitter_px: float = 1.6  # white jitter per landmark and frame
    drift_px: float = 2.0  # temporally correlated wobble
    drift_rho: float = 0.85  # AR(1) coefficient of the wobble per frame
    extremity_factor: float = 1.8
    face_factor: float = 0.8
    z_factor: float = 3.0
    occluded_factor: float = 2.5
    drop_rate_per_s: float = 0.06  # dropped-frame events per second
    drop_frames: tuple[int, int] = (1, 4)
    lowvis_rate_per_s: float = 0.1  # low-visibility events per second
    lowvis_frames: tuple[int, int] = (3, 15)


def observe(
    camera: Camera,
    world: np.ndarray,
    times: np.ndarray,
    rng: np.random.Generator,
    noise: TrackerNoise | None = None,
) -> PoseSequence:
    """What a MediaPipe-like tracker reports for ``world`` landmarks ``(N, 33, 3)`` seen by
    ``camera`` at ``times``: an image-space :class:`PoseSequence`."""
    nz = noise or TrackerNoise()
    n, j, _ = world.shape
    xy, depth = camera.project(world)
    hip_depth = depth[:, _HIPS].mean(axis=1, keepdims=True)
    hip_xy = xy[:, _HIPS].mean(axis=1, keepdims=True)
    z = (depth - hip_depth) * camera.fx / hip_depth / camera.width

    # Self-occlusion: behind the torso (deeper than its middle) and within the body's outline.
    torso_depth = depth[:, _TORSO].mean(axis=1, keepdims=True)
    behind = np.clip((depth - torso_depth - 0.03) / 0.12, 0.0, 1.0)
    body_w = np.ptp(xy[:, :, 0], axis=1, keepdims=True) + 1e-6
    near = np.clip(1.5 - np.abs(xy[:, :, 0] - hip_xy[:, :, 0]) / (0.5 * body_w), 0.0, 1.0)
    occ = behind * np.maximum(near, 0.5)
    outside = np.clip(
        np.maximum(np.abs(xy[..., 0] - 0.5), np.abs(xy[..., 1] - 0.5)) - 0.5, 0.0, None
    )
    vis = 0.995 - 0.55 * occ - 8.0 * outside + rng.normal(0.0, 0.004, (n, j))
    vis -= 0.02 * np.isin(np.arange(j), _EXTREMITIES)

    # Jitter in pixels: white + AR(1) wobble, scaled per landmark group and by occlusion.
    scale = np.ones(j)
    scale[_EXTREMITIES] = nz.extremity_factor
    scale[_FACE] = nz.face_factor
    scale = scale[None, :] * (1.0 + (nz.occluded_factor - 1.0) * occ)
    white = rng.normal(0.0, nz.jitter_px, (n, j, 3))
    rho = nz.drift_rho
    wob = lfilter(
        [np.sqrt(1 - rho**2)], [1.0, -rho], rng.normal(0.0, nz.drift_px, (n, j, 3)), axis=0
    )
    px = (white + wob) * scale[..., None]
    coords = np.empty((n, j, 3))
    coords[..., 0] = xy[..., 0] + px[..., 0] / camera.width
    coords[..., 1] = xy[..., 1] + px[..., 1] / camera.height
    coords[..., 2] = z + nz.z_factor * px[..., 2] / camera.width

    # Occasional low-visibility runs on one landmark (motion blur, hand over the face...).
    for _ in range(rng.poisson(nz.lowvis_rate_per_s * n / 30.0)):
        k = int(rng.choice(_EXTREMITIES)) if rng.random() < 0.7 else int(rng.integers(j))
        s = int(rng.integers(n))
        e = min(n, s + int(rng.integers(nz.lowvis_frames[0], nz.lowvis_frames[1] + 1)))
        vis[s:e, k] = rng.uniform(0.05, 0.4, e - s)
        coords[s:e, k, :2] += rng.normal(0.0, 6.0 / camera.width, (e - s, 2))

    # Dropped frames: no detection at all.
    detected = np.ones(n, bool)
    for _ in range(rng.poisson(nz.drop_rate_per_s * n / 30.0)):
        s = int(rng.integers(n))
        detected[s : s + int(rng.integers(nz.drop_frames[0], nz.drop_frames[1] + 1))] = False
    coords[~detected] = np.nan
    vis = np.clip(vis, 0.0, 1.0)
    vis[~detected] = 0.0
    return PoseSequence(
        coords=coords.astype(np.float32),
        timestamps=np.asarray(times, dtype=np.float64),
        layout=MEDIAPIPE_33,
        visibility=vis.astype(np.float32),
        detected=detected,
        space="image",
        source=f"synthetic-{camera.name}",
    )
