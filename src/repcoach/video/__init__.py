"""Video input and output: decoding with clear errors, frame-rate conversion of poses,
multi-view alignment and annotated-video rendering. OpenCV is imported lazily."""

from repcoach.video.io import (
    MODEL_FPS,
    VIDEO_EXTENSIONS,
    Frame,
    VideoInfo,
    VideoReader,
    probe_video,
    read_frames,
    resample_at,
    resample_fps,
)
from repcoach.video.views import combine_views, motion_strength, stronger_view

__all__ = [
    "MODEL_FPS",
    "VIDEO_EXTENSIONS",
    "Frame",
    "VideoInfo",
    "VideoReader",
    "probe_video",
    "combine_views",
    "motion_strength",
    "read_frames",
    "resample_at",
    "resample_fps",
    "stronger_view",
]
