"""Cross-subject splits: disjoint groups, stratification, fractions."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.data.splits import (
    check_disjoint,
    sample_groups,
    split_from_column,
    subject_kfold,
    subject_split,
)
from repcoach.errors import DataError


def _ejust_like(n_subjects=20, reps=5):
    subj, lab = [], []
    for s in range(n_subjects):
        for ex in ("SE", "JJ", "SU", "HK"):
            subj += [f"p{s}"] * reps
            lab += [ex] * reps
    return np.array(subj), np.array(lab)


def test_no_subject_in_two_splits_and_fractions_followed():
    subj, lab = _ejust_like(20)
    sp = subject_split(subj, lab, seed=3)
    assert sum(len(v) for v in sp.values()) == len(subj)
    sets = {k: set(subj[v]) for k, v in sp.items()}
    assert not (sets["train"] & sets["val"]) and not (sets["train"] & sets["test"])
    assert not (sets["val"] & sets["test"])
    assert [len(sets[k]) for k in ("train", "val", "test")] == [14, 3, 3]
    # every exercise is in every split (participants do all four)
    for v in sp.values():
        assert set(lab[v]) == {"SE", "JJ", "SU", "HK"}


def test_clip_groups_are_stratified_by_label():
    # Penn-like: unknown subjects, one label per clip, imbalanced classes
    labels = ["squat"] * 40 + ["pushup"] * 20 + ["jump_rope"] * 8
    clips = [f"c{i}" for i in range(len(labels))]
    groups = sample_groups(["unknown"] * len(labels), clips)
    assert groups[0] == "clip:c0"
    sp = subject_split(["unknown"] * len(labels), labels, seed=0, groups=groups)
    lab = np.array(labels)
    for name in ("val", "test"):
        got = set(lab[sp[name]])
        assert got == {"squat", "pushup", "jump_rope"}, name
    assert abs(len(sp["test"]) - 0.15 * len(labels)) <= 3
    assert abs(len(sp["train"]) - 0.7 * len(labels)) <= 3


def test_split_changes_with_seed_and_is_reproducible():
    subj, lab = _ejust_like(20)
    a = subject_split(subj, lab, seed=1)
    b = subject_split(subj, lab, seed=1)
    c = subject_split(subj, lab, seed=2)
    assert all((a[k] == b[k]).all() for k in a)
    assert any(set(a[k]) != set(c[k]) for k in a)


def test_group_column_overrides_subjects():
    groups = sample_groups(["unknown"] * 4, ["a", "b", "c", "d"], ["g1", "g1", "g2", "g2"])
    assert list(groups) == ["group:g1", "group:g1", "group:g2", "group:g2"]


def test_kfold_tests_every_group_once():
    subj, lab = _ejust_like(10, reps=2)
    folds = subject_kfold(subj, k=5, seed=0, labels=lab)
    tested = np.concatenate([te for _, te in folds])
    assert sorted(tested) == list(range(len(subj)))
    for tr, te in folds:
        assert not set(subj[tr]) & set(subj[te])


def test_check_disjoint_raises():
    with pytest.raises(AssertionError, match="both"):
        check_disjoint(["a", "a"], {"train": np.array([0]), "test": np.array([1])})


def test_split_column():
    sp = split_from_column(["train", "TEST", "val", "", "valid"])
    assert list(sp["train"]) == [0, 3] and list(sp["test"]) == [1] and list(sp["val"]) == [2, 4]
    with pytest.raises(DataError, match="row 3"):
        split_from_column(["train", "holdout"])


def test_few_groups_still_give_val_and_test():
    # three single-label groups (e.g. two sources of correct clips, one of incorrect)
    groups = ["g1"] * 5 + ["g2"] * 5 + ["g3"] * 5
    labels = ["1"] * 10 + ["0"] * 5
    sp = subject_split(groups, labels, seed=0)
    assert all(len(sp[k]) > 0 for k in ("train", "val", "test"))
    check_disjoint(groups, sp)


def test_neighbour_blocks_keep_neighbours_together():
    from repcoach.data.splits import neighbour_blocks

    strata = ["a"] * 10 + ["b"] * 3
    order = [9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 2, 1, 0]
    g = neighbour_blocks(strata, order, n_blocks=5)
    # stratum a: clips 0-1, 2-3, ... share a block; 8 and 9 form the last one
    assert g[1] == g[2] == "a|b0" and g[3] == g[4] == "a|b1" and g[0] == g[9] == "a|b4"
    # stratum b has 3 clips: 3 blocks, one clip each, never mixed with a
    assert sorted(g[10:]) == ["b|b0", "b|b1", "b|b2"] and g[12] == "b|b0"
    assert len(set(g)) == 8
    with pytest.raises(ValueError, match="order"):
        neighbour_blocks(["a", "b"], [1])
