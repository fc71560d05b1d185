"""Reading and writing thermal clips (FLIR One Pro: 160x120 at 8.7 FPS).

Supported inputs for :func:`read_thermal`:

* a radiometric array file ``.npz`` with ``frames`` ``(T, H, W)`` (degrees C) and ``timestamps``
  ``(T,)`` seconds (optional ``unit``); or ``.npy`` holding just ``(T, H, W)`` frames (timestamps
  from ``fps``);
* a folder of per-frame images (PNG / JPG / TIFF, sorted by name with numbers in natural order;
  16-bit and float TIFFs are kept as they are), timestamps from ``fps``;
* a video file (any format OpenCV's FFmpeg backend reads), converted to grayscale intensity,
  timestamps from the container (or ``fps`` when it gives none).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_write
from repcoach.io.media import VIDEO_EXTENSIONS
from repcoach.io.validate import check_rate, check_timestamps
from repcoach.types import ThermalClip

#: FLIR One Pro frame rate (paper III.A).
FLIR_FPS = 8.7
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
#: Highest thermal frame rate accepted (Hz) and most pixel values in one clip (~2 GiB float32).
MAX_THERMAL_FPS = 240.0
MAX_THERMAL_VALUES = 500_000_000


def read_thermal(path: str | Path, fps: float = FLIR_FPS) -> ThermalClip:
    """Read a thermal clip from an ``.npz``/``.npy`` array file, an image folder or a video."""
    path = Path(path)
    if not path.exists():
        raise DataError("thermal clip not found", path)
    fps = check_rate(fps, path, "fps", hi=MAX_THERMAL_FPS)
    if path.is_dir():
        return _read_folder(path, fps)
    ext = path.suffix.lower()
    if ext == ".npz":
        return _read_npz(path)
    if ext == ".npy":
        frames = _load(path)
        if not isinstance(frames, np.ndarray):
            raise DataError("expected one NumPy array of frames (an .npz archive?)", path)
        _check_frames(frames, path)
        return ThermalClip(frames, np.arange(len(frames)) / fps, "celsius", str(path))
    if ext in VIDEO_EXTENSIONS:
        return _read_video(path, fps)
    raise DataError(
        f"unsupported thermal file type {ext!r}; expected .npz, .npy, an image folder or a "
        f"video ({', '.join(VIDEO_EXTENSIONS)})",
        path,
    )


def write_thermal_npz(path: str | Path, clip: ThermalClip, **extra: np.ndarray | float) -> Path:
    """Write ``clip`` as a compressed ``.npz`` (frames, timestamps, unit, extras) atomically."""
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        np.savez_compressed(
            fh,
            frames=clip.frames,
            timestamps=clip.timestamps,
            unit=np.array(clip.unit),
            **{k: np.asarray(v) for k, v in extra.items()},
        )
    return path


def _load(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"not a readable NumPy file ({e})", path) from None


def _array(data: Any, key: str, path: Path) -> np.ndarray:
    """``data[key]`` of an .npz; a truncated member, a pickled (object) array: DataError."""
    try:
        return np.asarray(data[key])
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise DataError(f"cannot read array {key!r} ({e.__class__.__name__}: {e})",
                        path) from None


def _check_size(frames: np.ndarray, path: Path) -> None:
    if frames.size > MAX_THERMAL_VALUES:
        raise DataError(f"{frames.shape} frames are {frames.size} values; the limit is "
                        f"{MAX_THERMAL_VALUES}", path)


def _read_npz(path: Path) -> ThermalClip:
    data = _load(path)
    if not hasattr(data, "files"):
        raise DataError("expected an .npz archive of arrays (frames, timestamps)", path)
    if "frames" not in data:
        raise DataError(f"no 'frames' array (has {sorted(data.files)})", path)
    frames = _array(data, "frames", path)
    _check_frames(frames, path)
    if "timestamps" in data:
        raw = _array(data, "timestamps", path)
        if not np.issubdtype(raw.dtype, np.number) or np.issubdtype(raw.dtype, np.complexfloating):
            raise DataError(f"'timestamps' must be numbers (seconds), got dtype {raw.dtype}",
                            path)
        ts = raw.astype(np.float64)
        if ts.shape != (len(frames),):
            raise DataError(
                f"'timestamps' has shape {ts.shape}, expected ({len(frames)},) (one per frame)",
                path,
            )
        _check_timestamps(ts, path)
    else:
        fps = FLIR_FPS
        if "fps" in data:
            raw = _array(data, "fps", path)
            if raw.shape not in ((), (1,)) or not np.issubdtype(raw.dtype, np.number):
                raise DataError(f"'fps' must be one number, got {raw.dtype} {raw.shape}", path)
            fps = check_rate(float(raw.reshape(-1)[0]), path, "fps", hi=MAX_THERMAL_FPS)
        ts = np.arange(len(frames)) / fps
        _check_timestamps(ts, path)
    unit = str(_array(data, "unit", path)) if "unit" in data else "celsius"
    if unit not in ("celsius", "intensity", "kelvin"):
        raise DataError(f"'unit' must be celsius, kelvin or intensity, got {unit[:40]!r}", path)
    return ThermalClip(frames, ts, unit, str(path))


def _check_frames(frames: np.ndarray, path: Path) -> None:
    if frames.ndim != 3:
        raise DataError(f"frames must be (frames, height, width), got shape {frames.shape}", path)
    if frames.shape[0] == 0:
        raise DataError("no frames", path)
    if frames.shape[1] < 2 or frames.shape[2] < 2:
        raise DataError(f"frames are too small: {frames.shape[1:]} pixels", path)
    if not np.issubdtype(frames.dtype, np.number) or np.issubdtype(frames.dtype,
                                                                    np.complexfloating):
        raise DataError(f"frames must be numeric, got dtype {frames.dtype}", path)
    _check_size(frames, path)
    if np.issubdtype(frames.dtype, np.floating) and not np.all(np.isfinite(frames)):
        r = int(np.flatnonzero(~np.isfinite(frames).all(axis=(1, 2)))[0])
        raise DataError("frame holds NaN or infinite values", path, row=r)


def _check_timestamps(ts: np.ndarray, path: Path) -> None:
    check_timestamps(ts, path, "timestamps", first_row=0, min_rate_hz=0.1,
                     max_rate_hz=MAX_THERMAL_FPS)
    if not np.all(np.isfinite(ts)):
        r = int(np.flatnonzero(~np.isfinite(ts))[0])
        raise DataError(f"timestamp {r} is not a finite number", path, row=r)
    steps = np.diff(ts)
    if np.any(steps <= 0):
        r = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise DataError(
            f"timestamps must increase (frame {r}: {ts[r]} after {ts[r - 1]})", path, row=r
        )


def _natural_key(p: Path) -> list[object]:
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", p.name)]


def _read_folder(path: Path, fps: float) -> ThermalClip:

    files = sorted(
        (p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTS and p.is_file()),
        key=_natural_key,
    )
    if not files:
        raise DataError(f"folder has no frame images ({', '.join(IMAGE_EXTS)})", path)
    frames = []
    for i, f in enumerate(files):
        img = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise DataError("not a readable image", f, row=i)
        if img.ndim == 3:
            img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
        if frames and img.shape != frames[0].shape:
            raise DataError(
                f"frame size {img.shape} differs from the first frame's {frames[0].shape}",
                f,
                row=i,
            )
        frames.append(img)
    arr = np.stack(frames)
    unit = "celsius" if np.issubdtype(arr.dtype, np.floating) else "intensity"
    return ThermalClip(arr, np.arange(len(arr)) / fps, unit, str(path))


def _read_video(path: Path, fps: float) -> ThermalClip:

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DataError("video could not be opened (not a video, or an unsupported codec)", path)
    native_fps = cap.get(cv2.CAP_PROP_FPS)
    frames, ts = [], []
    try:
        while True:
            ok, img = cap.read()
            if not ok:
                break
            ts.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
            frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img)
    finally:
        cap.release()
    if not frames:
        raise DataError("video has no frames", path)
    t = np.asarray(ts, dtype=np.float64)
    if len(t) > 1 and np.any(np.diff(t) <= 0):  # container gave no usable times
        rate = native_fps if native_fps and native_fps > 0 else fps
        t = np.arange(len(frames)) / rate
    return ThermalClip(np.stack(frames), t - t[0], "intensity", str(path))
