"""A fitted scikit-learn forest as frozen Keras layers: the same predictions as scikit-learn
(regressor and binary classifier, ties at a threshold, one-leaf trees), builtin layers only,
and a TFLite export whose int8 file keeps the node tests in float."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from repcoach.models.fitting import keras_module
from repcoach.models.forest import RAMP, THRESHOLD_FLOOR, forest_arrays, forest_block
from repcoach.models.rocket import FLOAT_WEIGHTS_BELOW


def toy(n: int, seed: int, k: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """Inputs on very different scales and a 0/1 target with an interaction."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k)) * np.geomspace(0.01, 10, k)
    y = ((x[:, 0] / 0.01 + x[:, 3] * x[:, 5]) > 0).astype(float)
    return x.astype(np.float32), y


@pytest.fixture(scope="module")
def forest() -> RandomForestRegressor:
    x, y = toy(150, 0)
    return RandomForestRegressor(60, min_samples_leaf=3, max_features="sqrt",
                                 random_state=0).fit(x, y)  # fmt: skip


def keras_forest(forest) -> object:
    keras = keras_module()
    inp = keras.Input((forest.n_features_in_,))
    return keras.Model(inp, forest_block(forest_arrays(forest), inp))


def test_arrays_predict_as_scikit_learn(forest):
    x, _ = toy(300, 1)
    np.testing.assert_allclose(forest_arrays(forest).predict(x), forest.predict(x), atol=1e-6)
    xc, yc = toy(150, 2)
    clf = RandomForestClassifier(25, min_samples_leaf=2, random_state=0).fit(xc, yc.astype(int))
    np.testing.assert_allclose(forest_arrays(clf).predict(x), clf.predict_proba(x)[:, 1],
                               atol=1e-6)  # fmt: skip
    # a tree that is one leaf (nothing to split) predicts its mean everywhere
    stump = RandomForestRegressor(3, min_samples_leaf=200, random_state=0).fit(xc, yc)
    a = forest_arrays(stump)
    assert a.depth[a.reachable].max() == 0
    np.testing.assert_allclose(a.predict(x), stump.predict(x), atol=1e-6)
    np.testing.assert_allclose(keras_forest(stump).predict(x, verbose=0)[:, 0],
                               stump.predict(x), atol=1e-6)  # fmt: skip


def test_keras_layers_predict_as_scikit_learn_and_go_left_at_a_threshold(forest):
    model = keras_forest(forest)
    x, _ = toy(300, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0)[:, 0], forest.predict(x), atol=1e-5)
    # inputs exactly at a node's threshold go left, as scikit-learn's x <= threshold
    a = forest_arrays(forest)
    at = np.repeat(x[:1], 20, axis=0)
    for i in range(20):
        node = i % a.feature.shape[1]
        at[i, a.feature[0, node]] = a.threshold[0, node]
    np.testing.assert_allclose(model.predict(at, verbose=0)[:, 0], forest.predict(at),
                               atol=1e-5)  # fmt: skip
    kinds = {type(layer).__name__ for layer in model.layers}
    assert kinds <= {"InputLayer", "Dense", "Concatenate", "ReLU", "Reshape", "EinsumDense"}
    assert not any(layer.trainable_weights for layer in model.layers)
    # every node-test layer is small enough for TFLite's int8 export to keep it in float
    tests = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    assert all(layer.kernel.shape[0] * layer.kernel.shape[1] < FLOAT_WEIGHTS_BELOW
               for layer in tests)  # fmt: skip
    slope = tests[0].kernel.numpy().max(axis=0)  # one weight per node: its ramp's slope
    thr = -tests[0].bias.numpy() / slope
    np.testing.assert_allclose(1 / slope, RAMP * np.maximum(np.abs(thr), THRESHOLD_FLOOR),
                               rtol=1e-3)  # fmt: skip


def test_tflite_fp32_and_int8_agree_with_scikit_learn(forest, tmp_path):
    """Both exports run in LiteRT; int8 (dynamic range) keeps every decision: its scores differ
    only by the leaf values' quantisation."""
    from repcoach.deploy.runtime import TFLiteModel

    keras = keras_module()
    inp = keras.Input((30, 4 + 21))  # the scorer's input: pose channels + 21 extra channels
    x = keras.layers.Cropping1D((0, 29))(inp)
    x = keras.layers.Flatten()(keras.layers.Cropping1D((4, 0))(keras.layers.Permute((2, 1))(x)))
    model = keras.Model(inp, forest_block(forest_arrays(forest), x))
    from repcoach.deploy.export import convert_to_tflite

    blobs = convert_to_tflite(model, 30, 25, ("fp32", "int8"))
    e, _ = toy(64, 4)
    xin = np.concatenate([np.random.default_rng(5).normal(size=(64, 30, 4)),
                          np.repeat(e[:, None, :], 30, axis=1)], axis=-1).astype(np.float32)
    ref = forest.predict(e)
    for precision, tol in (("fp32", 1e-5), ("int8", 0.02)):
        path = tmp_path / f"f_{precision}.tflite"
        path.write_bytes(blobs[precision])
        got = TFLiteModel(path).predict(xin).reshape(-1)
        np.testing.assert_allclose(got, ref, atol=tol, err_msg=precision)
