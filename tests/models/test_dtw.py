"""DTW nearest neighbours: distances against a plain double loop, warping invariance, votes."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.models.dtw import KNeighborsDTW, band_radius, dtw_distances


def _naive(x: np.ndarray, y: np.ndarray, r: int) -> float:
    t = len(x)
    d = np.full((t + 1, t + 1), np.inf)
    d[0, 0] = 0.0
    for i in range(t):
        for j in range(max(0, i - r), min(t, i + r + 1)):
            d[i + 1, j + 1] = ((x[i] - y[j]) ** 2).sum() + min(d[i, j + 1], d[i, j], d[i + 1, j])
    return float(np.sqrt(d[t, t]))


@pytest.mark.parametrize("band", [None, 0.1, 0.0])
def test_distances_match_the_textbook_recursion(band):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 20, 3)), rng.normal(size=(3, 20, 3))
    r = band_radius(20, band)
    want = np.array([[_naive(x, y, r) for y in b] for x in a])
    np.testing.assert_allclose(dtw_distances(a, b, band, chunk=5), want, atol=1e-9)


def test_band_zero_is_euclidean_and_warping_is_absorbed():
    t = np.linspace(0, 1, 50)
    x = np.sin(2 * np.pi * t)
    shifted = np.sin(2 * np.pi * np.clip(t - 0.04, 0, 1))  # 2 frames late
    d0 = dtw_distances(x[None], shifted[None], band=0.0)[0, 0]
    assert d0 == pytest.approx(np.linalg.norm(x - shifted))
    assert dtw_distances(x[None], shifted[None], band=0.1)[0, 0] < 0.3 * d0
    with pytest.raises(ValueError):
        dtw_distances(x[None], x[None, :40], band=0.1)


def test_knn_classifies_by_shape_and_breaks_ties_by_the_nearest():
    t = np.linspace(0, 1, 32)
    rng = np.random.default_rng(1)
    up = [np.sin(2 * np.pi * (t - s))[:, None] for s in rng.uniform(0, 0.05, 6)]
    down = [-u for u in up]
    x = np.stack(up + down)
    y = np.array([1] * 6 + [0] * 6)
    m = KNeighborsDTW(n_neighbors=3).fit(x, y)
    assert list(m.predict(np.stack([up[0] * 0.9, down[1] * 1.1]))) == [1, 0]
    assert m.predict_proba(x[:1])[0].tolist() == [0.0, 1.0]
    # 2 neighbours, one of each class: the nearer one wins
    m2 = KNeighborsDTW(n_neighbors=2).fit(x[[0, 6]], y[[0, 6]])
    d = np.array([[0.5, 0.7], [0.9, 0.2]])
    assert m2.predict_from_distances(d).tolist() == [1, 0]
    from sklearn.base import clone

    assert clone(m).get_params() == {"n_neighbors": 3, "band": 0.1}
