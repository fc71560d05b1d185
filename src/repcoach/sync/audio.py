"""Reading and writing audio: WAV files directly, a video's sound track through FFmpeg, and
muxing a WAV into a video.

OpenCV (the video reader here) cannot decode audio, so a video's sound track is decoded by an
``ffmpeg`` executable: the one named by ``REPCOACH_FFMPEG``, else the static binary bundled with
the pinned ``imageio-ffmpeg`` package, else one on ``PATH``. ffmpeg writes float32 PCM to a pipe
(no temporary files). Without any ffmpeg, a WAV next to the video with the same stem
(``clip.mp4`` -> ``clip.wav``) is used; otherwise a :class:`DataError` says what is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_path, atomic_write
from repcoach.io.media import AUDIO_EXTENSIONS

# audio codec used by mux_audio for each output container
_MUX_CODECS = {".mp4": "aac", ".m4v": "aac", ".mov": "aac", ".3gp": "aac", ".mkv": "aac",
               ".webm": "libopus", ".avi": "pcm_s16le"}  # fmt: skip
_TIMEOUT_S = 600


def find_ffmpeg() -> str | None:
    """Path of an ffmpeg executable, or None when none is available.

    Order: ``REPCOACH_FFMPEG`` (a path or a name on ``PATH``; a value that resolves to nothing
    raises :class:`DataError` rather than silently using another ffmpeg), the pinned
    ``imageio-ffmpeg`` package's bundled binary, ``ffmpeg`` on ``PATH``.
    """
    env = os.environ.get("REPCOACH_FFMPEG")
    if env:
        exe = env if Path(env).is_file() else shutil.which(env)
        if exe is None:
            raise DataError(f"REPCOACH_FFMPEG={env!r} is not an executable file; unset it to "
                            "use imageio-ffmpeg's bundled ffmpeg")  # fmt: skip
        return exe
    try:
        import imageio_ffmpeg

        exe = str(imageio_ffmpeg.get_ffmpeg_exe())
        if Path(exe).is_file():
            return exe
    except Exception:  # noqa: BLE001 - not installed or no binary: try PATH
        pass
    return shutil.which("ffmpeg")


def _require_ffmpeg(what: str) -> str:
    exe = find_ffmpeg()
    if exe is None:
        raise DataError(
            f"{what} needs an ffmpeg executable (none in REPCOACH_FFMPEG, from the imageio-ffmpeg "
            "package or on PATH); install the pinned requirements (imageio-ffmpeg) or ffmpeg"
        )
    return exe


def _run_ffmpeg(args: list[str], path: Path) -> subprocess.CompletedProcess[bytes]:
    cmd = [_require_ffmpeg("this"), "-nostdin", "-hide_banner", "-loglevel", "error", *args]
    try:
        return subprocess.run(cmd, capture_output=True, check=False, timeout=_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DataError(f"ffmpeg failed to run ({e})", path) from None


def _check_input(path: Path) -> None:
    if not path.exists():
        raise DataError("audio/video file not found", path)
    if path.is_dir():
        raise DataError("is a folder; expected an audio or video file", path)
    if path.stat().st_size == 0:
        raise DataError("file is empty (0 bytes); expected an audio or video file", path)


# ----------------------------------------------------------------------------- probing


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds, as ffmpeg reports it: duration (s, NaN when unknown), whether
    it has video / audio streams, and the first audio stream's rate (Hz), channels and codec."""

    duration_s: float
    has_video: bool
    has_audio: bool
    audio_rate: int | None = None
    audio_channels: int | None = None
    audio_codec: str | None = None
    video_fps: float | None = None


_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6,
             "6.1": 7, "7.1": 8}  # fmt: skip


