"""Generated audio: the sync beep sits where the sidecar says and is detected there."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np

from repcoach.sync import detect_beep_file
from repcoach.synth.audio import write_audio


def test_write_audio_and_detect(tmp_path):
    rng = np.random.default_rng(4)
    for k in range(4):
        rec = SimpleNamespace(
            duration_s=6.0 + k,
            reps=[SimpleNamespace(start_s=1.5 + i, end_s=2.5 + i) for i in range(4)],
        )
        rec_dir = tmp_path / "ada-lovelace" / "SU"
        wav = write_audio(rec, SimpleNamespace(name="ada-lovelace"), "SU", rec_dir, rng,
                          views=("frontal", "side"))  # fmt: skip
        assert wav == rec_dir / "frontal" / "ada-lovelaceSU-frontal.wav"
        assert (rec_dir / "side" / "ada-lovelaceSU-side.wav").exists()
        meta = json.loads((rec_dir / "frontal" / "ada-lovelaceSU-frontal.sync.json").read_text())
        assert 0.1 < meta["beep_s"] < 1.5 and 1000 <= meta["beep_hz"] <= 4000
        b = detect_beep_file(str(wav))
        assert abs(b.onset_s - meta["beep_s"]) < 1 / 30
        assert abs(b.duration_s - meta["beep_duration_s"]) < 0.02
