"""Clip analysis: vote, confidence, scorer selection, cues, window fallback, file loading."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.tiny_model_dir import CLASSES, exported_copy
from repcoach.analyze import Analyzer, AnalyzerOptions, analyze_file, vote
from repcoach.errors import DataError
from repcoach.io.pose_csv import read_pose_csv, write_pose_csv
from repcoach.segment.windows import window_spans
from repcoach.skeleton import MEDIAPIPE_33, PENN_13
from repcoach.types import PoseSequence, Repetition


def moving_body(seconds: float = 8.0, fps: float = 30.0, rate_hz: float = 0.5, seed: int = 0):
    """A MediaPipe-33 body in image coordinates whose arms swing at ``rate_hz``."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    t = np.arange(n) / fps
    base = np.zeros((33, 3), np.float32)
    base[:, 0] = 0.5 + rng.normal(0, 0.05, 33)
    base[:, 1] = np.linspace(0.2, 0.9, 33)
    base[[23, 24], 1] = 0.6  # hips
    base[[11, 12], 1] = 0.35  # shoulders
    base[23, 0], base[24, 0], base[11, 0], base[12, 0] = 0.45, 0.55, 0.42, 0.58
    coords = np.repeat(base[None], n, axis=0)
    swing = 0.15 * np.sin(2 * np.pi * rate_hz * t)
    for j in (13, 14, 15, 16):  # elbows, wrists
        coords[:, j, 1] += swing.astype(np.float32)
    coords += rng.normal(0, 0.002, coords.shape).astype(np.float32)
    return PoseSequence.from_array(coords, MEDIAPIPE_33, fps=fps, source="body.csv")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return exported_copy(tmp_path_factory.mktemp("a") / "model")


SPANS = [(0, 60), (60, 120), (120, 180), (180, 240)]


def fixed_segmenter(seq):
    return [Repetition(s, e) for s, e in SPANS if e <= seq.n_frames]


def test_vote_majority_ties_and_abstention():
    classes = ["a", "b", "c"]
    p = np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.2, 0.8, 0.0]])
    assert vote(p, classes) == ("a", pytest.approx(0.75), {"a": 2, "b": 1})
    # tie 1-1: the higher summed probability wins (b: 0.1 + 0.95 > a: 0.55 + 0.05)
    tie = np.array([[0.55, 0.45, 0.0], [0.05, 0.95, 0.0]])
    ex, conf, votes = vote(tie, classes)
    assert ex == "b" and conf == pytest.approx(0.95) and votes == {"b": 1, "a": 1}
    # reps under min_probability abstain
    ex, _, votes = vote(p, classes, min_probability=0.7)
    assert votes == {"a": 1, "b": 1} and ex == "a"  # tie: a 0.9+0.2 vs b 0.1+0.8
    assert vote(np.zeros((0, 3)), classes) == (None, 0.0, {})


def test_analyze_reps_vote_scores_and_cues(model_dir):
    seq = moving_body()
    an = Analyzer(model_dir, options=AnalyzerOptions(segmenter=fixed_segmenter))
    res = an.analyze(seq)
    assert res.rep_count == 4 and sum(res.votes.values()) == 4
    assert res.exercise in CLASSES and res.exercise == max(
        res.votes, key=lambda k: (res.votes[k], k == res.exercise))
    x = an.model_inputs(seq, SPANS)
    probs = an.models.classifier.predict(x)
    want_labels = [CLASSES[i] for i in probs.argmax(-1)]
    assert [r.label for r in res.repetitions] == want_labels
    voted = [r.probability for r in res.repetitions if r.label == res.exercise]
    assert res.confidence == pytest.approx(np.mean(voted), abs=1e-6)
    # scorer selected by the clip's vote, for every repetition
    want_scores = an.models.scorers[res.exercise].predict(x)[:, 0]
    np.testing.assert_allclose([r.score for r in res.repetitions], want_scores, atol=1e-6)
    for r, (s, e) in zip(res.repetitions, SPANS, strict=True):
        assert (r.start, r.end) == (s, e)
        assert r.start_s == pytest.approx(s / 30) and r.end_s == pytest.approx(e / 30)
        assert r.cues[0] in ("good form", "check form", "poor form")
        assert ("good form" in r.cues) == (r.score >= 0.7)
    d = res.to_dict()
    assert d["segmentation"] == "repetitions" and d["precision"] == "int8"
    assert d["scorer_selection"] == "clip" and d["rep_count"] == 4
    assert set(d["repetitions"][0]) >= {"start_s", "end_s", "label", "probability", "score"}


