"""Generated audio for the RGB videos: room noise, exercise sounds and a sync beep.

The beep (a 1-4 kHz tone, 100-200 ms, 5 ms raised-cosine ramps) sits at a known time before
the first repetition; that time goes to a sidecar JSON (``<name><CODE>-frontal.sync.json``:
``beep_s``, ``beep_hz``, ``beep_duration_s``, ``rate``) so detection can be checked. Background:
pink-ish noise, mains hum (50/100 Hz), and a thump (broadband, low-passed) at each repetition
boundary, as feet landing or a back touching the mat.

:func:`write_beep_video` puts such a track (optionally with white noise at a chosen SNR) under a
real video's picture, or under a generated test pattern, to test reading audio from videos.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.io.atomic import atomic_path, write_json
from repcoach.io.ejust import format_name
from repcoach.sync.audio import find_ffmpeg, mux_audio, probe_media, write_wav


@dataclass(frozen=True)
class BeepSpec:
    """Where and what the beep is."""

    onset_s: float
    freq_hz: float = 2000.0
    duration_s: float = 0.15
    amplitude: float = 0.3
    ramp_s: float = 0.005


def beep_tone(spec: BeepSpec, rate: int) -> np.ndarray:
    """The beep waveform (starting at its onset)."""
    n = int(round(spec.duration_s * rate))
    t = np.arange(n) / rate
    x = spec.amplitude * np.sin(2 * np.pi * spec.freq_hz * t)
    r = max(1, int(round(spec.ramp_s * rate)))
    ramp = 0.5 * (1 - np.cos(np.pi * np.arange(r) / r))
    x[:r] *= ramp
    x[-r:] *= ramp[::-1]
    return x


def add_at(x: np.ndarray, sound: np.ndarray, start_s: float, rate: int) -> None:
    """Add ``sound`` into ``x`` starting at ``start_s`` (clipped to the buffer), in place."""
    i = int(round(start_s * rate))
    if i >= len(x) or i + len(sound) <= 0:
        return
    a, b = max(0, -i), min(len(sound), len(x) - i)
    x[i + a : i + b] += sound[a:b]


def room_noise(n: int, rate: int, rng: np.random.Generator, level: float = 0.01) -> np.ndarray:
    """Pink-ish noise (1/f by FFT shaping) plus mains hum at 50 and 100 Hz."""
    spec = np.fft.rfft(rng.normal(0, 1, n))
    f = np.fft.rfftfreq(n, 1 / rate)
    spec /= np.sqrt(np.maximum(f, 20.0))
    x = np.fft.irfft(spec, n)
    x *= level / (x.std() + 1e-12)
    t = np.arange(n) / rate
    x += 0.3 * level * np.sin(2 * np.pi * 50 * t) + 0.15 * level * np.sin(2 * np.pi * 100 * t)
    return x


def thump(rate: int, rng: np.random.Generator, amplitude: float = 0.1) -> np.ndarray:
    """A short broadband, decaying impact sound (footstep / mat)."""
    n = int(0.08 * rate)
    t = np.arange(n) / rate
    x = rng.normal(0, 1, n) * np.exp(-t / 0.012) + np.sin(2 * np.pi * 90 * t) * np.exp(-t / 0.03)
    return amplitude * x / (np.abs(x).max() + 1e-12)


def synth_audio(
    duration_s: float,
    beep: BeepSpec,
    rng: np.random.Generator,
    rate: int = 16000,
    events_s: list[float] | None = None,
    noise_level: float = 0.01,
) -> np.ndarray:
    """Mono audio of ``duration_s``: room noise, a thump at each event time, and the beep."""
    n = int(round(duration_s * rate))
    x = room_noise(n, rate, rng, noise_level)
    for t in events_s or []:
        add_at(x, thump(rate, rng, float(rng.uniform(0.05, 0.15))), t, rate)
    add_at(x, beep_tone(beep, rate), beep.onset_s, rate)
    return np.clip(x, -1.0, 1.0)


def write_audio(
    recording: Any,
    participant: Any,
    code: str,
    rec_dir: str | Path,
    rng: np.random.Generator,
    rate: int = 16000,
    views: tuple[str, ...] = ("frontal",),
) -> Path:
    """Write ``rec_dir/<view>/<name><CODE>-<view>.wav`` (+ ``.sync.json``) for each view; return
    the frontal WAV's path. The beep is placed before the first repetition (or near the start
    when the first repetition begins early)."""

    name = str(getattr(participant, "name", participant))
    duration = float(recording.duration_s)
    reps = list(getattr(recording, "reps", []) or [])
    first = float(getattr(reps[0], "start_s", 1.0)) if reps else min(1.0, duration / 2)
    beep_s = float(rng.uniform(0.15, max(0.2, min(first - 0.3, 1.5))))
    spec = BeepSpec(
        onset_s=beep_s,
        freq_hz=float(rng.choice([1000.0, 2000.0, 3000.0, 4000.0])),
        duration_s=float(rng.uniform(0.1, 0.2)),
        amplitude=float(rng.uniform(0.15, 0.4)),
    )
    events = []
    for r in reps:
        events += [float(getattr(r, "start_s", np.nan)), float(getattr(r, "end_s", np.nan))]
    events = sorted({round(e, 3) for e in events if np.isfinite(e)})
    out = None
    for view in views:
        x = synth_audio(duration, spec, rng, rate, events)
        wav = Path(rec_dir) / view / format_name(name, code, view, "wav")
        write_wav(wav, x, rate)
        write_json(wav.with_name(wav.stem + ".sync.json"), {
            "beep_s": spec.onset_s,
            "beep_hz": spec.freq_hz,
            "beep_duration_s": spec.duration_s,
            "rate": rate,
            "duration_s": duration,
        })  # fmt: skip
        out = out or wav
    assert out is not None
    return out


def white_noise_for_snr(
    n: int, beep: BeepSpec, snr_db: float, rng: np.random.Generator
) -> np.ndarray:
    """White noise whose RMS is ``snr_db`` below the beep's RMS (amplitude / sqrt 2) over the
    full band, the SNR definition the beep-detection accuracy figures use."""
    sigma = beep.amplitude / np.sqrt(2.0) / 10 ** (snr_db / 20.0)
    return rng.normal(0.0, sigma, n)


def pattern_video(
    out: str | Path, duration_s: float, fps: float = 30.0, size: tuple[int, int] = (160, 120)
) -> Path:
    """A silent H.264 test-pattern video (ffmpeg's ``testsrc2``), written atomically."""
    exe = find_ffmpeg()
    if exe is None:
        raise RuntimeError("making a test video needs ffmpeg (imageio-ffmpeg)")
    out = Path(out)
    w, h = size
    with atomic_path(out) as tmp:
        subprocess.run(
            [exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             f"testsrc2=size={w}x{h}:rate={fps:g}:duration={duration_s:g}", "-an",
             "-c:v", "libx264", "-pix_fmt", "yuv420p", str(tmp)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return out


def write_beep_video(
    out: str | Path,
    beep: BeepSpec,
    rng: np.random.Generator,
    video: str | Path | None = None,
    duration_s: float | None = None,
    rate: int = 48000,
    snr_db: float | None = None,
    noise_level: float = 0.002,
    events_s: list[float] | None = None,
) -> Path:
    """Write ``out`` (.mp4/.mov/.mkv/.avi): ``video``'s picture (copied; a generated test pattern
    of ``duration_s`` when None) with a sound track holding ``beep`` over room noise, plus white
    noise at ``snr_db`` relative to the beep when given. The truth goes to
    ``<out stem>.sync.json`` (``beep_s``, ``beep_hz``, ``beep_duration_s``, ``rate``,
    ``snr_db``). The intermediate WAV lives in a temporary folder that is always removed."""
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="repcoach-beep-") as tmpdir:
        if video is None:
            video = pattern_video(Path(tmpdir) / "pattern.mp4", duration_s or 5.0)
        if duration_s is None:
            duration_s = probe_media(video).duration_s
            if not np.isfinite(duration_s):
                raise ValueError(f"cannot tell the duration of {video}; pass duration_s")
        x = synth_audio(float(duration_s), beep, rng, rate, events_s, noise_level)
        if snr_db is not None:
            x = x + white_noise_for_snr(len(x), beep, snr_db, rng)
        wav = write_wav(Path(tmpdir) / "track.wav", np.clip(x, -1.0, 1.0), rate)
        mux_audio(video, wav, out)
    write_json(out.with_name(out.stem + ".sync.json"), {
        "beep_s": beep.onset_s, "beep_hz": beep.freq_hz, "beep_duration_s": beep.duration_s,
        "beep_amplitude": beep.amplitude, "rate": rate, "snr_db": snr_db,
        "duration_s": float(duration_s),
    })  # fmt: skip
    return out
