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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from repcoach.data.scorer_inputs import config_scorer_inputs
from repcoach.errors import DataError
from repcoach.io.atomic import atomic_path, remove_stale_temps, write_json
from repcoach.io.validate import read_text
from repcoach.logs import quiet_tf_logs
from repcoach.models.labels import LabelEncoder
from repcoach.models.manifest import check_manifest, scorer_input_shape, write_manifest

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
#: ``n_features`` pose values (:mod:`repcoach.data.scorer_inputs`), so a scorer takes
#: ``(seq_len, n_features + len(scorer_inputs))``; ``aspect_corrected_clips`` (unknown): how
#: many training clips had x (and z) multiplied by width/height (analysis must do the same).
OPTIONAL_CONFIG_KEYS = ("scorer_inputs", "aspect_corrected_clips")


def save_keras(model: Any, stem: Path) -> list[Path]:
    """Save a Keras model as ``stem.keras`` and ``stem.h5`` (both atomically)."""
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

    remove_stale_temps(out)  # a killed earlier save's half-written files
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
    write_json(out / "config.json", cfg)  # its presence marks a complete folder ...

    write_manifest(out, cfg)  # ... whose files the manifest ties together
    return out


def load_model_config(model_dir: str | Path) -> dict[str, Any]:
    """Read and check ``config.json`` (classes from labels.json when present)."""
    model_dir = Path(model_dir)
    path = model_dir / "config.json"
    if not model_dir.is_dir():
        raise DataError("model folder not found", model_dir)
    if not path.is_file():
        raise DataError("no config.json (not a repcoach model folder)", model_dir)
    try:
        cfg = json.loads(read_text(path, "config.json", max_bytes=64 * 1024**2))
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
            cfg["classes"] = list(LabelEncoder.from_json(read_text(labels, "labels.json"))
                                  .classes_)
        except DataError:
            raise
        except (ValueError, TypeError, json.JSONDecodeError) as e:
            raise DataError(str(e), labels) from None
    if not isinstance(cfg.get("classes"), list) or not cfg["classes"]:
        raise DataError("no class list (labels.json or config.json 'classes')", model_dir)

    cfg["scorer_inputs"] = list(config_scorer_inputs(cfg, path))

    check_manifest(model_dir, cfg)
    return cfg


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
        p = p if p.exists() else _keras_file(stem)
        try:
            return keras.models.load_model(p, compile=False)
        except Exception as e:  # Keras says "file not found" for a truncated file, and more
            raise DataError(f"not a loadable Keras model ({e.__class__.__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''})", p) from None

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
    _check_shapes(model_dir, cfg, clf, scorers)
    return clf, scorers, list(cfg["classes"])


def _check_shapes(model_dir: Path, cfg: Mapping[str, Any], clf: Any, scorers: Mapping[str, Any]
                  ) -> None:
    """The loaded models take config.json's input shape; the classifier has one output per
    class (a mismatched labels.json or config would otherwise fail deep inside, or lie)."""
    want = (int(cfg["seq_len"]), int(cfg["n_features"]))
    checks = [("classifier", clf, want)] if clf is not None else []
    checks += [(f"scorers/{k}", m, scorer_input_shape(cfg)) for k, m in scorers.items()]
    for name, m, w in checks:
        got = tuple(m.input_shape[1:]) if getattr(m, "input_shape", None) else None
        if got is not None and got != w:
            raise DataError(f"{name} takes input {got} but config.json says {w}", model_dir)
    if clf is not None:
        n_out = int(clf.output_shape[-1])
        if n_out != len(cfg["classes"]):
            raise DataError(f"classifier has {n_out} outputs but {len(cfg['classes'])} classes "
                            f"are listed ({list(cfg['classes'])})", model_dir / "labels.json")


def load_history(model_dir: str | Path) -> dict[str, Any]:
    p = Path(model_dir) / "history.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e})", p) from None