def test_rep_scorer_selection_and_precision(model_dir):
    seq = moving_body()
    opts = AnalyzerOptions(segmenter=fixed_segmenter, scorer_label="rep", precision="fp32")
    an = Analyzer.create_from_options(AnalyzerOptions(model_dir=model_dir, **{
        k: getattr(opts, k) for k in ("segmenter", "scorer_label", "precision")}))
    res = an.analyze(seq)
    x = an.model_inputs(seq, SPANS)
    for i, r in enumerate(res.repetitions):
        assert r.score == pytest.approx(float(an.models.scorers[r.label].predict(x[i])[0, 0]),
                                        abs=1e-6)
    assert res.extra["precision"] == "fp32"


def test_given_exercise_skips_the_classifier_and_picks_its_scorer(model_dir, monkeypatch):
    from repcoach.deploy.runtime import TFLiteModel

    seq = moving_body()
    given = CLASSES[-1]
    an = Analyzer(model_dir, options=AnalyzerOptions(segmenter=fixed_segmenter, exercise=given))
    clf_path = an.models.classifier.path
    predict = TFLiteModel.predict

    def no_classifier(self, x):
        assert self.path != clf_path, "the classifier ran although the exercise was given"
        return predict(self, x)

    monkeypatch.setattr(TFLiteModel, "predict", no_classifier)
    res = an.analyze(seq)
    assert res.exercise == given and res.extra["exercise_source"] == "given"
    assert [r.label for r in res.repetitions] == [given] * 4
    assert all(r.probability == 1.0 for r in res.repetitions)
    want = an.models.scorers[given].predict(an.model_inputs(seq, SPANS))[:, 0]
    np.testing.assert_allclose([r.score for r in res.repetitions], want, atol=1e-6)
    with pytest.raises(DataError, match="not one of the model's classes"):
        Analyzer(model_dir, options=AnalyzerOptions(exercise="curling"))


def test_no_repetitions_falls_back_to_windows(model_dir):
    seq = moving_body(seconds=5.0)
    an = Analyzer(model_dir, options=AnalyzerOptions(segmenter=lambda s: [], window_s=2, hop_s=1))
    res = an.analyze(seq)
    assert res.rep_count == 0 and res.exercise in CLASSES
    assert res.extra["segmentation"] == "windows"
    spans = [(w["start_frame"], w["end_frame"]) for w in res.extra["windows"]]
    assert spans == [(0, 60), (30, 90), (60, 120), (90, 150)]
    assert sum(res.votes.values()) == len(spans) and "no repetitions" in res.extra["note"]
    off = Analyzer(model_dir, options=AnalyzerOptions(segmenter=lambda s: [],
                                                      window_fallback=False)).analyze(seq)
    assert off.exercise is None and off.rep_count == 0


def test_window_spans_short_clip():
    seq = moving_body(seconds=1.0)
    assert window_spans(seq, 2.0, 1.0) == [(0, 30)]
    assert window_spans(moving_body(seconds=3.5), 2.0, 1.0)[-1] == (45, 105)


def test_analyze_file_csv_and_errors(model_dir, tmp_path):
    seq = moving_body()
    csv = tmp_path / "clip.csv"
    write_pose_csv(seq, csv)
    res = analyze_file(csv, model_dir, options=AnalyzerOptions(segmenter=fixed_segmenter))
    assert res.rep_count == 4 and res.source == str(csv)
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(DataError, match="unsupported recording type"):
        analyze_file(tmp_path / "x.txt", model_dir)
    with pytest.raises(DataError, match="not found"):
        analyze_file(tmp_path / "missing.csv", model_dir)
    penn = PoseSequence.from_array(np.random.rand(60, 13, 2), PENN_13)
    with pytest.raises(DataError, match="penn13"):
        Analyzer(model_dir).analyze(penn)


def test_default_segmenter_is_repcoach_segment(model_dir, monkeypatch):
    from repcoach.segment import segment_repetitions

    seq = moving_body(seconds=12.0, rate_hz=0.5)
    res = Analyzer(model_dir).analyze(seq)
    want = [(r.start, r.end) for r in segment_repetitions(seq) if r.end - r.start >= 2]
    assert want and [(r.start, r.end) for r in res.repetitions] == want
    assert res.extra["segmentation"] == "repetitions"
    # segmenter options reach repcoach.segment
    seen = {}

    def spy(seq, **kw):
        seen.update(kw)
        return []

    monkeypatch.setattr("repcoach.analyze.analyzer.segment_repetitions", spy)
    opts = AnalyzerOptions(segmenter_options={"prominence": 0.5})
    res = Analyzer(model_dir, options=opts).analyze(moving_body(seconds=3.0))
    assert seen == {"prominence": 0.5}
    assert res.rep_count == 0 and res.extra["segmentation"] == "windows"


