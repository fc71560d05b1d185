"""Audio from real videos through imageio-ffmpeg's ffmpeg: the stock clips' tracks, a beep muxed
into a copy of a real clip and found within one video frame (library and CLI), and the clear
errors for a video without audio, a corrupt, a truncated, an empty and a missing file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from repcoach.cli import app
from repcoach.errors import DataError
from repcoach.sync import detect_beep_file
from repcoach.sync.audio import find_ffmpeg, mux_audio, probe_media, read_audio, write_wav
from repcoach.synth.audio import BeepSpec, pattern_video, write_beep_video

FRAME = 1 / 30
STOCK = ("jumpingjack_a.mp4", "jumpingjack_b.mp4", "squat_correct_a.mp4", "squat_incorrect_a.mp4")


@pytest.fixture
def stock(realdata):
    """Folder of the real stock exercise videos."""
    return realdata("exercise_videos_stock", "videos")


def _strip_audio(video: Path, out: Path) -> Path:
    exe = find_ffmpeg()
    subprocess.run([exe, "-v", "error", "-y", "-i", str(video), "-an", "-c:v", "copy", str(out)],
                   check=True)  # fmt: skip
    return out


@pytest.mark.parametrize("name", STOCK)
def test_stock_video_tracks(stock, name):
    """Each stock clip either has an audio track (read at its native rate, as long as the video)
    or has none (the clear error); a silent track is reported as silent, not as 'no beep'."""
    video = stock / name
    info = probe_media(video)
    assert info.has_video and info.video_fps == pytest.approx(30.0)
    if not info.has_audio:
        with pytest.raises(DataError, match="no audio track"):
            read_audio(video)
        return
    x, rate = read_audio(video)
    assert rate == info.audio_rate and x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) / rate - info.duration_s) < 0.05
    assert np.all(np.abs(x) <= 1.0)
    both, _ = read_audio(video, mono=False)
    assert both.shape == (len(x), info.audio_channels)
    if not np.any(x):  # the stock clips ship with an all-zero track
        with pytest.raises(DataError, match="silent"):
            detect_beep_file(video)


@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_beep_in_real_video_found_within_one_frame(stock, tmp_path, ext):
    rng = np.random.default_rng(61 if ext == ".mp4" else 62)
    src = stock / "jumpingjack_a.mp4"  # 2.47 s, 74 frames
    onset = float(rng.uniform(0.3, 1.8))
    freq = float(rng.choice([1000.0, 2000.0, 3000.0, 4000.0]))
    out = write_beep_video(tmp_path / f"copy{ext}", BeepSpec(onset, freq, 0.15, amplitude=0.2),
                           rng, video=src, snr_db=0.0, events_s=[0.2, 1.0, 2.1])  # fmt: skip
    # only the video and its truth sidecar are left behind (atomic write, temp WAV removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"copy{ext}", "copy.sync.json"]
    truth = json.loads((tmp_path / "copy.sync.json").read_text())
    assert truth["beep_s"] == onset and truth["snr_db"] == 0.0
    info = probe_media(out)
    assert info.has_audio and info.audio_rate == 48000 and info.audio_channels == 1
    assert abs(info.duration_s - probe_media(src).duration_s) < 0.05
    b = detect_beep_file(out)
    assert abs(b.onset_s - onset) < FRAME, (b, onset)
    assert abs(b.freq_hz - freq) < 100
    # the picture was copied unchanged
    import cv2

    cap = cv2.VideoCapture(str(out))
    n = 0
    while cap.grab():  # count decoded frames (mkv's frame-count property is an estimate)
        n += 1
    cap.release()
    assert n == 74
    # at a requested rate the onset is still in place
    y, rate = read_audio(out, rate=16000)
    assert rate == 16000 and abs(len(y) / rate - info.duration_s) < 0.05


def test_cli_sync_beep_on_video(stock, tmp_path):
    rng = np.random.default_rng(63)
    onset = float(rng.uniform(0.3, 1.0))
    out = write_beep_video(tmp_path / "clip.mp4", BeepSpec(onset, 3000.0, 0.12, amplitude=0.25),
                           rng, video=stock / "squat_incorrect_a.mp4", snr_db=0.0)  # fmt: skip
    res = CliRunner().invoke(app, ["sync", "beep", str(out), "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert abs(got["onset_s"] - onset) < FRAME and abs(got["freq_hz"] - 3000) < 100
    res = CliRunner().invoke(app, ["sync", "beep", str(out)])
    assert res.exit_code == 0 and abs(float(res.output) - onset) < FRAME


def test_cli_sync_mux(tmp_path):
    video = pattern_video(tmp_path / "pattern.mp4", 2.0)
    assert not probe_media(video).has_audio
    rate = 22050
    x = np.zeros(2 * rate)
    t = np.arange(int(0.15 * rate)) / rate
    x[int(0.8 * rate) : int(0.8 * rate) + len(t)] = 0.3 * np.sin(2 * np.pi * 2000 * t)
    wav = write_wav(tmp_path / "beep.wav", x, rate)
    res = CliRunner().invoke(app, ["sync", "mux", str(video), str(wav), "-o",
                                   str(tmp_path / "with-sound.mov")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert abs(detect_beep_file(tmp_path / "with-sound.mov").onset_s - 0.8) < FRAME


def test_video_without_audio_track(stock, tmp_path):
    silent = _strip_audio(stock / "squat_correct_a.mp4", tmp_path / "silent.mp4")
    with pytest.raises(DataError, match="no audio track") as e:
        read_audio(silent)
    assert e.value.path == silent
    with pytest.raises(DataError, match="no audio track"):
        detect_beep_file(silent)
    res = CliRunner().invoke(app, ["sync", "beep", str(silent)])
    assert res.exit_code != 0 and isinstance(res.exception, DataError)
    assert "no audio track" in str(res.exception)


def test_corrupt_truncated_empty_missing(stock, tmp_path):
    data = (stock / "squat_correct_a.mp4").read_bytes()
    cases = {
        "corrupt.mp4": np.random.default_rng(0).bytes(4096),
        "truncated.mp4": data[: len(data) // 3],
        "text.mkv": b"this is not a video\n" * 10,
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError, match="corrupt, truncated"):
            read_audio(tmp_path / name)
        with pytest.raises(DataError, match="corrupt or truncated"):
            probe_media(tmp_path / name)
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_audio(tmp_path / "empty.mp4")
    with pytest.raises(DataError, match="not found"):
        read_audio(tmp_path / "missing.mov")
    res = CliRunner().invoke(app, ["sync", "beep", str(tmp_path / "corrupt.mp4")])
    assert isinstance(res.exception, DataError)


def test_mux_errors_leave_nothing_behind(stock, tmp_path):
    wav = write_wav(tmp_path / "a.wav", np.zeros(16000), 16000)
    with pytest.raises(DataError, match="not found"):
        mux_audio(stock / "squat_correct_a.mp4", tmp_path / "none.wav", tmp_path / "o.mp4")
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 1000)
    with pytest.raises(DataError, match="not a readable"):
        mux_audio(tmp_path / "bad.mp4", wav, tmp_path / "o.mp4")
    with pytest.raises(DataError, match="no video stream"):
        mux_audio(wav, wav.with_name("a.wav"), tmp_path / "o.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav", "bad.mp4"]
