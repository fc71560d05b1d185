"""Pose extraction from video with MediaPipe's PoseLandmarker (Tasks API), fully offline.

By default the model is BlazePose "full" from the mediapipe wheel, bundled into a ``.task`` file
at first use (:mod:`repcoach.pose.mp_bundle`); an official ``pose_landmarker_{lite,full,heavy}
.task`` can be given instead. Frames are processed in VIDEO running mode with the container's
timestamps (tracking between frames), or IMAGE mode (each frame independently). Every decoded
frame yields one row: frames without a person are kept with ``detected=False``, NaN coordinates
and visibility 0. With ``target_fps`` (30 by default) the landmarks are then interpolated onto a
uniform clock (:func:`repcoach.video.io.resample_fps`).

Example::

    with PoseExtractor.create_from_options(PoseExtractorOptions(target_fps=30)) as ex:
        result = ex.extract("clip.mp4")        # ExtractionResult(pose, world, video)
    pose = extract_pose("clip.mp4")            # just the image-space PoseSequence
"""

from __future__ import annotations

import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.io.pose_csv import write_pose_csv
from repcoach.logs import native_stderr_silenced
from repcoach.pose.mp_bundle import default_model_path, import_mediapipe
from repcoach.skeleton import MEDIAPIPE_33
from repcoach.types import PoseSequence
from repcoach.video.io import MODEL_FPS, VideoInfo, VideoReader, resample_fps

RUNNING_MODES = ("video", "image")


@dataclass
class PoseExtractorOptions:
    """Options of :class:`PoseExtractor` (MediaPipe-Tasks style).

    ``model_asset_path``: a PoseLandmarker ``.task`` file; None = the offline built-in model.
    ``running_mode``: ``"video"`` (tracking, real timestamps) or ``"image"`` (per frame).
    ``target_fps``: resample landmarks in time onto this uniform clock (None = keep the video's
    own frames and timestamps). ``max_frames``: decode at most this many frames.
    ``strict``: a video whose decoding stops well before its announced length is an error.
    ``quiet``: hide MediaPipe's native start-up log lines (GPU/EGL, XNNPACK, feedback manager)
    by silencing file descriptor 2 while a landmarker starts and runs its first frame.
    """

    model_asset_path: str | None = None
    running_mode: str = "video"
    min_pose_detection_confidence: float = 0.5
    min_pose_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    target_fps: float | None = MODEL_FPS
    max_frames: int | None = None
    strict: bool = True
    quiet: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ExtractionResult:
    """What one video gave: image-space ``pose`` (x, y in [0, 1] of the frame, z relative depth),
    ``world`` landmarks in metres (hip-centred, same timing), and the ``video``'s properties."""

    pose: PoseSequence
    world: PoseSequence
    video: VideoInfo
    n_decoded: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def detected_fraction(self) -> float:
        """Fraction of output frames where a person was found."""
        return float(self.pose.detected.mean()) if self.pose.n_frames else 0.0


def resolve_model_path(model_asset_path: str | Path | None) -> Path:
    """The ``.task`` file to load: the given one (checked) or the built-in offline bundle."""
    if model_asset_path is None:

        return default_model_path()
    p = Path(model_asset_path).expanduser()
    if not p.is_file():
        raise DataError("pose model file not found (expected a PoseLandmarker .task file)", p)
    if not zipfile.is_zipfile(p):
        raise DataError(
            "not a MediaPipe .task bundle (expected a zip holding pose_detector.tflite and "
            "pose_landmarks_detector.tflite)",
            p,
        )
    return p


