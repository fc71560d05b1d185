"""`repcoach analyze DIR --engine ray`: the same JSONs as the local engine and as the single-file
`repcoach analyze x.csv --json`, on real PushFit pose CSVs; resumable; bad ones reported."""

from __future__ import annotations

import json
import os
import shutil

import pytest

pytest.importorskip("ray")
from helpers.ray_helpers import stray_files, tree_bytes
from helpers.tiny_model_dir import exported_copy

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray instance for the module (2 CPUs, no dashboard)."""
    import ray

    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


def test_analyze_folder_ray_matches_local(ray_local, realdata, tmp_path):
    from typer.testing import CliRunner

    from repcoach.analyze.folder import ANALYZE_MANIFEST, AnalyzeSettings, run_analysis
    from repcoach.cli import app

    model = exported_copy(tmp_path / "model")
    seqs = realdata("pushfit_pushup_form", "sequences")
    csvs = tmp_path / "csvs"
    for i, name in enumerate(("correct001", "correct002", "wrong001", "wrong002")):
        (csvs / f"part{i % 2}").mkdir(parents=True, exist_ok=True)
        shutil.copy(seqs / f"{name}.csv", csvs / f"part{i % 2}" / f"{name}.csv")
    (csvs / "junk.csv").write_text("not,a,pose\n1,2,3\n")
    settings = AnalyzeSettings(model_dir=str(model))
    loc = run_analysis(csvs, tmp_path / "a_local", settings, workers=1, progress=False)
    ray_s = run_analysis(csvs, tmp_path / "a_ray", settings, engine="ray", workers=2,
                         progress=False)  # fmt: skip
    for s in (loc, ray_s):
        assert s.counts == {"done": 4, "skipped": 0, "failed": 1}
        (bad,) = s.by_status("failed")
        assert bad.recording == str(csvs / "junk.csv") and "junk.csv" in bad.reason
    jsons = tree_bytes(tmp_path / "a_local", skip=(ANALYZE_MANIFEST,))
    assert sorted(jsons) == ["part0/correct001.json", "part0/wrong001.json",
                             "part1/correct002.json", "part1/wrong002.json"]  # fmt: skip
    assert tree_bytes(tmp_path / "a_ray", skip=(ANALYZE_MANIFEST,)) == jsons
    assert all(json.loads(v)["rep_count"] >= 0 for v in jsons.values())
    single = tmp_path / "single.json"
    res = CliRunner().invoke(app, ["analyze", str(csvs / "part1" / "wrong002.csv"), "--model",
                                   str(model), "--json", str(single)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert single.read_bytes() == jsons["part1/wrong002.json"]
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / "a_ray").rglob("*.json")
             if p.name != ANALYZE_MANIFEST}  # fmt: skip
    again = run_analysis(csvs, tmp_path / "a_ray", settings, engine="ray", workers=2,
                         progress=False)  # fmt: skip
    assert again.counts == {"done": 0, "skipped": 4, "failed": 1}
    assert {p: p.stat().st_mtime_ns for p in stamp} == stamp
    man = json.loads((tmp_path / "a_ray" / ANALYZE_MANIFEST).read_text())
    assert man["engine"] == "ray" and man["counts"] == again.counts
    assert not stray_files(tmp_path / "a_ray")
