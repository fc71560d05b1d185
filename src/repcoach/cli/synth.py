"""`repcoach synth`: write the generated stand-in dataset (EJUST-GYM-3 layout)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console

from repcoach.cli.app import app
from repcoach.errors import RepcoachError
from repcoach.synth.generate import generate_dataset


@app.command("synth")
def synth_cmd(
    out_dir: Path = typer.Argument(..., help="Folder to write the dataset into."),
    participants: int = typer.Option(12, "--participants", "-n", min=1, help="How many people."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed = identical files)."),
    reps_min: int = typer.Option(8, "--reps-min", min=1, help="Fewest repetitions per recording."),
    reps_max: int = typer.Option(12, "--reps-max", min=1, help="Most repetitions per recording."),
    exercises: str = typer.Option(
        "SE,JJ,SU,HK", "--exercises", help="Comma-separated exercise codes or labels."
    ),
    modalities: str = typer.Option(
        "pose", "--modalities", help="Comma-separated: pose, imu, thermal, audio."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Generate participants, per-repetition annotations and frontal/side pose CSVs."""

    if reps_min > reps_max:
        raise RepcoachError(f"--reps-min ({reps_min}) is larger than --reps-max ({reps_max})")
    console = Console()
    t0 = time.perf_counter()
    out = generate_dataset(
        out_dir,
        n_participants=participants,
        seed=seed,
        exercises=[e.strip() for e in exercises.split(",") if e.strip()],
        reps=(reps_min, reps_max),
        modalities=tuple(m.strip() for m in modalities.split(",") if m.strip()),
        progress=not quiet,
    )
    ann = pd.read_csv(out / "annotations.csv")
    n_rec = ann.groupby(["participant", "exercise"]).ngroups
    good = float((ann["score"] > 0.8).mean()) if len(ann) else float("nan")
    console.print(
        f"wrote {participants} participants, {n_rec} recordings, {len(ann)} repetitions "
        f"({good:.0%} with score > 0.8) in {time.perf_counter() - t0:.1f} s"
    )
    console.print(f"  {out / 'participants.csv'}")
    console.print(f"  {out / 'annotations.csv'}")
    console.print(f"  {out}/<firstname-lastname>/<CODE>/{{frontal,side}}/<name><CODE>-<view>.csv")
