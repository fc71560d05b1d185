"""scan_dataset on small hand-built trees: the valid index, and each kind of layout problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from repcoach.errors import DataError
from repcoach.io.annotations import load_annotations
from repcoach.io.dataset_index import scan_dataset
from repcoach.io.ejust import format_name
from repcoach.io.metadata import write_participants
from repcoach.types import Participant

PEOPLE = [
    Participant("P001", "ahmed-attia", 21, 178.5, 74.0, 7.5, False, True),
    Participant("P002", "sara-hassan", 19, 165.0, 58.0, 8.0, True, False),
]
MODS = ["frontal", "side", "thermal", "lwrist_acc", "rankle_gyro"]


def touch(root: Path, rel: str | Path, text: str = "x\n") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def place(root: Path, who: str, code: str, modality: str, ext: str = "csv") -> Path:
    """Create one correctly named and placed file."""
    fname = format_name(who, code, modality, ext)
    group = "imu" if "_" in modality else modality
    return touch(root, Path(who) / code / group / fname)


def build(root: Path, people=PEOPLE, codes=("JJ", "SU")) -> Path:
    write_participants(list(people), root / "participants.csv")
    for p in people:
        for code in codes:
            for m in MODS:
                place(root, p.name, code, m)
            place(root, p.name, code, "frontal", "mp4")
    touch(root, "README.md")
    touch(root, ".DS_Store")
    touch(root, "ahmed-attia/.hidden/junk.txt")
    return root


def test_valid_tree(tmp_path):
    root = build(tmp_path)
    idx = scan_dataset(root)
    assert idx.problems == []
    assert len(idx.entries) == 2 * 2 * (len(MODS) + 1)
    assert idx.participant_names == ["ahmed-attia", "sara-hassan"]
    jj = idx.entries_for(exercise="JJ")
    assert len(jj) == 12 and {e.exercise for e in jj} == {"jumping_jacks"}
    assert idx.entries_for(exercise="jumping_jacks") == jj
    front = idx.entries_for(modality="frontal", participant="sara-hassan", ext="csv")
    assert [e.path.name for e in front] == [
        "sara-hassanJJ-frontal.csv",
        "sara-hassanSU-frontal.csv",
    ]
    assert len(idx.entries_for(group="imu")) == 8
    assert len(idx.entries_for(modality=["lwrist_acc", "rankle_gyro"])) == 8

    recs = idx.recordings()
    assert [(r.participant, r.exercise) for r in recs] == [
        ("ahmed-attia", "jumping_jacks"),
        ("ahmed-attia", "sit_ups"),
        ("sara-hassan", "jumping_jacks"),
        ("sara-hassan", "sit_ups"),
    ]
    r = recs[0]
    assert r.code == "JJ"
    assert r.modalities == sorted(MODS)
    assert r.get("frontal", "mp4") == root / "ahmed-attia/JJ/frontal/ahmed-attiaJJ-frontal.mp4"
    assert r.get("lankle_mag") is None
    assert len(r.files("frontal")) == 2

    df = idx.to_frame()
    assert len(df) == len(idx.entries)
    assert set(df["participant_id"]) == {"P001", "P002"}
    row = df[df["relpath"] == "sara-hassan/SU/imu/sara-hassanSU-rankle_gyro.csv"].iloc[0]
    assert (row["code"], row["exercise"], row["modality"], row["group"]) == (
        "SU",
        "sit_ups",
        "rankle_gyro",
        "imu",
    )


def test_misplaced_files(tmp_path):
    root = build(tmp_path)
    # in the wrong participant folder, wrong exercise folder, wrong group folder, too shallow
    bad = [
        touch(root, "sara-hassan/JJ/frontal/ahmed-attiaJJ-side.csv"),
        touch(root, "ahmed-attia/SU/frontal/ahmed-attiaJJ-thermal.npz"),
        touch(root, "ahmed-attia/JJ/imu/ahmed-attiaJJ-thermal.mp4"),
        touch(root, "ahmed-attia/ahmed-attiaHK-frontal.csv"),
    ]
    with pytest.raises(DataError, match="misplaced"):
        scan_dataset(root)
    idx = scan_dataset(root, strict=False)
    assert len(idx.problems) == 4
    assert {e.path for e in idx.problems} == set(bad)
    assert all("misplaced" in str(e) for e in idx.problems)
    assert "ahmed-attia/JJ/side/" in str(
        next(e for e in idx.problems if e.path.name == "ahmed-attiaJJ-side.csv")
    )
    assert len(idx.entries) == 24  # bad files skipped, good ones kept
    assert not set(bad) & {e.path for e in idx.entries}


@pytest.mark.parametrize(
    ("rel", "msg"),
    [
        ("ahmed-attia/JJ/frontal/notes.txt", "does not follow"),
        ("ahmed-attia/XX/frontal/ahmed-attiaXX-frontal.csv", "unknown exercise code 'XX'"),
        ("ahmed-attia/JJ/frontal/ahmed-attiaJJ-top.csv", "unknown modality 'top'"),
        ("ahmed-attia/JJ/frontal/ahmed-attiaJJ-frontal.xlsx", "unknown file extension"),
        ("stray.csv", "does not follow"),
    ],
)
def test_bad_names(tmp_path, rel, msg):
    root = build(tmp_path)
    p = touch(root, rel)
    with pytest.raises(DataError, match=msg) as e:
        scan_dataset(root)
    assert e.value.path == p
    idx = scan_dataset(root, strict=False)
    assert [(x.path, msg in str(x)) for x in idx.problems] == [(p, True)]


def test_unknown_and_missing_participants(tmp_path):
    extra = Participant("P003", "mona-ali", 30, 160.0, 60.0, 6.0, False, False)
    root = build(tmp_path)
    write_participants([*PEOPLE, extra], root / "participants.csv")  # mona has no files
    ghost = place(root, "omar-sayed", "HK", "frontal")  # omar is not in participants.csv
    with pytest.raises(DataError):
        scan_dataset(root)
    idx = scan_dataset(root, strict=False)
    msgs = sorted(str(p) for p in idx.problems)
    assert len(msgs) == 2
    unknown = next(p for p in idx.problems if "omar-sayed" in str(p))
    assert "no valid row in participants.csv" in str(unknown)
    missing = next(p for p in idx.problems if "mona-ali" in str(p))
    assert "missing participant" in str(missing)
    assert missing.path == root / "participants.csv" and missing.row == 4
    assert ghost not in {e.path for e in idx.entries}
    assert len(idx.participants) == 3  # mona's metadata is valid and kept


def test_bad_participants_row_makes_its_files_unknown(tmp_path):
    root = build(tmp_path)
    csv = root / "participants.csv"
    csv.write_text(csv.read_text().replace("sara-hassan,19", "sara-hassan,199"))
    with pytest.raises(DataError, match="impossible value") as e:
        scan_dataset(root)
    assert e.value.row == 3 and e.value.column == "age"
    idx = scan_dataset(root, strict=False)
    assert len(idx.problems) == 2
    assert idx.participant_names == ["ahmed-attia"]


def test_missing_participants_csv(tmp_path):
    root = build(tmp_path)
    (root / "participants.csv").unlink()
    with pytest.raises(DataError, match="participants file not found"):
        scan_dataset(root)
    idx = scan_dataset(root, strict=False)
    # one problem, not one per participant; files still indexed
    assert len(idx.problems) == 1
    assert len(idx.entries) == 24


def test_duplicate_recording(tmp_path):
    root = build(tmp_path)
    dup = place(root, "ahmed-attia", "JJ", "frontal", "avi")  # second video of the same view
    place(root, "ahmed-attia", "JJ", "frontal", "wav")  # audio is a different kind: fine
    with pytest.raises(DataError, match="duplicate recording") as e:
        scan_dataset(root)
    mp4 = dup.with_suffix(".mp4")
    assert {e.value.path.name, str(e.value).rsplit(" ", 1)[-1]} == {dup.name, mp4.name}
    idx = scan_dataset(root, strict=False)
    assert len(idx.problems) == 1 and len(idx.entries) == 25


def test_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="not found"):
        scan_dataset(tmp_path / "nope", strict=False)


def test_empty_participant_folder_is_missing(tmp_path):
    root = build(tmp_path)
    shutil.rmtree(root / "sara-hassan")
    (root / "sara-hassan").mkdir()
    idx = scan_dataset(root, strict=False)
    assert len(idx.problems) == 1 and "missing participant" in str(idx.problems[0])


ANN_HEADER = "participant,exercise,label,rep,start_frame,end_frame,start_s,end_s,score,knees_low"


def write_ann(root: Path, *rows: str) -> Path:
    p = root / "annotations.csv"
    p.write_text("\n".join([ANN_HEADER, *rows]) + "\n")
    return p


def test_annotations_ok(tmp_path):
    assert load_annotations(tmp_path) is None
    write_ann(
        tmp_path,
        "ahmed-attia,JJ,jumping_jacks,1,0,31,0.0,1.0333,0.9,0",
        "ahmed-attia,JJ,jumping_jacks,2,31,60,1.0333,2.0,0.4,1",
    )
    df = load_annotations(tmp_path)
    assert list(df["end_frame"]) == [31, 60]
    assert df["score"].tolist() == [0.9, 0.4]
    assert "knees_low" in df.columns


@pytest.mark.parametrize(
    ("row", "column", "msg"),
    [
        ("ahmed-attia,JJ,jumping_jacks,1,30,30,0,1,0.5,0", "end_frame", "must be after"),
        ("ahmed-attia,JJ,jumping_jacks,1,0,30,1,1,0.5,0", "end_s", "must be after"),
        ("ahmed-attia,JJ,jumping_jacks,1,0,30,0,1,1.5,0", "score", r"\[0, 1\]"),
        ("ahmed-attia,JJ,jumping_jacks,1,0,30,0,1,,0", "score", "empty"),
        ("ahmed-attia,XX,jumping_jacks,1,0,30,0,1,0.5,0", "exercise", "unknown exercise"),
        ("ahmed-attia,JJ,sit_ups,1,0,30,0,1,0.5,0", "label", "contradicts"),
        ("ahmed-attia,JJ,jumping_jacks,one,0,30,0,1,0.5,0", "rep", "expected a number"),
        ("ahmed-attia,JJ,jumping_jacks,1,0.5,30,0,1,0.5,0", "start_frame", "whole number"),
    ],
)
def test_annotations_bad_row(tmp_path, row, column, msg):
    p = write_ann(tmp_path, "ahmed-attia,JJ,jumping_jacks,1,0,31,0.0,1.0,0.9,0", row)
    with pytest.raises(DataError, match=msg) as e:
        load_annotations(tmp_path)
    assert (e.value.path, e.value.row, e.value.column) == (p, 3, column)


def test_annotations_missing_column(tmp_path):
    (tmp_path / "annotations.csv").write_text("participant,exercise\nahmed-attia,JJ\n")
    with pytest.raises(DataError, match="missing column"):
        load_annotations(tmp_path)


def test_write_index_csv(tmp_path):
    import pandas as pd

    from repcoach.io.dataset_index import write_index_csv

    root = build(tmp_path / "ds")
    idx = scan_dataset(root)
    p = write_index_csv(idx)
    assert p == root / "index.csv"
    df = pd.read_csv(p)
    assert list(df.columns[:3]) == ["file", "subject", "label"]
    assert len(df) == 4  # 2 participants x 2 exercises, frontal csv only
    assert all((root / f).is_file() for f in df["file"])
    row = df[df["subject"] == "sara-hassan"].iloc[0]
    assert (row["label"], row["participant_id"]) == ("jumping_jacks", "P002")
    assert scan_dataset(root).problems == []  # index.csv at the root is ignored by the scan
    other = write_index_csv(idx, tmp_path / "elsewhere" / "imu.csv", modality=["lwrist_acc"])
    files = pd.read_csv(other)["file"]
    assert len(files) == 4 and all((other.parent / f).is_file() for f in files)


def test_json_side_files_are_kept_apart(tmp_path):
    root = build(tmp_path)
    side = touch(root, "ahmed-attia/JJ/frontal/ahmed-attiaJJ-frontal.sync.json", "{}")
    idx = scan_dataset(root)
    assert [e.path for e in idx.sidecars] == [side]
    assert side not in {e.path for e in idx.entries} and len(idx.entries) == 24
    bad = touch(root, "ahmed-attia/JJ/side/ahmed-attiaJJ-frontal.sync.json", "{}")
    with pytest.raises(DataError, match="misplaced") as e:
        scan_dataset(root)
    assert e.value.path == bad


def test_world_landmark_csvs_are_companions_not_bad_names(tmp_path):
    """`repcoach extract --world` writes `<name>-world.csv` beside each pose CSV: the strict
    scan (used by training) keeps it with the side files instead of rejecting its name."""
    root = build(tmp_path)
    world = touch(root, "ahmed-attia/JJ/side/ahmed-attiaJJ-side-world.csv")
    idx = scan_dataset(root)
    assert [e.path for e in idx.sidecars] == [world]
    assert len(idx.entries) == 24 and not idx.problems
    bad = touch(root, "ahmed-attia/JJ/frontal/ahmed-attiaJJ-side-world.csv")
    with pytest.raises(DataError, match="misplaced") as e:
        scan_dataset(root)
    assert e.value.path == bad
    bad.unlink()
    touch(root, "ahmed-attia/JJ/thermal/ahmed-attiaJJ-thermal-world.csv")  # no pose CSV there
    with pytest.raises(DataError, match="does not follow"):
        scan_dataset(root)
