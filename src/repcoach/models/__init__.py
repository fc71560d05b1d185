"""Trainable models: the paper's BiLSTM classifier, per-exercise correctness scorers,
augmentation, cross-subject splits and the training driver. TensorFlow is imported lazily."""

from __future__ import annotations

from repcoach.data.splits import subject_kfold, subject_split
from repcoach.models.augment import Augmenter, flip_horizontal
from repcoach.models.classifier import BiLSTMClassifier, PoseClassifier, build_bilstm
from repcoach.models.scorer import CorrectnessScorer, ScorerSet

__all__ = [
    "Augmenter",
    "BiLSTMClassifier",
    "PoseClassifier",
    "CorrectnessScorer",
    "ScorerSet",
    "build_bilstm",
    "flip_horizontal",
    "subject_kfold",
    "subject_split",
]
