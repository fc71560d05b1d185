"""The saved-model folder format written by training and read by export, runtime and analysis.

A model folder holds::

    config.json          what the models expect and how they were trained (see MODEL_CONFIG_KEYS)
    labels.json          the label encoder as JSON: {"classes": [...]} (classifier output order)
    classifier.keras     the exercise classifier (softmax over ``classes``) ...
    classifier.h5        ... also as legacy HDF5 (the paper's format)
    scorers/<label>.keras, scorers/<label>.h5   one correctness regressor per exercise (sigmoid)
    history.json         per-epoch training curves {"classifier": {...}, "scorers": {label: {...}}}
    export.json          (written by ``repcoach export``) TFLite sizes and parity
    feedback.json        (training, when the data annotates form faults) per-joint cue reference
                         (:mod:`repcoach.feedback`; read by the analyser without TensorFlow)

The label encoder is stored as JSON, never pickled, so a phone app (or any language) can read it.
``format_version`` is bumped only on incompatible changes; readers reject newer versions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_path, write_json

FORMAT_VERSION = 1

#: Keys every config.json has (others may be added; readers ignore what they do not know).
MODEL_CONFIG_KEYS = (
    "format_version",
    "task",  # "exercise" (classifier [+ scorers]) or "correctness" (scorers only)
    "modality",  # "pose" (or "imu" for folders written by repcoach.imu)
    "layout",  # skeleton layout name, e.g. "mediapipe33" or "penn13"
    "seq_len",  # frames per model input (30)
    "n_features",  # values per frame (joints x dims: 99 for MediaPipe, 26 for Penn 13)
    "resample",  # how a repetition is brought to seq_len frames ("interpolate" | "pad" | ...)
    "classes",  # classifier output order (same as labels.json)
    "clip_mode",  # "reps" | "windows" | "whole": how recordings were cut into samples
    "window",  # {"length": frames, "stride": frames} for clip_mode "windows"
    "data",  # the training data folder
    "split",  # participants / groups per split: {"train": [...], "val": [...], "test": [...]}
    "train_params",  # classifier / scorer hyper-parameters and seed
)

#: Optional keys (absent in folders written before them; readers use the default shown):
#: ``scorer_inputs`` ([]): extra constant input channels of every scorer, appended after the
#: ``n_features`` pose values (:mod:`repcoach.models.scorer_inputs`), so a scorer takes
#: ``(seq_len, n_features + len(scorer_inputs))``; ``aspect_corrected_clips`` (unknown): how
#: many training clips had x (and z) multiplied by width/height (analysis must do the same).
OPTIONAL_CONFIG_KEYS = ("scorer_inputs", "aspect_corrected_clips")


class LabelEncoder:
    """Class names <-> integer ids (sorted names, like scikit-learn's), stored as JSON."""

    def __init__(self, classes: Iterable[str] | None = None) -> None:
        self.classes_: np.ndarray | None = None
        if classes is not None:
            self.classes_ = np.asarray([str(c) for c in classes], dtype=object)

    def fit(self, y: Iterable[Any]) -> LabelEncoder:
        self.classes_ = np.asarray(sorted({str(v) for v in y}), dtype=object)
        return self

    def _check(self) -> np.ndarray:
        if self.classes_ is None:
            raise ValueError("LabelEncoder is not fitted")
        return self.classes_

    def transform(self, y: Iterable[Any]) -> np.ndarray:
        classes = self._check()
        lookup = {c: i for i, c in enumerate(classes)}
        out = []
        for v in y:
            if str(v) not in lookup:
                raise ValueError(f"unknown label {v!r}; known: {list(classes)}")
            out.append(lookup[str(v)])
        return np.asarray(out, dtype=np.int64)

    def fit_transform(self, y: Iterable[Any]) -> np.ndarray:
        y = list(y)
        return self.fit(y).transform(y)

    def inverse_transform(self, ids: Iterable[int]) -> np.ndarray:
        classes = self._check()
        return np.asarray([classes[int(i)] for i in ids], dtype=object)

    def to_json(self) -> dict[str, list[str]]:
        return {"classes": [str(c) for c in self._check()]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | str) -> LabelEncoder:
        if isinstance(obj, str):
            obj = json.loads(obj)
        classes = obj.get("classes") if isinstance(obj, Mapping) else None
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise ValueError('expected {"classes": [names...]}')
        return cls(classes)

    def __len__(self) -> int:
        return len(self._check())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, LabelEncoder)
            and self.classes_ is not None
            and other.classes_ is not None
            and list(self.classes_) == list(other.classes_)
        )

    def __repr__(self) -> str:
        return f"LabelEncoder({None if self.classes_ is None else list(self.classes_)})"


def save_keras(model: Any, stem: Path) -> list[Path]:
    """Save a Keras model as ``stem.keras`` and ``stem.h5`` (both atomically)."""
    from repcoach.models.classifier import quiet_tf_logs

    written = []
    for suffix in (".keras", ".h5"):
        target = stem.with_suffix(suffix)
        with atomic_path(target) as tmp, quiet_tf_logs():
            model.save(tmp)
        written.append(target)
    return written


