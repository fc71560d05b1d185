"""Pose processing: extraction (``extract``), cleaning, normalisation, fixed-length resampling.

Kept light on purpose: submodules are imported when used, so ``import repcoach.pose`` does not
pull in MediaPipe or SciPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from repcoach.pose.clean import clean
from repcoach.pose.normalize import normalize

if TYPE_CHECKING:
    from repcoach.types import PoseSequence

__all__ = ["preprocess"]


def preprocess(seq: PoseSequence, **clean_options: float) -> PoseSequence:
    """``normalize(clean(seq))``: the per-recording part of the canonical chain."""

    return normalize(clean(seq, **clean_options))
