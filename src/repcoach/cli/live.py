"""`repcoach live`: count and score repetitions as they happen, from a camera or a video file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from repcoach.analyze.live import LiveAnalyzer, RepEvent
from repcoach.cli.app import app
from repcoach.errors import DataError
from repcoach.io.atomic import write_json
from repcoach.types import cue_text
from repcoach.video.io import VideoReader

console = Console()


def camera_frames(index: int, max_s: float | None = None) -> Iterator[tuple[Any, float]]:
    """``(rgb image, seconds)`` from an OpenCV camera until it stops (or ``max_s``)."""

    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        raise DataError(f"cannot open camera {index} (is one connected, and free?)")
    t0 = time.perf_counter()
    try:
        while True:
            ok, bgr = cap.read()
            t = time.perf_counter() - t0
            if not ok or (max_s is not None and t > max_s):
                return
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), t
    finally:
        cap.release()


def video_frames(path: Path, realtime: bool) -> Iterator[tuple[Any, float]]:
    """``(rgb image, seconds)`` of a video file, paced at its own speed with ``realtime``."""

    t0 = time.perf_counter()
    for fr in VideoReader(path, rgb=True):
        if realtime:
            wait = fr.timestamp_s - (time.perf_counter() - t0)
            if wait > 0:
                time.sleep(wait)
        yield fr.image, fr.timestamp_s


def _panel(live: Any, reps: list[dict[str, Any]], fps: float) -> Table:
    s = live.state
    table = Table(title=f"repcoach live  {s.exercise or '...'}  reps: {s.count}  "
                        f"({live.n_frames} frames, {fps:.1f} fps)")  # fmt: skip
    for col in ("#", "start s", "end s", "label", "score", "cue"):
        table.add_column(col)
    for r in reps[-8:]:
        score = "-" if r["score"] is None else f"{r['score']:.2f}"
        table.add_row(str(r["index"]), f"{r['start_s']:.2f}", f"{r['end_s']:.2f}",
                      r["label"] or "-", score, r["cue"] or "")  # fmt: skip
    return table


@app.command("live")
def live_cmd(
    camera: int | None = typer.Option(None, "--camera", help="Camera index (OpenCV)."),
    video: Path | None = typer.Option(None, "--video", help="A video file, as if it were live."),
    model: Path = typer.Option(..., "--model", "-m", help="Exported model folder."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the session as JSON."),
    realtime: bool = typer.Option(False, "--realtime/--fast", help="Pace a video at its speed."),
    max_s: float | None = typer.Option(None, "--max-s", help="Stop the camera after this long."),
) -> None:
    """Live repetition counting, exercise and per-repetition score and cue in the terminal.

    The session (same JSON as `repcoach analyze`) is printed and saved at the end (Ctrl-C ends
    a camera session).
    """


    if (camera is None) == (video is None):
        raise typer.BadParameter("give exactly one of --camera N or --video FILE")
    if video is not None and not video.is_file():
        raise DataError("video not found", video)
    live = LiveAnalyzer.create(model, source=str(video) if video else f"camera:{camera}")
    frames = camera_frames(camera, max_s) if camera is not None else video_frames(video, realtime)
    reps: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    try:
        with Live(_panel(live, reps, 0.0), console=console, refresh_per_second=8) as view:
            for image, t in frames:
                out = live.push_frame(image, t)
                reps += [e.to_dict() for e in out.events if isinstance(e, RepEvent)]
                fps = live.n_frames / max(time.perf_counter() - t_start, 1e-6)
                view.update(_panel(live, reps, fps))
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        live.close()
    session = live.finish()
    console.print(f"[bold]{session.exercise or 'unknown'}[/]  repetitions: {session.rep_count}"
                  f"  (confidence {session.confidence:.2f})")  # fmt: skip
    for i, r in enumerate(session.repetitions, 1):
        score = "-" if r.score is None else f"{r.score:.2f}"
        console.print(f"  {i}. {r.start_s:.2f}-{r.end_s:.2f} s  {r.label}  score {score}  "
                      f"{'; '.join(cue_text(c) for c in r.cues)}")  # fmt: skip
    if json_out is not None:
        write_json(json_out, session.to_dict())
        console.print(f"wrote {json_out}")
