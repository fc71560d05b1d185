"""Reading audio: WAV files in several sample formats, and videos (ffmpeg or a sidecar WAV)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

import repcoach.audio as audio
from repcoach.errors import DataError


def test_wav_formats(tmp_path):
    x = 0.5 * np.sin(np.linspace(0, 20, 1600))
    p = audio.write_wav(tmp_path / "a.wav", x, 16000)
    y, rate = audio.read_audio(p)
    assert rate == 16000 and y.dtype == np.float32
    assert np.abs(y - x).max() < 1e-3
    wavfile.write(tmp_path / "f.wav", 8000, np.stack([x, -x], 1).astype(np.float32))
    y, rate = audio.read_audio(tmp_path / "f.wav")
    assert rate == 8000 and y.ndim == 1 and np.abs(y).max() < 1e-6  # stereo averaged
    y2, _ = audio.read_audio(tmp_path / "f.wav", mono=False)
    assert y2.shape == (1600, 2)
    wavfile.write(tmp_path / "u8.wav", 8000, (128 + 100 * x).astype(np.uint8))
    y, _ = audio.read_audio(tmp_path / "u8.wav")
    assert np.abs(y - x * 100 / 128).max() < 0.02


def test_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        audio.read_audio(tmp_path / "none.wav")
    (tmp_path / "bad.wav").write_bytes(b"RIFF1234WAVEjunk")
    with pytest.raises(DataError, match="WAV"):
        audio.read_audio(tmp_path / "bad.wav")


def test_video_without_ffmpeg_uses_sidecar_or_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "find_ffmpeg", lambda: None)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00" * 64)
    with pytest.raises(DataError, match="ffmpeg"):
        audio.read_audio(video)
    audio.write_wav(tmp_path / "clip.wav", np.zeros(800), 16000)
    y, rate = audio.read_audio(video)
    assert rate == 16000 and len(y) == 800


@pytest.mark.skipif(audio.find_ffmpeg() is None, reason="no ffmpeg executable on this machine")
def test_video_audio_track_with_ffmpeg(tmp_path):  # pragma: no cover - needs ffmpeg
    import subprocess

    exe = audio.find_ffmpeg()
    wav = audio.write_wav(tmp_path / "s.wav", 0.3 * np.sin(np.arange(16000) / 3), 16000)
    mp4 = tmp_path / "v.mp4"
    subprocess.run([exe, "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=1",
                    "-i", str(wav), "-shortest", str(mp4)], check=True)  # fmt: skip
    y, rate = audio.read_audio(mp4)
    assert rate == 16000 and 0.9 * 16000 < len(y) < 1.1 * 16000
