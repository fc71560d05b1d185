"""Reference fitting, cue ranking and text, save / reload."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.feedback import Cue, FeedbackModel
from repcoach.feedback.model import (
    FORMAT_VERSION,
    ExerciseReference,
    FaultRule,
    default_rules,
    fit_reference,
    learn_rules,
    main_faults,
)


def _ref() -> ExerciseReference:
    ref = ExerciseReference(
        "squat", {"v.knee_l.range": (90.0, 3.0), "v.knee.lr_range": (0.0, 2.0),
                  "tempo": (0.0, 0.03), "duration": (1.1, 0.1)},
        {"v.knee_l": ([100.0] * 8, [1.0] * 8)})
    ref.rules = {
        "rom": FaultRule("rom", [("v.knee_l.range", "-")], 3.0, slope=0.02, intercept=0.0),
        "asymmetry": FaultRule("asymmetry", [("v.knee.lr_range", "abs")], 3.0, 0.01, 0.0),
        "tempo": FaultRule("tempo", [("tempo", "-")], 3.0, 0.005, 0.0),
    }
    return ref


def test_reference_median_and_robust_spread():
    rng = np.random.default_rng(0)
    good = [{"v.knee_l.range": 90 + rng.normal(0, 3), "tempo": rng.normal(0, 0.03)}
            for _ in range(200)]
    ref = fit_reference("squat", good, [{"v.knee_l": np.full(8, 100.0) + rng.normal(0, 1, 8)}
                                        for _ in range(200)])
    np.testing.assert_allclose(ref.curves["v.knee_l"][0], 100.0, atol=0.3)
    np.testing.assert_allclose(ref.curves["v.knee_l"][1], 1.0, atol=0.2)
    med, sc = ref.features["v.knee_l.range"]
    assert med == pytest.approx(90, abs=1.0) and sc == pytest.approx(3, rel=0.2)
    assert ref.z({"v.knee_l.range": med - 10 * sc})["v.knee_l.range"] == pytest.approx(-10)
    assert ref.z({})["tempo"] == 0.0  # unknown -> no deviation
    with pytest.raises(DataError):
        fit_reference("squat", [])


def test_cues_ranked_by_explained_score_at_most_two():
    model = FeedbackModel({"squat": _ref()})
    med = {k: m for k, (m, _) in model.exercises["squat"].features.items()}
    good = dict(med)
    assert model.cues("squat", good) == []
    bad = dict(med)
    bad["v.knee_l.range"] -= 30  # z ~ -10: explains ~0.2
    bad["v.knee.lr_range"] = 30  # z ~ 15: explains ~0.15
    bad["tempo"] = np.log(0.6 / 1.1)  # z ~ -20: explains ~0.1
    bad["duration"] = 0.6
    cues = model.cues("squat", bad)
    assert [c.fault for c in cues] == ["rom", "asymmetry"]
    assert all(isinstance(c, Cue) for c in cues)
    assert cues[0].explains > cues[1].explains
    assert "left knee" in cues[0].text and "less range" in cues[0].text
    assert cues[1].body_part == "right knee" and "less than the right" not in cues[1].text
    only_tempo = dict(med, tempo=np.log(0.6 / 1.1), duration=0.6)
    (t,) = model.cues("squat", only_tempo)
    assert t.text == "rushed: 0.6 s against 1.1 s" and t.fault == "tempo"


def test_save_reload_gives_the_same_cues(tmp_path):
    model = FeedbackModel({"squat": _ref()}, meta={"note": "x"})
    p = model.save(tmp_path / "feedback.json")
    back = FeedbackModel.load(p)
    med = {k: m for k, (m, _) in model.exercises["squat"].features.items()}
    bad = dict(med)
    bad["v.knee_l.range"] -= 30
    curves = {"v.knee_l": np.full(8, 100.0)}
    assert back.cues("squat", bad, curves) == model.cues("squat", bad, curves)
    assert back.meta == {"note": "x"}
    (tmp_path / "bad.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(DataError, match="not a feedback reference"):
        FeedbackModel.load(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text(json.dumps(
        {"format": "repcoach-feedback", "version": FORMAT_VERSION, "exercises": {"a": 1}}))
    with pytest.raises(DataError, match="malformed"):
        FeedbackModel.load(tmp_path / "broken.json")
    with pytest.raises(DataError):
        model.cues("lunge", bad)


def test_main_fault_uses_weighted_deviation_and_threshold():
    sev = np.array([[0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.7, 0.0], [0.02, 0.0, 0.0, 0.9],
                    [0.1, 0.0, 0.0, 0.2]])
    # 0.45*0.5=0.225 < 0.35*0.7=0.245; tempo 0.2*0.9=0.18; last: all below 0.06
    assert main_faults(sev).tolist() == ["", "posture", "tempo", ""]


def test_default_rules_map_feature_families():
    rules = default_rules(["tempo", "v.knee.lr_range", "v.knee_l.range", "v.trunk.max"])
    assert {k: [w[0] for w in r.witnesses] for k, r in rules.items()} == {
        "rom": ["v.knee_l.range"], "asymmetry": ["v.knee.lr_range"],
        "posture": ["v.trunk.max"], "tempo": ["tempo"]}


def _coupled(n: int, rng: np.random.Generator) -> tuple[list[dict], np.ndarray]:
    """Reps where a rom fault shrinks both the knee range and the trunk rotation (as in the
    steam engine), and posture shrinks the rotation only."""
    sev = np.zeros((n, 4))
    which = rng.integers(0, 3, n)  # 0 none, 1 rom, 2 posture
    sev[which == 1, 0] = rng.uniform(0.4, 1.0, (which == 1).sum())
    sev[which == 2, 2] = rng.uniform(0.4, 1.0, (which == 2).sum())
    knee = 100 * (1 - 0.5 * sev[:, 0]) + rng.normal(0, 2, n)
    rot = 40 * (1 - 0.5 * sev[:, 0]) * (1 - 0.9 * sev[:, 2]) + rng.normal(0, 1, n)
    return [{"v.knee_l.range": k, "v.twist.range": r} for k, r in zip(knee, rot, strict=True)], sev


def test_explaining_away_keeps_posture_quiet_when_rom_explains_the_rotation():
    rng = np.random.default_rng(0)
    feats, sev = _coupled(600, rng)
    good = main_faults(sev) == ""
    ref = fit_reference("se", [f for f, g in zip(feats, good, strict=True) if g])
    plain = learn_rules(ref, feats, sev, n_witness=1, explain_away=False)
    ref.rules = learn_rules(ref, feats, sev, n_witness=1)  # each rule sees one feature
    assert ref.rules["posture"].explained_by.get("rom", 0.0) < 0
    assert all(w <= 0 for r in ref.rules.values() for w in r.explained_by.values())
    test, tsev = _coupled(600, np.random.default_rng(1))
    rom_only = (tsev[:, 0] > 0.6) & (tsev[:, 2] == 0)
    with_ea = FeedbackModel({"se": ref})
    without = FeedbackModel({"se": replace(ref, rules=plain)})

    def posture_cued(m: FeedbackModel) -> float:
        return float(np.mean([any(c.fault == "posture" for c in m.cues("se", test[i]))
                              for i in np.flatnonzero(rom_only)]))

    assert posture_cued(with_ea) < 0.1 < posture_cued(without)
    posture = tsev[:, 2] > 0.5
    assert np.mean([any(c.fault == "posture" for c in with_ea.cues("se", test[i]))
                    for i in np.flatnonzero(posture)]) > 0.9


def test_explained_by_survives_save_and_reload(tmp_path):
    ref = _ref()
    ref.rules["asymmetry"].explained_by = {"rom": -0.5}
    model = FeedbackModel({"squat": ref})
    back = FeedbackModel.load(model.save(tmp_path / "f.json"))
    assert back.exercises["squat"].rules["asymmetry"].explained_by == {"rom": -0.5}
    med = {k: m for k, (m, _) in ref.features.items()}
    bad = dict(med, **{"v.knee_l.range": med["v.knee_l.range"] - 30, "v.knee.lr_range": 8.0})
    # asymmetry alone: z = 4 >= 3; with rom's score (10) explaining half of it away: 4 - 5 < 3
    assert back.fault_scores("squat", bad)["asymmetry"] == pytest.approx(4 - 0.5 * 10)
    assert [c.fault for c in back.cues("squat", bad)] == ["rom"]


def test_forward_selection_adds_the_explaining_feature_and_stops_at_noise():
    rng = np.random.default_rng(2)
    feats, sev = _coupled(600, rng)
    for f in feats:  # individually uninformative noise features
        f.update({f"v.noise{i}.range": rng.normal() for i in range(5)})
    good = main_faults(sev) == ""
    ref = fit_reference("se", [f for f, g in zip(feats, good, strict=True) if g])
    fwd = learn_rules(ref, feats, sev, n_witness=3, explain_away=False)
    # posture: the rotation, then the knee range that tells a rom rep's smaller rotation apart
    assert [w for w, _ in fwd["posture"].witnesses] == ["v.twist.range", "v.knee_l.range"]
    assert fwd["posture"].witnesses[0][1] == "-" and fwd["posture"].witnesses[1][1] == "+"
    assert not any("noise" in w for r in fwd.values() for w, _ in r.witnesses)
    by_auc = learn_rules(ref, feats, sev, n_witness=3, explain_away=False, select="auc")
    assert len(by_auc["posture"].witnesses) == 3


def test_two_faults_with_the_same_top_witness_get_different_texts():
    ref = _ref()
    ref.rules["asymmetry"] = FaultRule(
        "asymmetry", [("v.knee_l.range", "-"), ("v.knee.lr_range", "abs")], 3.0, 0.01, 0.0,
        weights=[1.0, 0.5])
    model = FeedbackModel({"squat": ref})
    med = {k: m for k, (m, _) in ref.features.items()}
    bad = dict(med, **{"v.knee_l.range": med["v.knee_l.range"] - 30, "v.knee.lr_range": 8.0})
    cues = model.cues("squat", bad)
    assert [c.fault for c in cues] == ["rom", "asymmetry"]  # the faults named are unchanged
    assert [c.feature for c in cues] == ["v.knee_l.range", "v.knee.lr_range"]
    assert cues[0].text != cues[1].text
