"""Repetition segmentation and counting: pose recordings, any multichannel array, any 1-D signal.

* ``excursion``: excursions from rest (the default pose method, tempo-free).
* ``period``: valleys of one periodic signal (IMU signals, ``Segmenter(method="period")``).
* ``motion``: pose -> motion features and one oscillating signal; ``signals``: shared tools.
* ``segmenter``: :class:`Segmenter`, :func:`segment_repetitions`, :func:`count_repetitions`.
* ``counter`` (+ ``pose_signals``): the periodicity counter for real recordings (class-agnostic,
  active span, many candidate signals); ``streaming``: :class:`StreamingCounter` for live use.
* ``metrics``: boundary errors and count metrics against ground truth.

See docs/preprocessing.md.
"""

from repcoach.segment.counter import CountOptions, CountResult, count_pose, count_signals
from repcoach.segment.excursion import ExcursionInfo, segment_array
from repcoach.segment.metrics import boundary_errors
from repcoach.segment.motion import MotionSignal, analyse_array, analyse_motion, motion_signal
from repcoach.segment.period import segment_signal
from repcoach.segment.segmenter import (
    DEFAULT_METHOD,
    Segmenter,
    count_repetitions,
    segment_repetitions,
)
from repcoach.segment.signals import estimate_period
from repcoach.segment.streaming import StreamingCounter

__all__ = [
    "DEFAULT_METHOD",
    "CountOptions",
    "CountResult",
    "StreamingCounter",
    "count_pose",
    "count_signals",
    "ExcursionInfo",
    "MotionSignal",
    "Segmenter",
    "analyse_array",
    "analyse_motion",
    "boundary_errors",
    "count_repetitions",
    "estimate_period",
    "motion_signal",
    "segment_array",
    "segment_repetitions",
    "segment_signal",
]
