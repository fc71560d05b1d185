"""Generic indexed IMU datasets: ``index.csv`` plus one CSV (or ``.csv.gz``) per recording.

``index.csv`` needs a ``file`` column (path relative to the folder) and ``subject``; the class
comes from ``label`` (or, when there is none, ``exercise``); optional ``rep_count`` (true count),
``correctness``, ``split``; other columns are kept in :attr:`ImuIndexEntry.extra`.

A recording CSV has one time column (``t_s``, ``time_s``, ``time``, ``elapsed (s)``; seconds)
and channel columns. Channel names are normalised to ``<site>.<signal>_<axis>`` with signal in
acc/gyro/mag, e.g. SPAR's ``acc_x_g`` -> ``wrist.acc_x`` and pt_exercises' ``u2_gyr_z`` ->
``u2.gyro_z``. Units are normalised to g (acc), deg/s (gyro); magnetometer values are kept as
given. Units are read from a column suffix (``_g``, ``_ms2``, ``_rads``, ``_dps``); without a
suffix the accelerometer is taken as m/s^2 when its median magnitude is near 9.8 (else g) and
the gyroscope as rad/s (all three real IMU folders document rad/s), unless ``units`` says
otherwise. ``time_index`` columns are dropped. :func:`load_imu_recording` resamples to 50 Hz.

``reps.csv`` (pt_exercises_imu) holds annotated repetitions with 1-based ``start_index`` /
``end_index`` sample numbers: :func:`read_rep_annotations` returns them in seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repcoach.errors import DataError
from repcoach.io.validate import (
    check_finite,
    check_timestamps,
    parse_number,
    read_csv_frame,
)
from repcoach.types import ImuRecording

G = 9.80665
#: Plausible IMU sampling rates (Hz), in index.csv ``fs_hz`` and from the time column.
MIN_FS_HZ = 1.0
MAX_FS_HZ = 2000.0
TIME_COLUMNS = ("t_s", "time_s", "time", "elapsed (s)", "timestamp_s")
DROP_COLUMNS = ("time_index", "index", "sample")
_SIGNAL_ALIASES = {"acc": "acc", "gyr": "gyro", "gyro": "gyro", "mag": "mag"}
_UNIT_SUFFIXES = {"g": "g", "ms2": "m/s^2", "mps2": "m/s^2", "rads": "rad/s", "dps": "deg/s",
                  "degs": "deg/s", "ut": "uT"}
_CHANNEL_RE = re.compile(
    r"^(?:(?P<site>[a-z0-9]+)[_.])??(?P<sig>acc|gyr|gyro|mag)_(?P<axis>[xyz])(?:_(?P<unit>[a-z0-9]+))?$"
)


@dataclass(frozen=True)
class ImuIndexEntry:
    """One row of ``index.csv``."""

    path: Path
    subject: str
    label: str
    rep_count: int | None = None
    correctness: float | None = None
    split: str | None = None
    fs_hz: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        n = self.path.name
        for suf in (".csv.gz", ".csv"):
            if n.endswith(suf):
                return n[: -len(suf)]
        return self.path.stem


def read_imu_index(root: str | Path, label_column: str | None = None) -> list[ImuIndexEntry]:
    """Rows of ``root/index.csv``; raises :class:`DataError` naming row and column on bad
    input (missing columns, missing files, non-integer ``rep_count``)."""

    root = Path(root)
    idx_path = root / "index.csv"
    if not idx_path.exists():
        raise DataError("no index.csv in the dataset folder", root)
    df = read_csv_frame(idx_path, "index.csv", dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    if label_column is None:
        label_column = "label" if "label" in df.columns else "exercise"
    for col in ("file", "subject", label_column):
        if col not in df.columns:
            raise DataError(
                f"missing column {col!r}; index.csv needs file, subject and label (or exercise)",
                idx_path,
                row=1,
            )
    known = {"file", "subject", label_column, "rep_count", "correctness", "split", "fs_hz"}
    out = []
    seen: dict[str, int] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        row = {k: str(v).strip() for k, v in row.items()}
        if not row["file"]:
            raise DataError("empty file name", idx_path, row=i, column="file")
        if row["file"] in seen:
            raise DataError(f"file {row['file']!r} listed twice (first on row "
                            f"{seen[row['file']]})", idx_path, row=i, column="file")
        seen[row["file"]] = i
        for col in ("subject", label_column):
            if not row[col]:
                raise DataError("empty value", idx_path, row=i, column=col)
        p = root / row["file"]
        if not p.is_file():
            raise DataError(f"file {row['file']!r} listed in index.csv does not exist",
                            idx_path, row=i, column="file")
        rc = parse_number(row.get("rep_count", ""), idx_path, i, "rep_count", lo=0, hi=10_000,
                          integer=True, allow_empty=True)
        corr = parse_number(row.get("correctness", ""), idx_path, i, "correctness", lo=0.0,
                            hi=1.0, allow_empty=True)
        fs = parse_number(row.get("fs_hz", ""), idx_path, i, "fs_hz", lo=MIN_FS_HZ,
                          hi=MAX_FS_HZ, allow_empty=True)
        out.append(
            ImuIndexEntry(
                path=p,
                subject=str(row["subject"]),
                label=str(row[label_column]),
                rep_count=None if rc is None else int(rc),
                correctness=corr,
                split=row.get("split") or None,
                fs_hz=fs,
                extra={k: v for k, v in row.items() if k not in known},
            )
        )
    if not out:
        raise DataError("index.csv lists no recordings", idx_path, row=2)
    return out


def normalise_channel(name: str, default_site: str = "wrist") -> tuple[str, str | None] | None:
    """``("u2.gyro_z", unit-or-None)`` for a raw column name, or None if not an IMU channel."""
    m = _CHANNEL_RE.match(name.strip().lower())
    if not m:
        return None
    site = m.group("site") or default_site
    sig = _SIGNAL_ALIASES[m.group("sig")]
    unit = _UNIT_SUFFIXES.get(m.group("unit") or "")
    return f"{site}.{sig}_{m.group('axis')}", unit


def read_imu_csv(
    path: str | Path, units: dict[str, str] | None = None, default_site: str = "wrist"
) -> ImuRecording:
    """One recording at its own rate, channels normalised, acc in g and gyro in deg/s.

    ``units`` maps a signal (``acc``/``gyro``) to its unit when the columns carry no suffix."""

    path = Path(path)
    df = read_csv_frame(path, "IMU CSV")
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise DataError("no samples in IMU CSV", path, row=2)
    cols = {c.lower().strip(): c for c in df.columns}
    tcol = next((cols[c] for c in TIME_COLUMNS if c in cols), None)
    if tcol is None:
        raise DataError(f"no time column (one of {TIME_COLUMNS}); columns are {list(df.columns)}",
                        path, row=1)
    t = pd.to_numeric(df[tcol], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(t))
    if len(bad):
        raise DataError("expected a time in seconds", path, row=int(bad[0]) + 2, column=tcol)
    back = np.flatnonzero(np.diff(t) <= 0)
    if len(back):
        raise DataError("time must increase strictly", path, row=int(back[0]) + 3, column=tcol)
    check_timestamps(t, path, tcol, min_rate_hz=MIN_FS_HZ, max_rate_hz=MAX_FS_HZ)
    names, data, sig_units, raw_cols = [], [], {}, []
    for c in df.columns:
        if c == tcol or c.lower() in DROP_COLUMNS:
            continue
        norm = normalise_channel(c, default_site)
        if norm is None:
            continue
        ch, unit = norm
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(np.float64)
        nonnum = np.flatnonzero(~np.isfinite(v) & df[c].notna().to_numpy())
        if len(nonnum):
            raise DataError(f"expected a number, got {df[c].iloc[nonnum[0]]!r}", path,
                            row=int(nonnum[0]) + 2, column=c)
        names.append(ch)
        raw_cols.append(c)
        data.append(v)
        if unit:
            sig_units[ch] = unit
    if not names:
        raise DataError(
            f"no IMU channel columns (like acc_x, u1_gyr_y); columns are {list(df.columns)}",
            path, row=1)
    x = np.stack(data, axis=1)
    check_finite(x, path, raw_cols)
    units = units or {}
    raw = x.copy()
    for j, ch in enumerate(names):
        sig = ch.split(".", 1)[1].split("_", 1)[0]
        unit = sig_units.get(ch) or units.get(sig)
        if unit is None and sig == "acc":
            site = ch.split(".", 1)[0]
            idx = [k for k, n in enumerate(names) if n.startswith(f"{site}.acc_")]
            mag = np.nanmedian(np.linalg.norm(raw[:, idx], axis=1))
            unit = "m/s^2" if 4.0 < mag < 20.0 else "g"
        if unit is None and sig == "gyro":
            unit = "rad/s"
        if unit == "m/s^2":
            x[:, j] /= G
        elif unit == "rad/s":
            x[:, j] = np.degrees(x[:, j])
    return ImuRecording(timestamps=t - t[0], data=x.astype(np.float32), channels=tuple(names),
                        rate_hz=float(1.0 / np.median(np.diff(t))), source=str(path))


@dataclass(frozen=True)
class RepAnnotation:
    """One annotated repetition of a recording, in seconds from its first sample."""

    start_s: float
    end_s: float
    execution_type: str | None = None
    correctness: float | None = None


def read_rep_annotations(root: str | Path) -> dict[str, list[RepAnnotation]]:
    """``{file: [RepAnnotation]}`` from ``root/reps.csv`` (empty when absent).

    ``start_index``/``end_index`` are 1-based sample numbers at the recording's ``fs_hz``
    (from index.csv), so second = (index - 1) / fs_hz."""

    root = Path(root)
    p = root / "reps.csv"
    if not p.exists():
        return {}
    fs = {str(e.path.relative_to(root)): e.fs_hz for e in read_imu_index(root)}
    df = read_csv_frame(p, "reps.csv", dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    for col in ("file", "start_index", "end_index"):
        if col not in df.columns:
            raise DataError(f"missing column {col!r}; reps.csv needs file, start_index, "
                            "end_index", p, row=1)
    out: dict[str, list[RepAnnotation]] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        row = {k: str(v).strip() for k, v in row.items()}
        rate = fs.get(row["file"])
        if rate is None:
            raise DataError(f"file {row['file']!r} is not in index.csv (or has no fs_hz)", p,
                            row=i, column="file")
        start = parse_number(row["start_index"], p, i, "start_index", lo=1)  # may be x.5
        end = parse_number(row["end_index"], p, i, "end_index", lo=1)
        assert start is not None and end is not None
        if end < start:
            raise DataError(f"end_index {end:g} is before start_index {start:g}", p, row=i,
                            column="end_index")
        corr = parse_number(row.get("correctness", ""), p, i, "correctness", lo=0.0, hi=1.0,
                            allow_empty=True)
        out.setdefault(row["file"], []).append(
            RepAnnotation(
                start_s=(start - 1) / rate,
                end_s=(end - 1) / rate,
                execution_type=row.get("execution_type") or None,
                correctness=corr,
            )
        )
    return out
