"""The scorers' extra inputs: durations from timestamps, relative durations, channel layout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repcoach.data.scorer_inputs import (
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
from repcoach.errors import DataError
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

    from repcoach.data.samples import SampleOptions, load_samples
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


# ------------------------------------------------------------------ push-up form features


def test_form_names_modes_and_config():
    from repcoach.data.scorer_inputs import FORM_INPUTS, SCORER_INPUT_MODES
    from repcoach.pose.pushup_form import FEATURES

    assert tuple(f"form_{f}" for f in FEATURES) == FORM_INPUTS and len(FORM_INPUTS) == 19
    assert FORM_INPUTS[0] == "form_body_angle_median"
    assert {"form", "duration+form"} <= set(SCORER_INPUT_MODES)
    assert resolve_scorer_inputs("form", "whole") == FORM_INPUTS
    assert resolve_scorer_inputs("form", "reps", has_durations=False) == FORM_INPUTS
    assert resolve_scorer_inputs("duration+form", "whole") == DURATION_INPUTS + FORM_INPUTS
    with pytest.raises(ValueError, match="durations"):
        resolve_scorer_inputs("duration+form", "whole", has_durations=False)
    # the other modes are unchanged by the new family
    assert resolve_scorer_inputs("auto", "whole") == () and resolve_scorer_inputs("auto", "reps")
    names = [LOG_DURATION, *FORM_INPUTS]
    assert config_scorer_inputs({"scorer_inputs": names}) == tuple(names)


def test_unmeasurable_form_features_get_the_documented_fill():
    from repcoach.data.scorer_inputs import FORM_INPUTS, FORM_SCALE, form_values
    from repcoach.pose.pushup_form import FEATURES

    raw = np.full((2, len(FEATURES)), np.nan)
    raw[1] = [FORM_SCALE[f][1] + 1.0 for f in FEATURES]  # measured: scaled, not filled
    v = form_values(FORM_INPUTS, raw)
    assert v.shape == (2, 19) and v.dtype == np.float32 and np.isfinite(v).all()
    want_fill = [FORM_SCALE[f][1] / FORM_SCALE[f][0] for f in FEATURES]
    np.testing.assert_allclose(v[0], want_fill, rtol=1e-6)
    np.testing.assert_allclose(v[1], [(FORM_SCALE[f][1] + 1) / FORM_SCALE[f][0]
                                      for f in FEATURES], rtol=1e-6)  # fmt: skip
    # degrees / 180 for angles, / 90 for the tilt; extreme values clipped to +-5
    assert FORM_SCALE["body_angle_median"][0] == 180 and FORM_SCALE["body_tilt_p90"][0] == 90
    huge = np.full((1, len(FEATURES)), 1e6)
    assert form_values(FORM_INPUTS, huge).max() == 5.0


def _stick_pushup(n: int = 40, unseen: tuple[int, ...] = ()) -> PoseSequence:
    """A side-view MediaPipe-33 figure in a plank, shoulders moving up and down; ``unseen``
    joints are NaN (never detected)."""
    from repcoach.skeleton import MEDIAPIPE_33

    t = np.arange(n) / 30.0
    c = np.zeros((n, 33, 3), np.float32)
    c[:, :, 0], c[:, :, 1] = 0.5, 0.6
    dip = 0.05 * (1 - np.cos(2 * np.pi * t))
    for left, right, x, y in ((7, 8, 0.2, 0.5), (11, 12, 0.25, 0.55), (13, 14, 0.27, 0.65),
                              (15, 16, 0.25, 0.75), (23, 24, 0.5, 0.6), (25, 26, 0.65, 0.65),
                              (27, 28, 0.8, 0.7)):  # fmt: skip
        for j in (left, right):
            c[:, j, 0], c[:, j, 1] = x, y + (dip if j < 23 else 0)
    c[:, list(unseen)] = np.nan
    return PoseSequence.from_array(c, MEDIAPIPE_33, fps=30.0)


def test_span_values_fill_unseen_joints_and_short_spans():
    from repcoach.data.scorer_inputs import (
        FORM_INPUTS,
        FORM_SCALE,
        form_values,
        span_form_features,
    )
    from repcoach.pose.pushup_form import FEATURES

    seq = _stick_pushup()
    raw = span_form_features(seq, [(0, 40), (0, 3)])  # 3 frames: too few for any feature
    assert np.isfinite(raw[0]).all() and np.isnan(raw[1]).all()
    v = span_values(FORM_INPUTS, seq, [(0, 40), (0, 3)])
    np.testing.assert_allclose(v, form_values(FORM_INPUTS, raw))
    np.testing.assert_allclose(v[1], [FORM_SCALE[f][1] / FORM_SCALE[f][0] for f in FEATURES],
                               rtol=1e-6)  # fmt: skip
    no_ears = span_values(FORM_INPUTS, _stick_pushup(unseen=(7, 8)), [(0, 40)])[0]
    neck = [i for i, f in enumerate(FEATURES) if f.startswith("neck")]
    np.testing.assert_allclose(no_ears[neck], [FORM_SCALE[FEATURES[i]][1] / 180 for i in neck],
                               rtol=1e-6)  # fmt: skip
    others = [i for i in range(19) if i not in neck]
    np.testing.assert_allclose(no_ears[others], v[0, others], rtol=1e-6)
    # both families in one call, in the order asked for
    both = span_values([FORM_INPUTS[3], LOG_DURATION], seq, [(0, 30)])
    assert both.shape == (1, 2) and both[0, 1] == pytest.approx(0.0, abs=1e-6)  # ln 1 s


def test_form_inputs_refuse_other_layouts():
    from repcoach.data.samples import Samples
    from repcoach.data.scorer_inputs import FORM_INPUTS

    seq = PoseSequence.from_array(np.zeros((40, 13, 2)), PENN_13, fps=30.0)
    with pytest.raises(DataError, match="mediapipe33 layout, got 'penn13'"):
        span_values(FORM_INPUTS, seq, [(0, 40)])
    assert span_values(DURATION_INPUTS, seq, [(0, 40)]).shape == (1, 2)  # durations still work
    s = Samples.empty(30, 26)
    s.layout = "penn13"
    with pytest.raises(DataError, match="penn13"):
        samples_values(FORM_INPUTS, s)


def test_training_samples_carry_the_form_values_analysis_computes(tmp_path):
    """Training (samples.py, aspect-corrected by the index's width/height) and analysis
    (span_values on the aspect-corrected recording) give the same values for the same span."""
    import csv

    from helpers.toy_pose import write_indexed
    from repcoach.data.samples import SampleOptions, aspect_corrected, load_samples
    from repcoach.data.scorer_inputs import FORM_INPUTS
    from repcoach.io.pose_csv import read_pose_csv

    data = write_indexed(tmp_path / "d", n_subjects=2, n_reps=3)
    with open(data / "index.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["width"], r["height"] = "1280", "720"
    with open(data / "index.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    s = load_samples(data, SampleOptions(clip_mode="windows", window_s=1.0, stride_s=0.5,
                                         progress=False))  # fmt: skip
    assert s.form_features is not None and s.form_features.shape == (len(s), 19)
    v = samples_values(FORM_INPUTS, s)
    assert np.isfinite(v).all() and np.abs(v).max() <= 5
    np.testing.assert_array_equal(samples_values(FORM_INPUTS, s.subset([2, 0])), v[[2, 0]])
    for r in rows[:3]:
        raw = read_pose_csv(data / r["file"])
        seq = aspect_corrected(raw, 1280, 720)
        m = np.flatnonzero(s.clip_id == r["file"])  # an indexed clip's id is its file
        assert len(m) > 1
        spans = list(zip(s.start[m], s.end[m], strict=True))
        np.testing.assert_allclose(span_values(FORM_INPUTS, seq, spans), v[m], atol=1e-6)
        # the correction matters: uncorrected landmarks give other angles
        assert not np.allclose(span_values(FORM_INPUTS, raw, spans), v[m], atol=1e-3)


def test_signal_inputs_are_the_3d_form_signal_statistics_of_each_span():
    """``--scorer-inputs signals``: 21 channels, the median / p10 / p90 over time of the 3-D
    form signals of the span's frames (statistic-major), and ``form+signals`` appends them to
    the 19 form channels."""
    from repcoach.data.scorer_inputs import FORM_INPUTS, SIGNAL_INPUTS
    from repcoach.pose.pushup_signals import (
        SIGNAL_STATS,
        SIGNALS,
        form_signals,
        signal_statistics,
    )

    assert len(SIGNAL_INPUTS) == 21 and SIGNAL_INPUTS[0] == f"form3_median_{SIGNALS[0]}"
    assert SIGNAL_INPUTS[7] == f"form3_p10_{SIGNALS[0]}"
    assert resolve_scorer_inputs("signals", "whole") == SIGNAL_INPUTS
    assert resolve_scorer_inputs("form+signals", "reps") == FORM_INPUTS + SIGNAL_INPUTS
    seq = _stick_pushup(60)
    spans = [(0, 60), (10, 40)]
    v = span_values(SIGNAL_INPUTS, seq, spans)
    for row, (a, b) in zip(v, spans, strict=True):
        sig = form_signals(seq.slice(a, b), length=64, dims=3)
        np.testing.assert_allclose(row, signal_statistics(sig), rtol=1e-5, atol=1e-6)
    med, p10, p90 = (SIGNAL_INPUTS.index(f"form3_{st}_body_angle") for st in SIGNAL_STATS)
    assert v[0, p10] < v[0, med] < v[0, p90]  # the shoulders dip: the body line bends
    # no pose at all: the reference plank (0), never NaN
    empty = span_values(SIGNAL_INPUTS, _stick_pushup(40, unseen=tuple(range(33))), [(0, 40)])
    assert np.isfinite(empty).all()
    both = span_values(FORM_INPUTS + SIGNAL_INPUTS, seq, spans)
    np.testing.assert_allclose(both[:, 19:], v, atol=1e-6)
    with pytest.raises(DataError, match="mediapipe33"):
        span_values(SIGNAL_INPUTS, PoseSequence.from_array(np.zeros((40, 13, 2)), PENN_13,
                                                           fps=30.0), [(0, 40)])  # fmt: skip


def test_training_samples_carry_the_signal_statistics_analysis_computes(tmp_path):
    """Samples cut for training hold the same 3-D signal statistics that analysis computes
    for the same span (span_values), and they follow subset / concat."""
    from helpers.toy_pose import write_indexed
    from repcoach.data.samples import SampleOptions, Samples, load_samples
    from repcoach.data.scorer_inputs import SIGNAL_INPUTS
    from repcoach.io.pose_csv import read_pose_csv

    data = write_indexed(tmp_path / "d", n_subjects=2, n_reps=3)
    s = load_samples(data, SampleOptions(clip_mode="whole", progress=False))
    assert s.signal_stats is not None and s.signal_stats.shape == (len(s), 21)
    v = samples_values(SIGNAL_INPUTS, s)
    np.testing.assert_array_equal(samples_values(SIGNAL_INPUTS, s.subset([1, 0])), v[[1, 0]])
    both = Samples.concat([s.subset([0]), s.subset([1])], s.seq_len, s.n_features)
    np.testing.assert_array_equal(both.signal_stats, s.signal_stats[:2])
    seq = read_pose_csv(data / s.clip_id[0])
    np.testing.assert_allclose(span_values(SIGNAL_INPUTS, seq, [(s.start[0], s.end[0])])[0],
                               v[0], atol=1e-5)  # fmt: skip
