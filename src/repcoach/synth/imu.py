"""Generated IMU signals from the body kinematics of a generated recording.

Four MetaMotion-like sensors (wrists on the forearms, ankles on the shanks), 50 Hz:

* accelerometer (g) = specific force in the sensor frame, ``R^T (a - g_vec) / 9.80665``, where
  ``a`` is the second time derivative of the sensor position and ``g_vec`` gravity (pointing
  down); a still sensor reads +1 g along the world's up direction;
* gyroscope (deg/s) = angular velocity of the segment in the sensor frame, from consecutive
  rotation matrices (``log(R(t-h)^T R(t+h)) / 2h``);
* magnetometer (uT) = a fixed Earth field (45 uT, inclination 44 deg, Cairo-like) rotated into
  the sensor frame, plus a hard-iron offset;

each with white noise, a constant per-sensor bias and a small random mounting rotation. Every
sensor's clock starts at its own small random offset (0-0.3 s) and stops early by up to 0.3 s,
and runs slightly fast or slow (up to +-100 ppm), as real units do; the files are written in
the MetaMotion (MetaBase) CSV format to ``<rec_dir>/imu/<name><CODE>-<site>_<signal>.csv``.

The kinematics object (from :mod:`repcoach.synth`) needs ``duration_s``,
``segment_rotations(times, segment) -> (N, 3, 3)`` world-from-segment rotations and
``segment_positions(times, segment) -> (N, 3)`` metres, for segments ``forearm_l``,
``forearm_r``, ``shank_l``, ``shank_r`` -- or ``site_pose(times, site)`` (position and
world-from-sensor rotation of an IMU site), used when present; optionally ``up`` (world up
unit vector; default y for repcoach's body model, z otherwise) and ``start_epoch_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from repcoach.io.ejust import format_name
from repcoach.io.metamotion import write_metamotion_csv

G = 9.80665
RATE_HZ = 50.0
#: Sensor site -> body segment it is strapped to.
SITE_SEGMENTS = {"lwrist": "forearm_l", "rwrist": "forearm_r", "lankle": "shank_l",
                 "rankle": "shank_r"}  # fmt: skip


@dataclass(frozen=True)
class ImuNoise:
    """Sensor imperfections (1-sigma values)."""

    acc_noise_g: float = 0.01
    acc_bias_g: float = 0.02
    gyro_noise_dps: float = 0.7
    gyro_bias_dps: float = 1.5
    mag_noise_ut: float = 0.6
    mag_bias_ut: float = 4.0
    mount_deg: float = 5.0
    start_offset_s: float = 0.3
    clock_ppm: float = 100.0


def earth_field(up: np.ndarray, strength_ut: float = 45.0, inclination_deg: float = 44.0
                ) -> np.ndarray:  # fmt: skip
    """World-frame Earth magnetic field: horizontal part along a fixed "north" perpendicular to
    ``up``, dipping down by ``inclination_deg``."""
    up = np.asarray(up, float) / np.linalg.norm(up)
    ref = np.array([1.0, 0.0, 0.0]) if abs(up[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    north = ref - up * (ref @ up)
    north /= np.linalg.norm(north)
    inc = np.radians(inclination_deg)
    return strength_ut * (np.cos(inc) * north - np.sin(inc) * up)


def _rotvec_to_matrix(v: np.ndarray) -> np.ndarray:

    return Rotation.from_rotvec(v).as_matrix()


def world_up(kin: Any) -> np.ndarray:
    """The kinematics' up direction: its ``up`` attribute, else y for repcoach's body model
    (which has ``site_pose``; its world is y-up), else z."""
    up = getattr(kin, "up", None)
    if up is None:
        up = (0.0, 1.0, 0.0) if hasattr(kin, "site_pose") else (0.0, 0.0, 1.0)
    up = np.asarray(up, float)
    return up / np.linalg.norm(up)


def sensor_signals(
    kin: Any, site: str, times: np.ndarray, mount: np.ndarray | None = None,
    h: float = 0.005, up: np.ndarray | None = None,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Noise-free ``{"acc": g, "gyro": deg/s, "mag": uT}`` (each ``(N, 3)``) of the sensor at
    ``site`` (lwrist, ...) at ``times``; ``mount`` is the segment-from-sensor rotation. Uses
    ``kin.site_pose`` when the kinematics has it (sensor near the wrist/ankle), else the
    segment's origin and rotation."""

    t = np.asarray(times, float)
    up = world_up(kin) if up is None else np.asarray(up, float) / np.linalg.norm(up)
    mount = np.eye(3) if mount is None else mount
    tt = np.concatenate([t - h, t, t + h])
    if hasattr(kin, "site_pose"):
        pos, rot = kin.site_pose(tt, site)
    else:
        segment = SITE_SEGMENTS[site]
        pos, rot = kin.segment_positions(tt, segment), kin.segment_rotations(tt, segment)
    pos = np.asarray(pos, float).reshape(3, len(t), 3)
    rot = np.asarray(rot, float).reshape(3, len(t), 3, 3)
    acc_world = (pos[2] - 2 * pos[1] + pos[0]) / h**2
    r_ws = rot[1] @ mount  # world-from-sensor
    specific = acc_world + G * up  # a - g_vec, g_vec = -G * up
    acc = np.einsum("nji,nj->ni", r_ws, specific) / G
    rel = np.einsum("nji,njk->nik", rot[0] @ mount, rot[2] @ mount)  # R(t-h)^T R(t+h)
    omega = Rotation.from_matrix(rel).as_rotvec() / (2 * h)
    gyro = np.degrees(omega)
    mag = np.einsum("nji,j->ni", r_ws, earth_field(up))
    return {"acc": acc, "gyro": gyro, "mag": mag}


