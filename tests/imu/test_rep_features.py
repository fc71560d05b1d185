"""Per-repetition execution-type features: duration and amplitude separate fast / small reps."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.imu.rep_features import (
    RepFeatureSet,
    normalise_by_group,
    rep_cross_subject,
    rep_feature_names,
    rep_features,
)
from repcoach.types import ImuRecording

KINDS = {"correct": (3.0, 60.0), "too_fast": (1.5, 60.0), "low_amplitude": (3.0, 25.0)}


def session(kinds: list[str], scale: float, seed: int) -> tuple[ImuRecording, list[tuple]]:
    """One sensor tilting by ``amplitude`` degrees over ``duration`` s per repetition (kind),
    1 s rest between; ``scale`` is a per-person factor on both (people differ)."""
    rng = np.random.default_rng(seed)
    fs = 50.0
    ang, reps, t0 = [np.zeros(50)], [], 1.0
    for k in kinds:
        dur, amp = KINDS[k]
        dur, amp = dur * scale * rng.uniform(0.9, 1.1), amp * scale * rng.uniform(0.9, 1.1)
        ph = np.arange(int(dur * fs)) / (dur * fs)
        ang += [np.radians(amp) * 0.5 * (1 - np.cos(2 * np.pi * ph)), np.zeros(50)]
        reps.append((t0, t0 + len(ph) / fs, k))
        t0 += len(ph) / fs + 1.0
    a = np.concatenate(ang)
    t = np.arange(len(a)) / fs
    gyro = np.degrees(np.gradient(a, t))
    data = np.stack([np.cos(a), np.sin(a), 0 * a, gyro, 0 * a, 0 * a], 1)
    data += rng.normal(0, 0.01, data.shape)
    chans = ("u1.acc_x", "u1.acc_y", "u1.acc_z", "u1.gyro_x", "u1.gyro_y", "u1.gyro_z")
    return ImuRecording(t, data, chans, fs), reps


def test_duration_and_amplitude_features_separate_kinds() -> None:
    rec, reps = session(["correct", "too_fast", "low_amplitude"] * 3, 1.0, 0)
    names = rep_feature_names(["u1"])
    f = {k: np.array([rep_features(rec, s, e, ["u1"]) for s, e, kk in reps if kk == k])
         for k in KINDS}
    dur, rng_ = names.index("log_duration"), names.index("u1.acc_range")
    assert f["too_fast"][:, dur].max() < f["correct"][:, dur].min()
    assert f["low_amplitude"][:, rng_].max() < f["correct"][:, rng_].min()
    # fast reps turn faster (gyro peak) but cover the same range
    peak = names.index("u1.gyro_peak")
    assert f["too_fast"][:, peak].min() > f["correct"][:, peak].max()
    assert abs(np.median(f["too_fast"][:, rng_]) - np.median(f["correct"][:, rng_])) < 0.3


def test_group_normalisation_and_cross_subject() -> None:
    rows, ys, subj, grp = [], [], [], []
    for p, scale in enumerate([0.7, 1.0, 1.4]):  # people differ in tempo and range
        rec, reps = session(["correct", "too_fast", "low_amplitude"] * 4, scale, p)
        for s, e, k in reps:
            rows.append(rep_features(rec, s, e, ["u1"]))
            ys.append(k)
            subj.append(str(p))
            grp.append(f"{p}|ex")
    x = normalise_by_group(np.vstack(rows), grp)
    assert np.allclose(np.median(x[np.array(subj) == "0"], axis=0), 0)
    fs = RepFeatureSet(x, np.array(ys), np.array(subj), np.array(grp), [], sorted(KINDS))
    res = rep_cross_subject(fs)  # leave one subject out
    assert len(res["folds"]) == 3 and res["accuracy"] >= 0.9
    # without normalisation the slow person's fast reps look like someone else's correct ones
    raw = RepFeatureSet(np.vstack(rows)[:, :1], np.array(ys), np.array(subj), np.array(grp),
                        [], sorted(KINDS))
    assert rep_cross_subject(raw)["accuracy"] < res["accuracy"]
    with pytest.raises(ValueError):
        rep_cross_subject(fs, model="nope")


@pytest.mark.realdata
def test_pt_execution_type_beats_chance(realdata) -> None:
    from repcoach.imu.rep_features import load_rep_feature_set

    fs = load_rep_feature_set(realdata("pt_exercises_imu"), progress=False)
    res = rep_cross_subject(fs, [["2"], ["1"]])
    # measured: s1 -> s2 100 % (24), s2 -> s1 90.5 % (264); chance 33 %
    assert all(f["accuracy"] > 0.7 for f in res["folds"])
