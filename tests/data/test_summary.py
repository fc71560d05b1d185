"""Table I and file counts, checked against numbers worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from repcoach.data.summary import summarize
from repcoach.io.dataset_index import scan_dataset
from repcoach.io.ejust import format_name
from repcoach.io.metadata import write_participants
from repcoach.types import Participant

# heights 160, 170, 180, 197 -> min 160, mean 176.75, max 197
# weights 50, 70.5, 80, 120  -> min 50, mean 80.125, max 120
# sleep 4, 6.5, 8, 12        -> min 4, mean 7.625, max 12
# ages 18, 20, 22, 34        -> min 18, mean 23.5, max 34
# smokers: 1 of 4 (25 %); healthy eaters: 3 of 4 (75 %)
PEOPLE = [
    Participant("P001", "ahmed-attia", 18, 160.0, 50.0, 4.0, False, True),
    Participant("P002", "sara-hassan", 20, 170.0, 70.5, 6.5, True, True),
    Participant("P003", "omar-sayed", 22, 180.0, 80.0, 8.0, False, False),
    Participant("P004", "mona-ali", 34, 197.0, 120.0, 12.0, False, True),
]


def make_tree(root: Path) -> Path:
    write_participants(PEOPLE, root / "participants.csv")
    files = [
        # ahmed: JJ frontal+side csv, SU frontal csv + mp4
        ("ahmed-attia", "JJ", "frontal", "csv"),
        ("ahmed-attia", "JJ", "side", "csv"),
        ("ahmed-attia", "SU", "frontal", "csv"),
        ("ahmed-attia", "SU", "frontal", "mp4"),
        # sara: JJ frontal, thermal, two IMU files
        ("sara-hassan", "JJ", "frontal", "csv"),
        ("sara-hassan", "JJ", "thermal", "npz"),
        ("sara-hassan", "JJ", "lwrist_acc", "csv"),
        ("sara-hassan", "JJ", "rankle_gyro", "csv"),
        # omar: HK frontal
        ("omar-sayed", "HK", "frontal", "csv"),
        # mona: SE side
        ("mona-ali", "SE", "side", "csv"),
    ]
    for who, code, mod, ext in files:
        group = "imu" if "_" in mod else mod
        p = root / who / code / group / format_name(who, code, mod, ext)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x\n")
    return root


def test_table_one_matches_hand_computed_values(tmp_path):
    s = summarize(scan_dataset(make_tree(tmp_path)))
    assert s.n_participants == 4
    h, w, sl, a = (s.attribute(n) for n in ("height_cm", "weight_kg", "sleep_h", "age"))
    assert (h.minimum, h.mean, h.maximum) == (160.0, pytest.approx(176.75), 197.0)
    assert (w.minimum, w.mean, w.maximum) == (50.0, pytest.approx(80.125), 120.0)
    assert (sl.minimum, sl.mean, sl.maximum) == (4.0, pytest.approx(7.625), 12.0)
    assert (a.minimum, a.mean, a.maximum) == (18, pytest.approx(23.5), 34)
    assert [(c.title, c.count, c.percent) for c in s.smoking] == [
        ("Smokers", 1, 25.0),
        ("Non-smokers", 3, 75.0),
    ]
    assert [(c.title, c.count, c.percent) for c in s.diet] == [
        ("Healthy Eaters", 3, 75.0),
        ("Non-healthy Eaters", 1, 25.0),
    ]


def test_file_counts(tmp_path):
    s = summarize(scan_dataset(make_tree(tmp_path)))
    assert s.n_files == 10
    assert s.n_recordings == 5  # ahmed JJ, ahmed SU, sara JJ, omar HK, mona SE
    assert s.n_participants_with_files == 4
    fc = s.file_counts
    assert fc["jumping_jacks"] == {
        "frontal": 2,
        "side": 1,
        "thermal": 1,
        "lwrist_acc": 1,
        "rankle_gyro": 1,
    }
    assert fc["sit_ups"] == {"frontal": 2}
    assert fc["high_knees"] == {"frontal": 1}
    assert fc["steam_engine"] == {"side": 1}


def test_to_dict_is_json_and_tables_render(tmp_path):
    s = summarize(scan_dataset(make_tree(tmp_path)))
    d = json.loads(json.dumps(s.to_dict()))
    assert d["attributes"]["height_cm"] == {
        "title": "Height (cm)",
        "min": 160.0,
        "mean": 176.75,
        "max": 197.0,
    }
    assert d["smoking"]["Smokers"] == {"count": 1, "percent": 25.0}
    assert d["file_counts"]["sit_ups"]["frontal"] == 2

    from rich.console import Console

    con = Console(record=True, width=140)
    for t in s.rich_tables():
        con.print(t)
    text = con.export_text()
    assert "Height (cm)" in text and "176.75" in text and "25.0%" in text
    assert "jumping_jacks" in text and "rankle_gyro" in text


def test_empty_dataset_gives_nan_not_crash(tmp_path):
    write_participants([], tmp_path / "participants.csv")
    s = summarize(scan_dataset(tmp_path))
    assert s.n_participants == 0 and s.n_files == 0
    assert math.isnan(s.attribute("age").mean)
    assert s.to_dict()["attributes"]["age"]["mean"] is None
    assert s.to_dict()["smoking"]["Smokers"] == {"count": 0, "percent": None}


def test_summary_of_generated_dataset_matches_its_participants_csv(tmp_path):
    """The generator's output scans cleanly and Table I agrees with its participants.csv."""
    synth = pytest.importorskip("repcoach.synth", reason="repcoach.synth not available yet")
    if not hasattr(synth, "generate_dataset"):
        pytest.skip("repcoach.synth.generate_dataset not available yet")
    import pandas as pd

    from repcoach.io.annotations import load_annotations

    out = tmp_path / "gen"
    synth.generate_dataset(out, n_participants=3, seed=0, exercises=["JJ", "SU"], progress=False)
    index = scan_dataset(out)  # strict: any layout problem fails the test
    s = summarize(index)
    raw = pd.read_csv(out / "participants.csv")
    assert s.n_participants == len(raw) == 3
    for col in ("height_cm", "weight_kg", "sleep_h", "age"):
        a = s.attribute(col)
        assert a.minimum == pytest.approx(raw[col].min())
        assert a.mean == pytest.approx(raw[col].mean())
        assert a.maximum == pytest.approx(raw[col].max())
    smokers = int(raw["smoker"].astype(int).sum())
    assert [c.count for c in s.smoking] == [smokers, 3 - smokers]
    healthy = int(raw["healthy_eater"].astype(int).sum())
    assert [c.count for c in s.diet] == [healthy, 3 - healthy]
    assert s.n_participants_with_files == 3
    on_disk = [p for p in out.rglob("*") if p.is_file() and p.parent != out]
    assert s.n_files == sum(1 for p in on_disk if p.suffix != ".json")
    assert s.n_recordings == 3 * 2
    assert set(s.file_counts["jumping_jacks"]) >= {"frontal", "side"}
    assert s.file_counts["high_knees"] == {}
    ann = load_annotations(out)
    if ann is not None:
        assert set(ann["participant"]) <= set(raw["name"])
