"""`repcoach train` and `repcoach evaluate`: thin commands over repcoach.models.train and
repcoach.evaluate (pose), or repcoach.imu.train (IMU)."""

from __future__ import annotations

from pathlib import Path

import typer

from repcoach.cli.app import app

#: Fewer held-out groups than this and `train` warns that a single split says little.
MIN_TEST_GROUPS = 3


def _imu_module():
    from repcoach.errors import RepcoachError

    try:
        import repcoach.imu.train as imu_train
    except ImportError as e:
        raise RepcoachError(
            f"IMU training is not available in this installation (repcoach.imu.train: {e})"
        ) from None
    return imu_train


# Pose input / classifier options shared by `train` and `crossval`.
_PRESENCE = typer.Option(
    False, "--presence",
    help="Append a presence channel per joint (for data with often-unseen joints).",
)
_ROOT_MOTION = typer.Option(
    False, "--root-motion",
    help="Append the body centre's motion (x, y in torso lengths): the global movement "
    "hip-centring removes.",
)
_SCORER_INPUTS = typer.Option(
    "auto", "--scorer-inputs",
    help="Extra scorer inputs: auto (repetition duration for --clip-mode reps) | none | "
    "duration | form (19 push-up form features, MediaPipe-33) | duration+form.",
)
_SCORER_ARCH = typer.Option(
    "bilstm", "--scorer-arch",
    help="Scorer network: bilstm (pose + extra inputs) | mlp (a small MLP on the extra scorer "
    "inputs only, e.g. --scorer-inputs form).",
)
_OCCLUSION = typer.Option(
    0.0, "--occlusion",
    help="Augmentation: chance per training sample of hiding one body part (hips, legs or "
    "arms) as if never tracked; needs --presence (0 = off, the paper's).",
)
_MIRROR_AVERAGE = typer.Option(
    False, "--mirror-average",
    help="The saved classifier averages its output on each input and on its mirror image "
    "(left/right-symmetric exercises only).",
)


