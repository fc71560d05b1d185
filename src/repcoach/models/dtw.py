"""Dynamic time warping nearest neighbours (numpy), a scikit-learn style classifier.

:func:`dtw_distances` computes the multichannel DTW distance (squared Euclidean local cost,
square root of the cheapest warping path) of every pair of two sets of equal-length series,
vectorised over the pairs, optionally inside a Sakoe-Chiba band. :class:`KNeighborsDTW` votes
among the ``n_neighbors`` nearest training series. A bench model: it keeps the training set and
does not export to TFLite.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


def band_radius(length: int, band: float | None) -> int:
    """Sakoe-Chiba radius in frames for a band given as a fraction of the length (None: no
    band, the full warping window)."""
    if band is None:
        return length
    if band < 0:
        raise ValueError(f"band must be >= 0 or None, got {band}")
    return int(math.ceil(band * length))


def dtw_distances(
    a: np.ndarray, b: np.ndarray, band: float | None = 0.1, chunk: int = 4096
) -> np.ndarray:
    """``(len(a), len(b))`` DTW distances between series ``a`` ``(na, T, C)`` and ``b``
    ``(nb, T, C)`` (a 2-D input is one channel). ``band``: Sakoe-Chiba radius as a fraction
    of ``T``; ``chunk``: pairs computed at once (memory)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    a = a[..., None] if a.ndim == 2 else a
    b = b[..., None] if b.ndim == 2 else b
    if a.ndim != 3 or b.ndim != 3 or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"series must be (n, T, C) with the same T and C; got {a.shape}, "
                         f"{b.shape}")  # fmt: skip
    t = a.shape[1]
    r = band_radius(t, band)
    out = np.empty((len(a), len(b)))
    rows = max(1, chunk // max(1, len(b)))
    sq_b = (b**2).sum(-1)  # (nb, T)
    for s in range(0, len(a), rows):
        blk = a[s : s + rows]
        # local cost (na, nb, T_a, T_b) row by row: |x|^2 + |y|^2 - 2 x.y
        sq_a = (blk**2).sum(-1)
        prev = np.full((len(blk), len(b), t + 1), np.inf)
        prev[:, :, 0] = 0.0
        for i in range(t):
            cost = sq_a[:, None, i, None] + sq_b[None] - 2.0 * np.einsum(
                "pc,qjc->pqj", blk[:, i], b)  # fmt: skip
            np.maximum(cost, 0.0, out=cost)
            cur = np.full_like(prev, np.inf)
            for j in range(max(0, i - r), min(t, i + r + 1)):
                best = np.minimum(np.minimum(prev[:, :, j + 1], prev[:, :, j]), cur[:, :, j])
                cur[:, :, j + 1] = cost[:, :, j] + best
            prev = cur
        out[s : s + rows] = np.sqrt(prev[:, :, t])
    return out


def knn_proba(
    distances: np.ndarray, y_train: np.ndarray, classes: np.ndarray, n_neighbors: int
) -> np.ndarray:
    """``(n_test, n_classes)`` vote shares of the ``n_neighbors`` nearest training samples
    (``distances``: ``(n_test, n_train)``; ties in distance go to the earlier sample)."""
    k = min(n_neighbors, distances.shape[1])
    near = np.argsort(distances, axis=1, kind="stable")[:, :k]
    votes = np.asarray(y_train)[near]
    return np.stack([(votes == c).mean(axis=1) for c in classes], axis=1)


class KNeighborsDTW(ClassifierMixin, BaseEstimator):
    """k nearest neighbours under DTW (:func:`dtw_distances`) on ``(n, T, C)`` series.

    Ties between classes go to the class of the nearest neighbour."""

    def __init__(self, n_neighbors: int = 1, band: float | None = 0.1) -> None:
        self.n_neighbors = n_neighbors
        self.band = band

    def fit(self, x: np.ndarray, y: np.ndarray) -> KNeighborsDTW:
        """Keep the training series and labels."""
        if self.n_neighbors < 1:
            raise ValueError(f"n_neighbors must be >= 1, got {self.n_neighbors}")
        self.X_ = np.asarray(x, np.float64)
        self.y_ = np.asarray(y)
        if len(self.X_) != len(self.y_) or not len(self.y_):
            raise ValueError("need as many labels as series, at least one")
        self.classes_ = np.unique(self.y_)
        return self

    def proba_from_distances(self, distances: np.ndarray) -> np.ndarray:
        """Vote shares from precomputed ``(n_test, n_train)`` DTW distances to the training set
        (lets a caller compute all pairs once)."""
        return knn_proba(distances, self.y_, self.classes_, self.n_neighbors)

    def predict_from_distances(self, distances: np.ndarray) -> np.ndarray:
        """Labels from precomputed distances; a tied vote goes to the nearest neighbour."""
        p = self.proba_from_distances(distances)
        out = self.classes_[np.argmax(p, axis=1)]
        nearest = self.y_[np.argmin(distances, axis=1)]
        tied = (p == p.max(axis=1, keepdims=True)).sum(axis=1) > 1
        out[tied] = nearest[tied]
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.proba_from_distances(dtw_distances(x, self.X_, self.band))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.predict_from_distances(dtw_distances(x, self.X_, self.band))
