"""Shared fixtures: where the real data lives, and whether its absence skips or fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("REPCOACH_REALDATA", ROOT.parent / "shared" / "realdata"))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def realdata_path(*parts: str) -> Path:
    """Path under the real-data folder; skip (or fail in CI) when it is missing."""
    p = REALDATA.joinpath(*parts)
    if not p.exists():
        msg = f"real data not found at {p} (set REPCOACH_REALDATA to its folder)"
        if os.environ.get("REPCOACH_REQUIRE_REALDATA") == "1":
            pytest.fail(msg + "; REPCOACH_REQUIRE_REALDATA=1 makes this an error")
        pytest.skip(msg)
    return p


@pytest.fixture
def realdata():
    """Callable fixture: ``realdata("penn_action_exercise")`` -> Path (skips when absent)."""
    return realdata_path


@pytest.fixture
def scorer_inputs_seen(monkeypatch):
    """A list that collects every input batch the TFLite scorers get during the test."""
    import numpy as np

    from repcoach.deploy.runtime import TFLiteModel

    seen: list = []
    predict = TFLiteModel.predict

    def spy(self, x):
        if self.path.parent.name == "scorers":
            seen.append(np.asarray(x))
        return predict(self, x)

    monkeypatch.setattr(TFLiteModel, "predict", spy)
    return seen
