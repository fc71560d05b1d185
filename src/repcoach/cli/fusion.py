"""`repcoach fusion-experiment`: pose vs IMU vs late fusion, clean and degraded."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from repcoach.cli.app import app
from repcoach.imu.fusion import run_fusion_experiment


@app.command("fusion-experiment")
def fusion_experiment(
    data: Path = typer.Option(..., "--data", help="generated dataset with pose CSVs and IMU"),
    out: Path = typer.Option(..., "--out", help="folder for fusion.json / fusion.md / PNG"),
    epochs: int = typer.Option(15),
    seed: int = typer.Option(0),
    pose_noise: float = typer.Option(1.0, help="pose noise, x feature std"),
    imu_noise: float = typer.Option(0.5, help="IMU noise (g)"),
    test_fraction: float = typer.Option(
        0.34, "--test-fraction", help="fraction of participants held out"
    ),
    drop_site: str = typer.Option("rwrist", "--drop-site", help="IMU site of the dropped sensor"),
) -> None:
    """Pose vs IMU vs late fusion on held-out participants, clean and degraded."""

    rows = run_fusion_experiment(
        data,
        epochs=epochs,
        seed=seed,
        pose_noise=pose_noise,
        imu_noise_g=imu_noise,
        out_dir=out,
        test_fraction=test_fraction,
        drop_site=drop_site,
    )
    table = Table("condition", "method", "accuracy")
    for r in rows:
        table.add_row(r["condition"], r["method"], f"{100 * r['accuracy']:.1f}%")
    Console().print(table)
