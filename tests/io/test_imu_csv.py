"""Generic indexed IMU datasets: index.csv, channel/unit normalisation, annotations, real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.imu.load import load_imu_recording
from repcoach.io.imu_csv import (
    normalise_channel,
    read_imu_csv,
    read_imu_index,
    read_rep_annotations,
)


def test_channel_names() -> None:
    assert normalise_channel("acc_x_g") == ("wrist.acc_x", "g")
    assert normalise_channel("gyr_z_rads") == ("wrist.gyro_z", "rad/s")
    assert normalise_channel("u2_gyr_y") == ("u2.gyro_y", None)
    assert normalise_channel("u5_mag_z") == ("u5.mag_z", None)
    assert normalise_channel("lwrist.acc_x") == ("lwrist.acc_x", None)
    assert normalise_channel("t_s") is None


def _dataset(tmp_path: Path, body: str, index: str | None = None) -> Path:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.csv").write_text(body)
    (tmp_path / "index.csv").write_text(index or "file,subject,label,rep_count\nr/a.csv,1,X,3\n")
    return tmp_path


def test_units_and_resampling(tmp_path: Path) -> None:
    t = np.arange(100) / 25
    rows = "\n".join(f"{x:.2f},0,0,9.80665,{np.pi:.6f},0,0" for x in t)
    root = _dataset(tmp_path, "t_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n" + rows + "\n")
    e = read_imu_index(root)[0]
    assert (e.subject, e.label, e.rep_count) == ("1", "X", 3)
    raw = read_imu_csv(e.path)
    assert raw.rate_hz == pytest.approx(25.0)
    np.testing.assert_allclose(raw.data[0], [0, 0, 1, 180, 0, 0], rtol=1e-5)  # m/s^2, rad/s
    rec = load_imu_recording(e)
    assert rec.rate_hz == 50.0 and rec.n_samples == 199


@pytest.mark.parametrize(
    ("body", "index", "fragment"),
    [
        ("t_s,acc_x\n0,1\n", "file,subject\nr/a.csv,1\n", "missing column 'exercise'"),
        ("t_s,acc_x\n0,1\n", "file,subject,label\nr/missing.csv,1,X\n", "does not exist"),
        ("t_s,acc_x\n0,1\n", "file,subject,label,rep_count\nr/a.csv,1,X,many\n", "rep_count"),
    ],
)
def test_bad_index(tmp_path: Path, body: str, index: str, fragment: str) -> None:
    root = _dataset(tmp_path, body, index)
    with pytest.raises(DataError, match=fragment) as ei:
        read_imu_index(root)
    assert ei.value.path == root / "index.csv"


@pytest.mark.parametrize(
    ("body", "row", "fragment"),
    [
        ("x,acc_x\n0,1\n", 1, "no time column"),
        ("t_s,foo\n0,1\n", 1, "no IMU channel"),
        ("t_s,acc_x\n0,1\n0.02,abc\n", 3, "expected a number"),
        ("t_s,acc_x\n0,1\n0.02,1\n0.01,1\n", 4, "increase"),
    ],
)
def test_bad_recording(tmp_path: Path, body: str, row: int, fragment: str) -> None:
    root = _dataset(tmp_path, body)
    with pytest.raises(DataError, match=fragment) as ei:
        read_imu_csv(root / "r" / "a.csv")
    assert ei.value.row == row


@pytest.mark.realdata
def test_real_imu_folders(realdata) -> None:
    spar = realdata("spar_wrist_imu")
    entries = read_imu_index(spar)
    assert len(entries) == 98 and {e.rep_count for e in entries} == {20}
    rec = load_imu_recording(entries[0])
    assert rec.channels == ("wrist.acc_x", "wrist.acc_y", "wrist.acc_z",
                            "wrist.gyro_x", "wrist.gyro_y", "wrist.gyro_z")
    acc = np.linalg.norm(rec.data[:, :3], axis=1)
    assert 0.8 < np.median(acc) < 1.2  # g
    pt = realdata("pt_exercises_imu")
    e = read_imu_index(pt)[0]
    assert e.label == "1"  # no label column: the exercise number
    rec = load_imu_recording(e)
    assert rec.rate_hz == 50.0 and rec.data.shape[1] == 45
    assert 0.8 < np.median(np.linalg.norm(rec.data[:, :3], axis=1)) < 1.2  # m/s^2 -> g
    reps = read_rep_annotations(pt)
    test_reps = reps["recordings/s1_e1_test.csv.gz"]
    assert len(test_reps) == 30 and test_reps[0].execution_type == "correct"
    assert all(r.end_s > r.start_s for r in test_reps)
    test_rec = load_imu_recording(pt / "recordings" / "s1_e1_test.csv.gz")
    assert test_reps[-1].end_s <= test_rec.timestamps[-1]  # inside the recording
