"""MiniRocket-style pose classifier (``arch="rocket"``): a fixed random-kernel transform built
from frozen builtin Keras layers, then a standardised linear softmax head trained with Keras.

Transform (Dempster et al., MiniRocket, KDD 2021): the 84 length-9 kernels with weights -1 and
2 at three positions, dilations spread exponentially up to the input length, a random channel
subset per (dilation, kernel) (the kernel sees the sum of those channels), zero padding on
alternate (dilation, kernel) pairs, and biases from quantiles of the convolution output of a
random training example. Feature = PPV, the share of time steps where the output exceeds the
bias. In Keras: ``Conv1D`` (frozen, no bias) -> ``Concatenate`` copies (one per bias) ->
frozen ``BatchNormalization`` (mean = bias, gamma = :data:`STEEPNESS`) -> ``ReLU(max_value=1)``
(a step of width 1/STEEPNESS) -> ``GlobalAveragePooling1D``. Only builtin layers: the saved
model reloads without custom objects and converts to TFLite with builtin ops.
:func:`ppv_reference` is the plain numpy definition of one feature (for tests).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import log_softmax
from sklearn.linear_model import RidgeClassifierCV

from repcoach.models.fitting import fit_keras_model, keras_module, predict_batched

N_KERNELS = 84
KERNEL_LEN = 9
#: Slope of the ramp that stands in for the PPV step: outputs within 1/STEEPNESS of the bias
#: count partially (float32 conv outputs of pose inputs are ~1e-6 precise, so this is a step).
STEEPNESS = 1e5
#: The head's L2 weight penalty and feature count, fixed before any measurement (MiniRocket's
#: default of 10,000 features; a moderate L2 for ~10^2-10^3 training samples).
DEFAULT_L2 = 1e-3
DEFAULT_N_FEATURES = 10_000
MAX_BIAS_EXAMPLES = 512


def kernel_patterns() -> np.ndarray:
    """``(84, 9)`` MiniRocket kernels: -1 everywhere, 2 at each choice of three positions."""
    w = -np.ones((N_KERNELS, KERNEL_LEN), np.float32)
    for i, pos in enumerate(itertools.combinations(range(KERNEL_LEN), 3)):
        w[i, list(pos)] = 2.0
    return w


def fit_dilations(
    seq_len: int, n_features: int = DEFAULT_N_FEATURES, max_dilations: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """MiniRocket's dilations (exponentially spaced up to ``(seq_len - 1) / 8``) and biases per
    kernel for each dilation (summing to ``n_features // 84``)."""
    per_kernel = max(1, n_features // N_KERNELS)
    true_max = min(per_kernel, max_dilations)
    multiplier = per_kernel / true_max
    max_exp = np.log2(max(seq_len - 1, 1) / (KERNEL_LEN - 1))
    max_exp = max(max_exp, 0.0)
    dil, counts = np.unique(
        np.logspace(0, max_exp, true_max, base=2).astype(np.int32), return_counts=True
    )
    counts = (counts * multiplier).astype(np.int32)
    i = 0
    while counts.sum() < per_kernel:
        counts[i] += 1
        i = (i + 1) % len(counts)
    return dil.astype(int), counts.astype(int)


def quantiles(n: int) -> np.ndarray:
    """MiniRocket's low-discrepancy quantile sequence ``(k * golden ratio) mod 1``."""
    return np.array([(k * ((np.sqrt(5) + 1) / 2)) % 1 for k in range(1, n + 1)])


@dataclass
class RocketSpec:
    """A fitted transform: per dilation index ``di`` the dilation, biases per kernel, each
    kernel's channel mask ``(84, C)`` and biases ``(84, n_biases)``; ``padded[di, k]``."""

    seq_len: int
    n_channels: int
    dilations: np.ndarray
    n_biases: np.ndarray
    masks: list[np.ndarray]
    biases: list[np.ndarray]
    padded: np.ndarray

    @property
    def n_features(self) -> int:
        return int(N_KERNELS * self.n_biases.sum())

    def branches(self) -> list[tuple[int, bool, np.ndarray]]:
        """``(dilation index, padded, kernel indices)`` per Conv1D, in feature order."""
        out = []
        for di in range(len(self.dilations)):
            for pad in (True, False):
                ks = np.flatnonzero(self.padded[di] == pad)
                if len(ks) and (pad or self.seq_len > (KERNEL_LEN - 1) * self.dilations[di]):
                    out.append((di, pad, ks))
        return out

    def feature_table(self) -> list[tuple[int, int, int]]:
        """``(dilation index, kernel, bias index)`` of every output feature, in order."""
        rows = []
        for di, _, ks in self.branches():
            rows += [(di, int(k), j) for j in range(self.n_biases[di]) for k in ks]
        return rows


def random_spec(seq_len: int, n_channels: int, n_features: int, seed: int) -> RocketSpec:
    """Dilations, channel subsets and padding of a transform (biases still zero)."""
    rng = np.random.default_rng(seed)
    dil, nb = fit_dilations(seq_len, n_features)
    masks = []
    max_exp = np.log2(min(n_channels, KERNEL_LEN) + 1)
    for _ in dil:
        m = np.zeros((N_KERNELS, n_channels), bool)
        for k in range(N_KERNELS):
            n_ch = min(n_channels, int(2 ** rng.uniform(0, max_exp)))
            m[k, rng.choice(n_channels, max(1, n_ch), replace=False)] = True
        masks.append(m)
    padded = np.array([[(di + k) % 2 == 0 for k in range(N_KERNELS)] for di in range(len(dil))])
    biases = [np.zeros((N_KERNELS, n), np.float32) for n in nb]
    return RocketSpec(seq_len, n_channels, dil, nb, masks, biases, padded)


def conv_reference(x: np.ndarray, spec: RocketSpec, di: int, k: int) -> np.ndarray:
    """Plain numpy convolution output of kernel ``k`` at dilation index ``di`` for one input
    ``(T, C)``: the kernel over the sum of its channels, zero padded when ``padded``."""
    d = int(spec.dilations[di])
    s = np.asarray(x, np.float64)[:, spec.masks[di][k]].sum(axis=1)
    if spec.padded[di, k]:
        s = np.pad(s, (KERNEL_LEN // 2 * d, KERNEL_LEN // 2 * d))
    n_out = len(s) - (KERNEL_LEN - 1) * d
    w = kernel_patterns()[k].astype(np.float64)
    return np.array([sum(w[m] * s[t + m * d] for m in range(KERNEL_LEN)) for t in range(n_out)])


def ppv_reference(x: np.ndarray, spec: RocketSpec, di: int, k: int, j: int) -> float:
    """Plain numpy PPV of one feature for one input ``(T, C)``: the share of
    :func:`conv_reference` outputs above bias ``j``."""
    return float(np.mean(conv_reference(x, spec, di, k) > spec.biases[di][k, j]))


#: With ``float_int8``, frozen convolution weights are split into Conv1D layers of fewer elements
#: than this: TFLite's dynamic-range int8 keeps such small constant tensors in float, so the int8
#: export does not quantise the transform's input (a hybrid int8 convolution does, moving outputs
#: near a bias). Off by default: the int8 class agreement was 100 % without it on Penn for both
#: families, and one Conv1D per branch is several times faster.
FLOAT_WEIGHTS_BELOW = 1024


def branch_convs(
    spec: RocketSpec, inp: Any, prefix: str, float_int8: bool = False
) -> list[Any]:
    """Per branch, the frozen MiniRocket convolution of Keras tensor ``inp`` ``(T', n_kernels)``:
    one Conv1D, or with ``float_int8`` one per chunk of kernels with < :data:`FLOAT_WEIGHTS_BELOW`
    weights, concatenated (one kernel per chunk when the input has over 113 channels)."""
    keras = keras_module()
    w = kernel_patterns()
    per = max(1, (FLOAT_WEIGHTS_BELOW - 1) // (KERNEL_LEN * spec.n_channels))
    per = per if float_int8 else N_KERNELS
    out = []
    for n, (di, pad, ks) in enumerate(spec.branches()):
        d = int(spec.dilations[di])
        parts = []
        for c, start in enumerate(range(0, len(ks), per)):
            sub = ks[start : start + per]
            conv = keras.layers.Conv1D(
                len(sub), KERNEL_LEN, dilation_rate=d, padding="same" if pad else "valid",
                use_bias=False, trainable=False, name=f"{prefix}conv{n}_d{d}_{c}",
            )  # fmt: skip
            conv.build((None, spec.seq_len, spec.n_channels))
            kern = w[sub].T[:, None, :] * spec.masks[di][sub].T[None, :, :]  # (9, C, len(sub))
            conv.set_weights([kern.astype(np.float32)])
            parts.append(conv(inp))
        out.append(concat(parts, f"{prefix}kernels{n}"))
    return out


def biased_branches(
    spec: RocketSpec, inp: Any, prefix: str, float_int8: bool = False
) -> list[tuple[Any, int]]:
    """Per Conv1D branch, the tensor ``STEEPNESS * (conv - bias)`` ``(T', n_kernels * n_biases)``
    (copy-major: bias j, then kernel) applied to Keras tensor ``inp``, and its length ``T'``;
    ``float_int8``: see :func:`branch_convs`."""
    keras = keras_module()
    out = []
    convs = branch_convs(spec, inp, prefix, float_int8)
    for n, ((di, pad, ks), h) in enumerate(zip(spec.branches(), convs, strict=True)):
        nb = int(spec.n_biases[di])
        if nb > 1:
            h = keras.layers.Concatenate(name=f"{prefix}copies{n}")([h] * nb)
        bn = keras.layers.BatchNormalization(epsilon=1e-3, trainable=False,
                                             name=f"{prefix}bias{n}")  # fmt: skip
        h = bn(h)
        bias = spec.biases[di][ks].T.reshape(-1)  # copy-major: (bias j, kernel) order
        bn.set_weights([np.full(len(bias), STEEPNESS, np.float32),
                        np.zeros(len(bias), np.float32), bias.astype(np.float32),
                        np.full(len(bias), 1.0 - 1e-3, np.float32)])  # fmt: skip
        t_out = spec.seq_len - (0 if pad else (KERNEL_LEN - 1) * int(spec.dilations[di]))
        out.append((h, t_out))
    return out


def concat(parts: list[Any], name: str) -> Any:
    """``Concatenate`` of feature tensors (the tensor itself when there is one)."""
    return parts[0] if len(parts) == 1 else keras_module().layers.Concatenate(name=name)(parts)


def build_transform(
    spec: RocketSpec, inp: Any, prefix: str = "rocket_", float_int8: bool = False
) -> Any:
    """The feature tensor ``(n_features,)`` of the transform applied to Keras tensor ``inp``
    (``float_int8``: see :func:`branch_convs`)."""
    keras = keras_module()
    feats = []
    for n, (h, _) in enumerate(biased_branches(spec, inp, prefix, float_int8)):
        h = keras.layers.ReLU(max_value=1.0, name=f"{prefix}step{n}")(h)
        feats.append(keras.layers.GlobalAveragePooling1D(name=f"{prefix}ppv{n}")(h))
    return concat(feats, f"{prefix}features")


def fit_spec(
    x: np.ndarray, n_features: int = DEFAULT_N_FEATURES, seed: int = 0
) -> RocketSpec:
    """A transform for inputs like ``x`` ``(n, T, C)``: biases are quantiles of the conv
    output of a random training example per (dilation, kernel), as MiniRocket fits them."""

    keras = keras_module()
    x = np.asarray(x, np.float32)
    n, seq_len, n_ch = x.shape
    spec = random_spec(seq_len, n_ch, n_features, seed)
    rng = np.random.default_rng(seed + 1)
    sub = x[rng.choice(n, min(n, MAX_BIAS_EXAMPLES), replace=False)]
    inp = keras.Input(shape=(seq_len, n_ch))
    outs = [predict_batched(keras.Model(inp, h), sub) for h in branch_convs(spec, inp, "fit_")]
    q = quantiles(spec.n_features)
    start = 0
    where = {(di, int(k)): (b, i) for b, (di, _, ks) in enumerate(spec.branches())
             for i, k in enumerate(ks)}  # fmt: skip
    for di in range(len(spec.dilations)):
        nb = int(spec.n_biases[di])
        for k in range(N_KERNELS):
            if (di, k) in where:
                b, i = where[(di, k)]
                series = outs[b][rng.integers(len(sub)), :, i]
                spec.biases[di][k] = np.quantile(series, q[start : start + nb])
            start += nb
    return spec


def rocket_features(spec: RocketSpec, x: np.ndarray) -> np.ndarray:
    """``(n, n_features)`` transform of ``x`` through the Keras layers (for baselines)."""

    keras = keras_module()
    inp = keras.Input(shape=(spec.seq_len, spec.n_channels))
    return predict_batched(keras.Model(inp, build_transform(spec, inp)), x)


def minirocket_transform(
    xn: np.ndarray, inp: Any, n_features: int, seed: int, float_int8: bool = False
) -> Any:
    """Fit the MiniRocket transform on ``xn`` and return its features on Keras tensor ``inp``."""
    return build_transform(fit_spec(xn, n_features, seed), inp, float_int8=float_int8)


#: ``(inputs as the transform sees them, Keras tensor, n_features, seed, float_int8) ->
#: feature tensor``.
Transform = Callable[[np.ndarray, Any, int, int, bool], Any]
ROCKET_HEADS = ("ridge", "logistic")
RIDGE_ALPHAS = np.logspace(-3, 3, 10)
#: Standardised features are clipped to +-CLIP_Z (training features stay within sqrt(n)). The
#: clip stops TFLite folding the per-feature standardisation into the int8 head, whose input
#: (dynamically quantised per tensor) would then be the raw features at their mixed scales.
CLIP_Z = 1e3


def _clipped(keras: Any, z: Any) -> Any:
    """``clip(z, -CLIP_Z, CLIP_Z)`` from builtin layers (``hard_tanh`` between rescalings)."""
    z = keras.layers.Rescaling(1.0 / CLIP_Z, name="clip_in")(z)
    z = keras.layers.Activation("hard_tanh", name="clip")(z)
    return keras.layers.Rescaling(CLIP_Z, name="clip_out")(z)


def ridge_head(
    f: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray, dict[str, list[float]]]:
    """Dense ``(kernel (F, K), bias (K,))`` of a RidgeClassifierCV on standardised features
    ``f`` with int labels ``y`` (classes absent from ``y`` get a very low logit), the scores
    scaled by the temperature minimising the leave-one-out log-loss; and a history record
    (``loss`` = that log-loss, ``alpha``, ``temperature``)."""

    clf = RidgeClassifierCV(alphas=RIDGE_ALPHAS, store_cv_results=True).fit(f, y)
    coef, icpt = np.atleast_2d(clf.coef_), np.atleast_1d(clf.intercept_)
    loo = clf.cv_results_[:, :, int(np.argmin(np.abs(RIDGE_ALPHAS - clf.alpha_)))]
    if coef.shape[0] == 1:  # two classes: sklearn keeps one score s (class 1) = -class 0's
        coef, icpt, loo = np.r_[-coef, coef], np.r_[-icpt, icpt], np.c_[-loo, loo]
    cols = np.searchsorted(np.arange(n_classes), clf.classes_)
    yi = np.searchsorted(clf.classes_, y)
    temps = np.logspace(-1, 2, 31)
    nll = [-np.mean(log_softmax(t * loo, axis=1)[np.arange(len(y)), yi]) for t in temps]
    temp = float(temps[int(np.argmin(nll))])
    kernel = np.zeros((f.shape[1], n_classes), np.float32)
    bias = np.full(n_classes, -1e4, np.float32)
    kernel[:, cols], bias[cols] = temp * coef.T, temp * icpt
    return kernel, bias, {"loss": [float(min(nll))], "alpha": [float(clf.alpha_)],
                          "temperature": [temp]}  # fmt: skip


def fit_rocket(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    n_features: int = DEFAULT_N_FEATURES,
    head: str = "ridge",
    l2: float = DEFAULT_L2,
    epochs: int = 100,
    batch_size: int = 32,
    patience: int = 15,
    learning_rate: float = 1e-3,
    seed: int = 0,
    verbose: int = 0,
    checkpoint_dir: str | Path | None = None,
    min_epochs: int = 0,
    name: str = "rocket_classifier",
    mean: np.ndarray | None = None,
    variance: np.ndarray | None = None,
    transform: Transform = minirocket_transform,
    float_int8: bool = False,
) -> tuple[Any, dict[str, list[float]]]:
    """Fit the transform on ``x`` (int labels ``y``), then a linear softmax head on the
    standardised features; return one flat Keras model ``(T, C) -> probabilities`` and the
    history. ``head="ridge"`` (MiniRocket's own classifier): scikit-learn
    ``RidgeClassifierCV(alphas=logspace(-3, 3, 10))`` on train + validation samples (alpha by
    its leave-one-out error), its scores times a temperature fitted to the leave-one-out scores
    as the Dense logits. ``head="logistic"``: Dense softmax with L2 ``l2`` trained with Adam,
    early stopping on the validation samples. ``mean`` / ``variance`` (per channel): a
    Normalization layer in front of the transform (raw IMU channels). ``transform``: the fixed
    feature transform (MiniRocket; :func:`repcoach.models.multirocket.multirocket_transform`).
    ``float_int8``: convolutions split so the int8 export keeps them in float
    (:func:`branch_convs`; the IMU classifier sets it)."""
    if head not in ROCKET_HEADS:
        raise ValueError(f"head must be one of {ROCKET_HEADS}, got {head!r}")

    keras = keras_module()
    keras.utils.set_random_seed(seed)
    x = np.asarray(x, np.float32)
    inp = keras.Input(shape=x.shape[1:], name="pose" if mean is None else "imu_window")
    h, xn = inp, x
    if mean is not None:  # biases are fitted on normalised inputs; the model normalises
        var = np.maximum(np.asarray(variance, np.float32), 1e-6)
        h = keras.layers.Normalization(axis=-1, mean=mean, variance=var, name="normalise")(inp)
        xn = (x - np.asarray(mean, np.float32)) / np.sqrt(var)
    feats = transform(xn, h, n_features, seed, float_int8)
    f = predict_batched(keras.Model(inp, feats), x)
    fv = None if x_val is None or not len(x_val) else predict_batched(keras.Model(inp, feats),
                                                                       x_val)  # fmt: skip
    mu, sd = f.mean(axis=0), f.std(axis=0)
    sd = np.where(sd < 1e-6, 1.0, sd)
    std = keras.layers.BatchNormalization(epsilon=1e-9, trainable=False, name="standardise")
    dense = keras.layers.Dense(n_classes, activation="softmax", name="output",
                               kernel_regularizer=keras.regularizers.L2(l2))  # fmt: skip
    if head == "ridge":
        f_all = f if fv is None else np.concatenate([f, fv])
        y_all = np.asarray(y) if fv is None else np.concatenate([np.asarray(y),
                                                                  np.asarray(y_val)])
        mu, sd = f_all.mean(axis=0), f_all.std(axis=0)
        sd = np.where(sd < 1e-6, 1.0, sd)
        kernel, bias, hist = ridge_head((f_all - mu) / sd, y_all, n_classes)
        dense = keras.layers.Dense(n_classes, activation="softmax", name="output")
        model = keras.Model(inp, dense(_clipped(keras, std(feats))), name=name)
        std.set_weights([np.ones_like(mu), np.zeros_like(mu), mu.astype(np.float32),
                         (sd**2).astype(np.float32)])  # fmt: skip
        dense.set_weights([kernel, bias])
        return model, hist
    hin = keras.Input(shape=(int(feats.shape[-1]),), name="features")
    head = keras.Model(hin, dense(_clipped(keras, std(hin))), name=f"{name}_head")
    std.set_weights([np.ones_like(mu), np.zeros_like(mu), mu.astype(np.float32),
                     (sd**2).astype(np.float32)])  # fmt: skip
    head.compile(optimizer=keras.optimizers.Adam(learning_rate),
                 loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    names = np.asarray(y, dtype=object)
    hist = fit_keras_model(
        head, f, np.asarray(y), names, fv, None if fv is None else np.asarray(y_val),
        epochs=epochs, batch_size=batch_size, patience=patience, seed=seed, verbose=verbose,
        checkpoint_dir=checkpoint_dir, title="rocket head", min_epochs=min_epochs,
    )  # fmt: skip
    model = keras.Model(inp, dense(_clipped(keras, std(feats))), name=name)
    return model, hist
