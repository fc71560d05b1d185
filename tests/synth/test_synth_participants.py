"""Generated participants match the paper's Table I and have valid, unique names."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.io.ejust import is_participant_name
from repcoach.io.metadata import load_participants, write_participants
from repcoach.synth.participants import TABLE_I, sample_participants


def test_table_one_ranges_means_and_rates():
    people = sample_participants(500, np.random.default_rng(0))
    tol = {"height_cm": 1.0, "weight_kg": 1.5, "sleep_h": 0.2, "age": 0.4}
    for col, (lo, mean, hi) in TABLE_I.items():
        v = np.array([getattr(p, col) for p in people], float)
        assert v.min() >= lo and v.max() <= hi, col
        assert v.mean() == pytest.approx(mean, abs=tol[col]), col
        assert v.std() > 0.1 * (hi - lo) / 4, col  # spread, not a constant
    assert np.mean([p.smoker for p in people]) == pytest.approx(0.143, abs=0.05)
    assert np.mean([p.healthy_eater for p in people]) == pytest.approx(0.455, abs=0.07)
    # Most participants are young undergraduates (right-skewed age).
    ages = np.array([p.age for p in people])
    assert np.median(ages) <= 20


def test_names_ids_and_round_trip(tmp_path):
    people = sample_participants(300, np.random.default_rng(1))
    assert len({p.name for p in people}) == 300
    assert all(is_participant_name(p.name) for p in people)
    assert [p.participant_id for p in people[:3]] == ["P001", "P002", "P003"]
    write_participants(people[:20], tmp_path / "participants.csv")
    back = load_participants(tmp_path / "participants.csv")
    assert back.names == [p.name for p in people[:20]]
    assert [p.age for p in back] == [p.age for p in people[:20]]


def test_same_rng_same_people_and_bad_n():
    a = sample_participants(10, np.random.default_rng(3))
    b = sample_participants(10, np.random.default_rng(3))
    c = sample_participants(10, np.random.default_rng(4))
    assert a == b and a != c
    with pytest.raises(ValueError):
        sample_participants(0, np.random.default_rng(0))
