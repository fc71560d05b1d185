"""Cleaning: masking, gap filling, outlier removal (synthetic truth + Penn Action real clips)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.procedural_pose import make_sequence
from repcoach.io.pose_csv import read_pose_csv
from repcoach.pose.clean import PoseCleaner, clean, fill_gaps
from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence


def _ramp_seq(n: int = 60, fps: float = 30.0) -> PoseSequence:
    """Every joint moves on a straight line: linear interpolation recovers it exactly."""
    t = np.arange(n)[:, None, None]
    base = np.random.default_rng(0).uniform(0.3, 0.7, (1, 33, 3))
    coords = base + 0.002 * t * np.array([1.0, 0.5, 0.0])
    return PoseSequence.from_array(coords, MEDIAPIPE_33, fps=fps)


def test_low_visibility_short_gap_is_interpolated_exactly() -> None:
    seq = _ramp_seq()
    vis = seq.visibility.copy()
    vis[10:15, 15] = 0.1  # 5 frames = 0.17 s < 0.5 s
    noisy = PoseSequence.from_array(seq.coords, MEDIAPIPE_33, visibility=vis)
    out = clean(noisy)
    assert out is not noisy
    np.testing.assert_allclose(out.coords[10:15, 15], seq.coords[10:15, 15], atol=1e-5)
    np.testing.assert_array_equal(out.timestamps, seq.timestamps)


def test_long_gap_stays_missing_and_edges_held_only_within_max_gap() -> None:
    seq = _ramp_seq(90)
    vis = seq.visibility.copy()
    vis[20:50, 15] = 0.0  # 1 s gap > 0.5 s
    vis[:6, 16] = 0.0  # leading 0.2 s: held
    vis[60:, 17] = 0.0  # trailing 1 s: held for 0.5 s only
    out = clean(PoseSequence.from_array(seq.coords, MEDIAPIPE_33, visibility=vis))
    assert np.isnan(out.coords[20:50, 15]).all()
    np.testing.assert_allclose(out.coords[:6, 16], np.repeat(seq.coords[6:7, 16], 6, 0), atol=1e-6)
    held = out.coords[60:, 17, 0]
    assert np.isfinite(held[:15]).all() and np.allclose(held[:15], seq.coords[59, 17, 0])
    assert np.isnan(held[16:]).all()


def test_undetected_frames_become_missing_then_bridged() -> None:
    seq = _ramp_seq()
    coords = seq.coords.copy()
    coords[30:33] = 0.0  # a tracker's placeholder for "no person"
    det = np.ones(seq.n_frames, bool)
    det[30:33] = False
    out = clean(PoseSequence.from_array(coords, MEDIAPIPE_33, detected=det))
    np.testing.assert_allclose(out.coords[30:33], seq.coords[30:33], atol=1e-5)
    assert not out.detected[30:33].any()  # timing and detection flags are kept


def test_outlier_jump_is_removed_and_genuine_fast_motion_kept() -> None:
    seq, _ = make_sequence("jumping_jacks", [0.8, 0.8, 0.8], noise=0.002, seed=1)
    coords = seq.coords.copy()
    coords[40, 15, :2] += [0.3, -0.2]  # a 1-frame wrist jump
    coords[70:72, 27, :2] += [-0.25, 0.1]  # a 2-frame ankle jump
    bad = seq.with_coords(coords)
    mask = PoseCleaner().outlier_mask(bad)
    assert mask[40, 15] and mask[70:72, 27].all()
    assert mask.sum() <= 4  # arm swings of the real motion are not flagged
    out = clean(bad)
    # Linear interpolation near the top of the arm swing: a few hundredths off, not 0.36.
    assert np.abs(out.coords[40, 15, :2] - seq.coords[40, 15, :2]).max() < 0.05
    assert np.abs(out.coords[70:72, 27, :2] - seq.coords[70:72, 27, :2]).max() < 0.03
    # Everything else is left as it was.
    same = np.ones(coords.shape[:2], bool)
    same[40, 15] = same[70:72, 27] = False
    np.testing.assert_allclose(out.coords[same], seq.coords[same], atol=1e-6)


def test_fill_gaps_uses_timestamps_not_indices() -> None:
    t = np.array([0.0, 0.1, 0.2, 0.6])  # uneven spacing
    v = np.array([0.0, np.nan, np.nan, 6.0])
    np.testing.assert_allclose(fill_gaps(v, t, max_gap_s=1.0), [0.0, 1.0, 2.0, 6.0])


@pytest.mark.realdata
def test_penn_placeholders_are_masked_and_nothing_is_inf(realdata) -> None:
    root = realdata("penn_action_exercise")
    files = sorted((root / "sequences").glob("*.csv"))
    assert len(files) > 400
    masked = 0
    for f in files:
        seq = read_pose_csv(f, layout=PENN_13, space="pixels")
        out = clean(seq)
        assert not np.isinf(out.coords).any(), f
        invisible = seq.visibility == 0
        # A joint never visible in the clip can only be NaN after cleaning.
        never = invisible.all(axis=0)
        assert np.isnan(out.coords[:, never]).all(), f
        masked += int(never.sum())
    assert masked > 0
