"""Checks of command-line arguments that run before a command writes anything."""

from __future__ import annotations

from pathlib import Path

from repcoach.errors import DataError


def check_output_folder(out: Path, option: str = "--out") -> None:
    """``out`` can be a folder to write into: not an existing file, nor inside one."""
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                raise DataError(f"{option} must name a folder, but this is a file"
                                + ("" if p == out else f" (a parent of {out})"), p)
            return
