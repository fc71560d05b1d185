"""A fitted scikit-learn random forest as frozen builtin Keras layers, so tree models save,
reload and export to TFLite with builtin ops like every other repcoach model.

Each internal node ``i`` tests ``x[feature_i] > threshold_i`` (scikit-learn goes left when ``x
<= threshold``): a frozen ``Dense`` with one-hot weights ``s_i`` and bias ``-s_i *
threshold_i`` followed by ``ReLU(max_value=1)`` gives ``r_i`` = 1 to the right, 0 to the left:
a ramp of width ``1 / s_i`` = :data:`RAMP` times ``max(|threshold_i|, THRESHOLD_FLOOR)`` just
above the threshold, a relative width close to float32's own precision (inputs of any scale). A
leaf ``l`` is reached when every node on its path turned its way: with ``P[i, l]`` = +1 (right
on the path), -1 (left) or 0 (not on it), ``matches_l = r . P[:, l] + n_left_l`` equals the
path's depth exactly then and is lower otherwise, so ``ReLU(matches_l - depth_l + 1)`` is the
leaf's indicator (one ``EinsumDense`` per forest, trees padded to the same node and leaf
counts). The output is the mean over trees of the reached leaf's value (a second
``EinsumDense``).

The node tests are split into ``Dense`` layers of fewer than
:data:`~repcoach.models.rocket.FLOAT_WEIGHTS_BELOW` weights, which TFLite's dynamic-range int8
keeps in float: a hybrid int8 layer would quantise the inputs and move values near a threshold
to the other side. :func:`forest_arrays` is the plain numpy form (used by the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from repcoach.models.fitting import keras_module
from repcoach.models.rocket import FLOAT_WEIGHTS_BELOW, concat

#: Width of the ramp that stands in for a node's step, relative to the threshold's size: inputs
#: above the threshold by less than this share of it go partly both ways (float32 is ~1e-7
#: precise, so this is a step). Thresholds nearer 0 than THRESHOLD_FLOOR count as that size.
RAMP = 1e-6
THRESHOLD_FLOOR = 1e-3


@dataclass(frozen=True)
class ForestArrays:
    """A forest of ``T`` trees padded to ``I`` internal nodes and ``L`` leaves each."""

    feature: np.ndarray  # (T, I) int: the input each node tests (0 for padding)
    threshold: np.ndarray  # (T, I) float: go right when x > threshold
    path: np.ndarray  # (T, I, L) +1 / -1 / 0: node on the leaf's path, turning right / left
    n_left: np.ndarray  # (T, L) left turns on each leaf's path
    depth: np.ndarray  # (T, L) nodes on each leaf's path (padding leaves: unreachable)
    value: np.ndarray  # (T, L) the leaf's prediction (0 for padding)
    reachable: np.ndarray  # (T, L) bool: a real leaf

    @property
    def n_trees(self) -> int:
        return int(self.feature.shape[0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(n,)`` mean leaf value over trees for inputs ``(n, k)`` (exact steps)."""
        x = np.asarray(x, np.float32)
        r = (x[:, self.feature] > self.threshold[None]).astype(np.float64)  # (n, T, I)
        matches = np.einsum("nti,til->ntl", r, self.path) + self.n_left[None]
        reached = (matches == self.depth[None]) & self.reachable[None]
        return (reached * self.value[None]).sum(axis=(1, 2)) / self.n_trees


def _tree_paths(tree: Any) -> tuple[list[int], list[list[tuple[int, int]]], list[float]]:
    """Internal node ids, each leaf's path ``[(node, +1 right / -1 left)]`` and leaf values of
    a fitted scikit-learn ``tree_`` (single-output regression or the positive class)."""
    left, right = tree.children_left, tree.children_right
    internal = [int(j) for j in range(tree.node_count) if left[j] != -1]
    values = tree.value[:, 0, :]
    paths, leaf_values = [], []
    stack: list[tuple[int, list[tuple[int, int]]]] = [(0, [])]
    while stack:
        j, path = stack.pop()
        if left[j] == -1:
            paths.append(path)
            v = values[j]
            leaf_values.append(float(v[-1] / v.sum()) if v.size > 1 else float(v[0]))
            continue
        stack.append((int(right[j]), [*path, (j, 1)]))
        stack.append((int(left[j]), [*path, (j, -1)]))
    return internal, paths, leaf_values


