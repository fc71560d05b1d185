"""Per-exercise correctness scorers (paper V.G): a regression model per exercise whose output
in [0, 1] (sigmoid) is the repetition's correctness score.

The backbone is the classifier's BiLSTM with smaller defaults (64 LSTM units, dense 64 -> 32,
dropout 0.3): one scorer per exercise sees only that exercise's repetitions, far fewer samples
than the classifier, so a 0.9 M-parameter network would overfit. Loss is spelled
``"mean_squared_error"`` (Keras 3.15.1 cannot reload an ``.h5`` compiled with ``"mse"``).
Binary targets (0/1, e.g. PushFit correct/incorrect form) train the same regressor; a score of
0.5 or more then means "correct".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.models.augment import Augmenter
from repcoach.models.classifier import (
    _BiLSTMEstimator,
    _keras,
    build_bilstm,
    fit_keras_model,
    predict_batched,
)


class CorrectnessScorer(_BiLSTMEstimator):
    """scikit-learn style regressor: ``fit(X, scores)`` with scores in [0, 1].

    ``label`` (the exercise) gates flip augmentation. Fitted: ``model_``, ``history_``."""

    def __init__(
        self,
        label: str = "",
        lstm_units: int = 64,
        dense_units: Sequence[int] = (64, 32),
        dropout: float = 0.3,
        epochs: int = 60,
        batch_size: int = 32,
        patience: int = 10,
        learning_rate: float = 1e-3,
        augment: Augmenter | None = None,
        seed: int = 0,
        verbose: int = 0,
        checkpoint_dir: str | Path | None = None,
    ) -> None:
        super().__init__(lstm_units, dense_units, dropout, epochs, batch_size, patience,
                         learning_rate, augment, seed, verbose, checkpoint_dir)  # fmt: skip
        self.label = label

    def fit(
        self,
        x: np.ndarray,
        scores: Sequence[float],
        x_val: np.ndarray | None = None,
        scores_val: Sequence[float] | None = None,
    ) -> CorrectnessScorer:
        keras = _keras()
        x = np.asarray(x, dtype=np.float32)
        s = np.asarray(scores, dtype=np.float32)
        if x.ndim != 3 or len(s) != len(x):
            raise ValueError(f"X must be (n, seq_len, n_features) with n scores; got {x.shape}")
        if not np.isfinite(s).all() or s.min() < 0 or s.max() > 1:
            raise ValueError("scores must be finite and in [0, 1]")
        keras.utils.set_random_seed(self.seed)
        model = build_bilstm(
            1, x.shape[1], x.shape[2], self.lstm_units, self.dense_units, self.dropout,
            activation="sigmoid", name=f"scorer_{self.label or 'exercise'}",
        )  # fmt: skip
        model.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate),
            loss="mean_squared_error",
            metrics=["mean_absolute_error"],
        )
        sv = None if scores_val is None else np.asarray(scores_val, np.float32)
        names = np.full(len(x), self.label, dtype=object)
        self.history_ = fit_keras_model(
            model, x, s, names, x_val, sv,
            epochs=self.epochs, batch_size=self.batch_size, patience=self.patience,
            augment=self.augment, seed=self.seed, verbose=self.verbose,
            checkpoint_dir=self.checkpoint_dir, title=f"scorer {self.label}",
        )  # fmt: skip
        self.model_ = model
        return self

    @classmethod
    def from_model(cls, model: Any, label: str = "") -> CorrectnessScorer:
        self = cls(label=label)
        self.model_ = model
        self.history_ = {}
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores in [0, 1], shape ``(n,)``."""
        return predict_batched(self.model_, x)[:, 0]


class ScorerSet:
    """One :class:`CorrectnessScorer` per exercise; ``predict`` uses the scorer of each sample's
    (predicted) exercise, NaN where no scorer exists."""

    def __init__(self, scorers: Mapping[str, CorrectnessScorer] | None = None, **params: Any):
        self.scorers: dict[str, CorrectnessScorer] = dict(scorers or {})
        self.params = params

    def fit(
        self,
        x: np.ndarray,
        labels: Sequence[str],
        scores: Sequence[float],
        x_val: np.ndarray | None = None,
        labels_val: Sequence[str] | None = None,
        scores_val: Sequence[float] | None = None,
        min_samples: int = 4,
    ) -> ScorerSet:
        """Fit a scorer per label that has at least ``min_samples`` finite scores."""
        labels = np.asarray([str(v) for v in labels], dtype=object)
        scores = np.asarray(scores, dtype=np.float32)
        for label in sorted(set(labels)):
            m = (labels == label) & np.isfinite(scores)
            if m.sum() < min_samples:
                continue
            xv = sv = None
            if x_val is not None and labels_val is not None and scores_val is not None:
                lv = np.asarray([str(v) for v in labels_val], dtype=object)
                sval = np.asarray(scores_val, dtype=np.float32)
                mv = (lv == label) & np.isfinite(sval)
                if mv.any():
                    xv, sv = np.asarray(x_val)[mv], sval[mv]
            self.scorers[label] = CorrectnessScorer(label=label, **self.params).fit(
                np.asarray(x)[m], scores[m], xv, sv
            )
        return self

    def predict(self, x: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        labels = np.asarray([str(v) for v in labels], dtype=object)
        out = np.full(len(labels), np.nan, dtype=np.float32)
        for label, scorer in self.scorers.items():
            m = labels == label
            if m.any():
                out[m] = scorer.predict(np.asarray(x)[m])
        return out

    def __contains__(self, label: str) -> bool:
        return label in self.scorers

    def __len__(self) -> int:
        return len(self.scorers)
