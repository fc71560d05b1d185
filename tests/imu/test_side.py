"""Side canonicalisation (``side_mirror``) and the rocket families' augmentation copies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from repcoach.errors import DataError
from repcoach.imu.model import augmented_copies, mirror_map, rotation_groups
from repcoach.imu.nested import parse_imu_recipes
from repcoach.imu.train import check_sides, load_window_set, side_mirrored

CHANNELS = ("wrist.acc_x", "wrist.acc_y", "wrist.acc_z",
            "wrist.gyro_x", "wrist.gyro_y", "wrist.gyro_z")  # fmt: skip


def _right_wrist(direction: float, rng: np.random.Generator, reps: int = 8) -> np.ndarray:
    """(samples, 6) acc (g) + gyro (rad/s) at 50 Hz of a right-wrist rotation about the
    vertical: from rest outwards (direction -1) or inwards (+1) and back, with a pause."""
    period, rest = rng.uniform(1.6, 2.0), 0.8
    t = np.arange(int(reps * (period + rest) * 50)) / 50
    ph = np.mod(t, period + rest)
    move = ph < period
    w = np.where(move, direction * 2.5 * np.sin(2 * np.pi * ph / period), 0.0)
    x = np.zeros((len(t), 6))
    x[:, 0], x[:, 1], x[:, 2] = 0.3, 0.9, 0.3  # gravity: the side shows in acc_x
    x[:, 5] = w
    x[:, 3] = 0.2 * w  # a little about the forearm axis too
    return x + rng.normal(0, 0.02, x.shape)


def sided_dataset(root: Path, people: int = 4) -> Path:
    """index.csv data (SPAR's layout) with a ``side`` column: OUT / IN rotations on both
    wrists; each left-wrist recording is the mirror image (about x) of a right-wrist one, so
    OUT on the left moves like IN on the right."""
    perm, signs = mirror_map(CHANNELS, "x")
    rows = ["file,subject,label,side,rep_count"]
    (root / "rec").mkdir(parents=True)
    for p in range(people):
        for lab, d in (("OUT", -1.0), ("IN", 1.0)):
            right = _right_wrist(d, np.random.default_rng(10 * p + (d > 0)))
            for side, x in (("R", right), ("L", right[:, perm] * signs)):
                f = f"rec/S{p}_{lab}_{side}.csv"
                t = np.arange(len(x)) / 50
                body = "\n".join(",".join(f"{v:.5f}" for v in (tt, *row))
                                 for tt, row in zip(t, x, strict=True))  # fmt: skip
                (root / f).write_text("t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_rads,gyr_y_rads,"
                                      "gyr_z_rads\n" + body + "\n")  # fmt: skip
                rows.append(f"{f},{p + 1},{lab},{side},8")
    (root / "index.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def sided(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sided_dataset(tmp_path_factory.mktemp("sided") / "data")


def test_sides_are_read_and_left_recordings_mirror_onto_right(sided: Path) -> None:
    ws = load_window_set(sided, progress=False)
    assert ws.channels == CHANNELS and set(ws.sides) == {"L", "R"}
    left = ws.sides == "L"
    # the raw left windows differ from the right ones (acc_x and the rotation's sign) ...
    assert not np.allclose(ws.X[left], ws.X[~left], atol=1e-3)
    out = side_mirrored(ws, "x")
    # ... and after the mirror they are the right-wrist windows they were made from
    np.testing.assert_allclose(out.X[left], ws.X[~left], atol=1e-4)
    np.testing.assert_array_equal(out.X[~left], ws.X[~left])
    assert out.info["side_mirror"] == "x" and side_mirrored(ws, None) is ws
    sub = ws.subset(np.flatnonzero(left))
    assert set(sub.sides) == {"L"}


def test_side_mirror_needs_a_known_side(tmp_path: Path, sided: Path) -> None:
    from tests.imu.test_imu_train import tiny_dataset

    ws = load_window_set(tiny_dataset(tmp_path / "ejust", people=2), progress=False)
    assert ws.sides is None
    with pytest.raises(ValueError, match="side column"):
        side_mirrored(ws, "x")
    with pytest.raises(ValueError, match="side_mirror must be one of"):
        side_mirrored(load_window_set(sided, progress=False), "w")
    part = load_window_set(sided, progress=False)
    part.sides[:3] = ""
    with pytest.raises(ValueError, match="every recording"):
        check_sides(part)


def test_bad_side_cell_names_row_and_column(tmp_path: Path, sided: Path) -> None:
    import shutil

    data = tmp_path / "d"
    shutil.copytree(sided, data)
    lines = (data / "index.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",L,", ",middle,").replace(",R,", ",middle,")
    (data / "index.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="side must be L, R") as ei:
        load_window_set(data, progress=False)
    assert "row 4" in str(ei.value) and "side" in str(ei.value)


def test_augmented_copies() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 20, 6)).astype(np.float32)
    mirror = mirror_map(CHANNELS, "x")
    out = augmented_copies(X, 1, rng, mirror=(tuple(mirror[0]), tuple(mirror[1])))
    assert out.shape == (20, 20, 6)
    np.testing.assert_array_equal(out[:10], X)
    np.testing.assert_allclose(out[10:], X[:, :, mirror[0]] * mirror[1])  # mirror alone
    rot = augmented_copies(X, 2, rng, rotate_deg=30, channels=CHANNELS)
    assert rot.shape == (30, 20, 6) and not np.allclose(rot[10:20], X)
    for trip in rotation_groups(CHANNELS)[0]:  # a rotation keeps every vector's length
        np.testing.assert_allclose(np.linalg.norm(rot[10:20][:, :, trip], axis=-1),
                                   np.linalg.norm(X[:, :, trip], axis=-1), rtol=1e-4)
    sc = augmented_copies(X, 1, rng, scale=0.2)[10:] / X
    assert np.allclose(sc, sc[:, :1, :1], rtol=1e-4)  # one gain per window
    assert sc.min() >= 0.8 and sc.max() <= 1.2
    np.testing.assert_array_equal(augmented_copies(X, 0, rng), X)


def test_recipes_take_side_copies_and_scale() -> None:
    (r,) = parse_imu_recipes("--arch rocket --copies 2 --scale 0 --side-mirror x")
    assert r.params["augment_copies"] == 2 and r.params["scale_augment"] == 0.0
    assert r.params["side_mirror"] == "x"
    with pytest.raises(ValueError, match="augment_copies"):
        parse_imu_recipes("--arch rocket --copies -1")
    with pytest.raises(ValueError, match="scale_augment"):
        parse_imu_recipes("--arch rocket --scale 1.5")
    with pytest.raises(ValueError, match="side_mirror"):
        parse_imu_recipes("--arch rocket --side-mirror q")


@pytest.mark.slow
def test_rocket_copies_and_side_mirror_through_train_crossval_evaluate(
    tmp_path: Path, sided: Path
) -> None:
    """`--side-mirror x --copies 1` train a rocket model whose folder records both, evaluation
    mirrors the held-out left recordings the same way, and crossval reports the option."""
    from repcoach.cli import app
    from repcoach.models.folder import load_model_config

    run = CliRunner().invoke
    r = run(app, ["train", "--modality", "imu", "--data", str(sided), "--out",
                  str(tmp_path / "m"), "--arch", "rocket", "--side-mirror", "x", "--copies", "1",
                  "--rotate", "0", "--quiet"])  # fmt: skip
    assert r.exit_code == 0, r.output
    cfg = load_model_config(tmp_path / "m")
    assert cfg["train_params"]["side_mirror"] == "x"
    assert cfg["train_params"]["augment_copies"] == 1
    perm, signs = mirror_map(CHANNELS, "x")  # what an app applies to left-wrist windows
    assert cfg["train_params"]["side_mirror_map"] == {"perm": perm.tolist(),
                                                      "signs": signs.tolist()}
    r = run(app, ["evaluate", "--model", str(tmp_path / "m"), "--data", str(sided), "--out",
                  str(tmp_path / "e")])  # fmt: skip
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "e" / "report.json").read_text())
    assert rep["evaluated_on"]["includes_training_subjects"] is False
    assert rep["classification"]["clip"]["accuracy"] == 1.0  # mirrored: both sides alike
    r = run(app, ["crossval", "--modality", "imu", "--data", str(sided), "--out",
                  str(tmp_path / "cv"), "--arch", "rocket", "--side-mirror", "x", "--quiet"])
    assert r.exit_code == 0, r.output
    cv = json.loads((tmp_path / "cv" / "crossval.json").read_text())
    assert cv["params"]["side_mirror"] == "x" and len(cv["folds"]) == 4


def _main(argv: list[str], monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """``repcoach.cli.main`` in-process (data errors become one ``error:`` line, exit 2)."""
    import sys

    from repcoach.cli import main

    monkeypatch.setattr(sys, "argv", ["repcoach", *argv])
    with pytest.raises(SystemExit) as ex:
        main()
    out = capsys.readouterr()
    return int(ex.value.code or 0), out.out + out.err


def test_cli_refuses_side_mirror_without_sides_and_score_all_without_select(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from tests.imu.test_imu_train import tiny_dataset

    data = tiny_dataset(tmp_path / "ejust", people=2)
    base = ["crossval", "--modality", "imu", "--data", str(data), "--out"]
    code, text = _main([*base, str(tmp_path / "a"), "--side-mirror", "x", "--quiet"],
                       monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "error:" in text and "side" in text
    assert not (tmp_path / "a").exists()
    code, text = _main([*base, str(tmp_path / "c"), "--select", "--arch rocket --side-mirror x",
                        "--quiet"], monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "error:" in text and "'--arch rocket --side-mirror x'" in text
    assert not (tmp_path / "c").exists()
    code, text = _main([*base, str(tmp_path / "b"), "--score-all"], monkeypatch, capsys)
    assert code == 2 and "--select" in " ".join(text.replace("│", " ").split())


@pytest.mark.realdata
def test_spar_sides_differ_by_the_mirror_and_canonicalise(realdata) -> None:
    """On SPAR the watch's gravity reading shows the wrist: where the forearm hangs or
    points along x (5 of the 7 exercises) the mean acc_x has opposite signs on the two wrists;
    after side_mirror x both wrists agree."""
    ws = load_window_set(realdata("spar_wrist_imu"), progress=False)
    assert set(ws.sides) == {"L", "R"}
    out = side_mirrored(ws, "x")
    ax = list(ws.channels).index("wrist.acc_x")
    along_x = 0
    for lab in sorted(set(ws.y)):
        left, right = (ws.y == lab) & (ws.sides == "L"), (ws.y == lab) & (ws.sides == "R")
        raw = ws.X[left, :, ax].mean(), ws.X[right, :, ax].mean()
        if min(abs(raw[0]), abs(raw[1])) < 0.3:
            continue  # forearm horizontal (the rotations): gravity is not along x
        along_x += 1
        assert np.sign(raw[0]) != np.sign(raw[1]), lab
        assert np.sign(out.X[left, :, ax].mean()) == np.sign(out.X[right, :, ax].mean()), lab
    assert along_x >= 4
