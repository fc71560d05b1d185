"""The SQLite store: reps saved as they happen, open sets closed on restart, export, profile."""

from __future__ import annotations

import csv
import io

import pytest

from repcoach.app.server import safe_name
from repcoach.app.store import EXPORT_COLUMNS, Store


def rep(start: float, score: float | None) -> dict:
    return {"start_s": start, "end_s": start + 1.5, "label": "squat", "probability": 0.9,
            "score": score, "cues": ["good form"]}


def test_live_set_survives_a_crash_and_closes_on_restart(tmp_path):
    db = tmp_path / "coach.sqlite"
    store = Store(db)
    sid = store.open_set("live", "camera")
    store.add_rep(sid, 1, rep(0.0, 0.8), "squat")
    store.add_rep(sid, 2, rep(2.0, 0.6), "squat")
    store.add_rep(sid, 2, rep(2.0, 0.6), "squat")  # the same rep again: not doubled
    del store  # no close: as if the server died
    again = Store(db)
    assert again.close_open_sets() == [sid]
    s = again.get_set(sid)
    assert s["status"] == "interrupted" and s["rep_count"] == 2
    assert s["mean_score"] == pytest.approx(0.7) and s["exercise"] == "squat"
    assert again.close_open_sets() == []


def test_close_with_analysis_replaces_reps_and_export(tmp_path):
    store = Store(tmp_path / "c.sqlite")
    sid = store.open_set("live", "camera")
    store.add_rep(sid, 1, rep(0.0, 0.2), "lunge")
    analysis = {"exercise": "squat", "confidence": 0.8, "rep_count": 2,
                "repetitions": [rep(0.0, 0.9), rep(2.0, None)]}
    store.close_set(sid, analysis)
    up = store.save_analysis("upload", "a.mp4", {"exercise": "squat", "confidence": 0.5,
                                                  "repetitions": []})
    s = store.get_set(sid)
    assert s["status"] == "closed" and s["rep_count"] == 2 and s["exercise"] == "squat"
    assert s["mean_score"] == pytest.approx(0.9) and s["analysis"]["confidence"] == 0.8
    rows = list(csv.DictReader(io.StringIO(store.export_csv())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r["set_id"], r["rep"]) for r in rows] == [(str(sid), "1"), (str(sid), "2"),
                                                       (str(up), "")]
    assert rows[1]["score"] == "" and rows[0]["cues"] == "good form"
    prog = store.progress()
    assert [r["id"] for r in prog["squat"]] == [sid, up]


def test_profile_fields_are_checked(tmp_path):
    store = Store(tmp_path / "c.sqlite")
    assert store.profile()["age"] is None
    p = store.set_profile({"age": 30, "height_cm": 180.5, "smoker": False, "sleep_h": "7.5"})
    assert p["age"] == 30 and p["sleep_h"] == 7.5 and p["smoker"] is False
    assert store.set_profile({"weight_kg": 70})["age"] == 30  # partial update keeps the rest
    for bad, msg in (({"age": "x"}, "age must be"), ({"smoker": "yes"}, "true or false"),
                     ({"nope": 1}, "unknown profile field"), ({"age": -3}, "out of range")):
        with pytest.raises(ValueError, match=msg):
            store.set_profile(bad)


def test_safe_name():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\win.mp4") == "win.mp4"
    assert safe_name("a<b>|c.mp4") == "a_b__c.mp4"
    assert safe_name("..") == "upload" and safe_name(None) == "upload"
