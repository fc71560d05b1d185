"""Analyse every recording of a folder tree: one JSON per recording, resumable, with a manifest.

``DIR/a/x.csv`` (or ``x.mp4`` with no pose CSV beside it) gives ``OUT/a/x.json``, exactly what
``repcoach analyze DIR/a/x.csv --json OUT/a/x.json`` writes. JSONs are written atomically, so an
existing one is complete and a re-run skips it. Bad recordings are reported and skipped. Engines:
``local`` (this process, or a pool of ``spawn`` processes) and ``ray``
(:mod:`repcoach.pose.batch_ray`); each worker loads the TFLite models once.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from repcoach.analyze import Analyzer, AnalyzerOptions, load_recording, recording_frame_size
from repcoach.errors import DataError
from repcoach.io.atomic import write_json
from repcoach.pose.batch import check_writable, default_workers, find_videos
from repcoach.pose.batch_ray import (
    MAX_RESTARTS,
    MAX_TASK_RETRIES,
    cluster_cpus,
    import_ray,
    ray_map,
    ray_session,
)

ANALYZE_MANIFEST = "analyze_manifest.json"


@dataclass(frozen=True)
class AnalyzeJob:
    """One recording to analyse and where its JSON goes."""

    recording: Path
    output: Path

    def is_done(self) -> bool:
        return self.output.is_file()


@dataclass(frozen=True)
class AnalyzeSettings:
    """The :class:`repcoach.analyze.AnalyzerOptions` a folder run uses (picklable, flat)."""

    model_dir: str
    precision: str = "int8"
    scorer_label: str = "clip"
    exercise: str | None = None


@dataclass
class AnalyzeJobResult:
    """Outcome of one recording: ``status`` is ``done``, ``skipped`` or ``failed``."""

    recording: str
    output: str
    status: str
    reason: str | None = None
    exercise: str | None = None
    rep_count: int | None = None
    seconds: float | None = None


@dataclass
class AnalyzeSummary:
    """All results of a folder run; ``manifest`` is where it was saved."""

    results: list[AnalyzeJobResult] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    engine: str = "local"
    workers: int = 1
    seconds: float = 0.0
    manifest: Path | None = None

    def by_status(self, status: str) -> list[AnalyzeJobResult]:
        return [r for r in self.results if r.status == status]

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.by_status(s)) for s in ("done", "skipped", "failed")}

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "engine": self.engine, "workers": self.workers,
                "seconds": round(self.seconds, 3), "settings": self.settings,
                "results": [asdict(r) for r in self.results]}  # fmt: skip


def find_recordings(root: str | Path) -> list[Path]:
    """Pose CSVs under ``root`` (not ``-world.csv``), plus videos with no pose CSV beside them
    (sorted; hidden files and folders ignored)."""

    root = Path(root)
    csvs = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        csvs += [Path(dirpath) / f for f in filenames if f.endswith(".csv")
                 and not f.startswith(".") and not f.endswith("-world.csv")]  # fmt: skip
    videos = [v for v in find_videos(root) if not v.with_suffix(".csv").is_file()]
    return sorted(csvs + videos)


def plan_analysis(source: str | Path, out_dir: str | Path) -> list[AnalyzeJob]:
    """One job per recording of the folder ``source``; the tree is mirrored under ``out_dir``."""
    src = Path(source)
    if not src.is_dir():
        raise DataError("no such folder", src)
    recs = find_recordings(src)
    if not recs:
        raise DataError("no pose CSVs or videos found", src)
    out = Path(out_dir)
    return [AnalyzeJob(r, (out / r.relative_to(src)).with_suffix(".json")) for r in recs]


class AnalyzeWorker:
    """Loads the models once; :meth:`run` analyses one recording and writes its JSON."""

    def __init__(self, settings: AnalyzeSettings) -> None:

        self.analyzer = Analyzer.create_from_options(AnalyzerOptions(**asdict(settings)))

    def run(self, job: AnalyzeJob) -> AnalyzeJobResult:
        """Analyse ``job`` as ``repcoach analyze REC --json OUT`` does; errors -> ``failed``."""

        t0 = time.perf_counter()
        rec, out = str(job.recording), str(job.output)
        try:
            seq = load_recording(job.recording)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # kept in result.extra["warnings"]
                result = self.analyzer.analyze(seq, frame_size=recording_frame_size(rec))
            write_json(job.output, result.to_dict())
        except DataError as e:
            return AnalyzeJobResult(rec, out, "failed", reason=str(e))
        except Exception as e:  # noqa: BLE001 - one bad recording must not stop the batch
            return AnalyzeJobResult(rec, out, "failed", reason=f"{type(e).__name__}: {e}")
        return AnalyzeJobResult(rec, out, "done", exercise=result.exercise,
                                rep_count=result.rep_count,
                                seconds=round(time.perf_counter() - t0, 3))  # fmt: skip


_WORKER: AnalyzeWorker | None = None


def _init(settings: AnalyzeSettings) -> None:
    global _WORKER
    _WORKER = AnalyzeWorker(settings)


def _run(job: AnalyzeJob) -> AnalyzeJobResult:
    assert _WORKER is not None, "worker not initialised"
    return _WORKER.run(job)


def run_analysis(
    source: str | Path,
    out_dir: str | Path,
    settings: AnalyzeSettings,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    overwrite: bool = False,
    manifest_path: str | Path | None = None,
    progress: bool = True,
    on_result: Callable[[AnalyzeJobResult], None] | None = None,
) -> AnalyzeSummary:
    """Analyse every recording of the folder ``source`` into ``out_dir`` (see the module doc).
    ``workers``: local processes (1 = this process) or Ray actors (default: one per core)."""

    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray', got {engine!r}")
    t0 = time.perf_counter()
    jobs = plan_analysis(source, out_dir)
    check_writable(Path(out_dir), beside=False)
    if engine == "ray":
        import_ray()
    AnalyzeWorker(settings)  # a bad model folder fails here, once, not in every job
    _remove_temps(jobs)
    summary = AnalyzeSummary(settings=asdict(settings), engine=engine)
    todo = [j for j in jobs if overwrite or not j.is_done()]
    pending = set(todo)
    summary.results = [AnalyzeJobResult(str(j.recording), str(j.output), "skipped")
                       for j in jobs if j not in pending]  # fmt: skip
    n = max(1, min(workers or default_workers(), len(todo) or 1))
    summary.workers = n

    def record(r: AnalyzeJobResult) -> None:
        summary.results.append(r)
        if on_result is not None:
            on_result(r)
        advance(r)

    with progress_bar(progress, len(todo)) as advance:
        if todo and engine == "ray":


            analyze_on_ray(todo, settings, workers=workers, address=address, record=record,
                           summary=summary)  # fmt: skip
        elif todo and n == 1:
            worker = AnalyzeWorker(settings)
            for job in todo:
                record(worker.run(job))
        elif todo:
            pool = ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=_init,
                                       initargs=(settings,))  # fmt: skip
            try:
                futs: dict[Future[AnalyzeJobResult], AnalyzeJob] = {
                    pool.submit(_run, j): j for j in todo}
                while futs:
                    done, _ = wait(futs, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = futs.pop(fut)
                        try:
                            r = fut.result()
                        except Exception as e:  # noqa: BLE001 - e.g. a worker crashed
                            r = AnalyzeJobResult(str(job.recording), str(job.output), "failed",
                                                 reason=f"worker error: {e}")  # fmt: skip
                        record(r)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    _remove_temps(todo)  # left by workers killed mid-write; none is running now
    order = {str(j.recording): i for i, j in enumerate(jobs)}
    summary.results.sort(key=lambda r: order.get(r.recording, 0))
    summary.seconds = time.perf_counter() - t0
    summary.manifest = Path(manifest_path or Path(out_dir) / ANALYZE_MANIFEST)
    write_json(summary.manifest, summary.to_dict())
    return summary


def _remove_temps(jobs: list[AnalyzeJob]) -> None:
    """Delete temp files a killed run left beside our JSONs (``.<name>.*.tmp``)."""
    for job in jobs:
        if job.output.parent.is_dir():
            for tmp in job.output.parent.glob(f".{job.output.name}.*.tmp"):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int) -> Iterator[Callable[[AnalyzeJobResult], None]]:
    """Yield ``advance(result)``; a rich progress bar when enabled."""
    if not enabled or total == 0:
        yield lambda r: None
        return

    with Progress(TextColumn("[bold]analyze[/]"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.description}")) as prog:  # fmt: skip
        task = prog.add_task("", total=total)

        def advance(r: AnalyzeJobResult) -> None:
            mark = "[green]ok[/]" if r.status == "done" else "[red]failed[/]"
            prog.update(task, advance=1, description=f"{mark} {Path(r.recording).name}")

        yield advance


class AnalyzeActor:
    """Ray Data callable class: loads the TFLite models once
    (:class:`repcoach.analyze.folder.AnalyzeWorker`), analyses one recording per call."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self._worker = AnalyzeWorker(AnalyzeSettings(**settings))

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        out = []
        for text in batch["job"]:
            j = json.loads(str(text))
            r = self._worker.run(AnalyzeJob(Path(j["recording"]), Path(j["output"])))
            out.append(json.dumps(asdict(r)))
        return {"result": out}


