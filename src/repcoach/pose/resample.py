"""Fixed-length model input: one repetition -> ``(length, joints * dims)``.

The classifier takes a fixed number of frames (the paper: 30 frames x 99 features). A repetition
is either time-resampled to that length (``"interpolate"``, the default: every repetition is seen
whole, whatever its tempo) or padded/truncated as the paper describes (``"pad"``, ``"truncate"``).
"""

from __future__ import annotations

import numpy as np

from repcoach.errors import DataError
from repcoach.logs import nan_warnings_silenced
from repcoach.pose.clean import clean
from repcoach.pose.normalize import hip_centres, normalize, torso_scale
from repcoach.types import PoseSequence, Repetition

__all__ = [
    "METHODS", "ROOT_MOTION_CHANNELS", "n_input_features", "presence_features",
    "repetition_inputs", "resample", "root_motion_features", "to_model_input",
]  # fmt: skip

#: ``interpolate``: linear resampling over time, first and last frames kept.
#: ``pad``: cut at the end when longer; zero-pad at the end when shorter (the paper's
#: "padded or truncated"; zeros are the hip centre in normalised space).
#: ``truncate``: cut at the end when longer; repeat the last frame when shorter (never zeros).
METHODS = ("interpolate", "pad", "truncate")


def resample(
    x: PoseSequence | np.ndarray,
    length: int = 30,
    method: str = "interpolate",
    timestamps: np.ndarray | None = None,
) -> np.ndarray:
    """Return a float32 ``(length, features)`` array from a sequence or a ``(frames, features)``
    / ``(frames, joints, dims)`` array (``timestamps`` in seconds for an array; frame indices
    when omitted). NaNs left after cleaning become 0 (the hip centre in normalised space) after
    resampling, so the model never sees NaN."""
    if method not in METHODS:
        raise ValueError(f"unknown resample method {method!r}; choose one of {METHODS}")
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    if isinstance(x, PoseSequence):
        feats = x.features().astype(np.float64)
        t = x.timestamps - x.timestamps[0] if x.n_frames else np.zeros(0)
        source = x.source
    else:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 3:
            arr = arr.reshape(arr.shape[0], -1)
        if arr.ndim != 2:
            raise ValueError(
                f"expected (frames, features) or (frames, joints, dims), got {arr.shape}"
            )
        t = (np.arange(arr.shape[0], dtype=np.float64) if timestamps is None
             else np.asarray(timestamps, np.float64) - float(np.asarray(timestamps)[0]))
        if t.shape != (arr.shape[0],):
            raise ValueError(f"timestamps must have shape ({arr.shape[0]},), got {t.shape}")
        feats, source = arr, None
    n, f = feats.shape
    if n == 0:
        raise DataError("cannot resample an empty sequence (0 frames)", source)

    if method == "interpolate":
        if n == 1:
            out = np.repeat(feats, length, axis=0)
        else:
            pos = np.linspace(t[0], t[-1], length)
            hi = np.clip(np.searchsorted(t, pos, side="right"), 1, n - 1)
            lo = hi - 1
            w = ((pos - t[lo]) / (t[hi] - t[lo]))[:, None]
            # A NaN neighbour makes the sample NaN (then 0), except at exact hits.
            with np.errstate(invalid="ignore"):
                out = np.where(
                    w <= 0,
                    feats[lo],
                    np.where(w >= 1, feats[hi], (1 - w) * feats[lo] + w * feats[hi]),
                )
    else:
        out = feats[:length]
        if n < length:
            fill = (
                np.zeros((length - n, f))
                if method == "pad"
                else np.repeat(feats[-1:], length - n, axis=0)
            )
            out = np.concatenate([out, fill])
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def presence_features(seq: PoseSequence) -> np.ndarray:
    """``(frames, joints * dims + joints)``: the flattened coordinates followed by one presence
    value per joint (1 where the landmark survived cleaning, 0 where it is missing). Without it a
    missing landmark is indistinguishable from one at the hip centre (its 0 placeholder)."""
    present = np.isfinite(seq.coords).all(axis=2).astype(np.float32)
    return np.concatenate([seq.features(), present], axis=1)


#: Channels :func:`root_motion_features` adds (x, y of the body centre).
ROOT_MOTION_CHANNELS = 2


def root_motion_features(seq: PoseSequence) -> np.ndarray:
    """``(frames, 2)``: where the body centre (:func:`~repcoach.pose.normalize.hip_centres`) is
    in each frame relative to its mean position over the sequence, in torso lengths (x, y).

    Hip-centring (paper V.B) removes the body's global motion, yet which end of the body stays
    put tells exercises apart: in a pull-up the hands stay on the bar and the centre rises, in a
    squat the feet stay and the centre drops, in a jumping jack the centre bobs. Subtracting the
    mean keeps the channels independent of where the person stands in the frame; frames without
    any landmark get 0."""

    c = seq.coords.astype(np.float64)
    centre = hip_centres(seq, c)[:, :ROOT_MOTION_CHANNELS]
    dims = 2 if seq.space == "image" else c.shape[2]
    scale = torso_scale(seq, c, dims=dims)
    if not np.isfinite(scale) or scale <= 1e-9:
        scale = 1.0
    with nan_warnings_silenced():
        mean = np.nanmean(centre, axis=0)
    out = (centre - mean) / scale
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def n_input_features(
    layout_features: int, n_joints: int, presence: bool = False, root_motion: bool = False
) -> int:
    """Model input width: ``joints * dims``, plus one presence channel per joint and the
    root-motion channels when asked (in that order)."""
    return (layout_features + (n_joints if presence else 0)
            + (ROOT_MOTION_CHANNELS if root_motion else 0))  # fmt: skip


def to_model_input(
    seq: PoseSequence,
    length: int = 30,
    method: str = "interpolate",
    presence: bool = False,
    root_motion: bool = False,
    **clean_options: float,
) -> np.ndarray:
    """The canonical chain for one repetition: clean -> normalize -> resample (``presence``:
    append the per-joint presence channels of :func:`presence_features`; ``root_motion``: then
    the body-centre channels of :func:`root_motion_features`)."""

    cleaned = clean(seq, **clean_options)
    norm = normalize(cleaned)
    if not presence and not root_motion:
        return resample(norm, length, method)
    if norm.n_frames == 0:
        raise DataError("cannot resample an empty sequence (0 frames)", seq.source)
    parts = [presence_features(norm) if presence else norm.features()]
    if root_motion:
        parts.append(root_motion_features(cleaned))
    return resample(np.concatenate(parts, axis=1), length, method, timestamps=norm.timestamps)


def repetition_inputs(
    seq: PoseSequence,
    repetitions: list[Repetition] | list[tuple[int, int]],
    length: int = 30,
    method: str = "interpolate",
    presence: bool = False,
    root_motion: bool = False,
    **clean_options: float,
) -> np.ndarray:
    """``(reps, length, features)`` model inputs for the repetitions of one recording: each
    repetition is cut from the raw recording and run through :func:`to_model_input`, so training
    and inference see the same chain."""
    out = []
    for r in repetitions:
        start, end = (r.start, r.end) if isinstance(r, Repetition) else r
        out.append(
            to_model_input(seq.slice(start, end), length, method, presence, root_motion,
                           **clean_options)  # fmt: skip
        )
    if not out:
        width = n_input_features(seq.layout.n_features, seq.layout.n_joints, presence,
                                 root_motion)  # fmt: skip
        return np.zeros((0, length, width), np.float32)
    return np.stack(out)
