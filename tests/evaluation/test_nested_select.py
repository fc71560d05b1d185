"""Nested selection over fit-and-predict candidates: inner folds choose, never the outer fold."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.evaluation.nested_select import nested_select, outer_folds


def _data(n_groups: int = 12, per: int = 6):
    rng = np.random.default_rng(0)
    groups = np.repeat([f"g{i}" for i in range(n_groups)], per)
    y = np.tile([0, 1], n_groups * per // 2)
    x = y + rng.normal(0, 0.3, len(y))  # informative feature
    return x, y, groups


def test_the_informative_candidate_is_chosen_and_scored():
    x, y, groups = _data()
    seen: list[set] = []

    def good(tr, te):
        seen.append(set(groups[tr]) & set(groups[te]))
        thr = (x[tr][y[tr] == 0].mean() + x[tr][y[tr] == 1].mean()) / 2
        return (x[te] > thr).astype(int)

    def constant(tr, te):
        return np.zeros(len(te), int)

    res = nested_select({"constant": constant, "threshold": good}, y, groups, k=4, inner_k=3,
                        score_all=True)  # fmt: skip
    assert res["chosen"] == ["threshold"] * 4
    assert res["accuracy"] > 0.9 and res["candidate_outer"]["constant"] == pytest.approx(0.5)
    assert all(not s for s in seen)  # no group on both sides, inner or outer
    assert len(seen) == 4 * 3 + 4
    f0 = res["folds"][0]
    assert set(f0["inner_accuracy"]) == {"constant", "threshold"}
    assert f0["n_test"] == len(outer_folds(groups, y, 4)[0][1])


def test_the_choice_ignores_the_outer_fold_and_ties_go_first():
    x, y, groups = _data()
    folds = outer_folds(groups, y, 3)
    test_sets = [set(te) for _, te in folds]

    def cheat(tr, te):  # right only on the outer test folds, wrong on inner ones
        return y[te] if set(te) in test_sets else 1 - y[te]

    res = nested_select({"a": lambda tr, te: np.zeros(len(te), int),
                         "b": lambda tr, te: np.zeros(len(te), int), "cheat": cheat},
                        y, groups, k=3, inner_k=2)  # fmt: skip
    assert res["chosen"] == ["a"] * 3 and "candidate_outer" not in res
    with pytest.raises(ValueError):
        nested_select({}, y, groups)


@pytest.mark.realdata
@pytest.mark.slow
def test_pushfit_bench_reproduces_the_documented_baselines(realdata, tmp_path):
    """bench_pushfit_nested on PushFit without its Keras candidates: whole sources held out,
    a choice per fold, and the plain grouped figures docs/rocket.md reports."""
    import json

    from bench_pushfit_nested import main

    data = realdata("pushfit_pushup_form")
    assert main(["--data", str(data), "--out", str(tmp_path), "--skip", "mlp,rocket"]) == 0
    out = json.loads((tmp_path / "bench_pushfit_nested.json").read_text())
    res = out["runs"][0]
    assert out["n_clips"] == 165 and len(out["runs"]) == 1 and len(res["folds"]) == 5
    assert all(f["chosen"] in res["candidates"] for f in res["folds"])
    tested = [g for f in res["folds"] for g in f["test_groups"]]
    assert len(tested) == len(set(tested)) == res["n_groups"]  # every source out exactly once
    outer = res["candidate_outer"]
    assert outer["form features + random forest"] == pytest.approx(0.703, abs=0.001)
    assert outer["1-NN DTW, joints, full window (off-the-shelf)"] == pytest.approx(0.473, abs=0.001)
    assert res["accuracy"] > out["majority"] + 0.05
