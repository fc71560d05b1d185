"""The pose CSV schema: one row per frame.

Columns: ``frame``, ``timestamp_s``, then for every landmark NN (two digits, layout order)
``lmNN_x``, ``lmNN_y``, ``lmNN_z`` (3D layouts only) and ``lmNN_vis``. An optional ``detected``
column (0/1) marks frames where no person was found; their landmark cells are empty. Missing
cells are empty (read as NaN). Files without ``timestamp_s`` (e.g. Penn Action) get timestamps
from ``fps``. The layout is given, or inferred from the number of landmark columns and whether
they have z.

Side file: the frame size of the video the landmarks came from is not a per-frame value, so it
is not a column (the CSV stays a plain table for pandas / Excel users); it goes to a small JSON
beside the CSV, ``x.pose.json`` for ``x.csv`` (the ``<recording>.<what>.json`` naming of the
audio ``.sync.json`` files, which the dataset index already lists as side files)::

    {"format": "repcoach-pose-csv/1", "csv": "x.csv", "frame_width": 1280,
     "frame_height": 720, "fps": 30.0, "layout": "mediapipe33", "space": "image",
     "source": "x.mp4", "video_fps": 25.0}

Only ``frame_width`` / ``frame_height`` are read back (into ``PoseSequence.frame_size``); the
rest is for people. :func:`write_pose_csv` writes it (atomically, before the CSV, so an existing
CSV always has its side file) when the sequence knows its frame size, and removes a stale one
when it does not. A CSV without a side file reads as before (``frame_size`` None).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_write, write_json
from repcoach.io.validate import (
    MAX_SAMPLES,
    check_finite,
    check_rate,
    check_timestamps,
    read_csv_frame,
    read_text,
)
from repcoach.skeleton import Skeleton, infer_layout
from repcoach.types import PoseSequence

_LM_RE = re.compile(r"^lm(\d{2})_(x|y|z|vis)$")
#: Highest frame rate a pose CSV may have (Hz); bounds the frames resampling can make.
MAX_FPS = 1000.0


def pose_columns(layout: Skeleton, with_detected: bool = False) -> list[str]:
    """Column names of the schema for ``layout``."""
    axes = ("x", "y", "z")[: layout.dims]
    cols = ["frame", "timestamp_s"] + (["detected"] if with_detected else [])
    for i in range(layout.n_joints):
        cols += [f"lm{i:02d}_{a}" for a in axes] + [f"lm{i:02d}_vis"]
    return cols


#: Value of the side file's ``format`` key.
META_FORMAT = "repcoach-pose-csv/1"


def pose_meta_path(csv_path: str | Path) -> Path:
    """The side file of ``x.csv``: ``x.pose.json`` beside it."""
    p = Path(csv_path)
    return p.with_name(f"{p.stem}.pose.json")


def read_pose_meta(csv_path: str | Path) -> dict[str, Any] | None:
    """The side file of ``csv_path`` as a dict with ``frame_size`` checked and normalised to
    ``(width, height)`` floats (None when it has none), or None when there is no side file.
    A malformed one is a :class:`DataError` naming the side file and what was expected."""
    meta_path = pose_meta_path(csv_path)
    if not meta_path.exists():
        return None
    text = read_text(meta_path, "pose CSV side file", max_bytes=1024**2)
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e}); expected the pose CSV's side file, an object "
                        'like {"frame_width": 1280, "frame_height": 720}', meta_path) from None
    if not isinstance(meta, dict):
        raise DataError(f"expected a JSON object with frame_width and frame_height, got "
                        f"{type(meta).__name__}", meta_path)
    has = [k for k in ("frame_width", "frame_height") if meta.get(k) is not None]
    if not has:
        meta["frame_size"] = None
        return meta
    if len(has) == 1:
        missing = "frame_height" if has == ["frame_width"] else "frame_width"
        raise DataError(f"has {has[0]} but no {missing}; expected both (pixels)", meta_path)
    size = []
    for k in ("frame_width", "frame_height"):
        v = meta[k]
        ok = isinstance(v, int | float) and not isinstance(v, bool)
        if not ok or not math.isfinite(v) or not 0 < v <= 100_000:
            raise DataError(f"{k} must be a positive number of pixels, got {v!r}", meta_path)
        size.append(float(v))
    meta["frame_size"] = (size[0], size[1])
    return meta


def read_pose_csv(
    path: str | Path, layout: Skeleton | None = None, fps: float = 30.0, space: str = "image",
    *, meta: bool = True,
) -> PoseSequence:
    """Read one pose CSV into a :class:`PoseSequence`; errors name the file, row and column.
    With ``meta`` the frame size comes from the CSV's ``.pose.json`` side file when there is
    one (see the module docstring)."""
    path = Path(path)
    df = read_csv_frame(path, "pose CSV")
    df.columns = [str(c).strip() for c in df.columns]

    lm = {}
    for col in df.columns:
        m = _LM_RE.match(str(col))
        if m:
            lm.setdefault(int(m.group(1)), set()).add(m.group(2))
    if not lm:
        raise DataError(
            "no landmark columns found (expected lmNN_x, lmNN_y[, lmNN_z], lmNN_vis)", path
        )
    n_joints = max(lm) + 1
    has_z = any("z" in a for a in lm.values())
    if layout is None:
        try:
            layout = infer_layout(n_joints, has_z)
        except ValueError as e:
            raise DataError(str(e), path) from None
    elif layout.n_joints != n_joints:
        raise DataError(
            f"has {n_joints} landmarks but layout {layout.name!r} expects {layout.n_joints}", path
        )
    axes = ("x", "y", "z")[: layout.dims]
    for i in range(layout.n_joints):
        for a in axes:
            if f"lm{i:02d}_{a}" not in df.columns:
                raise DataError(f"missing column lm{i:02d}_{a}", path)
    if len(df) == 0:
        raise DataError("no frames (header only)", path)

    cols = [f"lm{i:02d}_{a}" for i in range(layout.n_joints) for a in axes]
    numeric = [c for c in df.columns if _LM_RE.match(str(c))]
    numeric += [c for c in ("frame", "timestamp_s", "detected") if c in df.columns]
    _check_numeric(df, numeric, path)
    if len(df) > MAX_SAMPLES:
        raise DataError(f"{len(df)} frames; the limit is {MAX_SAMPLES}", path)
    block = df[cols].apply(pd.to_numeric, errors="coerce")
    check_finite(block.to_numpy(np.float64), path, cols)
    vis_all = [c for c in df.columns if str(c).endswith("_vis") and _LM_RE.match(str(c))]
    check_finite(df[vis_all].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64),
                 path, vis_all, max_abs=1e3)
    coords = block.to_numpy(dtype=np.float32).reshape(len(df), layout.n_joints, layout.dims)

    vis_cols = [f"lm{i:02d}_vis" for i in range(layout.n_joints)]
    if all(c in df.columns for c in vis_cols):
        vis = df[vis_cols].to_numpy(dtype=np.float32)
        vis = np.where(np.isnan(vis), 0.0, vis).astype(np.float32)
    else:
        vis = np.where(np.isnan(coords).any(axis=2), 0.0, 1.0).astype(np.float32)

    if "detected" in df.columns:
        det = pd.to_numeric(df["detected"], errors="coerce").fillna(0).to_numpy(np.float64)
        bad = np.flatnonzero((det != 0) & (det != 1))
        if len(bad):
            raise DataError(f"detected must be 0 or 1, got {df['detected'].iat[bad[0]]!r}",
                            path, row=int(bad[0]) + 2, column="detected")
        detected = det.astype(bool)
    else:
        detected = ~np.isnan(coords).all(axis=(1, 2))

    if "timestamp_s" in df.columns:
        ts = df["timestamp_s"].to_numpy(dtype=np.float64)
        if np.isnan(ts).any():
            r = int(np.flatnonzero(np.isnan(ts))[0])
            raise DataError("empty timestamp", path, row=r + 2, column="timestamp_s")
        check_timestamps(ts, path, "timestamp_s", max_rate_hz=MAX_FPS)
    else:
        check_rate(fps, path, "fps", hi=MAX_FPS)
        frame = df["frame"].to_numpy(dtype=np.float64) if "frame" in df.columns else None
        ts = (frame - frame[0] if frame is not None else np.arange(len(df))) / fps
        check_timestamps(ts, path, "frame", max_rate_hz=MAX_FPS)

    info = read_pose_meta(path) if meta else None
    return PoseSequence(
        coords=coords,
        timestamps=ts,
        layout=layout,
        visibility=vis,
        detected=detected,
        space=space,
        source=str(path),
        frame_size=None if info is None else info["frame_size"],
    )


def _check_numeric(df: pd.DataFrame, columns: list[str], path: Path) -> None:
    """Raise a DataError at the first non-numeric cell (1-based file row, header = row 1)."""
    sub = df[columns]
    bad = sub.apply(lambda s: pd.to_numeric(s, errors="coerce")).isna() & sub.notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise DataError(
            f"expected a number, got {sub.iat[r, c]!r}", path, row=int(r) + 2, column=columns[c]
        )


def write_pose_csv(
    seq: PoseSequence, path: str | Path, decimals: int = 5,
    meta: Mapping[str, Any] | None = None,
) -> None:
    """Write ``seq`` in the schema, atomically. NaN cells are written empty.

    When ``seq.frame_size`` is known, the ``.pose.json`` side file is written first (with
    ``meta``'s extra keys, e.g. ``video_fps``); otherwise an old side file of ``path`` is
    removed, so a rewritten CSV never inherits another recording's frame size."""
    write_pose_meta(seq, path, meta)
    layout = seq.layout
    t = seq.n_frames
    data: dict[str, np.ndarray] = {
        "frame": np.arange(t),
        "timestamp_s": np.char.mod("%.6f", seq.timestamps),
        "detected": seq.detected.astype(int),
    }
    axes = ("x", "y", "z")[: layout.dims]
    coords = np.round(seq.coords.astype(np.float64), decimals)
    vis = np.round(seq.visibility.astype(np.float64), 3)
    for i in range(layout.n_joints):
        for k, a in enumerate(axes):
            data[f"lm{i:02d}_{a}"] = coords[:, i, k]
        data[f"lm{i:02d}_vis"] = vis[:, i]
    df = pd.DataFrame(data, columns=pose_columns(layout, with_detected=True))
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n")


def write_pose_meta(
    seq: PoseSequence, csv_path: str | Path, extra: Mapping[str, Any] | None = None
) -> Path | None:
    """Write (atomically) or remove the side file of ``csv_path`` for ``seq``; its path, or
    None when ``seq`` has no frame size (a stale side file is then deleted)."""
    meta_path = pose_meta_path(csv_path)
    if seq.frame_size is None:
        with contextlib.suppress(FileNotFoundError):
            meta_path.unlink()
        return None
    w, h = seq.frame_size
    fps = seq.fps
    info: dict[str, Any] = {
        "format": META_FORMAT,
        "csv": Path(csv_path).name,
        "frame_width": int(w) if float(w).is_integer() else w,
        "frame_height": int(h) if float(h).is_integer() else h,
        "fps": round(fps, 6) if math.isfinite(fps) else None,
        "layout": seq.layout.name,
        "space": seq.space,
        "source": None if seq.source is None else Path(seq.source).name,
    }
    for k, v in (extra or {}).items():
        if k not in info:
            info[k] = v
    write_json(meta_path, info)
    return meta_path
