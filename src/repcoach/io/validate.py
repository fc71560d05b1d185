"""Shared checks for every reader: text encoding, CSV cells, numbers, timestamps and limits.

Each helper raises :class:`repcoach.errors.DataError` naming the file (and row / column when
known) so the CLI can print one ``error:`` line. The limits below bound the memory a hostile
file can make analysis allocate (see docs/errors.md).
"""

from __future__ import annotations

import csv
import io
import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repcoach.errors import DataError

#: Largest input text file read whole (bytes).
MAX_TEXT_BYTES = 512 * 1024**2
#: Longest CSV cell accepted (characters); real cells are numbers, names or paths.
MAX_CELL_CHARS = 4096
#: Longest recording accepted (seconds): 6 hours.
MAX_DURATION_S = 6 * 3600.0
#: Highest sampling / frame rate accepted (Hz), from the median time step.
MAX_RATE_HZ = 2000.0
#: Lowest sampling / frame rate accepted (Hz); below this the clock is probably in ms.
MIN_RATE_HZ = 0.5
#: Most samples (rows / frames) in one recording.
MAX_SAMPLES = 5_000_000
#: Largest absolute coordinate / sensor value accepted.
MAX_ABS_VALUE = 1e6


def read_text(path: str | Path, what: str = "file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The text of ``path`` decoded as UTF-8 (a BOM is allowed); a folder, a missing or
    unreadable file, a file over ``max_bytes`` or non-UTF-8 bytes is a DataError."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"is a folder; expected a {what}", path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"file not found (expected a {what})", path) from None
    except OSError as e:
        raise DataError(f"cannot read {what} ({e.strerror or e})", path) from None
    if size > max_bytes:
        raise DataError(f"{what} is {size / 1024**2:.0f} MiB; the limit is "
                        f"{max_bytes / 1024**2:.0f} MiB", path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read {what} ({e.strerror or e})", path) from None
    if path.name.lower().endswith(".gz"):
        raw = _gunzip(raw, path, what, max_bytes)
    return decode_utf8(raw, path, what)


def _gunzip(raw: bytes, path: Path, what: str, max_bytes: int) -> bytes:
    """Decompress a ``.gz`` file, refusing one that expands beyond ``max_bytes``."""

    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(raw, max_bytes + 1)
        if len(out) > max_bytes:
            raise DataError(f"{what} expands beyond {max_bytes / 1024**2:.0f} MiB when "
                            "decompressed", path)
        if not d.eof:
            raise DataError(f"{what} is a truncated gzip file", path)
    except zlib.error as e:
        raise DataError(f"{what} is not a readable gzip file ({e})", path) from None
    return out


def decode_utf8(raw: bytes, path: str | Path, what: str = "file") -> str:
    """``raw`` as UTF-8 text (BOM stripped); UTF-16 or other encodings are a DataError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{what} is UTF-16 text; save it as UTF-8", path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"{what} is not UTF-8 text (byte 0x{raw[e.start]:02x}); save it as "
                        "UTF-8", path, row=line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataError(f"{what} holds NUL bytes (binary data?); expected CSV text", path,
                        row=line)
    return text


def csv_rows(text: str, path: str | Path, what: str = "CSV") -> list[list[str]]:
    """All rows of CSV ``text``; malformed quoting or a cell over :data:`MAX_CELL_CHARS`
    characters is a DataError naming the row."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            for j, c in enumerate(cells):
                if len(c) > MAX_CELL_CHARS:
                    raise DataError(f"cell of {len(c)} characters; the limit is "
                                    f"{MAX_CELL_CHARS}", path, row=reader.line_num,
                                    column=f"#{j + 1}")
            rows.append(cells)
    except csv.Error as e:
        raise DataError(f"not a readable CSV ({what}: {e})", path, row=reader.line_num) from None
    return rows


def read_csv_frame(path: str | Path, what: str = "CSV", **kw: Any) -> Any:
    """``pandas.read_csv`` of a checked UTF-8 text file; every parse failure is a DataError."""

    text = read_text(path, what)
    if '"' in text or max(map(len, text.splitlines()), default=0) > MAX_CELL_CHARS:
        csv_rows(text, path, what)  # quoting and cell sizes, with row numbers (slow path)
    try:
        return pd.read_csv(io.StringIO(text), **kw)
    except pd.errors.EmptyDataError:
        raise DataError(f"not a readable CSV (empty file; expected a {what} header row)",
                        path) from None
    except (pd.errors.ParserError, ValueError, OverflowError) as e:
        raise DataError(f"not a readable CSV ({what}: {e})", path) from None


def parse_number(
    s: Any, path: str | Path, row: int | None, column: str, *, lo: float | None = None,
    hi: float | None = None, integer: bool = False, allow_empty: bool = False,
) -> float | None:
    """A finite number from one cell, within ``[lo, hi]``; whole when ``integer``; None for an
    empty cell when ``allow_empty``."""
    text = "" if s is None or (isinstance(s, float) and math.isnan(s)) else str(s).strip()
    if text == "":
        if allow_empty:
            return None
        raise DataError("empty value; expected a number", path, row=row, column=column)
    kind = "a whole number" if integer else "a number"
    try:
        x = float(text)
    except ValueError:
        raise DataError(f"expected {kind}, got {_short(text)!r}", path, row=row,
                        column=column) from None
    if not math.isfinite(x):
        raise DataError(f"expected a finite number, got {_short(text)!r}", path, row=row,
                        column=column)
    if integer and x != int(x):
        raise DataError(f"expected a whole number, got {_short(text)!r}", path, row=row,
                        column=column)
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        rng = f"{lo:g} to {hi:g}" if lo is not None and hi is not None else (
            f">= {lo:g}" if lo is not None else f"<= {hi:g}")
        raise DataError(f"{_short(text)} is out of range; expected {rng}", path, row=row,
                        column=column)
    return x


def check_finite(values: np.ndarray, path: str | Path, columns: list[str] | None = None,
                 max_abs: float = MAX_ABS_VALUE, first_row: int = 2) -> None:
    """Every non-NaN entry of ``values`` (rows = samples) is finite and within ``max_abs``;
    NaN (an empty cell) is allowed. The error names the file row and column."""
    v = np.asarray(values, dtype=np.float64)
    bad = np.isinf(v) | (np.abs(np.nan_to_num(v)) > max_abs)
    if bad.any():
        idx = np.argwhere(bad.reshape(len(v), -1))[0]
        r, c = int(idx[0]), int(idx[1])
        col = columns[c] if columns is not None and c < len(columns) else None
        raise DataError(f"value {v.reshape(len(v), -1)[r, c]!r} is not finite or beyond "
                        f"+-{max_abs:g}", path, row=r + first_row, column=col)


def check_timestamps(
    ts: np.ndarray, path: str | Path, column: str | None = None, *, first_row: int = 2,
    strict: bool = True, min_rate_hz: float = MIN_RATE_HZ, max_rate_hz: float = MAX_RATE_HZ,
    max_duration_s: float = MAX_DURATION_S, unit: str = "s",
) -> None:
    """Timestamps (in seconds, or ``unit``='ms') are finite, increasing (strictly when
    ``strict``), at a plausible rate and no longer than ``max_duration_s`` overall."""
    t = np.asarray(ts, dtype=np.float64)
    scale = 1000.0 if unit == "ms" else 1.0
    if len(t) > MAX_SAMPLES:
        raise DataError(f"{len(t)} samples; the limit is {MAX_SAMPLES}", path)
    bad = np.flatnonzero(~np.isfinite(t))
    if len(bad):
        raise DataError(f"timestamp {t[bad[0]]!r} is not a finite number", path,
                        row=int(bad[0]) + first_row, column=column)
    if len(t) < 2:
        return
    steps = np.diff(t)
    back = np.flatnonzero(steps <= 0 if strict else steps < 0)
    if len(back):
        r = int(back[0]) + 1
        raise DataError(f"timestamps must increase (got {t[r]:g} after {t[r - 1]:g})", path,
                        row=r + first_row, column=column)
    unit_name = "milliseconds" if unit == "ms" else "seconds"
    duration = (t[-1] - t[0]) / scale
    if duration > max_duration_s:
        raise DataError(f"recording spans {duration:.3g} s; the limit is {max_duration_s:g} s "
                        f"(are the timestamps in {unit_name}?)", path, column=column)
    pos = steps[steps > 0]
    if len(pos) == 0:
        return
    rate = scale / float(np.median(pos))
    if rate > max_rate_hz:
        raise DataError(f"time steps of {1 / rate:.3g} s ({rate:.3g} Hz); the limit is "
                        f"{max_rate_hz:g} Hz (are the timestamps in {unit_name}?)", path,
                        column=column)
    if rate < min_rate_hz:
        hint = " (milliseconds instead of seconds?)" if unit == "s" else ""
        raise DataError(f"time steps of {1 / rate:.3g} {unit if unit == 's' else 's'} "
                        f"({rate:.3g} Hz) are implausibly slow; expected at least "
                        f"{min_rate_hz:g} Hz{hint}", path, column=column)


def check_rate(fps: Any, path: str | Path, what: str = "fps", *, row: int | None = None,
               lo: float = MIN_RATE_HZ, hi: float = MAX_RATE_HZ) -> float:
    """A frame / sampling rate as a float within ``[lo, hi]`` Hz."""
    x = parse_number(fps, path, row, what, lo=lo, hi=hi)
    assert x is not None
    return x


def _short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[:n] + "..."


__all__ = [
    "MAX_ABS_VALUE", "MAX_CELL_CHARS", "MAX_DURATION_S", "MAX_RATE_HZ", "MAX_SAMPLES",
    "MAX_TEXT_BYTES", "MIN_RATE_HZ", "check_finite", "check_rate", "check_timestamps",
    "csv_rows", "decode_utf8", "parse_number", "read_csv_frame", "read_text",
]


def read_spans_csv(path: str | Path, max_rows: int = 100_000) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` rows of a repetitions CSV (columns ``start_s``, ``end_s``), each a
    finite time within :data:`MAX_DURATION_S` with end after start."""
    df = read_csv_frame(path, "repetitions CSV", dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    if not {"start_s", "end_s"} <= set(df.columns):
        raise DataError("needs columns start_s and end_s", path, row=1)
    if len(df) > max_rows:
        raise DataError(f"{len(df)} rows; the limit is {max_rows}", path)
    spans = []
    for r, (a, b) in enumerate(zip(df["start_s"], df["end_s"], strict=True), start=2):
        s = parse_number(a, path, r, "start_s", lo=-MAX_DURATION_S, hi=MAX_DURATION_S)
        e = parse_number(b, path, r, "end_s", lo=-MAX_DURATION_S, hi=MAX_DURATION_S)
        assert s is not None and e is not None
        if e <= s:
            raise DataError(f"end_s {b} must be after start_s {a}", path, row=r, column="end_s")
        spans.append((s, e))
    return spans
