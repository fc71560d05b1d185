"""The paper's exercise classifier (V.E): BiLSTM(256) -> Dense(128)+ReLU -> Dropout(0.4) ->
Dense(64)+ReLU -> Dropout(0.4) -> softmax, trained with sparse categorical cross-entropy and Adam
(batch 32, up to 100 epochs, early stopping with patience 15, ReduceLROnPlateau, checkpointing).

Sizes are parameters with the paper's values as defaults. TensorFlow/Keras are imported lazily.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.models.augment import Augmenter
from repcoach.models.conv import CONV_ARCHITECTURES, conv_trunk


def _keras() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


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
    keras = _keras()
    inp = keras.Input(shape=(seq_len, n_features), name="pose")
    x = keras.layers.Bidirectional(keras.layers.LSTM(lstm_units), name="bilstm")(inp)
    for i, units in enumerate(dense_units, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"dense{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    out = keras.layers.Dense(n_classes, activation=activation, name="output")(x)
    return keras.Model(inp, out, name=name)


#: Pose classifier architectures: the paper's ``bilstm`` or a temporal-convolution trunk
#: (:data:`repcoach.models.conv.CONV_ARCHITECTURES`).
POSE_ARCHITECTURES = ("bilstm", *CONV_ARCHITECTURES, "rocket")


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
    keras = _keras()
    inp = keras.Input(shape=(seq_len, n_features), name="pose")
    x = keras.layers.Dropout(dropout, name="dropout")(conv_trunk(inp, arch))
    out = keras.layers.Dense(n_classes, activation="softmax", name="output")(x)
    return keras.Model(inp, out, name=name)


def _batches_class() -> type:
    """A keras PyDataset that re-augments the training set every epoch (defined lazily)."""
    keras = _keras()

    class AugmentedBatches(keras.utils.PyDataset):
        def __init__(self, x, y, names, batch_size, augment, seed):
            super().__init__()
            self.x, self.y, self.names = x, y, names
            self.batch_size, self.augment = batch_size, augment
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, i):
            idx = self.order[i * self.batch_size : (i + 1) * self.batch_size]
            return self.augment(self.x[idx], self.names[idx], self.rng), self.y[idx]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(self.x))

    return AugmentedBatches


def _checkpoint_class() -> type:
    """ModelCheckpoint that ignores the first ``min_epochs`` epochs (defined lazily)."""
    keras = _keras()

    class WarmCheckpoint(keras.callbacks.ModelCheckpoint):
        def __init__(self, *args, min_epochs: int = 0, **kwargs):
            super().__init__(*args, **kwargs)
            self.min_epochs = min_epochs

        def on_epoch_end(self, epoch, logs=None):
            if epoch >= self.min_epochs:
                super().on_epoch_end(epoch, logs)

    return WarmCheckpoint


def _progress_callback(total_epochs: int, title: str) -> tuple[Any, Callable[[], None]]:
    """A Keras callback driving a rich progress bar (one step per epoch) and its closer."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    keras = _keras()
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), transient=False,
    )  # fmt: skip
    task = progress.add_task(title, total=total_epochs, stats="")
    progress.start()

    class RichEpochs(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            stats = "  ".join(
                f"{k}={v:.4f}" for k, v in logs.items() if k != "learning_rate"
            )
            progress.update(task, advance=1, stats=stats)

    return RichEpochs(), progress.stop


def fit_keras_model(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    names: np.ndarray,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    epochs: int = 100,
    batch_size: int = 32,
    patience: int = 15,
    augment: Augmenter | None = None,
    seed: int = 0,
    verbose: int = 0,
    checkpoint_dir: str | Path | None = None,
    title: str = "training",
    min_epochs: int = 0,
) -> dict[str, list[float]]:
    """Train a compiled model with the paper's callbacks; return the per-epoch history.

    ``names`` are the class names of the training samples (they gate the flip augmentation).
    Early stopping / LR schedule / checkpoint watch ``val_loss`` when validation data is given,
    else the training loss. The best weights (checkpointed to a temporary file in
    ``checkpoint_dir``) are restored at the end. ``min_epochs``: warm-up epochs whose weights
    are never kept as the best and which do not count towards early stopping (a tiny noisy
    validation part can otherwise crown epoch 1, leaving a barely trained model)."""
    keras = _keras()
    has_val = x_val is not None and len(x_val) > 0
    monitor = "val_loss" if has_val else "loss"
    ckdir = Path(checkpoint_dir) if checkpoint_dir else Path(tempfile.gettempdir())
    ckdir.mkdir(parents=True, exist_ok=True)
    fd, ckpt = tempfile.mkstemp(prefix=".checkpoint-", suffix=".weights.h5", dir=ckdir)
    os.close(fd)
    os.unlink(ckpt)
    callbacks: list[Any] = [
        keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, restore_best_weights=True,
            start_from_epoch=max(0, min(min_epochs, epochs - 1)),
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(2, patience // 3), min_lr=1e-5
        ),
        _checkpoint_class()(
            ckpt, monitor=monitor, save_best_only=True, save_weights_only=True,
            min_epochs=max(0, min(min_epochs, epochs - 1)),
        ),
    ]
    stop: Callable[[], None] | None = None
    if verbose:
        cb, stop = _progress_callback(epochs, title)
        callbacks.append(cb)
    x = np.asarray(x, dtype=np.float32)
    if augment is not None:
        data = _batches_class()(x, y, np.asarray(names, dtype=object), batch_size, augment, seed)
        fit_args: dict[str, Any] = {"x": data}
    else:
        fit_args = {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
    try:
        hist = model.fit(
            **fit_args,
            validation_data=(np.asarray(x_val, np.float32), y_val) if has_val else None,
            epochs=epochs,
            callbacks=callbacks,
            verbose=0,
        )
        if os.path.exists(ckpt):
            model.load_weights(ckpt)
    finally:
        if stop is not None:
            stop()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(ckpt)
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}


@contextlib.contextmanager
def quiet_tf_logs() -> Any:
    """Silence TF/absl warnings that are noise here (tf.function retracing for a new batch
    size; "HDF5 is legacy" when saving the paper's .h5 copy)."""
    import logging

    loggers = [logging.getLogger(n) for n in ("tensorflow", "absl")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, lv in zip(loggers, levels, strict=True):
            lg.setLevel(lv)


def predict_batched(model: Any, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``model`` outputs for ``x`` in chunks (``predict_on_batch`` avoids predict's overhead)."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        return np.zeros((0, *model.output_shape[1:]), np.float32)
    with quiet_tf_logs():
        parts = [np.asarray(model.predict_on_batch(x[i : i + batch_size]))
                 for i in range(0, len(x), batch_size)]
    return np.concatenate(parts).astype(np.float32)


def average_models(members: Sequence[Any], name: str = "bilstm_ensemble") -> Any:
    """One Keras model whose output is the mean of ``members``' outputs (same input shape)."""
    keras = _keras()
    inp = keras.Input(shape=tuple(members[0].input_shape[1:]), name="pose")
    out = keras.layers.Average(name="mean_probability")([m(inp) for m in members])
    return keras.Model(inp, out, name=name)


def mirror_matrix(layout_name: str, n_features: int) -> np.ndarray:
    """``(F, F)`` matrix ``M`` with ``x @ M == flip_horizontal(x)`` for inputs of ``n_features``
    channels in that layout (the flip is linear: a permutation with sign changes)."""
    from repcoach.models.augment import flip_horizontal
    from repcoach.skeleton import get_layout

    eye = np.eye(n_features, dtype=np.float32)
    return flip_horizontal(eye[None], get_layout(layout_name))[0]


def mirror_averaged(
    models: Any | Sequence[Any], matrix: np.ndarray, name: str = "mirror_averaged"
) -> Any:
    """One Keras model whose output is the mean of ``models`` (one model, or the members of a
    seed ensemble) on the input and on its mirror image (``x @ matrix``, a frozen bias-free
    Dense layer: builtin ops, reloads without custom objects, converts to TFLite). For
    left/right-symmetric classes this enforces the symmetry at prediction time as the flip
    augmentation encourages it in training. Ensemble members are averaged in the same flat
    Average layer (mean over 2N outputs = the mirror mean of the ensemble mean), so no model is
    nested two levels deep: the legacy ``.h5`` format would store the members' same-named
    layers in one group and fail."""
    keras = _keras()
    members = list(models) if isinstance(models, (list, tuple)) else [models]
    inp = keras.Input(shape=tuple(members[0].input_shape[1:]), name="pose")
    flip = keras.layers.Dense(matrix.shape[1], use_bias=False, trainable=False, name="mirror")
    mirrored = flip(inp)
    flip.set_weights([np.asarray(matrix, np.float32)])
    outs = [m(inp) for m in members] + [m(mirrored) for m in members]
    out = keras.layers.Average(name="mirror_mean")(outs)
    return keras.Model(inp, out, name=name)


class _BiLSTMEstimator:
    """Shared parameters of the BiLSTM estimators (scikit-learn style: set in ``__init__``,
    returned by :meth:`get_params`); subclasses choose the defaults."""

    def __init__(
        self,
        lstm_units: int,
        dense_units: Sequence[int],
        dropout: float | None,
        epochs: int,
        batch_size: int,
        patience: int,
        learning_rate: float,
        augment: Augmenter | None,
        seed: int,
        verbose: int,
        checkpoint_dir: str | Path | None,
        min_epochs: int = 0,
    ) -> None:
        self.lstm_units = lstm_units
        self.dense_units = tuple(dense_units)
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.learning_rate = learning_rate
        self.augment = augment
        self.seed = seed
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.min_epochs = min_epochs

    def get_params(self) -> dict[str, Any]:
        return {
            "lstm_units": self.lstm_units,
            "dense_units": list(self.dense_units),
            "dropout": self.dropout,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "patience": self.patience,
            "learning_rate": self.learning_rate,
            "augment": None if self.augment is None else self.augment.to_dict(),
            "seed": self.seed,
            "min_epochs": self.min_epochs,
        }


class PoseClassifier(_BiLSTMEstimator):
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
    seed-to-seed variance. Fitted attributes: ``classes_`` (sorted names = output order),
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
        super().__init__(lstm_units, dense_units, dropout, epochs, batch_size, patience,
                         learning_rate, augment, seed, verbose, checkpoint_dir,
                         min_epochs)  # fmt: skip
        self.n_models = n_models
        self.arch = arch
        self.mirror = mirror

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "n_models": self.n_models, "arch": self.arch,
                "mirror": self.mirror}

    def _build(self, n_classes: int, seq_len: int, n_features: int, name: str) -> Any:
        if self.arch == "bilstm":
            drop = 0.4 if self.dropout is None else self.dropout
            return build_bilstm(n_classes, seq_len, n_features, self.lstm_units,
                                self.dense_units, drop, name=name)  # fmt: skip
        drop = 0.3 if self.dropout is None else self.dropout
        return build_conv_classifier(n_classes, seq_len, n_features, self.arch, drop,
                                     name=name)  # fmt: skip

    def fit(
        self,
        x: np.ndarray,
        y: Sequence[str],
        x_val: np.ndarray | None = None,
        y_val: Sequence[str] | None = None,
    ) -> BiLSTMClassifier:
        keras = _keras()
        from repcoach.model_dir import LabelEncoder

        if self.n_models < 1:
            raise ValueError(f"n_models must be >= 1, got {self.n_models}")
        if self.arch not in POSE_ARCHITECTURES:
            raise ValueError(f"arch must be one of {POSE_ARCHITECTURES}, got {self.arch!r}")
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
        for i in range(self.n_models):
            seed = self.seed + i
            keras.utils.set_random_seed(seed)
            if self.arch == "rocket":  # fixed transform + linear head (repcoach.models.rocket)
                from repcoach.models.rocket import fit_rocket

                model, hist = fit_rocket(
                    x, enc.transform(names), len(self.classes_), x_val, yv,
                    epochs=self.epochs, batch_size=self.batch_size, patience=self.patience,
                    learning_rate=self.learning_rate, seed=seed, verbose=self.verbose,
                    checkpoint_dir=self.checkpoint_dir, min_epochs=self.min_epochs,
                    name="rocket_classifier" if self.n_models == 1 else f"member{i}",
                )  # fmt: skip
                self.histories_.append(hist)
                members.append(model)
                self.val_in_fit_ = True  # the ridge head fits train + validation samples
                continue
            model = self._build(
                len(self.classes_), x.shape[1], x.shape[2],
                name=f"{self.arch}_classifier" if self.n_models == 1 else f"member{i}",
            )  # fmt: skip
            model.compile(
                optimizer=keras.optimizers.Adam(self.learning_rate),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            title = "classifier" if self.n_models == 1 else f"classifier {i + 1}/{self.n_models}"
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
    def from_model(cls, model: Any, classes: Sequence[str]) -> BiLSTMClassifier:
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


#: The paper's name for the classifier (its default architecture).
BiLSTMClassifier = PoseClassifier
