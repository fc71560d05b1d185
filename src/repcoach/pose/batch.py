"""Batch pose extraction over a video or a folder tree: parallel, resumable, kill-safe.

Every video ``ROOT/a/b/x.mp4`` gives ``OUT/a/b/x.csv`` and its side file ``x.pose.json`` (frame
size and fps, :mod:`repcoach.io.pose_csv`) (the tree is mirrored; by default the CSV
goes beside the video, which is the EJUST-GYM-3 layout: ``<name>/<CODE>/frontal/<name><CODE>-
frontal.csv``). CSVs are written atomically (temp file + rename), so an existing CSV is always
complete: a re-run skips it, and a run killed at any moment (even SIGKILL) loses only the videos
in flight. Bad videos are reported and skipped; a JSON manifest lists what was done, skipped and
failed (with the reason). Workers are separate processes (``spawn``), each with its own
landmarker.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from repcoach.errors import DataError
from repcoach.io.atomic import write_json
from repcoach.io.pose_csv import pose_meta_path
from repcoach.pose.extract import (
    PoseExtractor,
    PoseExtractorOptions,
    resolve_model_path,
    world_csv_path,
    write_extraction,
)
from repcoach.video.io import VIDEO_EXTENSIONS

MANIFEST_NAME = "extract_manifest.json"


@dataclass(frozen=True)
class Job:
    """One video to extract and where its CSV goes."""

    video: Path
    output: Path
    world: bool = False

    def outputs(self) -> list[Path]:
        return [self.output, *([world_csv_path(self.output)] if self.world else [])]

    def is_done(self) -> bool:
        """All outputs exist (each was renamed into place only once complete)."""
        return all(p.is_file() for p in self.outputs())


@dataclass
class JobResult:
    """Outcome of one job: ``status`` is ``done``, ``skipped`` (outputs existed) or ``failed``.
    ``frames`` counts output pose frames (after resampling), ``decoded_frames`` video frames;
    ``frame_width`` / ``frame_height``: the decoded frames' size (also in the CSV's
    ``.pose.json`` side file)."""

    video: str
    output: str
    status: str
    reason: str | None = None
    frames: int | None = None
    decoded_frames: int | None = None
    detected_fraction: float | None = None
    video_fps: float | None = None
    frame_width: int | None = None
    frame_height: int | None = None
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BatchSummary:
    """All job results of a run, plus the options used; ``manifest`` is where it was saved."""

    results: list[JobResult] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    seconds: float = 0.0
    manifest: Path | None = None

    def by_status(self, status: str) -> list[JobResult]:
        return [r for r in self.results if r.status == status]

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.by_status(s)) for s in ("done", "skipped", "failed")}

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "workers": self.workers,
            "seconds": round(self.seconds, 3),
            "options": self.options,
            "results": [r.to_dict() for r in self.results],
        }


def find_videos(root: str | Path, extensions: Iterable[str] = VIDEO_EXTENSIONS) -> list[Path]:
    """Every video file under ``root`` (sorted; hidden files and folders ignored)."""
    root = Path(root)
    exts = {e.lower() for e in extensions}
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in filenames:
            if not f.startswith(".") and Path(f).suffix.lower() in exts:
                found.append(Path(dirpath) / f)
    return sorted(found)


def plan_jobs(
    source: str | Path, out_dir: str | Path | None = None, *, world: bool = False
) -> list[Job]:
    """Jobs for a video file or a folder tree; ``out_dir`` None = CSVs beside the videos."""
    src = Path(source)
    if not src.exists():
        raise DataError("no such video file or folder", src)
    if src.is_file():
        out = src.with_suffix(".csv") if out_dir is None else Path(out_dir) / f"{src.stem}.csv"
        return [Job(src, out, world)]
    videos = find_videos(src)
    if not videos:
        raise DataError(f"no video files ({', '.join(VIDEO_EXTENSIONS)}) found", src)
    base = src if out_dir is None else Path(out_dir)
    return [Job(v, (base / v.relative_to(src)).with_suffix(".csv"), world) for v in videos]


def remove_stale_temps(jobs: Iterable[Job]) -> list[Path]:
    """Delete temp files a killed run left next to our outputs (``.<name>.*.tmp``, made by
    :func:`repcoach.io.atomic.atomic_write`). Do not run two batches on one tree at once."""

    removed = []
    for job in jobs:
        for out in [*job.outputs(), *map(pose_meta_path, job.outputs())]:  # + .pose.json
            if out.parent.is_dir():
                for tmp in out.parent.glob(f".{out.name}.*.tmp"):
                    with contextlib.suppress(FileNotFoundError):
                        tmp.unlink()
                        removed.append(tmp)
    return removed


def remove_partial_outputs(job: Job) -> list[Path]:
    """Delete what a job killed between its renames left (e.g. the world CSV without the pose
    CSV): a ``failed`` job leaves no output, so nothing half-made is mistaken for a result."""
    removed = []
    for out in [*job.outputs(), *map(pose_meta_path, job.outputs())]:
        with contextlib.suppress(FileNotFoundError):
            out.unlink()
            removed.append(out)
    return removed


# -- worker side ---------------------------------------------------------------------------------
_WORKER: PoseExtractor | None = None


def worker_init(options: PoseExtractorOptions) -> None:
    """Runs once in each worker process: load the landmarker."""
    global _WORKER
    _WORKER = PoseExtractor.create_from_options(options)


def run_job(job: Job) -> JobResult:
    """Extract one video and write its CSV(s); a bad video becomes a ``failed`` result."""
    assert _WORKER is not None, "worker not initialised"
    t0 = time.perf_counter()
    try:
        res = _WORKER.extract(job.video)
        write_extraction(res, job.output, world=job.world)
    except DataError as e:
        return JobResult(str(job.video), str(job.output), "failed", reason=e.reason)
    except Exception as e:  # noqa: BLE001 - one bad video must not stop the batch
        return JobResult(
            str(job.video), str(job.output), "failed", reason=f"{type(e).__name__}: {e}"
        )
    return JobResult(
        str(job.video),
        str(job.output),
        "done",
        frames=res.pose.n_frames,
        decoded_frames=res.n_decoded,
        detected_fraction=round(res.detected_fraction, 4),
        video_fps=res.video.fps,
        frame_width=res.video.width,
        frame_height=res.video.height,
        seconds=round(time.perf_counter() - t0, 3),
    )


# -- driver --------------------------------------------------------------------------------------
def default_workers() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_batch(
    source: str | Path,
    out_dir: str | Path | None = None,
    *,
    options: PoseExtractorOptions | None = None,
    workers: int | None = None,
    world: bool = False,
    overwrite: bool = False,
    manifest_path: str | Path | None = None,
    progress: bool = True,
    on_result: Callable[[JobResult], None] | None = None,
) -> BatchSummary:
    """Extract every video of ``source`` (a file or a folder tree) to pose CSVs.

    Finished outputs are skipped unless ``overwrite``. ``workers`` defaults to one per core
    (never more than there are videos to do); 1 runs in this process. The manifest (default
    ``OUT/extract_manifest.json``, or beside the video for a single file) is written at the end.
    """
    t_start = time.perf_counter()
    options = options or PoseExtractorOptions()
    jobs = plan_jobs(source, out_dir, world=world)
    src = Path(source)
    base = Path(out_dir) if out_dir is not None else (src.parent if src.is_file() else src)
    check_writable(base, beside=out_dir is None)
    remove_stale_temps(jobs)
    summary = BatchSummary(options=options.to_dict())
    todo: list[Job] = []
    for job in jobs:
        if job.is_done() and not overwrite:
            summary.results.append(JobResult(str(job.video), str(job.output), "skipped"))
        else:
            todo.append(job)
    n_workers = max(1, min(workers or default_workers(), len(todo) or 1))
    summary.workers = n_workers
    if todo:
        # Resolve (and build, once) the model here so workers do not race to build it.

        model = resolve_model_path(options.model_asset_path)
        options = replace(options, model_asset_path=str(model))
        summary.options["model_resolved"] = str(model)

    def record(r: JobResult) -> None:
        summary.results.append(r)
        if on_result is not None:
            on_result(r)

    with progress_bar(progress, len(todo)) as advance:
        if todo and n_workers == 1:
            worker_init(options)
            try:
                for job in todo:
                    r = run_job(job)
                    record(r)
                    advance(r)
            finally:
                global _WORKER
                if _WORKER is not None:
                    _WORKER.close()
                    _WORKER = None
        elif todo:
            ctx = mp.get_context("spawn")
            pool = ProcessPoolExecutor(
                n_workers, mp_context=ctx, initializer=worker_init, initargs=(options,)
            )
            try:
                pending: dict[Future[JobResult], Job] = {pool.submit(run_job, j): j for j in todo}
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = pending.pop(fut)
                        try:
                            r = fut.result()
                        except Exception as e:  # noqa: BLE001 - e.g. a worker crashed
                            r = JobResult(
                                str(job.video),
                                str(job.output),
                                "failed",
                                reason=f"worker error: {type(e).__name__}: {e}",
                            )
                        record(r)
                        advance(r)
            except BaseException:  # Ctrl-C: do not start queued videos, finish in-flight ones
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)

    order = {str(j.video): i for i, j in enumerate(jobs)}
    summary.results.sort(key=lambda r: order.get(r.video, 0))
    summary.seconds = time.perf_counter() - t_start
    if manifest_path is None:
        manifest_path = base / MANIFEST_NAME
    summary.manifest = Path(manifest_path)
    write_json(summary.manifest, summary.to_dict())
    return summary


def check_writable(base: Path, beside: bool) -> None:
    """Fail early, with a hint, when outputs cannot be written (e.g. a read-only dataset)."""
    probe = base
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    # Also honour permission bits that deny everyone write access (read-only datasets): root
    # passes os.access regardless, and should not write into a folder meant to stay read-only.
    if not os.access(probe, os.W_OK) or not probe.stat().st_mode & 0o222:
        hint = "; pass --out DIR to write the CSVs elsewhere" if beside else ""
        raise DataError(f"output folder is not writable{hint}", base)


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int):  # noqa: ANN202
    """Yield ``advance(result)``; shows a rich progress bar when enabled."""
    if not enabled or total == 0:
        yield lambda r: None
        return

    with Progress(
        TextColumn("[bold]extract[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        transient=False,
    ) as prog:
        task = prog.add_task("", total=total)

        def advance(r: JobResult) -> None:
            mark = "[green]ok[/]" if r.status == "done" else "[red]failed[/]"
            prog.update(task, advance=1, description=f"{mark} {Path(r.video).name}")

        yield advance
