"""Folder mode of `repcoach analyze`: which files are recordings, the mirrored plan, CLI checks."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from repcoach.analyze.folder import find_recordings, plan_analysis, run_analysis
from repcoach.cli import app
from repcoach.errors import DataError

runner = CliRunner()


def test_find_recordings_and_plan(tmp_path):
    d = tmp_path / "data"
    (d / "s1" / "JJ").mkdir(parents=True)
    (d / ".hidden").mkdir()
    files = {
        "s1/JJ/a.csv": "x", "s1/JJ/a-world.csv": "x", "s1/JJ/a.mp4": "v",  # video has its CSV
        "s1/b.mp4": "v", ".hidden/c.csv": "x", "s1/.d.csv": "x", "s1/notes.txt": "x",
    }  # fmt: skip
    for rel, text in files.items():
        (d / rel).write_text(text)
    assert find_recordings(d) == [d / "s1/JJ/a.csv", d / "s1/b.mp4"]
    jobs = plan_analysis(d, tmp_path / "out")
    assert [j.output for j in jobs] == [tmp_path / "out/s1/JJ/a.json", tmp_path / "out/s1/b.json"]
    with pytest.raises(DataError, match="no such folder"):
        plan_analysis(d / "s1/b.mp4", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no pose CSVs or videos"):
        plan_analysis(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(ValueError, match="engine"):
        run_analysis(d, tmp_path / "out", None, engine="spark")  # type: ignore[arg-type]


def test_cli_folder_needs_out_and_refuses_single_file_options(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("x")
    base = ["analyze", str(tmp_path / "d"), "--model", str(tmp_path / "m")]
    res = runner.invoke(app, base)
    assert res.exit_code == 2 and "needs --out" in res.output
    res = runner.invoke(app, [*base, "--out", str(tmp_path / "o"), "--json", "x.json"])
    assert res.exit_code == 2 and "--json" in res.output and "not a folder" in res.output
    res = runner.invoke(app, [*base, "--out", str(tmp_path / "o"), "--address", "a:1"])
    assert res.exit_code == 2 and "needs --engine ray" in res.output
    assert not (tmp_path / "o").exists()
