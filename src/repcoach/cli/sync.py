"""`repcoach sync beep|mux|extract`: the sync beep and a video's sound track."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from repcoach.cli.app import app
from repcoach.sync import detect_beep_file
from repcoach.sync.audio import mux_audio, probe_media, read_audio, write_wav

sync_app = typer.Typer(help="Stream synchronisation (sync beep, clocks).", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


@sync_app.command("beep")
def beep(
    file: Path = typer.Argument(..., help="WAV file or video (its audio track, read with ffmpeg)."),
    low_hz: float = typer.Option(800.0, help="Lowest beep frequency searched."),
    high_hz: float = typer.Option(5000.0, help="Highest beep frequency searched."),
    strongest: bool = typer.Option(False, help="Take the strongest tone, not the first."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (onset, frequency, ...)."),
) -> None:
    """Print the onset of the sync beep in seconds from the start of FILE."""

    b = detect_beep_file(str(file), freq_range=(low_hz, high_hz),
                         which="strongest" if strongest else "first")  # fmt: skip
    if json_out:
        typer.echo(json.dumps({"file": str(file), "onset_s": round(b.onset_s, 5),
                               "freq_hz": round(b.freq_hz, 1),
                               "duration_s": round(b.duration_s, 4),
                               "snr_db": round(b.snr_db, 1)}))  # fmt: skip
    else:
        typer.echo(f"{b.onset_s:.4f}")


@sync_app.command("mux")
def mux_cmd(
    video: Path = typer.Argument(..., help="Video whose picture is kept (copied, not re-encoded)."),
    audio: Path = typer.Argument(..., help="WAV (or other audio) to use as the sound track."),
    out: Path = typer.Option(..., "--out", "-o", help="Output video (.mp4/.mov/.mkv/.avi)."),
    shortest: bool = typer.Option(False, help="Cut the output to the shorter stream."),
) -> None:
    """Put AUDIO under VIDEO's picture as its only sound track (e.g. a separately recorded
    track with the sync beep)."""

    mux_audio(video, audio, out, shortest=shortest)
    info = probe_media(out)
    typer.echo(f"{out}: {info.duration_s:.2f} s, audio {info.audio_codec} {info.audio_rate} Hz")


@sync_app.command("extract")
def extract_cmd(
    file: Path = typer.Argument(..., help="Video (or audio file) to read the sound track of."),
    out: Path = typer.Option(..., "--out", "-o", help="Output WAV (16-bit PCM, mono)."),
    rate: int | None = typer.Option(None, help="Resample to this rate (default: the file's)."),
) -> None:
    """Write FILE's audio track as a mono WAV."""

    x, r = read_audio(file, rate=rate)
    write_wav(out, x, r)
    typer.echo(f"{out}: {len(x) / r:.2f} s at {r} Hz")