def probe_media(path: str | Path) -> MediaInfo:
    """Streams and duration of a video or audio file (``ffmpeg -i``; raises :class:`DataError`
    for a missing, empty or unreadable file)."""
    path = Path(path)
    _check_input(path)
    proc = _run_ffmpeg(["-loglevel", "info", "-i", str(path)], path)
    err = proc.stderr.decode(errors="replace")
    if "Input #0" not in err:
        raise DataError(f"not a readable audio/video file, corrupt or truncated "
                        f"({_last_line(err)})", path)  # fmt: skip
    m = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", err)
    duration = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else float("nan")
    streams = re.findall(r"Stream #\d+:\d+\S*: (Video|Audio): (.*)", err)
    video = [d for k, d in streams if k == "Video"]
    audio = [d for k, d in streams if k == "Audio"]
    rate = channels = codec = fps = None
    if audio:
        d = audio[0]
        codec = d.split(",")[0].split()[0]
        r = re.search(r"(\d+) Hz", d)
        rate = int(r[1]) if r else None
        c = re.search(r"Hz, ([^,]+)", d)
        if c:
            name = c[1].strip().split("(")[0]
            n = re.match(r"(\d+) channels", c[1].strip())
            channels = int(n[1]) if n else _CHANNELS.get(name)
    if video:
        f = re.search(r"([\d.]+) fps", video[0])
        fps = float(f[1]) if f else None
    return MediaInfo(float(duration), bool(video), bool(audio), rate, channels, codec, fps)


def _last_line(err: str) -> str:
    lines = [ln.strip() for ln in err.strip().splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("At least one output")] or lines
    return lines[-1] if lines else "no output"


# ----------------------------------------------------------------------------- reading


def read_audio(
    path: str | Path, mono: bool = True, rate: int | None = None
) -> tuple[np.ndarray, int]:
    """Read audio as float32 samples in [-1, 1] and the sample rate.

    ``path`` is a WAV file, a video (.mp4/.mov/.avi/.mkv/...: its first audio track, through
    ffmpeg) or another audio format ffmpeg decodes. ``mono`` averages channels (else
    ``(samples, channels)``); ``rate`` resamples to that rate (default: the file's own). Sample 0
    is the file's t = 0 (a track starting late is padded with silence), so onsets are on the
    video's clock. Raises :class:`DataError` for a missing, empty or corrupt file, a video
    without an audio track, or an empty track.
    """
    path = Path(path)
    _check_input(path)
    if rate is not None and int(rate) <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    if path.suffix.lower() in AUDIO_EXTENSIONS:
        try:
            samples, native = _read_wav(path)
        except DataError:
            if find_ffmpeg() is None:
                raise
            try:  # a WAV codec scipy does not read (ADPCM, mu-law, ...)
                samples, native = _read_ffmpeg_audio(path, mono, rate)
            except DataError:
                raise DataError("not a readable WAV file (scipy and ffmpeg both failed)",
                                path) from None  # fmt: skip
        if rate is not None and int(rate) != native:
            samples = _resample(samples, native, int(rate))
            native = int(rate)
    else:
        samples, native = _read_video_audio(path, mono, rate)
    if samples.ndim == 2 and mono:
        samples = samples.mean(axis=1)
    if samples.shape[0] == 0:
        raise DataError("audio has no samples", path)
    return samples.astype(np.float32, copy=False), int(native)


def _resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:


    g = gcd(int(src), int(dst))
    return resample_poly(x, dst // g, src // g, axis=0).astype(np.float32)


def _read_wav(path: Path) -> tuple[np.ndarray, int]:

    try:
        with warnings.catch_warnings():  # unknown chunks (e.g. LIST metadata) are fine
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"not a readable WAV file ({e})", path) from None
    if data.dtype == np.uint8:
        x = (data.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):
        x = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    else:
        x = data.astype(np.float32)
    return x, int(rate)


def _read_video_audio(path: Path, mono: bool, rate: int | None) -> tuple[np.ndarray, int]:
    if find_ffmpeg() is None:
        sidecar = path.with_suffix(".wav")
        if sidecar.exists():
            samples, native = _read_wav(sidecar)
            if rate is not None and int(rate) != native:
                return _resample(samples, native, int(rate)), int(rate)
            return samples, native
        raise DataError(
            "reading audio from a video needs an ffmpeg executable (none in REPCOACH_FFMPEG, "
            "from the imageio-ffmpeg package or on PATH), and there is no WAV file next to it "
            f"({sidecar.name}). Install the pinned requirements (imageio-ffmpeg) or ffmpeg, or "
            "extract the audio to a WAV file first",
            path,
        )
    return _read_ffmpeg_audio(path, mono, rate)


