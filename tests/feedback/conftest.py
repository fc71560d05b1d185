"""A small generated dataset shared by the feedback tests (generated once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def small_synth(tmp_path_factory):
    from repcoach.synth import generate_dataset

    root = tmp_path_factory.mktemp("fbsynth")
    generate_dataset(root, n_participants=8, seed=3, exercises=["JJ"], reps=(10, 12),
                     progress=False)
    return root


@pytest.fixture(scope="session")
def small_table(small_synth):
    from repcoach.feedback.dataset import load_synth_reps

    return load_synth_reps(small_synth)
