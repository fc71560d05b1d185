"""Sync beep detection (noise, distractors) and putting pose / thermal / IMU on one clock."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.errors import DataError
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.sync import align_streams, detect_beep, find_beep, map_repetitions, stream_offsets
from repcoach.synth.audio import BeepSpec, synth_audio
from repcoach.types import ImuRecording, PoseSequence, Repetition, ThermalClip

FRAME = 1 / 30


def _scene(rng, snr_db, rate, onset, freq, dur=0.15, distract=True):
    x = synth_audio(6.0, BeepSpec(onset, freq, dur, amplitude=0.2), rng, rate,
                    events_s=list(rng.uniform(0, 6, 6)), noise_level=0.002)  # fmt: skip
    x = x + rng.normal(0, 0.2 / np.sqrt(2) / 10 ** (snr_db / 20), len(x))
    if distract:
        t = np.arange(len(x)) / rate
        x += 0.1 * np.sin(2 * np.pi * 300 * t) * ((t > onset - 0.5) & (t < onset + 1))
        x += 0.1 * np.sin(2 * np.pi * 6500 * t) * ((t > 0.05) & (t < 0.4))  # earlier, out of band
    return x


@pytest.mark.parametrize("snr_db", [20, 0, -5])
def test_beep_onset_within_one_video_frame(snr_db):
    rng = np.random.default_rng(100 + snr_db)
    errors = []
    for _ in range(6):
        rate = int(rng.choice([16000, 44100]))
        onset, freq = float(rng.uniform(0.5, 4.0)), float(rng.uniform(1000, 4000))
        x = _scene(rng, snr_db, rate, onset, freq)
        b = find_beep(x, rate)
        errors.append(abs(b.onset_s - onset))
        assert abs(b.freq_hz - freq) < 100
    assert max(errors) < FRAME, errors


def test_noise_and_clicks_only_is_no_beep():
    rng = np.random.default_rng(5)
    x = synth_audio(5.0, BeepSpec(1.0, 2000, 0.15, amplitude=0.0), rng, 16000,
                    events_s=list(np.arange(0.2, 5, 0.4)), noise_level=0.05)  # fmt: skip
    with pytest.raises(DataError, match="no sync beep"):
        detect_beep(x, 16000)


def test_short_blip_is_ignored_and_strongest_option():
    rng = np.random.default_rng(6)
    rate = 16000
    x = synth_audio(5.0, BeepSpec(3.0, 2000, 0.15, amplitude=0.3), rng, rate, noise_level=0.002)
    blip = BeepSpec(1.0, 1500, 0.02, amplitude=0.3)  # 20 ms: too short for a sync beep
    weak = BeepSpec(2.0, 2500, 0.15, amplitude=0.03)
    from repcoach.synth.audio import add_at, beep_tone

    add_at(x, beep_tone(blip, rate), blip.onset_s, rate)
    add_at(x, beep_tone(weak, rate), weak.onset_s, rate)
    assert abs(detect_beep(x, rate) - 2.0) < FRAME  # first long tone
    assert abs(detect_beep(x, rate, which="strongest") - 3.0) < FRAME


def test_beep_at_the_very_start_and_band_limits():
    rate = 16000
    x = synth_audio(2.0, BeepSpec(0.0, 2000, 0.15), np.random.default_rng(1), rate)
    assert detect_beep(x, rate) < FRAME
    with pytest.raises(DataError):
        detect_beep(x, rate, freq_range=(2500, 5000))


# ----------------------------------------------------------------------------- streams


def _pose(n, fps, t0=0.0):
    return PoseSequence(np.zeros((n, 33, 3)), t0 + np.arange(n) / fps, MEDIAPIPE_33)


def test_three_streams_with_known_offsets():
    # global clock: pose starts at 100.00 s, thermal at 100.37 s, IMU at 99.60 s
    pose = _pose(30 * 20, 30.0)  # 20 s
    thermal = ThermalClip(np.zeros((int(8.7 * 18), 4, 4)), np.arange(int(8.7 * 18)) / 8.7)
    imu = ImuRecording(np.arange(50 * 22) / 50.0, np.zeros((50 * 22, 3)), ("a", "b", "c"))
    beep_local = 1.5  # beep heard in the pose video's audio at 1.5 s
    al = align_streams(
        {"pose": pose, "thermal": thermal, "imu": imu},
        offsets={"pose": 100.0, "thermal": 100.37, "imu": 99.6},
        beeps={"pose": beep_local},
    )
    assert al.offsets == pytest.approx({"pose": 100.0, "thermal": 100.37, "imu": 99.6})
    assert al.start_s == pytest.approx(100.37)
    assert al.end_s == pytest.approx(min(120.0, 100.37 + int(8.7 * 18) / 8.7, 99.6 + 22))
    for s in al.streams.values():
        ts = s.timestamps
        assert ts[0] >= al.start_s - 1e-9 and ts[-1] < al.end_s
    assert isinstance(al["pose"], PoseSequence) and isinstance(al["thermal"], ThermalClip)
    assert al["pose"].coords.shape[0] == len(al["pose"].timestamps)
    # a repetition at global 105.0-106.5 s in pose frames maps onto thermal and IMU samples
    tp = al["pose"].timestamps
    i0, i1 = int(np.searchsorted(tp, 105.0)), int(np.searchsorted(tp, 106.5))
    rep = Repetition(i0, i1, label="jumping_jacks", score=0.8)
    for name, step in (("thermal", 1 / 8.7), ("imu", 1 / 50)):
        (m,) = map_repetitions([rep], al["pose"], al[name])
        tt = al[name].timestamps
        assert tt[m.start] >= 105.0 - 1e-9 and tt[m.start] - 105.0 < step
        assert tt[m.end - 1] < 106.5 and 106.5 - tt[m.end - 1] <= step + 1e-9
        assert m.label == "jumping_jacks" and m.score == 0.8
        assert m.start_s == pytest.approx(tp[i0]) and m.end_s == pytest.approx(tp[i1])


def test_beeps_align_streams_without_offsets():
    a, b = np.arange(300) / 30.0, np.arange(250) / 30.0
    off = stream_offsets(["front", "side"], beeps={"front": 2.0, "side": 0.5})
    assert off["front"] - off["side"] == pytest.approx(-1.5)
    al = align_streams({"front": a, "side": b}, beeps={"front": 2.0, "side": 0.5})
    assert al["front"][0] == pytest.approx(al["side"][0])
    with pytest.raises(DataError, match="neither"):
        stream_offsets(["x", "y"], offsets={"x": 0.0})
    with pytest.raises(DataError, match="overlap"):
        align_streams({"x": a, "y": b}, offsets={"x": 0.0, "y": 100.0})


def test_map_short_and_outside_repetitions():
    pose = np.arange(300) / 30.0
    thermal = np.arange(40) / 8.7  # ~4.6 s
    short = Repetition(30, 32)  # 67 ms, shorter than a thermal frame
    outside = Repetition(200, 230)  # 6.7-7.7 s: after the thermal clip
    out = map_repetitions([short, outside], pose, thermal)
    assert len(out) == 1 and out[0].n_frames == 1
    assert abs(thermal[out[0].start] - 1.033) < 1 / 8.7
    with pytest.raises(DataError):
        map_repetitions([outside], pose, thermal, drop_outside=False)
    # last repetition ending at the last frame maps to the end of the target
    (m,) = map_repetitions([Repetition(0, 300)], pose, np.arange(500) / 50.0)
    assert m.start == 0 and m.end == 500
