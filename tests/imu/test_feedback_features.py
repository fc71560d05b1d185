"""IMU feedback features: amplitude, tempo and left/right ratios per repetition."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.imu.feedback_features import imu_rep_features, imu_sites
from repcoach.types import ImuRecording


def _rec(rate=50.0, seconds=12.0):
    """Wrists swinging once per 2 s; the right one at half the amplitude."""
    t = np.arange(0, seconds, 1 / rate)
    cols, names = [], []
    for site, amp in (("lwrist", 1.0), ("rwrist", 0.5)):
        tilt = amp * np.sin(np.pi * t) ** 2  # one bump per 1 s half-period -> 2 per rep
        for ax, v in zip("xyz", (tilt, 1 - tilt, 0 * t), strict=True):
            cols.append(v)
            names.append(f"{site}.acc_{ax}")
        w = amp * 100 * np.sin(2 * np.pi * t / 2)
        for ax, v in zip("xyz", (w, 0 * t, 0 * t), strict=True):
            cols.append(v)
            names.append(f"{site}.gyro_{ax}")
    return ImuRecording(t, np.stack(cols, 1), tuple(names), rate)


def test_imu_features_amplitude_lr_ratio_and_tempo():
    rec = _rec()
    assert imu_sites(rec) == ["lwrist", "rwrist"]
    spans = [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 7.2), (7.2, 9.2), (9.2, 11.2)]
    f = imu_rep_features(rec, spans)
    assert len(f) == 6
    for r in f[:3]:
        assert r["wrist.lr_range"] == pytest.approx(np.log(2.0), abs=0.05)
        assert r["wrist.lr_rotation"] == pytest.approx(np.log(2.0), abs=0.05)
    assert f[3]["duration"] == pytest.approx(1.2)
    assert f[3]["tempo"] == pytest.approx(np.log(1.2 / 2.0), abs=0.02)  # rushed
    assert abs(f[0]["tempo"]) < 0.02
