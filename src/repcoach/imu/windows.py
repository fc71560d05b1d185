"""Fixed-length sliding windows over an aligned IMU recording (paper V.D).

At 50 Hz a window of 100 samples is 2 s; with 50 % overlap consecutive windows start 50 samples
apart. The default channels are the four accelerometers (lwrist, rwrist, lankle, rankle x
x/y/z = 12 channels), giving the paper's ``(n, 100, 12)`` tensors.
"""

from __future__ import annotations

import numpy as np

from repcoach.io.ejust import IMU_SITES
from repcoach.types import ImuRecording

AXES = ("x", "y", "z")
#: The paper's 12 window channels: the four accelerometers in site order.
DEFAULT_CHANNELS: tuple[str, ...] = tuple(f"{s}.acc_{a}" for s in IMU_SITES for a in AXES)
#: Named channel sets accepted by :func:`resolve_channels`.
CHANNEL_SETS = {
    "acc": ("acc",),
    "gyro": ("gyro",),
    "acc+gyro": ("acc", "gyro"),
    "all": ("acc", "gyro", "mag"),
}


def _signal(channel: str) -> str:
    return channel.split(".", 1)[-1].split("_", 1)[0]


def resolve_channels(
    channels: str | list[str] | tuple[str, ...] | None, available: tuple[str, ...]
) -> tuple[str, ...]:
    """Channel names to use: an explicit list, or a set name (``acc``, ``gyro``, ``acc+gyro``,
    ``all``) meaning those signals of every site present, in the recording's order. ``None``
    means the paper's 12 accelerometer channels when all four sites are present, else ``acc``.
    """
    if channels is None:
        if all(c in available for c in DEFAULT_CHANNELS):
            return DEFAULT_CHANNELS
        channels = "acc"
    if isinstance(channels, str):
        if channels not in CHANNEL_SETS:
            raise ValueError(f"unknown channel set {channels!r}; known: {list(CHANNEL_SETS)}")
        sigs = CHANNEL_SETS[channels]
        # order: by site (as in the recording), then by signal order of the set
        sites: list[str] = []
        for c in available:
            s = c.split(".", 1)[0] if "." in c else ""
            if s not in sites:
                sites.append(s)
        out = [
            c
            for s in sites
            for sig in sigs
            for c in available
            if (c.split(".", 1)[0] if "." in c else "") == s and _signal(c) == sig
        ]
        if not out:
            raise ValueError(f"no {channels!r} channels among {list(available)}")
        return tuple(out)
    missing = [c for c in channels if c not in available]
    if missing:
        raise KeyError(f"no IMU channel(s) {missing}; have {list(available)}")
    return tuple(channels)


def window_starts(n_samples: int, length: int = 100, overlap: float = 0.5) -> np.ndarray:
    """Start indices of full windows: ``0, step, 2*step, ...`` with ``step = length*(1-overlap)``
    (rounded, at least 1)."""
    if length < 1:
        raise ValueError("length must be >= 1")
    if not 0.0 <= overlap < 1.0:
        raise ValueError("overlap must be in [0, 1)")
    step = max(1, int(round(length * (1.0 - overlap))))
    if n_samples < length:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_samples - length + 1, step, dtype=np.int64)


def sliding_windows(
    rec: ImuRecording,
    length: int = 100,
    overlap: float = 0.5,
    channels: str | list[str] | tuple[str, ...] | None = None,
    drop_nan: bool = True,
    pad_short: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``(windows (n, length, C) float32, starts (n,))`` over ``rec`` (already on one clock).

    Windows touching a missing (NaN) sample are dropped when ``drop_nan``; a recording shorter
    than one window gives one edge-padded window when ``pad_short`` (so every recording can be
    classified)."""
    names = resolve_channels(channels, rec.channels)
    x = rec.select(names).data if names != rec.channels else rec.data
    starts = window_starts(len(x), length, overlap)
    if len(starts) == 0:
        if not pad_short or len(x) == 0:
            return np.zeros((0, length, len(names)), np.float32), starts
        padded = np.pad(x, ((0, length - len(x)), (0, 0)), mode="edge")
        if drop_nan and not np.isfinite(padded).all():
            return np.zeros((0, length, len(names)), np.float32), starts
        return padded[None].astype(np.float32), np.zeros(1, np.int64)
    idx = starts[:, None] + np.arange(length)[None, :]
    win = x[idx].astype(np.float32)
    if drop_nan:
        ok = np.isfinite(win).all(axis=(1, 2))
        win, starts = win[ok], starts[ok]
    return win, starts
