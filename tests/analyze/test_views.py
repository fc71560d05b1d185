"""Two-view analysis (frontal + side): common clock, segmented view, late fusion, scoring."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from helpers.tiny_model_dir import CLASSES, exported_copy
from repcoach.analyze import Analyzer, AnalyzerOptions
from repcoach.errors import DataError
from repcoach.io.pose_csv import read_pose_csv
from repcoach.types import PoseSequence, Repetition


@pytest.fixture(scope="module")
def views():
    """A generated sit-up session seen by both cameras (the side view moves more)."""
    from repcoach.synth.generate import generate_recording, participants_for_seed

    p = participants_for_seed(1, 11)[0]
    gen = generate_recording(p, 0, "SU", 11, n_reps=5)
    return gen.views["frontal"], gen.views["side"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return exported_copy(tmp_path_factory.mktemp("v") / "model")


SPANS = [(30, 90), (90, 150), (150, 210)]


def fixed(seq: PoseSequence) -> list[Repetition]:
    return [Repetition(s, e) for s, e in SPANS]


def test_fusion_is_weighted_mean_of_views(tiny, views):
    f, s = views
    an = Analyzer(tiny, options=AnalyzerOptions(segmenter=fixed, view_weights=(1, 3)))
    res = an.analyze_views(f, s)
    assert res.rep_count == 3 and [(r.start, r.end) for r in res.repetitions] == SPANS
    pf = an.models.classifier.predict(an.model_inputs(f, SPANS))
    ps = an.models.classifier.predict(an.model_inputs(s, SPANS))
    fused = 0.25 * pf + 0.75 * ps
    np.testing.assert_allclose([r.probability for r in res.repetitions], fused.max(-1), atol=1e-6)
    assert [r.label for r in res.repetitions] == [CLASSES[i] for i in fused.argmax(-1)]
    vp = res.extra["view_probabilities"]
    np.testing.assert_allclose([[d[c] for c in CLASSES] for d in vp["frontal"]], pf, atol=1e-5)
    np.testing.assert_allclose([[d[c] for c in CLASSES] for d in vp["side"]], ps, atol=1e-5)
    # scores: the same weighted mean of the two views' scorer outputs
    sf, ss = res.extra["view_scores"]["frontal"], res.extra["view_scores"]["side"]
    np.testing.assert_allclose([r.score for r in res.repetitions],
                               0.25 * np.array(sf) + 0.75 * np.array(ss), atol=1e-6)
    v = res.extra["views"]
    assert v["weights"] == {"frontal": 0.25, "side": 0.75} and v["score"] == "mean"
    assert v["stronger"] == "side" == v["segmented_on"]  # sit-ups move more seen from the side
    assert v["motion_strength"]["side"] > v["motion_strength"]["frontal"]
    assert v["common_frames"] == f.n_frames and "reweighted_spans" not in v
    json.dumps(res.to_dict())  # JSON-serialisable as written by --json


def test_segment_view_and_stronger_score(tiny, views):
    f, s = views
    seen = []

    def spy(seq):
        seen.append(seq)
        return fixed(seq)

    opts = AnalyzerOptions(segmenter=spy, segment_view="frontal", view_score="stronger")
    res = Analyzer(tiny, options=opts).analyze_views(f, s)
    assert res.extra["views"]["segmented_on"] == "frontal"
    np.testing.assert_allclose(seen[0].coords, f.coords, atol=1e-6, equal_nan=True)
    # score = the stronger (side) view's scorer output alone
    assert [r.score for r in res.repetitions] == pytest.approx(res.extra["view_scores"]["side"])
    with pytest.raises(ValueError, match="view_weights"):
        AnalyzerOptions(view_weights=(0, 0))
    with pytest.raises(ValueError, match="segment_view"):
        AnalyzerOptions(segment_view="top")
    with pytest.raises(ValueError, match="view_score"):
        AnalyzerOptions(view_score="max")


def test_view_without_pose_gets_no_weight(tiny, views):
    f, s = views
    det = s.detected.copy()
    det[90:150] = False  # side camera loses the person during the second repetition
    coords = s.coords.copy()
    coords[~det] = np.nan
    s_gap = replace(s, detected=det, coords=coords, visibility=np.where(det[:, None],
                                                                          s.visibility, 0.0))
    an = Analyzer(tiny, options=AnalyzerOptions(segmenter=fixed))
    res = an.analyze_views(f, s_gap)
    assert res.extra["views"]["reweighted_spans"] == {1: {"frontal": 1.0, "side": 0.0}}
    pf = an.models.classifier.predict(an.model_inputs(f, SPANS[1:2]))[0]
    assert res.repetitions[1].probability == pytest.approx(float(pf.max()), abs=1e-6)
    assert res.repetitions[1].score == pytest.approx(res.extra["view_scores"]["frontal"][1])


def test_no_overlap_and_window_fallback(tiny, views):
    f, s = views
    an = Analyzer(tiny, options=AnalyzerOptions(segmenter=lambda seq: []))
    with pytest.raises(DataError, match="do not overlap"):
        an.analyze_views(f, s, side_offset_s=1000.0)
    res = an.analyze_views(f, s)
    assert res.rep_count == 0 and res.extra["segmentation"] == "windows"
    n_win = len(res.extra["windows"])
    assert len(res.extra["view_probabilities"]["side"]) == n_win == sum(res.votes.values())


# ------------------------------------------------------------------ trained model (slow)
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Generated JJ + SU data of 4 participants and a small model trained on both views."""
    from repcoach.data.samples import SampleOptions
    from repcoach.deploy.export import export_model_dir
    from repcoach.models.train import TrainOptions, train_model_dir
    from repcoach.synth import generate_dataset

    root = tmp_path_factory.mktemp("views")
    data, model = root / "data", root / "model"
    generate_dataset(data, n_participants=4, seed=5, exercises=["JJ", "SU"], reps=(6, 9),
                     progress=False)
    train_model_dir(
        data, model, SampleOptions(view="both", progress=False),
        TrainOptions(quick=True, epochs=15, batch_size=8, learning_rate=3e-3, verbose=0,
                     augment=False, seed=0),
    )
    export_model_dir(model, quantize=("int8",))
    cfg = json.loads((model / "config.json").read_text())
    test_people = [g.split(":", 1)[-1] for g in cfg["split"]["groups"]["test"]]
    trained_people = [g.split(":", 1)[-1] for g in cfg["split"]["groups"]["train"]]
    assert test_people and not set(test_people) & set(trained_people)
    return data, model, test_people[0]


