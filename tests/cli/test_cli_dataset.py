"""`repcoach dataset summary` and `repcoach dataset check` through typer's CliRunner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repcoach.cli import app, main
from repcoach.errors import DataError
from repcoach.io.ejust import format_name
from repcoach.io.metadata import write_participants
from repcoach.types import Participant

runner = CliRunner()

PEOPLE = [
    Participant("P001", "ahmed-attia", 20, 170.0, 60.0, 6.0, True, False),
    Participant("P002", "sara-hassan", 30, 180.0, 80.0, 8.0, False, False),
]


def make_tree(root: Path) -> Path:
    write_participants(PEOPLE, root / "participants.csv")
    for p in PEOPLE:
        for code in ("JJ", "SE"):
            for mod in ("frontal", "side"):
                f = root / p.name / code / mod / format_name(p.name, code, mod)
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text("x\n")
    return root


def add_misplaced(root: Path) -> Path:
    bad = root / "ahmed-attia" / "JJ" / "frontal" / "ahmed-attiaSE-side.csv"
    bad.write_text("x\n")
    return bad


def test_summary_prints_tables_and_writes_json(tmp_path):
    root = make_tree(tmp_path / "ds")
    out = tmp_path / "summary.json"
    r = runner.invoke(app, ["dataset", "summary", str(root), "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "Height (cm)" in r.output and "175" in r.output  # mean of 170 and 180
    assert "Smokers" in r.output and "50.0%" in r.output
    assert "jumping_jacks" in r.output
    d = json.loads(out.read_text())
    assert d["n_participants"] == 2 and d["n_files"] == 8
    assert d["attributes"]["age"]["mean"] == 25.0
    assert d["file_counts"]["steam_engine"] == {"frontal": 2, "side": 2}


def test_summary_strict_raises_first_problem(tmp_path):
    root = make_tree(tmp_path / "ds")
    bad = add_misplaced(root)
    r = runner.invoke(app, ["dataset", "summary", str(root)])
    assert r.exit_code != 0
    assert isinstance(r.exception, DataError)
    assert r.exception.path == bad
    assert "misplaced" in str(r.exception) and "--lenient" in str(r.exception)


def test_main_turns_data_error_into_exit_2(tmp_path, monkeypatch, capsys):
    root = make_tree(tmp_path / "ds")
    add_misplaced(root)
    monkeypatch.setattr(sys, "argv", ["repcoach", "dataset", "summary", str(root)])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "misplaced" in err


def test_summary_lenient_lists_problems_then_summarises(tmp_path):
    root = make_tree(tmp_path / "ds")
    add_misplaced(root)
    (root / "ahmed-attia" / "JJ" / "frontal" / "notes.txt").write_text("x")
    r = runner.invoke(app, ["dataset", "summary", str(root), "--lenient"])
    assert r.exit_code == 0, r.output
    assert "2 problem(s)" in r.output
    assert "misplaced" in r.output and "does not follow" in r.output
    assert "Height (cm)" in r.output and "8 files" in r.output


def test_check(tmp_path):
    root = make_tree(tmp_path / "ds")
    r = runner.invoke(app, ["dataset", "check", str(root)])
    assert r.exit_code == 0, r.output
    assert "0 problem(s)" in r.output
    add_misplaced(root)
    (root / "annotations.csv").write_text(
        "participant,exercise,label,rep,start_frame,end_frame,start_s,end_s,score\n"
        "ahmed-attia,JJ,jumping_jacks,1,10,5,0.3,0.2,0.5\n"
    )
    r = runner.invoke(app, ["dataset", "check", str(root)])
    assert r.exit_code == 1
    assert "2 problem(s)" in r.output
    assert "misplaced" in r.output and "end_frame" in r.output


def test_missing_folder(tmp_path):
    r = runner.invoke(app, ["dataset", "summary", str(tmp_path / "nope")])
    assert isinstance(r.exception, DataError)


def test_index_command(tmp_path):
    root = make_tree(tmp_path / "ds")
    r = runner.invoke(app, ["dataset", "index", str(root), "-m", "side"])
    assert r.exit_code == 0, r.output
    lines = (root / "index.csv").read_text().splitlines()
    assert lines[0].startswith("file,subject,label")
    assert len(lines) == 1 + 4 and all("-side.csv" in x for x in lines[1:])
