"""Generated IMU: physics of acc/gyro/mag from kinematics, MetaMotion files, counting them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from repcoach.imu.count import count_repetitions_imu
from repcoach.imu.load import read_metamotion_recording
from repcoach.synth.imu import ImuNoise, earth_field, sensor_signals, write_imu


class SwingKinematics:
    """Stand-in for the body model: every limb swings about world x, ``reps`` times."""

    up = (0.0, 0.0, 1.0)

    def __init__(self, reps: int = 10, period_s: float = 2.0, amp_deg: float = 60.0,
                 lift_m: float = 0.0) -> None:
        self.reps, self.period, self.amp, self.lift = reps, period_s, amp_deg, lift_m
        self.duration_s = reps * period_s + 1.0

    def angle(self, t: np.ndarray) -> np.ndarray:  # rest (0) between 0.5 s and the end
        active = (t > 0.5) & (t < 0.5 + self.reps * self.period)
        return np.where(active, np.radians(self.amp) * 0.5 *
                        (1 - np.cos(2 * np.pi * (t - 0.5) / self.period)), 0.0)

    def segment_rotations(self, t: np.ndarray, segment: str) -> np.ndarray:
        return Rotation.from_euler("x", self.angle(np.asarray(t))[:, None]).as_matrix()

    def segment_positions(self, t: np.ndarray, segment: str) -> np.ndarray:
        t = np.asarray(t)
        return np.stack([0 * t, 0 * t, self.lift * np.sin(2 * np.pi * t)], axis=1)


def test_still_sensor_reads_gravity_and_earth_field() -> None:
    kin = SwingKinematics(amp_deg=0.0)
    s = sensor_signals(kin, "lwrist", np.arange(50) / 50)
    np.testing.assert_allclose(s["acc"], np.tile([0, 0, 1.0], (50, 1)), atol=1e-6)
    np.testing.assert_allclose(s["gyro"], 0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(s["mag"], axis=1), 45.0, atol=1e-6)
    np.testing.assert_allclose(s["mag"][0], earth_field(np.array([0, 0, 1.0])), atol=1e-9)


def test_linear_acceleration_and_angular_velocity() -> None:
    t = np.linspace(0.1, 0.9, 41)
    lifted = sensor_signals(SwingKinematics(amp_deg=0.0, lift_m=0.1), "rankle", t)
    expected = 1 - 0.1 * (2 * np.pi) ** 2 * np.sin(2 * np.pi * t) / 9.80665
    np.testing.assert_allclose(lifted["acc"][:, 2], expected, atol=1e-3)
    kin = SwingKinematics(amp_deg=60.0)
    t = np.linspace(0.7, 2.3, 81)
    s = sensor_signals(kin, "rwrist", t)
    rate = np.degrees(np.radians(60) * 0.5 * 2 * np.pi / 2.0 * np.sin(2 * np.pi * (t - 0.5) / 2))
    np.testing.assert_allclose(s["gyro"][:, 0], rate, atol=0.05)
    np.testing.assert_allclose(s["gyro"][:, 1:], 0, atol=1e-6)
    # tilting the sensor tilts gravity in its frame: |acc| stays 1 g (pure rotation, no motion)
    np.testing.assert_allclose(np.linalg.norm(s["acc"], axis=1), 1.0, atol=1e-4)


def test_write_read_and_count(tmp_path: Path) -> None:
    kin = SwingKinematics(reps=10)
    rng = np.random.default_rng(3)
    files = write_imu(kin, "ahmed-attia", "JJ", tmp_path / "ahmed-attia" / "JJ", rng)
    assert len(files) == 12 and all(f.parent.name == "imu" for f in files)
    assert files[0].name == "ahmed-attiaJJ-lwrist_acc.csv"
    rec = read_metamotion_recording(files[0].parent)
    assert rec.data.shape[1] == 36 and rec.rate_hz == 50.0
    assert kin.duration_s - 0.6 - 0.1 <= rec.timestamps[-1] <= kin.duration_s
    i = rec.channels.index
    assert np.median(np.abs(rec.data[:, i("lwrist.gyro_x")])) > 10  # the swing is measured
    assert abs(np.median(np.linalg.norm(rec.data[:, i("rankle.mag_x"):i("rankle.mag_x") + 3],
                                        axis=1)) - 45) < 6
    reps = count_repetitions_imu(rec)
    assert abs(len(reps) - 10) <= 1


def test_noise_and_bias_are_applied(tmp_path: Path) -> None:
    kin = SwingKinematics(reps=2, amp_deg=0.0)
    write_imu(kin, "mona-zaki", "SU", tmp_path, np.random.default_rng(0),
              ImuNoise(acc_noise_g=0.05, start_offset_s=0.0))
    rec = read_metamotion_recording(tmp_path / "imu")
    acc = rec.data[:, rec.channels.index("lwrist.acc_z")]
    assert 0.03 < acc.std() < 0.08
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(acc.mean(), 1.0, atol=1e-3)  # a bias is there
