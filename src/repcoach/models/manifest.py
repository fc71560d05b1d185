"""A model folder's manifest: what training wrote, so edited or mismatched files are refused.

``manifest.json`` (written last by :func:`repcoach.models.folder.save_model_dir`, and extended by
``repcoach export`` with the ``.tflite`` files) records::

    {"format": "repcoach-model-manifest/1", "classes": [...], "input_shape": [30, 99],
     "scorer_input_shape": [30, 99], "scorers": [...],
     "files": {"config.json": "<sha256>", "labels.json": "<sha256>", ...}}

:func:`check_manifest` (called by :func:`repcoach.models.folder.load_model_config`) refuses, by
name, a listed file that is missing or whose bytes changed, a model file that is not listed,
and classes or input shapes that differ from config.json / labels.json. Folders written
before manifests (no ``manifest.json``) load as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from repcoach.errors import DataError
from repcoach.io.atomic import write_json
from repcoach.io.validate import read_text

MANIFEST = "manifest.json"
FORMAT = "repcoach-model-manifest/1"
#: Files of a model folder the manifest covers (relative glob patterns).
COVERED = ("config.json", "labels.json", "classifier*.keras", "classifier*.h5",
           "classifier*.tflite", "scorers/*.keras", "scorers/*.h5", "scorers/*.tflite")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def covered_files(model_dir: Path) -> list[Path]:
    """The model files of ``model_dir`` the manifest covers (temp dot-files skipped)."""
    out: set[Path] = set()
    for pat in COVERED:
        out |= {p for p in model_dir.glob(pat) if p.is_file() and not p.name.startswith(".")}
    return sorted(out)


def write_manifest(model_dir: str | Path, config: Mapping[str, Any]) -> Path:
    """Hash every covered file of ``model_dir`` and write ``manifest.json`` (atomically)."""

    model_dir = Path(model_dir)
    files = {p.relative_to(model_dir).as_posix(): sha256(p) for p in covered_files(model_dir)}
    info = {
        "format": FORMAT,
        "classes": [str(c) for c in config["classes"]],
        "input_shape": [int(config["seq_len"]), int(config["n_features"])],
        "scorer_input_shape": list(scorer_input_shape(config)),
        "scorers": sorted(config.get("scorers") or []),
        "files": files,
    }
    path = model_dir / MANIFEST
    write_json(path, info)
    return path


def add_to_manifest(model_dir: str | Path, paths: Iterable[Path]) -> None:
    """Record (or re-record) ``paths`` in an existing manifest; no manifest: nothing to do."""
    model_dir = Path(model_dir)
    info = read_manifest(model_dir)
    if info is None:
        return
    for p in paths:
        p = Path(p)
        info["files"][p.resolve().relative_to(model_dir.resolve()).as_posix()] = sha256(p)
    write_json(model_dir / MANIFEST, info)


def read_manifest(model_dir: Path) -> dict[str, Any] | None:
    """The parsed manifest of ``model_dir`` (None when there is none); malformed: DataError."""

    path = Path(model_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        info = json.loads(read_text(path, MANIFEST, max_bytes=16 * 1024**2))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e})", path) from None
    ok = (isinstance(info, dict) and info.get("format") == FORMAT
          and isinstance(info.get("files"), dict) and isinstance(info.get("classes"), list))
    if not ok:
        raise DataError(f"not a {FORMAT} manifest (expected format, classes, files)", path)
    return info


def check_manifest(model_dir: str | Path, config: Mapping[str, Any]) -> None:
    """Refuse a folder whose files, classes or shapes differ from its manifest (see module)."""

    model_dir = Path(model_dir)
    info = read_manifest(model_dir)
    if info is None:
        return
    mpath = model_dir / MANIFEST
    for rel, digest in info["files"].items():
        p = model_dir / rel
        if not p.is_file():
            raise DataError(f"listed in {MANIFEST} but missing; the model folder is incomplete",
                            p)
        if sha256(p) != digest:
            raise DataError(f"changed since training (its SHA-256 differs from {MANIFEST}); "
                            "refusing a model folder whose files do not belong together", p)
    for p in covered_files(model_dir):
        rel = p.relative_to(model_dir).as_posix()
        if p.suffix in (".keras", ".h5") and rel not in info["files"]:
            raise DataError(f"not listed in {MANIFEST}: a file from another training run?", p)
    classes = [str(c) for c in config["classes"]]
    if classes != [str(c) for c in info["classes"]]:
        raise DataError(f"classes {classes} differ from the {info['classes']} the models were "
                        f"trained with ({MANIFEST})", model_dir / "labels.json")
    shape = [int(config["seq_len"]), int(config["n_features"])]
    if info.get("input_shape") is not None and shape != list(info["input_shape"]):
        raise DataError(f"config.json says input {shape} but the models take "
                        f"{info['input_shape']} ({MANIFEST})", model_dir / "config.json")
    sshape = list(scorer_input_shape(config))
    if info.get("scorer_input_shape") is not None and sshape != list(info["scorer_input_shape"]):
        raise DataError(f"config.json says scorer input {sshape} but the scorers take "
                        f"{info['scorer_input_shape']} ({MANIFEST})", mpath)


def scorer_input_shape(cfg: Mapping[str, Any]) -> tuple[int, int]:
    """``(seq_len, n_features + extra inputs)``: what every scorer of the folder takes."""
    return int(cfg["seq_len"]), int(cfg["n_features"]) + len(cfg.get("scorer_inputs") or [])
