"""Counting from IMU peaks: synthetic periodic motion, metrics, and SPAR real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from repcoach.imu.count import (
    ImuCountOptions,
    count_dataset,
    count_repetitions_imu,
    motion_signal,
    resolve_method,
)
from repcoach.segment.dataset import write_count_outputs
from repcoach.segment.metrics import count_metrics, match_repetitions
from repcoach.types import ImuRecording


def swinging(reps: int, period: float = 2.0, rest: float = 1.5, seed: int = 0) -> ImuRecording:
    """Gyroscope of a limb swinging out and back ``reps`` times with rest before and after."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, rest * 2 + reps * period, 1 / 50)
    phase = np.clip((t - rest) / period, 0, reps)
    angle = 0.5 * (1 - np.cos(2 * np.pi * phase)) * 60.0
    rate = np.gradient(angle, t)
    data = np.stack([rate, 0.3 * rate, -0.2 * rate], 1) + rng.normal(0, 3, (len(t), 3))
    return ImuRecording(t, data, ("wrist.gyro_x", "wrist.gyro_y", "wrist.gyro_z"), 50.0)


@pytest.mark.parametrize("reps", [5, 12])
def test_counts_synthetic_swings(reps: int) -> None:
    rec = swinging(reps)
    found = count_repetitions_imu(rec)
    assert abs(len(found) - reps) <= 1
    sig = motion_signal(rec)
    assert sig.shape == (rec.n_samples,) and abs(sig.std() - 1) < 1e-6
    # repetitions are ordered, do not overlap and are about one period long (boundaries may sit
    # half a cycle off on this toy signal with short symmetric rest: see docs/imu.md)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
    inner = [r.end_s - r.start_s for r in found[1:-1]]
    assert np.allclose(inner, 2.0, atol=0.2)


def test_metrics() -> None:
    m = count_metrics([20, 20, 10], [19, 22, 10])
    assert m == {"n": 3, "mae": 1.0, "obo": 2 / 3, "exact": 1 / 3,
                 "nmae": pytest.approx((1 / 20 + 2 / 20 + 0) / 3)}
    r = match_repetitions([(0, 2), (2, 4), (4, 6)], [(0.1, 2.1), (4.5, 9)])
    assert r["recall"] == pytest.approx(1 / 3) and r["precision"] == 0.5


@pytest.mark.realdata
def test_spar_counts_within_one_for_most(realdata, tmp_path: Path) -> None:
    rows = count_dataset(realdata("spar_wrist_imu"), progress=False)
    summary = write_count_outputs(rows, tmp_path)
    assert summary["n"] == 98
    # measured: MAE 0.74, 94.9 % within one repetition (a counter always saying 20 is not used)
    assert summary["obo"] >= 0.85 and summary["mae"] < 1.2
    assert len({r.predicted for r in rows}) > 3  # predictions really vary
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["mae"] == summary["mae"]
    assert (tmp_path / "counts.png").stat().st_size > 1000
    assert (tmp_path / "counts.csv").read_text().count("\n") == 99


def tilting(reps: int, rest_between: float = 1.5, seed: int = 0) -> ImuRecording:
    """Two sensors (shank, thigh) whose gravity direction tilts away and back ``reps`` times
    with idle rest between repetitions of uneven tempo, as in a physiotherapy session."""
    rng = np.random.default_rng(seed)
    fs = 50.0
    segs = [np.zeros(int(1.5 * fs))]
    for _ in range(reps):
        dur = 1.5 + 1.5 * rng.random()  # 1.5-3 s per repetition
        ph = np.arange(int(dur * fs)) / (dur * fs)
        segs += [0.5 * (1 - np.cos(2 * np.pi * ph)), np.zeros(int(rest_between * fs))]
    segs.append(np.zeros(int(1.5 * fs)))
    ang = np.radians(50.0) * np.concatenate(segs)
    t = np.arange(len(ang)) / fs
    acc = [np.cos(ang), np.sin(ang), np.zeros_like(ang), np.cos(0.5 * ang),
           0.1 + np.zeros_like(ang), np.sin(0.5 * ang)]
    data = np.stack(acc, 1) + rng.normal(0, 0.05, (len(t), 6))
    chans = ("u1.acc_x", "u1.acc_y", "u1.acc_z", "u2.acc_x", "u2.acc_y", "u2.acc_z")
    return ImuRecording(t, data, chans, fs)


@pytest.mark.parametrize("reps", [6, 9])
def test_excursion_method_counts_tilts_with_idle_gaps(reps: int) -> None:
    rec = tilting(reps, seed=reps)
    assert resolve_method(rec) == "excursion"
    found = count_repetitions_imu(rec)
    assert len(found) == reps
    # each repetition lies inside its tilt (no idle time in it), roughly as long as the tilt
    # (with 4 or fewer repetitions one is sometimes lost on this toy signal: docs/imu.md)
    assert all(1.0 < r.end_s - r.start_s < 3.5 for r in found)
    # a single-site recording falls back to the 1-D signal method
    assert resolve_method(swinging(3)) == "signal"
    with pytest.raises(ValueError):
        count_repetitions_imu(rec, ImuCountOptions(method="nope"))


@pytest.mark.realdata
def test_pt_counts_beat_peer_baseline(realdata, tmp_path: Path) -> None:
    rows = count_dataset(realdata("pt_exercises_imu"), progress=False)
    summary = write_count_outputs(rows, tmp_path)
    assert summary["n"] == 32
    # measured: MAE 0.53, 90.6 % within one; peer baseline MAE 1.28, 75 %
    assert summary["mae"] < 1.0 and summary["obo"] >= 0.8
