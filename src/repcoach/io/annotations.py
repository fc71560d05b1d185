"""Read ``DIR/annotations.csv`` of a dataset folder: one checked row per repetition."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from repcoach.errors import DataError
from repcoach.io.ejust import EXERCISES, LABEL_TO_CODE, is_participant_name
from repcoach.io.validate import MAX_DURATION_S, parse_number, read_csv_frame

ANNOTATION_COLUMNS = [
    "participant",
    "exercise",
    "label",
    "rep",
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "score",
]


def load_annotations(root: str | Path) -> pd.DataFrame | None:
    """Read ``DIR/annotations.csv`` (one row per repetition) or return None if there is none.

    Required columns :data:`ANNOTATION_COLUMNS`; further columns (one per form deviation) are
    kept. Raises :class:`DataError` naming the row and column of the first bad value.
    """

    path = Path(root) / "annotations.csv"
    if not path.is_file():
        return None
    df = read_csv_frame(path, "annotations.csv", dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in ANNOTATION_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; expected {','.join(ANNOTATION_COLUMNS)}", path, row=1
        )
    df = df.apply(lambda s: s.str.strip())
    for r, rec in enumerate(df[ANNOTATION_COLUMNS].itertuples(index=False), start=2):
        v = rec._asdict()
        for c in ANNOTATION_COLUMNS:
            if v[c] == "":
                raise DataError("empty value", path, row=r, column=c)
        if not is_participant_name(v["participant"]):
            raise DataError(
                f"participant {v['participant']!r} is not a 'firstname-lastname' slug",
                path,
                row=r,
                column="participant",
            )
        code = v["exercise"]
        if code not in EXERCISES:
            raise DataError(
                f"unknown exercise code {code!r}; known: {', '.join(EXERCISES)}",
                path,
                row=r,
                column="exercise",
            )
        if v["label"] in LABEL_TO_CODE and v["label"] != EXERCISES[code]:
            raise DataError(
                f"label {v['label']!r} contradicts exercise code {code!r} ({EXERCISES[code]})",
                path,
                row=r,
                column="label",
            )
        nums = {}
        for c in ("rep", "start_frame", "end_frame", "start_s", "end_s", "score"):
            nums[c] = parse_number(v[c], path, r, c, lo=0.0, hi=MAX_DURATION_S * 1000)
        for c in ("rep", "start_frame", "end_frame"):
            if nums[c] != int(nums[c]) or nums[c] < 0:
                raise DataError(
                    f"expected a whole number >= 0, got {v[c]!r}", path, row=r, column=c
                )
        if nums["end_frame"] <= nums["start_frame"]:
            raise DataError(
                f"end_frame ({v['end_frame']}) must be after start_frame ({v['start_frame']})",
                path,
                row=r,
                column="end_frame",
            )
        if not nums["end_s"] > nums["start_s"]:
            raise DataError(
                f"end_s ({v['end_s']}) must be after start_s ({v['start_s']})",
                path,
                row=r,
                column="end_s",
            )
        if not 0.0 <= nums["score"] <= 1.0:
            raise DataError(
                f"score must be in [0, 1], got {v['score']}", path, row=r, column="score"
            )
    out = df.copy()
    for c in ("rep", "start_frame", "end_frame"):
        out[c] = out[c].astype(float).astype("int64")
    for c in ("start_s", "end_s", "score"):
        out[c] = out[c].astype(float)
    return out


__all__ = ["ANNOTATION_COLUMNS", "load_annotations"]
