"""`repcoach crossval`: grouped k-fold cross-validation of a training recipe, pose or IMU
(``--modality imu``: cross-subject folds of the IMU window classifier or repetition features).
`repcoach imu-crossval` is kept as a hidden, deprecated alias of ``crossval --modality imu``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from repcoach.cli import options as o
from repcoach.cli.app import app
from repcoach.cli.nested import run_imu_nested, run_nested
from repcoach.data.samples import SampleOptions, load_samples
from repcoach.errors import DataError
from repcoach.evaluation.crossval import cross_validate
from repcoach.evaluation.evaluate import write_predictions
from repcoach.evaluation.metrics import classification_section, headline_accuracy
from repcoach.evaluation.repeats import summarise_repeats
from repcoach.evaluation.report import write_report
from repcoach.imu.rep_features import load_rep_feature_set, rep_cross_subject
from repcoach.imu.train import (
    DEFAULT_ROTATE_DEG,
    check_augment_options,
    check_side_mirror,
    check_sides,
    check_train_options,
    check_window_options,
    cross_subject,
    load_window_set,
)
from repcoach.io.atomic import write_json
from repcoach.models.train import TrainOptions

FOLD = typer.Option(
    None,
    "--fold",
    help="Test subject(s) of one fold, comma-separated; repeat "
    "for more folds (default: leave one subject out).",
    rich_help_panel=o.IMU,
)
FEATURES = typer.Option(
    "windows",
    "--features",
    help="windows (CNN on 2 s windows) | rep "
    "(per-repetition duration/amplitude features + a simple model; needs "
    "--unit rep).",
    rich_help_panel=o.IMU,
)
REP_MODEL = typer.Option(
    "logreg", "--rep-model", help="logreg | gbm (--features rep).", rich_help_panel=o.IMU
)


@app.command("crossval")
def crossval_cmd(
    ctx: typer.Context,
    data: Path = typer.Option(
        ..., "--data", help="Dataset folder (index.csv or EJUST layout).", rich_help_panel=o.DATA
    ),
    out: Path = typer.Option(..., "--out", help="Report folder to write.", rich_help_panel=o.DATA),
    modality: str = o.modality_option(),
    folds: int = typer.Option(
        5,
        "--folds",
        "-k",
        help="Number of folds (grouped, stratified; pose).",
        rich_help_panel=o.DATA,
    ),
    task: str = o.TASK,
    epochs: int | None = o.EPOCHS,
    seq_len: int = o.SEQ_LEN,
    clip_mode: str = o.CLIP_MODE,
    window: float = o.WINDOW,
    stride: float = o.STRIDE,
    view: str = o.VIEW,
    group_col: str | None = o.GROUP_COL,
    group_blocks: int = o.GROUP_BLOCKS,
    presence: bool = o.PRESENCE,
    root_motion: bool = o.ROOT_MOTION,
    mirror_average: bool = o.MIRROR_AVERAGE,
    occlusion: float = o.OCCLUSION,
    camera_roll: float = o.CAMERA_ROLL,
    stretch: float = o.STRETCH,
    time_warp: float = o.TIME_WARP,
    n_models: int = o.N_MODELS,
    scorer_inputs: str = o.SCORER_INPUTS,
    scorer_arch: str = o.SCORER_ARCH,
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
    fold: list[str] | None = FOLD,
    features: str = FEATURES,
    rep_model: str = REP_MODEL,
    select: str | None = typer.Option(
        None, "--select", help="Nested selection: recipes of train options separated by ';' "
        "(e.g. '--arch rocket;--arch cnn_deep --presence'); inner folds on each outer-training "
        "part choose one, retrained there and tested on the outer fold.",
        rich_help_panel=o.MODEL),
    inner_folds: int = typer.Option(3, "--inner-folds", help="Inner folds for --select.",
                                    rich_help_panel=o.MODEL),
    score_all: bool = typer.Option(
        False, "--score-all", help="With --select: also score every recipe on every outer "
        "fold, each one's plain cross-subject figure on the same folds (costs one more fit per "
        "recipe and fold; the selection never sees it).", rich_help_panel=o.MODEL),
    repeats: int = typer.Option(
        1, "--repeats", help="Pose: run the whole cross-validation (or --select's nested one) "
        "with fold seeds SEED, SEED+1, ... and report the mean over the repeats (each in "
        "OUT/repeat-<r>/; finished repeats are kept when the job is run again).",
        rich_help_panel=o.DATA),
    seed: int = o.SEED,
    quick: bool = o.QUICK,
    quiet: bool = o.QUIET,
) -> None:
    """k-fold cross-validation by participant/clip/group: every sample is tested once, by a
    model that never saw its group. Writes report.json / report.md / PNGs (no model is kept).
    With --select, nested cross-validation chooses among recipes (repcoach.evaluation.nested)."""
    if score_all and select is None:
        raise typer.BadParameter("scores the recipes of --select: add --select",
                                 param_hint="--score-all")  # fmt: skip
    if o.check_modality(modality) == "imu":
        o.refuse(ctx, {**o.POSE_ONLY, "group_col": "--group-col", "group_blocks": "--group-blocks",
                      "task": "--task", "repeats": "--repeats"}, "pose")  # fmt: skip
        imu_crossval(
            data,
            out,
            arch=arch or "cnn",
            epochs=30 if epochs is None else epochs,
            channels=channels or "",
            unit=unit or "recording",
            label=label or "label",
            fold=fold,
            seed=seed,
            rotate=DEFAULT_ROTATE_DEG if rotate is None else rotate,
            mirror=mirror or "",
            n_models=n_models,
            derived=derived,
            features=features,
            rep_model=rep_model,
            quiet=quiet,
            select=select,
            inner_folds=inner_folds,
            score_all=score_all,
            side_mirror=side_mirror or None,
            copies=copies,
            scale=scale,
        )
        return
    o.refuse(ctx, o.IMU_ONLY, "imu")
    if folds < 2:
        raise typer.BadParameter("need at least 2 folds", param_hint="--folds")
    if repeats < 1:
        raise typer.BadParameter("need at least 1 repeat", param_hint="--repeats")
    sopts, topts = o.pose_options(ctx.params)

    def run(out_dir: Path, opts: TrainOptions) -> dict[str, Any]:
        if select is not None:
            return run_nested(data, out_dir, select, sopts, opts, folds, inner_folds, task,
                              score_all)  # fmt: skip
        return _plain_crossval(data, out_dir, sopts, opts, folds, task)

    if repeats == 1:
        run(out, topts)
    else:
        _repeated(data, out, repeats, topts, _settings(ctx.params), run)


def _plain_crossval(
    data: Path, out: Path, sopts: SampleOptions, topts: TrainOptions, folds: int, task: str
) -> dict[str, Any]:
    """One grouped k-fold cross-validation of a pose recipe; writes and returns the report."""
    samples = load_samples(data, sopts)
    cv = cross_validate(samples, k=folds, options=topts)
    report = {"data": str(data), "task": task, "modality": "pose",
              "evaluated_on": {"protocol": f"{folds}-fold cross-validation, grouped",
                               "grouped_by": o.grouping(sopts),
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
    return report


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    """The command's options that make a repeat what it is (all but where it is written and
    how much it prints), as JSON values: a repeat folder is reused only when they match."""
    keep = {k: v for k, v in sorted(params.items()) if k not in ("out", "quiet", "repeats")}
    return json.loads(json.dumps(keep, default=str))


def _repeated(
    data: Path, out: Path, repeats: int, topts: TrainOptions, settings: dict[str, Any],
    run: Callable[[Path, TrainOptions], dict[str, Any]],
) -> dict[str, Any]:
    """``repeats`` runs with fold seeds ``seed``, ``seed + 1``, ... into ``out/repeat-<r>/``
    (a finished repeat of the same settings is kept: an interrupted job resumes), then the
    summary report (mean over repeats, repeats.png) in ``out``."""
    console = Console()
    reports, seeds = [], []
    for r in range(repeats):
        seed, sub = topts.seed + r, out / f"repeat-{r}"
        marker = sub / "repeat.json"
        done = json.loads(marker.read_text()) if marker.exists() else {}
        if done.get("settings") == settings and done.get("seed") == seed and (
                sub / "report.json").exists():  # fmt: skip
            report = json.loads((sub / "report.json").read_text())
            console.print(f"repeat {r + 1}/{repeats} (fold seed {seed}): finished earlier in "
                          f"{sub}, kept")  # fmt: skip
        else:
            console.print(f"repeat {r + 1}/{repeats} (fold seed {seed}) -> {sub}")
            report = run(sub, replace(topts, seed=seed))
            write_json(marker, {"index": r, "seed": seed, "accuracy": report.get("accuracy"),
                                "settings": settings})  # fmt: skip
        reports.append(report)
        seeds.append(seed)
    summary = summarise_repeats(reports, seeds)
    ev = dict(reports[0].get("evaluated_on") or {})
    ev["protocol"] = (f"{repeats} repeats of {ev.get('protocol', 'cross-validation')} (fold "
                      f"seeds {seeds[0]} to {seeds[-1]}); the accuracy is their mean")  # fmt: skip
    report = {"accuracy": summary["mean"], "accuracy_level": reports[0].get("accuracy_level"),
              "data": str(data), "task": reports[0].get("task"), "modality": "pose",
              "evaluated_on": ev,
              "repeats": {**summary,
                          "folders": [f"repeat-{r}" for r in range(repeats)]}}  # fmt: skip
    write_report(out, report)
    pct = lambda x: "n/a" if x is None else f"{100 * x:.1f} %"  # noqa: E731
    for name, c in (summary.get("candidate_outer") or {}).items():
        console.print(f"recipe {name!r} alone, mean over repeats: {pct(c['mean'])} "
                      f"(sd {pct(c['sd'])})")  # fmt: skip
    console.print(f"{repeats} repeats ({report['accuracy_level']}): mean [bold]"
                  f"{pct(summary['mean'])}[/], sd {pct(summary['sd'])}, range "
                  f"{pct(summary['min'])} to {pct(summary['max'])}; wrote {out / 'report.json'}")
    return report


@app.command("imu-crossval", hidden=True, deprecated=True)
def imu_crossval_alias(
    data: Path = typer.Option(..., "--data"),
    out: Path = typer.Option(..., "--out"),
    arch: str = typer.Option("cnn"),
    epochs: int = typer.Option(30),
    channels: str = typer.Option(""),
    unit: str = typer.Option("recording"),
    label: str = typer.Option("label"),
    fold: list[str] | None = typer.Option(None, "--fold"),
    seed: int = typer.Option(0),
    rotate: float = typer.Option(DEFAULT_ROTATE_DEG),
    mirror: str = typer.Option(""),
    n_models: int = typer.Option(1, "--n-models"),
    derived: bool = typer.Option(False, "--derived"),
    features: str = typer.Option("windows"),
    rep_model: str = typer.Option("logreg", "--rep-model"),
    quiet: bool = typer.Option(False, "--quiet"),
) -> None:
    """Deprecated: use `repcoach crossval --modality imu` (same options)."""
    typer.echo(
        "warning: `repcoach imu-crossval` is deprecated; use `repcoach crossval "
        "--modality imu` (same options)",
        err=True,
    )
    imu_crossval(
        data,
        out,
        arch=arch,
        epochs=epochs,
        channels=channels,
        unit=unit,
        label=label,
        fold=fold,
        seed=seed,
        rotate=rotate,
        mirror=mirror,
        n_models=n_models,
        derived=derived,
        features=features,
        rep_model=rep_model,
        quiet=quiet,
    )


def imu_crossval(
    data: Path,
    out: Path,
    *,
    arch: str,
    epochs: int,
    channels: str,
    unit: str,
    label: str,
    fold: list[str] | None,
    seed: int,
    rotate: float,
    mirror: str,
    n_models: int,
    derived: bool,
    features: str,
    rep_model: str,
    quiet: bool,
    select: str | None = None,
    inner_folds: int = 3,
    score_all: bool = False,
    side_mirror: str | None = None,
    copies: int = 0,
    scale: float = 0.15,
) -> None:
    """Cross-subject evaluation of the IMU classifier: per-window and per-clip (vote) accuracy;
    with ``select``, nested selection among recipes (:mod:`repcoach.imu.nested`)."""
    if select is not None:
        if features != "windows" or fold:
            raise typer.BadParameter("--select works on windows, leave-one-subject-out "
                                     "(no --features rep, no --fold)", param_hint="--select")
        run_imu_nested(data, out, select, inner_folds, channels=channels, unit=unit,
                       label=label, seed=seed, base={"epochs": epochs, "rotate_deg": rotate,
                       "mirror": mirror or None, "n_models": n_models, "derived": derived,
                       "arch": arch, "side_mirror": side_mirror, "augment_copies": copies,
                       "scale_augment": scale}, quiet=quiet, score_all=score_all)  # fmt: skip
        return
    if features == "rep":
        _rep_crossval(data, out, label, fold, rep_model, seed, quiet)
        return
    if features != "windows":
        raise typer.BadParameter("features must be windows or rep")

    try:  # before the data load, so a typo costs nothing
        check_train_options(arch, mirror or None, rotate, n_models)
        check_side_mirror(side_mirror)
        check_augment_options(copies, scale)
        check_window_options(unit, label)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    ws = load_window_set(data, channels or None, unit=unit, label=label, progress=not quiet)
    try:
        if side_mirror:
            check_sides(ws)
    except ValueError as e:
        raise DataError(str(e), Path(data) / "index.csv", column="side") from None
    folds = [f.split(",") for f in fold] if fold else None
    res = cross_subject(
        ws,
        folds,
        progress=not quiet,
        arch=arch,
        epochs=epochs,
        seed=seed,
        rotate_deg=rotate,
        mirror=mirror or None,
        n_models=n_models,
        derived=derived,
        augment_copies=copies,
        scale_augment=scale,
        side_mirror=side_mirror,
    )
    write_json(out / "crossval.json", {k: v for k, v in res.items() if k != "classification"})
    write_report(
        out,
        {
            "data": str(data),
            "modality": "imu",
            "task": label,
            "protocol": res["protocol"],
            "classification": res["classification"],
        },
    )
    con = Console()
    con.print(
        f"{res['protocol']}: window accuracy {100 * res['window_accuracy']:.1f}%, "
        f"per {unit}: majority vote {100 * (res['clip_accuracy'] or 0):.1f}%, "
        f"mean probability {100 * res['clip_accuracy_mean_probability']:.1f}% -> {out}"
    )


def _rep_crossval(
    data: Path, out: Path, label: str, fold: list[str] | None, model: str, seed: int, quiet: bool
) -> None:
    """Per-repetition feature model (repcoach.imu.rep_features), cross-subject."""

    fs = load_rep_feature_set(data, label=label, progress=not quiet)
    folds = [f.split(",") for f in fold] if fold else None
    res = rep_cross_subject(fs, folds, model=model, seed=seed)
    write_json(
        out / "crossval.json", {k: v for k, v in res.items() if k not in ("y_true", "y_pred")}
    )
    write_report(
        out,
        {
            "data": str(data),
            "modality": "imu",
            "task": label,
            "protocol": res["protocol"],
            "classification": classification_section(res["y_true"], res["y_pred"], res["classes"]),
        },
    )
    con = Console()
    for f in res["folds"]:
        con.print(f"test {','.join(f['test_subjects'])}: {100 * f['accuracy']:.1f}% (n={f['n']})")
    con.print(f"{res['protocol']}: pooled {100 * (res['accuracy'] or 0):.1f}% -> {out}")
