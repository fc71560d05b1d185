"""`repcoach count`: repetition counts per recording from IMU peaks (or pose)."""

from __future__ import annotations

from pathlib import Path

import typer

from repcoach.cli.app import app


@app.command("count")
def count(
    data: Path = typer.Option(..., "--data", help="indexed dataset (index.csv) or EJUST folder"),
    out: Path = typer.Option(..., "--out", help="output folder (counts.csv, summary.json, PNG)"),
    modality: str = typer.Option("imu", "--modality", help="imu or pose"),
    min_period: float = typer.Option(0.6, help="shortest plausible repetition (s)"),
    max_period: float = typer.Option(10.0, help="longest plausible repetition (s)"),
    method: str = typer.Option(
        "auto", help="IMU: auto | excursion (tilt of all sensors) | signal (1-D gyro signal)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Count repetitions in every recording; with true counts, report MAE and within-one."""
    from rich.console import Console

    from repcoach.imu.count import ImuCountOptions, count_dataset, write_count_outputs

    if modality not in ("imu", "pose"):
        raise typer.BadParameter("modality must be imu or pose")
    opts = ImuCountOptions(min_period_s=min_period, max_period_s=max_period, method=method)
    rows = count_dataset(data, modality, opts, progress=not quiet)
    summary = write_count_outputs(rows, out)
    con = Console()
    con.print(f"counted {len(rows)} recordings -> {out / 'counts.csv'}")
    if "mae" in summary:
        con.print(f"MAE {summary['mae']:.2f} reps, within one {100 * summary['obo']:.1f}%, "
                  f"exact {100 * summary['exact']:.1f}% (n={summary['n']})")
        if "annotated_boundaries" in summary:
            b = summary["annotated_boundaries"]
            con.print(f"annotated reps found (IoU>=0.5): recall {b['recall_iou50']:.2f}, "
                      f"precision {b['precision_iou50']:.2f} over {b['n_recordings']} recordings")


@app.command("imu-crossval")
def imu_crossval(
    data: Path = typer.Option(..., "--data", help="indexed IMU dataset or EJUST folder"),
    out: Path = typer.Option(..., "--out", help="report folder"),
    arch: str = typer.Option("cnn", help="cnn | cnn_deep | cnn_attn | cnn_bilstm | rocket"),
    epochs: int = typer.Option(30),
    channels: str = typer.Option("", help="acc | gyro | acc+gyro | all (default per dataset)"),
    unit: str = typer.Option("recording", help="recording | rep (annotated repetitions)"),
    label: str = typer.Option("label", help="label | execution_type | correctness"),
    fold: list[str] = typer.Option(
        None, "--fold", help="test subject(s) of one fold, comma-separated; repeat for more "
        "folds (default: leave one subject out)"),
    seed: int = typer.Option(0),
    rotate: float = typer.Option(25.0, help="random sensor-rotation augmentation (degrees)"),
    mirror: str = typer.Option("", help="left-right mirror augmentation axis (x|y|z)"),
    n_models: int = typer.Option(1, "--n-models", help="averaged ensemble of this many CNNs"),
    derived: bool = typer.Option(
        False, "--derived", help="add orientation-robust channels inside the model: |acc|, "
        "|gyro| and the window-mean accelerometer (gravity direction) per sensor"),
    features: str = typer.Option(
        "windows", help="windows (CNN on 2 s windows) | rep (per-repetition duration/amplitude "
        "features + simple model; needs --unit rep)"),
    rep_model: str = typer.Option("logreg", "--rep-model", help="logreg | gbm (--features rep)"),
    quiet: bool = typer.Option(False, "--quiet"),
) -> None:
    """Cross-subject evaluation of the IMU classifier: per-window and per-clip (vote) accuracy."""
    from rich.console import Console

    if features == "rep":
        _rep_crossval(data, out, label, fold, rep_model, seed, quiet)
        return
    if features != "windows":
        raise typer.BadParameter("features must be windows or rep")

    from repcoach.imu.train import (
        check_train_options,
        check_window_options,
        cross_subject,
        load_window_set,
    )
    from repcoach.io.atomic import write_json
    from repcoach.report import write_report

    try:  # before the data load, so a typo costs nothing
        check_train_options(arch, mirror or None, rotate, n_models)
        check_window_options(unit, label)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    ws = load_window_set(data, channels or None, unit=unit, label=label, progress=not quiet)
    folds = [f.split(",") for f in fold] if fold else None
    res = cross_subject(ws, folds, progress=not quiet, arch=arch, epochs=epochs, seed=seed,
                        rotate_deg=rotate, mirror=mirror or None, n_models=n_models,
                        derived=derived)
    write_json(out / "crossval.json", {k: v for k, v in res.items() if k != "classification"})
    write_report(out, {"data": str(data), "modality": "imu", "task": label,
                       "protocol": res["protocol"], "classification": res["classification"]})
    con = Console()
    con.print(f"{res['protocol']}: window accuracy {100 * res['window_accuracy']:.1f}%, "
              f"per {unit}: majority vote {100 * (res['clip_accuracy'] or 0):.1f}%, "
              f"mean probability {100 * res['clip_accuracy_mean_probability']:.1f}% -> {out}")


def _rep_crossval(data: Path, out: Path, label: str, fold: list[str] | None, model: str,
                  seed: int, quiet: bool) -> None:
    """Per-repetition feature model (repcoach.imu.rep_features), cross-subject."""
    from rich.console import Console

    from repcoach.evaluate import classification_section
    from repcoach.imu.rep_features import load_rep_feature_set, rep_cross_subject
    from repcoach.io.atomic import write_json
    from repcoach.report import write_report

    fs = load_rep_feature_set(data, label=label, progress=not quiet)
    folds = [f.split(",") for f in fold] if fold else None
    res = rep_cross_subject(fs, folds, model=model, seed=seed)
    write_json(out / "crossval.json", {k: v for k, v in res.items()
                                        if k not in ("y_true", "y_pred")})
    write_report(out, {"data": str(data), "modality": "imu", "task": label,
                       "protocol": res["protocol"],
                       "classification": classification_section(res["y_true"], res["y_pred"],
                                                                res["classes"])})
    con = Console()
    for f in res["folds"]:
        con.print(f"test {','.join(f['test_subjects'])}: {100 * f['accuracy']:.1f}% (n={f['n']})")
    con.print(f"{res['protocol']}: pooled {100 * (res['accuracy'] or 0):.1f}% -> {out}")


@app.command("fusion-experiment")
def fusion_experiment(
    data: Path = typer.Option(..., "--data", help="generated dataset with pose CSVs and IMU"),
    out: Path = typer.Option(..., "--out", help="folder for fusion.json / fusion.md / PNG"),
    epochs: int = typer.Option(15),
    seed: int = typer.Option(0),
    pose_noise: float = typer.Option(1.0, help="pose noise, x feature std"),
    imu_noise: float = typer.Option(0.5, help="IMU noise (g)"),
    test_fraction: float = typer.Option(0.34, "--test-fraction",
                                        help="fraction of participants held out"),
    drop_site: str = typer.Option("rwrist", "--drop-site", help="IMU site of the dropped sensor"),
) -> None:
    """Pose vs IMU vs late fusion on held-out participants, clean and degraded."""
    from rich.console import Console
    from rich.table import Table

    from repcoach.fusion import run_fusion_experiment

    rows = run_fusion_experiment(data, epochs=epochs, seed=seed, pose_noise=pose_noise,
                                 imu_noise_g=imu_noise, out_dir=out,
                                 test_fraction=test_fraction, drop_site=drop_site)
    table = Table("condition", "method", "accuracy")
    for r in rows:
        table.add_row(r["condition"], r["method"], f"{100 * r['accuracy']:.1f}%")
    Console().print(table)
