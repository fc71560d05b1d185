"""Extra inputs of the correctness scorers: the repetition's tempo and push-up form features.

The classifier and the scorers see a repetition resampled to ``seq_len`` frames, so how long it
took is lost; yet a rushed repetition is a form fault (generated data: up to 45 % shorter than
the person's normal duration). A scorer trained with ``scorer_inputs`` gets one extra constant
channel per name, appended to every frame of its input, ``(seq_len, n_features + k)``; the
classifier's input stays ``(seq_len, n_features)`` (the paper's 30 x 99).

Channels (names stored in config.json ``scorer_inputs``, in this order):

- ``log_duration``: ``ln(seconds)`` of the repetition, clipped to [ln 0.1, ln 60];
- ``log_relative_duration``: ``ln(seconds / median seconds of the recording's repetitions)``,
  clipped to [-2, 2]: the tempo relative to the person's own pace in that set (people differ in
  pace far more than a rushed repetition differs from their normal one);
- ``form_<feature>`` (:data:`FORM_INPUTS`, one per :data:`repcoach.pose.pushup_form.FEATURES`,
  in that order): the push-up form features of the sample's frames
  (:func:`~repcoach.pose.pushup_form.pushup_form_features` on the aspect-corrected MediaPipe-33
  landmarks the pose inputs are cut from). Fixed scaling (:data:`FORM_SCALE`): angles in
  degrees / 180, body tilt in degrees / 90, hip offset (body lengths) and shoulder travel
  (torso lengths) as they are; then clipped to [-5, 5]. A feature that cannot be measured (its
  joints never seen, or fewer than 5 frames with a pose) is filled with the feature's value
  for a typical push-up: the rounded median over the 165 PushFit clips (none of which has an
  unmeasurable feature, so the fill does not touch the PushFit figures). MediaPipe-33 only:
  any other layout is a :class:`~repcoach.errors.DataError`.
- ``form3_<statistic>_<signal>`` (:data:`SIGNAL_INPUTS`, ``--scorer-inputs signals``): the
  median, 10th and 90th percentile over time of the 7 per-frame push-up form signals measured
  with MediaPipe's depth too (:func:`~repcoach.pose.pushup_signals.form_signals` with ``dims=3``,
  scaled by its fixed constants; :func:`~repcoach.pose.pushup_signals.signal_statistics`): 21
  channels, as the PushFit bench's best single candidate uses them. Frames without a pose are
  skipped; no pose at all gives the reference plank (0). MediaPipe-33 only.

Seconds come from the frame timestamps (:func:`span_durations`), form features from the frames
(:func:`span_form_features`), in training (each sample's ``[start, end)`` frames,
``Samples.duration`` / ``Samples.form_features``) and at analysis alike (:func:`span_values`).
No TensorFlow here: the LiteRT analyser uses it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.pose.pushup_form import FEATURES, feature_vector, pushup_form_features
from repcoach.pose.pushup_signals import SIGNAL_STATS, SIGNALS, form_signals, signal_statistics
from repcoach.types import PoseSequence

LOG_DURATION = "log_duration"
LOG_RELATIVE_DURATION = "log_relative_duration"
#: What ``--scorer-inputs duration`` (and ``auto`` for repetition models) turns on.
DURATION_INPUTS: tuple[str, ...] = (LOG_DURATION, LOG_RELATIVE_DURATION)
#: The push-up form channels (``--scorer-inputs form``), in pushup_form.FEATURES order.
FORM_INPUTS: tuple[str, ...] = tuple(f"form_{f}" for f in FEATURES)
#: Statistics of the 3-D push-up form signals (``--scorer-inputs signals``), in
#: signal_statistics order (statistic-major).
SIGNAL_INPUTS: tuple[str, ...] = tuple(f"form3_{st}_{sig}" for st in SIGNAL_STATS
                                       for sig in SIGNALS)  # fmt: skip
#: Every known extra scorer input, in the order they are appended.
SCORER_INPUTS: tuple[str, ...] = DURATION_INPUTS + FORM_INPUTS + SIGNAL_INPUTS
SCORER_INPUT_MODES = ("auto", "none", "duration", "form", "duration+form", "signals",
                      "form+signals")  # fmt: skip
#: Resampled length of a span's form signals before their statistics.
SIGNAL_LENGTH = 64
#: The only skeleton the form features are defined on.
FORM_LAYOUT = "mediapipe33"

_LOG_MIN, _LOG_MAX = math.log(0.1), math.log(60.0)
_REL_LIM = 2.0
_FORM_LIM = 5.0
#: ``feature: (divisor, raw value used when the feature cannot be measured)``; the fill is the
#: rounded median of the 165 PushFit clips (degrees, body lengths, torso lengths).
FORM_SCALE: dict[str, tuple[float, float]] = {
    "body_angle_median": (180.0, 171.0), "body_angle_p10": (180.0, 161.0),
    "body_angle_p90": (180.0, 178.0),
    "hip_offset_median": (1.0, 0.006), "hip_offset_p10": (1.0, -0.027),
    "hip_offset_p90": (1.0, 0.03),
    "knee_angle_median": (180.0, 165.0), "knee_angle_p10": (180.0, 157.0),
    "knee_angle_p90": (180.0, 173.0),
    "elbow_angle_min": (180.0, 59.0), "elbow_angle_max": (180.0, 173.0),
    "elbow_range": (180.0, 109.0),
    "neck_angle_median": (180.0, 159.0), "neck_angle_p10": (180.0, 149.0),
    "neck_angle_p90": (180.0, 172.0),
    "shoulder_travel": (1.0, 0.74),
    "body_tilt_median": (90.0, 13.0), "body_tilt_p10": (90.0, 2.6),
    "body_tilt_p90": (90.0, 18.0),
}  # fmt: skip


def resolve_scorer_inputs(mode: str, clip_mode: str | None, has_durations: bool = True):
    """Channel names for a ``--scorer-inputs`` mode: ``none`` -> (), ``duration`` -> both
    duration channels, ``form`` -> the push-up form channels, ``duration+form`` -> both
    families, ``signals`` -> the 3-D form-signal statistics, ``form+signals`` -> form channels
    and those statistics, ``auto`` -> the duration channels for repetition models (``clip_mode``
    ``reps``) when durations are known, else () (a window's length is fixed, so it says
    nothing)."""
    if mode not in SCORER_INPUT_MODES:
        raise ValueError(f"scorer inputs must be one of {SCORER_INPUT_MODES}, got {mode!r}")
    if mode == "none":
        return ()
    if mode == "form":
        return FORM_INPUTS
    if mode == "signals":
        return SIGNAL_INPUTS
    if mode == "form+signals":
        return FORM_INPUTS + SIGNAL_INPUTS
    if mode in ("duration", "duration+form"):
        if not has_durations:
            raise ValueError(f"scorer inputs {mode!r} need sample durations (timestamps)")
        return DURATION_INPUTS + (FORM_INPUTS if mode == "duration+form" else ())
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


def check_form_layout(layout: str, where: Any = None) -> None:
    """DataError unless ``layout`` is the skeleton the form features are defined on."""
    if layout != FORM_LAYOUT:
        raise DataError(
            f"the push-up form scorer inputs (form, signals) need the {FORM_LAYOUT} layout, "
            f"got {layout!r}", where,
        )  # fmt: skip


def span_form_features(seq: PoseSequence, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(len(spans), len(FEATURES))`` raw push-up form features of each ``[start, end)`` span
    of ``seq`` (MediaPipe-33, aspect-corrected), NaN where a feature cannot be measured."""
    check_form_layout(seq.layout.name, seq.source)
    out = np.empty((len(spans), len(FEATURES)), dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # nan-statistics of unseen joints
        for i, (s, e) in enumerate(spans):
            out[i] = feature_vector(pushup_form_features(seq, int(s), int(e)))
    return out


def span_signal_stats(seq: PoseSequence, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(len(spans), len(SIGNAL_INPUTS))`` statistics of the 3-D push-up form signals of each
    ``[start, end)`` span of ``seq`` (MediaPipe-33, aspect-corrected)."""
    check_form_layout(seq.layout.name, seq.source)
    out = np.empty((len(spans), len(SIGNAL_INPUTS)), dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # nan-statistics of unseen joints
        for i, (s, e) in enumerate(spans):
            sig = form_signals(seq.slice(int(s), int(e)), length=SIGNAL_LENGTH, dims=3)
            out[i] = signal_statistics(sig)
    return np.nan_to_num(out)


def form_values(names: Sequence[str], features: np.ndarray) -> np.ndarray:
    """``(n, len(names))`` scaled, filled form channels from ``(n, len(FEATURES))`` raw
    features (:data:`FORM_SCALE`: divided by the divisor, NaN -> the fill, clipped to ±5)."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] != len(FEATURES):
        raise ValueError(f"expected (n, {len(FEATURES)}) form features, got {f.shape}")
    cols = []
    for name in names:
        if name not in FORM_INPUTS:
            raise ValueError(f"unknown form input {name!r}")
        feature = name[len("form_"):]
        divisor, fill = FORM_SCALE[feature]
        col = f[:, FEATURES.index(feature)]
        cols.append(np.clip(np.where(np.isfinite(col), col, fill) / divisor,
                            -_FORM_LIM, _FORM_LIM))  # fmt: skip
    return np.stack(cols, axis=1).astype(np.float32) if cols else np.zeros((len(f), 0), np.float32)


def extra_values(
    names: Sequence[str], n: int, durations: np.ndarray | None = None,
    clip_ids: Sequence[Any] | None = None, form: np.ndarray | None = None,
    signals: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """``(n, len(names))`` channel values, in ``names`` order, of ``n`` samples from their
    ``durations`` (seconds; ``clip_ids`` group one recording's samples), raw ``form``
    features and 3-D form-signal statistics ``signals``, each needed only when a name of its
    family is asked for."""
    unknown = [x for x in names if x not in SCORER_INPUTS]
    if unknown:
        raise ValueError(f"unknown scorer input(s) {unknown}")
    columns: dict[str, np.ndarray] = {}
    dur_names = [x for x in names if x in DURATION_INPUTS]
    if dur_names:
        if durations is None or clip_ids is None:
            raise ValueError("the duration scorer inputs need durations and clip ids")
        columns.update(zip(dur_names, duration_values(dur_names, durations, clip_ids).T,
                           strict=True))  # fmt: skip
    form_names = [x for x in names if x in FORM_INPUTS]
    if form_names:
        if form is None:
            raise ValueError("the form scorer inputs need push-up form features")
        columns.update(zip(form_names, form_values(form_names, form).T, strict=True))
    if set(names) & set(SIGNAL_INPUTS):
        sig = None if signals is None else np.asarray(signals, np.float32)
        if sig is None or sig.ndim != 2 or sig.shape[1] != len(SIGNAL_INPUTS):
            raise ValueError(f"the signals scorer inputs need ({n}, {len(SIGNAL_INPUTS)}) "
                             "form-signal statistics")  # fmt: skip
        columns.update(zip(SIGNAL_INPUTS, sig.T, strict=True))
    if not names:
        return np.zeros((n, 0), np.float32)
    out = np.stack([columns[x] for x in names], axis=1).astype(np.float32)
    if len(out) != n:
        raise ValueError(f"expected values of {n} samples, got {len(out)}")
    return out


def span_values(
    names: Sequence[str], seq: PoseSequence, spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Channel values for spans of ONE recording (as at analysis: the median duration is over
    them; form features from each span's frames of ``seq``)."""
    durations = span_durations(seq, spans) if set(names) & set(DURATION_INPUTS) else None
    form = span_form_features(seq, spans) if set(names) & set(FORM_INPUTS) else None
    signals = span_signal_stats(seq, spans) if set(names) & set(SIGNAL_INPUTS) else None
    return extra_values(names, len(spans), durations, ["clip"] * len(spans), form, signals)


def samples_values(names: Sequence[str], samples: Any) -> np.ndarray | None:
    """Channel values for :class:`~repcoach.data.samples.Samples` (None when ``names`` is empty):
    from ``samples.duration`` and ``samples.form_features``, computed when the samples were
    cut, exactly as :func:`span_values` computes them at analysis."""
    if not names:
        return None
    dur = getattr(samples, "duration", None)
    if dur is None and set(names) & set(DURATION_INPUTS):
        raise ValueError("these samples carry no durations; the scorer inputs need them")
    form = getattr(samples, "form_features", None)
    signals = getattr(samples, "signal_stats", None)
    for family, values in ((FORM_INPUTS, form), (SIGNAL_INPUTS, signals)):
        if set(names) & set(family):
            check_form_layout(samples.layout, (samples.meta or {}).get("root"))
            if values is None:
                raise ValueError("these samples carry no push-up form measurements; the scorer "
                                 "inputs need them")  # fmt: skip
    return extra_values(names, len(samples), dur, samples.clip_id, form, signals)


def append_channels(x: np.ndarray, values: np.ndarray | None) -> np.ndarray:
    """``(n, T, F)`` inputs with ``(n, k)`` constant channels appended -> ``(n, T, F + k)``."""
    x = np.asarray(x, dtype=np.float32)
    if values is None or np.asarray(values).shape[-1] == 0:
        return x
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 2 or len(v) != len(x):
        raise ValueError(f"expected ({len(x)}, k) channel values, got {v.shape}")
    return np.concatenate([x, np.repeat(v[:, None, :], x.shape[1], axis=1)], axis=2)
