"""Keeping native libraries quiet: TensorFlow, TFLite's converter and MediaPipe log through
absl/C++ straight to file descriptor 2, which Python's logging cannot filter."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced(enabled: bool = True) -> Iterator[None]:
    """Send C/C++ writes to stderr (fd 2) to /dev/null for a moment (MediaPipe's absl logs)."""
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # pragma: no cover - no real stderr
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def nan_warnings_silenced() -> Iterator[None]:
    """Silence numpy's all-NaN RuntimeWarnings ('mean of empty slice'): missing landmarks are
    expected input, not a problem to warn about."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
