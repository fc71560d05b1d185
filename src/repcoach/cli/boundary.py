"""The CLI's error boundary: bad input -> one ``error:`` line and exit 2 (docs/errors.md).

A :class:`~repcoach.errors.RepcoachError` or an expected :class:`OSError` (missing file, folder
given for a file, permission) prints one unwrapped line naming the file and exits 2. Any other
exception is a bug: one ``error: internal error ...`` line and exit 1; the global ``--debug``
option (``repcoach --debug CMD ...``) lets its traceback through instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import typer

try:  # typer >= 0.2x vendors click as typer._click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as click_exc

from repcoach.cli.app import app
from repcoach.errors import RepcoachError

#: Exit status for bad input / expected OS errors, and for bugs.
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1

_state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback of an unexpected (internal) error."
    ),
) -> None:
    """Exercise recognition, repetition counting and correctness scoring."""
    _state["debug"] = debug or bool(os.environ.get("REPCOACH_DEBUG"))


def one_line(text: str) -> str:
    """``text`` with its line breaks folded, so the message stays one line."""
    return " ".join(str(text).split())


def error_line(message: str) -> None:
    """Write ``error: message`` to stderr as exactly one line (never wrapped)."""
    sys.stderr.write(f"error: {one_line(message)}\n")
    sys.stderr.flush()


def os_error_message(e: OSError) -> str:
    """``path: reason`` for an OSError (the file first, as DataError messages do)."""
    reason = e.strerror or e.__class__.__name__
    if isinstance(e, IsADirectoryError):
        reason = "is a folder; expected a file"
    elif isinstance(e, NotADirectoryError):
        reason = "is a file; expected a folder"
    elif isinstance(e, FileExistsError):
        reason = "already exists"
    names = [str(n) for n in (e.filename, e.filename2) if n is not None]
    return f"{' -> '.join(names)}: {reason}" if names else f"{reason} ({e})"


def run(entry: Callable[..., object] = app) -> None:
    """Run ``entry`` (the typer app) behind the error boundary; exits the process."""
    try:
        rv = entry(standalone_mode=False)  # click errors come here instead of a rich panel
        sys.exit(rv if isinstance(rv, int) else 0)
    except click_exc.UsageError as e:  # bad option or argument value
        if e.__class__.__name__ == "NoArgsIsHelpError":  # help was printed
            sys.exit(EXIT_BAD_INPUT)
        hint = f" (see: {e.ctx.command_path} --help)" if e.ctx is not None else ""
        error_line(f"{e.format_message()}{hint}")
        sys.exit(EXIT_BAD_INPUT)
    except click_exc.ClickException as e:
        error_line(e.format_message())
        sys.exit(e.exit_code)
    except typer.Abort:
        error_line("aborted")
        sys.exit(130)
    except RepcoachError as e:
        error_line(str(e))
        sys.exit(EXIT_BAD_INPUT)
    except (
        FileNotFoundError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
        FileExistsError,
    ) as e:
        error_line(os_error_message(e))
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
    except (SystemExit, typer.Exit):
        raise
    except Exception as e:
        if _state["debug"] or os.environ.get("REPCOACH_DEBUG"):
            raise
        if isinstance(e, OSError):
            error_line(os_error_message(e))
            sys.exit(EXIT_BAD_INPUT)
        error_line(
            f"internal error ({e.__class__.__name__}: {e}); this is a bug in "
            "repcoach, rerun with --debug for the traceback"
        )
        sys.exit(EXIT_INTERNAL)
