"""IMU classifier: mirror map, training a tiny model folder, evaluation, cross-subject folds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from repcoach.imu.model import mirror_map


def test_mirror_map() -> None:
    chans = ("lwrist.acc_x", "lwrist.acc_y", "lwrist.gyro_x", "lwrist.gyro_z",
             "rwrist.acc_x", "rwrist.acc_y", "rwrist.gyro_x", "rwrist.gyro_z", "lwrist.mag_x")
    perm, signs = mirror_map(chans, "x")
    assert list(perm) == [4, 5, 6, 7, 0, 1, 2, 3, 8]
    assert list(signs) == [-1, 1, 1, -1, -1, 1, 1, -1, 1]
    perm, _ = mirror_map(("wrist.acc_x", "wrist.gyro_y"), "x")
    assert list(perm) == [0, 1]  # one site: no swap


class Swing:
    """Limbs swinging about ``axis`` with ``period``: two 'exercises' differ in both."""

    up = (0.0, 0.0, 1.0)

    def __init__(self, axis: str, period: float, amp: float, reps: int = 6) -> None:
        self.axis, self.period, self.amp = axis, period, amp
        self.duration_s = reps * period + 2.0

    def segment_rotations(self, t: np.ndarray, segment: str) -> np.ndarray:
        a = np.radians(self.amp) * 0.5 * (1 - np.cos(2 * np.pi * np.asarray(t) / self.period))
        return Rotation.from_euler(self.axis, a[:, None]).as_matrix()

    def segment_positions(self, t: np.ndarray, segment: str) -> np.ndarray:
        return np.zeros((len(t), 3))


def tiny_dataset(root: Path, people: int = 4) -> Path:
    from repcoach.synth.imu import write_imu

    names = ["ana-ali", "bob-badr", "cem-cole", "dina-dee", "eva-eid"][:people]
    for i, name in enumerate(names):
        rng = np.random.default_rng(i)
        for code, axis, period in (("JJ", "x", 1.2), ("SU", "y", 2.5)):
            kin = Swing(axis, period * rng.uniform(0.9, 1.1), rng.uniform(40, 70))
            write_imu(kin, name, code, root / name / code, rng)
    return root


@pytest.mark.slow
def test_train_evaluate_and_crossval(tmp_path: Path) -> None:
    from repcoach.imu.train import cross_subject, evaluate_imu, load_window_set, train_imu
    from repcoach.models.folder import load_model_config

    data = tiny_dataset(tmp_path / "data", people=5)
    ws = load_window_set(data, progress=False)
    assert ws.X.shape[1:] == (100, 12) and set(ws.y) == {"jumping_jacks", "sit_ups"}
    assert len(set(ws.groups)) == 5
    res = cross_subject(ws, [["ana-ali", "bob-badr"]], progress=False, epochs=2, seed=0,
                        rotate_deg=25.0, mirror="x")
    assert len(res["folds"]) == 1 and 0 <= res["window_accuracy"] <= 1
    assert res["classification"]["clip"]["n"] == 4  # 2 subjects x 2 recordings, voted
    assert 0 <= res["clip_accuracy_mean_probability"] <= 1
    out = tmp_path / "model"
    report = train_imu(data, out, quick=True, test_subjects=["eva-eid"], verbose=0, n_models=2)
    cfg = load_model_config(out)
    assert cfg["modality"] == "imu" and cfg["seq_len"] == 100 and cfg["n_features"] == 12
    assert cfg["channels"][0] == "lwrist.acc_x" and (out / "classifier.keras").exists()
    assert "eva-eid" in cfg["split"]["test"] and "eva-eid" not in cfg["split"]["train"]
    assert cfg["train_params"]["n_models"] == 2  # an averaged ensemble, saved as one model
    assert report["evaluated_on"]["groups"] == ["eva-eid"]
    rep = evaluate_imu(out, data, tmp_path / "eval")
    assert rep["evaluated_on"]["n_groups"] == 1  # only the held-out participant
    assert rep["evaluated_on"]["includes_training_subjects"] is False
    saved = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert saved["classification"]["clip"]["n"] == 2


@pytest.mark.slow
def test_train_reports_held_out_accuracy_and_exports_on_real_windows(tmp_path: Path) -> None:
    """`train_imu` reports accuracy on the held-out subject only, and `repcoach export` checks
    TFLite parity on that subject's real windows (not synthetic pose-like inputs)."""
    from repcoach.deploy.export import export_model_dir
    from repcoach.imu.train import load_imu_test_inputs, load_window_set, train_imu
    from repcoach.models.folder import load_keras_models

    data = tiny_dataset(tmp_path / "data", people=3)
    out = tmp_path / "model"
    report = train_imu(data, out, quick=True, test_subjects=["cem-cole"], verbose=0,
                       arch="cnn_deep", derived=True)  # derived channels convert to TFLite
    ws = load_window_set(data, progress=False)
    held = ws.groups == "cem-cole"
    clf, _, classes = load_keras_models(out)
    pred = np.asarray(classes)[np.asarray(clf.predict_on_batch(ws.X[held])).argmax(axis=1)]
    assert report["accuracy"] == pytest.approx(float(np.mean(pred == ws.y[held])))
    assert "test subject(s) cem-cole" in report["accuracy_level"]
    assert report["test_accuracy"] == report["accuracy"] and "val_accuracy" not in report

    x = load_imu_test_inputs(out, limit=None)
    assert x is not None and np.array_equal(x, ws.X[held])  # the held-out windows, no others
    assert len(load_imu_test_inputs(out, limit=3)) == 3
    res = export_model_dir(out, quantize=("fp32",))
    assert res.n_samples == int(held.sum()) and "test split" in res.sample_source
    assert res.models[0].class_agreement == 1.0


