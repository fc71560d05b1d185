"""Video decoding with clear errors, true frame timestamps, and frame-rate conversion of poses.

Decoding uses OpenCV (FFmpeg backend). Every way a video can be unusable (missing, empty, not a
video, truncated, codec without decoder, undecodable data) becomes a :class:`DataError` that names
the file and says what was wrong. Timestamps come from the container (``CAP_PROP_POS_MSEC``), made
strictly increasing, falling back to ``index / fps`` when the container gives none.

Frame-rate conversion (:func:`resample_fps`) works on landmarks, not on video frames: a pose
sequence at any rate is linearly interpolated onto a uniform clock (30 FPS by default, what the
models were trained on), so a 25 FPS clip yields 30 poses per second without duplicated frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from repcoach.errors import DataError
from repcoach.io.media import VIDEO_EXTENSIONS  # noqa: F401  (re-exported: the one list)
from repcoach.types import PoseSequence

#: File extensions treated as videos when scanning folders.

#: Frame rate the models expect (EJUST-GYM-3 pose is 30 FPS; annotations count 30 FPS frames).
MODEL_FPS = 30.0

# Decoding that stops before this fraction of the frames the container announces is an error.
_MIN_DECODED_FRACTION = 0.9


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video (``n_frames`` may be approximate for some files)."""

    path: str
    width: int
    height: int
    fps: float
    n_frames: int
    codec: str

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps if self.fps > 0 else float("nan")

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "n_frames": self.n_frames,
            "codec": self.codec,
            "duration_s": self.duration_s,
        }


def _sniff(path: Path) -> str | None:
    """Container kind from the first bytes: ``"iso"`` (mp4/mov), ``"avi"``, ``"matroska"``,
    ``"mpeg"``, or None when the content is not a known video container."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "iso"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3") or head[:1] == b"\x47":
        return "mpeg"
    return None


def _iso_codec(path: Path) -> tuple[bool, str | None]:
    """(has a 'moov' index box, sample-entry fourcc of the first track) for an mp4/mov file."""
    data = path.read_bytes()
    moov = data.find(b"moov")
    if moov < 0:
        return False, None
    stsd = data.find(b"stsd", moov)
    if stsd < 0 or stsd + 20 > len(data):
        return True, None
    code = data[stsd + 16 : stsd + 20]
    return True, code.decode("latin-1") if code.isascii() else repr(code)


def _describe(head: bytes) -> str:
    if head.strip() and all(32 <= c < 127 or c in (9, 10, 13) for c in head):
        return f"text starting {head[:24].decode('ascii')!r}"
    return f"bytes starting {head[:8]!r}"


def check_video_file(path: str | Path) -> Path:
    """Raise a :class:`DataError` unless ``path`` is an existing, non-empty file."""
    p = Path(path)
    if not p.exists():
        raise DataError("video file not found", p)
    if p.is_dir():
        raise DataError("is a folder, expected a video file", p)
    if p.stat().st_size == 0:
        raise DataError("empty file (0 bytes), expected a video", p)
    return p


def _open(path: Path):  # -> cv2.VideoCapture
    """Open a video or raise a DataError explaining why it cannot be read."""

    path = check_video_file(path)
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if cap.isOpened():
        return cap
    cap.release()
    kind = _sniff(path)
    if kind is None:
        with path.open("rb") as fh:
            head = fh.read(32)
        raise DataError(f"not a video file (unrecognised content: {_describe(head)})", path)
    if kind == "iso":
        has_moov, codec = _iso_codec(path)
        if not has_moov:
            raise DataError(
                "corrupt or truncated MP4/MOV: its index ('moov' box) is missing, e.g. the "
                "recording or copy was interrupted",
                path,
            )
        raise DataError(
            f"cannot decode the video stream (codec {codec or 'unknown'!r} has no decoder in "
            "OpenCV/FFmpeg, or the header is corrupt); re-encode it to H.264 MP4",
            path,
        )
    raise DataError(f"{kind} video could not be opened (corrupt file or unsupported codec)", path)


def probe_video(path: str | Path) -> VideoInfo:
    """Open a video, check that its first frame decodes, and return its :class:`VideoInfo`."""
    p = Path(path)
    cap = _open(p)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise DataError(
                "no frame could be decoded (corrupt video data or unsupported codec)", p
            )
        return _info(cap, p, frame.shape)
    finally:
        cap.release()


def _info(cap, path: Path, shape: tuple[int, ...]) -> VideoInfo:  # noqa: ANN001

    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    codec = fourcc.to_bytes(4, "little").decode("latin-1").strip("\x00") or "unknown"
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        fps = 0.0
    return VideoInfo(
        path=str(path),
        width=int(shape[1]),
        height=int(shape[0]),
        fps=fps,
        n_frames=max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0),
        codec=codec,
    )


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``index`` in the file, ``timestamp_s`` from the container, ``image``
    as RGB (or BGR when asked) uint8 ``(height, width, 3)``."""

    index: int
    timestamp_s: float
    image: np.ndarray


