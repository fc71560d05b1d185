"""Write a whole generated dataset in the EJUST-GYM-3 layout.

``DIR/participants.csv``, ``DIR/annotations.csv`` (one row per repetition with its true
boundaries, score and form deviations) and, per participant and exercise, the frontal and side
pose CSVs (plus IMU / thermal / audio files when those modalities are asked for and their
generator modules exist). Every (participant, exercise, stream) has its own random stream
derived from the seed, so the same seed gives byte-identical files, choosing fewer exercises
does not change the others, and adding a modality does not change the pose files.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from repcoach.errors import RepcoachError
from repcoach.io.atomic import atomic_write, remove_stale_temps
from repcoach.io.ejust import EXERCISES, LABEL_TO_CODE, RecordingName
from repcoach.io.metadata import write_participants
from repcoach.io.pose_csv import write_pose_csv
from repcoach.synth.camera import observe, place_cameras
from repcoach.synth.form import DEVIATIONS
from repcoach.synth.participants import sample_participants
from repcoach.synth.recording import Recording, simulate
from repcoach.types import Participant, PoseSequence

FPS = 30.0
VIEWS = ("frontal", "side")
#: Modalities besides pose and the function that writes each (module:function).
MODALITY_WRITERS: dict[str, str] = {
    "imu": "repcoach.synth.imu:write_imu",
    "thermal": "repcoach.synth.thermal:write_thermal",
    "audio": "repcoach.synth.audio:write_audio",
}
ALL_MODALITIES = ("pose", *MODALITY_WRITERS)
_STREAMS = {"motion": 0, "frontal": 1, "side": 2, "imu": 3, "thermal": 4, "audio": 5}
ANNOTATION_FIELDS = [
    "participant", "exercise", "label", "rep", "start_frame", "end_frame", "start_s", "end_s",
    "score", *(f"dev_{d}" for d in DEVIATIONS),
]  # fmt: skip


def stream_rng(seed: int, participant_index: int, code: str, stream: str) -> np.random.Generator:
    """The independent random stream of one (participant, exercise, stream) for ``seed``."""
    key = (1, participant_index, list(EXERCISES).index(code), _STREAMS[stream])
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))


def participants_for_seed(n: int, seed: int) -> list[Participant]:
    """The participants a dataset with this seed and size has."""
    return sample_participants(
        n, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    )


@dataclass(frozen=True)
class GeneratedRecording:
    """One recording's kinematics and its two tracked camera views."""

    participant: Participant
    code: str
    recording: Recording
    views: dict[str, PoseSequence]


def generate_recording(
    participant: Participant,
    participant_index: int,
    code: str,
    seed: int,
    reps: tuple[int, int] = (8, 12),
    n_reps: int | None = None,
) -> GeneratedRecording:
    """Simulate one participant doing one exercise and track it from both cameras."""
    rec = simulate(
        participant, code, stream_rng(seed, participant_index, code, "motion"), n_reps, reps
    )
    t = rec.frame_times(FPS)
    world = rec.landmarks_world(t)
    cams = place_cameras(world[::10], stream_rng(seed, participant_index, code, "frontal"))
    views = {
        v: observe(cams[v], world, t, stream_rng(seed, participant_index, code, v)) for v in VIEWS
    }
    return GeneratedRecording(participant, code, rec, views)


def annotation_rows(gen: GeneratedRecording) -> list[dict[str, object]]:
    """The annotations.csv rows (one per repetition) of one recording."""
    rows = []
    n = gen.views["frontal"].n_frames
    for r in gen.recording.reps:
        s, e = r.frames(FPS)
        rows.append(
            {
                "participant": gen.participant.name,
                "exercise": gen.code,
                "label": EXERCISES[gen.code],
                "rep": r.index,
                "start_frame": s,
                "end_frame": min(e, n),
                "start_s": f"{r.start_s:.4f}",
                "end_s": f"{r.end_s:.4f}",
                "score": f"{r.score:.4f}",
                **{f"dev_{k}": f"{r.deviations[k]:.4f}" for k in DEVIATIONS},
            }
        )
    return rows


def write_annotations(rows: list[dict[str, object]], path: str | Path) -> None:
    """Write ``annotations.csv`` atomically (columns :data:`ANNOTATION_FIELDS`)."""
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=ANNOTATION_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _codes(exercises: list[str] | tuple[str, ...] | None) -> list[str]:
    if exercises is None:
        return list(EXERCISES)
    out = []
    for e in exercises:
        code = e if e in EXERCISES else LABEL_TO_CODE.get(e)
        if code is None:
            known = ", ".join(f"{k} ({v})" for k, v in EXERCISES.items())
            raise RepcoachError(f"unknown exercise {e!r}; known: {known}")
        if code not in out:
            out.append(code)
    return out


def _writers(modalities: tuple[str, ...] | list[str]) -> dict[str, object]:
    """Look up the writer of every requested non-pose modality; fail before writing anything."""
    out = {}
    for m in modalities:
        if m == "pose":
            continue
        if m not in MODALITY_WRITERS:
            raise RepcoachError(f"unknown modality {m!r}; known: {', '.join(ALL_MODALITIES)}")
        mod_name, fn = MODALITY_WRITERS[m].split(":")
        if importlib.util.find_spec(mod_name) is None:
            raise RepcoachError(
                f"modality {m!r} needs {mod_name}.{fn}, which is not available in this install"
            )
        mod = importlib.import_module(mod_name)
        if not hasattr(mod, fn):
            raise RepcoachError(f"modality {m!r}: {mod_name} has no function {fn}()")
        out[m] = getattr(mod, fn)
    return out


def generate_dataset(
    out_dir: str | Path,
    n_participants: int = 12,
    seed: int = 0,
    exercises: list[str] | tuple[str, ...] | None = None,
    reps: tuple[int, int] = (8, 12),
    modalities: tuple[str, ...] | list[str] = ("pose",),
    progress: bool = True,
) -> Path:
    """Generate a dataset in ``out_dir`` (see the module doc); returns ``out_dir``."""

    out = Path(out_dir)
    codes = _codes(exercises)
    if not 1 <= reps[0] <= reps[1]:
        raise RepcoachError(f"repetitions range must satisfy 1 <= min <= max, got {reps}")
    writers = _writers(modalities)
    participants = participants_for_seed(n_participants, seed)
    out.mkdir(parents=True, exist_ok=True)

    remove_stale_temps(out)  # a killed earlier run's half-written files
    write_participants(participants, out / "participants.csv")

    jobs = [(i, p, c) for i, p in enumerate(participants) for c in codes]
    rows: list[dict[str, object]] = []
    bar = _progress(progress)
    with bar:
        task = bar.add_task("generating recordings", total=len(jobs))
        for i, p, code in jobs:
            gen = generate_recording(p, i, code, seed, reps)
            rec_dir = out / p.name / code
            if "pose" in modalities:
                for view, seq in gen.views.items():
                    path = out / RecordingName(p.name, code, view, "csv").relpath()
                    _write_view(seq, path)
            for m, fn in writers.items():
                fn(gen.recording, p, code, rec_dir, stream_rng(seed, i, code, m))  # type: ignore[operator]
            rows += annotation_rows(gen)
            bar.advance(task)
    write_annotations(rows, out / "annotations.csv")
    return out


def _write_view(seq: PoseSequence, path: Path) -> None:
    """Write a pose CSV; frames without detection get empty visibility cells too."""

    vis = np.where(seq.detected[:, None], seq.visibility, np.nan)
    write_pose_csv(replace(seq, visibility=vis), path)


def _progress(enabled: bool):

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