def write_imu(
    recording: Any,
    participant: Any,
    code: str,
    rec_dir: str | Path,
    rng: np.random.Generator,
    noise: ImuNoise | None = None,
) -> list[Path]:
    """Write the 12 MetaMotion CSVs (4 sites x acc/gyro/mag) of one generated recording into
    ``rec_dir/imu`` (or ``rec_dir`` itself when it is already the ``imu`` folder)."""
    nz = noise or ImuNoise()
    rec_dir = Path(rec_dir)
    folder = rec_dir if rec_dir.name == "imu" else rec_dir / "imu"
    duration = float(recording.duration_s)
    epoch0 = float(getattr(recording, "start_epoch_s", 1_700_000_000.0))
    written = []
    name = getattr(participant, "name", participant)  # a Participant or its name slug
    for site in SITE_SEGMENTS:
        start = rng.uniform(0, nz.start_offset_s)
        stop = duration - rng.uniform(0, nz.start_offset_s)
        true_t = start + np.arange(int(np.floor((stop - start) * RATE_HZ)) + 1) / RATE_HZ
        mount = _rotvec_to_matrix(np.radians(nz.mount_deg) * rng.normal(size=3) / np.sqrt(3))
        clean = sensor_signals(recording, site, true_t, mount)
        clock = 1.0 + nz.clock_ppm * 1e-6 * rng.uniform(-1, 1)
        stamps = epoch0 + start + (true_t - start) * clock
        for sig, (sd, bias) in {
            "acc": (nz.acc_noise_g, nz.acc_bias_g),
            "gyro": (nz.gyro_noise_dps, nz.gyro_bias_dps),
            "mag": (nz.mag_noise_ut, nz.mag_bias_ut),
        }.items():
            v = clean[sig] + bias * rng.normal(size=3) + sd * rng.normal(size=clean[sig].shape)
            path = folder / format_name(name, code, f"{site}_{sig}", "csv")
            written.append(write_metamotion_csv(path, stamps, v, sig))
    return written
