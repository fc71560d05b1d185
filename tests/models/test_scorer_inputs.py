"""The scorers' extra inputs: durations from timestamps, relative durations, channel layout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.models.scorer_inputs import (
    DURATION_INPUTS,
    LOG_DURATION,
    LOG_RELATIVE_DURATION,
    append_channels,
    config_scorer_inputs,
    duration_values,
    relative_durations,
    resolve_scorer_inputs,
    samples_values,
    span_durations,
    span_values,
)
from repcoach.skeleton import PENN_13
from repcoach.types import PoseSequence


def seq_at(timestamps) -> PoseSequence:
    ts = np.asarray(timestamps, dtype=np.float64)
    return PoseSequence(np.zeros((len(ts), 13, 2), np.float32), ts, PENN_13)


def test_span_durations_from_timestamps():
    seq = PoseSequence.from_array(np.zeros((90, 13, 2)), PENN_13, fps=30.0)
    d = span_durations(seq, [(0, 30), (30, 45), (45, 90)])
    # the last span ends after the last frame: last timestamp + one frame step
    np.testing.assert_allclose(d, [1.0, 0.5, 1.5], atol=1e-9)
    # irregular clock (dropped frames): seconds come from the timestamps, not frame counts
    irregular = seq_at([0.0, 0.1, 0.5, 0.6, 1.6, 1.7])
    np.testing.assert_allclose(span_durations(irregular, [(0, 2), (2, 4), (1, 6)]),
                               [0.5, 1.1, 1.7], atol=1e-9)
    with pytest.raises(ValueError):
        span_durations(seq, [(10, 10)])
    with pytest.raises(ValueError):
        span_durations(seq, [(0, 91)])


def test_relative_durations_per_clip_median():
    d = np.array([1.0, 2.0, 3.0, 10.0, 10.0])
    rel = relative_durations(d, ["a", "a", "a", "b", "b"])
    np.testing.assert_allclose(rel, [0.5, 1.0, 1.5, 1.0, 1.0])


def test_duration_values_order_and_clipping():
    d = np.array([0.5, 1.0, 2.0, 1000.0])
    v = duration_values(DURATION_INPUTS, d, ["x", "x", "x", "y"])
    assert v.shape == (4, 2) and v.dtype == np.float32
    assert list(DURATION_INPUTS) == [LOG_DURATION, LOG_RELATIVE_DURATION]
    np.testing.assert_allclose(v[:3, 0], np.log([0.5, 1.0, 2.0]), atol=1e-6)
    assert v[3, 0] == pytest.approx(math.log(60.0))  # clipped at 60 s
    np.testing.assert_allclose(v[:3, 1], np.log([0.5, 1.0, 2.0]), atol=1e-6)  # median 1.0
    assert v[3, 1] == 0.0  # alone in its clip
    only_rel = duration_values([LOG_RELATIVE_DURATION], d, ["x"] * 4)
    assert only_rel.shape == (4, 1)
    with pytest.raises(ValueError):
        duration_values(DURATION_INPUTS, np.array([1.0, 0.0]), ["a", "a"])
    with pytest.raises(ValueError):
        duration_values(["tempo?"], d, ["x"] * 4)


def test_span_values_relative_to_the_recording():
    seq = PoseSequence.from_array(np.zeros((120, 13, 2)), PENN_13, fps=30.0)
    v = span_values(DURATION_INPUTS, seq, [(0, 30), (30, 60), (60, 75)])
    np.testing.assert_allclose(np.exp(v[:, 0]), [1.0, 1.0, 0.5], rtol=1e-5)
    np.testing.assert_allclose(np.exp(v[:, 1]), [1.0, 1.0, 0.5], rtol=1e-5)


def test_append_channels_is_constant_over_time():
    x = np.random.default_rng(0).normal(size=(3, 30, 5)).astype(np.float32)
    v = np.array([[1.0, -1.0], [2.0, 0.0], [3.0, 0.5]], np.float32)
    out = append_channels(x, v)
    assert out.shape == (3, 30, 7)
    np.testing.assert_array_equal(out[..., :5], x)
    np.testing.assert_array_equal(out[:, :, 5:], np.repeat(v[:, None], 30, axis=1))
    assert append_channels(x, None) is not None and append_channels(x, None).shape == x.shape
    with pytest.raises(ValueError):
        append_channels(x, v[:2])


def test_resolve_modes_and_config():
    assert resolve_scorer_inputs("auto", "reps") == DURATION_INPUTS
    assert resolve_scorer_inputs("auto", "windows") == ()
    assert resolve_scorer_inputs("auto", "reps", has_durations=False) == ()
    assert resolve_scorer_inputs("duration", "whole") == DURATION_INPUTS
    assert resolve_scorer_inputs("none", "reps") == ()
    with pytest.raises(ValueError):
        resolve_scorer_inputs("tempo", "reps")
    assert config_scorer_inputs({}) == ()  # model folders from before scorer inputs
    assert config_scorer_inputs({"scorer_inputs": [LOG_DURATION]}) == (LOG_DURATION,)
    with pytest.raises(DataError):
        config_scorer_inputs({"scorer_inputs": ["heart_rate"]})


def test_samples_carry_durations_of_the_annotated_repetitions(tmp_path):
    """EJUST-layout samples: each repetition's duration equals its annotated frames / fps."""
    import pandas as pd

    from repcoach.samples import SampleOptions, load_samples
    from repcoach.synth import generate_dataset

    data = generate_dataset(tmp_path / "d", n_participants=1, seed=2, exercises=["HK"],
                            reps=(5, 6), progress=False)
    s = load_samples(data, SampleOptions(progress=False))
    ann = pd.read_csv(data / "annotations.csv")
    want = (ann["end_frame"] - ann["start_frame"]).to_numpy() / 30.0
    assert s.duration is not None and len(s.duration) == len(ann)
    np.testing.assert_allclose(np.sort(s.duration), np.sort(want), atol=1.5 / 30)
    sub = s.subset([1, 0])
    np.testing.assert_array_equal(sub.duration, s.duration[[1, 0]])
    v = samples_values(DURATION_INPUTS, s)
    np.testing.assert_allclose(np.exp(v[:, 0]), s.duration, rtol=1e-5)
    assert samples_values((), s) is None
