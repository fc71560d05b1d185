"""`repcoach thermal gei FILE`: thermal silhouettes and Gait Energy Images per clip / repetition."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from repcoach.cli.app import app
from repcoach.errors import DataError
from repcoach.io.validate import read_spans_csv
from repcoach.thermal.gei import GeiOptions, gei_per_repetition, save_gei_png, save_geis_npz
from repcoach.thermal.io import read_thermal
from repcoach.thermal.silhouette import SilhouetteOptions, segment_clip

thermal_app = typer.Typer(
    help="Thermal clips: silhouettes and Gait Energy Images.", no_args_is_help=True
)
app.add_typer(thermal_app, name="thermal")


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

    con = Console()
    spans = None if reps is None else read_spans_csv(reps)  # every input checked before writing
    clip = read_thermal(file)
    opt = GeiOptions(height=height, width=width, mode=mode,
                     silhouette=SilhouetteOptions(method=method))
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
