"""Each generated exercise looks like itself, measured from the written CSVs and the world
landmarks; the form deviations really change the motion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from repcoach.io.pose_csv import read_pose_csv
from repcoach.skeleton import MEDIAPIPE_33 as L
from repcoach.synth.generate import generate_dataset, generate_recording, participants_for_seed

IX = L.index
SEED, N_PEOPLE, REPS = 7, 3, (6, 7)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth_ex")
    generate_dataset(root, n_participants=N_PEOPLE, seed=SEED, reps=REPS, progress=False)
    ann = pd.read_csv(root / "annotations.csv")
    people = participants_for_seed(N_PEOPLE, SEED)
    out = {}
    for code in ("JJ", "HK", "SU", "SE"):
        items = []
        for i, p in enumerate(people):
            gen = generate_recording(p, i, code, SEED, REPS)
            world = gen.recording.landmarks_world(gen.recording.frame_times())
            views = {
                v: read_pose_csv(root / p.name / code / v / f"{p.name}{code}-{v}.csv")
                for v in ("frontal", "side")
            }
            reps = ann[(ann.participant == p.name) & (ann.exercise == code)]
            items.append((world, views, reps))
        out[code] = items
    return out


def _clean(reps: pd.DataFrame, rom: float = 0.3, asym: float = 0.3, posture: float = 1.0):
    return reps[(reps.dev_rom < rom) & (reps.dev_asymmetry < asym) & (reps.dev_posture < posture)]


def _interp(seq, joint: int) -> np.ndarray:
    """(frames, 3) image trajectory of one landmark with dropped frames interpolated."""
    c = seq.coords[:, joint].astype(float)
    ok = seq.detected & ~np.isnan(c).any(axis=1)
    t = np.arange(len(c))
    return np.stack([np.interp(t, t[ok], c[ok, k]) for k in range(3)], 1)


def test_jumping_jacks_arms_overhead_at_top_and_down_at_start(data):
    checked = 0
    for world, views, reps in data["JJ"]:
        fr = views["frontal"]
        wl, wr, nose = _interp(fr, IX("left_wrist")), _interp(fr, IX("right_wrist")), _interp(fr, 0)
        hip_y = (_interp(fr, IX("left_hip"))[:, 1] + _interp(fr, IX("right_hip"))[:, 1]) / 2
        sho_y = (
            _interp(fr, IX("left_shoulder"))[:, 1] + _interp(fr, IX("right_shoulder"))[:, 1]
        ) / 2
        for r in reps.itertuples():
            s, e = r.start_frame, r.end_frame
            # Start: wrists hang by the hips, well below the shoulders (image y grows down).
            for w in (wl, wr):
                assert w[s, 1] > sho_y[s] + 0.6 * (hip_y[s] - sho_y[s])
            # Legs apart at the top: ankles farther apart than at the start (world).
            top_w = s + int(np.argmax(world[s:e, [15, 16], 1].mean(axis=1)))
            gap = np.abs(world[:, 27, 0] - world[:, 28, 0])
            assert gap[top_w] > gap[s] + 0.1 * (1 - r.dev_rom)
        for r in _clean(reps).itertuples():
            s, e = r.start_frame, r.end_frame
            top = s + int(np.argmin((wl[s:e, 1] + wr[s:e, 1]) / 2))
            assert wl[top, 1] < nose[top, 1] and wr[top, 1] < nose[top, 1]
            # World: wrists above the top of the head.
            head_top = world[top, :11, 1].max() + 0.06
            assert world[top, [15, 16], 1].min() > head_top
            checked += 1
    assert checked >= 5


def test_high_knees_knee_reaches_hip_height_each_half(data):
    checked = 0
    for world, views, reps in data["HK"]:
        side = views["side"]
        for r in _clean(reps, rom=0.2).itertuples():
            s, e = r.start_frame, r.end_frame
            mid = (s + e) // 2
            for (a, b), knee, hip in (((s, mid), 25, 23), ((mid, e), 26, 24)):
                k = a + int(np.argmax(world[a:b, knee, 1]))
                assert world[k, knee, 1] >= world[k, hip, 1] - 0.02  # world metres
                # Side camera: knee at or above the hip in the image (y down), 2 % tolerance.
                kk = _interp(side, knee)[a:b, 1].min()
                assert kk <= _interp(side, hip)[a:b, 1].min() + 0.02
            checked += 1
        # Arms pump below the face, the arm opposite the raised knee swings forward.
        assert (world[:, 0, 1] - world[:, [15, 16], 1].max(axis=1)).min() > 0.05
        for r in reps.itertuples():
            s, e = r.start_frame, r.end_frame
            assert world[s, 25, 1] < world[s, 23, 1] - 0.3  # starts with both feet down
            k = s + int(np.argmax(world[s : (s + e) // 2, 25, 1]))  # left knee at its top
            assert world[k, 16, 2] > world[k, 15, 2] + 0.1
    assert checked >= 5


def test_sit_ups_trunk_rises_from_the_floor(data):
    for world, views, reps in data["SU"]:
        side = views["side"]
        sh_img = (_interp(side, 11)[:, 1] + _interp(side, 12)[:, 1]) / 2
        hip_img = (_interp(side, 23)[:, 1] + _interp(side, 24)[:, 1]) / 2
        assert world[0, [11, 12], 1].max() < 0.15  # lying at the start of the recording
        for r in reps.itertuples():
            s, e = r.start_frame, r.end_frame
            sh = world[s:e, [11, 12], 1].mean(axis=1)
            assert sh[0] < 0.15  # shoulders near the floor at the start of every rep
            rise = sh.max() - sh[0]
            assert rise > 0.1
            if r.dev_rom < 0.3:
                assert sh.max() > 0.4  # well above the floor
                # Side view: shoulders climb well above the hips in the image.
                trunk_px = np.abs(sh_img[s] - hip_img[s]) + np.ptp(sh_img[s:e])
                assert hip_img[s:e].mean() - sh_img[s:e].min() > 0.5 * trunk_px
            # Feet stay on the floor, hips stay down.
            assert world[s:e, [29, 30, 31, 32], 1].max() < 0.06
            assert world[s:e, [23, 24], 1].max() < 0.15


def test_steam_engine_hands_at_head_elbow_meets_opposite_knee(data):
    checked = 0
    for world, _views, reps in data["SE"]:
        head = world[:, [7, 8]].mean(axis=1)
        for w in (15, 16):
            assert np.linalg.norm(world[:, w] - head, axis=1).max() < 0.45
        rest = np.linalg.norm(world[0, 14] - world[0, 25])
        for r in _clean(reps, posture=0.3).itertuples():
            s, e = r.start_frame, r.end_frame
            mid = (s + e) // 2
            d1 = np.linalg.norm(world[s:mid, 14] - world[s:mid, 25], axis=1).min()  # R elbow-L knee
            d2 = np.linalg.norm(world[mid:e, 13] - world[mid:e, 26], axis=1).min()  # L elbow-R knee
            assert d1 < 0.45 * rest and d2 < 0.45 * rest
            checked += 1
    assert checked >= 3


def _rep_peak(reps, values: np.ndarray, fn=np.max) -> np.ndarray:
    return np.array([fn(values[r.start_frame : r.end_frame]) for r in reps.itertuples()])


def test_deviations_change_the_motion(data):
    """Bigger range-of-motion deviations give visibly smaller movements (rank correlation
    measured over all reps of all people, from world landmarks)."""
    rom, peak = [], []
    for world, _v, reps in data["JJ"]:
        rel = world[:, [15, 16], 1].mean(axis=1) - world[:, 0, 1]
        rom += list(reps.dev_rom)
        peak += list(_rep_peak(reps, rel))
    assert spearmanr(rom, peak)[0] < -0.5
    rom, peak = [], []
    for world, _v, reps in data["SU"]:
        rom += list(reps.dev_rom)
        peak += list(_rep_peak(reps, world[:, [11, 12], 1].mean(axis=1)))
    assert spearmanr(rom, peak)[0] < -0.5
    post, turn = [], []
    for world, _v, reps in data["SE"]:
        sh = world[:, 11] - world[:, 12]
        yaw = np.degrees(np.abs(np.arctan2(sh[:, 2], sh[:, 0])))
        post += list(reps.dev_posture)
        turn += list(_rep_peak(reps, yaw))
    assert spearmanr(post, turn)[0] < -0.4
