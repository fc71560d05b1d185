"""MultiRocket-style classifier (``arch="multirocket"``; Tan et al., "MultiRocket", DMKD 2022):
the MiniRocket kernels of :mod:`repcoach.models.rocket` on the series AND on its first
difference (each with its own dilations and biases), pooled by four operators per
(dilation, kernel, bias) instead of PPV alone, then the same standardised ridge head.

With ``z = conv - bias`` over the ``T'`` outputs of one convolution:

* PPV: the share of ``z > 0``;
* MPV: the mean of the positive ``z`` (0 when none);
* MIPV: the mean index (0-based) of the positive ``z`` (-1 when none);
* LSPV: the longest stretch of consecutive positive ``z``.

Builtin Keras layers only, as for MiniRocket (reloads without custom objects, TFLite builtin
ops): the step ``ReLU(max_value=1)`` of ``STEEPNESS * z`` and the ramp ``ReLU`` give PPV and
the sum of positive values by ``GlobalAveragePooling1D``; running sums and maxima over time
(a log-step scan of ``ZeroPadding1D`` / ``Cropping1D`` / ``Add`` / ``Maximum``) give the sum of
positive indices and the run lengths; the division by the number of positives is
``UnitNormalization`` of ``[max(n, 1), eps]`` (its second component is ``eps / max(n, 1)``
to float precision). :func:`pooling_reference` is the plain numpy definition (for tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from repcoach.models.fitting import keras_module, predict_batched
from repcoach.models.rocket import (
    STEEPNESS,
    RocketSpec,
    biased_branches,
    concat,
    conv_reference,
    fit_rocket,
    fit_spec,
)

POOLING = ("ppv", "mpv", "mipv", "lspv")
REPRESENTATIONS = ("raw", "diff")
#: MultiRocket's default: 4 pooling operators x 2 representations x 6,250 (kernel, bias) pairs
#: (84 x 74 = 6,216 here, as MiniRocket rounds to whole biases per kernel).
DEFAULT_N_FEATURES = 50_000
#: The constant beside ``max(n, 1)`` in the unit-normalised pair: relative error of the
#: reciprocal <= EPS**2 / 2 (n >= 1).
EPS = 1e-3


@dataclass
class MultiRocketSpec:
    """A fitted transform: one MiniRocket spec on the series and one on its first difference."""

    raw: RocketSpec
    diff: RocketSpec

    @property
    def n_features(self) -> int:
        return len(POOLING) * (self.raw.n_features + self.diff.n_features)

    def specs(self) -> list[tuple[str, RocketSpec]]:
        """``(representation, spec)`` in feature order."""
        return [("raw", self.raw), ("diff", self.diff)]

    def feature_table(self) -> list[tuple[str, str, int, int, int]]:
        """``(representation, operator, dilation index, kernel, bias index)`` per feature."""
        return [(rep, op, *row) for rep, spec in self.specs() for op in POOLING
                for row in spec.feature_table()]  # fmt: skip


def fit_multi_spec(
    x: np.ndarray, n_features: int = DEFAULT_N_FEATURES, seed: int = 0
) -> MultiRocketSpec:
    """Transforms for inputs like ``x`` ``(n, T, C)`` and their first difference, each with
    ``n_features // 8`` (kernel, bias) pairs, biases fitted as MiniRocket's."""
    x = np.asarray(x, np.float32)
    per = max(1, n_features // (len(POOLING) * len(REPRESENTATIONS)))
    return MultiRocketSpec(fit_spec(x, per, seed), fit_spec(np.diff(x, axis=1), per, seed + 1))


def pooling_reference(
    x: np.ndarray, mspec: MultiRocketSpec, rep: str, op: str, di: int, k: int, j: int
) -> float:
    """Plain numpy value of one feature for one input ``(T, C)`` (see the module docstring)."""
    spec = mspec.raw if rep == "raw" else mspec.diff
    series = np.asarray(x, np.float64) if rep == "raw" else np.diff(np.asarray(x, np.float64),
                                                                      axis=0)  # fmt: skip
    z = conv_reference(series, spec, di, k) - spec.biases[di][k, j]
    pos = z > 0
    if op == "ppv":
        return float(pos.mean())
    if op == "mpv":
        return float(z[pos].mean()) if pos.any() else 0.0
    if op == "mipv":
        return float(np.flatnonzero(pos).mean()) if pos.any() else -1.0
    if op == "lspv":
        best = run = 0
        for p in pos:
            run = run + 1 if p else 0
            best = max(best, run)
        return float(best)
    raise ValueError(f"op must be one of {POOLING}, got {op!r}")


def _scan(h: Any, t_len: int, kind: str, name: str) -> Any:
    """Inclusive running sum (``kind="add"``) or maximum (of values >= 0) over time of ``h``
    ``(T', F)``: log2(T') steps of ``h + h shifted by 2^i`` (zeros shifted in)."""
    layers = keras_module().layers
    step = 1
    while step < t_len:
        shifted = layers.Cropping1D((0, step), name=f"{name}_crop{step}")(
            layers.ZeroPadding1D((step, 0), name=f"{name}_pad{step}")(h)
        )
        join = layers.Add if kind == "add" else layers.Maximum
        h = join(name=f"{name}_{kind}{step}")([h, shifted])
        step *= 2
    return h


def _reciprocal(n: Any, n_feat: int, name: str) -> Any:
    """``1 / max(n, 1)`` of a feature tensor ``(F,)`` from builtin layers: ``UnitNormalization``
    of the pair ``[max(n, 1), EPS]``, whose second component is ``EPS / max(n, 1)``."""
    layers = keras_module().layers
    b = layers.Rescaling(1.0, offset=1.0, name=f"{name}_max1")(layers.ReLU(name=f"{name}_relu")(
        layers.Rescaling(1.0, offset=-1.0, name=f"{name}_minus1")(n)))  # fmt: skip
    b = layers.Reshape((n_feat, 1), name=f"{name}_col")(b)
    e = layers.Rescaling(0.0, offset=EPS, name=f"{name}_eps")(b)
    u = layers.UnitNormalization(axis=-1, name=f"{name}_unit")(
        layers.Concatenate(axis=-1, name=f"{name}_pair")([b, e])
    )
    u = layers.Cropping1D((1, 0), name=f"{name}_second")(
        layers.Permute((2, 1), name=f"{name}_t")(u)
    )
    return layers.Rescaling(1.0 / EPS, name=f"{name}_recip")(
        layers.Reshape((n_feat,), name=f"{name}_flat")(u)
    )


def _pooled(spec: RocketSpec, inp: Any, prefix: str, float_int8: bool) -> list[Any]:
    """The four pooled feature tensors ``[PPV, MPV, MIPV, LSPV]`` of ``spec`` on ``inp``."""
    layers = keras_module().layers
    parts: dict[str, list[Any]] = {key: [] for key in ("n", "sum_pos", "sum_idx", "ppv", "lspv")}
    for b, (u, t_len) in enumerate(biased_branches(spec, inp, prefix, float_int8)):
        step = layers.ReLU(max_value=1.0, name=f"{prefix}step{b}")(u)  # [z > 0]
        ppv = layers.GlobalAveragePooling1D(name=f"{prefix}ppv{b}")(step)
        n = layers.Rescaling(float(t_len), name=f"{prefix}count{b}")(ppv)
        pos = layers.GlobalAveragePooling1D(name=f"{prefix}meanpos{b}")(
            layers.ReLU(name=f"{prefix}pos{b}")(u)
        )  # mean of STEEPNESS * max(z, 0)
        run_sum = _scan(step, t_len, "add", f"{prefix}cum{b}")  # c_t = sum of steps up to t
        # sum of positive indices = T' n - sum_t c_t = T' (n - mean_t c_t)
        idx = layers.Subtract(name=f"{prefix}nminusc{b}")(
            [n, layers.GlobalAveragePooling1D(name=f"{prefix}meancum{b}")(run_sum)]
        )
        # run length ending at t = c_t - (c at the last non-positive step up to t)
        last = _scan(layers.Subtract(name=f"{prefix}atzero{b}")(
            [run_sum, layers.Multiply(name=f"{prefix}atpos{b}")([run_sum, step])]),
            t_len, "max", f"{prefix}last{b}")  # fmt: skip
        lspv = layers.GlobalMaxPooling1D(name=f"{prefix}lspv{b}")(
            layers.Subtract(name=f"{prefix}run{b}")([run_sum, last])
        )
        parts["n"].append(n)
        parts["sum_pos"].append(layers.Rescaling(t_len / STEEPNESS, name=f"{prefix}sumpos{b}")(pos))
        parts["sum_idx"].append(layers.Rescaling(float(t_len), name=f"{prefix}sumidx{b}")(idx))
        parts["ppv"].append(ppv)
        parts["lspv"].append(lspv)
    cat = {key: concat(v, f"{prefix}all_{key}") for key, v in parts.items()}
    recip = _reciprocal(cat["n"], spec.n_features, f"{prefix}inv")
    mpv = layers.Multiply(name=f"{prefix}mpv")([cat["sum_pos"], recip])
    none = layers.ReLU(name=f"{prefix}none")(  # 1 when no positive value, else 0
        layers.Rescaling(-1.0, offset=1.0, name=f"{prefix}oneminus")(cat["n"])
    )
    mipv = layers.Subtract(name=f"{prefix}mipv")(
        [layers.Multiply(name=f"{prefix}meanidx")([cat["sum_idx"], recip]), none]
    )
    return [cat["ppv"], mpv, mipv, cat["lspv"]]


def build_multi_transform(
    mspec: MultiRocketSpec, inp: Any, prefix: str = "mrocket_", float_int8: bool = False
) -> Any:
    """The feature tensor ``(n_features,)`` (order of :meth:`MultiRocketSpec.feature_table`) of
    the transform applied to Keras tensor ``inp`` ``(T, C)``. ``float_int8``: convolutions split so
    that the int8 export keeps them in float (closer int8 parity, several times the latency; see
    :func:`~repcoach.models.rocket.branch_convs`)."""
    layers = keras_module().layers
    diff = layers.Subtract(name=f"{prefix}diff")(
        [layers.Cropping1D((1, 0), name=f"{prefix}next")(inp),
         layers.Cropping1D((0, 1), name=f"{prefix}prev")(inp)])  # fmt: skip
    feats = _pooled(mspec.raw, inp, f"{prefix}raw_", float_int8)
    feats += _pooled(mspec.diff, diff, f"{prefix}diff_", float_int8)
    return layers.Concatenate(name=f"{prefix}features")(feats)


def multirocket_features(
    mspec: MultiRocketSpec, x: np.ndarray, float_int8: bool = False
) -> np.ndarray:
    """``(n, n_features)`` transform of ``x`` through the Keras layers (tests, baselines)."""
    keras = keras_module()
    inp = keras.Input(shape=(mspec.raw.seq_len, mspec.raw.n_channels))
    feats = build_multi_transform(mspec, inp, float_int8=float_int8)
    return predict_batched(keras.Model(inp, feats), x, 64)


def multirocket_transform(
    xn: np.ndarray, inp: Any, n_features: int, seed: int, float_int8: bool = False
) -> Any:
    """Fit the MultiRocket transform on ``xn`` and return its features on Keras tensor ``inp``
    (the ``transform`` of :func:`~repcoach.models.rocket.fit_rocket`)."""
    return build_multi_transform(fit_multi_spec(xn, n_features, seed), inp,
                                 float_int8=float_int8)  # fmt: skip


#: :func:`~repcoach.models.rocket.fit_rocket` with the MultiRocket transform (same head, options
#: and return value; ``n_features`` defaults to MultiRocket's 50,000).
fit_multirocket = partial(
    fit_rocket,
    n_features=DEFAULT_N_FEATURES,
    transform=multirocket_transform,
    name="multirocket_classifier",
)


#: The ROCKET-family architectures and their fit functions (fixed transform + linear head).
ROCKET_FITS = {"rocket": fit_rocket, "multirocket": fit_multirocket}
