"""IMU window classifier (Keras): a small 1D-CNN or CNN+BiLSTM over ``(length, channels)``.

Per-channel standardisation is a ``Normalization`` layer inside the model (mean/variance from
the training windows), so the saved ``.keras``/``.h5`` and the TFLite export take raw windows
(g, deg/s, uT) exactly as :func:`repcoach.imu.windows.sliding_windows` makes them. Training
augmentation (random amplitude scaling, Gaussian noise) lives in layers that are inactive at
inference. TensorFlow is imported lazily.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from repcoach.models.base import KerasEstimator, ensemble_families
from repcoach.models.conv import CONV_ARCHITECTURES, conv_trunk
from repcoach.models.multirocket import ROCKET_FITS

ARCHITECTURES = (*CONV_ARCHITECTURES, *ROCKET_FITS)  # models.rocket, models.multirocket


def imu_arch_members(arch: str) -> tuple[str, ...]:
    """The architectures of an IMU ``arch`` (``"rocket+cnn_deep"``: one network of each
    averaged); see :func:`~repcoach.models.base.ensemble_families`."""
    return ensemble_families(arch, ARCHITECTURES)


def derived_spec(channels: tuple[str, ...] | list[str] | None) -> list[tuple[str, list[int]]]:
    """The orientation-robust channels :func:`derived_channels` adds, as ``(kind, [x, y, z]
    indices)``: per sensor, the magnitude of the accelerometer and of the gyroscope (unchanged
    by how the unit is rotated on the limb) and the accelerometer's window mean (the gravity
    direction in the sensor frame: how the limb is held)."""
    spec: list[tuple[str, list[int]]] = []
    chans = list(channels or [])
    for site in rotation_groups(chans):
        for trip in site:
            sig = chans[trip[0]].rpartition(".")[2].rpartition("_")[0]
            if sig in ("acc", "gyro"):
                spec.append(("norm", trip))
            if sig == "acc":
                spec.append(("mean", trip))
    return spec


def derived_channels(inp: Any, spec: list[tuple[str, list[int]]], n_features: int) -> Any:
    """Keras graph appending the :func:`derived_spec` channels to ``inp`` (batch, T, C), built
    from builtin layers only (fixed selection matrices, ``UnitNormalization``, pooling), so the
    saved model reloads without custom objects and converts to TFLite builtin ops. The raw
    window stays the model input."""
    import keras
    from keras import layers

    seq_len = int(inp.shape[1])
    parts = [inp]
    for k, (kind, trip) in enumerate(spec):
        sel = np.zeros((n_features, 3), np.float32)
        sel[trip, [0, 1, 2]] = 1.0
        pick = layers.Dense(3, use_bias=False, trainable=False, name=f"derived_pick{k}",
                            kernel_initializer=keras.initializers.Zeros())  # fmt: skip
        v = pick(inp)
        pick.set_weights([sel])
        if kind == "norm":  # |v| = v . v/|v|
            unit = layers.UnitNormalization(axis=-1)(v)
            summ = layers.Dense(1, use_bias=False, trainable=False, name=f"derived_sum{k}",
                                kernel_initializer=keras.initializers.Ones())  # fmt: skip
            parts.append(summ(layers.Multiply()([v, unit])))
        else:  # window mean, repeated along time
            parts.append(layers.RepeatVector(seq_len)(layers.GlobalAveragePooling1D()(v)))
    return layers.Concatenate(axis=-1, name="with_derived")(parts) if len(parts) > 1 else inp


def derived_numpy(x: np.ndarray, spec: list[tuple[str, list[int]]]) -> np.ndarray:
    """:func:`derived_channels` in numpy (for the normalisation statistics and tests)."""
    parts = [x]
    for kind, trip in spec:
        v = x[:, :, trip]
        if kind == "norm":
            parts.append(np.linalg.norm(v, axis=-1, keepdims=True))
        else:
            parts.append(np.repeat(v.mean(axis=1, keepdims=True), x.shape[1], axis=1))
    return np.concatenate(parts, axis=-1).astype(np.float32)


def build_imu_model(
    arch: str,
    seq_len: int,
    n_features: int,
    n_classes: int,
    mean: np.ndarray,
    variance: np.ndarray,
    learning_rate: float = 1e-3,
    noise: float = 0.1,
    name: str | None = None,
    derived: list[tuple[str, list[int]]] | None = None,
) -> Any:
    """A compiled Keras model with softmax output over ``n_classes``.

    ``cnn``: three Conv1D blocks (32-64-64 filters, BN, ReLU), global average pooling, dropout.
    ``cnn_deep``: four blocks (32-64-64-64) with max-pooling after the first three (a longer
    receptive field); ``cnn_attn``: ``cnn_deep`` plus two-head self-attention before pooling.
    ``cnn_bilstm``: two Conv1D blocks, max-pool by 2, a 32-unit BiLSTM, dropout. ``derived``
    (a :func:`derived_spec`): append those channels first; ``mean``/``variance`` are then
    over raw + derived channels."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    from keras import layers

    if arch not in CONV_ARCHITECTURES:  # rocket families: repcoach.models.multirocket.ROCKET_FITS
        raise ValueError(f"arch must be one of {CONV_ARCHITECTURES}, got {arch!r}")
    inp = keras.Input((seq_len, n_features), name="imu_window")
    x = derived_channels(inp, derived, n_features) if derived else inp
    x = layers.Normalization(axis=-1, mean=mean, variance=np.maximum(variance, 1e-6))(x)
    x = layers.GaussianNoise(noise)(x)
    x = conv_trunk(x, arch)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    model = keras.Model(inp, out, name=name or f"imu_{arch}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


_SWAP = {"lwrist": "rwrist", "rwrist": "lwrist", "lankle": "rankle", "rankle": "lankle",
         "left": "right", "right": "left"}


def mirror_map(
    channels: tuple[str, ...] | list[str], axis: str = "x"
) -> tuple[np.ndarray, np.ndarray]:
    """``(perm, signs)`` mapping a window to its left-right mirror image: ``x[:, :, perm] *
    signs``. The reflection flips ``axis`` of every sensor: accelerometer (a vector) changes
    sign on that axis, gyroscope (a pseudo-vector) on the two others; left and right sites swap.
    On SPAR the left- and right-arm recordings differ exactly by the sign of acc_x."""
    chans = list(channels)
    perm, signs = [], []
    for c in chans:
        site, _, rest = c.rpartition(".")
        other = f"{_SWAP.get(site, site)}.{rest}" if site else c
        perm.append(chans.index(other) if other in chans else chans.index(c))
        sig, _, ax = rest.rpartition("_")
        if sig == "acc":
            signs.append(-1.0 if ax == axis else 1.0)
        elif sig == "gyro":
            signs.append(1.0 if ax == axis else -1.0)
        else:
            signs.append(1.0)
    return np.asarray(perm), np.asarray(signs, np.float32)


def mirror_param(
    channels: tuple[str, ...] | list[str], axis: str | None
) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
    """:func:`mirror_map` of ``axis`` as :class:`ImuClassifier`'s ``mirror`` takes it (plain
    tuples); None for no axis."""
    if axis is None:
        return None
    perm, signs = mirror_map(channels, axis)
    return tuple(perm.tolist()), tuple(signs.tolist())


def rotation_groups(channels: tuple[str, ...] | list[str]) -> list[list[list[int]]]:
    """Per site, the index triples (x, y, z) of each of its signals: a rotation of the sensor
    rotates all of them together."""
    chans = list(channels)
    sites: dict[str, list[list[int]]] = {}
    for c in chans:
        site, _, rest = c.rpartition(".")
        sig, _, ax = rest.rpartition("_")
        if ax != "x":
            continue
        trip = [f"{site + '.' if site else ''}{sig}_{a}" for a in "xyz"]
        if all(t in chans for t in trip):
            sites.setdefault(site, []).append([chans.index(t) for t in trip])
    return list(sites.values())


def _rotate_augment(
    x: np.ndarray, groups: list[list[list[int]]], max_deg: float, rng: np.random.Generator
) -> np.ndarray:
    """Rotate every sensor's frame by a random rotation of up to ``max_deg`` per window (the
    unit sits a little differently on every wrist)."""

    x = x.copy()
    n = len(x)
    for site in groups:
        axis = rng.normal(size=(n, 3))
        axis /= np.linalg.norm(axis, axis=1, keepdims=True)
        ang = np.radians(max_deg) * rng.uniform(0, 1, size=(n, 1))
        r = Rotation.from_rotvec(axis * ang).as_matrix().astype(np.float32)
        for trip in site:
            x[:, :, trip] = np.einsum("nij,ntj->nti", r, x[:, :, trip])
    return x


def _scale_augment(x: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Random per-window amplitude scaling (sensor gain / subject size variation)."""
    return x * rng.uniform(1 - scale, 1 + scale, size=(len(x), 1, 1)).astype(np.float32)


def augmented_copies(
    X: np.ndarray,
    copies: int,
    rng: np.random.Generator,
    scale: float = 0.0,
    rotate_deg: float = 0.0,
    channels: tuple[str, ...] | list[str] | None = None,
    mirror: tuple[tuple[int, ...], tuple[float, ...]] | None = None,
) -> np.ndarray:
    """``X`` followed by ``copies`` augmented copies of it, for models fitted once (no epochs):
    each copy gets random amplitude scaling and sensor rotation (when on); with ``mirror``, the
    odd-numbered copies (the first, the third, ...) are mirrored whole, so one copy of
    mirror alone is the left-right mirror image of every window."""
    out = [X]
    for c in range(copies):
        xa = _scale_augment(X, rng, scale) if scale else X
        if rotate_deg and channels:
            xa = _rotate_augment(xa, rotation_groups(channels), rotate_deg, rng)
        if mirror is not None and c % 2 == 0:
            xa = xa[:, :, np.asarray(mirror[0])] * np.asarray(mirror[1], np.float32)
        out.append(np.asarray(xa, np.float32))
    return np.concatenate(out)


class ImuClassifier(KerasEstimator):
    """scikit-learn style window classifier: ``fit(X, y)``, ``predict_proba(X)``, ``predict``.

    ``X``: ``(n, length, channels)`` raw windows; ``y``: string labels. ``mirror``: ``(perm,
    signs)`` from :func:`mirror_map` to train on left-right mirrored copies of half the windows
    every epoch (a left-arm exercise looks like a mirrored right-arm one). ``rotate_deg`` with
    ``channels``: rotate each sensor's axes by a random rotation up to that angle per window
    (placement varies between people). ``n_models`` > 1 trains that many members with seeds
    ``seed, seed+1, ...`` and averages their probabilities inside one Keras model. The rocket
    families see no epochs, so they augment only with ``augment_copies`` > 0: the ridge head
    is fitted on the windows plus that many augmented copies (see :func:`augmented_copies`).
    Fitted attributes: ``model_`` (Keras), ``classes_``, ``history_``."""

    def __init__(
        self,
        arch: str = "cnn",
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        scale_augment: float = 0.15,
        noise: float = 0.1,
        seed: int = 0,
        verbose: int = 0,
        mirror: tuple[tuple[int, ...], tuple[float, ...]] | None = None,
        rotate_deg: float = 0.0,
        channels: tuple[str, ...] | None = None,
        n_models: int = 1,
        derived: bool = False,
        augment_copies: int = 0,
    ) -> None:
        self.arch = arch
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.scale_augment = scale_augment
        self.noise = noise
        self.seed = seed
        self.verbose = verbose
        self.mirror = mirror
        self.rotate_deg = rotate_deg
        self.channels = channels
        self.n_models = n_models
        self.derived = derived
        self.augment_copies = augment_copies

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray | list[str],
        validation: tuple[np.ndarray, np.ndarray | list[str]] | None = None,
    ) -> ImuClassifier:
        import keras

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray([str(v) for v in y])
        self.classes_ = np.asarray(sorted(set(y)))
        yi = np.searchsorted(self.classes_, y)
        spec = derived_spec(self.channels) if self.derived else []
        if self.derived and not spec:
            raise ValueError("derived=True needs channels with x/y/z acc or gyro triples")
        flat = derived_numpy(X, spec) if spec else X
        flat = flat.reshape(-1, flat.shape[-1])
        # class weights: balanced, so a rare exercise is not ignored
        counts = np.bincount(yi, minlength=len(self.classes_)).astype(float)
        cw = {i: float(len(yi) / (len(counts) * c)) for i, c in enumerate(counts) if c > 0}
        val = None
        if validation is not None:
            vx, vy = validation
            known = np.isin(np.asarray([str(v) for v in vy]), self.classes_)
            if known.any():
                val = (np.asarray(vx, np.float32)[known],
                       np.searchsorted(self.classes_, np.asarray([str(v) for v in vy])[known]))
        members, hist = [], {}
        families = imu_arch_members(self.arch)
        if all(f in ROCKET_FITS for f in families) and spec:
            raise ValueError(f"arch {self.arch!r} takes the raw channels (no derived=True)")
        plan = [(fam, k) for fam in families for k in range(max(1, self.n_models))]
        for fam, k in plan:
            seed = self.seed + k
            keras.utils.set_random_seed(seed)
            if fam in ROCKET_FITS:  # fixed transform + ridge head on the raw channels
                raw = X.reshape(-1, X.shape[-1])
                xr, yr = X, yi
                if self.augment_copies:
                    xr = augmented_copies(X, self.augment_copies, np.random.default_rng(seed),
                                          scale=self.scale_augment, rotate_deg=self.rotate_deg,
                                          channels=self.channels, mirror=self.mirror)
                    yr = np.tile(yi, self.augment_copies + 1)
                model, h = ROCKET_FITS[fam](
                    xr, yr, len(self.classes_), *(val or (None, None)), seed=seed,
                    mean=raw.mean(axis=0), variance=raw.var(axis=0),
                    name=f"imu_{fam}" if len(plan) == 1 else f"imu_{fam}_m{k}",
                    float_int8=True,  # sensor windows: SPAR int8 agreement 98.4 -> 99.6 %
                )  # fmt: skip
                hist = hist or h  # the first member's history
                members.append(model)
                continue
            model = build_imu_model(
                fam, X.shape[1], X.shape[2], len(self.classes_),
                flat.mean(axis=0), flat.var(axis=0), self.learning_rate, self.noise,
                name=f"imu_{fam}" if len(plan) == 1 else f"imu_{fam}_m{k}",
                derived=spec or None,
            )  # fmt: skip
            rng = np.random.default_rng(seed)
            member_hist: dict[str, list[float]] = {}
            for _ in range(self.epochs):  # fresh augmentation every epoch
                xa = _scale_augment(X, rng, self.scale_augment) if self.scale_augment else X
                if self.rotate_deg and self.channels:
                    xa = _rotate_augment(xa, rotation_groups(self.channels), self.rotate_deg,
                                         rng)  # fmt: skip
                if self.mirror is not None:  # mirror half the windows (left <-> right side)
                    perm = np.asarray(self.mirror[0])
                    signs = np.asarray(self.mirror[1], np.float32)
                    flip = rng.random(len(xa)) < 0.5
                    xa = xa.copy()
                    xa[flip] = xa[flip][:, :, perm] * signs
                h = model.fit(xa, yi, batch_size=self.batch_size, epochs=1, verbose=0,
                              class_weight=cw, validation_data=val, shuffle=True)
                for key, v in h.history.items():
                    member_hist.setdefault(key, []).append(float(v[-1]))
                if self.verbose:
                    print(k, {key: round(v[-1], 4) for key, v in h.history.items()})
            hist = hist or member_hist  # the first member's history
            members.append(model)
        if len(members) == 1:
            self.model_ = members[0]
        else:  # one Keras model averaging the members: saved and exported like any other
            inp = keras.Input((X.shape[1], X.shape[2]), name="imu_window")
            outs = [m(inp) for m in members]
            self.model_ = keras.Model(inp, keras.layers.Average(name="probabilities")(outs),
                                      name=f"imu_{'_'.join(families)}_x{len(members)}")
        self.history_ = hist
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if len(X) == 0:
            return np.zeros((0, len(self.classes_)), np.float32)
        out = [self.model_.predict_on_batch(X[i : i + 512]) for i in range(0, len(X), 512)]
        return np.concatenate([np.asarray(o) for o in out], axis=0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def vote(
    proba: np.ndarray, classes: np.ndarray, clip_ids: np.ndarray
) -> dict[str, tuple[str, np.ndarray]]:
    """Per clip: majority vote over its windows (ties broken by summed probability) and the
    mean probability vector (used by :mod:`repcoach.imu.fusion`)."""
    out: dict[str, tuple[str, np.ndarray]] = {}
    pred = np.argmax(proba, axis=1)
    for c in dict.fromkeys(clip_ids):
        m = clip_ids == c
        counts = np.bincount(pred[m], minlength=len(classes)).astype(float)
        counts += 1e-3 * proba[m].sum(axis=0)  # tie-break
        out[str(c)] = (str(classes[int(np.argmax(counts))]), proba[m].mean(axis=0))
    return out
