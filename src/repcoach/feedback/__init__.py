"""Per-joint "what to fix" feedback: a reference of good repetitions per exercise and ranked
cues for each repetition (numpy / scipy only; used by the LiteRT analysis path)."""

from repcoach.feedback.cue import FAULTS, Cue
from repcoach.feedback.model import ExerciseReference, FaultRule, FeedbackModel

__all__ = ["FAULTS", "Cue", "ExerciseReference", "FaultRule", "FeedbackModel"]
