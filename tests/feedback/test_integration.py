"""Cues in the analysis JSON, feedback.json in model folders, the runtime without TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from repcoach.feedback import Cue
from repcoach.feedback.runtime import FEEDBACK_FILE, load_feedback, write_model_feedback
from repcoach.types import Repetition

SRC = Path(__file__).resolve().parents[2] / "src"


def test_repetition_json_has_cue_objects_and_plain_texts():
    cue = Cue("rushed: 0.6 s against 1.1 s", "whole body", "tempo", -0.5, "s", 0.1)
    d = Repetition(0, 30, score=0.5, cues=("check form", cue)).to_dict()
    assert d["cues"] == [
        {"text": "check form", "body_part": None, "fault": None, "size": None},
        {"text": "rushed: 0.6 s against 1.1 s", "body_part": "whole body", "fault": "tempo",
         "size": -0.5}]
    assert d["cue_texts"] == ["check form", "rushed: 0.6 s against 1.1 s"]
    json.dumps(d)


def test_annotated_video_banner_shows_the_top_feedback_cue():
    from repcoach.video.annotate import banner_text

    cue = Cue("left arm: 30 deg less range than your good reps", "left arm", "rom", -30.0)
    rep = Repetition(0, 30, label="jumping_jacks", score=0.4, cues=("poor form", cue))
    assert banner_text(0, rep).endswith(" - left arm: 30 deg less range than your good reps")
    assert banner_text(0, Repetition(0, 30, cues=("good form",))).endswith(" - good form")


def test_training_writes_feedback_json_only_with_fault_annotations(small_synth, tmp_path):
    people = sorted(pd.read_csv(small_synth / "annotations.csv")["participant"].unique())
    p = write_model_feedback(tmp_path / "m", small_synth, people[:5])
    assert p == tmp_path / "m" / FEEDBACK_FILE
    model = load_feedback(tmp_path / "m")
    assert list(model.exercises) == ["jumping_jacks"]
    assert model.meta["participants"] == people[:5]  # training people only
    assert all(k.startswith(("pose.", "tempo", "duration"))
               for k in model.exercises["jumping_jacks"].features)
    plain = tmp_path / "plain"
    plain.mkdir()
    pd.DataFrame({"participant": ["a"], "score": [1.0]}).to_csv(plain / "annotations.csv")
    assert write_model_feedback(tmp_path / "m2", plain) is None
    assert load_feedback(tmp_path / "m2") is None
    # a folder trained by an older repcoach (features meant something else): warned, no cues
    d = json.loads(p.read_text())
    d["version"] = 1
    (tmp_path / "m2").mkdir(exist_ok=True)
    (tmp_path / "m2" / FEEDBACK_FILE).write_text(json.dumps(d))
    with pytest.warns(UserWarning, match="retrain"):
        assert load_feedback(tmp_path / "m2") is None


def test_runtime_cues_without_tensorflow(small_synth, tmp_path):
    write_model_feedback(tmp_path, small_synth)
    ann = pd.read_csv(small_synth / "annotations.csv")
    p = ann["participant"].iloc[0]
    g = ann[ann["participant"] == p]
    csv = small_synth / p / "JJ" / "frontal" / f"{p}JJ-frontal.csv"
    spans = list(zip(g["start_frame"], g["end_frame"], strict=True))
    code = (
        "import sys, json\n"
        "from repcoach.feedback.runtime import load_feedback, repetition_cues\n"
        "from repcoach.io.pose_csv import read_pose_csv\n"
        f"m = load_feedback({str(tmp_path)!r})\n"
        f"seq = read_pose_csv({str(csv)!r})\n"
        f"cues = repetition_cues(m, 'jumping_jacks', seq, {spans!r}, (1280, 720))\n"
        "print(json.dumps({'tf': 'tensorflow' in sys.modules, 'n': len(cues),\n"
        "                  'cues': [[c.to_dict() for c in r] for r in cues]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["tf"] is False and res["n"] == len(spans)
    assert all(len(r) <= 2 for r in res["cues"])
    faulty = [(r, row) for r, (_, row) in zip(res["cues"], g.iterrows(), strict=True)
              if row["score"] < 0.6]
    if faulty:  # a clearly faulty rep of this person is cued
        assert any(r for r, _ in faulty)


@pytest.mark.slow
def test_analyzer_appends_feedback_cues(small_synth, tmp_path):
    from helpers.tiny_model_dir import exported_copy
    from repcoach.analyze import Analyzer, AnalyzerOptions
    from repcoach.io.pose_csv import read_pose_csv

    model_dir = exported_copy(tmp_path / "model")
    write_model_feedback(model_dir, small_synth)
    ann = pd.read_csv(small_synth / "annotations.csv")
    p = ann.sort_values("score")["participant"].iloc[0]  # has the worst rep
    g = ann[ann["participant"] == p]
    spans = list(zip(g["start_frame"], g["end_frame"], strict=True))
    seq = read_pose_csv(small_synth / p / "JJ" / "frontal" / f"{p}JJ-frontal.csv")

    def seg(_seq):
        return [Repetition(int(s), int(e)) for s, e in spans]

    an = Analyzer(model_dir, AnalyzerOptions(exercise="jumping_jacks", segmenter=seg))
    assert an.feedback is not None
    res = an.analyze(seq, frame_size=(1280, 720))
    objs = [c for r in res.repetitions for c in r.cues if isinstance(c, Cue)]
    assert objs
    d = res.to_dict()
    assert any(c["fault"] for r in d["repetitions"] for c in r["cues"])
