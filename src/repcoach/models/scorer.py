"""Per-exercise correctness scorers (paper V.G): a regression model per exercise whose output
in [0, 1] (sigmoid) is the repetition's correctness score.

The backbone is the classifier's BiLSTM with smaller defaults (64 LSTM units, dense 64 -> 32,
dropout 0.3): one scorer per exercise sees only that exercise's repetitions, far fewer samples
than the classifier, so a 0.9 M-parameter network would overfit. Loss is spelled
``"mean_squared_error"`` (Keras 3.15.1 cannot reload an ``.h5`` compiled with ``"mse"``).
Binary targets (0/1, e.g. PushFit correct/incorrect form) train the same regressor; a score of
0.5 or more then means "correct".

``extra_inputs`` (:mod:`repcoach.data.scorer_inputs`, e.g. the repetition's duration or the
push-up form features) are appended as constant channels to every frame, so the network's input
is ``(seq_len, n_features + k)`` while the classifier keeps ``(seq_len, n_features)``.
Augmentation (flip, noise, frame drops) touches only the pose channels.

``arch="mlp"`` (:func:`build_extra_mlp`) reads ONLY those extra channels (of the first frame):
a small MLP for hand-made features such as the 19 push-up form features, where a sequence model
on 165 PushFit clips learns which recording a clip came from instead. It takes the same input
shape as every scorer, so evaluation, export and analysis need no special case; its first layer
standardises the features with the training values' mean and variance (stored in the layer's
config, so ``.keras`` / ``.h5`` reload and TFLite export with builtin ops work). No augmentation
(it would touch only the pose channels, which the MLP ignores).

``arch="forest"`` (:func:`build_extra_forest`) fits a scikit-learn random forest regressor on
the same extra channels (no epochs, so the validation samples are fitted too) and keeps it as
frozen builtin Keras layers (:mod:`repcoach.models.forest`), so it saves, reloads, exports and
runs in LiteRT like the networks. On PushFit's grouped folds a forest on form statistics beat
the MLP (see docs/rocket.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from repcoach.data.scorer_inputs import SCORER_INPUTS, append_channels
from repcoach.models.augment import Augmenter
from repcoach.models.base import KerasEstimator
from repcoach.models.classifier import build_bilstm
from repcoach.models.fitting import fit_keras_model, keras_module, predict_batched
from repcoach.models.forest import forest_arrays, forest_block

#: Scorer models: the BiLSTM on pose + extra channels, or an MLP or a random forest on the extra
#: channels only.
SCORER_ARCHITECTURES = ("bilstm", "mlp", "forest")
#: Scorers that read only the extra channels (they need extra inputs).
EXTRA_ONLY_ARCHITECTURES = ("mlp", "forest")
#: Scorers with nothing to stop early, which fit their validation samples too (``val_in_fit_``).
VALIDATION_FITTED_ARCHITECTURES = ("forest",)
#: Adam learning rate the training driver gives the mlp scorer: 337 weights and a few batches
#: per epoch (PushFit: 4) still lost training and validation loss at epoch 100 with 1e-3.
MLP_LEARNING_RATE = 1e-2
#: Inputs each split of the forest scorer draws from (scikit-learn's classifier default).
FOREST_MAX_FEATURES = "sqrt"
#: Scored training samples an exercise needs before :class:`ScorerSet` fits its scorer.
MIN_SCORER_SAMPLES = 4


def build_extra_mlp(
    seq_len: int, n_features: int, mean: np.ndarray, variance: np.ndarray,
    units: Sequence[int] = (16,), dropout: float = 0.3, l2: float = 1e-3,
    name: str = "scorer_mlp",
) -> Any:  # fmt: skip
    """Input ``(seq_len, n_features + k)`` -> the ``k = len(mean)`` extra channels of frame 0
    (Cropping1D, Permute, Cropping1D, Flatten: built-in layers only, no Lambda) ->
    Normalization(``mean``, ``variance``) -> [Dense ReLU (L2 ``l2``) -> Dropout]* -> Dense
    sigmoid. Not compiled."""
    keras = keras_module()
    k = len(mean)
    if k == 0:
        raise ValueError("the mlp scorer reads only the extra inputs; it needs at least one")
    reg = keras.regularizers.L2(l2) if l2 else None
    inp, x = _extra_inputs(seq_len, n_features, k)
    x = keras.layers.Normalization(mean=np.asarray(mean, np.float32).tolist(),
                                   variance=np.asarray(variance, np.float32).tolist(),
                                   name="standardize")(x)  # fmt: skip
    for i, n in enumerate(units, start=1):
        x = keras.layers.Dense(n, activation="relu", kernel_regularizer=reg, name=f"dense{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    out = keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=reg, name="output")(x)
    return keras.Model(inp, out, name=name)


def _extra_inputs(seq_len: int, n_features: int, k: int) -> tuple[Any, Any]:
    """Keras input ``(seq_len, n_features + k)`` and its ``k`` extra channels of frame 0
    (Cropping1D, Permute, Cropping1D, Flatten: built-in layers only, no Lambda)."""
    keras = keras_module()
    inp = keras.Input(shape=(seq_len, n_features + k), name="pose")
    x = keras.layers.Cropping1D((0, seq_len - 1), name="first_frame")(inp)
    x = keras.layers.Permute((2, 1), name="channels_first")(x)
    x = keras.layers.Cropping1D((n_features, 0), name="extra_channels")(x)
    return inp, keras.layers.Flatten(name="extra_inputs")(x)


def build_extra_forest(seq_len: int, n_features: int, forest: Any, name: str = "scorer_forest"):
    """Input ``(seq_len, n_features + k)`` -> the ``k`` extra channels of frame 0 -> the fitted
    scikit-learn ``forest`` as frozen layers (:func:`repcoach.models.forest.forest_block`) ->
    its mean leaf value, ``(1,)``. Not compiled (nothing to train)."""
    keras = keras_module()
    inp, x = _extra_inputs(seq_len, n_features, int(forest.n_features_in_))
    return keras.Model(inp, forest_block(forest_arrays(forest), x), name=name)


def _mean_variance(extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and variance of training values (variance 1 for a constant channel,
    which would otherwise be divided by ~0 at inference)."""
    v = np.asarray(extra, np.float64)
    var = v.var(axis=0)
    return v.mean(axis=0), np.where(var > 1e-8, var, 1.0)