def test_window_trained_model_is_fed_windows(model_dir):
    opts = AnalyzerOptions(clip_mode="windows", segmenter=fixed_segmenter)
    an = Analyzer(model_dir, options=opts)
    res = an.analyze(moving_body(seconds=8.0))
    assert res.extra["segmentation"] == "windows" and res.extra["clip_mode"] == "windows"
    assert res.rep_count == 4  # counted by segmentation ...
    assert all(r.score is None and r.label == res.exercise for r in res.repetitions)
    w = res.extra["windows"]  # ... while windows are classified and scored
    assert len(w) == 7 and all(0 <= x["score"] <= 1 for x in w)
    whole = Analyzer(model_dir, options=AnalyzerOptions(clip_mode="whole")).analyze(
        moving_body(seconds=8.0))
    assert whole.extra["segmentation"] == "whole" and sum(whole.votes.values()) == 1


@pytest.mark.slow
def test_end_to_end_generated_data_held_out_participant(tmp_path):
    """Generate participants, train a small model, export, analyse a held-out participant's
    recordings: the exercise must be right and the count within 1 of the annotations."""
    import pandas as pd

    from repcoach.data.samples import SampleOptions
    from repcoach.deploy.export import export_model_dir
    from repcoach.io.ejust import EXERCISES
    from repcoach.models.train import TrainOptions, train_model_dir
    from repcoach.synth import generate_dataset

    data = tmp_path / "data"
    # two exercises (one symmetric, one alternating) keep training and export small
    generate_dataset(data, n_participants=4, seed=3, exercises=["JJ", "HK"], reps=(6, 9),
                           progress=False)
    model = tmp_path / "model"
    train_model_dir(
        data, model, SampleOptions(progress=False),
        TrainOptions(quick=True, epochs=10, batch_size=8, learning_rate=3e-3, verbose=0,
                     augment=False, seed=0),
    )
    result = export_model_dir(model, quantize=("int8",))
    assert result.sample_source.startswith("test split")
    assert result.get("classifier", "int8").class_agreement >= 0.9

    cfg = json.loads((model / "config.json").read_text())
    # repetition models get the tempo channels by default (scorer_inputs "auto")
    assert cfg["scorer_inputs"] == ["log_duration", "log_relative_duration"]
    assert json.loads((model / "export.json").read_text())["scorer_input_shape"] == [1, 30, 101]
    assert "with their scorer inputs" in result.sample_source  # parity on the real durations
    test_people = [g.split(":", 1)[-1] for g in cfg["split"]["groups"]["test"]]
    trained = [g.split(":", 1)[-1] for g in cfg["split"]["groups"]["train"]]
    assert test_people and not set(test_people) & set(trained)
    person = test_people[0]
    ann = pd.read_csv(data / "annotations.csv")
    analyzer = Analyzer(model)
    for code in ("JJ", "HK"):
        label = EXERCISES[code]
        csv = next((data / person / code / "frontal").glob("*-frontal.csv"))
        res = analyzer.analyze(read_pose_csv(csv))
        true_n = int(((ann.participant == person) & (ann.exercise == code)).sum())
        assert res.exercise == label, (person, code, res.votes, res.confidence)
        assert res.confidence > 0.7, (person, code, res.confidence)
        assert abs(res.rep_count - true_n) <= 1, (person, code, res.rep_count, true_n)
        assert all(0 <= r.score <= 1 for r in res.repetitions)



# ------------------------------------------------------------- aspect correction at analysis
def _with_config(src: Path, dest: Path, **changes) -> Path:
    """A copy of an exported model folder with config.json keys changed (None deletes)."""
    import shutil

    d = shutil.copytree(src, dest)
    cfg = json.loads((d / "config.json").read_text())
    for k, v in changes.items():
        if v is None:
            cfg.pop(k, None)
        else:
            cfg[k] = v
    (d / "config.json").write_text(json.dumps(cfg))
    return d


def _spy_classifier_inputs(monkeypatch, an):
    seen: list[np.ndarray] = []
    clf = an.models.classifier
    predict = clf.predict

    def spy(x):
        seen.append(np.asarray(x))
        return predict(x)

    monkeypatch.setattr(clf, "predict", spy)
    return seen