def _session(data: Path, person: str, code: str) -> tuple[PoseSequence, PoseSequence]:
    d = data / person / code
    return (read_pose_csv(next((d / "frontal").glob("*-frontal.csv"))),
            read_pose_csv(next((d / "side").glob("*-side.csv"))))


@pytest.mark.slow
def test_two_views_held_out_participant(trained):
    import pandas as pd

    from repcoach.io.ejust import EXERCISES

    data, model, person = trained
    ann = pd.read_csv(data / "annotations.csv")
    an = Analyzer(model, options=AnalyzerOptions(view_weights=(0.4, 0.6)))
    segmented = {}
    for code in ("JJ", "SU"):
        f, s = _session(data, person, code)
        res = an.analyze_views(f, s)
        true_n = int(((ann.participant == person) & (ann.exercise == code)).sum())
        assert res.exercise == EXERCISES[code], (code, res.votes, res.confidence)
        assert abs(res.rep_count - true_n) <= 1, (code, res.rep_count, true_n)
        assert all(0 <= r.score <= 1 for r in res.repetitions)
        segmented[code] = res.extra["views"]["segmented_on"]
        vp = res.extra["view_probabilities"]
        pf = np.array([[d[c] for c in an.models.classes] for d in vp["frontal"]])
        ps = np.array([[d[c] for c in an.models.classes] for d in vp["side"]])
        fused = 0.4 * pf + 0.6 * ps
        np.testing.assert_allclose([r.probability for r in res.repetitions], fused.max(-1),
                                   atol=1e-5)
        assert [r.label for r in res.repetitions] == [an.models.classes[i]
                                                      for i in fused.argmax(-1)]
    # jumping jacks are widest seen from the front, sit-ups from the side
    assert segmented == {"JJ": "frontal", "SU": "side"}


@pytest.mark.slow
def test_side_view_with_known_offset_is_aligned(trained):
    """The side camera started 0.4 s (12 frames) later: with ``side_offset_s=0.4`` the
    repetitions and the side view's probabilities match the synchronised session's."""
    data, model, person = trained
    f, s = _session(data, person, "SU")
    late = PoseSequence(s.coords[12:], s.timestamps[12:] - s.timestamps[12], s.layout,
                        s.visibility[12:], s.detected[12:], source=s.source)
    an = Analyzer(model)
    ref = an.analyze_views(f, s)
    res = an.analyze_views(f, late, side_offset_s=0.4)
    assert res.extra["views"]["common_start_s"] == pytest.approx(0.4)
    ref_times = {round(r.start_s, 3): i for i, r in enumerate(ref.repetitions)}
    matched = 0
    for j, r in enumerate(res.repetitions):
        i = ref_times.get(round(r.start_s, 3))
        if i is None:
            continue
        matched += 1
        assert r.end_s == pytest.approx(ref.repetitions[i].end_s, abs=1e-6)
        a = res.extra["view_probabilities"]["side"][j]
        b = ref.extra["view_probabilities"]["side"][i]
        assert a == pytest.approx(b, abs=1e-4)
    assert matched >= ref.rep_count - 1, (matched, ref.rep_count)
    # without the offset the side view is 12 frames off and the repetitions (segmented on the
    # side view for sit-ups) come out 0.4 s early on the frontal clock
    bad = an.analyze_views(f, late)
    assert bad.extra["views"]["common_start_s"] == pytest.approx(0.0)
    bad_hits = sum(round(r.start_s, 3) in ref_times for r in bad.repetitions)
    early = sum(round(r.start_s + 0.4, 3) in ref_times for r in bad.repetitions)
    assert bad_hits <= 1 and early >= ref.rep_count - 1, (bad_hits, early)


def test_cli_two_views_json(tiny, views, tmp_path):
    from typer.testing import CliRunner

    from repcoach.cli import app
    from repcoach.io.pose_csv import write_pose_csv

    f, s = views
    fc, sc = tmp_path / "x-frontal.csv", tmp_path / "x-side.csv"
    write_pose_csv(f, fc)
    write_pose_csv(s, sc)
    out = tmp_path / "a.json"
    args = ["analyze", str(fc), "--side", str(sc), "--model", str(tiny), "--json", str(out),
            "--side-weight", "0.8", "--view-score", "stronger"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    assert d["views"]["weights"] == {"frontal": pytest.approx(0.2), "side": pytest.approx(0.8)}
    assert d["views"]["score"] == "stronger" and d["views"]["segmented_on"] in ("frontal", "side")
    assert d["views"]["sources"] == {"frontal": str(fc), "side": str(sc)}
    assert d["source"] == str(fc) and "two views: segmented on the" in res.output
    n = d["rep_count"] if d["rep_count"] else len(d["windows"])
    assert len(d["view_probabilities"]["frontal"]) == n
    res = CliRunner().invoke(app, args[:-2] + ["--segment-view", "top"])
    assert res.exit_code != 0 and "stronger, frontal or side" in res.output
