"""LiveAnalyzer: landmarks or frames in one at a time; same results as the offline analysis."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.tiny_model_dir import arm_swings, exported_copy
from repcoach.analyze import Analyzer, analyze_file
from repcoach.analyze.live import LiveAnalyzer, RepEvent, StateEvent, top_cue
from repcoach.errors import DataError


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return exported_copy(tmp_path_factory.mktemp("live") / "model")


def test_push_pose_events_and_session_like_offline(model_dir):
    seq = arm_swings(seconds=12.0, frame_size=(640, 480))
    offline = Analyzer(model_dir).analyze(seq)
    live = LiveAnalyzer.create(model_dir, frame_size=(640, 480))
    events = []
    for t, c, v in zip(seq.timestamps, seq.coords, seq.visibility, strict=True):
        events += live.push_pose(t, c, v)
    reps = [e for e in events if isinstance(e, RepEvent)]
    assert [e.index for e in reps] == list(range(1, len(reps) + 1)) and len(reps) >= 3
    for e in reps:
        assert e.repetition.label is not None and 0 <= e.repetition.score <= 1
        assert e.cue == top_cue(e.repetition.cues) and e.t_s >= e.repetition.end_s
    states = [e for e in events if isinstance(e, StateEvent)]
    assert states and states[-1].count == len(reps)
    session = live.finish()
    assert abs(session.rep_count - offline.rep_count) <= 1
    assert session.exercise == offline.exercise
    d, off = session.to_dict(), offline.to_dict()
    assert set(d) == set(off) | {"live"}
    assert d["live"]["frames"] == seq.n_frames and d["live"]["detected_frames"] == seq.n_frames
    assert set(d["repetitions"][0]) == set(off["repetitions"][0])
    matched = [a for a in session.repetitions if any(
        abs(a.start_s - b.start_s) < 0.2 and abs(a.end_s - b.end_s) < 0.2
        for b in offline.repetitions)]  # fmt: skip
    assert len(matched) >= session.rep_count - 1


def test_background_mode_gives_the_same_events_off_the_frame_path(model_dir):
    """Counting and repetition analysis in a worker thread: the same repetitions, labels and
    scores as the inline mode, delivered by later frames or poll(), and the same session."""
    seq = arm_swings(seconds=12.0, frame_size=(640, 480))

    def run(background: bool):
        live = LiveAnalyzer.create(model_dir, frame_size=(640, 480), background=background)
        events = []
        for t, c, v in zip(seq.timestamps, seq.coords, seq.visibility, strict=True):
            events += live.push_pose(t, c, v)
        late = live.wait() if background else []
        session = live.finish()
        live.close()
        return events, late, session

    inline, _, s_inline = run(False)
    bg, late, s_bg = run(True)
    reps = [e for e in inline if isinstance(e, RepEvent)]
    got = [e for e in bg + late if isinstance(e, RepEvent)]
    assert len(reps) >= 3 and [e.index for e in got] == [e.index for e in reps]
    for a, b in zip(reps, got, strict=True):
        assert a.repetition.start_s == b.repetition.start_s
        assert a.repetition.label == b.repetition.label
        assert b.repetition.score == pytest.approx(a.repetition.score, abs=1e-6)
    assert s_bg.to_dict()["repetitions"] == s_inline.to_dict()["repetitions"]


def test_background_errors_surface_in_the_caller(model_dir):
    class Broken:
        count = 0

        def push(self, t, c):
            raise ValueError("counter broke")

        def finish(self):
            return []

    live = LiveAnalyzer.create(model_dir, counter=Broken(), background=True)
    with pytest.raises(ValueError, match="counter broke"):  # at this push or the wait
        live.push_pose(0.0, np.zeros((33, 3), np.float32))
        live.wait()
    live.close()


def test_missing_frames_and_too_short(model_dir):
    live = LiveAnalyzer.create(model_dir)
    assert live.push_pose(0.0, None) == [] and live.state.count == 0
    with pytest.raises(DataError, match="1 frame"):
        live.finish()
    assert live.push_pose(0.0, None) == []  # not after the previous frame: ignored
    assert live.n_frames == 1


def test_top_cue_prefers_a_specific_hint():
    assert top_cue(("check form", "keep your hips in line")) == "keep your hips in line"
    assert top_cue(("good form",)) == "good form"
    assert top_cue(()) is None


@pytest.mark.slow
@pytest.mark.realdata
def test_push_frame_on_a_real_video_matches_analyze(model_dir, realdata, tmp_path):
    """A real jumping-jack clip, frame by frame through MediaPipe VIDEO mode, against
    `repcoach analyze` of the same file."""
    import subprocess

    import imageio_ffmpeg

    from repcoach.video.io import VideoReader

    src = realdata("exercise_videos_stock", "videos", "jumpingjack_a.mp4")
    clip = tmp_path / "jj.mp4"  # looped three times: 7.4 s, 3 cycles
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-stream_loop",
                    "2", "-i", str(src), "-vf", "scale=480:-2", "-c:v", "libx264", "-crf", "12",
                    str(clip)], check=True)  # fmt: skip
    offline = analyze_file(clip, model_dir)
    with LiveAnalyzer.create(model_dir, source=str(clip)) as live:
        for fr in VideoReader(clip, rgb=True):
            out = live.push_frame(fr.image, fr.timestamp_s)
            assert out.landmarks is None or out.landmarks.shape == (33, 3)
        session = live.finish()
    assert offline.rep_count >= 2
    assert abs(session.rep_count - offline.rep_count) <= 1
    off_p, live_p = offline.extra["mean_probabilities"], session.extra["mean_probabilities"]
    assert max(abs(off_p[k] - live_p[k]) for k in off_p) < 0.05
    assert session.exercise == offline.exercise
    assert session.extra["aspect"]["frame_size"] == offline.extra["aspect"]["frame_size"]
    assert np.isfinite(session.extra["live"]["pose_ms_median"])
