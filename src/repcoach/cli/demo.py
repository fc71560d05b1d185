"""`repcoach demo`: the whole path on the built-in generated data, start to finish.

generate -> dataset summary (Table I) -> train (BiLSTM + per-exercise scorers, cross-subject
split) -> evaluate on held-out participants -> export to TFLite (fp32 + int8, parity checked)
-> analyse the recordings of an unseen participant with the LiteRT runtime. Steps whose output
already exists are reused, so an interrupted demo resumes; ``--fresh`` starts over.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from repcoach.analyze import Analyzer
from repcoach.cli.app import app
from repcoach.cli.export import export_table
from repcoach.data.samples import SampleOptions
from repcoach.data.summary import summarize
from repcoach.deploy.export import export_model_dir
from repcoach.evaluation.evaluate import evaluate_model_dir
from repcoach.evaluation.metrics import headline_accuracy
from repcoach.io.annotations import load_annotations
from repcoach.io.atomic import write_json
from repcoach.io.dataset_index import scan_dataset
from repcoach.io.pose_csv import read_pose_csv
from repcoach.models.folder import load_model_config
from repcoach.models.train import TrainOptions, train_model_dir
from repcoach.synth import generate_dataset


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("demo_out"), "--out", help="Folder for every demo output."),
    participants: int = typer.Option(12, "--participants", "-n", help="Generated participants."),
    seed: int = typer.Option(0, help="Seed of the generated dataset and of training."),
    epochs: int = typer.Option(40, min=1, help="Maximum training epochs (early stopping "
                               "applies)."),
    modalities: str = typer.Option(
        "pose,imu", help="Generated modalities (pose,imu,thermal,audio)."
    ),
    fresh: bool = typer.Option(False, help="Delete earlier demo outputs and start over."),
) -> None:
    """Run generate -> summary -> train -> evaluate -> export -> analyse on generated data."""

    console = Console()
    t0 = time.perf_counter()
    if fresh and out.exists():
        shutil.rmtree(out)
    data, model, report_dir, analyses = (
        out / "data",
        out / "model",
        out / "report",
        out / "analyses",
    )
    steps: list[tuple[str, float]] = []

    def step(title: str) -> float:
        console.rule(f"[bold]{title}")
        return time.perf_counter()

    # 1. generate
    t = step("1/6 generate the stand-in EJUST-GYM-3 dataset")
    if (data / "annotations.csv").exists():
        console.print(f"reusing {data} (delete it or pass --fresh to regenerate)")
    else:
        mods = tuple(m.strip() for m in modalities.split(",") if m.strip())
        generate_dataset(data, n_participants=participants, seed=seed, modalities=mods)
        console.print(f"wrote {data}")
    steps.append(("generate", time.perf_counter() - t))

    # 2. summary
    t = step("2/6 dataset summary (paper Table I)")

    summary = summarize(scan_dataset(data))
    for table in summary.rich_tables():
        console.print(table)
    write_json(out / "summary.json", summary.to_dict())
    steps.append(("summary", time.perf_counter() - t))

    # 3. train
    t = step("3/6 train the BiLSTM classifier and per-exercise scorers (cross-subject split)")
    if (model / "manifest.json").exists() and (model / "classifier.keras").exists():
        console.print(f"reusing {model}")
    else:
        train_model_dir(
            data, model, SampleOptions(view="frontal"), TrainOptions(epochs=epochs, seed=seed)
        )
    steps.append(("train", time.perf_counter() - t))

    # 4. evaluate
    t = step("4/6 evaluate on held-out participants")

    rep = evaluate_model_dir(model, data, report_dir)
    acc, what = headline_accuracy(rep)
    console.print(f"accuracy ({what}): [bold]{acc:.3f}[/]" if acc is not None else "no accuracy")
    steps.append(("evaluate", time.perf_counter() - t))

    # 5. export
    t = step("5/6 export to TFLite (fp32, int8) and check parity with Keras")

    exported = export_model_dir(model)
    table = export_table(exported, f"TFLite parity on {exported.n_samples} held-out inputs")
    console.print(table)
    steps.append(("export", time.perf_counter() - t))

    # 6. analyse an unseen participant with the LiteRT runtime
    t = step("6/6 analyse an unseen participant's recordings (LiteRT runtime)")

    cfg = load_model_config(model)
    held_out = _held_out_participants(cfg)
    if not held_out:
        console.print("[yellow]no held-out participant recorded in config.json[/]")
    results = Table(title=f"unseen participant {held_out[0] if held_out else '-'}")
    for col in ("recording", "true", "predicted", "confidence", "reps (true)", "score (true)"):
        results.add_column(col)
    truth = _annotation_counts(data)
    analyzer = Analyzer(model)
    for name in held_out[:1]:
        for csv in sorted((data / name).glob("*/frontal/*-frontal.csv")):
            code = csv.parent.parent.name
            clip = analyzer.analyze(read_pose_csv(csv))
            write_json(analyses / f"{csv.stem}.json", clip.to_dict())
            scores = [r.score for r in clip.repetitions if r.score is not None]
            results.add_row(
                csv.name,
                code,
                str(clip.exercise),
                f"{clip.confidence:.2f}",
                f"{clip.rep_count} ({truth.get((name, code), ('?',))[0]})",
                (f"{sum(scores) / len(scores):.2f}" if scores else "-")
                + f" ({truth.get((name, code), ('?', float('nan')))[1]:.2f})",
            )
    console.print(results)
    steps.append(("analyse", time.perf_counter() - t))

    console.rule("[bold]done")
    where = Table(title=f"demo finished in {time.perf_counter() - t0:.0f} s", show_header=False)
    where.add_row("generated dataset", str(data))
    where.add_row("Table I summary", str(out / "summary.json"))
    where.add_row("model folder (.keras/.h5/labels.json/.tflite)", str(model))
    where.add_row("evaluation report (json, md, png)", str(report_dir))
    where.add_row("per-recording analyses (json)", str(analyses))
    where.add_row("time per step", ", ".join(f"{n} {s:.0f}s" for n, s in steps))
    console.print(where)


def _held_out_participants(cfg: dict) -> list[str]:
    """Participants of the test split recorded in config.json (``subject:<name>`` groups)."""
    groups = (cfg.get("split") or {}).get("groups", {}).get("test", [])
    return sorted(g.split(":", 1)[1] if ":" in g else g for g in groups)


def _annotation_counts(data: Path) -> dict[tuple[str, str], tuple[int, float]]:
    """True repetition count and mean score per (participant, exercise code)."""

    ann = load_annotations(data)
    if ann is None:
        return {}
    groups = ann.groupby(["participant", "exercise"])["score"]
    return {(str(p), str(c)): (int(g.size), float(g.mean())) for (p, c), g in groups}
