"""Keeping native libraries quiet: TensorFlow, TFLite's converter and MediaPipe log through
absl/C++ straight to file descriptor 2, which Python's logging cannot filter."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any


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

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@contextlib.contextmanager
def quiet_tf_logs() -> Any:
    """Silence TF/absl warnings that are noise here (tf.function retracing for a new batch
    size; "HDF5 is legacy" when saving the paper's .h5 copy)."""
    loggers = [logging.getLogger(n) for n in ("tensorflow", "absl")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, lv in zip(loggers, levels, strict=True):
            lg.setLevel(lv)