class VideoReader:
    """Iterate over a video's frames with monotonic container timestamps.

    ``max_frames`` stops early (for tests and previews). Decoding that stops well before the
    frame count the container announces raises a :class:`DataError` (truncated file), unless
    ``strict=False``, which keeps what was decoded.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        rgb: bool = True,
        max_frames: int | None = None,
        strict: bool = True,
    ) -> None:
        self.path = Path(path)
        self.rgb = rgb
        self.max_frames = max_frames
        self.strict = strict
        self.info = probe_video(self.path)
        self.n_decoded = 0

    @property
    def fps(self) -> float:
        """Container frame rate, or 30 when the container gives none."""
        return self.info.fps if self.info.fps > 0 else MODEL_FPS

    def __iter__(self) -> Iterator[Frame]:

        cap = _open(self.path)
        step = 1.0 / self.fps
        last_t = -np.inf
        i = 0
        try:
            while self.max_frames is None or i < self.max_frames:
                try:
                    ok, image = cap.read()
                except cv2.error as e:  # pragma: no cover - depends on the FFmpeg build
                    raise DataError(f"decoding failed at frame {i}: {e}", self.path) from None
                if not ok or image is None:
                    break
                t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if not np.isfinite(t) or t <= last_t:  # no or non-monotonic container time
                    t = 0.0 if i == 0 else last_t + step
                last_t = t
                if self.rgb:
                    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                yield Frame(i, float(t), image)
                i += 1
        finally:
            cap.release()
            self.n_decoded = i
        expected = self.info.n_frames
        if self.max_frames is not None:
            expected = min(expected, self.max_frames)
        if i == 0:
            raise DataError("no frame could be decoded (corrupt video data)", self.path)
        if self.strict and expected > 0 and i < _MIN_DECODED_FRACTION * expected:
            raise DataError(
                f"decoding stopped at frame {i} of the {expected} the file announces "
                "(truncated or corrupt video)",
                self.path,
            )


def read_frames(
    path: str | Path, *, max_frames: int | None = None, rgb: bool = True
) -> tuple[list[Frame], VideoInfo]:
    """Decode a whole video (or its first ``max_frames``) into memory."""
    reader = VideoReader(path, rgb=rgb, max_frames=max_frames)
    frames = list(reader)
    return frames, reader.info


def resample_fps(seq: PoseSequence, fps: float = MODEL_FPS) -> PoseSequence:
    """Put ``seq`` on a uniform ``fps`` clock by linear interpolation of landmarks in time.

    The new clock starts at the first timestamp and ends at or before the last one. See
    :func:`resample_at` for how gaps (frames without a person) are handled; a sequence already
    on that clock comes back unchanged.
    """
    if fps <= 0 or not np.isfinite(fps):
        raise ValueError(f"fps must be positive, got {fps}")
    if seq.n_frames < 2:
        return seq
    ts = seq.timestamps
    k = int(np.floor((ts[-1] - ts[0]) * fps + 1e-6)) + 1
    return resample_at(seq, ts[0] + np.arange(k) / fps)


def resample_at(seq: PoseSequence, times: np.ndarray) -> PoseSequence:
    """Landmarks of ``seq`` linearly interpolated at ``times`` (increasing, seconds).

    A new frame between two source frames is detected only if both are (interpolating across
    a gap would invent a pose); it then gets interpolated coordinates and visibility. Times
    within 1 microsecond of a source frame copy it exactly; times outside the source range
    take the nearest end frame.
    """
    times = np.asarray(times, dtype=np.float64)
    n = seq.n_frames
    if n == 0:
        raise ValueError("cannot resample an empty sequence")
    ts = seq.timestamps
    if n == 1:
        i0 = np.zeros(len(times), int)
        i1, a = i0, np.zeros(len(times))
    else:
        i0 = np.clip(np.searchsorted(ts, times, side="right") - 1, 0, n - 2)
        i1 = i0 + 1
        span = ts[i1] - ts[i0]
        a = np.clip((times - ts[i0]) / span, 0.0, 1.0)
        eps = 1e-6 / np.maximum(span, 1e-9)
        a = np.where(a < eps, 0.0, np.where(a > 1.0 - eps, 1.0, a))
    exact0, exact1 = a == 0.0, a == 1.0

    def mix(x: np.ndarray) -> np.ndarray:
        shape = (-1,) + (1,) * (x.ndim - 1)
        w = a.reshape(shape)
        with np.errstate(invalid="ignore"):
            out = x[i0] * (1.0 - w) + x[i1] * w
        out = np.where(exact0.reshape(shape), x[i0], out)
        return np.where(exact1.reshape(shape), x[i1], out)

    det = seq.detected
    new_det = np.where(exact0, det[i0], np.where(exact1, det[i1], det[i0] & det[i1]))
    coords = mix(seq.coords.astype(np.float64)).astype(np.float32)
    vis = mix(seq.visibility.astype(np.float64)).astype(np.float32)
    coords[~new_det] = np.nan
    vis[~new_det] = 0.0
    return replace(seq, coords=coords, timestamps=times, visibility=vis, detected=new_det)
