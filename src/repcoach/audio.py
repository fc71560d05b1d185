"""Reading and writing audio: WAV files directly, and a video's audio track via FFmpeg.

OpenCV (the video reader here) cannot decode audio, so a video's sound track is read with an
``ffmpeg`` executable when one is available (on ``PATH``, named by ``REPCOACH_FFMPEG``, or from
the ``imageio-ffmpeg`` package). Without one, a WAV file next to the video with the same stem
(``clip.mp4`` -> ``clip.wav``) is used; otherwise a :class:`DataError` says what is missing.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_write

AUDIO_EXTS = (".wav", ".wave")
VIDEO_EXTS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".3gp")


def find_ffmpeg() -> str | None:
    """Path of an ffmpeg executable, or None when none is available."""
    env = os.environ.get("REPCOACH_FFMPEG")
    if env and Path(env).exists():
        return env
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    try:  # optional dependency, not installed by default
        import imageio_ffmpeg  # type: ignore[import-not-found]

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return None


def read_audio(path: str | Path, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read audio as float32 samples in [-1, 1] and the sample rate.

    ``path`` is a WAV file or a video; ``mono`` averages channels (else ``(samples, channels)``).
    """
    path = Path(path)
    if not path.exists():
        raise DataError("audio/video file not found", path)
    ext = path.suffix.lower()
    if ext in AUDIO_EXTS:
        samples, rate = _read_wav(path)
    else:
        samples, rate = _read_video_audio(path)
    if samples.ndim == 2 and mono:
        samples = samples.mean(axis=1)
    if samples.shape[0] == 0:
        raise DataError("audio has no samples", path)
    return samples.astype(np.float32, copy=False), rate


def _read_wav(path: Path | io.BytesIO, name: Path | None = None) -> tuple[np.ndarray, int]:
    from scipy.io import wavfile

    where = name or path
    try:
        with warnings.catch_warnings():  # unknown chunks (e.g. LIST metadata) are fine
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"not a readable WAV file ({e})", where) from None
    if data.dtype == np.uint8:
        x = (data.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):
        x = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    else:
        x = data.astype(np.float32)
    return x, int(rate)


def _read_video_audio(path: Path) -> tuple[np.ndarray, int]:
    exe = find_ffmpeg()
    if exe is None:
        sidecar = path.with_suffix(".wav")
        if sidecar.exists():
            return _read_wav(sidecar)
        raise DataError(
            "reading audio from a video needs an ffmpeg executable (none found on PATH, in "
            "REPCOACH_FFMPEG or from imageio-ffmpeg), and there is no WAV file next to it "
            f"({sidecar.name}). Install ffmpeg (e.g. `apt-get install ffmpeg`) or extract the "
            "audio to a WAV file first",
            path,
        )
    cmd = [exe, "-nostdin", "-v", "error", "-i", str(path), "-vn", "-f", "wav",
           "-acodec", "pcm_s16le", "-"]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DataError(f"ffmpeg failed to run ({e})", path) from None
    if proc.returncode != 0 or not proc.stdout:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise DataError(f"no audio track could be read ({msg[-1] if msg else 'no output'})", path)
    return _read_wav(io.BytesIO(_fix_wav_sizes(proc.stdout)), name=path)


def _fix_wav_sizes(data: bytes) -> bytes:
    """ffmpeg writing WAV to a pipe leaves the RIFF/data sizes unset; patch them."""
    b = bytearray(data)
    if b[:4] != b"RIFF":
        return data
    b[4:8] = (len(b) - 8).to_bytes(4, "little")
    i = b.find(b"data", 12)
    if i >= 0:
        b[i + 4 : i + 8] = (len(b) - i - 8).to_bytes(4, "little")
    return bytes(b)


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> Path:
    """Write float samples in [-1, 1] as 16-bit PCM WAV, atomically."""
    from scipy.io import wavfile

    path = Path(path)
    x = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0)
    pcm = np.round(x * 32767).astype(np.int16)
    with atomic_write(path, "wb") as fh:
        wavfile.write(fh, int(rate), pcm)
    return path
