"""Training-time augmentation of model inputs (paper V.F), applied on the fly per batch.

Inputs are ``(n, T, joints * dims)`` arrays in normalised space (hip-centred, so x = 0 is the
body's midline). Transforms:

- random frame dropping: each frame is dropped with probability ``frame_drop`` and the rest are
  re-interpolated back to ``T`` frames (simulates frame loss on phone video);
- local shuffling: frames move at most ``local_shuffle`` places (temporal jitter);
- Gaussian noise with standard deviation ``noise_std`` (tracker noise);
- horizontal flip: x is negated AND left/right joints are swapped with the layout's
  :meth:`~repcoach.skeleton.Skeleton.mirror_permutation`, only for classes in ``flip_labels``;
- part occlusion (off by default, not in the paper; needs the presence channels): one body part
  (:data:`OCCLUSION_PARTS`: hips, legs or arms) is hidden for the whole sample, exactly as the
  pipeline would have built it had the tracker never seen that part (:func:`occlude_part`).
  Real clips lose whole parts (Penn Action: 7 of 462 clips never show the hips, 32 never a
  shoulder), and a model that never trained on such inputs guesses on them.

Person and camera transforms (off by default, not in the paper; aimed at what differs between
people and sessions), each per sample with probability ``prob``, on the joint coordinates only:

- camera roll: the skeleton rotated in the image plane by up to ``roll_deg`` degrees (a tilted
  phone);
- stretch: x and y scaled independently by factors in ``1 +- stretch`` (camera yaw and pitch
  foreshorten one axis; body build);
- time warp: the clip's time axis bent monotonically (``t -> T (t / T) ** g``, ``ln g`` uniform
  in ``+- time_warp``): a repetition that speeds up or slows down.

Why those flip classes: a mirrored jumping jack, sit-up or high-knees repetition is the same
exercise, and the steam engine alternates sides (elbow to the opposite knee), so its mirror image
is a steam-engine repetition too: all four EJUST exercises are left/right symmetric. All six
Penn Action exercises (jumping jacks, sit-ups, push-ups, squats, pull-ups, jump rope) are too.
Augmentation never touches validation or test data.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from repcoach.pose.resample import ROOT_MOTION_CHANNELS as R
from repcoach.skeleton import MEDIAPIPE_33, Skeleton

#: Classes whose mirror image is the same exercise (EJUST-GYM-3 and Penn Action).
SYMMETRIC_EXERCISES = frozenset(
    {
        "jumping_jacks", "sit_ups", "high_knees", "steam_engine",
        "situp", "pushup", "squat", "pullup", "jump_rope",
    }
)  # fmt: skip


def flip_horizontal(x: np.ndarray, layout: Skeleton) -> np.ndarray:
    """Mirror ``(..., T, joints*dims)`` inputs: negate x and swap left/right joints. Appended
    per-joint presence channels (``+ joints``) are swapped too and appended root-motion channels
    (``+ 2``: body-centre x, y; :func:`repcoach.pose.resample.root_motion_features`) get their x
    negated; the input width says which are there."""

    x = np.asarray(x, dtype=np.float32)
    shape = x.shape
    j, d = layout.n_joints, layout.dims
    extras = {0: (False, False), j: (True, False), R: (False, True), j + R: (True, True)}
    if shape[-1] - j * d not in extras:
        raise ValueError(
            f"inputs have {shape[-1]} features, layout {layout.name!r} has {j * d} "
            f"(+ {j} presence and/or + {R} root-motion channels)"
        )
    presence, root = extras[shape[-1] - j * d]
    perm = layout.mirror_permutation()
    y = x[..., : j * d].reshape(*shape[:-1], j, d)[..., perm, :].copy()
    y[..., 0] = -y[..., 0]
    parts = [y.reshape(*shape[:-1], j * d)]
    if presence:
        parts.append(x[..., j * d : j * d + j][..., perm])
    if root:
        r = x[..., shape[-1] - R :].copy()
        r[..., 0] = -r[..., 0]
        parts.append(r)
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


#: Body parts :func:`occlude_part` can hide, by joint name (each layout hides those it has).
OCCLUSION_PARTS: dict[str, tuple[str, ...]] = {
    "hips": ("left_hip", "right_hip"),
    "legs": ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
             "left_foot_index", "right_foot_index"),
    "arms": ("left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
             "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb"),
}  # fmt: skip


def occlude_part(x: np.ndarray, layout: Skeleton, part: str) -> np.ndarray:
    """One ``(T, F)`` sample (with per-joint presence channels) as the pipeline would have built
    it had ``part``'s joints never been seen: their coordinates and presence 0. Hiding the hips
    also does what :func:`repcoach.pose.normalize.normalize` does for a recording without hips:
    the origin moves to the shoulder midpoint (else the visible joints' centroid) and the unit to
    a third of the body's median extent; root-motion channels, if any, follow the new centre.
    Unchanged when the part is already unseen or nothing else would remain."""

    if part not in OCCLUSION_PARTS:
        raise ValueError(f"part must be one of {sorted(OCCLUSION_PARTS)}, got {part!r}")
    x = np.asarray(x, dtype=np.float32)
    j, d = layout.n_joints, layout.dims
    extra = x.shape[-1] - j * d
    if x.ndim != 2 or extra not in (j, j + R):
        raise ValueError(f"occlusion needs one (T, {j * d} + {j} presence [+ {R} root-motion]) "
                         f"sample of layout {layout.name!r}, got shape {x.shape}")  # fmt: skip
    names = list(layout.joint_names)
    hide = [names.index(n) for n in OCCLUSION_PARTS[part] if n in names]
    presence = x[:, j * d : j * d + j]
    # resampling gives fractional presence (and a 0 coordinate) next to unseen frames
    seen = presence >= 1.0 - 1e-6
    if not hide or not (presence[:, hide] > 0).any():
        return x
    seen[:, hide] = False
    if not seen.any():
        return x
    c = x[:, : j * d].reshape(len(x), j, d).astype(np.float64)
    out = x.copy()
    if part == "hips":
        vis = np.where(seen[..., None], c, np.nan)
        ls, rs = names.index("left_shoulder"), names.index("right_shoulder")
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = np.nanmean(vis[:, [ls, rs]], axis=1)
            centroid = np.nanmean(vis, axis=1)
            centre = np.where(np.isfinite(centre), centre, centroid)
            extent = np.nanmax(vis[..., :2], axis=1) - np.nanmin(vis[..., :2], axis=1)
            size = float(np.nanmedian(np.linalg.norm(extent, axis=1)))
        centre = np.nan_to_num(centre)
        unit = size / 3.0 if np.isfinite(size) and size > 1e-9 else 1.0
        c = (c - centre[:, None, :]) / unit
        if extra == j + R:
            r = x[:, -R:].astype(np.float64) + centre[:, :R] - centre[:, :R].mean(axis=0)
            out[:, -R:] = r / unit
    c[~seen] = 0.0
    out[:, : j * d] = c.reshape(len(x), j * d)
    out[:, [j * d + k for k in hide]] = 0.0
    return out


def drop_frames(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Drop each frame of one ``(T, F)`` sample with probability ``rate`` (keeping at least
    half, and the first and last) and linearly re-interpolate the kept frames to ``T``."""
    t = x.shape[0]
    keep = rng.random(t) >= rate
    keep[0] = keep[-1] = True
    if keep.sum() < max(2, t // 2) or keep.all():
        return x
    kept = x[keep]
    # The kept frames are stretched back over T slots (linear interpolation between neighbours).
    pos = np.linspace(0.0, len(kept) - 1.0, t)
    lo = np.clip(np.floor(pos).astype(int), 0, len(kept) - 2)
    w = (pos - lo)[:, None]
    return ((1 - w) * kept[lo] + w * kept[lo + 1]).astype(np.float32)


def local_shuffle(x: np.ndarray, window: int, rng: np.random.Generator) -> np.ndarray:
    """Reorder frames of one ``(T, F)`` sample so each moves at most ``window`` places."""
    if window < 1:
        return x
    t = x.shape[0]
    order = np.argsort(np.arange(t) + rng.uniform(0, window + 1, t), kind="stable")
    return x[order]


def roll(x: np.ndarray, layout: Skeleton, deg: float) -> np.ndarray:
    """``x`` ``(T, F)`` with each joint's (x, y) rotated by ``deg`` degrees about the origin
    (the hip centre); presence and root-motion channels untouched."""
    out = x.copy()
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    xy = out[:, : layout.n_joints * layout.dims].reshape(len(x), layout.n_joints, layout.dims)
    px, py = xy[..., 0].copy(), xy[..., 1].copy()
    xy[..., 0], xy[..., 1] = c * px - s * py, s * px + c * py
    return out


def stretch(x: np.ndarray, layout: Skeleton, sx: float, sy: float) -> np.ndarray:
    """``x`` ``(T, F)`` with the joints' x scaled by ``sx`` and y by ``sy``."""
    out = x.copy()
    xy = out[:, : layout.n_joints * layout.dims].reshape(len(x), layout.n_joints, layout.dims)
    xy[..., 0] *= sx
    xy[..., 1] *= sy
    return out


def time_warp(x: np.ndarray, gamma: float) -> np.ndarray:
    """``x`` ``(T, F)`` resampled (nearest frame) at ``(T - 1) (t / (T - 1)) ** gamma``: a
    monotone bend of time that keeps the first and last frame."""
    n = len(x)
    if n < 3:
        return x.copy()
    t = np.arange(n) / (n - 1)
    idx = np.clip(np.rint((n - 1) * t**gamma).astype(int), 0, n - 1)
    return x[idx].copy()


@dataclass
class Augmenter:
    """Random augmentation of a batch; each of drop / shuffle / flip fires per sample with
    probability ``prob`` (flip with ``flip_prob``, part occlusion with ``occlusion``), noise is
    always added."""

    frame_drop: float = 0.1
    local_shuffle: int = 2
    noise_std: float = 0.01
    flip_prob: float = 0.5
    flip_labels: frozenset[str] = field(default_factory=lambda: SYMMETRIC_EXERCISES)
    layout: Skeleton = MEDIAPIPE_33
    prob: float = 0.5
    occlusion: float = 0.0  # probability of hiding one random part (OCCLUSION_PARTS) per sample
    roll_deg: float = 0.0  # camera roll: up to this many degrees in the image plane
    stretch: float = 0.0  # x and y scaled by factors in 1 +- stretch
    time_warp: float = 0.0  # ln of the time-bend exponent uniform in +- time_warp

    def __call__(
        self, x: np.ndarray, labels: Iterable[str] | None, rng: np.random.Generator
    ) -> np.ndarray:
        """Augmented copy of ``x`` ``(n, T, F)``; ``labels`` (class names) gate the flip."""
        x = np.array(x, dtype=np.float32, copy=True)
        n = len(x)
        labels = [None] * n if labels is None else list(labels)
        for i in range(n):
            if self.frame_drop > 0 and rng.random() < self.prob:
                x[i] = drop_frames(x[i], self.frame_drop, rng)
            if self.local_shuffle > 0 and rng.random() < self.prob:
                x[i] = local_shuffle(x[i], self.local_shuffle, rng)
            if self.roll_deg > 0 and rng.random() < self.prob:
                x[i] = roll(x[i], self.layout, rng.uniform(-self.roll_deg, self.roll_deg))
            if self.stretch > 0 and rng.random() < self.prob:
                sx, sy = 1.0 + rng.uniform(-self.stretch, self.stretch, 2)
                x[i] = stretch(x[i], self.layout, sx, sy)
            if self.time_warp > 0 and rng.random() < self.prob:
                x[i] = time_warp(x[i], float(np.exp(rng.uniform(-self.time_warp,
                                                                self.time_warp))))
            if self.occlusion > 0 and rng.random() < self.occlusion:
                x[i] = occlude_part(x[i], self.layout, str(rng.choice(list(OCCLUSION_PARTS))))
        if self.flip_prob > 0:
            flip = np.array(
                [lab in self.flip_labels and rng.random() < self.flip_prob for lab in labels],
                dtype=bool,
            )
            if flip.any():
                x[flip] = flip_horizontal(x[flip], self.layout)
        if self.noise_std > 0:  # on coordinates only, never on presence or root-motion channels
            w = min(x.shape[-1], self.layout.n_joints * self.layout.dims)
            x[..., :w] += rng.normal(0.0, self.noise_std, (*x.shape[:-1], w)).astype(np.float32)
        return x

    def to_dict(self) -> dict:
        return {
            "frame_drop": self.frame_drop,
            "local_shuffle": self.local_shuffle,
            "noise_std": self.noise_std,
            "flip_prob": self.flip_prob,
            "flip_labels": sorted(self.flip_labels),
            "layout": self.layout.name,
            "prob": self.prob,
            "occlusion": self.occlusion,
            "roll_deg": self.roll_deg,
            "stretch": self.stretch,
            "time_warp": self.time_warp,
        }
