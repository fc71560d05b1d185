"""Silhouettes and Gait Energy Images on generated thermal clips (stand-in kinematics)."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.synth.thermal import synth_thermal_clip
from repcoach.thermal.gei import (
    GeiOptions,
    align_silhouette,
    gei,
    gei_distance,
    gei_features,
    gei_per_repetition,
    save_gei_png,
    save_geis_npz,
)
from repcoach.thermal.silhouette import SilhouetteOptions, iou, segment_clip
from repcoach.types import Repetition, ThermalClip


@pytest.fixture(scope="module")
def clips(standin_cls):
    """Rendered clips: two jumping-jack participants, a sit-up, cached for the module."""
    StandIn = standin_cls  # noqa: N806
    rng = np.random.default_rng(7)
    out = {}
    for key, rec in {
        "jj_a": StandIn("JJ", n_reps=4, period_s=1.3, size=1.0),
        "jj_b": StandIn("JJ", n_reps=4, period_s=1.6, size=0.9),
        "su": StandIn("SU", n_reps=3, period_s=2.0),
    }.items():
        out[key] = (rec, *synth_thermal_clip(rec, rng))
    return out


def test_silhouette_iou_against_rendered_mask(clips):
    for key, (_, clip, truth) in clips.items():
        pred = segment_clip(clip)
        scores = [iou(p, t) for p, t in zip(pred, truth, strict=True)]
        assert np.mean(scores) > 0.75, key
        assert np.min(scores) > 0.6, key


def test_background_method_also_finds_the_body(clips):
    _, clip, truth = clips["jj_a"]
    pred = segment_clip(clip, SilhouetteOptions(method="fixed", threshold=27.0))
    assert np.mean([iou(p, t) for p, t in zip(pred, truth, strict=True)]) > 0.7


def test_gei_separates_exercises_more_than_participants(clips):
    g = {k: gei(clip) for k, (_, clip, _) in clips.items()}
    for img in g.values():
        assert img.shape == (64, 64) and img.min() >= 0.0 and img.max() <= 1.0
    same = gei_distance(g["jj_a"], g["jj_b"])
    other = min(gei_distance(g["jj_a"], g["su"]), gei_distance(g["jj_b"], g["su"]))
    assert other > 1.5 * same, (same, other)


def test_per_repetition_frames_lie_inside_boundaries(clips):
    rec, clip, _ = clips["jj_a"]
    reps = [Repetition(int(r.start_s * 30), int(r.end_s * 30), r.start_s, r.end_s)
            for r in rec.reps]  # fmt: skip
    geis = gei_per_repetition(clip, reps)
    assert len(geis) == len(reps)
    for g, r in zip(geis, reps, strict=True):
        t = clip.timestamps[g.frames]
        assert len(t) >= 10 and np.all(t >= r.start_s) and np.all(t < r.end_s)
        assert g.n_silhouettes == len(t)
    # tuples and NaN times (frames at pose fps) give the same frames
    tup = gei_per_repetition(clip, [(r.start_s, r.end_s) for r in rec.reps])
    nan = gei_per_repetition(clip, [Repetition(r.start, r.end) for r in reps])
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(geis, tup, strict=True))
    assert all(abs(len(a.frames) - len(b.frames)) <= 1 for a, b in zip(geis, nan, strict=True))


def test_incomplete_range_of_motion_changes_the_rep_gei(standin):
    rec = standin("JJ", n_reps=4, amplitudes=[1.0, 1.0, 0.4, 1.0], period_s=1.4)
    clip, _ = synth_thermal_clip(rec, np.random.default_rng(3))
    g = [x.gei for x in gei_per_repetition(clip, [(r.start_s, r.end_s) for r in rec.reps])]
    full = [gei_distance(g[i], g[j]) for i, j in ((0, 1), (0, 3), (1, 3))]
    short = [gei_distance(g[2], g[i]) for i in (0, 1, 3)]
    assert min(short) > 1.5 * max(full), (full, short)


def test_time_offset_moves_the_frames(clips):
    rec, clip, _ = clips["jj_a"]
    r = rec.reps[1]
    a = gei_per_repetition(clip, [(r.start_s, r.end_s)])[0]
    b = gei_per_repetition(clip, [(r.start_s - 0.5, r.end_s - 0.5)], time_offset_s=0.5)[0]
    assert np.array_equal(a.frames, b.frames)


def test_align_silhouette_height_and_centroid():
    m = np.zeros((120, 160), bool)
    m[20:100, 30:50] = True  # 80 x 20 box, far left
    a = align_silhouette(m, 64, 44)
    assert a.shape == (64, 44)
    rows = np.flatnonzero(a.sum(1) > 0)
    assert rows[0] == 0 and rows[-1] == 63
    cols = a.sum(0)
    cx = (np.arange(44) + 0.5) @ cols / cols.sum()
    assert abs(cx - 22) < 1.0
    assert align_silhouette(np.zeros((10, 10), bool)) is None
    wide = np.zeros((120, 160), bool)
    wide[50:60, 10:150] = True
    assert align_silhouette(wide, 64, 64, mode="fit").sum(0).astype(bool).sum() >= 60


def test_features_and_saving(tmp_path, clips):
    rec, clip, _ = clips["jj_a"]
    img = gei(clip)
    f = gei_features(img)
    assert f.shape == (256,) and np.isfinite(f).all()
    assert np.isnan(gei_features(np.full((64, 64), np.nan))).all()
    p = save_gei_png(tmp_path / "g.png", img)
    import cv2

    back = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint8 and np.abs(back / 255.0 - img).max() < 0.01
    per = gei_per_repetition(clip, [(r.start_s, r.end_s) for r in rec.reps])
    z = np.load(save_geis_npz(tmp_path / "g.npz", per, clip_gei=img))
    assert z["geis"].shape == (len(per), 64, 64) and z["clip_gei"].shape == (64, 64)
    np.testing.assert_allclose(z["start_s"], [r.start_s for r in rec.reps])


def test_no_body_raises_and_rep_without_frames_is_nan():
    flat = ThermalClip(np.full((5, 120, 160), 23.0, np.float32), np.arange(5) / 8.7)
    with pytest.raises(DataError, match="no body"):
        gei(flat)
    r = gei_per_repetition(flat, [(0.0, 0.3)], GeiOptions(height=32, width=32))[0]
    assert r.n_silhouettes == 0 and np.isnan(r.gei).all()
