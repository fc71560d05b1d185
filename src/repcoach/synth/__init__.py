"""The generated stand-in for EJUST-GYM-3: participants, a 3D body model, the four exercises
with per-repetition form deviations and scores, two tracked cameras, and the dataset writer.

Main entry points: :func:`simulate` (one recording as continuous-time kinematics, the source
for every modality) and :func:`generate_dataset` (a whole dataset folder). See docs/synth.md.
"""

from repcoach.synth.form import DEVIATIONS, WEIGHTS, score_from_deviations
from repcoach.synth.generate import generate_dataset, generate_recording
from repcoach.synth.participants import sample_participants
from repcoach.synth.recording import IMU_SITES, Recording, RepInfo, simulate

__all__ = [
    "DEVIATIONS",
    "IMU_SITES",
    "WEIGHTS",
    "Recording",
    "RepInfo",
    "generate_dataset",
    "generate_recording",
    "sample_participants",
    "score_from_deviations",
    "simulate",
]
