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
    from repcoach.model_dir import load_model_config

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