def test_analysis_inputs_equal_training_inputs_with_aspect_correction(
    model_dir, tmp_path, monkeypatch
):
    """An indexed dataset clip with width/height in index.csv: the analyser, given the same
    frame size, must feed the model exactly the samples training cut from it; without it the
    inputs differ and a warning says why."""
    from repcoach.data.samples import SampleOptions, load_samples

    data = tmp_path / "data"
    data.mkdir()
    seq = moving_body(seconds=4.0)
    write_pose_csv(seq, data / "clip.csv")
    (data / "index.csv").write_text("file,label,subject,width,height\n"
                                    "clip.csv,jumping_jacks,p1,1280,720\n")
    s = load_samples(data, SampleOptions(clip_mode="whole", progress=False))
    assert s.meta["aspect_corrected_clips"] == 1
    m = _with_config(model_dir, tmp_path / "m", aspect_correct=True, aspect_corrected_clips=1)
    an = Analyzer(m, options=AnalyzerOptions(clip_mode="whole"))
    assert an.expects_aspect_correction is True
    seen = _spy_classifier_inputs(monkeypatch, an)
    rec = read_pose_csv(data / "clip.csv")
    res = an.analyze(rec, frame_size=(1280, 720))
    np.testing.assert_allclose(seen[-1], s.X, atol=1e-5)
    assert res.extra["aspect"] == {"model_expects": True, "frame_size": [1280.0, 720.0],
                                   "frame_size_source": "argument",
                                   "applied": True, "warning": None}
    assert "warnings" not in res.extra
    with pytest.warns(UserWarning, match="frame size is unknown"):
        bare = an.analyze(rec)
    assert not np.allclose(seen[-1], s.X, atol=1e-3)  # proportions differ uncorrected
    assert bare.extra["aspect"]["applied"] is False
    assert "--frame-size" in bare.extra["warnings"][0]
    # options.frame_size is the default for every recording
    an2 = Analyzer(m, options=AnalyzerOptions(clip_mode="whole", frame_size=(1280, 720)))
    seen2 = _spy_classifier_inputs(monkeypatch, an2)
    an2.analyze(rec)
    np.testing.assert_allclose(seen2[-1], s.X, atol=1e-5)


def test_aspect_correction_only_for_models_trained_with_it(model_dir, tmp_path, recwarn):
    seq = moving_body(seconds=3.0)
    # trained without any corrected clip (EJUST data, or an index without sizes): never
    m0 = _with_config(model_dir, tmp_path / "m0", aspect_correct=True, aspect_corrected_clips=0)
    an = Analyzer(m0)
    out, info = an.aspect_correct(seq, (1920, 1080))
    assert out is seq and info["applied"] is False and info["warning"] is None
    # aspect_correct switched off in training
    m1 = _with_config(model_dir, tmp_path / "m1", aspect_correct=False)
    assert Analyzer(m1).expects_aspect_correction is False
    # old folder (no aspect_corrected_clips) trained on an indexed dataset: may expect it
    m2 = _with_config(model_dir, tmp_path / "m2", data_form="indexed",
                      aspect_corrected_clips=None)  # fmt: skip
    an2 = Analyzer(m2)
    assert an2.expects_aspect_correction is None
    out, info = an2.aspect_correct(seq, (1920, 1080))
    np.testing.assert_allclose(out.coords[..., 0], seq.coords[..., 0] * 1920 / 1080, rtol=1e-6)
    np.testing.assert_allclose(out.coords[..., 1], seq.coords[..., 1])
    assert info["applied"] is True
    _, info = an2.aspect_correct(seq, None)
    assert "may have been" in info["warning"]
    # old EJUST-trained folder: no correction, no warning
    m3 = _with_config(model_dir, tmp_path / "m3", data_form="ejust", aspect_corrected_clips=None)
    assert Analyzer(m3).expects_aspect_correction is False
    assert not [w for w in recwarn if "aspect" in str(w.message)]


def test_parse_frame_size():
    from repcoach.analyze import parse_frame_size, recording_frame_size

    assert parse_frame_size("1280x720") == (1280.0, 720.0)
    assert parse_frame_size("640X480") == (640.0, 480.0)
    for bad in ("1280", "x720", "0x720", "-5x3", "axb", "1x2x3"):
        with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
            parse_frame_size(bad)
    assert recording_frame_size("clip.csv") is None
    with pytest.raises(ValueError):
        AnalyzerOptions(frame_size=(0, 10))


def test_video_frame_size_is_read_from_the_video(tmp_path):
    import cv2

    from repcoach.analyze import recording_frame_size

    p = tmp_path / "v.mp4"
    wr = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (320, 180))
    for i in range(5):
        wr.write(np.full((180, 320, 3), 40 * i, np.uint8))
    wr.release()
    assert recording_frame_size(p) == (320.0, 180.0)
