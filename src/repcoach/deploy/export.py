"""Export a trained model folder to TensorFlow Lite and check the exports against Keras.

For the classifier (``classifier.keras``) and every correctness scorer (``scorers/<label>.keras``)
this writes ``<stem>_fp32.tflite`` and ``<stem>_int8.tflite`` (dynamic-range quantisation: int8
weights, float activations). The input signature is fixed to ``[1, seq_len, n_features]``:
with a dynamic batch dimension the LSTM does not convert with builtin ops, and Flex (select TF)
ops would not run on a phone's LiteRT. Each export is then run with LiteRT on held-out inputs and
compared with the Keras model; the figures go to ``MODEL_DIR/export.json``.

Scorers trained with extra inputs (config.json ``scorer_inputs``, e.g. the repetition's
duration) take ``[1, seq_len, n_features + k]``: the parity inputs get ``k`` constant channels
appended (``parity_extra``, else :func:`synthetic_extra_values`).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.data.sample_splits import load_samples_for_config
from repcoach.data.scorer_inputs import (
    FORM_SCALE,
    LOG_DURATION,
    LOG_RELATIVE_DURATION,
    SIGNAL_INPUTS,
    append_channels,
    samples_values,
)
from repcoach.deploy.runtime import PRECISIONS, TFLiteModel, tflite_name
from repcoach.errors import DataError
from repcoach.imu.train import load_imu_test_inputs
from repcoach.io.atomic import atomic_write, remove_stale_temps, write_json
from repcoach.logs import native_stderr_silenced
from repcoach.models.folder import load_keras_models, load_model_config, scorer_input_shape
from repcoach.models.labels import LabelEncoder
from repcoach.models.manifest import add_to_manifest

EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelExport:
    """One exported ``.tflite`` file and how closely it matches its Keras model.

    ``max_abs_diff``: largest |TFLite - Keras| over all samples and outputs (class
    probabilities for the classifier, scores in [0, 1] for a scorer).
    ``class_agreement``: share of samples whose arg-max class agrees (classifier only).
    """

    name: str
    precision: str
    file: str
    size_bytes: int
    n_samples: int
    max_abs_diff: float
    mean_abs_diff: float
    class_agreement: float | None = None


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_model_dir` wrote: every export with its parity, and the source files."""

    model_dir: Path
    models: tuple[ModelExport, ...]
    n_samples: int
    sample_source: str
    input_shape: tuple[int, int, int]
    keras_files: dict[str, int] = field(default_factory=dict)
    scorer_inputs: tuple[str, ...] = ()
    extra_source: str | None = None

    def get(self, name: str, precision: str) -> ModelExport:
        """The export of ``name`` (``"classifier"`` or ``"scorers/<label>"``) at ``precision``."""
        for m in self.models:
            if m.name == name and m.precision == precision:
                return m
        raise KeyError(f"no export {name!r} at {precision!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": EXPORT_FORMAT_VERSION,
            "input_shape": list(self.input_shape),
            "scorer_input_shape": [*self.input_shape[:2],
                                   self.input_shape[2] + len(self.scorer_inputs)],
            "scorer_inputs": list(self.scorer_inputs),
            "extra_source": self.extra_source,
            "n_samples": self.n_samples,
            "sample_source": self.sample_source,
            "files": {m.file: m.size_bytes for m in self.models},
            "keras_files": dict(self.keras_files),
            "models": [asdict(m) for m in self.models],
        }


