"""A successful `repcoach analyze` through the console script writes nothing on stderr (no
"INFO: Created TensorFlow Lite XNNPACK delegate") and its outputs honour the umask."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.tiny_model_dir import arm_swings, exported_copy

EXE = Path(sys.executable).with_name("repcoach")


@pytest.mark.slow
@pytest.mark.skipif(not EXE.exists(), reason="repcoach console script not found")
def test_analyze_stderr_is_empty_and_json_is_0644(tmp_path: Path) -> None:
    from repcoach.io.pose_csv import write_pose_csv

    model = exported_copy(tmp_path / "model")
    write_pose_csv(arm_swings(), tmp_path / "arms.csv")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    r = subprocess.run([str(EXE), "analyze", str(tmp_path / "arms.csv"), "--model", str(model),
                        "--json", str(tmp_path / "o.json")], capture_output=True, text=True,
                       env=env, timeout=300, preexec_fn=lambda: os.umask(0o022))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert (tmp_path / "o.json").stat().st_mode & 0o777 == 0o644
