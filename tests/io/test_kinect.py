"""Kinect v2 skeleton files in every supported form, malformed files, and normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.io.kinect import _SDK_NAMES, read_kinect
from repcoach.skeleton import KINECT_V2_25

RNG = np.random.default_rng(0)
T = 5
XYZ = RNG.normal(0, 0.5, (T, 25, 3)).round(4) + np.array([0.0, 0.0, 2.5])
STATE = np.full((T, 25), 2)
STATE[1, 3] = 1  # head inferred
STATE[2, 7] = 0  # left hand not tracked


def _plain(path, with_time, with_state, sep=" "):
    lines = []
    for t in range(T):
        vals = np.concatenate([XYZ[t], STATE[t][:, None]], 1) if with_state else XYZ[t]
        row = ([f"{t * 33.333:.3f}"] if with_time else []) + [f"{v:g}" for v in vals.ravel()]
        lines.append(sep.join(row))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("with_time", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_plain_rows(tmp_path, with_time, with_state):
    seq = read_kinect(_plain(tmp_path / "k.txt", with_time, with_state, sep=","))
    assert seq.layout is KINECT_V2_25 and seq.space == "world"
    assert seq.coords.shape == (T, 25, 3)
    np.testing.assert_allclose(seq.timestamps, np.arange(T) / 30.0, atol=1e-4)  # ms -> s
    if with_state:
        assert seq.visibility[1, 3] == 0.5 and seq.visibility[2, 7] == 0.0
        assert np.isnan(seq.coords[2, 7]).all() and seq.visibility[0, 0] == 1.0
        np.testing.assert_allclose(seq.coords[0], XYZ[0], atol=1e-5)
    else:
        np.testing.assert_allclose(seq.coords, XYZ, atol=1e-5)
        assert (seq.visibility == 1).all()


def test_header_csv_sdk_names_and_ours(tmp_path):
    cols = ["Timestamp_ms"]
    for name in _SDK_NAMES:
        cols += [f"{name}.X", f"{name}.Y", f"{name}.Z", f"{name}.TrackingState"]
    rows = [",".join(cols)]
    for t in range(T):
        v = np.concatenate([XYZ[t], STATE[t][:, None]], 1).ravel()
        rows.append(",".join([f"{1000 + t * 40}"] + [f"{x:g}" for x in v]))
    p = tmp_path / "sdk.csv"
    p.write_text("\n".join(rows))
    seq = read_kinect(p)
    np.testing.assert_allclose(seq.timestamps, np.arange(T) * 0.04)
    assert seq.visibility[1, 3] == 0.5 and np.isnan(seq.coords[2, 7]).all()
    # repcoach names, shuffled columns, seconds, no state
    names = list(KINECT_V2_25.joint_names)
    cols = ["time_s"] + [f"{n}_{a}" for n in reversed(names) for a in "zyx"]
    lines = [",".join(cols)]
    for t in range(T):
        vals = [f"{t / 30:.5f}"]
        for j in reversed(range(25)):
            vals += [f"{XYZ[t, j, k]:g}" for k in (2, 1, 0)]
        lines.append(",".join(vals))
    (tmp_path / "ours.csv").write_text("\n".join(lines))
    seq2 = read_kinect(tmp_path / "ours.csv")
    np.testing.assert_allclose(seq2.coords, XYZ, atol=1e-5)


def _ntu(path, frames):
    out = [str(len(frames))]
    for bodies in frames:
        out.append(str(len(bodies)))
        for bid, xyz in bodies:
            out.append(f"{bid} 0 1 1 1 1 0 0.1 0.2 2")
            out.append("25")
            for j in range(25):
                x, y, z = xyz[j]
                out.append(f"{x} {y} {z} 250.1 200.2 900.3 500.4 0.1 0.2 0.3 0.4 2")
    path.write_text("\n".join(out) + "\n")
    return path


def test_ntu_skeleton_keeps_the_main_body(tmp_path):
    frames = [[("72057594037931101", XYZ[t])] for t in range(T)]
    frames[1].append(("999", XYZ[0] + 5))  # a passer-by in one frame
    frames[3] = []  # nobody tracked
    seq = read_kinect(_ntu(tmp_path / "S001C001P001R001A001.skeleton", frames))
    assert seq.n_frames == T and not seq.detected[3] and seq.detected[[0, 1, 2, 4]].all()
    np.testing.assert_allclose(seq.coords[1], XYZ[1], atol=1e-5)
    assert np.isnan(seq.coords[3]).all()


def test_malformed_files_name_the_row(tmp_path):
    p = _plain(tmp_path / "a.txt", False, False)
    lines = p.read_text().splitlines()
    lines[2] = lines[2].rsplit(" ", 1)[0]  # one value short on line 3
    p.write_text("\n".join(lines))
    with pytest.raises(DataError) as e:
        read_kinect(p)
    assert e.value.row == 3 and "expected 75" in str(e.value)
    lines = _plain(tmp_path / "b.txt", False, False).read_text().splitlines()
    lines[4] = lines[4].replace(lines[4].split(" ")[5], "abc", 1)
    (tmp_path / "b.txt").write_text("\n".join(lines))
    with pytest.raises(DataError, match="'abc'") as e:
        read_kinect(tmp_path / "b.txt")
    assert e.value.row == 5
    (tmp_path / "c.txt").write_text("1 2 3\n")
    with pytest.raises(DataError, match="3 values per line") as e:
        read_kinect(tmp_path / "c.txt")
    assert e.value.row == 1
    (tmp_path / "d.csv").write_text("time_s,spine_base_x,spine_base_y\n0,1,2\n")
    with pytest.raises(DataError, match="missing joint column"):
        read_kinect(tmp_path / "d.csv")
    _plain(tmp_path / "e.txt", True, False)
    lines = (tmp_path / "e.txt").read_text().splitlines()
    lines[3], lines[2] = lines[2], lines[3]
    (tmp_path / "e.txt").write_text("\n".join(lines))
    with pytest.raises(DataError, match="increase") as e:
        read_kinect(tmp_path / "e.txt")
    assert e.value.row == 4
    frames = [[("1", XYZ[t])] for t in range(2)]
    p = _ntu(tmp_path / "x.skeleton", frames)
    p.write_text("\n".join(p.read_text().splitlines()[:-3]))
    with pytest.raises(DataError, match="ends in the middle"):
        read_kinect(p)
    with pytest.raises(DataError, match="not found"):
        read_kinect(tmp_path / "none.txt")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(DataError, match="empty"):
        read_kinect(tmp_path / "empty.txt")


def test_normalize_handles_kinect(tmp_path):
    normalize = pytest.importorskip("repcoach.pose.normalize").normalize
    seq = read_kinect(_plain(tmp_path / "k.txt", False, True))
    out = normalize(seq)
    assert out.layout is KINECT_V2_25 and out.coords.shape == seq.coords.shape
    ix = KINECT_V2_25.index
    hip = 0.5 * (out.coords[:, ix("left_hip")] + out.coords[:, ix("right_hip")])
    np.testing.assert_allclose(hip, 0.0, atol=1e-4)
    assert np.isnan(out.coords[2, 7]).all()
