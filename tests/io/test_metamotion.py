"""MetaMotion CSV export: round trip, unit handling, malformed files, whole recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.imu.load import read_metamotion_recording
from repcoach.io.metamotion import metamotion_files, read_metamotion_csv, write_metamotion_csv

T0 = 1_700_000_000.0


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_all_signals(tmp_path: Path) -> None:
    t = T0 + np.arange(50) / 50.0
    rng = np.random.default_rng(0)
    for sig, scale in (("acc", 1.0), ("gyro", 100.0), ("mag", 40.0)):
        v = rng.normal(size=(50, 3)) * scale
        p = write_metamotion_csv(tmp_path / f"{sig}.csv", t, v, sig, utc_offset_h=2)
        s = read_metamotion_csv(p)
        assert s.signal == sig
        np.testing.assert_allclose(s.times_s, np.round(t * 1000) / 1000, atol=1e-6)
        np.testing.assert_allclose(s.values, v, rtol=1e-3, atol=1e-4)
        assert abs(s.rate_hz - 50.0) < 1.0
    header = (tmp_path / "mag.csv").read_text().splitlines()[0]
    assert header.startswith("epoc (ms),timestamp (+02:00),elapsed (s),x-axis (T)")


def test_units_converted(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", "epoch (ms),elapsed (s),x-axis (m/s^2),y-axis (m/s^2),"
               "z-axis (m/s^2)\n1000,0,0,0,9.80665\n1020,0.02,0,0,9.80665\n")
    np.testing.assert_allclose(read_metamotion_csv(p).values[:, 2], 1.0)
    p = _write(tmp_path / "g.csv", "epoc (ms),x-axis (rad/s),y-axis (rad/s),z-axis (rad/s)\n"
               "1000,3.14159265,0,0\n")
    assert read_metamotion_csv(p).values[0, 0] == pytest.approx(180.0, rel=1e-6)
    # a "(T)" column holding microtesla already is not multiplied again
    p = _write(tmp_path / "m.csv", "epoc (ms),x-axis (T),y-axis (T),z-axis (T)\n1000,20,30,-10\n")
    np.testing.assert_allclose(read_metamotion_csv(p).values[0], [20, 30, -10])
    p = _write(tmp_path / "m2.csv", "epoc (ms),x-axis (T),y-axis (T),z-axis (T)\n"
               "1000,2e-5,3e-5,-1e-5\n")
    np.testing.assert_allclose(read_metamotion_csv(p).values[0], [20, 30, -10])


@pytest.mark.parametrize(
    ("text", "row", "fragment"),
    [
        ("", 1, "empty file"),
        ("epoc (ms),x-axis (g),y-axis (g),z-axis (g)\n", 2, "no samples"),
        ("elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n0,1,2,3\n", 1, "epoc (ms)"),
        ("epoc (ms),x-axis (g),y-axis (g)\n1000,1,2\n", 1, "z-axis"),
        ("epoc (ms),x-axis (g),y-axis (g),z-axis (g)\n1000,1,2,3\n1020,1,oops,3\n", 3, "oops"),
        ("epoc (ms),x-axis (g),y-axis (g),z-axis (g)\n1000,1,2,3\n990,1,2,3\n", 3, "backwards"),
        ("epoc (ms),x-axis (g),y-axis (g),z-axis (g)\n1000,1,2,nan\n", 2, "finite"),
        ("epoc (ms),x-axis (g),y-axis (g),z-axis (g)\n1000,1,2\n", 2, "cells"),
        ("epoc (ms),x-axis (lux),y-axis (lux),z-axis (lux)\n1000,1,2,3\n", 1, "unknown axis"),
    ],
)
def test_malformed_files_name_file_and_row(
    tmp_path: Path, text: str, row: int, fragment: str
) -> None:
    p = _write(tmp_path / "bad.csv", text)
    with pytest.raises(DataError) as ei:
        read_metamotion_csv(p)
    assert ei.value.path == p
    assert ei.value.row == row
    assert fragment in str(ei.value)


def test_signal_mismatch_with_file_name(tmp_path: Path) -> None:
    p = write_metamotion_csv(tmp_path / "x.csv", T0 + np.arange(3) / 50, np.zeros((3, 3)), "acc")
    with pytest.raises(DataError, match="gyro"):
        read_metamotion_csv(p, signal="gyro")


def _recording(folder: Path, offsets: dict[str, float], n: int = 500) -> None:
    t = np.arange(n) / 50.0
    for site, off in offsets.items():
        for sig in ("acc", "gyro", "mag"):
            v = np.stack([np.sin(2 * np.pi * 0.5 * (t + off)), t * 0, t * 0 + 1], axis=1)
            write_metamotion_csv(
                folder / f"ahmed-attiaJJ-{site}_{sig}.csv", T0 + off + t, v, sig
            )


def test_read_whole_recording(tmp_path: Path) -> None:
    offsets = {"lwrist": 0.0, "rwrist": 0.13, "lankle": 0.41, "rankle": 0.07}
    _recording(tmp_path, offsets)
    assert len(metamotion_files(tmp_path)) == 12
    rec = read_metamotion_recording(tmp_path)
    assert rec.rate_hz == 50.0
    assert rec.channels[:3] == ("lwrist.acc_x", "lwrist.acc_y", "lwrist.acc_z")
    assert rec.channels[-1] == "rankle.mag_z"
    assert rec.data.shape[1] == 36
    # common span: starts at the latest start (0.41 s) and ends at the earliest end (9.98 s)
    assert rec.timestamps[0] == 0.0
    assert rec.data.shape[0] == int(np.floor((9.98 - 0.41) * 50 + 1e-6)) + 1
    # same absolute time -> same value in every sensor (signal is a function of Unix time)
    i = rec.channels.index
    np.testing.assert_allclose(rec.data[:, i("lwrist.acc_x")], rec.data[:, i("lankle.acc_x")],
                               atol=2e-3)


def test_folder_with_two_recordings_is_rejected(tmp_path: Path) -> None:
    _recording(tmp_path, {"lwrist": 0.0})
    write_metamotion_csv(tmp_path / "ahmed-attiaSU-lwrist_acc.csv", T0 + np.arange(3) / 50,
                         np.zeros((3, 3)), "acc")
    with pytest.raises(DataError, match="several recordings"):
        metamotion_files(tmp_path)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no MetaMotion files"):
        read_metamotion_recording(tmp_path)
