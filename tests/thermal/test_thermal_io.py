"""Reading thermal clips in every supported form, and the errors for bad ones."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.thermal.io import read_thermal, write_thermal_npz
from repcoach.types import ThermalClip


def _clip(t: int = 6) -> ThermalClip:
    rng = np.random.default_rng(0)
    frames = (23 + rng.normal(0, 0.1, (t, 120, 160))).astype(np.float32)
    frames[:, 40:90, 70:90] = 33.0
    return ThermalClip(frames, np.arange(t) / 8.7 + 0.5)


def test_npz_round_trip(tmp_path):
    clip = _clip()
    p = write_thermal_npz(tmp_path / "a-thermal.npz", clip, fps=8.7)
    back = read_thermal(p)
    np.testing.assert_allclose(back.frames, clip.frames)
    np.testing.assert_allclose(back.timestamps, clip.timestamps)
    assert back.unit == "celsius" and back.source == str(p)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temp file


def test_npy_gets_timestamps_from_fps(tmp_path):
    np.save(tmp_path / "c.npy", _clip().frames)
    back = read_thermal(tmp_path / "c.npy", fps=10.0)
    np.testing.assert_allclose(back.timestamps, np.arange(6) / 10.0)


def test_image_folder_natural_order_16bit(tmp_path):
    for i in (10, 2, 1):  # natural order: 1, 2, 10
        img = np.full((12, 16), 1000 * i, np.uint16)
        cv2.imwrite(str(tmp_path / f"frame{i}.png"), img)
    clip = read_thermal(tmp_path, fps=8.7)
    assert clip.frames.dtype == np.uint16
    assert [int(f[0, 0]) for f in clip.frames] == [1000, 2000, 10000]
    assert clip.unit == "intensity"
    np.testing.assert_allclose(clip.timestamps, np.arange(3) / 8.7)


def test_video_is_read_as_grayscale(tmp_path):
    p = str(tmp_path / "t.avi")
    vw = cv2.VideoWriter(p, cv2.VideoWriter_fourcc(*"MJPG"), 8.7, (160, 120))
    for i in range(5):
        img = np.full((120, 160, 3), 40 * i, np.uint8)
        vw.write(img)
    vw.release()
    clip = read_thermal(p)
    assert clip.frames.shape == (5, 120, 160)
    assert clip.frames[4].mean() > clip.frames[1].mean()
    assert np.all(np.diff(clip.timestamps) > 0)


def test_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_thermal(tmp_path / "missing.npz")
    np.savez(tmp_path / "nokey.npz", x=np.zeros((2, 4, 4)))
    with pytest.raises(DataError, match="no 'frames'"):
        read_thermal(tmp_path / "nokey.npz")
    np.savez(tmp_path / "shape.npz", frames=np.zeros((4, 4)))
    with pytest.raises(DataError, match="shape"):
        read_thermal(tmp_path / "shape.npz")
    np.savez(tmp_path / "empty.npz", frames=np.zeros((0, 4, 4)))
    with pytest.raises(DataError, match="no frames"):
        read_thermal(tmp_path / "empty.npz")
    np.savez(tmp_path / "ts.npz", frames=np.zeros((3, 4, 4)), timestamps=[0.0, 0.2, 0.1])
    with pytest.raises(DataError, match="increase") as e:
        read_thermal(tmp_path / "ts.npz")
    assert e.value.row == 2
    np.savez(tmp_path / "tslen.npz", frames=np.zeros((3, 4, 4)), timestamps=[0.0, 0.2])
    with pytest.raises(DataError, match="one per frame"):
        read_thermal(tmp_path / "tslen.npz")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match="unsupported"):
        read_thermal(tmp_path / "x.txt")
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(DataError, match="no frame images"):
        read_thermal(tmp_path / "emptydir")
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(DataError):
        read_thermal(tmp_path / "bad.mp4")
