"""Batch pose extraction on a Ray cluster, with Ray Data (folder analysis uses the same session
and mapping helpers: :mod:`repcoach.analyze.folder`).

Same jobs, outputs and manifest as :func:`repcoach.pose.batch.run_batch`: the planned jobs become a
dataset (``ray.data.from_items``, one job per block), mapped by a fixed pool of actors
(``map_batches`` with a stateful class, ``concurrency=N``) that each keep one PoseLandmarker
loaded. The actors write the CSVs themselves, atomically, so killing the driver loses no
finished video; a re-run skips them. A worker that dies mid-video is restarted by Ray
(``max_restarts``) and its video retried (``max_task_retries``); a video that still fails is
reported as ``failed``. Outputs go to paths seen by every node: on a multi-node cluster, OUT
must be a shared file system (NFS, EFS, ...). Ray is imported only here, on demand.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from repcoach.errors import RepcoachError
from repcoach.io.atomic import write_json
from repcoach.pose import batch
from repcoach.pose.batch import (
    MANIFEST_NAME,
    BatchSummary,
    Job,
    JobResult,
    check_writable,
    default_workers,
    plan_jobs,
    progress_bar,
    remove_partial_outputs,
    remove_stale_temps,
)
from repcoach.pose.extract import PoseExtractorOptions, resolve_model_path

#: Restarts of a dead actor and retries of the job it was running (Ray's own default is -1,
#: forever, which would loop on a video that crashes the landmarker every time).
MAX_RESTARTS = 3
MAX_TASK_RETRIES = 2


def import_ray() -> Any:
    """``import ray`` (with Ray Data), or a :class:`RepcoachError` saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        raise RepcoachError(
            f"--engine ray needs Ray Data, which is not installed ({e}); install it with "
            "pip install 'repcoach[ray]' (ray[data]==2.60.0), or use --engine local"
        ) from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """Yield ``ray``, connected: an already initialised Ray is used as is; else join the
    cluster at ``address``, or start a local instance with ``num_cpus`` (shut down after)."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "ERROR",
                              "log_to_driver": False}  # fmt: skip
    # Quiet the C++ core worker (its notes on actor restarts are not errors of ours).
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=num_cpus, **kwargs)
    try:
        yield ray
    finally:
        ray.shutdown()


def cluster_cpus(ray: Any) -> int:
    """CPUs of the connected cluster (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def ray_map(
    rows: list[dict[str, Any]],
    actor_cls: type,
    ctor_kwargs: dict[str, Any],
    *,
    workers: int,
    max_restarts: int = MAX_RESTARTS,
    max_task_retries: int = MAX_TASK_RETRIES,
) -> Iterator[dict[str, Any]]:
    """Map ``rows`` (one job each) through a pool of ``workers`` ``actor_cls`` actors, yielding
    each job's result dict as it completes. A job whose task still fails after the retries is
    left out (the caller reports it); Ray's own progress bars are off."""
    ray = import_ray()
    ctx = ray.data.DataContext.get_current()
    saved = (ctx.enable_progress_bars, ctx.max_errored_blocks, ctx.enable_auto_log_stats)
    ctx.enable_progress_bars, ctx.max_errored_blocks, ctx.enable_auto_log_stats = False, -1, False
    log = logging.getLogger("ray.data")
    level = log.level
    # Execution-plan notes, and tracebacks of tasks given up on (each becomes a ``failed``
    # result with its reason): our progress bar and manifest say it.
    log.setLevel(logging.CRITICAL)
    try:
        ds = ray.data.from_items([{"job": json.dumps(r)} for r in rows],
                                 override_num_blocks=len(rows))  # fmt: skip
        with warnings.catch_warnings():
            # Ray 2.60 has no named parameter for actor restarts / task retries yet.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
            ds = ds.map_batches(
                actor_cls,
                fn_constructor_kwargs=ctor_kwargs,
                batch_size=1,
                batch_format="numpy",
                # One job in flight per actor: a dying actor takes only its own video with it (Ray
                # Data queues several by default), and a long video holds up no other.
                compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
                num_cpus=1,
                max_restarts=max_restarts,
                max_task_retries=max_task_retries,
            )
        for row in ds.iter_rows():
            yield json.loads(str(row["result"]))
    finally:
        ctx.enable_progress_bars, ctx.max_errored_blocks, ctx.enable_auto_log_stats = saved
        log.setLevel(level)


class PoseExtractActor:
    """Ray Data callable class: loads the PoseLandmarker once, then extracts one job per call
    (exactly :func:`repcoach.pose.batch.run_job`, so outputs match the local engine byte for
    byte) and writes its CSVs atomically."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._batch = batch
        batch.worker_init(PoseExtractorOptions(**options))

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        out = []
        for text in batch["job"]:
            j = json.loads(str(text))
            job = Job(Path(j["video"]), Path(j["output"]), bool(j["world"]))
            out.append(json.dumps(self._batch.run_job(job).to_dict()))
        return {"result": out}


def run_batch_ray(
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
    address: str | None = None,
    max_restarts: int = MAX_RESTARTS,
    max_task_retries: int = MAX_TASK_RETRIES,
) -> BatchSummary:
    """:func:`repcoach.pose.batch.run_batch` on Ray: same plan, skip rule, outputs and manifest
    (plus ``engine`` and ``ray`` keys). ``workers`` = actors (default: one per core here, or
    every CPU of the cluster at ``address``); a local Ray gets ``num_cpus=workers``."""
    t_start = time.perf_counter()
    options = options or PoseExtractorOptions()
    jobs = plan_jobs(source, out_dir, world=world)
    src = Path(source)
    base = Path(out_dir) if out_dir is not None else (src.parent if src.is_file() else src)
    check_writable(base, beside=out_dir is None)
    import_ray()  # fail before any work when Ray is missing
    remove_stale_temps(jobs)
    summary = BatchSummary(options=options.to_dict())
    todo = [j for j in jobs if overwrite or not j.is_done()]
    pending = set(todo)
    summary.results = [JobResult(str(j.video), str(j.output), "skipped")
                       for j in jobs if j not in pending]  # fmt: skip
    ray_info: dict[str, Any] = {"address": address}
    if todo:

        model = resolve_model_path(options.model_asset_path)
        options = replace(options, model_asset_path=str(model))
        summary.options["model_resolved"] = str(model)
        local_n = max(1, min(workers or default_workers(), len(todo)))
        with ray_session(address, num_cpus=None if address else local_n) as ray:
            n = max(1, min(workers or cluster_cpus(ray), len(todo)))
            summary.workers = n
            ray_info.update(cluster_cpus=cluster_cpus(ray), nodes=len(ray.nodes()))
            rows = [{"video": str(j.video), "output": str(j.output), "world": j.world}
                    for j in todo]  # fmt: skip
            seen: set[str] = set()
            with progress_bar(progress, len(todo)) as advance:
                for d in ray_map(rows, PoseExtractActor, {"options": asdict(options)},
                                 workers=n, max_restarts=max_restarts,
                                 max_task_retries=max_task_retries):  # fmt: skip
                    r = JobResult(**d)
                    seen.add(r.video)
                    summary.results.append(r)
                    if on_result is not None:
                        on_result(r)
                    advance(r)
            for j in todo:  # lost after every retry (e.g. the landmarker crashes the worker)
                if str(j.video) not in seen:
                    remove_partial_outputs(j)
                    r = JobResult(str(j.video), str(j.output), "failed",
                                  reason="worker error: the Ray task failed after "
                                  f"{max_task_retries} retries")  # fmt: skip
                    summary.results.append(r)
                    if on_result is not None:
                        on_result(r)
        remove_stale_temps(todo)  # left by workers killed mid-write; none is running now
    order = {str(j.video): i for i, j in enumerate(jobs)}
    summary.results.sort(key=lambda r: order.get(r.video, 0))
    summary.seconds = time.perf_counter() - t_start
    summary.manifest = Path(manifest_path) if manifest_path is not None else base / MANIFEST_NAME
    write_json(summary.manifest, {**summary.to_dict(), "engine": "ray", "ray": ray_info})
    return summary
