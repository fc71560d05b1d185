"""The ``forest`` scorer: a random forest on the extra channels only, kept as Keras layers; it
learns, ignores the pose channels, saves and reloads from .keras and .h5 like any scorer."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.scorers import toy_extra as toy
from repcoach.data.scorer_inputs import SIGNAL_INPUTS
from repcoach.models.scorer import CorrectnessScorer

NAMES = SIGNAL_INPUTS[:3]


@pytest.fixture(scope="module")
def fitted() -> CorrectnessScorer:
    x, e, s = toy(240, 0)
    xv, ev, sv = toy(60, 1)
    return CorrectnessScorer(label="pushup", arch="forest", extra_inputs=NAMES, n_trees=50,
                             seed=0).fit(x, s, xv, sv, extra=e, extra_val=ev)  # fmt: skip


def test_forest_learns_from_the_extra_channels_only(fitted):
    x, e, s = toy(200, 2)
    pred = fitted.predict(x, e)
    assert float(np.mean((pred >= 0.5) == (s >= 0.5))) > 0.85  # chance is about 0.5
    assert pred.min() >= 0 and pred.max() <= 1
    other = np.random.default_rng(9).normal(size=x.shape).astype(np.float32)
    np.testing.assert_allclose(fitted.predict(other, e), pred, atol=1e-6)
    assert fitted.model_.input_shape[1:] == (30, 6 + len(NAMES))
    cfg = fitted.to_config()
    assert (cfg["arch"], cfg["n_trees"], cfg["min_samples_leaf"]) == ("forest", 50, 3)
    assert "mlp_units" not in cfg and "n_trees" not in CorrectnessScorer().to_config()
    # one "epoch"; with nothing to stop early the validation samples were fitted too
    assert set(fitted.history_) == {"loss"} and len(fitted.history_["loss"]) == 1
    assert fitted.val_in_fit_


def test_forest_is_deterministic_for_a_seed_and_fits_the_validation_samples():
    x, e, s = toy(120, 3)
    a = CorrectnessScorer(arch="forest", extra_inputs=NAMES, n_trees=20, seed=4).fit(
        x, s, extra=e)
    b = CorrectnessScorer(arch="forest", extra_inputs=NAMES, n_trees=20, seed=4).fit(
        x, s, extra=e)
    np.testing.assert_array_equal(a.predict(x, e), b.predict(x, e))
    assert not a.val_in_fit_
    # train + validation parts give the same forest as all samples given for training
    c = CorrectnessScorer(arch="forest", extra_inputs=NAMES, n_trees=20, seed=4).fit(
        x[:90], s[:90], x[90:], s[90:], extra=e[:90], extra_val=e[90:])
    np.testing.assert_array_equal(c.predict(x, e), a.predict(x, e))


def test_forest_saves_and_reloads(fitted, tmp_path):
    from helpers.scorers import assert_folder_round_trip

    x, e, _ = toy(16, 3)
    assert_folder_round_trip(fitted, x, e, NAMES, tmp_path / "m")


def test_bad_forest_options():
    from repcoach.models.train import TrainOptions

    with pytest.raises(ValueError, match="forest"):
        CorrectnessScorer(arch="forest")  # no extra inputs: nothing to read
    with pytest.raises(ValueError, match="none"):
        TrainOptions(scorer_arch="forest", scorer_inputs="none")
    with pytest.raises(ValueError, match="signals"):
        TrainOptions(scorer_inputs="shapes")


def test_scorer_set_counts_the_validation_samples_a_forest_fits():
    """A label with 3 training and 2 validation samples gets a forest (it fits all 5) but no
    MLP (whose validation samples only stop it early): the 4-sample minimum counts what each
    model learns from."""
    from repcoach.models.scorer import ScorerSet

    x, e, s = toy(5, 4)
    labels = np.array(["pushup"] * 5, dtype=object)
    for arch, expect in (("forest", True), ("mlp", False)):
        sset = ScorerSet(extra_inputs=NAMES, arch=arch, epochs=1, n_trees=5).fit(
            x[:3], labels[:3], s[:3], x[3:], labels[3:], s[3:], extra=e[:3], extra_val=e[3:])
        assert ("pushup" in sset) is expect, arch