def forest_arrays(forest: Any) -> ForestArrays:
    """The arrays of a fitted scikit-learn ``RandomForestRegressor`` (or a binary classifier:
    leaf value = share of the last class) as :class:`ForestArrays`."""
    trees = [_tree_paths(est.tree_) for est in forest.estimators_]
    t = len(trees)
    n_i = max(1, max(len(tr[0]) for tr in trees))
    n_l = max(len(tr[1]) for tr in trees)
    feature = np.zeros((t, n_i), np.int64)
    threshold = np.zeros((t, n_i), np.float32)
    path = np.zeros((t, n_i, n_l), np.float32)
    n_left = np.zeros((t, n_l), np.float32)
    depth = np.ones((t, n_l), np.float32)
    value = np.zeros((t, n_l), np.float32)
    reachable = np.zeros((t, n_l), bool)
    for k, ((internal, paths, vals), est) in enumerate(zip(trees, forest.estimators_,
                                                           strict=True)):  # fmt: skip
        pos = {node: i for i, node in enumerate(internal)}
        feature[k, : len(internal)] = est.tree_.feature[internal]
        threshold[k, : len(internal)] = est.tree_.threshold[internal]
        for leaf, (p, v) in enumerate(zip(paths, vals, strict=True)):
            for node, turn in p:
                path[k, pos[node], leaf] = turn
            n_left[k, leaf] = sum(1 for _, turn in p if turn < 0)
            depth[k, leaf] = len(p)
            value[k, leaf] = v
            reachable[k, leaf] = True
    # padding leaves: depth above any reachable count of matches, so never reached
    depth[~reachable] = n_i + 1
    return ForestArrays(feature, threshold, path, n_left, depth, value, reachable)


def forest_block(arrays: ForestArrays, inp: Any, prefix: str = "forest_") -> Any:
    """The forest applied to Keras tensor ``inp`` ``(k,)``: a ``(1,)`` tensor, the mean leaf
    value (frozen layers; node tests in float-kept chunks, see the module docstring)."""
    keras = keras_module()
    k = int(inp.shape[-1])
    t, n_i, n_l = arrays.path.shape
    feat = arrays.feature.reshape(-1)
    thr = arrays.threshold.reshape(-1).astype(np.float64)
    slope = 1.0 / (RAMP * np.maximum(np.abs(thr), THRESHOLD_FLOOR))
    per = max(1, (FLOAT_WEIGHTS_BELOW - 1) // k)
    tests = []
    for c, a in enumerate(range(0, feat.size, per)):
        b = min(feat.size, a + per)
        w = np.zeros((k, b - a), np.float32)
        w[feat[a:b], np.arange(b - a)] = slope[a:b]
        layer = keras.layers.Dense(b - a, trainable=False, name=f"{prefix}test{c}")
        tests.append(layer(inp))
        layer.set_weights([w, (-slope[a:b] * thr[a:b]).astype(np.float32)])
    h = concat(tests, f"{prefix}tests")
    h = keras.layers.ReLU(max_value=1.0, name=f"{prefix}step")(h)
    h = keras.layers.Reshape((t, n_i), name=f"{prefix}nodes")(h)
    leaves = keras.layers.EinsumDense("bti,til->btl", output_shape=(t, n_l), bias_axes="tl",
                                      trainable=False, name=f"{prefix}paths")  # fmt: skip
    h = leaves(h)
    leaves.set_weights([arrays.path, (arrays.n_left - arrays.depth + 1.0).astype(np.float32)])
    h = keras.layers.ReLU(name=f"{prefix}leaf")(h)
    out = keras.layers.EinsumDense("btl,tlo->bo", output_shape=(1,), trainable=False,
                                   name=f"{prefix}mean")  # fmt: skip
    y = out(h)
    out.set_weights([(arrays.value / t)[..., None].astype(np.float32)])
    return y
