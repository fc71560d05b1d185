"""Malformed inputs through the CLI: exit 2, exactly one ``error:`` line naming the file, no
traceback, and nothing written (docs/errors.md). The corpus is made here (tests/robustness/
robust_corpus.py); every case is one broken file among valid ones."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import robust_corpus as C

Case = Callable[[Path, dict[str, Path]], tuple[list[str], str]]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def deco(fn: Case) -> Case:
        CASES[name] = fn
        return fn
    return deco


# ---------------------------------------------------------------- pose CSV (analyze)
def _analyze(tmp: Path, base: dict[str, Path], csv: Path) -> list[str]:
    return ["analyze", str(csv), "--model", str(base["model"]), "--json", str(tmp / "out.json")]


def _pose_case(name: str, mutate: Callable[[pd.DataFrame], pd.DataFrame | str | bytes]) -> None:
    @case(f"pose-{name}")
    def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
        p = tmp / f"{name}.csv"
        got = mutate(C.pose_frame())
        if isinstance(got, bytes):
            p.write_bytes(got)
        elif isinstance(got, str):
            p.write_text(got)
        else:
            got.to_csv(p, index=False)
        return _analyze(tmp, base, p), p.name


def _set(col: str, row: int, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def f(df: pd.DataFrame) -> pd.DataFrame:
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
        return df
    return f


def _times(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def f(df: pd.DataFrame) -> pd.DataFrame:
        df["timestamp_s"] = fn(df["timestamp_s"].to_numpy())
        return df
    return f


_pose_case("utf16", lambda df: df.to_csv(index=False).encode("utf-16"))
_pose_case("latin1", lambda df: df.to_csv(index=False).replace("frame", "främe", 1)
           .encode("latin-1"))
_pose_case("random-bytes", lambda df: np.random.default_rng(3).bytes(5000))
_pose_case("nul-bytes", lambda df: b"frame,timestamp_s\x00\x00\n1,2\n")
_pose_case("empty", lambda df: "")
_pose_case("header-only", lambda df: df.iloc[:0])
_pose_case("huge-field", lambda df: df.to_csv(index=False).replace("0.9", C.huge_field(), 1))
_pose_case("unclosed-quote", lambda df: df.to_csv(index=False).replace("0.9", '"0.9', 1))
_pose_case("text-cell", _set("lm03_x", 5, "abc"))
_pose_case("inf-coord", _set("lm03_x", 5, "inf"))
_pose_case("minus-inf-coord", _set("lm10_y", 7, "-inf"))
_pose_case("1e300-coord", _set("lm03_z", 5, "1e300"))
_pose_case("1e400-coord", _set("lm03_z", 5, "1e400"))
_pose_case("detected-7", _set("detected", 4, 7))
_pose_case("nan-timestamp", _set("timestamp_s", 4, ""))
_pose_case("backwards-time", _times(lambda t: t[::-1].copy()))
_pose_case("repeated-time", _times(lambda t: np.where(np.arange(len(t)) == 9, t[8], t)))
_pose_case("ns-steps", _times(lambda t: t * 3e-8))  # 1e-9 s steps: 59 GiB before the limit
_pose_case("ms-timestamps", _times(lambda t: t * 1000.0))
_pose_case("last-time-1e300", _times(lambda t: np.where(np.arange(len(t)) == len(t) - 1, 1e300,
                                                        t)))
_pose_case("no-landmarks", lambda df: df[["frame", "timestamp_s"]])
_pose_case("missing-axis", lambda df: df.drop(columns=["lm05_y"]))


@case("pose-folder")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    d = tmp / "pose-folder.csv"
    d.mkdir()
    return _analyze(tmp, base, d), d.name


@case("pose-missing")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    return _analyze(tmp, base, tmp / "nope.csv"), "nope.csv"


@case("pose-no-person")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    df = C.pose_frame()
    lm = [c for c in df.columns if c.startswith("lm")]
    df.loc[10:, lm] = np.nan
    df.loc[10:, "detected"] = 0
    p = C.write_pose(tmp / "empty-room.csv", df)
    return _analyze(tmp, base, p), "empty-room.csv"


# ---------------------------------------------------------------- model folder
def _model_case(name: str, breaks: Callable[[Path], str]) -> None:
    @case(f"model-{name}")
    def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
        m = C.copy_tree(base["model"], tmp / "model")
        bad = breaks(m)
        p = C.write_pose(tmp / "ok.csv")
        return ["analyze", str(p), "--model", str(m)], bad


def _reverse_labels(m: Path) -> str:
    (m / "labels.json").write_text(json.dumps({"classes": C.CLASSES[::-1]}))
    return "labels.json"


def _three_labels(m: Path) -> str:
    (m / "labels.json").write_text(json.dumps({"classes": C.CLASSES[:3]}))
    return "labels.json"


def _edit_config(m: Path) -> str:
    cfg = json.loads((m / "config.json").read_text())
    cfg["n_features"] = 26
    (m / "config.json").write_text(json.dumps(cfg))
    return "config.json"


def _swap_weights(m: Path) -> str:
    (m / "classifier.keras").write_bytes(b"PK\x03\x04 other weights")
    return "classifier.keras"


def _stray_scorer(m: Path) -> str:
    (m / "scorers").mkdir(exist_ok=True)
    (m / "scorers" / "squat.keras").write_bytes(b"PK\x03\x04")
    return "squat.keras"


def _write(rel: str, data: bytes) -> Callable[[Path], str]:
    def f(m: Path) -> str:
        (m / rel).write_bytes(data)
        return rel
    return f


_model_case("reversed-labels", _reverse_labels)
_model_case("3-class-labels", _three_labels)
_model_case("edited-config", _edit_config)
_model_case("swapped-weights", _swap_weights)
_model_case("stray-scorer", _stray_scorer)
_model_case("manifest-garbage", _write("manifest.json", b"{not json"))
_model_case("config-latin1", _write("config.json", '{"a": "é"}'.encode("latin-1")))
_model_case("labels-random", _write("labels.json", np.random.default_rng(1).bytes(300)))


@case("model-not-a-folder")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    p = C.write_pose(tmp / "ok.csv")
    return ["analyze", str(p), "--model", str(tmp / "nomodel")], "nomodel"


# ---------------------------------------------------------------- indexed IMU dataset (count)
def _imu_case(name: str, breaks: Callable[[Path], str]) -> None:
    @case(f"imu-{name}")
    def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
        d = C.copy_tree(base["imu"], tmp / "imu")
        bad = breaks(d)
        return ["count", "--data", str(d), "--out", str(tmp / "counts"), "--quiet"], bad


def _index_cell(col: str, value: object, row: int = 1) -> Callable[[Path], str]:
    def f(d: Path) -> str:
        df = pd.read_csv(d / "index.csv", dtype=str)
        df.loc[row, col] = value
        df.to_csv(d / "index.csv", index=False)
        return "index.csv"
    return f


def _index_bytes(fn: Callable[[str], bytes]) -> Callable[[Path], str]:
    def f(d: Path) -> str:
        (d / "index.csv").write_bytes(fn((d / "index.csv").read_text()))
        return "index.csv"
    return f


def _duplicate_row(d: Path) -> str:
    df = pd.read_csv(d / "index.csv")
    pd.concat([df, df.iloc[:1]]).to_csv(d / "index.csv", index=False)
    return "index.csv"


def _reps(text: str) -> Callable[[Path], str]:
    def f(d: Path) -> str:
        (d / "reps.csv").write_text(text)
        return "reps.csv"
    return f


def _rec(fn: Callable[[pd.DataFrame], pd.DataFrame | bytes]) -> Callable[[Path], str]:
    def f(d: Path) -> str:
        got = fn(C.imu_recording())
        if isinstance(got, bytes):
            (d / "rec1.csv").write_bytes(got)
        else:
            got.to_csv(d / "rec1.csv", index=False)
        return "rec1.csv"
    return f


def _rec_time(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path], str]:
    def g(df: pd.DataFrame) -> pd.DataFrame:
        df["t_s"] = fn(df["t_s"].to_numpy())
        return df
    return _rec(g)


def _last(v: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda t: np.where(np.arange(len(t)) == len(t) - 1, v, t)


def _gz_rec(cut: bool) -> Callable[[Path], str]:
    def f(d: Path) -> str:
        import gzip

        raw = gzip.compress(C.imu_recording().to_csv(index=False).encode())
        (d / "rec1.csv.gz").write_bytes(raw[: len(raw) // 2] if cut else raw[:10] + b"junk")
        df = pd.read_csv(d / "index.csv", dtype=str)
        df.loc[1, "file"] = "rec1.csv.gz"
        df.to_csv(d / "index.csv", index=False)
        return "rec1.csv.gz"
    return f


_imu_case("rec-gz-truncated", _gz_rec(True))
_imu_case("rec-gz-corrupt", _gz_rec(False))
_imu_case("correctness-good", _index_cell("correctness", "good"))
_imu_case("correctness-7", _index_cell("correctness", "7"))
_imu_case("fs-fifty", _index_cell("fs_hz", "fifty"))
_imu_case("fs-zero", _index_cell("fs_hz", "0"))
_imu_case("rep-count-ten", _index_cell("rep_count", "ten"))
_imu_case("rep-count-1e400", _index_cell("rep_count", "1e400"))
_imu_case("rep-count-negative", _index_cell("rep_count", "-3"))
_imu_case("rep-count-fraction", _index_cell("rep_count", "2.5"))
_imu_case("missing-file", _index_cell("file", "gone.csv"))
_imu_case("duplicate-row", _duplicate_row)
_imu_case("index-utf16", _index_bytes(lambda s: s.encode("utf-16")))
_imu_case("index-latin1", _index_bytes(lambda s: s.replace("s1", "sé", 1).encode("latin-1")))
_imu_case("index-random", _index_bytes(lambda s: np.random.default_rng(2).bytes(2000)))
_imu_case("index-huge-field", _index_bytes(lambda s: s.replace("s1", C.huge_field(), 1)
                                           .encode()))
_imu_case("reps-empty", _reps(""))
_imu_case("reps-text", _reps("file,start_index,end_index\nrec0.csv,one,50\n"))
_imu_case("reps-backwards", _reps("file,start_index,end_index\nrec0.csv,50,10\n"))
_imu_case("rec-last-1e300", _rec_time(_last(1e300)))
_imu_case("rec-huge-times", _rec_time(lambda t: t * 1e18))
_imu_case("rec-ms-times", _rec_time(lambda t: t * 1e-6))
_imu_case("rec-inf-value", _rec(lambda df: df.assign(acc_x_g=df["acc_x_g"].replace(
    df["acc_x_g"].iloc[3], np.inf))))
_imu_case("rec-random", _rec(lambda df: np.random.default_rng(4).bytes(3000)))
_imu_case("rec-utf16", _rec(lambda df: df.to_csv(index=False).encode("utf-16")))


@case("train-out-is-file")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    f = tmp / "model.txt"
    f.write_text("keep me")
    return ["train", "--data", str(base["imu"]), "--out", str(f), "--modality", "imu"], f.name


@case("train-epochs-0")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    return ["train", "--data", str(base["imu"]), "--out", str(tmp / "m"), "--epochs", "0"], \
        "--epochs"


# ---------------------------------------------------------------- EJUST folder
def _ejust_case(name: str, breaks: Callable[[Path], str], cmd: str = "count") -> None:
    @case(f"ejust-{name}")
    def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
        d = C.copy_tree(base["ejust"], tmp / "ej")
        bad = breaks(d)
        if cmd == "count":
            return ["count", "--data", str(d), "--out", str(tmp / "c"), "--quiet"], bad
        return ["dataset", "summary", str(d)], bad
    return None


def _mm(fn: Callable[[str], bytes]) -> Callable[[Path], str]:
    def f(d: Path) -> str:
        p = sorted(d.rglob("*-lwrist_acc.csv"))[0]
        p.write_bytes(fn(p.read_text()))
        return p.name
    return f


def _mm_last_epoch(s: str) -> bytes:
    lines = s.splitlines()
    cells = lines[-1].split(",")
    cells[0] = "1e300"
    lines[-1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def _participants(fn: Callable[[str], bytes]) -> Callable[[Path], str]:
    def f(d: Path) -> str:
        p = d / "participants.csv"
        p.write_bytes(fn(p.read_text()))
        return "participants.csv"
    return f


_ejust_case("mm-utf16", _mm(lambda s: s.encode("utf-16")))
_ejust_case("mm-latin1", _mm(lambda s: s.replace("(g)", "(g)é", 0).encode("utf-8")
                             + "é\n".encode("latin-1")))
_ejust_case("mm-random", _mm(lambda s: np.random.default_rng(5).bytes(4000)))
_ejust_case("mm-huge-field", _mm(lambda s: s.replace(",", "," + C.huge_field() + ",", 1)
                                 .encode()))
_ejust_case("mm-last-epoch-1e300", _mm(_mm_last_epoch))
_ejust_case("participants-utf16", _participants(lambda s: s.encode("utf-16")), "summary")
_ejust_case("participants-latin1", _participants(lambda s: s.replace("-", "é", 1)
                                                 .encode("latin-1")), "summary")
_ejust_case("participants-random", _participants(lambda s: np.random.default_rng(6).bytes(999)),
            "summary")
_ejust_case("participants-huge-field",
            _participants(lambda s: (s + C.huge_field() + "\n").encode()), "summary")


@case("ejust-count-pose")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    return ["count", "--data", str(base["ejust"]), "--out", str(tmp / "c"), "--modality",
            "pose", "--quiet"], base["ejust"].name


# ---------------------------------------------------------------- thermal (thermal gei)
def _gei(tmp: Path, clip: Path, *more: str) -> list[str]:
    return ["thermal", "gei", str(clip), "--out", str(tmp / "gei"), *more]


def _thermal_case(name: str, **arrays: object) -> None:
    @case(f"thermal-{name}")
    def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
        p = C.thermal_npz(tmp / f"{name}.npz", **arrays)
        return _gei(tmp, p), p.name


_thermal_case("fps-string", timestamps=None, fps=np.array("fast"))
_thermal_case("timestamps-strings", timestamps=np.array([f"t{i}" for i in range(20)]))
_thermal_case("timestamps-1e300", timestamps=np.r_[np.arange(19) / 8.7, 1e300])
_thermal_case("frames-nan", frames=np.full((20, 24, 32), np.nan, np.float32))
_thermal_case("frames-2d", frames=np.zeros((24, 32), np.float32))


@case("thermal-object-dtype")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    p = tmp / "obj.npz"
    np.savez(p, frames=np.array([{"a": 1}] * 3, dtype=object), allow_pickle=True)
    return _gei(tmp, p), p.name


@case("thermal-truncated")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    p = C.thermal_npz(tmp / "cut.npz")
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return _gei(tmp, p), p.name


@case("thermal-bad-reps")
def _(tmp: Path, base: dict[str, Path]) -> tuple[list[str], str]:
    p = C.thermal_npz(tmp / "ok.npz")
    reps = tmp / "reps.csv"
    reps.write_text("start_s,end_s\n0.5,oops\n")
    return _gei(tmp, p, "--reps", str(reps)), reps.name


# ---------------------------------------------------------------- running the corpus
@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("base")
    return {"model": C.fake_model_dir(root / "model"), "imu": C.imu_dataset(root / "imu"),
            "ejust": C.ejust_dataset(root / "ejust")}


def run_cli(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
            ) -> tuple[int, str, str]:
    """Run ``repcoach.cli.main`` in-process; (exit status, stdout, stderr)."""
    from repcoach.cli import main

    monkeypatch.setattr(sys, "argv", ["repcoach", *argv])
    with pytest.raises(SystemExit) as ex:
        main()
    out = capsys.readouterr()
    code = ex.value.code
    return (code if isinstance(code, int) else 1), out.out, out.err


def files_under(p: Path) -> set[Path]:
    return {q for q in p.rglob("*")} if p.exists() else set()


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input_gives_one_error_line(name: str, base: dict[str, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    argv, bad = CASES[name](tmp_path, base)
    before = files_under(tmp_path)
    code, _, err = run_cli(argv, monkeypatch, capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert code == 2, f"{name}: exit {code}\n{err}"
    assert len(errors) == 1, f"{name}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert bad in errors[0], f"{name}: {errors[0]!r} does not name {bad!r}"
    assert len(errors[0]) < 2000
    new = files_under(tmp_path) - before
    allowed = {"out.json"} if name == "pose-no-person" else set()  # the 'no person' result
    assert {p.name for p in new if p.is_file()} <= allowed, f"{name} wrote {sorted(new)}"


def test_no_person_json_says_why(base: dict[str, Path], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture) -> None:
    argv, _ = CASES["pose-no-person"](tmp_path, base)
    code, _, err = run_cli(argv, monkeypatch, capsys)
    got = json.loads((tmp_path / "out.json").read_text())
    assert code == 2 and got["exercise"] is None and got["no_person"] is True
    assert "no person found" in got["reason"] and "11 %" in got["reason"], got["reason"]
    assert got["rep_count"] == 0


def test_subprocess_error_line_is_one_unwrapped_line(tmp_path: Path) -> None:
    """Through the real console script, piped: one line however long, nothing else."""
    exe = Path(sys.executable).with_name("repcoach")
    if not exe.exists():
        pytest.skip("repcoach console script not installed next to the interpreter")
    d = tmp_path / ("a-rather-long-folder-name-" * 4)
    d.mkdir()
    bad = d / "pose.csv"
    bad.write_bytes("frame,timestamp_s\n1,2\n".encode("utf-16"))
    C.fake_model_dir(tmp_path / "m")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
           "COLUMNS": "40"}
    r = subprocess.run([str(exe), "analyze", str(bad), "--model", str(tmp_path / "m")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
    assert str(bad) in r.stderr and "UTF-16" in r.stderr


def test_internal_error_is_one_line_and_debug_shows_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from repcoach.cli import boundary

    def boom(**_: object) -> None:
        raise ZeroDivisionError("deliberate")

    monkeypatch.setitem(boundary._state, "debug", False)
    monkeypatch.delenv("REPCOACH_DEBUG", raising=False)
    with pytest.raises(SystemExit) as ex:
        boundary.run(boom)
    err = capsys.readouterr().err
    assert ex.value.code == 1 and err.startswith("error: internal error (ZeroDivisionError")
    assert err.count("\n") == 1
    monkeypatch.setitem(boundary._state, "debug", True)
    with pytest.raises(ZeroDivisionError):
        boundary.run(boom)


def test_atomic_outputs_honour_umask(tmp_path: Path) -> None:
    import os

    from repcoach.io.atomic import atomic_path, write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
        with atomic_path(tmp_path / "b.png") as tmp:
            tmp.write_bytes(b"png")
        os.umask(0o077)
        write_text(tmp_path / "c.txt", "x")
    finally:
        os.umask(old)
    mode = {n: (tmp_path / n).stat().st_mode & 0o777 for n in ("a.txt", "b.png", "c.txt")}
    assert mode == {"a.txt": 0o644, "b.png": 0o644, "c.txt": 0o600}


def test_remove_stale_temps_keeps_user_files(tmp_path: Path) -> None:
    from repcoach.io.atomic import remove_stale_temps

    keep = [tmp_path / ".gitignore", tmp_path / "x.csv", tmp_path / ".x.csv.notes"]
    stale = [tmp_path / ".x.csv.ab12cd_3.tmp", tmp_path / "sub" / ".classifier.k3j4l5m6.keras"]
    for p in keep + stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    assert sorted(remove_stale_temps(tmp_path)) == sorted(stale)
    assert all(p.exists() for p in keep)


def test_cases_cover_the_issue() -> None:
    """The reported kinds of bad input each have a case (guards against a shrinking corpus)."""
    want = {"pose-folder", "pose-utf16", "pose-latin1", "pose-random-bytes", "pose-huge-field",
            "imu-correctness-good", "imu-fs-fifty", "imu-rep-count-ten", "imu-rep-count-1e400",
            "imu-reps-empty", "imu-reps-text", "ejust-count-pose", "model-3-class-labels",
            "thermal-truncated", "thermal-object-dtype", "thermal-fps-string",
            "thermal-timestamps-strings", "train-out-is-file", "pose-ns-steps",
            "imu-rec-last-1e300", "pose-no-person", "model-reversed-labels", "pose-inf-coord",
            "pose-ms-timestamps", "pose-detected-7", "imu-rep-count-negative",
            "imu-duplicate-row", "imu-fs-zero", "train-epochs-0", "ejust-mm-utf16",
            "ejust-participants-latin1", "thermal-bad-reps"}
    assert want <= set(CASES), sorted(want - set(CASES))
