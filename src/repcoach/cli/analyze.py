"""`repcoach export` (Keras -> TFLite with parity checks) and `repcoach analyze` (one recording,
or the frontal and side views of one session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from repcoach.cli.app import app
from repcoach.errors import DataError

console = Console()


@app.command("export")
def export_cmd(
    model: Path = typer.Option(..., "--model", "-m", help="Model folder written by training."),
    int8: bool = typer.Option(True, "--int8/--no-int8", help="Also write int8 (dynamic-range)."),
    samples: int = typer.Option(64, help="Held-out samples to check parity on."),
) -> None:
    """Convert the classifier and scorers to .tflite (fp32, int8) and check them against Keras."""
    from repcoach.export import default_parity_samples, export_model_dir
    from repcoach.model_dir import load_model_config

    cfg = load_model_config(model)
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
    (the caller then uses :func:`repcoach.export.default_parity_samples`)."""
    if not cfg.get("scorer_inputs"):
        return None, None, ""
    from repcoach.export import held_out_with_extra

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


@app.command("analyze")
def analyze_cmd(
    recording: Path = typer.Argument(
        ..., help="Pose CSV or video (.mp4/.avi/.mov/.mkv); the frontal view with --side."
    ),
    model: Path = typer.Option(..., "--model", "-m", help="Exported model folder."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the analysis as JSON."),
    precision: str = typer.Option("int8", help="int8 or fp32 TFLite models."),
    annotate: Path | None = typer.Option(
        None, "--annotate", help="Write the video with skeleton, reps and scores drawn (videos)."
    ),
    scorer_label: str = typer.Option(
        "clip", help="Which label picks the scorer: the clip's vote or each rep's own label."
    ),
    side: Path | None = typer.Option(
        None, "--side", help="Side view of the same session (pose CSV or video): analyse both."
    ),
    side_offset: float = typer.Option(
        0.0, "--side-offset", help="Seconds added to the side view's clock (>0: it started later)."
    ),
    side_weight: float = typer.Option(
        0.5, "--side-weight", min=0.0, max=1.0,
        help="Weight of the side view in the late fusion (frontal: 1 - this).",
    ),
    segment_view: str = typer.Option(
        "stronger", "--segment-view", help="View to segment on: stronger, frontal or side."
    ),
    view_score: str = typer.Option(
        "mean", "--view-score", help="Two views: mean of both views' scores, or the stronger's."
    ),
    frame_size: str | None = typer.Option(
        None, "--frame-size",
        help="WIDTHxHEIGHT of the recording's frames, for models trained on aspect-corrected "
        "landmarks (default: a video's own size, or the pose CSV's .pose.json side file).",
    ),
    side_frame_size: str | None = typer.Option(
        None, "--side-frame-size", help="WIDTHxHEIGHT of the side view's frames (pose CSV)."
    ),
    exercise: str | None = typer.Option(
        None, "--exercise", help="The exercise, when known (one of the model's classes): the "
        "classifier is not run. Needed for a scorers-only model with several exercises.",
    ),
) -> None:
    """Which exercise, how many repetitions, and a correctness score for each repetition.

    With --side, RECORDING is the frontal view and both views are analysed together: one
    clock, repetitions segmented on the view that moves more, class probabilities averaged.
    """
    import warnings

    from repcoach.analyze import (
        Analyzer,
        AnalyzerOptions,
        is_video,
        load_recording,
        parse_frame_size,
        recording_frame_size,
    )
    from repcoach.io.atomic import write_json

    if precision not in ("int8", "fp32"):
        raise typer.BadParameter("must be int8 or fp32", param_hint="--precision")
    if scorer_label not in ("clip", "rep"):
        raise typer.BadParameter("must be clip or rep", param_hint="--scorer-label")
    if annotate is not None and not is_video(recording):
        raise DataError("--annotate needs a video recording (a pose CSV has no frames to draw on)",
                        recording)
    if segment_view not in ("stronger", "frontal", "side"):
        raise typer.BadParameter("must be stronger, frontal or side", param_hint="--segment-view")
    if view_score not in ("mean", "stronger"):
        raise typer.BadParameter("must be mean or stronger", param_hint="--view-score")
    sizes: dict[str, tuple[float, float] | None] = {}
    for hint, text in (("--frame-size", frame_size), ("--side-frame-size", side_frame_size)):
        try:
            sizes[hint] = None if text is None else parse_frame_size(text)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint=hint) from None
    if side_frame_size is not None and side is None:
        raise typer.BadParameter("needs --side", param_hint="--side-frame-size")
    options = AnalyzerOptions(
        model_dir=model, precision=precision, scorer_label=scorer_label,
        view_weights=(1.0 - side_weight, side_weight), segment_view=segment_view,
        view_score=view_score, exercise=exercise,
    )
    analyzer = Analyzer.create_from_options(options)

    def load(path: Path, name: str):
        what = "extracting pose from" if is_video(path) else "reading"
        with console.status(f"{what} {name} {path.name}"):
            return load_recording(path)

    seq = load(recording, "frontal view" if side is not None else "recording")
    size = sizes["--frame-size"] or recording_frame_size(recording)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # printed below from result.extra
        if side is None:
            result = analyzer.analyze(seq, frame_size=size)
        else:
            side_size = sizes["--side-frame-size"] or recording_frame_size(side)
            result = analyzer.analyze_views(seq, load(side, "side view"),
                                            side_offset_s=side_offset, frame_size=size,
                                            side_frame_size=side_size)  # fmt: skip
    for msg in result.extra.get("warnings", []):
        console.print(f"[bold yellow]warning:[/] {msg}")
    if side is not None:
        v = result.extra["views"]
        console.print(
            f"two views: segmented on the {v['segmented_on']} view (motion frontal "
            f"{v['motion_strength']['frontal']:.3f}, side {v['motion_strength']['side']:.3f}); "
            f"fusion weights frontal {v['weights']['frontal']:.2f}, side "
            f"{v['weights']['side']:.2f}; score: {v['score']}"
        )

    votes = ", ".join(f"{k} {v}" for k, v in result.votes.items()) or "-"
    source = result.extra.get("exercise_source", "classifier")
    how = (f"confidence {result.confidence:.2f}  votes: {votes}" if source == "classifier"
           else f"({source}, not classified)")  # fmt: skip
    console.print(f"[bold]{result.exercise or 'unknown'}[/]  {how}  "
                  f"repetitions: {result.rep_count}")
    if result.extra.get("note"):
        console.print(f"[yellow]{result.extra['note']}[/]")
    scored = [w["score"] for w in result.extra.get("windows", []) if w.get("score") is not None]
    if scored:  # models trained on whole clips / windows score those, not repetitions
        what = "whole clip" if result.extra.get("segmentation") == "whole" else (
            f"mean of {len(scored)} windows (min {min(scored):.2f}, max {max(scored):.2f})")
        console.print(f"correctness score ({what}): [bold]{np.mean(scored):.2f}[/]")
    form = result.extra.get("pushup_form")
    if form is not None:
        cues = "; ".join(form["cues"]) or "nothing stands out"
        console.print(f"push-up form (rule-based): {cues}")
    if result.repetitions:
        table = Table(title=str(recording.name))
        for col in ("#", "start s", "end s", "label", "prob", "score", "cue"):
            table.add_column(col, justify="right" if col not in ("label", "cue") else "left")
        for i, r in enumerate(result.repetitions, 1):
            table.add_row(
                str(i), f"{r.start_s:.2f}", f"{r.end_s:.2f}", r.label or "-",
                f"{r.probability:.2f}" if r.probability is not None else "-",
                f"{r.score:.2f}" if r.score is not None else "-",
                "; ".join(getattr(c, "text", str(c)) for c in r.cues),
            )
        console.print(table)
    if json_out is not None:
        write_json(json_out, result.to_dict())
        console.print(f"wrote {json_out}")
    if annotate is not None:
        from repcoach.video.annotate import write_annotated_video

        with console.status("writing annotated video"):  # the frontal view with --side
            write_annotated_video(recording, seq, result, annotate)
        console.print(f"wrote {annotate}")
