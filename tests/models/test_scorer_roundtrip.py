"""Tempo-aware scorers end to end: fit -> model folder -> reload -> TFLite export parity ->
LiteRT runtime and analyser, and old folders without ``scorer_inputs`` still working."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.tiny_model_dir import CLASSES, build_tiny_model_dir, held_out_inputs
from repcoach.data.scorer_inputs import DURATION_INPUTS, append_channels, span_values
from repcoach.errors import DataError


@pytest.fixture(scope="module")
def tempo_dir(tmp_path_factory):
    """A tiny random-weight folder whose scorers take the two duration channels, exported."""
    from repcoach.deploy.export import export_model_dir

    d = build_tiny_model_dir(tmp_path_factory.mktemp("t") / "model",
                             scorer_inputs=DURATION_INPUTS)  # fmt: skip
    extra = np.stack([np.linspace(-0.5, 1.2, 24), np.linspace(-0.6, 0.3, 24)], 1)
    result = export_model_dir(d, parity_samples=held_out_inputs(24), parity_extra=extra,
                              sample_source="test inputs")  # fmt: skip
    return d, result


def test_fit_save_reload_predicts_the_same(tmp_path):
    from repcoach.models.folder import load_keras_models, load_model_config, save_model_dir
    from repcoach.models.scorer import CorrectnessScorer

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 30, 99)).astype(np.float32)
    extra = rng.normal(size=(16, 2)).astype(np.float32)
    s = CorrectnessScorer(label="sit_ups", lstm_units=4, dense_units=(4,), epochs=2,
                          extra_inputs=DURATION_INPUTS).fit(x, rng.random(16), extra=extra)
    assert s.model_.input_shape[1:] == (30, 101)
    assert s.to_config()["extra_inputs"] == list(DURATION_INPUTS)
    with pytest.raises(ValueError, match="extra inputs"):
        s.predict(x)  # the durations are required
    cfg = {"task": "correctness", "seq_len": 30, "n_features": 99, "classes": ["sit_ups"],
           "scorer_inputs": list(DURATION_INPUTS)}
    save_model_dir(tmp_path / "m", cfg, None, {"sit_ups": s})
    loaded = load_model_config(tmp_path / "m")
    assert loaded["scorer_inputs"] == list(DURATION_INPUTS)
    _, scorers, _ = load_keras_models(tmp_path / "m")
    again = CorrectnessScorer.from_model(scorers["sit_ups"], "sit_ups", loaded["scorer_inputs"])
    np.testing.assert_allclose(again.predict(x, extra), s.predict(x, extra), atol=1e-6)
    # the duration channels matter to the network (else the feature would be a no-op)
    assert np.abs(s.predict(x, extra) - s.predict(x, extra + 1.0)).max() > 1e-4


def test_export_parity_and_shapes(tempo_dir):
    from repcoach.deploy.runtime import TFLiteModel
    from repcoach.models.folder import load_keras_models

    d, result = tempo_dir
    info = json.loads((d / "export.json").read_text())
    assert info["scorer_inputs"] == list(DURATION_INPUTS)
    assert info["input_shape"] == [1, 30, 99] and info["scorer_input_shape"] == [1, 30, 101]
    assert info["extra_source"] == "given with the samples"
    assert TFLiteModel(d / "classifier_fp32.tflite").input_shape == (1, 30, 99)
    for label in CLASSES:
        assert TFLiteModel(d / "scorers" / f"{label}_int8.tflite").input_shape == (1, 30, 101)
        assert result.get(f"scorers/{label}", "fp32").max_abs_diff < 1e-4
        assert result.get(f"scorers/{label}", "int8").max_abs_diff < 0.05
    # fresh inputs: TFLite and Keras agree with the duration channels appended
    _, keras_scorers, _ = load_keras_models(d)
    x = append_channels(held_out_inputs(6, seed=7), np.array([[0.1 * i, -0.1 * i]
                                                             for i in range(6)]))
    ref = keras_scorers["sit_ups"].predict_on_batch(x)
    got = TFLiteModel(d / "scorers" / "sit_ups_fp32.tflite").predict(x)
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_export_without_extra_values_uses_documented_synthetic_ones(tmp_path):
    from repcoach.deploy.export import export_model_dir

    d = build_tiny_model_dir(tmp_path / "m", scorer_inputs=DURATION_INPUTS, units=4)
    r = export_model_dir(d, quantize=("fp32",), parity_samples=held_out_inputs(4))
    assert r.extra_source.startswith("synthetic log_duration")
    with pytest.raises(ValueError, match="parity_extra"):
        export_model_dir(d, quantize=("fp32",), parity_samples=held_out_inputs(4),
                         parity_extra=np.zeros((4, 1)))


def test_runtime_and_analyzer_feed_durations(tempo_dir, scorer_inputs_seen):
    from repcoach.analyze import Analyzer, AnalyzerOptions
    from repcoach.deploy.runtime import RuntimeModels
    from repcoach.skeleton import MEDIAPIPE_33
    from repcoach.types import PoseSequence, Repetition

    d, _ = tempo_dir
    rm = RuntimeModels.load(d, "fp32")
    assert rm.scorer_inputs == DURATION_INPUTS
    spans = [(0, 45), (45, 75), (75, 120), (120, 135)]  # 1.5, 1.0, 1.5, 0.5 s
    rng = np.random.default_rng(3)
    coords = 0.5 + 0.1 * rng.normal(size=(150, 33, 3)).astype(np.float32)
    seq = PoseSequence.from_array(coords, MEDIAPIPE_33, fps=30.0)
    seen = scorer_inputs_seen
    an = Analyzer(d, options=AnalyzerOptions(
        precision="fp32", segmenter=lambda s: [Repetition(a, b) for a, b in spans]))
    res = an.analyze(seq)
    assert res.rep_count == 4 and all(r.score is not None for r in res.repetitions)
    x = np.concatenate(seen)
    assert x.shape == (4, 30, 101)
    want = span_values(DURATION_INPUTS, seq, spans)
    np.testing.assert_allclose(np.exp(want[:, 0]), [1.5, 1.0, 1.5, 0.5], rtol=1e-5)
    np.testing.assert_allclose(np.exp(want[:, 1]), [1.2, 0.8, 1.2, 0.4], rtol=1e-5)  # / 1.25 s
    # the channels are constant over the 30 frames and equal the spans' durations
    np.testing.assert_allclose(x[:, :, 99:], np.repeat(want[:, None], 30, 1), atol=1e-6)
    np.testing.assert_allclose(x[:, :, :99], an.model_inputs(seq, spans), atol=1e-6)


def test_folder_whose_scorers_disagree_with_config_is_rejected(tempo_dir, tmp_path):
    import shutil

    from repcoach.deploy.runtime import RuntimeModels

    d = shutil.copytree(tempo_dir[0], tmp_path / "m")
    cfg = json.loads((d / "config.json").read_text())
    del cfg["scorer_inputs"]  # as if written by an old version: scorers then take 99 values
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DataError, match=r"scorers|101"):
        RuntimeModels.load(d, "fp32")
    cfg["scorer_inputs"] = ["heart_rate"]
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DataError, match="unknown scorer input"):
        RuntimeModels.load(d, "fp32")


def test_old_folder_without_scorer_inputs_still_scores(tmp_path):
    """Folders written before scorer inputs existed: pose-only scorers, no key in config."""
    from repcoach.analyze import Analyzer, AnalyzerOptions
    from repcoach.deploy.export import export_model_dir
    from repcoach.skeleton import MEDIAPIPE_33
    from repcoach.types import PoseSequence, Repetition

    d = build_tiny_model_dir(tmp_path / "m", units=4)
    assert "scorer_inputs" not in json.loads((d / "config.json").read_text())
    export_model_dir(d, quantize=("fp32",), parity_samples=held_out_inputs(4))
    assert json.loads((d / "export.json").read_text())["scorer_inputs"] == []
    coords = 0.5 + 0.1 * np.random.default_rng(0).normal(size=(90, 33, 3))
    an = Analyzer(d, options=AnalyzerOptions(
        precision="fp32", segmenter=lambda s: [Repetition(0, 40), Repetition(40, 90)]))
    res = an.analyze(PoseSequence.from_array(coords.astype(np.float32), MEDIAPIPE_33))
    assert an.models.scorer_inputs == () and all(r.score is not None for r in res.repetitions)
