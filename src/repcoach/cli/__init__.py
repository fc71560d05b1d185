"""Command-line interface: thin typer commands over the library (``repcoach --help``).

Each module below registers its commands on the shared :data:`app`, one module per command
(group), in pipeline order; TensorFlow and MediaPipe are imported only inside the commands that
run them.
"""

from __future__ import annotations

from repcoach.cli import analyze as _analyze  # noqa: F401
from repcoach.cli import boundary as _boundary
from repcoach.cli import count as _count  # noqa: F401
from repcoach.cli import crossval as _crossval  # noqa: F401
from repcoach.cli import dataset as _dataset  # noqa: F401
from repcoach.cli import demo as _demo  # noqa: F401
from repcoach.cli import evaluate as _evaluate  # noqa: F401
from repcoach.cli import export as _export  # noqa: F401
from repcoach.cli import extract as _extract  # noqa: F401
from repcoach.cli import fusion as _fusion  # noqa: F401
from repcoach.cli import live as _live  # noqa: F401
from repcoach.cli import serve as _serve  # noqa: F401
from repcoach.cli import sync as _sync  # noqa: F401
from repcoach.cli import synth as _synth  # noqa: F401
from repcoach.cli import thermal as _thermal  # noqa: F401
from repcoach.cli import train as _train  # noqa: F401
from repcoach.cli.app import app


def main() -> None:
    """Console-script entry point: bad input prints one ``error:`` line and exits 2; an
    internal error prints one line and exits 1 (traceback with ``--debug``)."""
    _boundary.run(app)


__all__ = ["app", "main"]
