"""participants.csv: round trip, and one named error (with the right row) per kind of bad row."""

from __future__ import annotations

from pathlib import Path

import pytest

from repcoach.errors import DataError
from repcoach.io.metadata import (
    PARTICIPANT_COLUMNS,
    load_participants,
    write_participants,
)
from repcoach.types import Participant

HEADER = ",".join(PARTICIPANT_COLUMNS)
GOOD1 = "P001,ahmed-attia,21,178.5,74.0,7.5,0,1"
GOOD2 = "P002,sara-hassan,19,165.0,58.2,8.0,1,0"


def people() -> list[Participant]:
    return [
        Participant("P001", "ahmed-attia", 21, 178.5, 74.0, 7.5, False, True),
        Participant("P002", "sara-hassan", 19, 165.0, 58.2, 8.0, True, False),
        Participant("P003", "omar-el-sayed", 34, 197.0, 120.0, 4.0, False, False),
    ]


def write_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    p = tmp_path / "participants.csv"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


def test_round_trip(tmp_path):
    path = tmp_path / "participants.csv"
    write_participants(people(), path)
    table = load_participants(path)
    assert table.participants == people()
    assert table.problems == []
    text = path.read_text().splitlines()
    assert text[0] == HEADER
    assert text[1] == "P001,ahmed-attia,21,178.5,74.0,7.5,0,1"
    assert table.get("sara-hassan").smoker is True
    assert table.get("nobody-here") is None
    # no temp file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["participants.csv"]


def test_boolean_spellings_and_extra_columns(tmp_path):
    p = write_csv(
        tmp_path,
        "P001,ahmed-attia,21,178.5,74,7.5,Yes,false,extra",
        "P002,sara-hassan,19,165,58,8,TRUE,no,extra",
        header=HEADER + ",note",
    )
    t = load_participants(p)
    assert [(x.smoker, x.healthy_eater) for x in t] == [(True, False), (True, False)]


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_participants(tmp_path / "participants.csv")
    t = load_participants(tmp_path / "participants.csv", strict=False)
    assert len(t) == 0 and len(t.problems) == 1


def test_missing_column(tmp_path):
    p = write_csv(tmp_path, GOOD1, header=HEADER.replace(",sleep_h", ""))
    with pytest.raises(DataError, match=r"missing column.*sleep_h") as e:
        load_participants(p)
    assert e.value.path == p and e.value.row == 1


BAD_CASES = [
    # (bad row, column, message regex)
    ("P003,omar-sayed,abc,170,70,7,0,0", "age", "expected a number"),
    ("P003,omar-sayed,20,tall,70,7,0,0", "height_cm", "expected a number"),
    ("P003,omar-sayed,20,170,,7,0,0", "weight_kg", "empty value"),
    ("P003,omar-sayed,9,170,70,7,0,0", "age", "impossible value.*10 to 100"),
    ("P003,omar-sayed,101,170,70,7,0,0", "age", "impossible value"),
    ("P003,omar-sayed,20.5,170,70,7,0,0", "age", "whole number"),
    ("P003,omar-sayed,20,1.75,70,7,0,0", "height_cm", "impossible value.*100 to 230 cm"),
    ("P003,omar-sayed,20,170,300,7,0,0", "weight_kg", "impossible value.*25 to 250 kg"),
    ("P003,omar-sayed,20,170,20,7,0,0", "weight_kg", "impossible value"),
    ("P003,omar-sayed,20,170,70,25,0,0", "sleep_h", "impossible value.*0 to 24 h"),
    ("P003,omar-sayed,20,170,70,-1,0,0", "sleep_h", "impossible value"),
    ("P003,omar-sayed,20,170,70,7,maybe,0", "smoker", "expected one of"),
    ("P003,omar-sayed,20,170,70,7,0,2", "healthy_eater", "expected one of"),
    ("P003,Omar Sayed,20,170,70,7,0,0", "name", "firstname-lastname"),
    ("P003,omar,20,170,70,7,0,0", "name", "firstname-lastname"),
    ("P001,omar-sayed,20,170,70,7,0,0", "participant_id", "duplicate participant_id.*row 2"),
    ("P003,ahmed-attia,20,170,70,7,0,0", "name", "duplicate name.*row 2"),
]


@pytest.mark.parametrize(("row", "column", "msg"), BAD_CASES)
def test_bad_row_strict_names_file_row_column(tmp_path, row, column, msg):
    p = write_csv(tmp_path, GOOD1, GOOD2, row)
    with pytest.raises(DataError, match=msg) as e:
        load_participants(p)
    assert e.value.path == p
    assert e.value.row == 4  # header is row 1, bad row is the third data row
    assert e.value.column == column
    assert "participants.csv" in str(e.value) and "row 4" in str(e.value)


@pytest.mark.parametrize(("row", "column", "msg"), BAD_CASES)
def test_bad_row_lenient_skips_it(tmp_path, row, column, msg):
    p = write_csv(tmp_path, GOOD1, row, GOOD2)
    t = load_participants(p, strict=False)
    assert t.names == ["ahmed-attia", "sara-hassan"]
    assert len(t.problems) == 1
    assert t.problems[0].row == 3 and t.problems[0].column == column


def test_lenient_collects_every_problem(tmp_path):
    p = write_csv(
        tmp_path,
        GOOD1,
        "P002,sara-hassan,5,165,58,8,1,0",
        "P003,omar-sayed,20,170,70,7,0,x",
        "P001,mona-ali,20,170,70,7,0,0",
    )
    with pytest.raises(DataError) as e:
        load_participants(p)
    assert e.value.row == 3  # strict stops at the first
    t = load_participants(p, strict=False)
    assert t.names == ["ahmed-attia"]
    assert [(e.row, e.column) for e in t.problems] == [
        (3, "age"),
        (4, "healthy_eater"),
        (5, "participant_id"),
    ]
