"""GEI correctness features and GeiScorer on a small generated dataset with thermal."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.thermal.scoring import (
    SCALAR_NAMES,
    GeiScorer,
    fuse_scores,
    gei_repetition_features,
    regression_report,
    thermal_path,
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from repcoach.synth import generate_dataset

    out = tmp_path_factory.mktemp("gei_scoring")
    generate_dataset(
        out,
        5,
        seed=3,
        exercises=["JJ", "SU"],
        reps=(6, 8),
        modalities=("pose", "thermal"),
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def feats(dataset):
    return gei_repetition_features(dataset)


def test_features_shape_and_rows(dataset, feats):
    import pandas as pd

    ann = pd.read_csv(dataset / "annotations.csv")
    X, y, part, ex, keys = feats
    assert X.shape == (len(ann), 16 * 16 + len(SCALAR_NAMES))
    assert len(y) == len(part) == len(ex) == len(keys) == len(ann)
    assert set(ex) == {"JJ", "SU"} and len(set(part)) == 5
    # every rep of the generated data has thermal frames with a body in them
    assert not np.isnan(X).any()
    assert (X[:, :256] >= 0).all() and (X[:, :256] <= 1).all()
    # the last column is the repetition duration; rows follow the keys
    dur = (ann["end_s"] - ann["start_s"]).to_numpy()
    order = {
        k: i
        for i, k in enumerate(zip(ann["participant"], ann["exercise"], ann["rep"], strict=True))
    }
    idx = [order[k] for k in keys]
    np.testing.assert_allclose(X[:, -1], dur[idx], rtol=1e-5)
    np.testing.assert_allclose(y, ann["score"].to_numpy()[idx])


def test_missing_thermal_is_data_error(dataset, feats, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    part, code = feats.keys[0][0], feats.keys[0][1]
    thermal_path(copy, part, code).unlink()
    with pytest.raises(DataError, match="no thermal recording"):
        gei_repetition_features(copy)


def test_scorer_beats_train_mean_cross_subject(feats):
    """Leave-one-participant-out, pooled over the 5 held-out people (measured: MAE 0.153 vs
    0.215 for the per-exercise train mean, r 0.60; one of the 5 people alone is worse than the
    mean, so only the pooled figure is asserted)."""
    X, y, part, ex, _ = feats
    pred = np.zeros(len(y))
    base = np.zeros(len(y))
    for person in sorted(set(part)):
        test = part == person
        m = GeiScorer().fit(X[~test], y[~test], ex[~test])
        pred[test] = m.predict(X[test], ex[test])
        base[test] = [m.exercise_means_[e] for e in ex[test]]
    assert (pred >= 0).all() and (pred <= 1).all()
    gei = regression_report(y, pred)
    mean = regression_report(y, base)
    assert gei["mae"] < mean["mae"]
    assert gei["pearson_r"] > 0.3


def test_scorer_edge_cases(feats):
    X, y, _, ex, _ = feats
    with pytest.raises(RuntimeError):
        GeiScorer().predict(X, ex)
    m = GeiScorer(n_components=5).fit(X, y, ex)
    # unseen exercise and a rep without silhouettes fall back to a training mean
    Xn = X[:2].copy()
    Xn[1] = np.nan
    out = m.predict(Xn, ["HK", "JJ"])
    assert out[0] == pytest.approx(m.mean_score_)
    assert out[1] == pytest.approx(m.exercise_means_["JJ"])
    with pytest.raises(ValueError):
        m.predict(X[:, :10], ex)


def test_fuse_scores():
    p = np.array([0.2, 0.8, np.nan, 0.5])
    g = np.array([0.6, 0.4, 0.3, np.nan])
    np.testing.assert_allclose(fuse_scores(p, g, 0.25), [0.3, 0.7, 0.3, 0.5])
    np.testing.assert_allclose(fuse_scores(p, g, 0.0)[:2], p[:2])
    with pytest.raises(ValueError):
        fuse_scores(p, g, 1.5)
