"""`repcoach evaluate`: held-out evaluation of a model folder (pose or IMU) and its report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

import repcoach.imu.train as imu_train
from repcoach.cli import options as o
from repcoach.cli.app import app
from repcoach.evaluation.evaluate import evaluate_model_dir
from repcoach.models.folder import load_model_config


@app.command("evaluate")
def evaluate_cmd(
    model: Path = typer.Option(..., "--model", help="Model folder written by `repcoach train`."),
    data: Path = typer.Option(..., "--data", help="Dataset folder."),
    out: Path = typer.Option(..., "--out", help="Report folder (report.json, report.md, PNGs)."),
    modality: str | None = typer.Option(
        None, "--modality", help="pose | imu (default: the model folder's; given, it must match)."
    ),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Evaluate a model folder on held-out data and write the report (Table II, Figs. 6-7)."""

    console = Console()
    cfg = load_model_config(model)
    folder_modality = str(cfg.get("modality", "pose"))
    if modality is not None and o.check_modality(modality) != folder_modality:
        raise typer.BadParameter(
            f"{model} holds a {folder_modality} model", param_hint="--modality"
        )
    if folder_modality == "imu":
        report = imu_train.evaluate_imu(model, data, out)
    else:
        report = evaluate_model_dir(model, data, out, progress=not quiet)
    if isinstance(report, dict):
        acc = report.get("accuracy")
        ev = report.get("evaluated_on") or {}
        acc_s = "n/a" if acc is None else f"{100 * acc:.1f} %"
        console.print(f"accuracy ({report.get('accuracy_level', '?')}): [bold]{acc_s}[/] on "
                      f"{ev.get('n_samples', '?')} samples / {ev.get('n_clips', '?')} clips "
                      f"({ev.get('split', '?')})")  # fmt: skip
        sc = (report.get("scoring") or {}).get("sample")
        if sc:
            console.print(f"scorer MAE {_f3(sc.get('mae'))}, RMSE {_f3(sc.get('rmse'))}, "
                          f"r {_f3(sc.get('pearson_r'))}, accuracy at 0.5 "
                          f"{_f3(sc.get('accuracy_at_0.5'))}")
        if ev.get("warning"):
            console.print(f"[bold yellow]warning:[/] {ev['warning']}")
    console.print(f"wrote {out / 'report.json'} and {out / 'report.md'}")


def _f3(v: object) -> str:
    """A figure with three decimals, or n/a."""
    return f"{v:.3f}" if isinstance(v, int | float) else "n/a"
