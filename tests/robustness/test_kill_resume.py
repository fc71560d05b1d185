"""kill -9 at a random moment, then re-run: the result equals a clean run's and no temp file is
left behind (atomic writes + each job removing its own stale temps)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

EXE = Path(sys.executable).with_name("repcoach")
SRC = Path(__file__).resolve().parents[2] / "src"

pytestmark = pytest.mark.skipif(not EXE.exists(), reason="repcoach console script not found")


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1",
               TF_NUM_INTEROP_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("REPCOACH_DEBUG", None)
    return env


def run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([str(EXE), *args], capture_output=True, text=True, env=_env(),
                       timeout=timeout)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def kill_midway(args: list[str], watch: Path, seed: int, max_delay: float) -> float:
    """Start the command, wait until it has written its first file under ``watch``, then
    SIGKILL it after a random extra delay; the delay used."""
    rng = random.Random(seed)
    delay = rng.uniform(0.0, max_delay)
    p = subprocess.Popen([str(EXE), *args], env=_env(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 120:
        if watch.exists() and any(q.is_file() for q in watch.rglob("*")):
            break
        time.sleep(0.02)
    time.sleep(delay)
    if p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    p.wait()
    return delay


def tree(root: Path) -> dict[str, bytes]:
    return {q.relative_to(root).as_posix(): q.read_bytes()
            for q in sorted(root.rglob("*")) if q.is_file()}


def stray(root: Path) -> list[str]:
    from repcoach.io.atomic import _TEMP_RE

    return [q.name for q in root.rglob(".*") if _TEMP_RE.match(q.name)]


SYNTH = ["synth", "-n", "1", "--exercises", "JJ,SU", "--modalities", "pose,imu", "--quiet"]


def test_synth_killed_then_rerun_equals_clean_run(tmp_path: Path) -> None:
    """Also the report's case: a killed generation left a .tmp inside the dataset."""
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    run([*SYNTH[:1], str(clean), *SYNTH[1:]])
    kill_midway([*SYNTH[:1], str(resumed), *SYNTH[1:]], resumed, 1, max_delay=1.5)
    planted = resumed / "someone" / "JJ" / "frontal" / ".someoneJJ-frontal.csv.a1b2c3d4.tmp"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text("half a row,")  # as if killed inside a write (the kill may miss one)
    run([*SYNTH[:1], str(resumed), *SYNTH[1:]])
    assert stray(resumed) == [] and not planted.exists()
    planted.parent.rmdir()  # the empty folder we made for the planted file
    for d in (planted.parent.parent, planted.parent.parent.parent):
        if d.exists() and not any(d.iterdir()):
            d.rmdir()
    a, b = tree(clean), tree(resumed)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []


def _imu_data(root: Path) -> Path:
    from helpers import robust_corpus as C

    return C.imu_dataset(root)


def _predict(model_dir: Path) -> np.ndarray:
    from repcoach.models.folder import load_keras_models, load_model_config

    cfg = load_model_config(model_dir)
    clf, _, _ = load_keras_models(model_dir)
    x = np.random.default_rng(0).normal(size=(4, *clf.input_shape[1:])).astype(np.float32)
    assert cfg["classes"]
    return np.asarray(clf.predict_on_batch(x))


@pytest.mark.slow
def test_train_killed_then_rerun_equals_clean_run(tmp_path: Path) -> None:
    data = _imu_data(tmp_path / "data")
    args = ["train", "--modality", "imu", "--data", str(data), "--quick", "--quiet",
            "--epochs", "2", "--seed", "0", "--out"]
    run([*args, str(tmp_path / "clean")], timeout=600)
    kill_midway([*args, str(tmp_path / "resumed")], tmp_path / "resumed", 3, max_delay=4.0)
    run([*args, str(tmp_path / "resumed")], timeout=600)
    assert stray(tmp_path / "resumed") == []
    names = sorted(tree(tmp_path / "clean"))
    assert names == sorted(tree(tmp_path / "resumed"))
    man = [json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("clean", "resumed")]
    assert man[0]["classes"] == man[1]["classes"] and sorted(man[0]["files"]) == sorted(
        man[1]["files"])
    np.testing.assert_allclose(_predict(tmp_path / "clean"), _predict(tmp_path / "resumed"),
                               atol=1e-5)


@pytest.mark.slow
@pytest.mark.realdata
def test_extract_killed_then_rerun_equals_clean_run(realdata, tmp_path: Path) -> None:
    import shutil

    src = realdata("pushfit_pushup_form", "videos", "wrong002.mp4")
    (tmp_path / "in").mkdir()
    shutil.copy(src, tmp_path / "in" / "wrong002.mp4")
    shutil.copy(src, tmp_path / "in" / "wrong003.mp4")
    args = ["extract", str(tmp_path / "in"), "--max-frames", "15", "-j", "1", "-q", "--out"]
    run([*args, str(tmp_path / "clean")])
    kill_midway([*args, str(tmp_path / "resumed")], tmp_path / "resumed", 4, max_delay=2.0)
    run([*args, str(tmp_path / "resumed")])
    assert stray(tmp_path / "resumed") == []
    a, b = tree(tmp_path / "clean"), tree(tmp_path / "resumed")
    assert sorted(a) == sorted(b)
    csvs = [k for k in a if k.endswith(".csv")]
    assert csvs and all(a[k] == b[k] for k in csvs)
