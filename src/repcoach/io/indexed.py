"""Generic indexed datasets: a folder with ``index.csv`` and one CSV per sequence.

``index.csv`` columns: ``file`` (path relative to the folder), ``subject`` (participant id;
``unknown`` when not known), ``label`` (class name); optional ``correctness`` (a number in
[0, 1], e.g. 0/1 for incorrect/correct form), optional ``split`` (train / val / test), optional
``fps`` (frame rate of the sequence, used when its CSV has no timestamps), optional ``width`` and
``height`` (source image size in pixels); further columns are kept (e.g. ``source_group``).
Bad rows raise :class:`DataError` naming index.csv, the row (1-based file line) and column.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.io.pose_csv import read_pose_csv
from repcoach.io.validate import MAX_RATE_HZ, MIN_RATE_HZ, read_csv_frame
from repcoach.skeleton import Skeleton
from repcoach.types import PoseSequence

REQUIRED_COLUMNS = ("file", "subject", "label")
SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "validation": "val",
               "dev": "val", "test": "test"}


@dataclass(frozen=True)
class IndexRow:
    """One sequence of an indexed dataset. ``row`` is its line in index.csv (header = 1)."""

    path: Path
    file: str
    subject: str
    label: str
    row: int
    correctness: float = float("nan")
    split: str | None = None
    fps: float | None = None
    width: float | None = None
    height: float | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def clip_id(self) -> str:
        """Stable id of the sequence: its file path inside the dataset."""
        return self.file


@dataclass
class IndexedDataset:
    """A checked ``index.csv`` and where its files are."""

    root: Path
    rows: list[IndexRow]
    columns: list[str]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[IndexRow]:
        return iter(self.rows)

    @property
    def has_split(self) -> bool:
        return any(r.split is not None for r in self.rows)

    @property
    def has_correctness(self) -> bool:
        return any(math.isfinite(r.correctness) for r in self.rows)

    @property
    def labels(self) -> list[str]:
        return sorted({r.label for r in self.rows})

    def column(self, name: str) -> list[str]:
        """Values of any column (including extra ones) per row; DataError if absent."""
        if name not in self.columns:
            raise DataError(f"no column {name!r}; have {self.columns}", self.root / "index.csv")
        out = []
        for r in self.rows:
            v = {"file": r.file, "subject": r.subject, "label": r.label}.get(name)
            out.append(v if v is not None else r.extra.get(name, ""))
        return out

    def read_pose(self, row: IndexRow, layout: Skeleton | None = None) -> PoseSequence:
        """Read one pose CSV (any supported layout). Coordinates above 2 mean pixels (Penn
        Action) and set ``space="pixels"``; otherwise ``"image"``."""

        seq = read_pose_csv(row.path, layout=layout, fps=row.fps or 30.0)
        with np.errstate(invalid="ignore"):
            vis = seq.visibility > 0
            c = seq.coords[..., :2][vis]
            big = c.size > 0 and float(np.nanmax(np.abs(c))) > 2.0
        if big:
            seq = replace(seq, space="pixels")
        return seq


def load_index(root: str | Path, check_files: bool = True) -> IndexedDataset:
    """Read and check ``root/index.csv``."""

    root = Path(root)
    path = root / "index.csv"
    if not path.is_file():
        raise DataError("no index.csv (not an indexed dataset)", root)
    df = read_csv_frame(path, "index.csv", dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; need {', '.join(REQUIRED_COLUMNS)} "
            "(optional: correctness, split, fps)",
            path,
            row=1,
        )
    if len(df) == 0:
        raise DataError("no rows", path)
    known = {"file", "subject", "label", "correctness", "split", "fps", "width", "height"}
    rows = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(df.to_dict("records")):
        r = i + 2
        v = {k: str(x).strip() for k, x in rec.items()}
        if not v["file"]:
            raise DataError("empty file name", path, row=r, column="file")
        if v["file"] in seen:
            raise DataError(f"file listed twice (first on row {seen[v['file']]})", path, row=r,
                            column="file")
        seen[v["file"]] = r
        fpath = (root / v["file"]).resolve()
        if check_files and not fpath.is_file():
            raise DataError(f"file {v['file']!r} not found", path, row=r, column="file")
        if not v["label"]:
            raise DataError("empty label", path, row=r, column="label")
        corr = _number(v.get("correctness", ""), path, r, "correctness")
        if math.isfinite(corr) and not 0.0 <= corr <= 1.0:
            raise DataError(f"correctness must be in [0, 1], got {corr}", path, row=r,
                            column="correctness")
        split = None
        if v.get("split"):
            split = SPLIT_NAMES.get(v["split"].lower())
            if split is None:
                raise DataError(f"split must be train, val or test, got {v['split']!r}", path,
                                row=r, column="split")
        fps = _number(v.get("fps", ""), path, r, "fps")
        if math.isfinite(fps) and not MIN_RATE_HZ <= fps <= MAX_RATE_HZ:
            raise DataError(f"fps must be {MIN_RATE_HZ:g} to {MAX_RATE_HZ:g}, got {fps:g}", path,
                            row=r, column="fps")
        width = _number(v.get("width", ""), path, r, "width")
        height = _number(v.get("height", ""), path, r, "height")
        rows.append(
            IndexRow(
                path=fpath,
                file=v["file"],
                subject=v["subject"] or "unknown",
                label=v["label"],
                row=r,
                correctness=corr,
                split=split,
                fps=fps if math.isfinite(fps) else None,
                width=width if math.isfinite(width) and width > 0 else None,
                height=height if math.isfinite(height) and height > 0 else None,
                extra={k: x for k, x in v.items() if k not in known},
            )
        )
    return IndexedDataset(root=root, rows=rows, columns=list(df.columns))


def _number(s: str, path: Path, row: int, column: str) -> float:
    if s == "" or s.lower() in ("nan", "na"):
        return float("nan")
    try:
        x = float(s)
    except ValueError:
        raise DataError(f"expected a number, got {s!r}", path, row=row, column=column) from None
    if not math.isfinite(x):
        raise DataError(f"expected a finite number, got {s!r}", path, row=row, column=column)
    return x


def as_dict(row: IndexRow) -> dict[str, Any]:
    """Plain dict of a row (for reports)."""
    return {"file": row.file, "subject": row.subject, "label": row.label,
            "correctness": row.correctness, "split": row.split, **row.extra}
