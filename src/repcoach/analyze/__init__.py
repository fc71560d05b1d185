"""Analysis of recordings with the exported TFLite models (LiteRT; never imports TensorFlow).

``options`` (:class:`AnalyzerOptions`), ``analyzer`` (:class:`Analyzer`: segment, classify,
vote, score), ``views`` (frontal + side), ``aspect`` (frame-size correction), ``vote``,
``recording`` (pose CSV or video in).
"""

from repcoach.analyze.analyzer import Analyzer, analyze_file
from repcoach.analyze.options import AnalyzerOptions
from repcoach.analyze.recording import (
    is_video,
    load_recording,
    parse_frame_size,
    recording_frame_size,
)
from repcoach.analyze.vote import vote

__all__ = [
    "Analyzer",
    "AnalyzerOptions",
    "analyze_file",
    "is_video",
    "load_recording",
    "parse_frame_size",
    "recording_frame_size",
    "vote",
]
