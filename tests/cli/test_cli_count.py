"""`repcoach count --modality imu` on a small EJUST-layout folder with true counts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from repcoach.cli import app


def test_count_command(tmp_path: Path) -> None:

    from imu.test_imu_train import Swing
    from repcoach.synth.imu import write_imu

    rows = []
    for i, (name, reps) in enumerate((("ana-ali", 6), ("bob-badr", 9))):
        write_imu(Swing("x", 2.0, 60, reps=reps), name, "JJ", tmp_path / name / "JJ",
                  np.random.default_rng(i))
        rows += [{"participant": name, "exercise": "JJ", "rep": k} for k in range(reps)]
    with (tmp_path / "annotations.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["participant", "exercise", "rep"])
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["count", "--data", str(tmp_path), "--out", str(out),
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    assert "MAE" in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"] == 2 and summary["mae"] <= 1.0
    got = list(csv.DictReader((out / "counts.csv").open()))
    assert [r["true"] for r in got] == ["6", "9"]
    assert (out / "counts.png").exists()
