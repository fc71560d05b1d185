"""`repcoach analyze`: one recording, or the frontal and side views of one session."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from repcoach.analyze import (
    Analyzer,
    AnalyzerOptions,
    is_video,
    load_recording,
    parse_frame_size,
    recording_frame_size,
)
from repcoach.cli import options as o
from repcoach.cli.analyze_folder import analyze_folder_cmd
from repcoach.cli.app import app
from repcoach.errors import DataError
from repcoach.io.atomic import write_json
from repcoach.models.folder import load_model_config
from repcoach.pose.evidence import no_person_result
from repcoach.video.annotate import write_annotated_video

console = Console()


@app.command("analyze")
def analyze_cmd(
    recording: Path = typer.Argument(
        ..., help="Pose CSV or video (.mp4/.avi/.mov/.mkv); the frontal view with --side; "
        "or a folder: every recording in it, one JSON each under --out (resumable).",
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
        0.5,
        "--side-weight",
        min=0.0,
        max=1.0,
        help="Weight of the side view in the late fusion (frontal: 1 - this).",
    ),
    segment_view: str = typer.Option(
        "stronger", "--segment-view", help="View to segment on: stronger, frontal or side."
    ),
    view_score: str = typer.Option(
        "mean", "--view-score", help="Two views: mean of both views' scores, or the stronger's."
    ),
    frame_size: str | None = typer.Option(
        None,
        "--frame-size",
        help="WIDTHxHEIGHT of the recording's frames, for models trained on aspect-corrected "
        "landmarks (default: a video's own size, or the pose CSV's .pose.json side file).",
    ),
    side_frame_size: str | None = typer.Option(
        None, "--side-frame-size", help="WIDTHxHEIGHT of the side view's frames (pose CSV)."
    ),
    exercise: str | None = typer.Option(
        None,
        "--exercise",
        help="The exercise, when known (one of the model's classes): the "
        "classifier is not run. Needed for a scorers-only model with several exercises.",
    ),
    modality: str = typer.Option(
        "pose",
        "--modality",
        help="pose (a pose CSV or a video); IMU recordings are evaluated with `repcoach evaluate`.",
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder mode: where the JSONs go."),
    engine: str = typer.Option("local", "--engine", help="Folder mode: local or ray."),
    workers: int | None = typer.Option(
        None, "--workers", "-j", min=1, help="Folder mode: worker processes / Ray actors."
    ),
    address: str | None = typer.Option(None, "--address", help="Folder mode: Ray cluster."),
) -> None:
    """Which exercise, how many repetitions, and a correctness score for each repetition.

    With --side, RECORDING is the frontal view and both views are analysed together: one
    clock, repetitions segmented on the view that moves more, class probabilities averaged.
    """

    o.check_modality(modality, ("pose",))
    if precision not in ("int8", "fp32"):
        raise typer.BadParameter("must be int8 or fp32", param_hint="--precision")
    if scorer_label not in ("clip", "rep"):
        raise typer.BadParameter("must be clip or rep", param_hint="--scorer-label")
    if recording.is_dir():

        given = {"--json": json_out, "--annotate": annotate, "--side": side,
                 "--frame-size": frame_size}  # fmt: skip
        return analyze_folder_cmd(recording, model, out, precision=precision,
                                  scorer_label=scorer_label, exercise=exercise, engine=engine,
                                  workers=workers, address=address, console=console,
                                  not_for_folders=[k for k, v in given.items() if v])  # fmt: skip
    if annotate is not None and not is_video(recording):
        raise DataError(
            "--annotate needs a video recording (a pose CSV has no frames to draw on)", recording
        )
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
        model_dir=model,
        precision=precision,
        scorer_label=scorer_label,
        view_weights=(1.0 - side_weight, side_weight),
        segment_view=segment_view,
        view_score=view_score,
        exercise=exercise,
    )

    load_model_config(model)  # a bad model folder is refused before a video is processed

    def load(path: Path, name: str):
        what = "extracting pose from" if is_video(path) else "reading"
        with console.status(f"{what} {name} {path.name}"):
            return load_recording(path)

    seq = load(recording, "frontal view" if side is not None else "recording")
    side_seq = None if side is None else load(side, "side view")
    nobody = no_person_result([seq] if side_seq is None else [seq, side_seq])
    if nobody is not None:  # no answer without evidence: the JSON says why, exit 2
        if json_out is not None:
            write_json(json_out, nobody.to_dict())
        raise DataError(nobody.extra["reason"], recording)
    analyzer = Analyzer.create_from_options(options)
    size = sizes["--frame-size"] or recording_frame_size(recording)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # printed below from result.extra
        if side is None:
            result = analyzer.analyze(seq, frame_size=size)
        else:
            side_size = sizes["--side-frame-size"] or recording_frame_size(side)
            result = analyzer.analyze_views(seq, side_seq,
                                            side_offset_s=side_offset, frame_size=size,
                                            side_frame_size=side_size)  # fmt: skip
    if result.extra.get("no_person"):  # no answer without evidence: JSON says why, exit 2
        if json_out is not None:
            write_json(json_out, result.to_dict())
        raise DataError(result.extra["reason"], recording)
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
    console.print(
        f"[bold]{result.exercise or 'unknown'}[/]  {how}  repetitions: {result.rep_count}"
    )
    if result.extra.get("note"):
        console.print(f"[yellow]{result.extra['note']}[/]")
    scored = [w["score"] for w in result.extra.get("windows", []) if w.get("score") is not None]
    if scored:  # models trained on whole clips / windows score those, not repetitions
        what = (
            "whole clip"
            if result.extra.get("segmentation") == "whole"
            else (f"mean of {len(scored)} windows (min {min(scored):.2f}, max {max(scored):.2f})")
        )
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
                str(i),
                f"{r.start_s:.2f}",
                f"{r.end_s:.2f}",
                r.label or "-",
                f"{r.probability:.2f}" if r.probability is not None else "-",
                f"{r.score:.2f}" if r.score is not None else "-",
                "; ".join(getattr(c, "text", str(c)) for c in r.cues),
            )
        console.print(table)
    if json_out is not None:
        write_json(json_out, result.to_dict())
        console.print(f"wrote {json_out}")
    if annotate is not None:
        with console.status("writing annotated video"):  # the frontal view with --side
            write_annotated_video(recording, seq, result, annotate)
        console.print(f"wrote {annotate}")
