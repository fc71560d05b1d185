"""The Keras training loop every pose network shares (batches with augmentation, checkpointing,
early stopping after a warm-up, progress), batched prediction, and model averaging (seed
ensembles, mirror averaging) into one exportable Keras model. TensorFlow is imported lazily."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from repcoach.logs import quiet_tf_logs
from repcoach.models.augment import Augmenter, flip_horizontal
from repcoach.skeleton import get_layout


def keras_module() -> Any:
    """The ``keras`` module, imported on first use (keeps TensorFlow off light paths)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def _batches_class() -> type:
    """A keras PyDataset that re-augments the training set every epoch (defined lazily)."""
    keras = keras_module()

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
    keras = keras_module()

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

    keras = keras_module()
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
    keras = keras_module()
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
    keras = keras_module()
    inp = keras.Input(shape=tuple(members[0].input_shape[1:]), name="pose")
    out = keras.layers.Average(name="mean_probability")([m(inp) for m in members])
    return keras.Model(inp, out, name=name)


def mirror_matrix(layout_name: str, n_features: int) -> np.ndarray:
    """``(F, F)`` matrix ``M`` with ``x @ M == flip_horizontal(x)`` for inputs of ``n_features``
    channels in that layout (the flip is linear: a permutation with sign changes)."""

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
    keras = keras_module()
    members = list(models) if isinstance(models, (list, tuple)) else [models]
    inp = keras.Input(shape=tuple(members[0].input_shape[1:]), name="pose")
    flip = keras.layers.Dense(matrix.shape[1], use_bias=False, trainable=False, name="mirror")
    mirrored = flip(inp)
    flip.set_weights([np.asarray(matrix, np.float32)])
    outs = [m(inp) for m in members] + [m(mirrored) for m in members]
    out = keras.layers.Average(name="mirror_mean")(outs)
    return keras.Model(inp, out, name=name)