def export_model_dir(
    model_dir: str | Path,
    *,
    quantize: tuple[str, ...] | list[str] = ("fp32", "int8"),
    parity_samples: np.ndarray | None = None,
    sample_source: str | None = None,
    seed: int = 0,
    parity_extra: np.ndarray | None = None,
) -> ExportResult:
    """Convert the folder's Keras models to ``.tflite`` and write ``export.json``.

    ``quantize``: which precisions to write (``"fp32"``, ``"int8"``). ``parity_samples``:
    ``(n, seq_len, n_features)`` held-out model inputs to compare TFLite with Keras on; when
    None, :func:`default_parity_samples` picks them (the test split named in ``config.json``
    when it can be loaded, else documented synthetic pose-like inputs). ``sample_source`` is a
    free-text note stored in ``export.json`` saying where the samples came from.
    ``parity_extra``: ``(n, k)`` values of the scorers' extra inputs for those samples (None:
    :func:`synthetic_extra_values`); unused when the scorers have none.
    """

    model_dir = Path(model_dir)
    precisions = tuple(quantize)
    bad = [p for p in precisions if p not in PRECISIONS]
    if bad or not precisions:
        raise ValueError(f"quantize must be a non-empty subset of {PRECISIONS}, got {precisions}")
    config = load_model_config(model_dir)

    remove_stale_temps(model_dir)  # a killed earlier export's half-written .tflite
    classes = [str(c) for c in config["classes"]]
    seq_len, n_features = int(config["seq_len"]), int(config["n_features"])
    ensure_labels_json(model_dir, classes)
    classifier, scorers, _ = load_keras_models(model_dir)
    if classifier is None and not scorers:
        raise DataError("no Keras models to export (classifier or scorers/)", model_dir)

    jobs: list[tuple[str, Path, Any, str]] = []
    if classifier is not None:
        jobs.append(("classifier", model_dir, classifier, "classifier"))
    jobs += [(f"scorers/{k}", model_dir / "scorers", m, k) for k, m in sorted(scorers.items())]
    extra_names = tuple(config.get("scorer_inputs") or ())
    for name, _, model, _ in jobs:
        shape = tuple(model.input_shape[1:])
        want = (seq_len, n_features) if name == "classifier" else scorer_input_shape(config)
        if shape != want:
            why = f" (pose + extra inputs {list(extra_names)})" if want[1] != n_features else ""
            raise DataError(
                f"{name} takes inputs of shape {shape}, config.json says {want}{why}", model_dir
            )
    if classifier is not None and int(classifier.output_shape[-1]) != len(classes):
        raise DataError(
            f"classifier has {classifier.output_shape[-1]} outputs but {len(classes)} classes",
            model_dir,
        )

    if parity_samples is None and extra_names and parity_extra is None:
        got = held_out_with_extra(model_dir)
        if got is not None:
            parity_samples, parity_extra, source = got
            sample_source = sample_source or source
    if parity_samples is None:
        parity_samples, source = default_parity_samples(model_dir, seq_len, n_features, seed=seed)
        sample_source = sample_source or source
    x = np.asarray(parity_samples, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (seq_len, n_features) or len(x) == 0:
        raise ValueError(
            f"parity_samples must have shape (n>0, {seq_len}, {n_features}), got {x.shape}"
        )
    if not np.isfinite(x).all():
        raise ValueError("parity_samples contain NaN or inf")
    extra_source = None
    x_scorer = x
    if extra_names:

        if parity_extra is None:
            parity_extra = synthetic_extra_values(len(x), extra_names, seed=seed)
            extra_source = (f"synthetic {', '.join(extra_names)} values (seed {seed}, "
                            "realistic ranges)")  # fmt: skip
        else:
            extra_source = "given with the samples"
        e = np.asarray(parity_extra, dtype=np.float32)
        if e.shape != (len(x), len(extra_names)) or not np.isfinite(e).all():
            raise ValueError(f"parity_extra must be finite with shape ({len(x)}, "
                             f"{len(extra_names)}), got {e.shape}")  # fmt: skip
        x_scorer = append_channels(x, e)

    exports: list[ModelExport] = []
    for name, folder, model, stem in jobs:
        xin = x if name == "classifier" else x_scorer
        ref = np.asarray(model.predict_on_batch(xin), dtype=np.float32)
        tfl = convert_to_tflite(model, seq_len, xin.shape[2], precisions)
        for precision, blob in tfl.items():
            path = folder / tflite_name(stem, precision)
            with atomic_write(path, "wb") as fh:
                fh.write(blob)
            got = TFLiteModel(path).predict(xin)
            diff = np.abs(got - ref)
            agreement = None
            if name == "classifier":
                agreement = float(np.mean(got.argmax(-1) == ref.argmax(-1)))
            exports.append(
                ModelExport(
                    name=name,
                    precision=precision,
                    file=path.relative_to(model_dir).as_posix(),
                    size_bytes=path.stat().st_size,
                    n_samples=len(x),
                    max_abs_diff=float(diff.max()),
                    mean_abs_diff=float(diff.mean()),
                    class_agreement=agreement,
                )
            )


    add_to_manifest(model_dir, [model_dir / e.file for e in exports])
    keras_files = {
        p.relative_to(model_dir).as_posix(): p.stat().st_size
        for p in sorted(model_dir.rglob("*"))
        if p.suffix in (".keras", ".h5") and not p.name.startswith(".")
    }
    result = ExportResult(
        model_dir=model_dir,
        models=tuple(exports),
        n_samples=len(x),
        sample_source=sample_source or "samples given by the caller",
        input_shape=(1, seq_len, n_features),
        keras_files=keras_files,
        scorer_inputs=extra_names,
        extra_source=extra_source,
    )
    write_json(
        model_dir / "export.json",
        {**result.to_dict(), "created_unix": round(time.time(), 3), **_versions()},
    )
    return result


def convert_to_tflite(
    model: Any, seq_len: int, n_features: int, precisions: tuple[str, ...] = PRECISIONS
) -> dict[str, bytes]:
    """Keras model -> ``{precision: .tflite bytes}`` through a SavedModel with a fixed
    ``[1, seq_len, n_features]`` signature, builtin ops only."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf


    spec = tf.TensorSpec([1, seq_len, n_features], tf.float32, name="x")
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="repcoach-export-") as tmp:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serve", lambda x: model(x, training=False), input_signature=[spec])
        with native_stderr_silenced():
            archive.write_out(tmp, verbose=False)
        for precision in precisions:
            conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            if precision == "int8":
                conv.optimizations = [tf.lite.Optimize.DEFAULT]  # dynamic-range: int8 weights
            with native_stderr_silenced():
                out[precision] = conv.convert()
    return out


def ensure_labels_json(model_dir: str | Path, classes: list[str] | None = None) -> Path:
    """Write ``labels.json`` (``{"classes": [...]}``, classifier-output order) if it is missing."""

    path = Path(model_dir) / "labels.json"
    if not path.exists():
        if classes is None:
            classes = load_model_config(model_dir)["classes"]
        write_json(path, LabelEncoder(classes).to_json())
    return path


def default_parity_samples(
    model_dir: str | Path, seq_len: int, n_features: int, n: int = 64, seed: int = 0
) -> tuple[np.ndarray, str]:
    """Held-out inputs for parity checks and where they came from.

    First choice: the test split of the training data, via ``repcoach.models.folder`` when the
    folder's ``config.json`` names its data (written by training). Otherwise
    :func:`synthetic_pose_inputs`: smooth pose-like trajectories, never zeros.
    """
    why = "config.json names no training data"
    try:
        imu = load_model_config(model_dir).get("modality") == "imu"  # held-out IMU windows
        loader = load_imu_test_inputs if imu else load_test_inputs
        x = loader(model_dir, limit=n)
        if x is not None and len(x):
            x = np.asarray(x, dtype=np.float32)
            if x.shape[1:] == (seq_len, n_features) and np.isfinite(x).all():
                return x, f"test split of the training data ({len(x)} samples)"
            why = f"test split has shape {x.shape[1:]} or non-finite values"
    except Exception as e:  # any failure to reload the data falls back, and says why
        why = f"test split not loadable ({type(e).__name__}: {e})"
    x = synthetic_pose_inputs(n, seq_len, n_features, seed=seed)
    return x, f"synthetic pose-like inputs ({n} samples, seed {seed}; {why})"


def synthetic_pose_inputs(
    n: int, seq_len: int = 30, n_features: int = 99, seed: int = 0
) -> np.ndarray:
    """``(n, seq_len, n_features)`` smooth, pose-like model inputs for parity checks.

    Each feature is a fixed offset (a joint's place in a hip-centred, torso-scaled body,
    roughly in [-1.5, 1.5]) plus one or two sinusoids at repetition-like rates (0.5 to 2 cycles
    per 30-frame repetition, amplitude up to 0.6) and small noise: the range and smoothness of
    real normalised repetitions, without needing a dataset. Used only when no test split exists.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, seq_len, dtype=np.float64)[None, :, None]
    offset = rng.uniform(-1.5, 1.5, size=(n, 1, n_features))
    x = offset.copy()
    for _ in range(2):
        amp = rng.uniform(0.0, 0.6, size=(n, 1, n_features)) * rng.uniform(0, 1, (n, 1, 1))
        freq = rng.uniform(0.5, 2.0, size=(n, 1, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1, n_features))
        x = x + amp * np.sin(2 * np.pi * freq * t + phase)
    x = x + rng.normal(0.0, 0.02, size=x.shape)
    return x.astype(np.float32)


