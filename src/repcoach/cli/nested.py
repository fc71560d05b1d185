"""`repcoach crossval --select`: nested selection over recipes (repcoach.evaluation.nested; IMU:
repcoach.imu.nested)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from repcoach.cli import options as o
from repcoach.errors import DataError
from repcoach.evaluation.evaluate import write_predictions
from repcoach.evaluation.metrics import headline_accuracy
from repcoach.evaluation.nested import nested_cross_validate, parse_recipes
from repcoach.evaluation.report import write_report
from repcoach.imu.nested import nested_cross_subject, parse_imu_recipes
from repcoach.imu.train import check_sides, check_window_options, load_window_set
from repcoach.io.atomic import write_json


def run_nested(
    data: Path, out: Path, select: str, sopts: Any, topts: Any, folds: int, inner_folds: int,
    task: str, score_all: bool = False,
) -> dict[str, Any]:
    """Run nested CV (exercise classifiers, or correctness scorers for 0/1 targets), write
    report.json / report.md / predictions.csv, print the choices."""

    if inner_folds < 2:
        raise typer.BadParameter("need at least 2 inner folds", param_hint="--inner-folds")
    try:
        recipes = parse_recipes(select, sopts, replace(topts, verbose=0))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--select") from None
    console = Console()
    cv = nested_cross_validate(data, recipes, k=folds, inner_k=inner_folds, seed=topts.seed,
                               log=console.print, score_all=score_all)  # fmt: skip
    result = "scoring" if task == "correctness" else "classification"
    report: dict[str, Any] = {
        "data": str(data), "task": task, "modality": "pose",
        "evaluated_on": {"protocol": f"nested {folds}-fold cross-validation, grouped; "
                                     f"{inner_folds} inner folds choose the recipe",
                         "grouped_by": o.grouping(sopts),
                         "n_samples": cv["n_samples"], "n_groups": cv["n_groups"],
                         "includes_training_subjects": False},
        "cross_validation": {"k": folds,
                             "per_fold_sample_accuracy": cv["per_fold_sample_accuracy"]},
        "nested_selection": {k: cv[k] for k in ("inner_k", "recipes", "chosen", "folds",
                                                "candidate_outer") if k in cv},
        result: cv[result],
    }  # fmt: skip
    acc, level = headline_accuracy(report)
    report = {"accuracy": acc, "accuracy_level": level, **report}
    write_report(out, report)
    pr = cv["predictions"]
    write_predictions(out / "predictions.csv", pr["samples"], pr["predicted"], None,
                      pr["classes"], pr["predicted_score"], pr["fold"])  # fmt: skip
    for f, chosen in enumerate(cv["chosen"]):
        console.print(f"fold {f}: chose {chosen!r}")
    for text, a in cv.get("candidate_outer", {}).items():
        console.print(f"recipe {text!r} alone on the same folds: {100 * a:.1f} %")
    console.print(
        f"nested {folds}-fold accuracy ({level}): "
        + ("n/a" if acc is None else f"[bold]{100 * acc:.1f} %[/]")
        + f" on {cv['n_samples']} samples, {cv['n_groups']} groups; wrote {out / 'report.json'}"
    )
    return report


def run_imu_nested(
    data: Path, out: Path, select: str, inner_folds: int, *, channels: str, unit: str,
    label: str, seed: int, base: dict[str, Any], quiet: bool, score_all: bool = False,
) -> dict[str, Any]:
    """IMU nested selection (leave one subject out outside, ``inner_folds`` grouped folds of the
    training subjects inside, per recording); writes report.json / report.md / nested.json."""
    try:  # before the data load, so a typo costs nothing
        recipes = parse_imu_recipes(select, base)
        check_window_options(unit, label)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--select") from None
    ws = load_window_set(data, channels or None, unit=unit, label=label, progress=not quiet)
    sided = [r.text for r in recipes if r.params.get("side_mirror")]
    try:  # a recipe that mirrors by side needs every recording's side
        if sided:
            check_sides(ws)
    except ValueError as e:
        raise DataError(f"recipe {sided[0]!r}: {e}", Path(data) / "index.csv",
                        column="side") from None  # fmt: skip
    console = Console()
    try:
        res = nested_cross_subject(ws, recipes, inner_k=inner_folds, seed=seed,
                                   log=None if quiet else console.print,
                                   score_all=score_all)  # fmt: skip
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--inner-folds") from None
    write_json(out / "nested.json", {k: v for k, v in res.items() if k != "classification"})
    report: dict[str, Any] = {
        "data": str(data), "modality": "imu", "task": label, "protocol": res["protocol"],
        "accuracy": res["clip_accuracy"], "accuracy_level": unit,
        "nested_selection": {"inner_k": inner_folds, "recipes": res["recipes"],
                             "chosen": res["chosen"], "folds": res["folds"],
                             **({"candidate_outer": res["candidate_outer"]}
                                if "candidate_outer" in res else {})},
        "classification": res["classification"],
    }  # fmt: skip
    write_report(out, report)
    for f in res["folds"]:
        console.print(f"fold {f['fold']} (test {', '.join(f['test_groups'])}): chose "
                      f"{f['chosen']!r}; outer {100 * f['outer_accuracy']:.1f} %")  # fmt: skip
    for name, acc in res.get("candidate_outer", {}).items():
        console.print(f"recipe {name!r} alone on the same folds: {100 * acc:.1f} %")
    console.print(f"{res['protocol']}: per {unit} [bold]{100 * res['clip_accuracy']:.1f} %[/] "
                  f"on {res['n_samples']} recordings, {res['n_groups']} subjects -> {out}")
    return report
