"""Training on a small generated dataset: the classifier beats chance by a wide margin on
participants it never saw; scorers output [0, 1]; the model folder reloads identically."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    synth = pytest.importorskip("repcoach.synth")
    root = tmp_path_factory.mktemp("gen") / "data"
    synth.generate_dataset(root, n_participants=8, seed=3, reps=(3, 4), progress=False)
    return root


@pytest.fixture(scope="module")
def trained(generated, tmp_path_factory):
    from repcoach.data.samples import SampleOptions
    from repcoach.models.train import TrainOptions, train_model_dir

    out = tmp_path_factory.mktemp("model") / "m"
    opts = TrainOptions(lstm_units=24, dense_units=(24, 12), epochs=20, patience=6,
                        scorer_lstm_units=4, scorer_dense_units=(4,), scorer_epochs=2,
                        verbose=0, seed=0)
    res = train_model_dir(generated, out, SampleOptions(progress=False), opts)
    return res


def test_split_is_by_participant(trained):
    split = trained.config["split"]
    assert split["group_by"] == "participant"
    g = split["groups"]
    assert len(g["test"]) >= 1 and len(g["val"]) >= 1
    assert not set(g["train"]) & set(g["test"]) and not set(g["val"]) & set(g["test"])
    assert not set(g["train"]) & set(g["val"])


def test_classifier_beats_chance_on_unseen_participants(trained, generated, tmp_path):
    from repcoach.evaluation.evaluate import evaluate_model_dir

    rep = evaluate_model_dir(trained.model_dir, generated, tmp_path / "report", progress=False)
    ev = rep["evaluated_on"]
    assert ev["split"] == "test" and not ev["includes_training_subjects"]
    test_people = set(trained.config["split"]["groups"]["test"])
    assert ev["n_groups"] == len(test_people)
    sample = rep["classification"]["sample"]
    assert sample["accuracy"] >= 0.6, sample  # chance is 0.25 (four exercises)
    cm = np.array(sample["confusion_matrix"])
    assert cm.sum() == ev["n_samples"]
    # scorers: one per exercise, scores in [0, 1]
    assert sorted(trained.config["scorers"]) == sorted(trained.config["classes"])
    sc = rep["scoring"]["sample"]
    assert sc["n"] == ev["n_samples"] and 0 <= sc["mae"] <= 1
    got = json.loads((tmp_path / "report" / "report.json").read_text())
    assert got["accuracy"] == rep["accuracy"]
    assert (tmp_path / "report" / "loss_curves.png").is_file()


def test_scorer_outputs_in_unit_interval(trained):
    from repcoach.models.folder import load_keras_models

    _, scorers, _ = load_keras_models(trained.model_dir)
    # repetition models: 99 pose values + the 2 tempo channels (scorer_inputs "auto")
    assert trained.config["scorer_inputs"] == ["log_duration", "log_relative_duration"]
    x = np.random.default_rng(0).normal(0, 3, (16, 30, 101)).astype(np.float32)
    for m in scorers.values():
        out = m.predict_on_batch(x)
        assert out.shape == (16, 1) and (out >= 0).all() and (out <= 1).all()


def test_history_and_config(trained):
    d = trained.model_dir
    hist = json.loads((d / "history.json").read_text())
    assert len(hist["classifier"]["loss"]) == len(hist["classifier"]["val_loss"]) >= 1
    cfg = trained.config
    assert cfg["layout"] == "mediapipe33" and cfg["n_features"] == 99 and cfg["seq_len"] == 30
    assert cfg["clip_mode"] == "reps" and cfg["score_target"] == "continuous"
    assert cfg["train_params"]["classifier"]["lstm_units"] == 24
    assert cfg["train_params"]["options"]["scorer_epochs"] == 2
    assert not list(d.glob(".checkpoint-*"))


def test_load_test_inputs_gives_held_out_samples(trained):
    from repcoach.deploy.export import load_test_inputs

    x = load_test_inputs(trained.model_dir)
    assert x is not None and x.shape[1:] == (30, 99) and len(x) == trained.n_samples["test"]


def test_cross_validate_tests_every_group_once(generated):
    from repcoach.data.samples import SampleOptions, load_samples
    from repcoach.evaluation.crossval import cross_validate
    from repcoach.models.train import TrainOptions

    s = load_samples(generated, SampleOptions(progress=False))
    res = cross_validate(s, k=2, options=TrainOptions(lstm_units=4, dense_units=(4,), epochs=1,
                                                      verbose=0, augment=False))
    assert res["n_samples"] == len(s) and len(res["per_fold_sample_accuracy"]) == 2
    cm = res["classification"]["sample"]["confusion_matrix"]
    assert sum(map(sum, cm)) == len(s)
