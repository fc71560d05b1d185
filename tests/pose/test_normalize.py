"""Normalisation: hip-centred, torso-scaled; invariant to camera position and body size."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers.procedural_pose import make_sequence
from repcoach.io.pose_csv import read_pose_csv
from repcoach.pose import preprocess
from repcoach.pose.normalize import hip_centres, normalize
from repcoach.skeleton import COCO_17, KINECT_V2_25, MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence


def _torso(seq: PoseSequence) -> np.ndarray:
    ix = seq.layout.index
    c = seq.coords
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # one side missing: use the other
        sh = np.nanmean(c[:, [ix("left_shoulder"), ix("right_shoulder")]], axis=1)
        hp = np.nanmean(c[:, [ix("left_hip"), ix("right_hip")]], axis=1)
    return np.linalg.norm(sh - hp, axis=1)


@pytest.mark.parametrize("layout", [MEDIAPIPE_33, PENN_13, COCO_17, KINECT_V2_25])
def test_translated_scaled_copy_normalises_to_the_same(layout) -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(0, 0.3, (1, layout.n_joints, layout.dims))
    wiggle = 0.05 * np.sin(np.linspace(0, 6, 40))[:, None, None]
    coords = base + wiggle * rng.normal(size=(1, layout.n_joints, layout.dims))
    a = PoseSequence.from_array(coords, layout, space="world")
    shift = rng.normal(0, 5, layout.dims)
    b = PoseSequence.from_array(coords * 2.7 + shift, layout, space="world")
    na, nb = normalize(a), normalize(b)
    assert na.space == "normalized"
    np.testing.assert_allclose(na.coords, nb.coords, atol=1e-4)
    ix = layout.index
    hips = (na.coords[:, ix("left_hip")] + na.coords[:, ix("right_hip")]) / 2
    np.testing.assert_allclose(hips, 0.0, atol=1e-5)
    assert np.quantile(_torso(na), 0.9) == pytest.approx(1.0, abs=1e-4)


def test_procedural_person_far_and_near_gives_same_pose() -> None:
    near, _ = make_sequence("squat", [1.0, 1.0])
    far, _ = make_sequence("squat", [1.0, 1.0], scale=0.4, offset=(0.2, -0.1))
    np.testing.assert_allclose(normalize(near).coords, normalize(far).coords, atol=1e-4)


def test_one_scale_per_sequence_keeps_foreshortening() -> None:
    """A frame where the torso projects at half length stays at half length (sit-up view)."""
    seq, _ = make_sequence("squat", [1.0, 1.0])
    coords = seq.coords.copy()
    ix = MEDIAPIPE_33.index
    sh = [ix("left_shoulder"), ix("right_shoulder")]
    hip_y = coords[:, [ix("left_hip"), ix("right_hip")], 1].mean(axis=1)
    coords[10, sh, 1] = hip_y[10] + (coords[10, sh, 1] - hip_y[10]) * 0.5
    out = normalize(seq.with_coords(coords))
    torso = _torso(out)
    assert torso[10] == pytest.approx(0.5 * np.median(np.delete(torso, 10)), rel=0.02)


def test_missing_hips_fall_back_without_inf() -> None:
    seq, _ = make_sequence("jumping_jacks", [1.0])
    coords = seq.coords.copy()
    ix = MEDIAPIPE_33.index
    coords[5, [ix("left_hip"), ix("right_hip")]] = np.nan  # hips missing: shoulder + offset
    coords[6] = np.nan  # nothing at all
    coords[7, [ix("left_hip")]] = np.nan  # one hip: the other one
    c = hip_centres(seq.with_coords(coords))
    true = hip_centres(seq)
    np.testing.assert_allclose(c[5], true[5], atol=1e-4)  # shoulders move rigidly with hips here
    assert np.isnan(c[6]).all()
    out = normalize(seq.with_coords(coords))
    assert not np.isinf(out.coords).any()
    assert np.isnan(out.coords[6]).all()
    assert np.isfinite(np.delete(out.coords[5], [ix("left_hip"), ix("right_hip")], axis=0)).all()


def test_no_torso_anywhere_uses_body_extent() -> None:
    coords = np.random.default_rng(0).normal(0, 1, (10, 13, 2))
    ix = PENN_13.index
    coords[:, [ix("left_shoulder"), ix("right_shoulder")]] = np.nan
    out = normalize(PoseSequence.from_array(coords, PENN_13, space="pixels"))
    assert np.isfinite(out.coords[:, ix("head")]).all()
    allnan = normalize(PoseSequence.from_array(np.full((4, 13, 2), np.nan), PENN_13))
    assert np.isnan(allnan.coords).all()


@pytest.mark.realdata
def test_every_penn_clip_normalises_finite_with_unit_torso(realdata) -> None:
    root = realdata("penn_action_exercise")
    medians = []
    for f in sorted((root / "sequences").glob("*.csv")):
        out = preprocess(read_pose_csv(f, layout=PENN_13, space="pixels"))
        assert not np.isinf(out.coords).any(), f
        torso = _torso(out)
        torso = torso[np.isfinite(torso)]
        if torso.size >= 5:
            assert np.quantile(torso, 0.9) == pytest.approx(1.0, abs=0.15), f
            medians.append(np.median(torso))
    assert len(medians) > 380
    assert 0.8 <= np.median(medians) <= 1.0
