"""Reading audio: WAV files in several sample formats and rates, the ffmpeg choice, and videos
without ffmpeg (sidecar WAV). Videos through ffmpeg: tests/test_audio_video.py."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

import repcoach.sync.audio as audio
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


def test_wav_resampled_on_request(tmp_path):
    rate = 16000
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    p = audio.write_wav(tmp_path / "a.wav", x, rate)
    y, r = audio.read_audio(p, rate=8000)
    assert r == 8000 and abs(len(y) - 8000) <= 1
    spec = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spec) * 8000 / len(y) - 440) < 2  # same tone after resampling


def test_repcoach_ffmpeg_override(monkeypatch, tmp_path):
    real = audio.find_ffmpeg()
    assert real is not None  # imageio-ffmpeg is pinned in requirements.lock
    monkeypatch.setenv("REPCOACH_FFMPEG", real)
    assert audio.find_ffmpeg() == real
    monkeypatch.setenv("REPCOACH_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(DataError, match="REPCOACH_FFMPEG"):
        audio.find_ffmpeg()


def test_wav_codec_scipy_cannot_read_goes_through_ffmpeg(tmp_path):
    import subprocess

    rate = 16000
    x = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(rate) / rate)
    src = audio.write_wav(tmp_path / "a.wav", x, rate)
    mulaw = tmp_path / "mulaw.wav"  # G.711 mu-law: scipy's reader rejects it
    subprocess.run([audio.find_ffmpeg(), "-v", "error", "-i", str(src), "-c:a", "pcm_mulaw",
                    str(mulaw)], check=True)  # fmt: skip
    y, r = audio.read_audio(mulaw)
    assert r == rate and len(y) == rate
    assert np.abs(y - x).max() < 0.02  # mu-law quantisation
