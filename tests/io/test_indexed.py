"""Generic indexed datasets (index.csv): validation errors name the row and column."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.io.indexed import load_index
from repcoach.io.pose_csv import write_pose_csv
from repcoach.skeleton import PENN_13
from repcoach.types import PoseSequence


def _write(root, rows, header="file,subject,label,correctness,split,fps"):
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    return root


def _seq_file(root, name="a.csv"):
    c = np.random.default_rng(0).uniform(0, 1, (10, 13, 2))
    write_pose_csv(PoseSequence.from_array(c, PENN_13), root / name)


def test_load_index_reads_optional_columns(tmp_path):
    _seq_file(tmp_path, "a.csv")
    _seq_file(tmp_path, "b.csv")
    _write(tmp_path, ["a.csv,s1,squat,1,test,25", "b.csv,,pushup,,,"],
           "file,subject,label,correctness,split,fps")
    ds = load_index(tmp_path)
    a, b = ds.rows
    assert (a.subject, a.label, a.correctness, a.split, a.fps, a.row) == ("s1", "squat", 1.0,
                                                                            "test", 25.0, 2)
    assert b.subject == "unknown" and math.isnan(b.correctness) and b.split is None
    assert b.fps is None
    assert ds.has_split and ds.has_correctness and ds.labels == ["pushup", "squat"]
    seq = ds.read_pose(a)
    assert seq.layout.name == "penn13" and seq.space == "image"


def test_extra_columns_kept(tmp_path):
    _seq_file(tmp_path)
    _write(tmp_path, ["a.csv,u,pushup,blockA"], "file,subject,label,source_group")
    ds = load_index(tmp_path)
    assert ds.column("source_group") == ["blockA"]
    with pytest.raises(DataError, match="no column"):
        ds.column("nope")


@pytest.mark.parametrize(
    "row, match",
    [
        ("missing.csv,s,squat,,,", "row 2.*column 'file'.*not found"),
        ("a.csv,s,,,,", "row 2.*'label'.*empty label"),
        ("a.csv,s,squat,1.5,,", "row 2.*'correctness'.*\\[0, 1\\]"),
        ("a.csv,s,squat,yes,,", "row 2.*'correctness'.*expected a number"),
        ("a.csv,s,squat,,holdout,", "row 2.*'split'"),
        ("a.csv,s,squat,,,-3", "row 2.*'fps'"),
    ],
)
def test_bad_rows_raise_with_row(tmp_path, row, match):
    _seq_file(tmp_path)
    _write(tmp_path, [row])
    with pytest.raises(DataError, match=match):
        load_index(tmp_path)


def test_missing_columns_and_duplicates(tmp_path):
    _seq_file(tmp_path)
    _write(tmp_path, ["a.csv,squat"], "file,label")
    with pytest.raises(DataError, match="missing column.*subject"):
        load_index(tmp_path)
    _write(tmp_path, ["a.csv,s,squat", "a.csv,s,squat"], "file,subject,label")
    with pytest.raises(DataError, match="row 3.*listed twice"):
        load_index(tmp_path)
    with pytest.raises(DataError, match="no index.csv"):
        load_index(tmp_path / "nothing")


def test_pixel_coordinates_are_detected(tmp_path):
    c = np.random.default_rng(0).uniform(0, 480, (10, 13, 2))
    write_pose_csv(PoseSequence.from_array(c, PENN_13), tmp_path / "a.csv")
    _write(tmp_path, ["a.csv,unknown,squat"], "file,subject,label")
    ds = load_index(tmp_path)
    assert ds.read_pose(ds.rows[0]).space == "pixels"
