"""A tempo-aware scorer beats a tempo-blind one when the score depends on tempo.

Generated repetitions whose time-normalised motion is the same whatever their speed (so the
30-frame input says nothing about tempo); each person has an own normal pace (0.6-0.9 s, the
generator's high-knees range) and a rushed repetition is up to 45 % shorter and scores lower,
as in :mod:`repcoach.synth.form`. Durations come from the recordings' frame timestamps, through
the same code as training (:func:`repcoach.data.scorer_inputs.span_durations`).
"""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.data.scorer_inputs import DURATION_INPUTS, duration_values, span_durations
from repcoach.models.scorer import CorrectnessScorer
from repcoach.skeleton import PENN_13
from repcoach.types import PoseSequence

FPS = 30.0


def tempo_data(n_clips: int, seed: int):
    """``(x, scores, durations, clip ids)``: ``n_clips`` recordings of 6 repetitions each."""
    rng = np.random.default_rng(seed)
    xs, scores, durs, clips = [], [], [], []
    t = np.linspace(0, 1, 30)
    for c in range(n_clips):
        normal = rng.uniform(0.6, 0.9)
        sev = np.where(rng.random(6) < 0.5, 0.0, rng.uniform(0.4, 1.0, 6))
        frames = np.maximum(2, np.round(normal * (1 - 0.45 * sev) * FPS)).astype(int)
        # one recording: the repetitions back to back on a 30 FPS clock
        seq = PoseSequence.from_array(np.zeros((int(frames.sum()) + 1, 13, 2)), PENN_13, FPS)
        ends = np.cumsum(frames)
        spans = [(int(e - f), int(e)) for e, f in zip(ends, frames, strict=True)]
        durs.append(span_durations(seq, spans))
        amp = rng.uniform(0.8, 1.2)
        for _ in spans:  # time-normalised motion: identical shape at any tempo
            x = np.stack([amp * np.sin(2 * np.pi * t), amp * np.cos(2 * np.pi * t),
                          np.full(30, amp)], axis=1)  # fmt: skip
            xs.append(x + rng.normal(0, 0.05, x.shape))
        scores.append(1.0 - 0.5 * sev)
        clips += [f"clip{c}"] * len(spans)
    return (np.asarray(xs, np.float32), np.concatenate(scores).astype(np.float32),
            np.concatenate(durs), np.asarray(clips, dtype=object))  # fmt: skip


def _fit_mae(extra_inputs, train, test) -> float:
    (xtr, str_, dtr, ctr), (xte, ste, dte, cte) = train, test
    scorer = CorrectnessScorer(lstm_units=4, dense_units=(8,), dropout=0.0, epochs=40,
                               batch_size=32, patience=40, learning_rate=1e-2, seed=0,
                               extra_inputs=extra_inputs)  # fmt: skip
    etr = duration_values(extra_inputs, dtr, ctr) if extra_inputs else None
    ete = duration_values(extra_inputs, dte, cte) if extra_inputs else None
    scorer.fit(xtr, str_, extra=etr)
    pred = scorer.predict(xte, ete)
    if extra_inputs:
        assert scorer.model_.input_shape[1:] == (30, 3 + len(extra_inputs))
    return float(np.mean(np.abs(pred - ste)))


@pytest.mark.slow
def test_tempo_aware_scorer_beats_tempo_blind():
    train, test = tempo_data(20, seed=0), tempo_data(10, seed=1)  # different people
    base = float(np.mean(np.abs(test[1] - np.median(train[1]))))
    blind = _fit_mae((), train, test)
    aware = _fit_mae(DURATION_INPUTS, train, test)
    # blind can only learn the average; the durations carry the score
    assert blind > 0.7 * base, (blind, base)
    assert aware < 0.6 * blind, (aware, blind)
    assert aware < 0.1, aware