def analyze_on_ray(
    todo: list[Any],
    settings: Any,
    *,
    workers: int | None,
    address: str | None,
    record: Callable[[Any], None],
    summary: Any,
    max_restarts: int = MAX_RESTARTS,
    max_task_retries: int = MAX_TASK_RETRIES,
) -> None:
    """The ``ray`` engine of :func:`repcoach.analyze.folder.run_analysis`: ``record`` gets
    each :class:`~repcoach.analyze.folder.AnalyzeJobResult`; sets ``summary.workers``."""
    local_n = max(1, min(workers or default_workers(), len(todo)))
    with ray_session(address, num_cpus=None if address else local_n) as ray:
        n = max(1, min(workers or cluster_cpus(ray), len(todo)))
        summary.workers = n
        rows = [{"recording": str(j.recording), "output": str(j.output)} for j in todo]
        seen: set[str] = set()
        for d in ray_map(rows, AnalyzeActor, {"settings": asdict(settings)}, workers=n,
                         max_restarts=max_restarts, max_task_retries=max_task_retries):  # fmt: skip
            r = AnalyzeJobResult(**d)
            seen.add(r.recording)
            record(r)
        for j in todo:
            if str(j.recording) not in seen:
                record(AnalyzeJobResult(str(j.recording), str(j.output), "failed",
                                        reason="worker error: the Ray task failed after "
                                        f"{max_task_retries} retries"))  # fmt: skip
