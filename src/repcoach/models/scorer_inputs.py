"""Extra inputs of the correctness scorers: the repetition's tempo.

The classifier and the scorers see a repetition resampled to ``seq_len`` frames, so how long it
took is lost; yet a rushed repetition is a form fault (generated data: up to 45 % shorter than
the person's normal duration). A scorer trained with ``scorer_inputs`` gets one extra constant
channel per name, appended to every frame of its input, ``(seq_len, n_features + k)``; the
classifier's input stays ``(seq_len, n_features)`` (the paper's 30 x 99).

Channels (names stored in config.json ``scorer_inputs``, in this order):

- ``log_duration``: ``ln(seconds)`` of the repetition, clipped to [ln 0.1, ln 60];
- ``log_relative_duration``: ``ln(seconds / median seconds of the recording's repetitions)``,
  clipped to [-2, 2]: the tempo relative to the person's own pace in that set (people differ in
  pace far more than a rushed repetition differs from their normal one).

Seconds come from the frame timestamps (:func:`span_durations`), in training (each sample's
``[start, end)`` frames) and at analysis alike. No TensorFlow here: the LiteRT analyser uses it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.types import PoseSequence

LOG_DURATION = "log_duration"
LOG_RELATIVE_DURATION = "log_relative_duration"
#: Every known extra scorer input, in the order they are appended.
SCORER_INPUTS: tuple[str, ...] = (LOG_DURATION, LOG_RELATIVE_DURATION)
#: What ``--scorer-inputs duration`` (and ``auto`` for repetition models) turns on.
DURATION_INPUTS: tuple[str, ...] = SCORER_INPUTS
SCORER_INPUT_MODES = ("auto", "none", "duration")

_LOG_MIN, _LOG_MAX = math.log(0.1), math.log(60.0)
_REL_LIM = 2.0


def resolve_scorer_inputs(mode: str, clip_mode: str | None, has_durations: bool = True):
    """Channel names for a ``--scorer-inputs`` mode: ``none`` -> (), ``duration`` -> both
    duration channels, ``auto`` -> the duration channels for repetition models (``clip_mode``
    ``reps``) when durations are known, else () (a window's length is fixed, so it says
    nothing)."""
    if mode not in SCORER_INPUT_MODES:
        raise ValueError(f"scorer inputs must be one of {SCORER_INPUT_MODES}, got {mode!r}")
    if mode == "none":
        return ()
    if mode == "duration":
        if not has_durations:
            raise ValueError("scorer inputs 'duration' need sample durations (timestamps)")
        return DURATION_INPUTS
    reps = (clip_mode or "reps") in ("reps", "repetitions")
    return DURATION_INPUTS if reps and has_durations else ()


def config_scorer_inputs(cfg: dict[str, Any], where: Any = None) -> tuple[str, ...]:
    """The extra scorer inputs a model folder's config.json records (() for folders written
    before they existed); DataError for names this version does not know."""
    names = cfg.get("scorer_inputs") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError(f"expected a list of names, got {names!r}", where, column="scorer_inputs")
    unknown = [n for n in names if n not in SCORER_INPUTS]
    if unknown:
        raise DataError(
            f"unknown scorer input(s) {unknown}; this repcoach knows {list(SCORER_INPUTS)}",
            where, column="scorer_inputs",
        )  # fmt: skip
    return tuple(names)


def span_durations(seq: PoseSequence, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Seconds of each ``[start, end)`` frame span: ``t[end] - t[start]``, where the time after
    the last frame is the last timestamp plus one median frame step."""
    ts = np.asarray(seq.timestamps, dtype=np.float64)
    n = len(ts)
    step = float(np.median(np.diff(ts))) if n > 1 else (
        1.0 / seq.fps if np.isfinite(seq.fps) and seq.fps > 0 else 1.0 / 30.0)  # fmt: skip
    out = np.empty(len(spans), dtype=np.float64)
    for i, (s, e) in enumerate(spans):
        s, e = int(s), int(e)
        if not 0 <= s < e <= n:
            raise ValueError(f"span ({s}, {e}) is outside the recording's {n} frames")
        end_t = ts[e] if e < n else ts[-1] + step
        out[i] = end_t - ts[s]
    return out


def relative_durations(durations: np.ndarray, clip_ids: Sequence[Any]) -> np.ndarray:
    """Each duration divided by the median duration of its clip's samples."""
    d = np.asarray(durations, dtype=np.float64)
    clips = np.asarray([str(c) for c in clip_ids], dtype=object)
    out = np.ones_like(d)
    for c in set(clips):
        m = clips == c
        med = float(np.median(d[m]))
        if med > 0:
            out[m] = d[m] / med
    return out


def duration_values(
    names: Sequence[str], durations: np.ndarray, clip_ids: Sequence[Any]
) -> np.ndarray:
    """``(n, len(names))`` channel values for samples of ``durations`` seconds; ``clip_ids``
    group the samples of one recording (for the relative duration)."""
    d = np.asarray(durations, dtype=np.float64)
    if len(d) != len(clip_ids):
        raise ValueError(f"{len(d)} durations but {len(clip_ids)} clip ids")
    if len(d) and (not np.isfinite(d).all() or d.min() <= 0):
        raise ValueError("durations must be finite and positive")
    cols = []
    for name in names:
        if name == LOG_DURATION:
            cols.append(np.clip(np.log(np.maximum(d, 1e-6)), _LOG_MIN, _LOG_MAX))
        elif name == LOG_RELATIVE_DURATION:
            rel = relative_durations(d, clip_ids)
            cols.append(np.clip(np.log(np.maximum(rel, 1e-6)), -_REL_LIM, _REL_LIM))
        else:
            raise ValueError(f"unknown scorer input {name!r}")
    return np.stack(cols, axis=1).astype(np.float32) if cols else np.zeros((len(d), 0), np.float32)


def span_values(
    names: Sequence[str], seq: PoseSequence, spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Channel values for spans of ONE recording (as at analysis: the median is over them)."""
    return duration_values(names, span_durations(seq, spans), ["clip"] * len(spans))


def samples_values(names: Sequence[str], samples: Any) -> np.ndarray | None:
    """Channel values for :class:`~repcoach.samples.Samples` (None when ``names`` is empty)."""
    if not names:
        return None
    dur = getattr(samples, "duration", None)
    if dur is None:
        raise ValueError("these samples carry no durations; the scorer inputs need them")
    return duration_values(names, dur, samples.clip_id)


def append_channels(x: np.ndarray, values: np.ndarray | None) -> np.ndarray:
    """``(n, T, F)`` inputs with ``(n, k)`` constant channels appended -> ``(n, T, F + k)``."""
    x = np.asarray(x, dtype=np.float32)
    if values is None or np.asarray(values).shape[-1] == 0:
        return x
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 2 or len(v) != len(x):
        raise ValueError(f"expected ({len(x)}, k) channel values, got {v.shape}")
    return np.concatenate([x, np.repeat(v[:, None, :], x.shape[1], axis=1)], axis=2)
