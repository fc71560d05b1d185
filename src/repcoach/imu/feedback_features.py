"""Per-repetition feedback features of IMU recordings: tempo, amplitude and left/right
differences from wrist / ankle (or any) sensors.

Per site, from :func:`repcoach.imu.rep_features.rep_features` (logs): ``{site}.range``
(accelerometer tilt range = amplitude), ``{site}.rotation`` (integrated gyro), ``{site}.gyro_rms``
and ``{site}.gyro_peak``; ``duration`` and ``tempo`` (as for pose); for sites named
``l<part>`` / ``r<part>`` (``lwrist``, ``rankle``), ``<part>.lr_range`` and ``<part>.lr_rotation``
(log left/right ratios).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from repcoach.feedback.pose_features import typical_durations
from repcoach.imu.rep_features import rep_features
from repcoach.types import ImuRecording

_STATS = ("range", "gyro_rms", "gyro_peak", "rotation")


def imu_sites(rec: ImuRecording) -> list[str]:
    """Sensor sites of ``rec`` (channel prefixes), in order."""
    out: list[str] = []
    for c in rec.channels:
        s = c.rpartition(".")[0]
        if s and s not in out:
            out.append(s)
    return out


def imu_rep_features(
    rec: ImuRecording, spans_s: Sequence[tuple[float, float]], sites: Sequence[str] | None = None
) -> list[dict[str, float]]:
    """Features of every repetition ``[start_s, end_s)`` of ``rec`` (in set order)."""

    sites = list(sites) if sites is not None else imu_sites(rec)
    durs = np.array([max(e - s, 1e-3) for s, e in spans_s], dtype=np.float64)
    typical = typical_durations(durs)
    pairs = [s[1:] for s in sites if s.startswith("l") and "r" + s[1:] in sites]
    out = []
    for (s, e), dur, typ in zip(spans_s, durs, typical, strict=True):
        v = rep_features(rec, s, e, sites)
        f: dict[str, float] = {"duration": float(dur), "tempo": float(np.log(dur / typ))}
        for i, site in enumerate(sites):
            for j, st in enumerate(_STATS):
                f[f"{site}.{st}"] = float(v[1 + 4 * i + j])
        for p in pairs:
            f[f"{p}.lr_range"] = f[f"l{p}.range"] - f[f"r{p}.range"]
            f[f"{p}.lr_rotation"] = f[f"l{p}.rotation"] - f[f"r{p}.rotation"]
        out.append(f)
    return out
