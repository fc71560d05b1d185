"""`repcoach sync beep|mux|extract` (the sync beep, a video's sound track) and
`repcoach thermal gei FILE` (thermal GEIs)."""

from __future__ import annotations

from pathlib import Path

import typer

from repcoach.cli.app import app

sync_app = typer.Typer(help="Stream synchronisation (sync beep, clocks).", no_args_is_help=True)
thermal_app = typer.Typer(help="Thermal clips: silhouettes and Gait Energy Images.",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(sync_app, name="sync")
app.add_typer(thermal_app, name="thermal")


@sync_app.command("beep")
def beep(
    file: Path = typer.Argument(..., help="WAV file or video (its audio track, read with ffmpeg)."),
    low_hz: float = typer.Option(800.0, help="Lowest beep frequency searched."),
    high_hz: float = typer.Option(5000.0, help="Highest beep frequency searched."),
    strongest: bool = typer.Option(False, help="Take the strongest tone, not the first."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (onset, frequency, ...)."),
) -> None:
    """Print the onset of the sync beep in seconds from the start of FILE."""
    import json

    from repcoach.sync import detect_beep_file

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
    from repcoach.audio import mux_audio, probe_media

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
    from repcoach.audio import read_audio, write_wav

    x, r = read_audio(file, rate=rate)
    write_wav(out, x, r)
    typer.echo(f"{out}: {len(x) / r:.2f} s at {r} Hz")


@thermal_app.command("gei")
def gei_cmd(
    file: Path = typer.Argument(..., help="Thermal clip: .npz/.npy, image folder or video."),
    out: Path = typer.Option(Path("gei_out"), "--out", "-o", help="Output folder."),
    reps: Path | None = typer.Option(
        None, help="CSV with start_s,end_s columns (one row per repetition) for per-rep GEIs."
    ),
    offset_s: float = typer.Option(0.0, help="Thermal time = repetition time + offset."),
    height: int = typer.Option(64, help="GEI height (pixels)."),
    width: int = typer.Option(64, help="GEI width (pixels)."),
    mode: str = typer.Option("height", help="Alignment: 'height' (standard) or 'fit'."),
    method: str = typer.Option("otsu", help="Silhouettes: 'otsu', 'fixed' or 'background'."),
) -> None:
    """Write the clip's GEI (PNG + .npz) and, with --reps, one GEI per repetition."""
    from rich.console import Console

    from repcoach.errors import DataError
    from repcoach.io.validate import read_spans_csv
    from repcoach.thermal.gei import (
        GeiOptions,
        gei_per_repetition,
        save_gei_png,
        save_geis_npz,
    )
    from repcoach.thermal.io import read_thermal
    from repcoach.thermal.silhouette import SilhouetteOptions, segment_clip

    con = Console()
    spans = None if reps is None else read_spans_csv(reps)  # every input checked before writing
    clip = read_thermal(file)
    opt = GeiOptions(height=height, width=width, mode=mode,
                     silhouette=SilhouetteOptions(method=method))  # fmt: skip
    masks = segment_clip(clip, opt.silhouette)
    whole = gei_per_repetition(clip, [(-1e9, 1e9)], opt, masks=masks)[0]
    if whole.n_silhouettes == 0:
        raise DataError("no body silhouette found in any thermal frame", file)
    stem = file.stem if file.is_file() else file.name
    save_gei_png(out / f"{stem}-gei.png", whole.gei)
    per = []
    if spans is not None:
        per = gei_per_repetition(clip, spans, opt, offset_s, masks=masks)
        for g in per:
            save_gei_png(out / f"{stem}-rep{g.index + 1:02d}-gei.png", g.gei)
    save_geis_npz(out / f"{stem}-gei.npz", per, clip_gei=whole.gei)
    con.print(f"{clip.n_frames} frames, {whole.n_silhouettes} with a silhouette; "
              f"{len(per)} repetition GEIs -> {out}")  # fmt: skip
