"""`repcoach export`: Keras -> TFLite (fp32, int8) with parity checks against Keras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from repcoach.cli import options as o
from repcoach.cli.app import app
from repcoach.deploy.export import default_parity_samples, export_model_dir, held_out_with_extra
from repcoach.models.folder import load_model_config

console = Console()


@app.command("export")
def export_cmd(
    model: Path = typer.Option(..., "--model", "-m", help="Model folder written by training."),
    int8: bool = typer.Option(True, "--int8/--no-int8", help="Also write int8 (dynamic-range)."),
    samples: int = typer.Option(64, help="Held-out samples to check parity on."),
    modality: str | None = typer.Option(
        None, "--modality", help="pose | imu (default: the model folder's; given, it must match)."
    ),
) -> None:
    """Convert the classifier and scorers to .tflite (fp32, int8) and check them against Keras."""

    cfg = load_model_config(model)
    folder_modality = str(cfg.get("modality", "pose"))
    if modality is not None and o.check_modality(modality) != folder_modality:
        raise typer.BadParameter(
            f"{model} holds a {folder_modality} model", param_hint="--modality"
        )
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # retracing notes from predicting with several models
    seq_len, n_features = int(cfg["seq_len"]), int(cfg["n_features"])
    with console.status("loading parity samples"):
        x, extra, source = _parity_inputs(model, cfg, samples)
        if x is None:
            x, source = default_parity_samples(model, seq_len, n_features, n=samples)
    with console.status("converting to TFLite and checking parity"):
        result = export_model_dir(
            model,
            quantize=("fp32", "int8") if int8 else ("fp32",),
            parity_samples=x,
            sample_source=source,
            parity_extra=extra,
        )
    table = export_table(result, title=f"TFLite export of {model}")
    console.print(table)
    console.print(f"parity checked on {result.n_samples} samples: {result.sample_source}")
    if result.scorer_inputs:
        console.print(f"scorer extra inputs {', '.join(result.scorer_inputs)}: "
                      f"{result.extra_source}")  # fmt: skip
    console.print(f"wrote {model / 'export.json'}")


def _parity_inputs(model: Path, cfg: dict[str, Any], n: int) -> tuple[Any, Any, str]:
    """Test-split inputs WITH their scorer extra-input values (durations) for a folder whose
    scorers have extra inputs; ``(None, None, "")`` otherwise or when the split is unavailable
    (the caller then uses :func:`repcoach.deploy.export.default_parity_samples`)."""
    if not cfg.get("scorer_inputs"):
        return None, None, ""

    got = held_out_with_extra(model, n)
    return got if got is not None else (None, None, "")


def export_table(result: Any, title: str) -> Table:
    """Sizes and Keras parity of every exported file (an :class:`ExportResult`), as a table."""
    table = Table(title=title)
    for col in ("model", "precision", "size", "max |diff|", "class agreement"):
        table.add_column(col, justify="left" if col in ("model", "precision") else "right")
    for m in result.models:
        agree = "" if m.class_agreement is None else f"{100 * m.class_agreement:.1f} %"
        table.add_row(
            m.name, m.precision, f"{m.size_bytes / 1e6:.3f} MB", f"{m.max_abs_diff:.2e}", agree
        )
    return table
