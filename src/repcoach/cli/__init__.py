"""Command-line interface: thin typer commands over the library (``repcoach --help``).

Each module below registers its commands on the shared :data:`app`; heavy libraries
(TensorFlow, MediaPipe) are imported inside commands so ``--help`` stays fast.
"""

from __future__ import annotations

import sys

from repcoach.cli import analyze as _analyze  # noqa: F401
from repcoach.cli import dataset as _dataset  # noqa: F401
from repcoach.cli import demo as _demo  # noqa: F401
from repcoach.cli import extract as _extract  # noqa: F401
from repcoach.cli import imu as _imu  # noqa: F401
from repcoach.cli import live as _live  # noqa: F401
from repcoach.cli import serve as _serve  # noqa: F401
from repcoach.cli import sync as _sync  # noqa: F401
from repcoach.cli import synth as _synth  # noqa: F401
from repcoach.cli import train as _train  # noqa: F401
from repcoach.cli.app import app
from repcoach.errors import RepcoachError


def main() -> None:
    """Console-script entry point: user errors print one clear line and exit 2."""
    try:
        app()
    except RepcoachError as e:
        from rich.console import Console

        Console(stderr=True).print(f"[bold red]error:[/] {e}", highlight=False)
        sys.exit(2)


__all__ = ["app", "main"]
