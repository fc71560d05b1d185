"""`repcoach extract`: MediaPipe pose from one video or a whole folder tree, to pose CSVs."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import typer
from rich.console import Console

from repcoach.cli import options as o
from repcoach.cli.app import app
from repcoach.pose.batch import run_batch
from repcoach.pose.batch_ray import run_batch_ray
from repcoach.pose.extract import PoseExtractorOptions


@app.command("extract")
def extract_cmd(
    source: Path = typer.Argument(..., help="A video file, or a folder searched recursively."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (mirrors the tree). Default: beside the videos."
    ),
    workers: int | None = typer.Option(
        None, "--workers", "-j", min=1, help="Worker processes (default: one per core)."
    ),
    model: Path | None = typer.Option(
        None,
        "--model",
        help="PoseLandmarker .task file (default: the offline model from the mediapipe wheel).",
    ),
    fps: float = typer.Option(
        30.0, "--fps", min=0.0, help="Resample landmarks to this frame rate; 0 keeps the video's."
    ),
    world: bool = typer.Option(False, "--world", help="Also write world landmarks (-world.csv)."),
    mode: str = typer.Option("video", "--mode", help="MediaPipe running mode: video or image."),
    max_frames: int | None = typer.Option(
        None, "--max-frames", min=1, help="Decode at most this many frames per video."
    ),
    min_detection: float = typer.Option(0.5, "--min-detection", help="Min pose detection score."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo videos whose CSV exists."),
    manifest: Path | None = typer.Option(
        None, "--manifest", help="JSON summary path (default OUT/extract_manifest.json)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    modality: str = typer.Option(
        "pose",
        "--modality",
        help="pose (MediaPipe landmarks from video; IMU files need no extraction).",
    ),
    engine: str = typer.Option("local", "--engine", help="local (process pool) or ray."),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster to join (--engine ray; default: a local Ray)."
    ),
) -> None:
    """Extract 33 MediaPipe landmarks per frame from videos into pose CSVs (resumable).

    Each x.csv gets an x.pose.json side file with the video's frame size and fps, which
    `repcoach analyze x.csv` uses for models trained on aspect-corrected landmarks.
    """

    o.check_modality(modality, ("pose",))
    opts = PoseExtractorOptions(
        model_asset_path=None if model is None else str(model),
        running_mode=mode,
        min_pose_detection_confidence=min_detection,
        target_fps=fps or None,
        max_frames=max_frames,
    )
    if mode not in ("video", "image"):
        raise typer.BadParameter("must be 'video' or 'image'", param_hint="--mode")
    if engine not in ("local", "ray"):
        raise typer.BadParameter("must be 'local' or 'ray'", param_hint="--engine")
    if address is not None and engine != "ray":
        raise typer.BadParameter("needs --engine ray", param_hint="--address")
    runner = partial(run_batch_ray, address=address) if engine == "ray" else run_batch
    console = Console()
    summary = runner(
        source,
        out,
        options=opts,
        workers=workers,
        world=world,
        overwrite=overwrite,
        manifest_path=manifest,
        progress=not quiet,
    )
    c = summary.counts
    console.print(
        f"[bold]{c['done']}[/] extracted, [bold]{c['skipped']}[/] skipped (already done), "
        f"[bold]{'[red]' if c['failed'] else ''}{c['failed']}[/] failed "
        f"in {summary.seconds:.1f} s with {summary.workers} worker(s); "
        f"manifest: {summary.manifest}"
    )
    failed = summary.by_status("failed")
    for r in failed:
        console.print(f"[red]failed[/] {r.video}: {r.reason}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)
