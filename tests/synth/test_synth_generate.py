"""The dataset writer: annotations, scores, determinism, dropped frames, modalities, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from repcoach.errors import RepcoachError
from repcoach.io.annotations import load_annotations
from repcoach.io.metadata import load_participants
from repcoach.io.pose_csv import read_pose_csv
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.synth import generate as gen_mod
from repcoach.synth.form import DEVIATIONS, WEIGHTS, score_from_deviations
from repcoach.synth.generate import generate_dataset


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth_gen")
    generate_dataset(root, n_participants=3, seed=21, reps=(5, 5), progress=False)
    return root


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_and_metadata(small):
    people = load_participants(small / "participants.csv")
    assert len(people) == 3
    for p in people:
        for code in ("SE", "JJ", "SU", "HK"):
            for view in ("frontal", "side"):
                f = small / p.name / code / view / f"{p.name}{code}-{view}.csv"
                seq = read_pose_csv(f)
                assert seq.layout.name == MEDIAPIPE_33.name and seq.fps == pytest.approx(
                    30.0, rel=1e-3
                )
                ok = seq.coords[seq.detected]
                assert np.isfinite(ok).all()
                # Most landmarks land inside the image, visibilities in [0, 1].
                assert ((ok[..., :2] > 0) & (ok[..., :2] < 1)).mean() > 0.95
                assert (seq.visibility >= 0).all() and (seq.visibility <= 1).all()


def test_annotations(small):
    ann = load_annotations(small)  # the dataset reader accepts them
    assert ann is not None
    raw = pd.read_csv(small / "annotations.csv")
    assert list(raw.columns[-4:]) == [f"dev_{d}" for d in DEVIATIONS]
    for (name, code), g in raw.groupby(["participant", "exercise"]):
        assert len(g) == 5  # the requested repetitions
        assert list(g.rep) == [1, 2, 3, 4, 5]
        n = read_pose_csv(small / name / code / "frontal" / f"{name}{code}-frontal.csv").n_frames
        assert (g.start_frame >= 0).all() and (g.end_frame <= n).all()
        assert (g.end_frame > g.start_frame).all()
        assert (g.start_frame.to_numpy()[1:] >= g.end_frame.to_numpy()[:-1]).all()
        assert g.start_frame.iloc[0] >= 15  # idle lead-in of at least 0.5 s
        np.testing.assert_allclose(g.start_frame, np.round(g.start_s * 30), atol=0)
    assert raw.score.between(0, 1).all()
    dev = raw[[f"dev_{d}" for d in DEVIATIONS]].to_numpy()
    assert dev.min() >= 0 and dev.max() <= 1
    np.testing.assert_allclose(raw.score, score_from_deviations(dev), atol=2e-4)
    worse = raw[dev.max(axis=1) > 0.5].score
    clean = raw[dev.max(axis=1) < 0.1].score
    assert len(worse) and len(clean) and worse.max() < clean.min()


def test_score_formula_and_mixture():
    assert score_from_deviations({}) == 1.0
    assert score_from_deviations({"rom": 1.0}) == pytest.approx(1 - WEIGHTS["rom"])
    assert score_from_deviations(dict.fromkeys(DEVIATIONS, 1.0)) == 0.0
    rng = np.random.default_rng(0)
    for k in DEVIATIONS:  # strictly decreasing in every deviation
        a = dict(zip(DEVIATIONS, rng.uniform(0, 0.3, 4), strict=True))
        b = dict(a, **{k: a[k] + 0.2})
        assert score_from_deviations(b) < score_from_deviations(a)
    from repcoach.synth.form import FormProfile, sample_deviations

    s = np.concatenate(
        [
            score_from_deviations(sample_deviations(rng, 10, FormProfile.sample(rng)))
            for _ in range(500)
        ]
    )
    assert 0.4 < (s > 0.8).mean() < 0.65  # roughly half the reps are good
    assert np.quantile(s, 0.05) < 0.45 and (s < 0.3).mean() > 0.01  # the rest spread down


def test_dropped_frames_present_and_flagged(small):
    dropped = 0
    for f in small.rglob("*-side.csv"):
        df = pd.read_csv(f)
        bad = df[df.detected == 0]
        if len(bad):
            lm = [c for c in df.columns if c.startswith("lm")]
            assert bad[lm].isna().all().all()  # empty landmark cells
            assert df.loc[df.detected == 1, lm[:3]].notna().all().all()
            seq = read_pose_csv(f)
            assert (~seq.detected).sum() == len(bad)
        dropped += len(bad)
    assert dropped > 0
    # Side view: the far (right) side is less visible than the near (left) side.
    seq = read_pose_csv(next(small.rglob("*JJ-side.csv")))
    v = seq.visibility[seq.detected]
    assert v[:, 13].mean() > v[:, 14].mean() + 0.1  # left vs right elbow


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    kw = dict(n_participants=1, exercises=["JJ", "SU"], reps=(3, 3), progress=False)
    a, b, c = (
        generate_dataset(tmp_path / n, seed=s, **kw) for n, s in (("a", 5), ("b", 5), ("c", 6))
    )
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert fa == fb and len(fa) == 6
    assert (a / "participants.csv").read_bytes() != (c / "participants.csv").read_bytes()
    assert all(fa[k] != fc.get(k) for k in fa)
    # Choosing fewer exercises leaves the others unchanged.
    d = generate_dataset(tmp_path / "d", seed=5, **dict(kw, exercises=["SU"]))
    fd = _files(d)
    assert all(fd[k] == fa[k] for k in fd if k.suffix == ".csv" and "SU" in k.name)


def test_modalities_errors(tmp_path, monkeypatch):
    with pytest.raises(RepcoachError, match="unknown modality"):
        generate_dataset(tmp_path, n_participants=1, modalities=("pose", "sonar"), progress=False)
    monkeypatch.setitem(gen_mod.MODALITY_WRITERS, "imu", "repcoach.synth.nonexistent:write_imu")
    with pytest.raises(RepcoachError, match="nonexistent"):
        generate_dataset(tmp_path, n_participants=1, modalities=("pose", "imu"), progress=False)
    assert not (tmp_path / "participants.csv").exists()  # failed before writing anything
    with pytest.raises(RepcoachError, match="unknown exercise"):
        generate_dataset(tmp_path, n_participants=1, exercises=["XX"], progress=False)


def test_cli(tmp_path):
    from repcoach.cli import app

    out = tmp_path / "ds"
    args = ["synth", str(out), "--participants", "1", "--seed", "2", "--exercises", "HK"]
    res = CliRunner().invoke(app, [*args, "--reps-min", "2", "--reps-max", "3", "-q"])
    assert res.exit_code == 0, res.output
    assert "annotations.csv" in res.output
    ann = pd.read_csv(out / "annotations.csv")
    assert set(ann.exercise) == {"HK"} and 2 <= len(ann) <= 3
