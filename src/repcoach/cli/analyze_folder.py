"""`repcoach analyze DIR --model M --out OUT`: the folder mode of `repcoach analyze`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from repcoach.analyze.folder import AnalyzeSettings, run_analysis


def analyze_folder_cmd(
    folder: Path, model: Path, out: Path | None, *, precision: str, scorer_label: str,
    exercise: str | None, engine: str, workers: int | None, address: str | None,
    console: Console, not_for_folders: list[str],
) -> None:
    """Analyse every recording of ``folder`` into one JSON each under ``out`` (resumable)."""

    if out is None:
        raise typer.BadParameter(f"{folder} is a folder: a folder needs --out DIR for its JSONs",
                                 param_hint="--out")
    if not_for_folders:
        raise typer.BadParameter(f"{', '.join(not_for_folders)}: one recording only, not a folder")
    if engine not in ("local", "ray"):
        raise typer.BadParameter("must be 'local' or 'ray'", param_hint="--engine")
    if address is not None and engine != "ray":
        raise typer.BadParameter("needs --engine ray", param_hint="--address")
    settings = AnalyzeSettings(model_dir=str(model), precision=precision,
                               scorer_label=scorer_label, exercise=exercise)  # fmt: skip
    s = run_analysis(folder, out, settings, engine=engine, workers=workers, address=address)
    c = s.counts
    console.print(
        f"[bold]{c['done']}[/] analysed, [bold]{c['skipped']}[/] skipped (already done), "
        f"[bold]{'[red]' if c['failed'] else ''}{c['failed']}[/] failed in {s.seconds:.1f} s "
        f"with {s.workers} worker(s) ({s.engine}); manifest: {s.manifest}"
    )
    for r in s.by_status("failed"):
        console.print(f"[red]failed[/] {r.recording}: {r.reason}", highlight=False, soft_wrap=True)
    if c["failed"]:
        raise typer.Exit(1)
