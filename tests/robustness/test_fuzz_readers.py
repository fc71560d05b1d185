"""Property-based fuzzing of every reader: whatever the bytes, a reader returns a value or
raises DataError; nothing else escapes (UnicodeDecodeError, IndexError, MemoryError, ...)."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import robust_corpus as C
from repcoach.errors import DataError

FUZZ = settings(max_examples=35, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Cell values that broke readers before, and their kind.
NASTY = ["", "nan", "NaN", "inf", "-inf", "1e400", "1e300", "-1e300", "1e-300", "abc", "0",
         "-1", "7", "1e-9", "2.5", '"', '""', "x" * 5000, "é", "\x00", " ", "0x10", "1,5",
         "True", "[]", "{}"]


@contextlib.contextmanager
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="repcoach-fuzz-") as d:
        yield Path(d)


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> bytes:
    """``text`` with a few cells replaced by nasty values, maybe truncated, maybe re-encoded,
    or (sometimes) just random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=3000))
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(lines) - 1))
        cells = lines[r].split(",")
        c = draw(st.integers(0, len(cells) - 1))
        cells[c] = draw(st.sampled_from(NASTY) | st.text(max_size=12))
        lines[r] = ",".join(cells)
    if draw(st.booleans()):
        r = draw(st.integers(0, len(lines) - 1))
        lines.insert(r, lines[r])  # a duplicate row (repeated time, duplicate file ...)
    out = "\n".join(lines) + "\n"
    if draw(st.integers(0, 4)) == 0:
        out = out[: draw(st.integers(0, len(out)))]
    enc = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1", "utf-8-sig"]))
    return out.encode(enc, errors="replace")


def only_data_errors(fn: Callable[[], object]) -> None:
    try:
        fn()
    except DataError as e:
        assert str(e) and e.path is not None, "a DataError must name its file"


POSE = C.pose_frame(n=20).to_csv(index=False)
IMU = C.imu_recording(n=100).to_csv(index=False)


@FUZZ
@given(mutated_text(POSE))
def test_pose_csv(data: bytes) -> None:
    from repcoach.io.pose_csv import read_pose_csv

    with folder() as d:
        (d / "p.csv").write_bytes(data)
        only_data_errors(lambda: read_pose_csv(d / "p.csv"))


@FUZZ
@given(mutated_text(IMU))
def test_imu_csv_and_resampling(data: bytes) -> None:
    from repcoach.imu.load import load_imu_recording

    with folder() as d:
        (d / "r.csv").write_bytes(data)
        only_data_errors(lambda: load_imu_recording(d / "r.csv", 50.0))


def _metamotion_text() -> str:
    from repcoach.io.metamotion import write_metamotion_csv

    with folder() as d:
        t = 1.7e9 + np.arange(40) / 50
        write_metamotion_csv(d / "a.csv", t, np.random.default_rng(0).normal(size=(40, 3)), "acc")
        return (d / "a.csv").read_text()


MM = _metamotion_text()


@FUZZ
@given(mutated_text(MM))
def test_metamotion_csv(data: bytes) -> None:
    from repcoach.io.metamotion import read_metamotion_csv

    with folder() as d:
        (d / "a.csv").write_bytes(data)
        only_data_errors(lambda: read_metamotion_csv(d / "a.csv"))


INDEX = ("file,subject,label,rep_count,correctness,fs_hz\nrec0.csv,s1,curl,5,0.5,50\n"
         "rec1.csv,s2,curl,4,1,50\n")
REPS = ("file,start_index,end_index,execution_type,correctness\nrec0.csv,1,50,ok,1\n"
        "rec0.csv,51,99,ok,0\n")


@FUZZ
@given(mutated_text(INDEX), mutated_text(REPS))
def test_imu_index_and_reps(index: bytes, reps: bytes) -> None:
    from repcoach.io.imu_csv import read_imu_index, read_rep_annotations

    with folder() as d:
        for f in ("rec0.csv", "rec1.csv"):
            (d / f).write_text(IMU)
        (d / "index.csv").write_bytes(index)
        (d / "reps.csv").write_bytes(reps)
        only_data_errors(lambda: read_imu_index(d))
        only_data_errors(lambda: read_rep_annotations(d))


PARTICIPANTS = ("participant_id,name,age,height_cm,weight_kg,sleep_h,smoker,healthy_eater\n"
                "P01,ahmed-attia,23,175,70,7,no,yes\nP02,sara-hassan,30,160,55,8,no,no\n")


@FUZZ
@given(mutated_text(PARTICIPANTS))
def test_participants(data: bytes) -> None:
    from repcoach.io.metadata import load_participants

    with folder() as d:
        (d / "participants.csv").write_bytes(data)
        only_data_errors(lambda: load_participants(d / "participants.csv"))
        load_participants(d / "participants.csv", strict=False)  # lenient: never raises


ANNOTATIONS = ("participant,exercise,label,rep,start_frame,end_frame,start_s,end_s,score\n"
               "ahmed-attia,JJ,jumping_jacks,1,0,30,0.0,1.0,0.9\n"
               "ahmed-attia,JJ,jumping_jacks,2,30,60,1.0,2.0,0.7\n")