def test_load_imu_test_inputs_without_data(tmp_path: Path) -> None:
    from repcoach.imu.train import load_imu_test_inputs

    (tmp_path / "config.json").write_text(json.dumps({
        "task": "exercise", "modality": "imu", "seq_len": 100, "n_features": 12,
        "classes": ["a", "b"], "data": str(tmp_path / "gone"),
        "split": {"train": ["x"], "test": ["y"]}}))
    assert load_imu_test_inputs(tmp_path) is None


def test_derived_channels_graph_matches_numpy_and_is_rotation_robust() -> None:
    """The in-model |acc|, |gyro| and gravity-direction channels equal their numpy
    definition; magnitudes do not change when the unit is rotated on the limb."""
    import keras

    from repcoach.imu.model import derived_channels, derived_numpy, derived_spec

    chans = ("wrist.acc_x", "wrist.acc_y", "wrist.acc_z",
             "wrist.gyro_x", "wrist.gyro_y", "wrist.gyro_z")
    spec = derived_spec(chans)
    assert spec == [("norm", [0, 1, 2]), ("mean", [0, 1, 2]), ("norm", [3, 4, 5])]
    assert derived_spec(("u1.mag_x", "u1.mag_y", "u1.mag_z")) == []
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 100, 6)).astype(np.float32)
    inp = keras.Input((100, 6))
    graph = keras.Model(inp, derived_channels(inp, spec, 6))
    got = np.asarray(graph.predict_on_batch(x))
    want = derived_numpy(x, spec)
    assert got.shape == (5, 100, 6 + 1 + 3 + 1)
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(want[:, :, 6], np.linalg.norm(x[:, :, :3], axis=-1), rtol=1e-5)
    r = Rotation.from_euler("xyz", [30, -50, 70], degrees=True).as_matrix().astype(np.float32)
    xr = x.copy()
    xr[:, :, :3] = x[:, :, :3] @ r.T
    xr[:, :, 3:] = x[:, :, 3:] @ r.T
    rot = derived_numpy(xr, spec)
    np.testing.assert_allclose(rot[:, :, [6, 10]], want[:, :, [6, 10]], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rot[:, 0, 7:10], want[:, 0, 7:10] @ r.T, rtol=1e-4, atol=1e-5)