@app.command("train")
def train_cmd(
    data: Path = typer.Option(..., "--data", help="Dataset folder (index.csv or EJUST layout)."),
    out: Path = typer.Option(..., "--out", help="Model folder to write."),
    task: str = typer.Option("exercise", help="exercise (classifier + scorers) | correctness."),
    modality: str = typer.Option("pose", help="pose | imu."),
    epochs: int | None = typer.Option(
        None, help="Maximum epochs: pose 100 (early stopping, patience 15); imu 30 (no early "
        "stopping, as imu-crossval)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="pose 32, imu 64."),
    seq_len: int = typer.Option(30, "--seq-len", help="Frames per model input."),
    clip_mode: str = typer.Option("reps", "--clip-mode", help="reps | windows | whole."),
    window: float = typer.Option(2.0, help="Window length in seconds (--clip-mode windows)."),
    stride: float = typer.Option(1.0, help="Window stride in seconds (--clip-mode windows)."),
    view: str = typer.Option("frontal", help="EJUST camera: frontal | side | both."),
    group_col: str | None = typer.Option(
        None, "--group-col", help="index.csv column grouping near-duplicate clips for the split."
    ),
    lstm_units: int = typer.Option(256, "--lstm-units", help="BiLSTM units (paper: 256)."),
    presence: bool = _PRESENCE,
    root_motion: bool = _ROOT_MOTION,
    mirror_average: bool = _MIRROR_AVERAGE,
    occlusion: float = _OCCLUSION,
    no_augment: bool = typer.Option(False, "--no-augment", help="Train without augmentation."),
    no_scorers: bool = typer.Option(False, "--no-scorers", help="Skip correctness scorers."),
    scorer_inputs: str = _SCORER_INPUTS,
    scorer_arch: str = _SCORER_ARCH,
    n_models: int = typer.Option(
        1, "--n-models", help="Train a seed ensemble of this many classifiers (one saved model)."
    ),
    arch: str | None = typer.Option(
        None, "--arch", help="Classifier network. pose: bilstm (the paper's, default) | cnn | "
        "cnn_deep | cnn_attn | cnn_bilstm (temporal CNN) | rocket (MiniRocket + ridge); imu: "
        "cnn (default) | cnn_deep | cnn_attn | cnn_bilstm | rocket."),
    min_epochs: int = typer.Option(
        10, "--min-epochs", help="pose: warm-up epochs never kept as the best (early stopping "
        "counts after them)."),
    mirror: str | None = typer.Option(
        None, "--mirror", help="imu: left-right mirror augmentation axis x | y | z "
        "(default none)."),
    derived: bool = typer.Option(
        False, "--derived", help="imu: add orientation-robust channels inside the model "
        "(|acc|, |gyro|, gravity direction per sensor)."),
    rotate: float | None = typer.Option(
        None, "--rotate", help="imu: random sensor-rotation augmentation in degrees (default "
        "25; 0 = off)."),
    channels: str | None = typer.Option(
        None, "--channels", help="imu: acc | gyro | acc+gyro | all (default per dataset)."),
    unit: str | None = typer.Option(
        None, "--unit", help="imu: recording (default) | rep (annotated repetitions)."),
    label: str | None = typer.Option(
        None, "--label", help="imu: the index column to learn: label (default) | "
        "execution_type | correctness."),
    seed: int = typer.Option(0),
    quick: bool = typer.Option(False, help="Small model, few epochs (smoke test)."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Train the exercise classifier and/or correctness scorers with a cross-subject split.
    --modality imu takes the IMU options (--arch, --mirror, --derived, --rotate) of
    `repcoach imu-crossval`, so the settings measured there can be trained and exported."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    imu_opts = {"--mirror": mirror, "--derived": derived or None, "--rotate": rotate,
                "--channels": channels, "--unit": unit, "--label": label}
    if modality == "imu":
        if task != "exercise":
            raise typer.BadParameter(
                "the IMU model is a classifier of one index column: for execution quality "
                "train it on that column (--label correctness or --label execution_type)",
                param_hint="--task")
        if group_col:
            raise typer.BadParameter("the IMU split is always by subject (index.csv "
                                     "'subject')", param_hint="--group-col")
        if scorer_arch != "bilstm":
            raise typer.BadParameter("the IMU model has no correctness scorers (pose only)",
                                     param_hint="--scorer-arch")
        pose_only = {"--presence": presence, "--root-motion": root_motion,
                     "--mirror-average": mirror_average, "--occlusion": occlusion > 0,
                     "--scorer-inputs": scorer_inputs != "auto"}  # fmt: skip
        given_pose = [name for name, on in pose_only.items() if on]
        if given_pose:
            raise typer.BadParameter(f"{', '.join(given_pose)} only apply to --modality pose "
                                     "(the IMU model has no such option)",
                                     param_hint="--modality")  # fmt: skip
        imu = _imu_module()
        try:
            imu.check_window_options(unit or "recording", label or "label")
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--unit/--label") from None
        axis = (mirror or "none").lower()
        mirror_axis = None if axis == "none" else axis
        for hint, kwargs in (("--arch", {"arch": arch or "cnn"}),
                             ("--mirror", {"mirror": mirror_axis}),
                             ("--rotate", {"rotate_deg": imu.DEFAULT_ROTATE_DEG
                                           if rotate is None else rotate}),
                             ("--n-models", {"n_models": n_models})):  # fmt: skip
            try:
                imu.check_train_options(**kwargs)
            except ValueError as e:
                raise typer.BadParameter(str(e), param_hint=hint) from None
        result = imu.train_imu(
            data, out, task=task, epochs=epochs, batch_size=batch_size, seed=seed, quick=quick,
            group_col=group_col, verbose=0 if quiet else 1, arch=arch or "cnn",
            mirror=mirror_axis, derived=derived, rotate_deg=rotate, n_models=n_models,
            channels=channels or None, unit=unit or "recording", label=label or "label",
        )  # fmt: skip
        console.print(f"wrote IMU model folder [bold]{out}[/]")
        if isinstance(result, dict) and result.get("accuracy") is not None:
            console.print(f"held-out accuracy ({result.get('accuracy_level', '?')}): "
                          f"{100 * result['accuracy']:.1f} %")
        return
    if modality != "pose":
        raise typer.BadParameter("modality must be pose or imu", param_hint="--modality")
    given = [name for name, v in imu_opts.items() if v is not None]
    if given:
        raise typer.BadParameter(f"{', '.join(given)} only apply to --modality imu (the pose "
                                 "model has no such option)", param_hint="--modality")
    epochs = 100 if epochs is None else epochs
    batch_size = 32 if batch_size is None else batch_size
    from repcoach.models.train import TrainOptions, train_model_dir
    from repcoach.samples import SampleOptions

    if occlusion > 0 and not presence:
        raise typer.BadParameter("hides body parts through the presence channels: add "
                                 "--presence", param_hint="--occlusion")
    try:
        sopts = SampleOptions(seq_len=seq_len, clip_mode=clip_mode, window_s=window,
                              stride_s=stride, view=view, group_col=group_col,
                              presence=presence, root_motion=root_motion,
                              progress=not quiet)  # fmt: skip
        topts = TrainOptions(task=task, epochs=epochs, batch_size=batch_size, seed=seed,
                             quick=quick, augment=not no_augment, scorers=not no_scorers,
                             lstm_units=lstm_units, n_models=n_models, arch=arch or "bilstm",
                             min_epochs=min_epochs,
                             mirror_average=mirror_average, occlusion=occlusion,
                             scorer_inputs=scorer_inputs, scorer_arch=scorer_arch,
                             verbose=0 if quiet else 1)  # fmt: skip
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
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
            "(repcoach.models.train.cross_validate) or a split column in index.csv"
        )
    console.print("evaluate held-out data with: "
                  f"repcoach evaluate --model {out} --data {data} --out REPORT_DIR")


@app.command("evaluate")
def evaluate_cmd(
    model: Path = typer.Option(..., "--model", help="Model folder written by `repcoach train`."),
    data: Path = typer.Option(..., "--data", help="Dataset folder."),
    out: Path = typer.Option(..., "--out", help="Report folder (report.json, report.md, PNGs)."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Evaluate a model folder on held-out data and write the report (Table II, Figs. 6-7)."""
    from rich.console import Console

    from repcoach.model_dir import load_model_config

    console = Console()
    cfg = load_model_config(model)
    if cfg.get("modality", "pose") == "imu":
        report = _imu_module().evaluate_imu(model, data, out)
    else:
        from repcoach.evaluate import evaluate_model_dir

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
            console.print(f"scorer MAE {sc.get('mae')}, RMSE {sc.get('rmse')}, "
                          f"r {sc.get('pearson_r')}, accuracy at 0.5 {sc.get('accuracy_at_0.5')}")
        if ev.get("warning"):
            console.print(f"[bold yellow]warning:[/] {ev['warning']}")
    console.print(f"wrote {out / 'report.json'} and {out / 'report.md'}")


@app.command("crossval")
def crossval_cmd(
    data: Path = typer.Option(..., "--data", help="Dataset folder (index.csv or EJUST layout)."),
    out: Path = typer.Option(..., "--out", help="Report folder to write."),
    folds: int = typer.Option(5, "--folds", "-k", help="Number of folds (grouped, stratified)."),
    task: str = typer.Option("exercise", help="exercise (classifier) | correctness (scorers)."),
    epochs: int = typer.Option(100, help="Maximum epochs per fold (early stopping applies)."),
    seq_len: int = typer.Option(30, "--seq-len", help="Frames per model input."),
    clip_mode: str = typer.Option("reps", "--clip-mode", help="reps | windows | whole."),
    window: float = typer.Option(2.0, help="Window length in seconds (--clip-mode windows)."),
    stride: float = typer.Option(1.0, help="Window stride in seconds (--clip-mode windows)."),
    view: str = typer.Option("frontal", help="EJUST camera: frontal | side | both."),
    group_col: str | None = typer.Option(
        None, "--group-col", help="index.csv column grouping near-duplicate clips."
    ),
    presence: bool = _PRESENCE,
    root_motion: bool = _ROOT_MOTION,
    mirror_average: bool = _MIRROR_AVERAGE,
    occlusion: float = _OCCLUSION,
    n_models: int = typer.Option(
        1, "--n-models", help="Train a seed ensemble of this many classifiers (one saved model)."
    ),
    scorer_inputs: str = _SCORER_INPUTS,
    scorer_arch: str = _SCORER_ARCH,
    arch: str = typer.Option(
        "bilstm", "--arch", help="bilstm (the paper's) | cnn | cnn_deep | cnn_attn | cnn_bilstm | "
        "rocket (MiniRocket transform + ridge head)."
    ),
    min_epochs: int = typer.Option(
        10, "--min-epochs", help="Warm-up epochs never kept as the best."
    ),
    select: str | None = typer.Option(
        None, "--select", help="Nested selection: recipes of train options separated by ';' "
        "(e.g. '--arch rocket;--arch cnn_deep --presence'); inner folds on each outer-training "
        "part choose one, retrained there and tested on the outer fold."),
    inner_folds: int = typer.Option(3, "--inner-folds", help="Inner folds for --select."),
    seed: int = typer.Option(0),
    quick: bool = typer.Option(False, help="Small model, few epochs (smoke test)."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """k-fold cross-validation by participant/clip/group: every sample is tested once, by a
    model that never saw its group. Writes report.json / report.md / PNGs (no model is kept).
    With --select, nested cross-validation chooses among recipes (repcoach.models.nested)."""
    from rich.console import Console

    from repcoach.evaluate import headline_accuracy, write_predictions
    from repcoach.models.train import TrainOptions, cross_validate
    from repcoach.report import write_report
    from repcoach.samples import SampleOptions, load_samples

    if folds < 2:
        raise typer.BadParameter("need at least 2 folds", param_hint="--folds")
    if occlusion > 0 and not presence:
        raise typer.BadParameter("hides body parts through the presence channels: add "
                                 "--presence", param_hint="--occlusion")
    try:
        sopts = SampleOptions(seq_len=seq_len, clip_mode=clip_mode, window_s=window,
                              stride_s=stride, view=view, group_col=group_col,
                              presence=presence, root_motion=root_motion,
                              progress=not quiet)  # fmt: skip
        topts = TrainOptions(task=task, epochs=epochs, seed=seed, quick=quick,
                             n_models=n_models, scorer_inputs=scorer_inputs, arch=arch,
                             scorer_arch=scorer_arch,
                             min_epochs=min_epochs, mirror_average=mirror_average,
                             occlusion=occlusion,
                             verbose=0 if quiet else 1)  # fmt: skip
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    if select is not None:
        from repcoach.cli.nested import run_nested

        run_nested(data, out, select, sopts, topts, folds, inner_folds, task)
        return
    samples = load_samples(data, sopts)
    cv = cross_validate(samples, k=folds, options=topts)
    report = {"data": str(data), "task": task, "modality": "pose",
              "evaluated_on": {"protocol": f"{folds}-fold cross-validation, grouped",
                               "n_samples": cv["n_samples"], "n_groups": cv["n_groups"],
                               "includes_training_subjects": False},
              "cross_validation": {k: cv[k] for k in ("k", "per_fold_sample_accuracy",
                                                       "epochs_run", "scorer_inputs")}}  # fmt: skip
    for key in ("classification", "scoring"):
        if key in cv:
            report[key] = cv[key]
    acc, level = headline_accuracy(report)
    report = {"accuracy": acc, "accuracy_level": level, **report}
    write_report(out, report)
    pr = cv["predictions"]
    write_predictions(out / "predictions.csv", pr["samples"], pr["predicted"], pr["proba"],
                      pr["classes"], pr["predicted_score"], pr["fold"])  # fmt: skip
    Console().print(
        f"{folds}-fold accuracy ({level}): "
        + ("n/a" if acc is None else f"[bold]{100 * acc:.1f} %[/]")
        + f" on {cv['n_samples']} samples, {cv['n_groups']} groups; wrote {out / 'report.json'}"
    )
