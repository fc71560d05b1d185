"""Annotated video on a real clip with PushFit's own landmarks and a hand-made analysis."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.io.pose_csv import read_pose_csv
from repcoach.types import ClipAnalysis, Repetition
from repcoach.video.annotate import rep_caption, rep_times, write_annotated_video
from repcoach.video.io import read_frames


@pytest.fixture
def clip(realdata):
    root = realdata("pushfit_pushup_form")
    seq = read_pose_csv(root / "sequences" / "correct001.csv", fps=25.0)  # 61 frames, 25 FPS
    return root / "videos" / "correct001.mp4", seq


def _analysis():
    reps = (
        Repetition(0, 20, label="pushup", score=0.9),
        Repetition(20, 45, label="pushup", score=0.3, cues=("hips sag",)),
    )
    return ClipAnalysis("pushup", 0.8, {"pushup": 2}, reps)


def test_rep_times_from_frames(clip):
    _, seq = clip
    starts, ends = rep_times(seq, _analysis().repetitions)
    np.testing.assert_allclose(starts, [0.0, 0.8])
    np.testing.assert_allclose(ends, [0.8, 1.8])  # exclusive end frame / 25 FPS
    assert rep_caption(1, _analysis().repetitions[1]) == "#2 pushup 0.30"


def test_write_annotated_video(clip, tmp_path):
    video, seq = clip
    out = write_annotated_video(video, seq, _analysis(), tmp_path / "ann.mp4")
    assert out.is_file()
    assert not list(tmp_path.glob(".*"))  # no temp file left behind
    src, _ = read_frames(video, rgb=False)
    ann, info = read_frames(out, rgb=False)
    assert len(ann) == len(src) == 61
    assert (info.width, info.height) == (640, 360)
    # Pixels change along the longest clearly visible bone of frame 30 ...
    k = 30
    xy = seq.coords[k, :, :2] * [640, 360]
    vis = seq.visibility[k]
    ok = [(i, j) for i, j in seq.layout.bones if min(vis[i], vis[j]) > 0.8]
    i, j = max(ok, key=lambda ij: np.linalg.norm(xy[ij[0]] - xy[ij[1]]))
    a, b = xy[i], xy[j]
    pts = [np.round(a + (b - a) * f).astype(int) for f in (0.3, 0.5, 0.7)]
    diff = [np.abs(ann[k].image[y, x].astype(int) - src[k].image[y, x].astype(int)).sum()
            for x, y in pts]  # fmt: skip
    assert max(diff) > 60
    # ... and the header panel (live count) is drawn; far from skeleton and text little changes.
    top_left = np.abs(ann[k].image[:40, :120].astype(int) - src[k].image[:40, :120]).mean()
    assert top_left > 20
    mid_floor = np.abs(ann[k].image[150:180, 40:100].astype(int) - src[k].image[150:180, 40:100])
    assert mid_floor.mean() < 15  # only compression noise there


def test_refuses_normalised_poses(clip, tmp_path):
    video, seq = clip
    with pytest.raises(ValueError, match="image-space"):
        write_annotated_video(video, seq.with_coords(seq.coords, "normalized"), _analysis(),
                              tmp_path / "x.mp4")  # fmt: skip
    assert not (tmp_path / "x.mp4").exists()
