"""Pose CSV schema: round trip, layouts, missing cells, and clear errors for bad files."""

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.io.pose_csv import pose_columns, read_pose_csv, write_pose_csv
from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence


def _seq(layout, t=12, seed=0):
    rng = np.random.default_rng(seed)
    coords = rng.random((t, layout.n_joints, layout.dims)).astype(np.float32)
    det = np.ones(t, bool)
    det[3] = False
    coords[3] = np.nan
    vis = rng.random((t, layout.n_joints)).astype(np.float32)
    vis[3] = 0
    return PoseSequence(coords, np.arange(t) / 30 + 0.5, layout, vis, det)


@pytest.mark.parametrize("layout", [MEDIAPIPE_33, PENN_13])
def test_round_trip(tmp_path, layout):
    s = _seq(layout)
    p = tmp_path / "x.csv"
    write_pose_csv(s, p)
    r = read_pose_csv(p)
    assert r.layout is layout
    np.testing.assert_allclose(r.coords, s.coords, atol=1e-5)
    np.testing.assert_allclose(r.timestamps, s.timestamps, atol=1e-6)
    np.testing.assert_allclose(r.visibility, s.visibility, atol=1e-3)
    assert r.detected.tolist() == s.detected.tolist()
    assert np.isnan(r.coords[3]).all()


def test_schema_columns():
    cols = pose_columns(MEDIAPIPE_33)
    assert cols[:6] == ["frame", "timestamp_s", "lm00_x", "lm00_y", "lm00_z", "lm00_vis"]
    assert len(cols) == 2 + 33 * 4
    assert "lm00_z" not in pose_columns(PENN_13)


def test_file_without_timestamps_uses_fps(tmp_path):
    p = tmp_path / "p.csv"
    header = "frame," + ",".join(f"lm{i:02d}_x,lm{i:02d}_y,lm{i:02d}_vis" for i in range(13))
    rows = [f"{f}," + ",".join("1.0,2.0,1" for _ in range(13)) for f in range(4)]
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    s = read_pose_csv(p, fps=25)
    assert s.layout is PENN_13
    np.testing.assert_allclose(s.timestamps, np.arange(4) / 25)


def test_errors_name_file_row_and_column(tmp_path):
    s = _seq(PENN_13, t=5)
    p = tmp_path / "bad.csv"
    write_pose_csv(s, p)
    lines = p.read_text().splitlines()
    cells = lines[2].split(",")
    cells[4] = "oops"  # lm00_y of the second data row
    lines[2] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"bad\.csv, row 3, column 'lm00_y'.*expected a number"):
        read_pose_csv(p)

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty.csv: not a readable CSV"):
        read_pose_csv(empty)
    with pytest.raises(DataError, match="file not found"):
        read_pose_csv(tmp_path / "missing.csv")
    nolm = tmp_path / "nolm.csv"
    nolm.write_text("frame,a\n0,1\n")
    with pytest.raises(DataError, match="no landmark columns"):
        read_pose_csv(nolm)
    with pytest.raises(DataError, match="expects 33"):
        read_pose_csv(p, layout=MEDIAPIPE_33)


def test_write_is_atomic_no_temp_left(tmp_path):
    write_pose_csv(_seq(PENN_13), tmp_path / "a.csv")
    assert [f.name for f in tmp_path.iterdir()] == ["a.csv"]


def test_reads_real_penn_and_pushfit(realdata):
    penn = read_pose_csv(realdata("penn_action_exercise", "sequences", "0960_jump_rope.csv"))
    assert penn.layout is PENN_13 and penn.n_frames == 33
    push = read_pose_csv(realdata("pushfit_pushup_form", "sequences", "correct001.csv"), fps=25)
    assert push.layout is MEDIAPIPE_33 and push.n_frames == 61
    assert push.fps == pytest.approx(25)
