"""`repcoach train`: a thin command over repcoach.models.train (pose) or repcoach.imu.train."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

import repcoach.imu.train as imu_train
from repcoach.cli import options as o
from repcoach.cli.app import app
from repcoach.cli.checks import check_output_folder
from repcoach.models.train import train_model_dir

#: Fewer held-out groups than this and `train` warns that a single split says little.
MIN_TEST_GROUPS = 3


@app.command("train")
def train_cmd(
    ctx: typer.Context,
    data: Path = typer.Option(
        ..., "--data", help="Dataset folder (index.csv or EJUST layout).", rich_help_panel=o.DATA
    ),
    out: Path = typer.Option(..., "--out", help="Model folder to write.", rich_help_panel=o.DATA),
    task: str = o.TASK,
    modality: str = o.modality_option(),
    epochs: int | None = o.EPOCHS,
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="pose 32, imu 64.", rich_help_panel=o.MODEL
    ),
    seq_len: int = o.SEQ_LEN,
    clip_mode: str = o.CLIP_MODE,
    window: float = o.WINDOW,
    stride: float = o.STRIDE,
    view: str = o.VIEW,
    group_col: str | None = o.GROUP_COL,
    lstm_units: int = o.LSTM_UNITS,
    presence: bool = o.PRESENCE,
    root_motion: bool = o.ROOT_MOTION,
    mirror_average: bool = o.MIRROR_AVERAGE,
    occlusion: float = o.OCCLUSION,
    camera_roll: float = o.CAMERA_ROLL,
    stretch: float = o.STRETCH,
    time_warp: float = o.TIME_WARP,
    no_augment: bool = o.NO_AUGMENT,
    no_scorers: bool = typer.Option(
        False, "--no-scorers", help="Skip correctness scorers.", rich_help_panel=o.SCORERS
    ),
    scorer_inputs: str = o.SCORER_INPUTS,
    scorer_arch: str = o.SCORER_ARCH,
    n_models: int = o.N_MODELS,
    arch: str | None = o.ARCH,
    min_epochs: int = o.MIN_EPOCHS,
    mirror: str | None = o.MIRROR,
    derived: bool = o.DERIVED,
    rotate: float | None = o.ROTATE,
    side_mirror: str | None = o.SIDE_MIRROR,
    copies: int = o.COPIES,
    scale: float = o.SCALE,
    channels: str | None = o.CHANNELS,
    unit: str | None = o.UNIT,
    label: str | None = o.LABEL,
    seed: int = o.SEED,
    quick: bool = o.QUICK,
    quiet: bool = o.QUIET,
) -> None:
    """Train the exercise classifier and/or correctness scorers with a cross-subject split.
    --modality imu takes the IMU options (--arch, --mirror, --derived, --rotate, --side-mirror,
    --copies, --scale) of
    `repcoach crossval --modality imu`, so the settings measured there can be trained and
    exported."""

    console = Console()
    if epochs is not None and epochs < 1:
        raise typer.BadParameter(f"must be at least 1 (got {epochs}): an untrained model "
                                 "would be saved", param_hint="--epochs")
    check_output_folder(out, "--out")
    if modality == "imu":
        if task != "exercise":
            raise typer.BadParameter(
                "the IMU model is a classifier of one index column: for execution quality "
                "train it on that column (--label correctness or --label execution_type)",
                param_hint="--task",
            )
        if group_col:
            raise typer.BadParameter(
                "the IMU split is always by subject (index.csv 'subject')", param_hint="--group-col"
            )
        if scorer_arch != "bilstm":
            raise typer.BadParameter(
                "the IMU model has no correctness scorers (pose only)", param_hint="--scorer-arch"
            )
        o.refuse(ctx, o.POSE_ONLY, "pose")
        imu = imu_train
        try:
            imu.check_window_options(unit or "recording", label or "label")
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--unit/--label") from None
        axis = (mirror or "none").lower()
        mirror_axis = None if axis == "none" else axis
        rotate_deg = imu.DEFAULT_ROTATE_DEG if rotate is None else rotate
        for hint, check in (("--arch", partial(imu.check_train_options, arch=arch or "cnn")),
                            ("--mirror", partial(imu.check_train_options, mirror=mirror_axis)),
                            ("--rotate", partial(imu.check_train_options, rotate_deg=rotate_deg)),
                            ("--n-models", partial(imu.check_train_options, n_models=n_models)),
                            ("--side-mirror", partial(imu.check_side_mirror, side_mirror or None)),
                            ("--copies/--scale",
                             partial(imu.check_augment_options, copies, scale))):  # fmt: skip
            try:
                check()
            except ValueError as e:
                raise typer.BadParameter(str(e), param_hint=hint) from None
        result = imu.train_imu(
            data, out, task=task, epochs=epochs, batch_size=batch_size, seed=seed, quick=quick,
            group_col=group_col, verbose=0 if quiet else 1, arch=arch or "cnn",
            mirror=mirror_axis, derived=derived, rotate_deg=rotate, n_models=n_models,
            side_mirror=side_mirror or None, augment_copies=copies, scale_augment=scale,
            channels=channels or None, unit=unit or "recording", label=label or "label",
        )  # fmt: skip
        console.print(f"wrote IMU model folder [bold]{out}[/]")
        if isinstance(result, dict) and result.get("accuracy") is not None:
            console.print(
                f"held-out accuracy ({result.get('accuracy_level', '?')}): "
                f"{100 * result['accuracy']:.1f} %"
            )
        return
    o.check_modality(modality)
    o.refuse(ctx, o.IMU_ONLY, "imu")
    sopts, topts = o.pose_options(ctx.params)
    res = train_model_dir(data, out, sopts, topts)
    cfg = res.config
    table = Table(title=f"trained {out}", show_header=False)
    table.add_row("task", str(cfg["task"]))
    table.add_row("layout / input", f"{cfg['layout']}  ({cfg['seq_len']} x {cfg['n_features']})")
    table.add_row("classes", ", ".join(cfg["classes"]))
    table.add_row("split", f"{cfg['split']['source']} by {cfg['split']['group_by']}")
    for name, n in res.n_samples.items():
        groups = len(cfg["split"]["groups"].get(name, []))
        table.add_row(f"{name} samples", f"{n}  ({groups} groups)")
    if res.val_accuracy is not None:
        table.add_row("validation accuracy", f"{100 * res.val_accuracy:.1f} %")
    for label, mae in res.val_score_mae.items():
        table.add_row(f"validation MAE {label}", f"{mae:.3f}")
    table.add_row("scorers", ", ".join(cfg.get("scorers") or []) or "none")
    console.print(table)
    test_groups = len(cfg["split"]["groups"].get("test", []))
    if test_groups < MIN_TEST_GROUPS:
        console.print(
            f"[yellow]warning:[/] only {test_groups} group(s) held out for testing: figures on "
            "so few groups are noise; prefer k-fold cross-validation "
            f"(repcoach crossval --data {data} --folds 5) or a split column in index.csv"
        )
    console.print(
        "evaluate held-out data with: "
        f"repcoach evaluate --model {out} --data {data} --out REPORT_DIR"
    )
