"""The pose repetition segmenter: :class:`Segmenter` and the public ``segment_repetitions`` /
``count_repetitions``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repcoach.segment.counter import CountOptions, count_pose
from repcoach.segment.excursion import ExcursionInfo, segment_array
from repcoach.segment.motion import MotionSignal, analyse_motion, pose_features
from repcoach.segment.period import segment_signal
from repcoach.types import PoseSequence, Repetition


@dataclass
class Segmenter:
    """Pose repetition segmenter.

    ``method="excursion"`` (default): :func:`segment_array` on the cleaned, normalised
    coordinates of the main joints (tempo-free; alternating movements paired automatically).
    ``method="period"``: the earlier approach, :func:`analyse_motion` then
    :func:`segment_signal` (one principal component, valleys spaced by a global period).
    ``prominence``, ``smooth_s`` and ``rest_level`` default to the chosen method's defaults;
    ``min_period_s``/``max_period_s``/``pause_frac`` only apply to ``"period"``;
    ``n_components``, ``alternating`` and ``min_excursion_s`` only to ``"excursion"``.
    Attributes set by :meth:`segment`: ``signal_`` (the :class:`MotionSignal` of the last
    sequence: the distance from rest for ``"excursion"``) and, for ``"excursion"``, ``info_``
    (:class:`ExcursionInfo`).
    """

    min_period_s: float = 0.4
    max_period_s: float = 6.0
    prominence: float | None = None
    smooth_s: float | None = None
    rest_level: float | None = None
    pause_frac: float = 0.35
    method: str = "excursion"
    n_components: int = 6
    alternating: bool | None = None
    min_excursion_s: float = 0.12
    min_finite: float = 0.9

    def segment(self, seq: PoseSequence) -> list[Repetition]:
        """Repetitions of ``seq`` with frame indices and times from its timestamps."""
        rate = seq.fps if seq.n_frames > 1 else 30.0
        if self.method == "excursion":
            bounds, info = segment_array(
                pose_features(seq, fill=False, min_finite=self.min_finite),
                rate,
                prominence=0.15 if self.prominence is None else self.prominence,
                rest_level=0.12 if self.rest_level is None else self.rest_level,
                smooth_s=0.033 if self.smooth_s is None else self.smooth_s,
                n_components=self.n_components,
                min_excursion_s=self.min_excursion_s,
                alternating=self.alternating,
                return_info=True,
            )
            self.info_ = info
            self.signal_ = MotionSignal(
                info.distance, rate, float("nan"), 0.0, -1, info.cycles_per_rep
            )
        elif self.method == "period":
            ms = analyse_motion(seq, min_period_s=self.min_period_s, max_period_s=self.max_period_s)
            self.signal_ = ms
            bounds = segment_signal(
                ms.values,
                ms.rate_hz,
                min_period_s=self.min_period_s,
                max_period_s=self.max_period_s,
                prominence=0.2 if self.prominence is None else self.prominence,
                smooth_s=self.smooth_s,
                rest_level=0.15 if self.rest_level is None else self.rest_level,
                pause_frac=self.pause_frac,
                cycles_per_rep=ms.cycles_per_rep,
                period_s=ms.period_s if np.isfinite(ms.period_s) else None,
            )
        else:
            raise ValueError(f"unknown segmentation method {self.method!r}; use excursion/period")
        ts = seq.timestamps
        dt = 1.0 / rate
        reps = []
        for a, b in bounds:
            a, b = int(np.clip(a, 0, seq.n_frames - 1)), int(np.clip(b, a + 1, seq.n_frames))
            end_s = ts[b] if b < len(ts) else ts[-1] + dt
            reps.append(Repetition(start=a, end=b, start_s=float(ts[a]), end_s=float(end_s)))
        return reps


def _regular(reps: list[Repetition], info: ExcursionInfo) -> bool:
    """Whether excursion repetitions look reliable: durations of similar length (coefficient of
    variation <= 0.3) and >= 30 % of the span first start..last end near rest (distance within
    0.2 of the typical height above its 5th percentile). Thresholds: see docs/counting.md."""
    if len(reps) < 2 or info.amplitude <= 0:
        return False
    dur = np.array([r.end - r.start for r in reps], float)
    d = (info.distance - np.percentile(info.distance, 5)) / info.amplitude
    rest = float(np.mean(d[reps[0].start : reps[-1].end] < 0.2))
    return float(dur.std() / dur.mean()) <= 0.3 and rest >= 0.3


#: ``method="auto"`` takes the legacy repetitions on a count within one of the counter's only
#: where the counter's periodicity score is below this (a strongly periodic recording keeps the
#: counter's count); chosen in bench/bench_count.py, see docs/counting.md.
AUTO_NEAR_SCORE = 0.4

#: Method of :func:`segment_repetitions` when none is given (chosen by bench/bench_count.py and
#: bench/bench_segment.py; see docs/counting.md).
DEFAULT_METHOD = "auto"


def segment_repetitions(
    seq: PoseSequence, method: str | None = None, **options: float
) -> list[Repetition]:
    """Repetitions of a pose recording. ``method``: ``"counter"`` (periodicity counter for real
    recordings, :mod:`repcoach.segment.counter`, options of its ``CountOptions``), ``"legacy"``
    (= ``"excursion"``), ``"auto"`` (legacy when the two counts differ by at most one or its
    repetitions look regular, else the counter; the first clause only while the counter's
    score is below :data:`AUTO_NEAR_SCORE`; options go to :class:`Segmenter`) or
    ``"period"`` (:class:`Segmenter`, its options); default :data:`DEFAULT_METHOD`."""
    method = DEFAULT_METHOD if method is None else method
    if method == "counter":
        return count_pose(seq, CountOptions(**options)).repetitions
    if method == "auto":
        # the excursion segmenter's more precise boundaries where both agree on the count
        # within one or its repetitions are regular; the counter's repetitions otherwise
        res = count_pose(seq, CountOptions())
        reps = res.repetitions
        seg = Segmenter(**options)
        legacy = seg.segment(seq)
        near = abs(len(legacy) - len(reps)) <= 1 and res.score < AUTO_NEAR_SCORE
        return legacy if near or _regular(legacy, seg.info_) else reps
    return Segmenter(method="excursion" if method == "legacy" else method, **options).segment(seq)


def count_repetitions(seq: PoseSequence, method: str | None = None, **options: float) -> int:
    """Number of repetitions in a pose recording (``method``: see :func:`segment_repetitions`)."""
    return len(segment_repetitions(seq, method, **options))