def held_out_with_extra(
    model_dir: str | Path, n: int = 64
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """``(inputs, scorer extra-input values, note)`` of the held-out test split for a folder
    whose scorers have extra inputs (the durations of those very samples), or None when the
    split cannot be loaded (callers then fall back to :func:`default_parity_samples`)."""

    try:
        got = load_test_split(model_dir, limit=n)
    except Exception:  # noqa: BLE001 - any failure to reload the data falls back
        return None
    if got is None or got[1] is None or not len(got[0]) or not np.isfinite(got[0]).all():
        return None
    x, extra = got
    return x, extra, f"test split of the training data ({len(x)} samples, with their scorer inputs)"


def synthetic_extra_values(n: int, names: tuple[str, ...] | list[str], seed: int = 0):
    """``(n, len(names))`` plausible values of the scorers' extra inputs for parity checks:
    repetitions of 0.5-4 s (``log_duration``) and 0.55-1.35 times the set's median
    (``log_relative_duration``); push-up form channels within 15 % of their typical value
    (:data:`~repcoach.data.scorer_inputs.FORM_SCALE`'s fill, scaled); the 3-D form-signal
    statistics within one "clearly different" step of the reference plank (-1 to 1)."""

    rng = np.random.default_rng(seed + 1)
    ranges = {LOG_DURATION: (np.log(0.5), np.log(4.0)),
              LOG_RELATIVE_DURATION: (np.log(0.55), np.log(1.35))}  # fmt: skip
    for feature, (divisor, typical) in FORM_SCALE.items():
        lo, hi = sorted((0.85 * typical / divisor, 1.15 * typical / divisor))
        ranges[f"form_{feature}"] = (lo, hi)
    ranges.update({name: (-1.0, 1.0) for name in SIGNAL_INPUTS})
    cols = []
    for name in names:
        if name not in ranges:
            raise ValueError(f"unknown scorer input {name!r}")
        cols.append(rng.uniform(*ranges[name], size=n))
    return np.stack(cols, axis=1).astype(np.float32) if cols else np.zeros((n, 0), np.float32)


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    try:
        import ai_edge_litert

        litert = getattr(ai_edge_litert, "__version__", "unknown")
    except ImportError:  # pragma: no cover - pinned dependency
        litert = "missing"
    return {"tensorflow": tf.__version__, "keras": keras.__version__, "ai_edge_litert": litert}


def load_test_inputs(model_dir: str | Path, limit: int | None = 256) -> np.ndarray | None:
    """Model inputs of the held-out test split named in config.json (None when unavailable).

    Used by export parity checks so TFLite is compared with Keras on real held-out samples."""
    got = load_test_split(model_dir, limit)
    return None if got is None else got[0]


def load_test_split(
    model_dir: str | Path, limit: int | None = 256
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """``(pose inputs, scorer extra-input values or None)`` of the held-out test split named in
    config.json, or None when unavailable. The extra values (``(n, k)``, config.json
    ``scorer_inputs``) are computed over whole recordings, as at analysis."""
    cfg = load_model_config(model_dir)
    if not cfg.get("data") or not Path(cfg["data"]).exists():
        return None
    samples, split_idx = load_samples_for_config(cfg, Path(cfg["data"]))
    idx = split_idx.get("test")
    if idx is None or len(idx) == 0:
        return None
    extra = samples_values(cfg.get("scorer_inputs") or [], samples)
    idx = idx if limit is None else idx[:limit]
    return samples.X[idx], None if extra is None else extra[idx]
