"""Alignment onto one 50 Hz clock: offsets, drift, gaps, repeated time stamps, resampling."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.imu.align import (
    AlignOptions,
    ImuStream,
    align_streams,
    correct_drift_nominal,
    estimate_lag,
    resample_recording,
    spread_repeated_times,
)
from repcoach.types import ImuRecording


def f(t: np.ndarray) -> np.ndarray:
    """A smooth test signal of absolute (true) time."""
    return np.sin(2 * np.pi * 0.7 * t) + 0.5 * np.cos(2 * np.pi * 0.23 * t)


def stream(dev: str, t_true: np.ndarray, t_stamp: np.ndarray | None = None) -> ImuStream:
    t_stamp = t_true if t_stamp is None else t_stamp
    return ImuStream(t_stamp, f(t_true)[:, None], (f"{dev}.acc_x",), nominal_rate_hz=50.0)


def test_offsets_trim_to_common_span_and_agree() -> None:
    a = stream("a", 100.0 + np.arange(1000) / 50)
    b = stream("b", 100.37 + np.arange(900) / 50)  # starts 0.37 s later
    c = stream("c", 99.5 + np.arange(1000) / 25)  # 25 Hz sensor, upsampled
    rec = align_streams([a, b, c])
    assert rec.rate_hz == 50.0
    assert rec.channels == ("a.acc_x", "b.acc_x", "c.acc_x")
    t_true = 100.37 + rec.timestamps
    assert rec.timestamps[-1] <= 100.0 + 999 / 50 - 100.37 + 1e-9
    for j in range(3):
        np.testing.assert_allclose(rec.data[:, j], f(t_true), atol=5e-3)


def test_no_overlap_is_an_error() -> None:
    with pytest.raises(DataError, match="do not overlap"):
        align_streams([stream("a", np.arange(10) / 50), stream("b", 5 + np.arange(10) / 50)])


def test_gap_policies() -> None:
    t = np.arange(500) / 50
    keep = (t < 3.0) | (t > 4.0)  # 1 s of lost packets
    s = ImuStream(t[keep], f(t[keep])[:, None], ("a.acc_x",), nominal_rate_hz=50)
    nan = align_streams([s], AlignOptions(gap_fill="nan")).data[:, 0]
    inside = ~keep
    assert np.isnan(nan[inside]).all() and np.isfinite(nan[~inside]).all()
    lin = align_streams([s], AlignOptions(gap_fill="linear")).data[:, 0]
    assert np.isfinite(lin).all()
    hold = align_streams([s], AlignOptions(gap_fill="hold")).data[:, 0]
    np.testing.assert_allclose(hold[inside], f(np.array([t[keep][t[keep] < 3.0][-1]]))[0],
                               atol=1e-6)
    # a single dropped sample (2 periods) is interpolated, not a gap
    keep1 = np.ones(500, bool)
    keep1[100] = False
    s1 = ImuStream(t[keep1], f(t[keep1])[:, None], ("a.acc_x",), nominal_rate_hz=50)
    assert np.isfinite(align_streams([s1]).data).all()


def test_nominal_drift_correction() -> None:
    n = 1500
    true = 10.0 + np.arange(n) / 50
    stamped = 10.0 + 1.004 * (true - 10.0)  # this sensor's clock runs 0.4 % fast
    fixed, ratio = correct_drift_nominal(stamped, 50.0)
    assert ratio == pytest.approx(1.004, rel=1e-6)
    np.testing.assert_allclose(fixed, true, atol=1e-9)
    ref = stream("a", true)
    drifting = stream("b", true, stamped)
    good = align_streams([ref, drifting], AlignOptions(drift="nominal")).data
    bad = align_streams([ref, drifting], AlignOptions(drift="none")).data
    err_good = np.abs(good[:, 0] - good[:, 1]).max()
    err_bad = np.abs(bad[:, 0] - bad[:, 1]).max()
    assert err_good < 0.01 < err_bad
    # a stream at another rate (25 Hz) is not "corrected" to 50 Hz
    t25 = np.arange(100) / 25
    same, r = correct_drift_nominal(t25, 50.0)
    assert r == 1.0 and np.array_equal(same, t25)


def test_xcorr_offset_and_drift_from_shared_events() -> None:
    rng = np.random.default_rng(1)
    n = 3000  # 60 s
    true = np.arange(n) / 50

    def bumps(t: np.ndarray) -> np.ndarray:  # shared jumps/claps felt by every sensor
        out = np.zeros_like(t)
        for c in (2.0, 3.1, 5.5, 52.0, 53.7, 56.2):
            out += 3 * np.exp(-0.5 * ((t - c) / 0.05) ** 2)
        return out

    def sensor(dev: str, offset: float, drift: float) -> ImuStream:
        stamps = 1000 + true + offset + drift * true
        v = np.stack([bumps(true) + 1 + 0.02 * rng.normal(size=n), 0 * true, 0 * true], 1)
        return ImuStream(stamps, v, (f"{dev}.acc_x", f"{dev}.acc_y", f"{dev}.acc_z"), None)

    ref = sensor("a", 0.0, 0.0)
    other = sensor("b", 0.31, 0.002)  # 0.31 s late, clock 0.2 % fast
    opts = AlignOptions(drift="xcorr", xcorr_window_s=10.0, max_lag_s=1.0)
    rec = align_streams([ref, other], opts)
    a, b = rec.data[:, 0], rec.data[:, 3]
    peaks_a = np.flatnonzero((a[1:-1] > a[:-2]) & (a[1:-1] > a[2:]) & (a[1:-1] > 2.5))
    peaks_b = np.flatnonzero((b[1:-1] > b[:-2]) & (b[1:-1] > b[2:]) & (b[1:-1] > 2.5))
    assert len(peaks_a) == len(peaks_b) == 6
    assert np.abs(peaks_a - peaks_b).max() <= 1  # within one 20 ms sample everywhere
    none = align_streams([ref, other], AlignOptions(drift="none"))
    assert not np.allclose(none.data[:, 0], none.data[:, 3], atol=0.5)


def test_estimate_lag_subsample() -> None:
    t = np.arange(1000) / 50
    x = np.exp(-0.5 * ((t - 10) / 0.3) ** 2)
    y = np.exp(-0.5 * ((t - 10.23) / 0.3) ** 2)
    assert estimate_lag(x, y, 50.0, 1.0) == pytest.approx(0.23, abs=0.01)  # < half a sample


def test_spread_repeated_times() -> None:
    t = np.array([0.0, 0.0, 0.0, 0.06, 0.08, 0.10, 0.12, 0.12])
    out = spread_repeated_times(t)
    # a final run continues at the median step
    np.testing.assert_allclose(out, [0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14])
    assert np.all(np.diff(out) > 0)


def test_resample_recording_25_to_50_and_100_to_50() -> None:
    t25 = np.arange(250) / 25
    rec = ImuRecording(t25, f(t25)[:, None], ("w.acc_x",), 25.0)
    up = resample_recording(rec, 50.0)
    assert up.rate_hz == 50.0 and len(up.timestamps) == 499
    np.testing.assert_allclose(up.data[:, 0], f(up.timestamps), atol=0.01)
    t100 = np.arange(1000) / 100
    noisy = f(t100) + 0.3 * np.sin(2 * np.pi * 40 * t100)  # 40 Hz would alias at 50 Hz
    down = resample_recording(ImuRecording(t100, noisy[:, None], ("w.acc_x",), 100.0), 50.0)
    core = slice(20, -20)
    np.testing.assert_allclose(down.data[core, 0], f(down.timestamps)[core], atol=0.05)
