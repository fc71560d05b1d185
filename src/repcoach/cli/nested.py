"""`repcoach crossval --select`: nested selection over recipes (repcoach.evaluation.nested)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from repcoach.evaluation.evaluate import write_predictions
from repcoach.evaluation.metrics import headline_accuracy
from repcoach.evaluation.nested import nested_cross_validate, parse_recipes
from repcoach.evaluation.report import write_report


def run_nested(
    data: Path, out: Path, select: str, sopts: Any, topts: Any, folds: int, inner_folds: int,
    task: str,
) -> dict[str, Any]:
    """Run nested CV, write report.json / report.md / predictions.csv, print the choices."""


    if task != "exercise":
        raise typer.BadParameter("selects exercise classifiers only", param_hint="--select")
    if inner_folds < 2:
        raise typer.BadParameter("need at least 2 inner folds", param_hint="--inner-folds")
    try:
        recipes = parse_recipes(select, sopts, replace(topts, verbose=0))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--select") from None
    console = Console()
    cv = nested_cross_validate(data, recipes, k=folds, inner_k=inner_folds, seed=topts.seed,
                               log=console.print)  # fmt: skip
    report: dict[str, Any] = {
        "data": str(data), "task": task, "modality": "pose",
        "evaluated_on": {"protocol": f"nested {folds}-fold cross-validation, grouped; "
                                     f"{inner_folds} inner folds choose the recipe",
                         "n_samples": cv["n_samples"], "n_groups": cv["n_groups"],
                         "includes_training_subjects": False},
        "cross_validation": {"k": folds,
                             "per_fold_sample_accuracy": cv["per_fold_sample_accuracy"]},
        "nested_selection": {k: cv[k] for k in ("inner_k", "recipes", "chosen", "folds")},
        "classification": cv["classification"],
    }  # fmt: skip
    acc, level = headline_accuracy(report)
    report = {"accuracy": acc, "accuracy_level": level, **report}
    write_report(out, report)
    pr = cv["predictions"]
    write_predictions(out / "predictions.csv", pr["samples"], pr["predicted"], None,
                      pr["classes"], None, pr["fold"])  # fmt: skip
    for f, chosen in enumerate(cv["chosen"]):
        console.print(f"fold {f}: chose {chosen!r}")
    console.print(
        f"nested {folds}-fold accuracy ({level}): "
        + ("n/a" if acc is None else f"[bold]{100 * acc:.1f} %[/]")
        + f" on {cv['n_samples']} samples, {cv['n_groups']} groups; wrote {out / 'report.json'}"
    )
    return report
