"""Model folders with real (tiny) Keras files: a manifest is written at save and checked at load;
truncated / random Keras files and class lists that do not match the network are refused by
name, with or without a manifest (folders written before manifests)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from repcoach.errors import DataError

CLASSES = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from repcoach.models.folder import save_model_dir

    keras.utils.set_random_seed(0)
    inp = keras.Input((30, 99))
    x = keras.layers.GlobalAveragePooling1D()(inp)
    clf = keras.Model(inp, keras.layers.Dense(len(CLASSES), activation="softmax")(x))
    out = tmp_path_factory.mktemp("m") / "model"
    cfg = {"task": "exercise", "modality": "pose", "layout": "mediapipe33", "seq_len": 30,
           "n_features": 99, "resample": "interpolate", "classes": CLASSES, "clip_mode": "reps"}
    return save_model_dir(out, cfg, classifier=clf)


def _copy(saved: Path, tmp_path: Path, manifest: bool = True) -> Path:
    import shutil

    m = shutil.copytree(saved, tmp_path / "model")
    if not manifest:
        (m / "manifest.json").unlink()
    return m


def test_manifest_written_and_round_trip(saved: Path) -> None:
    from repcoach.models.folder import load_keras_models, load_model_config

    info = json.loads((saved / "manifest.json").read_text())
    assert info["classes"] == CLASSES and info["input_shape"] == [30, 99]
    assert {"config.json", "labels.json", "classifier.keras", "classifier.h5"} <= set(
        info["files"])
    clf, _, classes = load_keras_models(saved)
    assert classes == CLASSES and clf.output_shape[-1] == 4
    assert load_model_config(saved)["classes"] == CLASSES


@pytest.mark.parametrize("manifest", [True, False])
@pytest.mark.parametrize("damage", ["truncated", "random"])
def test_broken_keras_file_is_named(saved: Path, tmp_path: Path, manifest: bool,
                                    damage: str) -> None:
    from repcoach.models.folder import load_keras_models

    m = _copy(saved, tmp_path, manifest)
    k = m / "classifier.keras"
    data = k.read_bytes()
    k.write_bytes(data[: len(data) // 2] if damage == "truncated"
                  else np.random.default_rng(0).bytes(len(data)))
    with pytest.raises(DataError) as e:
        load_keras_models(m)
    assert e.value.path is not None and e.value.path.name == "classifier.keras"
    assert ("changed since training" if manifest else "not a loadable Keras model") in str(e.value)


def test_three_class_labels_without_manifest(saved: Path, tmp_path: Path) -> None:
    """The report's IndexError in `evaluate`: the network has 4 outputs, labels.json 3."""
    from repcoach.models.folder import load_keras_models

    m = _copy(saved, tmp_path, manifest=False)
    (m / "labels.json").write_text(json.dumps({"classes": CLASSES[:3]}))
    with pytest.raises(DataError, match=r"labels.json: classifier has 4 outputs but 3 classes"):
        load_keras_models(m)


def test_reversed_labels_with_manifest_refused(saved: Path, tmp_path: Path) -> None:
    from repcoach.models.folder import load_model_config

    m = _copy(saved, tmp_path)
    (m / "labels.json").write_text(json.dumps({"classes": CLASSES[::-1]}))
    with pytest.raises(DataError, match=r"labels.json: changed since training"):
        load_model_config(m)


def test_manifest_classes_checked_even_if_hashes_rewritten(saved: Path, tmp_path: Path) -> None:
    """Someone re-hashes an edited labels.json into the manifest: its classes still differ."""
    from repcoach.models.folder import load_model_config
    from repcoach.models.manifest import add_to_manifest

    m = _copy(saved, tmp_path)
    (m / "labels.json").write_text(json.dumps({"classes": CLASSES[::-1]}))
    add_to_manifest(m, [m / "labels.json"])
    with pytest.raises(DataError, match=r"classes .* differ from"):
        load_model_config(m)


def test_export_files_join_the_manifest(saved: Path, tmp_path: Path) -> None:
    from repcoach.models.folder import load_model_config
    from repcoach.models.manifest import add_to_manifest

    m = _copy(saved, tmp_path)
    t = m / "classifier_int8.tflite"
    t.write_bytes(b"TFL3 stand-in")
    load_model_config(m)  # an unlisted .tflite (export killed midway) does not block re-export
    add_to_manifest(m, [t])
    load_model_config(m)
    t.write_bytes(b"TFL3 another")
    with pytest.raises(DataError, match="classifier_int8.tflite: changed since training"):
        load_model_config(m)


def test_cli_export_of_truncated_legacy_folder(saved: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:
    from repcoach.cli import main

    m = _copy(saved, tmp_path, manifest=False)
    for suffix in (".keras", ".h5"):
        k = m / f"classifier{suffix}"
        k.write_bytes(k.read_bytes()[:100])
    monkeypatch.setattr(sys, "argv", ["repcoach", "export", "--model", str(m)])
    with pytest.raises(SystemExit) as ex:
        main()
    err = capsys.readouterr().err
    assert ex.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "classifier.keras" in lines[0]
    assert "not a loadable Keras model" in lines[0]
