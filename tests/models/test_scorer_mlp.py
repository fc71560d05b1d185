"""The ``mlp`` scorer: learns from the extra channels only, reloads from .keras and .h5, and its
fp32 TFLite export agrees with Keras."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.scorers import toy_extra as toy
from repcoach.data.scorer_inputs import FORM_INPUTS
from repcoach.models.scorer import CorrectnessScorer

NAMES = FORM_INPUTS[:3]


@pytest.fixture(scope="module")
def fitted() -> CorrectnessScorer:
    x, e, s = toy(240, 0)
    xv, ev, sv = toy(60, 1)
    return CorrectnessScorer(label="pushup", arch="mlp", extra_inputs=NAMES, epochs=60,
                             patience=15, learning_rate=1e-2, seed=0).fit(
        x, s, xv, sv, extra=e, extra_val=ev)  # fmt: skip


def test_mlp_learns_from_the_extra_channels(fitted):
    x, e, s = toy(200, 2)
    pred = fitted.predict(x, e)
    acc = float(np.mean((pred >= 0.5) == (s >= 0.5)))
    assert acc > 0.85, acc  # chance is about 0.5
    # the pose channels (and every frame but the first) are ignored
    other = np.random.default_rng(9).normal(size=x.shape).astype(np.float32)
    np.testing.assert_allclose(fitted.predict(other, e), pred, atol=1e-6)
    assert fitted.model_.input_shape[1:] == (30, 6 + len(NAMES))
    assert fitted.to_config()["arch"] == "mlp" and fitted.to_config()["mlp_units"] == [16]
    assert fitted.model_.count_params() < 500
    layers = {type(layer).__name__ for layer in fitted.model_.layers}
    assert "Lambda" not in layers and {"Cropping1D", "Permute", "Normalization"} <= layers


def test_mlp_saves_reloads_and_exports(fitted, tmp_path):
    from helpers.scorers import assert_folder_round_trip
    from repcoach.data.scorer_inputs import append_channels
    from repcoach.deploy.export import convert_to_tflite
    from repcoach.deploy.runtime import TFLiteModel

    x, e, _ = toy(16, 3)
    ref = fitted.predict(x, e)
    assert_folder_round_trip(fitted, x, e, NAMES, tmp_path / "m")
    blob = convert_to_tflite(fitted.model_, 30, 6 + len(NAMES), ("fp32",))["fp32"]
    (tmp_path / "s.tflite").write_bytes(blob)
    lite = TFLiteModel(tmp_path / "s.tflite")
    got = lite.predict(append_channels(x, e)).reshape(-1)
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_bad_scorer_arch_options():
    from repcoach.models.train import TrainOptions

    with pytest.raises(ValueError, match="mlp"):
        CorrectnessScorer(arch="mlp")  # no extra inputs: nothing to read
    with pytest.raises(ValueError, match="bilstm"):
        CorrectnessScorer(arch="gru", extra_inputs=NAMES)
    with pytest.raises(ValueError, match="scorer arch"):
        TrainOptions(scorer_arch="transformer")
    with pytest.raises(ValueError, match="none"):
        TrainOptions(scorer_arch="mlp", scorer_inputs="none")
    assert TrainOptions().scorer_arch == "bilstm"
    assert CorrectnessScorer().get_params()["arch"] == "bilstm"