class PoseExtractor:
    """Runs the PoseLandmarker over videos. Use as a context manager, or call :meth:`close`.

    In VIDEO mode a fresh landmarker is made for each video (tracking state and the timestamp
    clock must not leak from one video into the next); creating one takes a few milliseconds
    once the model file is cached by the OS.
    """

    def __init__(self, options: PoseExtractorOptions, model_path: Path) -> None:
        self.options = options
        self.model_path = model_path
        self._landmarker: Any = None
        self._last_ms = -1
        self._warm = False

    @classmethod
    def create_from_options(cls, options: PoseExtractorOptions | None = None) -> PoseExtractor:
        """Check the options, locate (or build) the model, and load it once."""
        options = options or PoseExtractorOptions()
        if options.running_mode not in RUNNING_MODES:
            raise ValueError(
                f"running_mode must be one of {RUNNING_MODES}, got {options.running_mode!r}"
            )
        if options.target_fps is not None and not options.target_fps > 0:
            raise ValueError(f"target_fps must be positive or None, got {options.target_fps}")
        if options.max_frames is not None and options.max_frames < 1:
            raise ValueError(f"max_frames must be >= 1, got {options.max_frames}")
        ex = cls(options, resolve_model_path(options.model_asset_path))
        ex._open()  # fail early on a bad model file
        return ex

    # -- lifecycle ---------------------------------------------------------------------------
    def _open(self) -> None:
        import_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        mode = (
            vision.RunningMode.VIDEO
            if self.options.running_mode == "video"
            else vision.RunningMode.IMAGE
        )
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=mode,
            num_poses=1,
            min_pose_detection_confidence=self.options.min_pose_detection_confidence,
            min_pose_presence_confidence=self.options.min_pose_presence_confidence,
            min_tracking_confidence=self.options.min_tracking_confidence,
            output_segmentation_masks=False,
        )
        self.close()
        try:
            with native_stderr_silenced(self.options.quiet):
                self._landmarker = vision.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as e:
            raise DataError(f"cannot load the pose model: {e}", self.model_path) from None
        self._last_ms = -1
        self._warm = False

    def close(self) -> None:
        """Release the MediaPipe graph."""
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> PoseExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- per frame ---------------------------------------------------------------------------
    def detect(
        self, image_rgb: np.ndarray, timestamp_s: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Landmarks of one RGB uint8 frame: ``(image xyz (33, 3), visibility (33,), world xyz
        (33, 3))``, or None when no person is found. VIDEO mode needs increasing timestamps."""
        mp = import_mediapipe()
        if self._landmarker is None:
            self._open()
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image_rgb))
        with native_stderr_silenced(self.options.quiet and not self._warm):
            if self.options.running_mode == "video":
                ms = max(int(round(timestamp_s * 1000.0)), self._last_ms + 1)
                self._last_ms = ms
                res = self._landmarker.detect_for_video(image, ms)
            else:
                res = self._landmarker.detect(image)
        self._warm = True
        if not res.pose_landmarks:
            return None
        lms = res.pose_landmarks[0]
        xyz = np.array([(p.x, p.y, p.z) for p in lms], np.float32)
        vis = np.array([p.visibility if p.visibility is not None else 1.0 for p in lms], np.float32)
        if res.pose_world_landmarks:
            world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks[0]], np.float32)
        else:  # pragma: no cover - the landmarker always gives both
            world = np.full_like(xyz, np.nan)
        return xyz, vis, world

    # -- per video ---------------------------------------------------------------------------
    def extract(self, video_path: str | Path) -> ExtractionResult:
        """Decode ``video_path`` and return its landmarks (see :class:`ExtractionResult`)."""
        path = Path(video_path)
        reader = VideoReader(
            path, rgb=True, max_frames=self.options.max_frames, strict=self.options.strict
        )
        if self.options.running_mode == "video" and (
            self._landmarker is None or self._last_ms >= 0
        ):
            self._open()  # fresh tracking state and clock for every video (unless unused)
        n = 33
        coords, world, vis, det, ts = [], [], [], [], []
        nan3 = np.full((n, 3), np.nan, np.float32)
        size: tuple[float, float] | None = None
        for frame in reader:
            if size is None:  # what the landmarker saw (after any rotation), for x/y proportions
                size = (float(frame.image.shape[1]), float(frame.image.shape[0]))
            out = self.detect(frame.image, frame.timestamp_s)
            ts.append(frame.timestamp_s)
            if out is None:
                coords.append(nan3)
                world.append(nan3)
                vis.append(np.zeros(n, np.float32))
                det.append(False)
            else:
                coords.append(out[0])
                vis.append(out[1])
                world.append(out[2])
                det.append(True)
        info = reader.info
        if size is None and info.width and info.height:
            size = (float(info.width), float(info.height))
        pose = PoseSequence(
            coords=np.stack(coords),
            timestamps=np.asarray(ts),
            layout=MEDIAPIPE_33,
            visibility=np.stack(vis),
            detected=np.asarray(det),
            space="image",
            source=str(path),
            frame_size=size,
        )
        world_seq = PoseSequence(
            coords=np.stack(world),
            timestamps=pose.timestamps,
            layout=MEDIAPIPE_33,
            visibility=pose.visibility,
            detected=pose.detected,
            space="world",
            source=str(path),
            frame_size=size,
        )
        if self.options.target_fps is not None:
            pose = resample_fps(pose, self.options.target_fps)
            world_seq = resample_fps(world_seq, self.options.target_fps)
        return ExtractionResult(pose, world_seq, info, n_decoded=reader.n_decoded)


def extract_pose(
    video_path: str | Path, options: PoseExtractorOptions | None = None, **overrides: Any
) -> PoseSequence:
    """Image-space landmarks of one video (the shortcut used by ``repcoach analyze``).

    ``overrides`` replace fields of ``options``, e.g. ``extract_pose(p, target_fps=None)``.
    """
    options = options or PoseExtractorOptions()
    if overrides:
        unknown = set(overrides) - set(options.to_dict())
        if unknown:
            raise TypeError(f"unknown PoseExtractorOptions field(s): {sorted(unknown)}")
        options = replace(options, **overrides)
    with PoseExtractor.create_from_options(options) as ex:
        return ex.extract(video_path).pose


def world_csv_path(csv_path: str | Path) -> Path:
    """Where the world landmarks of ``x.csv`` go: ``x-world.csv`` beside it."""
    p = Path(csv_path)
    return p.with_name(f"{p.stem}-world{p.suffix or '.csv'}")


def write_extraction(
    result: ExtractionResult, csv_path: str | Path, *, world: bool = False
) -> list[Path]:
    """Write the pose CSV (and the ``-world.csv`` sibling when asked), each atomically, with
    its ``.pose.json`` side file (frame size, fps; :mod:`repcoach.io.pose_csv`).

    The world file is written first, so an existing pose CSV always means a finished job.
    """
    csv_path = Path(csv_path)
    written = []
    vfps = float(result.video.fps)
    meta = {"video_fps": vfps if np.isfinite(vfps) and vfps > 0 else None,
            "decoded_frames": result.n_decoded}  # fmt: skip
    if world:
        wp = world_csv_path(csv_path)
        write_pose_csv(result.world, wp, meta=meta)
        written.append(wp)
    write_pose_csv(result.pose, csv_path, meta=meta)
    return [csv_path, *written]
