"""The paper's exercise classifier (V.E): BiLSTM(256) -> Dense(128)+ReLU -> Dropout(0.4) ->
Dense(64)+ReLU -> Dropout(0.4) -> softmax, trained with sparse categorical cross-entropy and Adam
(batch 32, up to 100 epochs, early stopping with patience 15, ReduceLROnPlateau, checkpointing).

Sizes are parameters with the paper's values as defaults.
Any architecture of :data:`POSE_ARCHITECTURES` is a
:class:`PoseClassifier`; :class:`BiLSTMClassifier` is the paper's network by name.
TensorFlow/Keras are imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.models.augment import Augmenter
from repcoach.models.base import KerasEstimator, ensemble_families
from repcoach.models.conv import CONV_ARCHITECTURES, conv_trunk
from repcoach.models.fitting import (
    average_models,
    fit_keras_model,
    keras_module,
    mirror_averaged,
    mirror_matrix,
    predict_batched,
)
from repcoach.models.labels import LabelEncoder
from repcoach.models.multirocket import ROCKET_FITS


def build_bilstm(
    n_classes: int,
    seq_len: int = 30,
    n_features: int = 99,
    lstm_units: int = 256,
    dense_units: Sequence[int] = (128, 64),
    dropout: float = 0.4,
    activation: str = "softmax",
    name: str = "bilstm_classifier",
) -> Any:
    """Input (seq_len, n_features) -> Bidirectional(LSTM) -> [Dense+ReLU -> Dropout]* -> Dense.

    ``activation="softmax"`` with ``n_classes`` outputs is the classifier; ``"sigmoid"`` with one
    output is the correctness regressor (:mod:`repcoach.models.scorer`). Not compiled."""
    keras = keras_module()
    inp = keras.Input(shape=(seq_len, n_features), name="pose")
    x = keras.layers.Bidirectional(keras.layers.LSTM(lstm_units), name="bilstm")(inp)
    for i, units in enumerate(dense_units, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"dense{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    out = keras.layers.Dense(n_classes, activation=activation, name="output")(x)
    return keras.Model(inp, out, name=name)


#: Pose classifier architectures: the paper's ``bilstm`` or a temporal-convolution trunk
#: (:data:`repcoach.models.conv.CONV_ARCHITECTURES`).
POSE_ARCHITECTURES = ("bilstm", *CONV_ARCHITECTURES, *ROCKET_FITS)


def arch_members(arch: str) -> tuple[str, ...]:
    """The architectures of a pose ``arch`` (``"rocket+cnn_deep"``: a cross-family ensemble);
    see :func:`~repcoach.models.base.ensemble_families`."""
    return ensemble_families(arch, POSE_ARCHITECTURES)


def build_conv_classifier(
    n_classes: int,
    seq_len: int = 30,
    n_features: int = 99,
    arch: str = "cnn_deep",
    dropout: float = 0.3,
    name: str = "cnn_classifier",
) -> Any:
    """Input (seq_len, n_features) -> a :func:`~repcoach.models.conv.conv_trunk` -> Dropout ->
    Dense softmax. The same trunk as the IMU classifier, on normalised pose inputs (so no
    normalisation layer; noise comes from the augmenter). Not compiled."""
    keras = keras_module()
    inp = keras.Input(shape=(seq_len, n_features), name="pose")
    x = keras.layers.Dropout(dropout, name="dropout")(conv_trunk(inp, arch))
    out = keras.layers.Dense(n_classes, activation="softmax", name="output")(x)
    return keras.Model(inp, out, name=name)


class PoseClassifier(KerasEstimator):
    """scikit-learn style wrapper of the exercise classifier: ``fit(X, y)`` with string labels.

    ``arch="bilstm"`` (default) is the paper's network (:func:`build_bilstm`, sizes from
    ``lstm_units`` / ``dense_units`` / ``dropout``); a conv name (``cnn``, ``cnn_deep``, ...)
    builds :func:`build_conv_classifier` instead. ``dropout`` None: the architecture's default
    (0.4, the paper's, for the BiLSTM; 0.3 for conv heads). Training (augmentation, callbacks,
    seeds) is the same for every architecture. ``mirror``: a skeleton layout name (e.g.
    ``"penn13"``): the fitted model averages its outputs on each input and on its mirror image
    (:func:`mirror_averaged`); only for classes that are left/right symmetric.

    ``n_models`` > 1 trains that many copies of the network (seeds ``seed``, ``seed + 1``, ...)
    and saves them as ONE Keras model averaging their softmax outputs: a seed ensemble that
    exports to a single TFLite file, trading n times the training and inference time for less
    seed-to-seed variance. ``arch="rocket+cnn_deep"`` (names joined by ``+``) averages
    ``n_models`` networks of each family the same way: a cross-family ensemble.
    Fitted attributes: ``classes_`` (sorted names = output order),
    ``model_`` (Keras), ``history_`` (the first member's per-epoch loss / accuracy / val_loss /
    val_accuracy / learning_rate), ``histories_`` (every member's)."""

    def __init__(
        self,
        lstm_units: int = 256,
        dense_units: Sequence[int] = (128, 64),
        dropout: float | None = None,
        epochs: int = 100,
        batch_size: int = 32,
        patience: int = 15,
        learning_rate: float = 1e-3,
        augment: Augmenter | None = None,
        seed: int = 0,
        verbose: int = 0,
        checkpoint_dir: str | Path | None = None,
        n_models: int = 1,
        min_epochs: int = 0,
        arch: str = "bilstm",
        mirror: str | None = None,
    ) -> None:
        self.lstm_units = lstm_units
        self.dense_units = dense_units
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.learning_rate = learning_rate
        self.augment = augment
        self.seed = seed
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.n_models = n_models
        self.min_epochs = min_epochs
        self.arch = arch
        self.mirror = mirror

    def _build(self, arch: str, n_classes: int, seq_len: int, n_features: int, name: str) -> Any:
        if arch == "bilstm":
            drop = 0.4 if self.dropout is None else self.dropout
            return build_bilstm(n_classes, seq_len, n_features, self.lstm_units,
                                self.dense_units, drop, name=name)  # fmt: skip
        drop = 0.3 if self.dropout is None else self.dropout
        return build_conv_classifier(n_classes, seq_len, n_features, arch, drop,
                                     name=name)  # fmt: skip

    def fit(
        self,
        x: np.ndarray,
        y: Sequence[str],
        x_val: np.ndarray | None = None,
        y_val: Sequence[str] | None = None,
    ) -> PoseClassifier:
        keras = keras_module()
        if self.n_models < 1:
            raise ValueError(f"n_models must be >= 1, got {self.n_models}")
        archs = arch_members(self.arch)
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3:
            raise ValueError(f"X must be (n, seq_len, n_features), got {x.shape}")
        names = np.asarray([str(v) for v in y], dtype=object)
        enc = LabelEncoder().fit(names)
        self.classes_ = np.asarray(enc.classes_, dtype=object)
        yv = None
        if x_val is not None and len(x_val):
            known = set(self.classes_)
            keep = np.asarray([str(v) in known for v in y_val])
            x_val = np.asarray(x_val, np.float32)[keep]
            yv = enc.transform([v for v, k in zip(y_val, keep, strict=True) if k])
        members, self.histories_ = [], []
        self.val_in_fit_ = False
        plan = [(a, self.seed + i) for a in archs for i in range(self.n_models)]
        single = len(plan) == 1
        for i, (arch, seed) in enumerate(plan):
            keras.utils.set_random_seed(seed)
            if arch in ROCKET_FITS:  # fixed transform + linear head (models.rocket, multirocket)
                model, hist = ROCKET_FITS[arch](
                    x, enc.transform(names), len(self.classes_), x_val, yv,
                    epochs=self.epochs, batch_size=self.batch_size, patience=self.patience,
                    learning_rate=self.learning_rate, seed=seed, verbose=self.verbose,
                    checkpoint_dir=self.checkpoint_dir, min_epochs=self.min_epochs,
                    name=f"{arch}_classifier" if single else f"member{i}",
                )  # fmt: skip
                self.histories_.append(hist)
                members.append(model)
                self.val_in_fit_ = True  # the ridge head fits train + validation samples
                continue
            model = self._build(
                arch, len(self.classes_), x.shape[1], x.shape[2],
                name=f"{arch}_classifier" if single else f"member{i}",
            )  # fmt: skip
            model.compile(
                optimizer=keras.optimizers.Adam(self.learning_rate),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            title = "classifier" if single else f"classifier {i + 1}/{len(plan)} ({arch})"
            self.histories_.append(fit_keras_model(
                model, x, enc.transform(names), names, x_val, yv,
                epochs=self.epochs, batch_size=self.batch_size, patience=self.patience,
                augment=self.augment, seed=seed, verbose=self.verbose,
                checkpoint_dir=self.checkpoint_dir, title=title, min_epochs=self.min_epochs,
            ))  # fmt: skip
            members.append(model)
        self.history_ = self.histories_[0]
        if self.mirror:
            self.model_ = mirror_averaged(members, mirror_matrix(self.mirror, x.shape[2]))
        else:
            self.model_ = members[0] if len(members) == 1 else average_models(members)
        return self

    @classmethod
    def from_model(cls, model: Any, classes: Sequence[str]) -> PoseClassifier:
        """Wrap an already trained Keras model (e.g. loaded from a model folder)."""
        self = cls()
        self.model_ = model
        self.classes_ = np.asarray(list(classes), dtype=object)
        self.history_ = {}
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return predict_batched(self.model_, x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]

    def score(self, x: np.ndarray, y: Sequence[str]) -> float:
        return float(np.mean(self.predict(x) == np.asarray(y, dtype=object)))


class BiLSTMClassifier(PoseClassifier):
    """The paper's classifier by name: a :class:`PoseClassifier` whose architecture is always
    the BiLSTM (V.E), with the same parameters otherwise."""

    def __init__(
        self,
        lstm_units: int = 256,
        dense_units: Sequence[int] = (128, 64),
        dropout: float | None = None,
        epochs: int = 100,
        batch_size: int = 32,
        patience: int = 15,
        learning_rate: float = 1e-3,
        augment: Augmenter | None = None,
        seed: int = 0,
        verbose: int = 0,
        checkpoint_dir: str | Path | None = None,
        n_models: int = 1,
        min_epochs: int = 0,
        mirror: str | None = None,
    ) -> None:
        super().__init__(lstm_units=lstm_units, dense_units=dense_units, dropout=dropout,
                         epochs=epochs, batch_size=batch_size, patience=patience,
                         learning_rate=learning_rate, augment=augment, seed=seed,
                         verbose=verbose, checkpoint_dir=checkpoint_dir, n_models=n_models,
                         min_epochs=min_epochs, arch="bilstm", mirror=mirror)

    def to_config(self) -> dict[str, Any]:
        return {**super().to_config(), "arch": "bilstm"}
