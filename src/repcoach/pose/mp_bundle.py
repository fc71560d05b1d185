"""Build MediaPipe's PoseLandmarker ``.task`` bundle offline, from files inside the mediapipe wheel.

mediapipe 0.10.21 ships the BlazePose detector and the "full" landmark model as bare ``.tflite``
files (used by the legacy ``solutions.pose`` API). The Tasks API wants a ``.task`` zip holding
``pose_detector.tflite`` + ``pose_landmarks_detector.tflite`` with input-normalisation metadata.
We add that metadata with mediapipe's own ``MetadataWriter`` and zip the two models; the bundle
is built once into a user cache folder (``$REPCOACH_CACHE`` or ``~/.cache/repcoach``),
atomically, so concurrent workers never read a half-written file. Nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from repcoach.io.atomic import atomic_path

#: Bump when the bundle recipe changes, so stale cached bundles are not reused.
BUNDLE_VERSION = 1
BUNDLE_NAME = "pose_landmarker_full_offline"

_DETECTOR = ("modules", "pose_detection", "pose_detection.tflite")
_LANDMARKER = ("modules", "pose_landmark", "pose_landmark_full.tflite")


def import_mediapipe() -> Any:
    """Import mediapipe without TensorFlow.

    mediapipe's Tasks containers import ``tensorflow.tools.docs`` only for API-doc decorators
    (``optional_dependencies``); that costs ~5 s when TensorFlow is installed, and the analysis
    path must not load TensorFlow. We pre-register the no-op fallback mediapipe itself uses
    when TensorFlow is absent.
    """
    name = "mediapipe.tasks.python.core.optional_dependencies"
    if "mediapipe" not in sys.modules and name not in sys.modules:
        stub = types.ModuleType(name)
        stub.doc_controls = types.SimpleNamespace(do_not_generate_docs=lambda x: x)  # type: ignore[attr-defined]
        sys.modules[name] = stub
    import mediapipe

    return mediapipe


def cache_dir() -> Path:
    """Where repcoach keeps generated files: ``$REPCOACH_CACHE`` or ``$XDG_CACHE_HOME/repcoach``."""
    env = os.environ.get("REPCOACH_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "repcoach"


def _mediapipe_root() -> Path:

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("mediapipe is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def shipped_models() -> tuple[Path, Path]:
    """Paths of the detector and landmark ``.tflite`` files shipped in the mediapipe wheel."""
    root = _mediapipe_root()
    det, lm = root.joinpath(*_DETECTOR), root.joinpath(*_LANDMARKER)
    for p in (det, lm):
        if not p.is_file():
            raise RuntimeError(
                f"{p} not found: this mediapipe version ships no pose model (0.10.21 does); "
                "pass an official pose_landmarker_*.task file instead"
            )
    return det, lm


@contextlib.contextmanager
def _without_tensorflow() -> Iterator[None]:
    """Make ``import tensorflow`` fail for a moment: mediapipe's metadata code only uses it,
    optionally, to open files, and importing it costs ~5 s (and the analysis path must not)."""
    if "tensorflow" in sys.modules:
        yield
        return
    sys.modules["tensorflow"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]


def _with_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    """Add image-input normalisation metadata (and one feature entry per output) to a model."""
    import_mediapipe()
    with _without_tensorflow():
        from mediapipe.tasks.python.metadata.metadata_writers import (
            metadata_writer,
            writer_utils,
        )

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, "BlazePose model shipped in the mediapipe wheel")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in writer_utils.get_output_tensor_types(bytearray(model)):
        writer.add_feature_output()
    content, _ = writer.populate()
    return bytes(content)


def build_bundle(out_path: str | Path) -> Path:
    """Write the offline ``.task`` bundle to ``out_path`` (atomically) and return the path."""
    import_mediapipe()
    with _without_tensorflow():
        from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import (
            create_model_asset_bundle,
        )

    det_path, lm_path = shipped_models()
    models = {
        # BlazePose detector expects pixels scaled to [-1, 1]; the landmark model to [0, 1].
        "pose_detector.tflite": _with_metadata(
            det_path.read_bytes(), "pose_detector", 127.5, 127.5
        ),
        "pose_landmarks_detector.tflite": _with_metadata(
            lm_path.read_bytes(), "pose_landmarks_detector", 0.0, 255.0
        ),
    }
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        create_model_asset_bundle(models, str(tmp))
        with zipfile.ZipFile(tmp) as zf:  # sanity check before publishing the file
            if sorted(zf.namelist()) != sorted(models):
                raise RuntimeError(f"bundle {tmp} has unexpected members {zf.namelist()}")
    return out_path


def _fingerprint() -> str:
    """Short hash of the shipped models, so a mediapipe upgrade rebuilds the bundle."""
    h = hashlib.sha256(str(BUNDLE_VERSION).encode())
    for p in shipped_models():
        st = p.stat()
        h.update(f"{p}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:12]


def default_model_path() -> Path:
    """The cached offline bundle, built on first use (cheap afterwards: one ``stat``)."""
    path = cache_dir() / f"{BUNDLE_NAME}-{_fingerprint()}.task"
    if not path.is_file():
        build_bundle(path)
    return path