class _PoseOnlyAugment:
    """Apply an :class:`Augmenter` to the first ``n_pose`` channels, keep the rest (the
    constant extra inputs) as they are."""

    def __init__(self, augment: Augmenter, n_pose: int) -> None:
        self.augment, self.n_pose = augment, n_pose

    def __call__(self, x: np.ndarray, names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pose = self.augment(x[..., : self.n_pose], names, rng)
        return np.concatenate([pose, x[..., self.n_pose :]], axis=-1).astype(np.float32)


def _with_extra(x: np.ndarray, extra: np.ndarray | None, names: Sequence[str]) -> np.ndarray:
    """Pose inputs with the scorer's extra channels appended (checked against ``names``)."""
    k = len(names)
    if k == 0:
        if extra is not None and np.asarray(extra).shape[-1]:
            raise ValueError("extra input values given to a scorer without extra inputs")
        return np.asarray(x, dtype=np.float32)
    if extra is None:
        raise ValueError(f"this scorer needs its extra inputs {list(names)}")
    extra = np.asarray(extra, dtype=np.float32)
    if extra.ndim != 2 or extra.shape[1] != k:
        raise ValueError(f"expected (n, {k}) extra input values, got {extra.shape}")
    return append_channels(x, extra)


class CorrectnessScorer(KerasEstimator):
    """scikit-learn style regressor: ``fit(X, scores)`` with scores in [0, 1].

    ``label`` (the exercise) gates flip augmentation. ``extra_inputs``: names of extra
    constant channels (:data:`~repcoach.data.scorer_inputs.SCORER_INPUTS`) whose ``(n, k)``
    values are passed to :meth:`fit` / :meth:`predict` as ``extra``. ``arch``: ``"bilstm"``
    (pose + extra channels; ``lstm_units`` / ``dense_units``), ``"mlp"`` (the extra channels
    only, :func:`build_extra_mlp` with ``mlp_units`` and L2 weight ``l2``) or ``"forest"`` (the
    extra channels only, ``n_trees`` trees with ``min_samples_leaf``, :func:`build_extra_forest`);
    the last two need ``extra_inputs``. Fitted: ``model_``, ``history_``."""

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
        extra_inputs: Sequence[str] = (),
        min_epochs: int = 0,
        arch: str = "bilstm",
        mlp_units: Sequence[int] = (16,),
        l2: float = 1e-3,
        n_trees: int = 300,
        min_samples_leaf: int = 3,
    ) -> None:
        self.label = label
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
        self.extra_inputs = extra_inputs
        self.min_epochs = min_epochs
        self.arch = arch
        self.mlp_units = mlp_units
        self.l2 = l2
        self.n_trees = n_trees
        self.min_samples_leaf = min_samples_leaf
        unknown = [n for n in extra_inputs if n not in SCORER_INPUTS]
        if unknown:
            raise ValueError(f"unknown extra inputs {unknown}; known: {list(SCORER_INPUTS)}")
        if arch not in SCORER_ARCHITECTURES:
            raise ValueError(f"scorer arch must be one of {SCORER_ARCHITECTURES}, got {arch!r}")
        if arch in EXTRA_ONLY_ARCHITECTURES and not extra_inputs:
            raise ValueError(f"the {arch} scorer reads only the extra inputs: give extra_inputs "
                             "(e.g. the push-up form features)")  # fmt: skip

    def to_config(self) -> dict[str, Any]:
        """JSON parameters; the MLP's own sizes only for ``arch="mlp"`` (as before), the
        forest's only for ``arch="forest"``."""
        cfg = {k: v for k, v in super().to_config().items() if k != "label"}
        own = {"mlp": ("mlp_units", "l2"), "forest": ("n_trees", "min_samples_leaf")}
        for arch, names in own.items():
            if self.arch != arch:
                for n in names:
                    cfg.pop(n, None)
        return cfg

    def _build(self, x: np.ndarray, extra: np.ndarray | None) -> Any:
        """The (uncompiled) network for inputs ``x`` with extra channels appended."""
        name = f"scorer_{self.label or 'exercise'}"
        if self.arch == "mlp":
            mean, var = _mean_variance(np.asarray(extra))
            return build_extra_mlp(x.shape[1], x.shape[2] - len(self.extra_inputs), mean, var,
                                   self.mlp_units, self.dropout, self.l2, name)  # fmt: skip
        return build_bilstm(
            1, x.shape[1], x.shape[2], self.lstm_units, self.dense_units, self.dropout,
            activation="sigmoid", name=name,
        )  # fmt: skip

    def fit(
        self,
        x: np.ndarray,
        scores: Sequence[float],
        x_val: np.ndarray | None = None,
        scores_val: Sequence[float] | None = None,
        extra: np.ndarray | None = None,
        extra_val: np.ndarray | None = None,
    ) -> CorrectnessScorer:
        """Train on pose inputs ``x`` ``(n, T, F)`` (plus ``extra`` ``(n, k)`` values of the
        extra inputs) and scores in [0, 1]; validation data drives early stopping."""
        keras = keras_module()
        n_pose = np.asarray(x).shape[-1]
        x = _with_extra(x, extra, self.extra_inputs)
        if x_val is not None:
            x_val = _with_extra(x_val, extra_val, self.extra_inputs)
        s = np.asarray(scores, dtype=np.float32)
        if x.ndim != 3 or len(s) != len(x):
            raise ValueError(f"X must be (n, seq_len, n_features) with n scores; got {x.shape}")
        if not np.isfinite(s).all() or s.min() < 0 or s.max() > 1:
            raise ValueError("scores must be finite and in [0, 1]")
        if self.arch == "forest":
            return self._fit_forest(x, s, extra, x_val, scores_val, extra_val)
        keras.utils.set_random_seed(self.seed)
        model = self._build(x, extra)
        model.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate),
            loss="mean_squared_error",
            metrics=["mean_absolute_error"],
        )
        sv = None if scores_val is None else np.asarray(scores_val, np.float32)
        names = np.full(len(x), self.label, dtype=object)
        augment = self.augment if self.arch == "bilstm" else None  # mlp: no pose channels
        if augment is not None and self.extra_inputs:
            augment = _PoseOnlyAugment(augment, n_pose)
        self.history_ = fit_keras_model(
            model, x, s, names, x_val, sv,
            epochs=self.epochs, batch_size=self.batch_size, patience=self.patience,
            augment=augment, seed=self.seed, verbose=self.verbose,
            checkpoint_dir=self.checkpoint_dir, title=f"scorer {self.label}",
            min_epochs=self.min_epochs,
        )  # fmt: skip
        self.model_ = model
        return self

    def _fit_forest(
        self, x: np.ndarray, s: np.ndarray, extra: np.ndarray | None, x_val: np.ndarray | None,
        scores_val: Sequence[float] | None, extra_val: np.ndarray | None,
    ) -> CorrectnessScorer:  # fmt: skip
        """Fit the random forest on the extra inputs of the training and validation samples (it
        has nothing to stop early, so validation samples are training data: ``val_in_fit_``,
        as the rocket classifier) and keep it as a Keras model; the history records the
        training mean squared error as one "epoch"."""
        e = np.asarray(extra, np.float32)
        if x_val is not None and scores_val is not None and len(x_val):
            e = np.concatenate([e, np.asarray(extra_val, np.float32)])
            s = np.concatenate([s, np.asarray(scores_val, np.float32)])
            self.val_in_fit_ = True
        else:
            self.val_in_fit_ = False
        forest = RandomForestRegressor(
            n_estimators=self.n_trees, min_samples_leaf=self.min_samples_leaf,
            max_features=FOREST_MAX_FEATURES, random_state=self.seed, n_jobs=1,
        ).fit(e, s)  # fmt: skip
        name = f"scorer_{self.label or 'exercise'}"
        self.model_ = build_extra_forest(x.shape[1], x.shape[2] - e.shape[1], forest, name)
        self.history_ = {"loss": [float(np.mean((forest.predict(e) - s) ** 2))]}
        return self

    @classmethod
    def from_model(
        cls, model: Any, label: str = "", extra_inputs: Sequence[str] = ()
    ) -> CorrectnessScorer:
        """Wrap a trained Keras scorer (e.g. loaded from a model folder, whose config.json
        ``scorer_inputs`` gives ``extra_inputs``)."""
        self = cls(label=label, extra_inputs=extra_inputs)
        self.model_ = model
        self.history_ = {}
        return self

    def predict(self, x: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        """Scores in [0, 1], shape ``(n,)``; ``extra``: ``(n, k)`` extra input values."""
        return predict_batched(self.model_, _with_extra(x, extra, self.extra_inputs))[:, 0]


class ScorerSet:
    """One :class:`CorrectnessScorer` per exercise; ``predict`` uses the scorer of each sample's
    (predicted) exercise, NaN where no scorer exists. ``params`` go to every scorer (e.g.
    ``extra_inputs``); ``extra`` arguments are the ``(n, k)`` extra input values."""

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
        min_samples: int = MIN_SCORER_SAMPLES,
        extra: np.ndarray | None = None,
        extra_val: np.ndarray | None = None,
    ) -> ScorerSet:
        """Fit a scorer per label that has at least ``min_samples`` finite scores (counting its
        validation samples too for a scorer that fits them, the forest)."""
        labels = np.asarray([str(v) for v in labels], dtype=object)
        scores = np.asarray(scores, dtype=np.float32)
        sub = lambda v, m: None if v is None else np.asarray(v)[m]  # noqa: E731
        fits_val = self.params.get("arch", "bilstm") in VALIDATION_FITTED_ARCHITECTURES
        for label in sorted(set(labels)):
            m = (labels == label) & np.isfinite(scores)
            xv = sv = ev = None
            if x_val is not None and labels_val is not None and scores_val is not None:
                lv = np.asarray([str(v) for v in labels_val], dtype=object)
                sval = np.asarray(scores_val, dtype=np.float32)
                mv = (lv == label) & np.isfinite(sval)
                if mv.any():
                    xv, sv, ev = np.asarray(x_val)[mv], sval[mv], sub(extra_val, mv)
            if not m.any() or m.sum() + (len(sv) if fits_val and sv is not None else 0) < (
                    min_samples):  # fmt: skip
                continue
            self.scorers[label] = CorrectnessScorer(label=label, **self.params).fit(
                np.asarray(x)[m], scores[m], xv, sv, sub(extra, m), ev
            )
        return self

    def predict(
        self, x: np.ndarray, labels: Sequence[str], extra: np.ndarray | None = None
    ) -> np.ndarray:
        labels = np.asarray([str(v) for v in labels], dtype=object)
        out = np.full(len(labels), np.nan, dtype=np.float32)
        for label, scorer in self.scorers.items():
            m = labels == label
            if m.any():
                e = None if extra is None else np.asarray(extra)[m]
                out[m] = scorer.predict(np.asarray(x)[m], e)
        return out

    def __contains__(self, label: str) -> bool:
        return label in self.scorers

    def __len__(self) -> int:
        return len(self.scorers)
