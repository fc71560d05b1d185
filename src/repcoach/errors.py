"""Errors that name what was wrong with a user's input: the file, the row, what was expected."""

from __future__ import annotations

from pathlib import Path


class RepcoachError(Exception):
    """Base class for every error repcoach raises on purpose."""


class DataError(RepcoachError, ValueError):
    """Bad input data. The message names the file (and row/column when known)."""

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.row = row
        self.column = column
        self.reason = message
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{': '.join([', '.join(where)]) + ': ' if where else ''}{message}")
