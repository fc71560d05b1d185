"""Generated thermal clips: file layout, temperatures, warming, preview video."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from repcoach.synth.thermal import ThermalSynthOptions, render_thermal, write_thermal
from repcoach.thermal.io import read_thermal


def _standin_cls():
    """The stand-in recording from tests/thermal/conftest.py (loaded by path)."""
    name = "repcoach_tests_thermal_standin"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "thermal" / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name].StandIn


def test_write_thermal_layout_and_values(tmp_path):
    rec = _standin_cls()("JJ", n_reps=3)
    rec_dir = tmp_path / "ada-lovelace" / "JJ"
    p = write_thermal(rec, "ada-lovelace", "JJ", rec_dir, np.random.default_rng(0), preview=True)
    assert p == rec_dir / "thermal" / "ada-lovelaceJJ-thermal.npz"
    clip = read_thermal(p)
    assert clip.frames.shape[1:] == (120, 160) and clip.unit == "celsius"
    fps = 1 / np.median(np.diff(clip.timestamps))
    assert abs(fps - 8.7) < 1e-6
    assert clip.n_frames == len(np.arange(0, rec.duration_s, 1 / 8.7))
    f = clip.frames
    assert 20.0 < np.median(f) < 26.5  # room
    assert 32.0 < np.percentile(f, 99.9) < 36.5  # skin
    assert p.with_suffix(".mp4").stat().st_size > 1000


def test_body_warms_over_the_set_and_noise_is_there():
    rec = _standin_cls()("JJ", n_reps=6)
    t = np.arange(0, rec.duration_s, 1 / 8.7)
    opt = ThermalSynthOptions(warming_c=1.2, noise_c=0.1)
    frames, masks = render_thermal(rec.landmarks_world(t), t, np.random.default_rng(1), opt)
    body = np.array([f[m].mean() for f, m in zip(frames, masks, strict=True)])
    k = len(body) // 4
    assert body[-k:].mean() - body[:k].mean() > 0.5
    bg = np.array([f[~m].mean() for f, m in zip(frames, masks, strict=True)])
    assert abs(bg[-k:].mean() - bg[:k].mean()) < 0.2
    # sensor noise: a static background pixel flickers by about noise_c
    assert 0.05 < frames[:, 5, 5].std() < 0.3
    assert masks.any(axis=(1, 2)).all()


def test_real_generator_gei_separates_exercises():
    """With the generator's own Recording: silhouettes match the rendered masks and each
    exercise's GEI is closer to the same exercise by another participant than to any other."""
    import pytest

    rec_mod = pytest.importorskip("repcoach.synth.recording")
    from repcoach.synth.thermal import synth_thermal_clip
    from repcoach.thermal.gei import gei, gei_distance
    from repcoach.thermal.silhouette import iou, segment_clip
    from repcoach.types import Participant

    rng = np.random.default_rng(0)
    people = [Participant("P001", "ada-lovelace", 30, 165, 60, 7, False, True),
              Participant("P002", "alan-turing", 40, 185, 85, 6, True, False)]  # fmt: skip
    g = {}
    for p in people:
        for ex in ("JJ", "SU", "SE", "HK"):
            clip, truth = synth_thermal_clip(rec_mod.simulate(p, ex, rng, n_reps=3), rng)
            pred = segment_clip(clip)
            assert np.mean([iou(a, b) for a, b in zip(pred, truth, strict=True)]) > 0.75
            g[(p.name, ex)] = gei(clip)
    for ex in ("JJ", "SU", "SE", "HK"):
        same = gei_distance(g[("ada-lovelace", ex)], g[("alan-turing", ex)])
        other = min(gei_distance(g[("ada-lovelace", ex)], g[("alan-turing", o)])
                    for o in ("JJ", "SU", "SE", "HK") if o != ex)  # fmt: skip
        assert other > same, (ex, same, other)
