"""Render an analysed video: skeleton, live repetition count, and each repetition's result.

Each output frame is the input frame with the pose skeleton drawn (bones of the sequence's
layout), a header with the clip's exercise and the live repetition count (repetitions whose end
is at or before the frame's time), a banner for ~1.5 s after each repetition ends showing its
label and score, and a running list of finished repetitions. Written atomically with OpenCV
(``mp4v`` FourCC in an ``.mp4`` container).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_path
from repcoach.types import ClipAnalysis, PoseSequence, Repetition
from repcoach.video.io import VideoReader

#: How long (seconds) the banner of a finished repetition stays on screen.
BANNER_S = 1.5
#: Landmarks below this visibility are not drawn.
MIN_VISIBILITY = 0.5
#: How many finished repetitions the running list shows (the latest ones).
LIST_ROWS = 10

# BGR colours.
_BONE = (255, 200, 0)
_JOINT = (0, 215, 255)
_WHITE = (255, 255, 255)
_PANEL = (30, 30, 30)


def score_colour(score: float | None) -> tuple[int, int, int]:
    """Green for good form (>= 0.7), orange for fair (>= 0.4), red for poor, grey if unknown."""
    if score is None or not np.isfinite(score):
        return (180, 180, 180)
    if score >= 0.7:
        return (80, 200, 80)
    if score >= 0.4:
        return (0, 165, 255)
    return (60, 60, 230)


def _frame_time(seq: PoseSequence, k: int) -> float:
    """Time of pose frame ``k`` (extrapolated past the end at the sequence's rate)."""
    ts = seq.timestamps
    if seq.n_frames == 0:
        return k / 30.0
    step = 1.0 / seq.fps if seq.n_frames > 1 else 1.0 / 30.0
    if k < seq.n_frames:
        return float(ts[max(k, 0)])
    return float(ts[-1] + step * (k - seq.n_frames + 1))


def rep_times(
    seq: PoseSequence, reps: tuple[Repetition, ...] | list[Repetition]
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end time (s) of each repetition: its ``start_s``/``end_s`` or, when unknown,
    the time of its start / (exclusive) end frame in ``seq``."""
    starts, ends = [], []
    for r in reps:
        ok_s = r.start_s is not None and np.isfinite(r.start_s)
        ok_e = r.end_s is not None and np.isfinite(r.end_s)
        starts.append(float(r.start_s) if ok_s else _frame_time(seq, r.start))
        ends.append(float(r.end_s) if ok_e else _frame_time(seq, r.end))
    return np.asarray(starts, np.float64), np.asarray(ends, np.float64)


def rep_caption(i: int, rep: Repetition) -> str:
    """``"#3 jumping_jacks 0.82"`` (label/score left out when unknown)."""
    parts = [f"#{i + 1}", (rep.label or "rep").replace("_", " ")]
    if rep.score is not None and np.isfinite(rep.score):
        parts.append(f"{rep.score:.2f}")
    return " ".join(parts)


def banner_text(i: int, rep: Repetition) -> str:
    """Caption plus the top "what to fix" cue (a feedback cue object when there is one, else
    the first cue)."""
    text = rep_caption(i, rep)
    if rep.cues:
        top = next((c for c in rep.cues if getattr(c, "fault", None)), rep.cues[0])
        text += f" - {getattr(top, 'text', top)}"
    return text


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour, thick: int):

    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    x, y = org
    cv2.rectangle(img, (x - 4, y - h - 6), (x + w + 4, y + base + 2), _PANEL, -1)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)


def draw_skeleton(
    img: np.ndarray, xy: np.ndarray, vis: np.ndarray, bones: tuple[tuple[int, int], ...]
) -> None:
    """Draw bones and joints (pixel coordinates ``xy`` (joints, 2)) in place on a BGR image."""

    h, w = img.shape[:2]
    thick = max(2, round(h / 240))
    ok = np.isfinite(xy).all(axis=1) & (vis >= MIN_VISIBILITY)
    pts = np.round(np.nan_to_num(xy)).astype(int)
    for a, b in bones:
        if ok[a] and ok[b]:
            cv2.line(img, tuple(pts[a]), tuple(pts[b]), _BONE, thick, cv2.LINE_AA)
    for j in np.flatnonzero(ok):
        cv2.circle(img, tuple(pts[j]), thick + 1, _JOINT, -1, cv2.LINE_AA)


def _pixels(seq: PoseSequence, k: int, width: int, height: int) -> np.ndarray:
    xy = seq.coords[k, :, :2].astype(np.float64)
    if seq.space == "image":
        return xy * np.array([width, height])
    return xy  # "pixels"


def write_annotated_video(
    video_path: str | Path,
    seq: PoseSequence,
    analysis: ClipAnalysis,
    out_path: str | Path,
    *,
    fps: float | None = None,
) -> Path:
    """Write ``video_path`` with ``seq``'s skeleton and ``analysis``'s repetitions drawn on it.

    ``seq`` must be in ``"image"`` (normalised) or ``"pixels"`` space; its frames are matched to
    video frames by time (nearest pose frame within 1.5 pose-frame periods), so a pose sequence
    resampled to 30 FPS still lines up with a 25 FPS video. ``fps`` sets the output rate
    (default: the input's). Returns ``out_path``; the file appears only once complete.
    """

    if seq.space not in ("image", "pixels"):
        raise ValueError(
            f"can only draw image-space or pixel poses, got space={seq.space!r} "
            "(draw the sequence before normalising it)"
        )
    out_path = Path(out_path)
    reader = VideoReader(video_path, rgb=False, strict=False)
    info = reader.info
    out_fps = float(fps or reader.fps)
    reps = tuple(analysis.repetitions)
    starts, ends = rep_times(seq, reps)
    ts = seq.timestamps
    tol = 1.5 / seq.fps if seq.n_frames > 1 else np.inf
    scale = max(0.45, info.height / 720.0 * 0.8)
    thick = max(1, round(info.height / 480))
    line_h = int(34 * scale / 0.8)

    with atomic_path(out_path) as tmp:
        writer = cv2.VideoWriter(
            str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), out_fps, (info.width, info.height)
        )
        if not writer.isOpened():
            raise DataError("OpenCV cannot write an mp4v video here", out_path)
        try:
            for frame in reader:
                img = frame.image
                if img.shape[:2] != (info.height, info.width):  # pragma: no cover - odd files
                    img = cv2.resize(img, (info.width, info.height))
                t = frame.timestamp_s
                if seq.n_frames:
                    k = int(np.clip(np.searchsorted(ts, t), 0, seq.n_frames - 1))
                    if k > 0 and abs(ts[k - 1] - t) <= abs(ts[k] - t):
                        k -= 1
                    if abs(ts[k] - t) <= tol and seq.detected[k]:
                        xy = _pixels(seq, k, info.width, info.height)
                        draw_skeleton(img, xy, seq.visibility[k], seq.layout.bones)
                _draw_overlay(img, analysis, reps, starts, ends, t, scale, thick, line_h)
                writer.write(img)
        finally:
            writer.release()
        if reader.n_decoded == 0:  # pragma: no cover - VideoReader raises first
            raise DataError("no frame decoded", video_path)
    return out_path


def _draw_overlay(
    img: np.ndarray,
    analysis: ClipAnalysis,
    reps: tuple[Repetition, ...],
    starts: np.ndarray,
    ends: np.ndarray,
    t: float,
    scale: float,
    thick: int,
    line_h: int,
) -> None:
    """Header (exercise, live count), banner for a just-finished rep, running list."""

    h, w = img.shape[:2]
    finished = np.flatnonzero(ends <= t + 1e-9)
    pad = int(12 * scale / 0.8) + 4
    ex = (analysis.exercise or "unknown").replace("_", " ")
    conf = f" ({analysis.confidence:.0%})" if np.isfinite(analysis.confidence) else ""
    _text(img, f"{ex}{conf}", (pad, pad + line_h - 8), scale, _WHITE, thick)
    _text(img, f"Reps: {len(finished)}", (pad, pad + 2 * line_h), scale * 1.4, _WHITE, thick + 1)
    in_rep = np.flatnonzero((starts <= t) & (ends > t))
    if len(in_rep):
        _text(img, f"rep {in_rep[0] + 1} ...", (pad, pad + 3 * line_h), scale, _JOINT, thick)
    # Banner: the latest repetition that ended less than BANNER_S ago.
    recent = [i for i in finished if t - ends[i] <= BANNER_S]
    if recent:
        i = int(recent[-1])
        rep = reps[i]
        text = banner_text(i, rep)
        big = scale * 1.3
        (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, big, thick + 1)
        _text(img, text, (max(pad, (w - tw) // 2), h - pad - 8), big, score_colour(rep.score),
              thick + 1)  # fmt: skip
    # Running list, top right.
    rows = [int(i) for i in finished][-LIST_ROWS:]
    for n, i in enumerate(rows):
        text = rep_caption(i, reps[i])
        (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale * 0.8, thick)
        _text(img, text, (w - tw - pad, pad + (n + 1) * int(line_h * 0.85)), scale * 0.8,
              score_colour(reps[i].score), thick)  # fmt: skip
