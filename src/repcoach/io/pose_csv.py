"""The pose CSV schema: one row per frame.

Columns: ``frame``, ``timestamp_s``, then for every landmark NN (two digits, layout order)
``lmNN_x``, ``lmNN_y``, ``lmNN_z`` (3D layouts only) and ``lmNN_vis``. An optional ``detected``
column (0/1) marks frames where no person was found; their landmark cells are empty. Missing
cells are empty (read as NaN). Files without ``timestamp_s`` (e.g. Penn Action) get timestamps
from ``fps``. The layout is given, or inferred from the number of landmark columns and whether
they have z.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_write
from repcoach.skeleton import Skeleton, infer_layout
from repcoach.types import PoseSequence

_LM_RE = re.compile(r"^lm(\d{2})_(x|y|z|vis)$")


def pose_columns(layout: Skeleton, with_detected: bool = False) -> list[str]:
    """Column names of the schema for ``layout``."""
    axes = ("x", "y", "z")[: layout.dims]
    cols = ["frame", "timestamp_s"] + (["detected"] if with_detected else [])
    for i in range(layout.n_joints):
        cols += [f"lm{i:02d}_{a}" for a in axes] + [f"lm{i:02d}_vis"]
    return cols


def read_pose_csv(
    path: str | Path, layout: Skeleton | None = None, fps: float = 30.0, space: str = "image"
) -> PoseSequence:
    """Read one pose CSV into a :class:`PoseSequence`; errors name the file, row and column."""
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError("file not found", path) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataError(f"not a readable CSV ({e.__class__.__name__}: {e})", path) from None

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
    block = df[cols]
    coords = block.to_numpy(dtype=np.float32).reshape(len(df), layout.n_joints, layout.dims)

    vis_cols = [f"lm{i:02d}_vis" for i in range(layout.n_joints)]
    if all(c in df.columns for c in vis_cols):
        vis = df[vis_cols].to_numpy(dtype=np.float32)
        vis = np.where(np.isnan(vis), 0.0, vis).astype(np.float32)
    else:
        vis = np.where(np.isnan(coords).any(axis=2), 0.0, 1.0).astype(np.float32)

    if "detected" in df.columns:
        detected = df["detected"].fillna(0).to_numpy().astype(bool)
    else:
        detected = ~np.isnan(coords).all(axis=(1, 2))

    if "timestamp_s" in df.columns:
        ts = df["timestamp_s"].to_numpy(dtype=np.float64)
        if np.isnan(ts).any():
            r = int(np.flatnonzero(np.isnan(ts))[0])
            raise DataError("empty timestamp", path, row=r + 2, column="timestamp_s")
        steps = np.diff(ts)
        if np.any(steps <= 0):
            r = int(np.flatnonzero(steps <= 0)[0]) + 1
            raise DataError(
                f"timestamps must increase (got {ts[r]} after {ts[r - 1]})",
                path,
                row=r + 2,
                column="timestamp_s",
            )
    else:
        frame = df["frame"].to_numpy(dtype=np.float64) if "frame" in df.columns else None
        ts = (frame - frame[0] if frame is not None else np.arange(len(df))) / fps

    return PoseSequence(
        coords=coords,
        timestamps=ts,
        layout=layout,
        visibility=vis,
        detected=detected,
        space=space,
        source=str(path),
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


def write_pose_csv(seq: PoseSequence, path: str | Path, decimals: int = 5) -> None:
    """Write ``seq`` in the schema, atomically. NaN cells are written empty."""
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
