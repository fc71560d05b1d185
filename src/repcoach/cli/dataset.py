"""`repcoach dataset ...` and `repcoach synth`: the data layout and the generated dataset."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from repcoach.cli.app import app
from repcoach.data.summary import summarize
from repcoach.errors import DataError
from repcoach.io.annotations import load_annotations
from repcoach.io.atomic import write_json
from repcoach.io.dataset_index import scan_dataset, write_index_csv

dataset_app = typer.Typer(help="Inspect datasets in the EJUST-GYM-3 layout.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


@dataset_app.command("summary")
def summary_cmd(
    root: Path = typer.Argument(..., help="Dataset folder (participants.csv + per-participant)."),
    lenient: bool = typer.Option(
        False,
        "--lenient",
        help="List every problem and summarise what is valid, instead of "
        "stopping at the first problem.",
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the summary as JSON to this file."
    ),
) -> None:
    """Print the participant metadata summary (paper Table I) and the file counts."""

    console = Console()
    try:
        index = scan_dataset(root, strict=not lenient)
    except DataError as e:
        hint = " (run with --lenient, or `repcoach dataset check`, to list every problem)"
        raise DataError(e.reason + hint, e.path, e.row, e.column) from None
    if index.problems:
        console.print(f"[bold yellow]{len(index.problems)} problem(s):[/]")
        for p in index.problems:
            console.print(f"  [yellow]-[/] {p}", highlight=False, soft_wrap=True)
        console.print()
    summary = summarize(index)
    for table in summary.rich_tables():
        console.print(table)
    if json_out is not None:
        write_json(json_out, summary.to_dict())
        console.print(f"wrote {json_out}")


@dataset_app.command("check")
def check_cmd(
    root: Path = typer.Argument(..., help="Dataset folder to check."),
) -> None:
    """List every problem in a dataset folder; exit code 1 if there is any.

    Checks file names and placement, participants.csv and annotations.csv.
    """

    console = Console()
    index = scan_dataset(root, strict=False)
    problems = list(index.problems)
    try:
        ann = load_annotations(root)
    except DataError as e:
        ann = None
        problems.append(e)
    for p in problems:
        console.print(f"[red]-[/] {p}", highlight=False, soft_wrap=True)
    ann_txt = "" if ann is None else f", {len(ann)} annotated repetitions"
    console.print(
        f"{len(index.entries)} valid files, {len(index.participants)} valid participants"
        f"{ann_txt}; {len(problems)} problem(s)"
    )
    if problems:
        raise typer.Exit(1)


@dataset_app.command("index")
def index_cmd(
    root: Path = typer.Argument(..., help="Dataset folder in the EJUST-GYM-3 layout."),
    modality: list[str] = typer.Option(
        ["frontal"], "--modality", "-m", help="Modality to list (repeatable)."
    ),
    ext: str = typer.Option("csv", help="File extension to list."),
    out: Path | None = typer.Option(None, "--out", help="Output file [default: DIR/index.csv]."),
    lenient: bool = typer.Option(False, "--lenient", help="Skip bad files instead of stopping."),
) -> None:
    """Write a generic index.csv (file, subject, label, ...) for one modality of the dataset."""

    index = scan_dataset(root, strict=not lenient)
    path = write_index_csv(index, out, modality=modality, ext=ext)
    n = len(index.entries_for(modality=modality, ext=ext))
    Console().print(f"wrote {path} ({n} files, {len(index.problems)} problem(s) skipped)")