def save_model_dir(
    out: str | Path,
    config: Mapping[str, Any],
    classifier: Any | None = None,
    scorers: Mapping[str, Any] | None = None,
    history: Mapping[str, Any] | None = None,
) -> Path:
    """Write a model folder: config.json, labels.json, classifier and scorer Keras files,
    history.json. ``classifier``/``scorers`` values may be Keras models or fitted estimators
    with a ``model_`` attribute."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = {"format_version": FORMAT_VERSION, **dict(config)}
    missing = [k for k in ("task", "seq_len", "n_features", "classes") if k not in cfg]
    if missing:
        raise ValueError(f"config is missing {missing}")
    cfg["scorers"] = sorted(scorers) if scorers else []
    if classifier is not None:
        save_keras(getattr(classifier, "model_", classifier), out / "classifier")
    if scorers:
        (out / "scorers").mkdir(exist_ok=True)
        for label, scorer in scorers.items():
            save_keras(getattr(scorer, "model_", scorer), out / "scorers" / label)
    write_json(out / "labels.json", LabelEncoder(cfg["classes"]).to_json())
    write_json(out / "history.json", dict(history or {}))
    write_json(out / "config.json", cfg)  # last: its presence marks a complete folder
    return out


def load_model_config(model_dir: str | Path) -> dict[str, Any]:
    """Read and check ``config.json`` (classes from labels.json when present)."""
    model_dir = Path(model_dir)
    path = model_dir / "config.json"
    if not model_dir.is_dir():
        raise DataError("model folder not found", model_dir)
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("no config.json (not a repcoach model folder)", model_dir) from None
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e})", path) from None
    if not isinstance(cfg, dict):
        raise DataError("expected a JSON object", path)
    version = cfg.get("format_version", 1)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise DataError(
            f"format_version {version!r} is newer than this repcoach reads ({FORMAT_VERSION})",
            path,
            column="format_version",
        )
    for key in ("seq_len", "n_features"):
        if not isinstance(cfg.get(key), int) or cfg[key] <= 0:
            raise DataError(f"expected a positive whole number, got {cfg.get(key)!r}", path,
                            column=key)
    labels = model_dir / "labels.json"
    if labels.exists():
        try:
            cfg["classes"] = list(LabelEncoder.from_json(labels.read_text("utf-8")).classes_)
        except (ValueError, json.JSONDecodeError) as e:
            raise DataError(str(e), labels) from None
    if not isinstance(cfg.get("classes"), list):
        raise DataError("no class list (labels.json or config.json 'classes')", model_dir)
    from repcoach.models.scorer_inputs import config_scorer_inputs

    cfg["scorer_inputs"] = list(config_scorer_inputs(cfg, path))
    return cfg


def scorer_input_shape(cfg: Mapping[str, Any]) -> tuple[int, int]:
    """``(seq_len, n_features + extra inputs)``: what every scorer of the folder takes."""
    return int(cfg["seq_len"]), int(cfg["n_features"]) + len(cfg.get("scorer_inputs") or [])


def load_label_encoder(model_dir: str | Path) -> LabelEncoder:
    return LabelEncoder(load_model_config(model_dir)["classes"])


def _keras_file(stem: Path) -> Path:
    for suffix in (".keras", ".h5"):
        if stem.with_suffix(suffix).exists():
            return stem.with_suffix(suffix)
    raise DataError(f"no Keras model (expected {stem.name}.keras or {stem.name}.h5)", stem.parent)


def load_keras_models(
    model_dir: str | Path, prefer: str = ".keras"
) -> tuple[Any | None, dict[str, Any], list[str]]:
    """``(classifier or None, {label: scorer}, classes)`` of a model folder, loaded with Keras.

    ``prefer=".h5"`` loads the HDF5 copies instead (when present)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    model_dir = Path(model_dir)
    cfg = load_model_config(model_dir)

    def load(stem: Path) -> Any:
        p = stem.with_suffix(prefer)
        return keras.models.load_model(p if p.exists() else _keras_file(stem), compile=False)

    clf = None
    if any((model_dir / f"classifier{s}").exists() for s in (".keras", ".h5")):
        clf = load(model_dir / "classifier")
    scorers = {}
    folder = model_dir / "scorers"
    names = set(cfg.get("scorers") or [])
    if folder.is_dir():
        names |= {p.stem for p in folder.iterdir() if p.suffix in (".keras", ".h5")}
    for label in sorted(n for n in names if not n.startswith(".")):
        scorers[label] = load(folder / label)
    return clf, scorers, list(cfg["classes"])


def load_history(model_dir: str | Path) -> dict[str, Any]:
    p = Path(model_dir) / "history.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e})", p) from None


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
    from repcoach.models.scorer_inputs import samples_values
    from repcoach.samples import load_samples_for_config

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
