"""Video decoding errors, timestamps and landmark frame-rate conversion (no MediaPipe: fast)."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence
from repcoach.video.io import VideoReader, probe_video, read_frames, resample_at, resample_fps


@pytest.fixture
def pushup_mp4(realdata):
    return realdata("pushfit_pushup_form", "videos", "correct001.mp4")


def _bytes(p):
    return p.read_bytes()


def test_probe_reads_container_properties(pushup_mp4):
    info = probe_video(pushup_mp4)
    assert (info.width, info.height) == (640, 360)
    assert info.fps == pytest.approx(25.0)
    assert info.n_frames == 61  # index.csv says 61 frames
    assert info.codec.lower() in ("h264", "avc1")


def test_reader_timestamps_follow_the_container_clock(pushup_mp4):
    frames, info = read_frames(pushup_mp4, max_frames=10)
    assert len(frames) == 10
    ts = np.array([f.timestamp_s for f in frames])
    assert np.all(np.diff(ts) > 0)
    np.testing.assert_allclose(ts, np.arange(10) / 25.0, atol=1e-3)  # 25 FPS container
    assert frames[0].image.shape == (360, 640, 3) and frames[0].image.dtype == np.uint8


def test_reader_decodes_every_frame(pushup_mp4):
    reader = VideoReader(pushup_mp4)
    n = sum(1 for _ in reader)
    assert n == reader.n_decoded == 61


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found") as e:
        probe_video(tmp_path / "nope.mp4")
    assert e.value.path.name == "nope.mp4"


def test_empty_file(tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty file \(0 bytes\)") as e:
        probe_video(p)
    assert "empty.mp4" in str(e.value)


def test_folder_is_not_a_video(tmp_path):
    with pytest.raises(DataError, match="folder"):
        probe_video(tmp_path)


def test_non_video_file(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("frame,lm00_x\n0,0.5\n")
    with pytest.raises(DataError, match="not a video file") as e:
        probe_video(p)
    assert "notes.mp4" in str(e.value) and "frame,lm00_x" in str(e.value)


def test_truncated_mp4(tmp_path, pushup_mp4):
    """A copy cut in half loses its index box (moov at the end): clear message."""
    p = tmp_path / "cut.mp4"
    data = _bytes(pushup_mp4)
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated") as e:
        probe_video(p)
    assert "cut.mp4" in str(e.value)


def test_unreadable_codec(tmp_path, pushup_mp4):
    """The track's sample entry renamed to an unknown codec: no decoder."""
    data = bytearray(_bytes(pushup_mp4))
    i = data.find(b"avc1", data.find(b"moov"))
    assert i > 0
    data[i : i + 4] = b"zzzz"
    p = tmp_path / "codec.mp4"
    p.write_bytes(bytes(data))
    with pytest.raises(DataError, match="codec 'zzzz'") as e:
        probe_video(p)
    assert "codec.mp4" in str(e.value)


def test_garbled_video_data(tmp_path, pushup_mp4):
    """Container intact, compressed frames overwritten with noise: nothing decodes."""
    data = bytearray(_bytes(pushup_mp4))
    start, end = data.find(b"mdat") + 8, data.find(b"moov") - 8
    rng = random.Random(0)
    for k in range(start, end, 300):
        data[k : k + 100] = bytes(rng.randrange(256) for _ in range(100))
    p = tmp_path / "garbled.mp4"
    p.write_bytes(bytes(data))
    with pytest.raises(DataError, match="no frame could be decoded") as e:
        list(VideoReader(p))
    assert "garbled.mp4" in str(e.value)


def test_intact_copy_still_reads(tmp_path, pushup_mp4):
    p = tmp_path / "copy.mp4"
    shutil.copy(pushup_mp4, p)
    assert probe_video(p).n_frames == 61


# -- frame-rate conversion -------------------------------------------------------------------
def _seq(ts, detected=None):
    t = len(ts)
    coords = np.zeros((t, 33, 3), np.float32)
    coords[:, :, 0] = np.asarray(ts)[:, None]  # x = time: linear, so interpolation is exact
    coords[:, :, 1] = 0.5
    if detected is not None:
        coords[~np.asarray(detected)] = np.nan
    vis = np.where(np.isnan(coords[..., 0]), 0.0, 0.9).astype(np.float32)
    return PoseSequence(coords, np.asarray(ts, float), MEDIAPIPE_33, vis, detected)


def test_resample_25_to_30_fps_interpolates_not_duplicates():
    seq = _seq(np.arange(50) / 25.0)  # 2 s minus one frame at 25 FPS
    out = resample_fps(seq, 30.0)
    assert out.n_frames == int(np.floor(49 / 25 * 30)) + 1  # 59
    np.testing.assert_allclose(np.diff(out.timestamps), 1 / 30, atol=1e-9)
    np.testing.assert_allclose(out.coords[:, 0, 0], out.timestamps, atol=1e-6)
    # No two consecutive output frames are identical (no frame duplication).
    assert np.all(np.diff(out.coords[:, 0, 0]) > 0)


def test_resample_is_identity_at_the_same_rate():
    seq = _seq(np.arange(40) / 30.0)
    out = resample_fps(seq, 30.0)
    assert out.n_frames == 40
    np.testing.assert_array_equal(out.coords, seq.coords)


def test_resample_keeps_gaps_as_undetected():
    det = np.ones(20, bool)
    det[8:11] = False
    seq = _seq(np.arange(20) / 15.0, det)  # 15 FPS with a 3-frame gap
    out = resample_fps(seq, 30.0)
    gap = (out.timestamps > 7 / 15 + 1e-9) & (out.timestamps < 11 / 15 - 1e-9)
    assert gap.any()
    assert not out.detected[gap].any()
    assert np.isnan(out.coords[gap]).all() and (out.visibility[gap] == 0).all()
    assert out.detected[~gap].all() and np.isfinite(out.coords[~gap]).all()


def test_resample_at_clamps_outside_range():
    seq = _seq(np.arange(5) / 10.0)
    out = resample_at(seq, np.array([-1.0, 0.05, 10.0]))
    np.testing.assert_allclose(out.coords[:, 0, 0], [0.0, 0.05, 0.4], atol=1e-6)
