"""Recordings for analysis: a pose CSV or a video (pose extracted first), and frame sizes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from repcoach.analyze.options import check_frame_size
from repcoach.errors import DataError
from repcoach.io.media import VIDEO_EXTENSIONS
from repcoach.io.pose_csv import read_pose_csv
from repcoach.pose.extract import extract_pose
from repcoach.types import PoseSequence
from repcoach.video.io import probe_video


def recording_frame_size(path: str | Path) -> tuple[float, float] | None:
    """``(width, height)`` of a video's decoded frames (what the pose extractor saw); None for
    a pose CSV (its size, when ``repcoach extract`` recorded it, comes with the sequence from
    the ``.pose.json`` side file: ``PoseSequence.frame_size``)."""
    if not is_video(path):
        return None

    info = probe_video(path)
    return (float(info.width), float(info.height)) if info.width and info.height else None


def parse_frame_size(text: str) -> tuple[float, float]:
    """``"1280x720"`` -> ``(1280.0, 720.0)``; ValueError for anything else."""
    parts = text.lower().replace("\u00d7", "x").split("x")
    try:
        if len(parts) != 2:
            raise ValueError
        return check_frame_size((float(parts[0]), float(parts[1])))
    except ValueError:
        raise ValueError(f"expected WIDTHxHEIGHT in pixels (e.g. 1280x720), got {text!r}") from None


def load_recording(path: str | Path, **extract_kwargs: Any) -> PoseSequence:
    """Pose CSV -> :class:`PoseSequence`; video -> pose extracted with MediaPipe (lazy import)."""
    path = Path(path)
    if not path.exists():
        raise DataError("recording not found", path)
    if is_video(path):

        return extract_pose(path, **extract_kwargs)
    if path.suffix.lower() != ".csv":
        raise DataError(
            f"unsupported recording type {path.suffix!r} (expected a pose .csv or a video: "
            f"{', '.join(VIDEO_EXTENSIONS)})",
            path,
        )

    seq = read_pose_csv(path)
    if seq.source is None:
        seq = replace(seq, source=str(path))
    return seq


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS
