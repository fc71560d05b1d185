"""`repcoach count`: repetition counts per recording (IMU peaks or the pose segmenter)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from repcoach.cli import options as o
from repcoach.cli.app import app
from repcoach.imu.count import ImuCountOptions, count_dataset
from repcoach.segment.dataset import write_count_outputs


@app.command("count")
def count(
    data: Path = typer.Option(..., "--data", help="indexed dataset (index.csv) or EJUST folder"),
    out: Path = typer.Option(..., "--out", help="output folder (counts.csv, summary.json, PNG)"),
    modality: str = o.modality_option("imu"),
    min_period: float = typer.Option(0.6, help="shortest plausible repetition (s)"),
    max_period: float = typer.Option(10.0, help="longest plausible repetition (s)"),
    method: str = typer.Option(
        "auto", help="IMU: auto | excursion (tilt of all sensors) | signal (1-D gyro signal)"
    ),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Count repetitions in every recording; with true counts, report MAE and within-one."""

    o.check_modality(modality)
    opts = ImuCountOptions(min_period_s=min_period, max_period_s=max_period, method=method)
    rows = count_dataset(data, modality, opts, progress=not quiet)
    summary = write_count_outputs(rows, out)
    con = Console()
    con.print(f"counted {len(rows)} recordings -> {out / 'counts.csv'}")
    if "mae" in summary:
        con.print(
            f"MAE {summary['mae']:.2f} reps (normalised {summary.get('nmae', float('nan')):.3f}), "
            f"within one {100 * summary['obo']:.1f}%, exact {100 * summary['exact']:.1f}% "
            f"(n={summary['n']})"
        )
        if "annotated_boundaries" in summary:
            b = summary["annotated_boundaries"]
            con.print(
                f"annotated reps found (IoU>=0.5): recall {b['recall_iou50']:.2f}, "
                f"precision {b['precision_iou50']:.2f} over {b['n_recordings']} recordings"
            )
