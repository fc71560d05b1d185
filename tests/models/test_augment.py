"""Augmentation: flips mirror left/right correctly, temporal transforms keep shapes."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.models.augment import Augmenter, drop_frames, flip_horizontal, local_shuffle
from repcoach.skeleton import MEDIAPIPE_33, PENN_13


@pytest.mark.parametrize("layout", [MEDIAPIPE_33, PENN_13])
def test_flip_swaps_left_and_right_and_negates_x(layout):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 30, layout.n_features)).astype(np.float32)
    f = flip_horizontal(x, layout)
    a = x.reshape(2, 30, layout.n_joints, layout.dims)
    b = f.reshape(2, 30, layout.n_joints, layout.dims)
    li, ri = layout.index("left_wrist"), layout.index("right_wrist")
    np.testing.assert_allclose(b[..., li, 0], -a[..., ri, 0])
    np.testing.assert_allclose(b[..., li, 1:], a[..., ri, 1:])
    np.testing.assert_allclose(b[..., ri, 0], -a[..., li, 0])
    # a joint without a twin stays in place, mirrored
    mid = layout.index("nose") if layout.has("nose") else layout.index("head")
    np.testing.assert_allclose(b[..., mid, 0], -a[..., mid, 0])
    np.testing.assert_allclose(flip_horizontal(f, layout), x)


def test_flip_rejects_wrong_width():
    with pytest.raises(ValueError, match="features"):
        flip_horizontal(np.zeros((1, 30, 98)), MEDIAPIPE_33)


def test_frame_drop_and_shuffle_keep_shape_and_values_range():
    rng = np.random.default_rng(1)
    x = np.cumsum(rng.normal(size=(30, 99)), axis=0).astype(np.float32)
    d = drop_frames(x, 0.3, rng)
    assert d.shape == x.shape and np.isfinite(d).all()
    assert d.min() >= x.min() - 1e-5 and d.max() <= x.max() + 1e-5  # interpolation only
    np.testing.assert_allclose(d[0], x[0])
    np.testing.assert_allclose(d[-1], x[-1])
    s = local_shuffle(x, 2, rng)
    assert s.shape == x.shape
    # same frames, each moved at most 2 places
    pos = [int(np.flatnonzero((x == row).all(axis=1))[0]) for row in s]
    assert sorted(pos) == list(range(30))
    assert max(abs(p - i) for i, p in enumerate(pos)) <= 2


def test_augmenter_flips_only_symmetric_labels():
    x = np.random.default_rng(2).normal(size=(200, 30, 99)).astype(np.float32)
    aug = Augmenter(frame_drop=0, local_shuffle=0, noise_std=0, flip_prob=1.0,
                    flip_labels=frozenset({"jumping_jacks"}))
    labels = ["jumping_jacks"] * 100 + ["other"] * 100
    out = aug(x, labels, np.random.default_rng(0))
    np.testing.assert_allclose(out[:100], flip_horizontal(x[:100], MEDIAPIPE_33))
    np.testing.assert_allclose(out[100:], x[100:])
    assert out is not x


def test_augmenter_noise_changes_input_but_not_shape():
    x = np.zeros((4, 30, 26), np.float32)
    out = Augmenter(layout=PENN_13, noise_std=0.05)(x, ["squat"] * 4, np.random.default_rng(0))
    assert out.shape == x.shape
    assert 0.03 < out.std() < 0.07
    assert (x == 0).all()  # input untouched


def test_flip_and_noise_with_presence_channels():
    layout = PENN_13
    rng = np.random.default_rng(0)
    j, d = layout.n_joints, layout.dims
    x = rng.normal(size=(2, 10, j * d + j)).astype(np.float32)
    x[..., j * d :] = (rng.random((2, 10, j)) > 0.5).astype(np.float32)
    flipped = flip_horizontal(x, layout)
    perm = layout.mirror_permutation()
    assert np.allclose(flipped[..., j * d :], x[..., j * d :][..., perm])
    assert np.allclose(flipped[..., : j * d], flip_horizontal(x[..., : j * d], layout))
    assert np.allclose(flip_horizontal(flipped, layout), x)
    aug = Augmenter(layout=layout, frame_drop=0, local_shuffle=0, flip_prob=0, noise_std=0.1)
    out = aug(x, None, np.random.default_rng(1))
    assert not np.allclose(out[..., : j * d], x[..., : j * d])
    assert np.array_equal(out[..., j * d :], x[..., j * d :])  # presence stays 0/1


@pytest.mark.parametrize("presence", [False, True])
def test_flip_and_noise_with_root_motion_channels(presence):
    """Root-motion channels (body-centre x, y) come last: flipping negates their x only, noise
    never touches them."""
    layout = PENN_13
    j, d = layout.n_joints, layout.dims
    base = j * d + (j if presence else 0)
    x = np.random.default_rng(2).normal(size=(3, 10, base + 2)).astype(np.float32)
    flipped = flip_horizontal(x, layout)
    assert np.allclose(flipped[..., :base], flip_horizontal(x[..., :base], layout))
    assert np.allclose(flipped[..., base], -x[..., base])
    assert np.allclose(flipped[..., base + 1], x[..., base + 1])
    assert np.allclose(flip_horizontal(flipped, layout), x)
    aug = Augmenter(layout=layout, frame_drop=0, local_shuffle=0, flip_prob=0, noise_std=0.1)
    out = aug(x, None, np.random.default_rng(1))
    assert np.array_equal(out[..., j * d :], x[..., j * d :])
    with pytest.raises(ValueError, match="root-motion"):
        flip_horizontal(x[..., :-1], layout)


def _toy_input(seed: int, hide: list[str] | None = None) -> np.ndarray:
    """A toy MediaPipe-33 repetition through the real input chain (presence + root motion),
    optionally with some joints never seen."""

    from helpers.toy_pose import toy_sequence
    from repcoach.pose.resample import to_model_input

    seq, _ = toy_sequence("sit_ups", seed, 2)
    if hide:
        c = seq.coords.copy()
        c[:, [MEDIAPIPE_33.joint_names.index(n) for n in hide]] = np.nan
        seq = seq.with_coords(c)
    return to_model_input(seq, 30, presence=True, root_motion=True)


@pytest.mark.parametrize("part", ["hips", "legs", "arms"])
def test_occlusion_matches_a_recording_that_never_showed_the_part(part):
    """Hiding a part in model inputs gives what the pipeline builds from a recording in which
    the tracker never saw it (hips: re-centred on the shoulders, rescaled by body extent)."""
    from repcoach.models.augment import OCCLUSION_PARTS, occlude_part

    names = [n for n in OCCLUSION_PARTS[part] if n in MEDIAPIPE_33.joint_names]
    for seed in range(3):
        x = _toy_input(seed)
        want = _toy_input(seed, hide=names)
        got = occlude_part(x, MEDIAPIPE_33, part)
        assert got.shape == x.shape and got.dtype == np.float32
        # up to the scale, measured over 30 resampled instead of all recorded frames
        assert np.abs(got - want).max() < 0.05, (part, seed, np.abs(got - want).max())
        assert np.median(np.abs(got - want)) < 0.002
        assert np.abs(got - x).max() > 0.1  # and it did change something
        j, d = MEDIAPIPE_33.n_joints, MEDIAPIPE_33.dims
        idx = [MEDIAPIPE_33.joint_names.index(n) for n in names]
        assert (got[:, [j * d + k for k in idx]] == 0).all()
        # the hidden part again is a no-op
        assert np.array_equal(occlude_part(got, MEDIAPIPE_33, part), got)


def test_occlusion_rejects_inputs_without_presence_and_unknown_parts():
    from repcoach.models.augment import occlude_part

    x = np.zeros((30, PENN_13.n_joints * 2), np.float32)
    with pytest.raises(ValueError, match="presence"):
        occlude_part(x, PENN_13, "hips")
    with pytest.raises(ValueError, match="part must be one of"):
        occlude_part(np.zeros((30, 39), np.float32), PENN_13, "tail")


def test_augmenter_occlusion_hides_one_part_per_sample():
    x = np.stack([_toy_input(s) for s in range(4)])
    j, d = MEDIAPIPE_33.n_joints, MEDIAPIPE_33.dims
    aug = Augmenter(layout=MEDIAPIPE_33, occlusion=1.0, frame_drop=0, local_shuffle=0,
                    flip_prob=0, noise_std=0)
    out = aug(x, None, np.random.default_rng(0))
    hidden = [(out[i, :, j * d : j * d + j] == 0).all(axis=0).sum() for i in range(4)]
    before = [(x[i, :, j * d : j * d + j] == 0).all(axis=0).sum() for i in range(4)]
    assert all(h > b for h, b in zip(hidden, before, strict=True))
    assert aug.to_dict()["occlusion"] == 1.0
    same = Augmenter(layout=MEDIAPIPE_33, frame_drop=0, local_shuffle=0, flip_prob=0,
                     noise_std=0)(x, None, np.random.default_rng(0))
    assert np.array_equal(same, x)  # off by default


def test_camera_roll_stretch_and_time_warp_move_joints_only():
    """Person/camera transforms: roll keeps each joint's distance from the hip centre, stretch
    scales x and y apart, time warp keeps the ends and the frame values; presence untouched."""
    from repcoach.models.augment import roll, stretch, time_warp

    rng = np.random.default_rng(0)
    lay = PENN_13
    w = lay.n_joints * lay.dims
    x = np.concatenate([rng.normal(size=(20, w)), np.ones((20, lay.n_joints))], 1)
    x = x.astype(np.float32)
    r = roll(x, lay, 30.0)
    xy, rxy = x[:, :w].reshape(20, -1, 2), r[:, :w].reshape(20, -1, 2)
    assert np.allclose(np.linalg.norm(xy, axis=-1), np.linalg.norm(rxy, axis=-1), atol=1e-5)
    assert not np.allclose(xy, rxy) and np.array_equal(r[:, w:], x[:, w:])
    assert np.allclose(roll(r, lay, -30.0), x, atol=1e-5)
    s = stretch(x, lay, 1.2, 0.5)
    sxy = s[:, :w].reshape(20, -1, 2)
    assert np.allclose(sxy[..., 0], 1.2 * xy[..., 0]) and np.allclose(sxy[..., 1], 0.5 * xy[..., 1])
    t = time_warp(x, 2.0)
    assert np.array_equal(t[0], x[0]) and np.array_equal(t[-1], x[-1])
    assert all(any(np.array_equal(row, y) for y in x) for row in t)
    assert np.array_equal(time_warp(x, 1.0), x)


def test_augmenter_applies_the_person_transforms_only_when_asked():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 12, PENN_13.n_features)).astype(np.float32)
    off = Augmenter(layout=PENN_13, frame_drop=0, local_shuffle=0, noise_std=0, flip_prob=0)
    assert np.array_equal(off(x, None, np.random.default_rng(0)), x)
    for kw in ({"roll_deg": 20.0}, {"stretch": 0.3}, {"time_warp": 0.5}):
        on = Augmenter(layout=PENN_13, frame_drop=0, local_shuffle=0, noise_std=0, flip_prob=0,
                       prob=1.0, **kw)
        out = on(x, None, np.random.default_rng(0))
        assert out.shape == x.shape and not np.allclose(out, x), kw
        assert on.to_dict()[next(iter(kw))] == next(iter(kw.values()))
