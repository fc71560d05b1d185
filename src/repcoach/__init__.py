"""repcoach: which exercise, where each repetition starts and ends, how correct it is.

Implements (and extends) the EJUST-GYM-3 dual-task system: pose / IMU / thermal recordings ->
repetition segmentation -> BiLSTM exercise classifier -> per-exercise correctness scorer.
"""

from repcoach.skeleton import COCO_17, KINECT_V2_25, MEDIAPIPE_33, PENN_13, Skeleton
from repcoach.types import (
    ClipAnalysis,
    ImuRecording,
    Participant,
    PoseSequence,
    Repetition,
    ThermalClip,
)

__version__ = "0.1.0"

__all__ = [
    "COCO_17",
    "KINECT_V2_25",
    "MEDIAPIPE_33",
    "PENN_13",
    "ClipAnalysis",
    "ImuRecording",
    "Participant",
    "PoseSequence",
    "Repetition",
    "Skeleton",
    "ThermalClip",
]
