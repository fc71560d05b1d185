"""Datasets -> model samples: EJUST layout per annotated repetition, indexed clips per
repetition / window / whole clip, Penn-style placeholders masked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers.toy_pose import LABELS, toy_sequence, write_ejust, write_indexed
from repcoach.data.samples import SampleOptions, detect_form, load_samples
from repcoach.errors import DataError


def test_ejust_layout_one_sample_per_annotated_rep(tmp_path):
    root = write_ejust(tmp_path / "ej", n_subjects=2, n_reps=3)
    s = load_samples(root, SampleOptions(progress=False))
    assert detect_form(root) == "ejust"
    assert s.X.shape == (2 * 4 * 3, 30, 99) and s.X.dtype == np.float32
    assert np.isfinite(s.X).all()
    assert sorted(set(s.y)) == sorted(LABELS)
    assert set(s.subject) == {"anna-test", "bilal-test"}
    assert np.isfinite(s.score).all() and (s.score >= 0).all() and (s.score <= 1).all()
    assert all(c.endswith("/frontal") for c in s.clip_id)
    # the annotation boundaries are kept
    _, bounds = toy_sequence("high_knees", 0, 3)
    m = (s.subject == "anna-test") & (s.y == "high_knees")
    assert list(zip(s.start[m], s.end[m], strict=True)) == bounds
    both = load_samples(root, SampleOptions(view="both", progress=False))
    assert len(both) == 2 * len(s)
    assert {c.rsplit("/", 1)[1] for c in both.clip_id} == {"frontal", "side"}


def test_indexed_modes(tmp_path):
    root = write_indexed(tmp_path / "idx", n_subjects=2, n_reps=4)
    whole = load_samples(root, SampleOptions(clip_mode="whole", progress=False))
    assert len(whole) == 8 and len(set(whole.clip_id)) == 8
    win = load_samples(root, SampleOptions(clip_mode="windows", window_s=1.0, stride_s=0.5,
                                           progress=False))
    assert len(win) > 3 * len(whole)
    assert (win.end - win.start == 30).all()  # 1 s at 30 fps
    assert set(win.clip_id) == set(whole.clip_id)
    reps = load_samples(root, SampleOptions(clip_mode="reps", progress=False))
    assert len(reps) >= len(whole)
    assert np.isfinite(reps.X).all()


def test_penn_like_placeholders_are_masked(tmp_path):
    """Invisible joints carry placeholder pixel values (0-1) that must not reach the model."""
    import csv

    rng = np.random.default_rng(0)
    rows = []
    for f in range(40):
        row = {"frame": f + 1}
        for j in range(13):
            x, y = 200 + 40 * np.sin(f / 5) + 10 * j + rng.normal(), 100 + 20 * j + rng.normal()
            vis = 0 if j == 12 else 1
            row.update({f"lm{j:02d}_x": 0.5 if vis == 0 else x, f"lm{j:02d}_y": 1.0 if vis == 0
                        else y, f"lm{j:02d}_vis": vis})
        rows.append(row)
    (tmp_path / "seq").mkdir()
    with open(tmp_path / "seq" / "c.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (tmp_path / "index.csv").write_text("file,subject,label\nseq/c.csv,unknown,squat\n")
    s = load_samples(tmp_path, SampleOptions(clip_mode="whole", progress=False))
    assert s.X.shape == (1, 30, 26) and s.layout == "penn13"
    x = s.X[0].reshape(30, 13, 2)
    # normalised body coordinates stay small; a placeholder (0.5, 1.0) px among ~200 px joints
    # would sit several torso lengths away
    assert np.abs(x).max() < 3.0
    assert np.allclose(x[:, 12], 0.0)  # the never-visible joint is "missing" -> 0
    # with presence channels the model can tell "missing" from "at the hip centre"
    p = load_samples(tmp_path, SampleOptions(clip_mode="whole", presence=True, progress=False))
    assert p.X.shape == (1, 30, 26 + 13)
    assert np.allclose(p.X[0, :, :26], s.X[0])
    assert np.allclose(p.X[0, :, 26 + 12], 0.0) and np.allclose(p.X[0, :, 26:38], 1.0)


def test_presence_option_round_trips_through_config():
    o = SampleOptions(presence=True, seq_len=64)
    cfg = {**o.to_dict(), "seq_len": 64}
    back = SampleOptions.from_config(cfg)
    assert back.presence is True and back.seq_len == 64
    assert SampleOptions.from_config({}).presence is False  # older model folders


def test_not_a_dataset(tmp_path):
    with pytest.raises(DataError, match="index.csv.*participants.csv"):
        detect_form(tmp_path)
    with pytest.raises(ValueError, match="clip_mode"):
        SampleOptions(clip_mode="frames")


def test_side_file_frame_size_aspect_corrects_training_clips(tmp_path):
    """A pose CSV's `.pose.json` frame size (from `repcoach extract`) reaches training as the
    index's width/height columns do, in both dataset forms; the index's columns win."""
    from dataclasses import replace

    from repcoach.data.samples import _frame_size
    from repcoach.io.pose_csv import read_pose_csv, write_pose_csv

    def add_size(csv_path: Path, size=(1280, 720)) -> None:
        write_pose_csv(replace(read_pose_csv(csv_path), frame_size=size), csv_path)
        assert csv_path.with_suffix(".pose.json").is_file()

    root = write_indexed(tmp_path / "idx", n_subjects=2, n_reps=2)
    opts = SampleOptions(clip_mode="whole", progress=False)
    before = load_samples(root, opts)
    assert before.meta["aspect_corrected_clips"] == 0
    first = sorted((root / "seq").glob("*.csv"))[0]
    add_size(first)
    after = load_samples(root, opts)
    assert after.meta["aspect_corrected_clips"] == 1
    changed = np.flatnonzero(np.abs(after.X - before.X).reshape(len(after), -1).max(axis=1) > 1e-4)
    assert len(changed) == 1  # only the clip with a side file
    off = load_samples(root, SampleOptions(clip_mode="whole", aspect_correct=False, progress=False))
    assert off.meta["aspect_corrected_clips"] == 0

    ej = write_ejust(tmp_path / "ej", n_subjects=2, n_reps=2)
    assert load_samples(ej, SampleOptions(progress=False)).meta["aspect_corrected_clips"] == 0
    add_size(sorted(ej.rglob("*frontal*.csv"))[0])
    assert load_samples(ej, SampleOptions(progress=False)).meta["aspect_corrected_clips"] == 1

    seq = read_pose_csv(first)
    assert _frame_size(640, 480, seq) == (640, 480)  # index columns win
    assert _frame_size(None, None, seq) == (1280, 720)
    assert _frame_size(None, None, replace(seq, frame_size=None)) == (None, None)


def test_group_blocks_hold_neighbouring_clips_out_together(tmp_path):
    """``group_blocks``: within each group value and label, clips in index.csv order are cut
    into contiguous blocks, each a split group; the EJUST layout refuses it."""
    from repcoach.data.sample_splits import group_values

    root = write_indexed(tmp_path / "idx", n_subjects=2, clips_per=4, n_reps=2)
    s = load_samples(root, SampleOptions(clip_mode="whole", group_col="subject", group_blocks=2,
                                         progress=False))  # fmt: skip
    g = group_values(s)
    assert len(set(g)) == 2 * len(LABELS) * 2  # subjects x labels x 2 blocks
    for i, clip in enumerate(s.clip_id):  # seq/s<subject>_<label>_<clip>.csv
        stem = Path(clip).stem
        subject, c = stem.split("_", 1)[0], int(stem.rsplit("_", 1)[1])
        assert g[i].endswith(f"|b{c // 2}") and subject in g[i]
    back = SampleOptions.from_config(SampleOptions(group_blocks=3).to_dict())
    assert back.group_blocks == 3 and SampleOptions.from_config({}).group_blocks == 0
    with pytest.raises(ValueError, match="group_blocks"):
        SampleOptions(group_blocks=-1)
    with pytest.raises(DataError, match="index.csv"):
        load_samples(write_ejust(tmp_path / "ej", n_subjects=1),
                     SampleOptions(group_blocks=2, progress=False))