def _read_ffmpeg_audio(path: Path, mono: bool, rate: int | None) -> tuple[np.ndarray, int]:
    """Decode the first audio track to float32 WAV on a pipe and parse it."""
    resample = f"aresample={int(rate)}:" if rate else "aresample="
    args = ["-i", str(path), "-map", "0:a:0?", "-vn", "-sn", "-dn",
            "-af", resample + "async=1:first_pts=0"]  # fmt: skip
    if mono:
        args += ["-ac", "1"]
    args += ["-map_metadata", "-1", "-fflags", "+bitexact", "-c:a", "pcm_f32le", "-f", "wav", "-"]
    proc = _run_ffmpeg(args, path)
    err = proc.stderr.decode(errors="replace")
    if "does not contain any stream" in err or "matches no streams" in err:
        raise DataError("has no audio track; record with sound, or give the audio as a WAV "
                        "file", path)  # fmt: skip
    if proc.returncode != 0 or not proc.stdout:
        raise DataError(f"no audio could be decoded: the file is corrupt, truncated or not a "
                        f"media file ({_last_line(err)})", path)  # fmt: skip
    return _parse_f32_wav(proc.stdout, path)


def _parse_f32_wav(data: bytes, path: Path) -> tuple[np.ndarray, int]:
    """Parse ffmpeg's float32 WAV from a pipe (its RIFF/data sizes are unset there)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise DataError("ffmpeg did not produce WAV output", path)
    i, channels, rate = 12, 0, 0
    while i + 8 <= len(data):
        cid, size = data[i : i + 4], int.from_bytes(data[i + 4 : i + 8], "little")
        if cid == b"fmt ":
            channels = int.from_bytes(data[i + 10 : i + 12], "little")
            rate = int.from_bytes(data[i + 12 : i + 16], "little")
        elif cid == b"data":
            if channels <= 0 or rate <= 0:
                break
            body = data[i + 8 :]
            body = body[: len(body) - len(body) % (4 * channels)]
            x = np.frombuffer(body, dtype="<f4").reshape(-1, channels)
            return (x[:, 0] if channels == 1 else x).astype(np.float32), rate
        i += 8 + size + (size & 1)
    raise DataError("ffmpeg's WAV output has no format or data chunk", path)


# ----------------------------------------------------------------------------- writing


def mux_audio(
    video: str | Path,
    audio: str | Path,
    out: str | Path,
    audio_codec: str | None = None,
    shortest: bool = False,
) -> Path:
    """Write ``out``: ``video``'s picture (copied, not re-encoded) with ``audio`` (a WAV or any
    audio ffmpeg reads) as its only sound track, atomically.

    The audio codec follows ``out``'s container (AAC for .mp4/.mov/.mkv, PCM for .avi, Opus for
    .webm) unless ``audio_codec`` is given; ``shortest`` cuts the output to the shorter stream.
    Any audio ``video`` had is dropped. Raises :class:`DataError` for missing or unreadable
    inputs or a ``video`` without a picture.
    """
    video, audio, out = Path(video), Path(audio), Path(out)
    _check_input(video)
    _check_input(audio)
    if out.resolve() in (video.resolve(), audio.resolve()):
        raise ValueError(f"output {out} would overwrite an input")
    codec = audio_codec or _MUX_CODECS.get(out.suffix.lower())
    if codec is None:
        raise ValueError(f"unknown video container {out.suffix!r}; pass audio_codec or use one "
                         f"of {sorted(_MUX_CODECS)}")  # fmt: skip
    with atomic_path(out) as tmp:
        args = ["-y", "-i", str(video), "-i", str(audio), "-map", "0:v:0?", "-map", "1:a:0?",
                "-c:v", "copy", "-c:a", codec]  # fmt: skip
        if shortest:
            args.append("-shortest")
        args.append(str(tmp))
        proc = _run_ffmpeg(args, out)
        err = proc.stderr.decode(errors="replace")
        if proc.returncode != 0:
            if "Error opening input" in err or "Invalid data found" in err:
                bad = audio if str(audio) in err else video
                raise DataError(f"not a readable media file ({_last_line(err)})", bad)
            raise DataError(f"ffmpeg could not mux the audio into the video ({_last_line(err)})",
                            out)  # fmt: skip
        info = probe_media(tmp)
        if not info.has_video:
            raise DataError("has no video stream to put the audio under", video)
        if not info.has_audio:
            raise DataError("has no audio stream to mux", audio)
    return out


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> Path:
    """Write float samples in [-1, 1] as 16-bit PCM WAV, atomically."""

    path = Path(path)
    x = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0)
    pcm = np.round(x * 32767).astype(np.int16)
    with atomic_write(path, "wb") as fh:
        wavfile.write(fh, int(rate), pcm)
    return path