@FUZZ
@given(mutated_text(ANNOTATIONS))
def test_annotations(data: bytes) -> None:
    from repcoach.io.annotations import ANNOTATION_COLUMNS, load_annotations

    assert set(ANNOTATION_COLUMNS) <= set(ANNOTATIONS.splitlines()[0].split(","))
    with folder() as d:
        (d / "annotations.csv").write_bytes(data)
        only_data_errors(lambda: load_annotations(d))


arrays = st.one_of(
    st.just(None),
    st.sampled_from([np.array("fast"), np.array(1e300), np.array(-5.0), np.array(np.nan),
                     np.array([1, 2, 3]), np.array(8.7), np.array(0.0), np.zeros((2, 2)),
                     np.array([b"x"]), np.array(1e-300)]),
)


@FUZZ
@given(frames_kind=st.sampled_from(["ok", "nan", "2d", "empty", "int", "str", "tiny", "complex"]),
       ts_kind=st.sampled_from(["ok", "none", "str", "short", "back", "1e300", "ns", "nan"]),
       fps=arrays, unit=st.sampled_from([None, np.array("celsius"), np.array(3), np.array("x")]),
       cut=st.integers(0, 12))
def test_thermal_npz(frames_kind: str, ts_kind: str, fps: object, unit: object,
                     cut: int) -> None:
    from repcoach.thermal.io import read_thermal

    n = 12
    frames = {"ok": np.full((n, 8, 8), 30.0, np.float32), "nan": np.full((n, 8, 8), np.nan),
              "2d": np.zeros((8, 8)), "empty": np.zeros((0, 8, 8)),
              "int": np.zeros((n, 8, 8), np.uint16), "str": np.full((n, 2, 2), "a"),
              "tiny": np.zeros((n, 1, 1)), "complex": np.zeros((n, 4, 4), complex)}[frames_kind]
    t = np.arange(n) / 8.7
    ts = {"ok": t, "none": None, "str": t.astype(str), "short": t[:3], "back": t[::-1],
          "1e300": np.r_[t[:-1], 1e300], "ns": t * 1e-9, "nan": np.r_[np.nan, t[1:]]}[ts_kind]
    with folder() as d:
        p = d / "c.npz"
        buf = io.BytesIO()
        np.savez(buf, frames=frames, **{k: v for k, v in
                                         (("timestamps", ts), ("fps", fps), ("unit", unit))
                                         if v is not None})
        raw = buf.getvalue()
        p.write_bytes(raw if cut == 0 else raw[: len(raw) * cut // 13])
        only_data_errors(lambda: read_thermal(p))
        q = d / "c.npy"
        q.write_bytes(raw[: len(raw) * cut // 13] if cut else b"\x93NUMPY junk")
        only_data_errors(lambda: read_thermal(q))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=4),
    max_leaves=8,
)


@FUZZ
@given(key=st.sampled_from(["seq_len", "n_features", "classes", "format_version",
                            "scorer_inputs", "scorers", "task"]),
       value=json_values, which=st.sampled_from(["config", "labels", "manifest", "bytes"]),
       junk=st.binary(max_size=200))
def test_model_folder(key: str, value: object, which: str, junk: bytes) -> None:
    from repcoach.models.folder import load_model_config

    with folder() as d:
        m = C.fake_model_dir(d / "m")
        name = {"config": "config.json", "labels": "labels.json",
                "manifest": "manifest.json", "bytes": "config.json"}[which]
        if which == "bytes":
            (m / name).write_bytes(junk)
        else:
            obj = json.loads((m / name).read_text())
            obj[key if which == "config" else next(iter(obj))] = value
            (m / name).write_text(json.dumps(obj))
            if which != "manifest":
                (m / "manifest.json").unlink()  # legacy folder: the content checks alone
        only_data_errors(lambda: load_model_config(m))


def test_fuzz_budget_is_a_few_hundred() -> None:
    n_tests = 8
    assert 200 <= FUZZ.max_examples * n_tests <= 400


def test_seeds_are_valid() -> None:
    """The unmutated seeds parse, so fuzzing starts from valid files."""
    from repcoach.imu.load import load_imu_recording
    from repcoach.io.annotations import load_annotations
    from repcoach.io.imu_csv import read_imu_index, read_rep_annotations
    from repcoach.io.metadata import load_participants
    from repcoach.io.metamotion import read_metamotion_csv
    from repcoach.io.pose_csv import read_pose_csv

    with folder() as d:
        for name, text in (("p.csv", POSE), ("rec0.csv", IMU), ("rec1.csv", IMU), ("a.csv", MM),
                           ("index.csv", INDEX), ("reps.csv", REPS),
                           ("participants.csv", PARTICIPANTS), ("annotations.csv", ANNOTATIONS)):
            (d / name).write_text(text)
        assert read_pose_csv(d / "p.csv").n_frames == 20
        assert load_imu_recording(d / "rec0.csv").data.shape[1] == 6
        assert read_metamotion_csv(d / "a.csv").n_samples == 40
        assert len(read_imu_index(d)) == 2 and len(read_rep_annotations(d)["rec0.csv"]) == 2
        assert len(load_participants(d / "participants.csv")) == 2
        assert len(load_annotations(d)) == 2
