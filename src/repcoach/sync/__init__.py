"""Synchronisation: audio tracks and the sync beep, and putting streams on one clock.

``audio`` (reading, muxing, WAV), ``beep`` (beep onset), ``streams`` (offsets, alignment,
mapping repetitions between stream rates).
"""

from repcoach.sync.beep import Beep, detect_beep, detect_beep_file, find_beep
from repcoach.sync.streams import (
    AlignedStreams,
    align_streams,
    map_repetitions,
    stream_offsets,
    timestamps_of,
)

__all__ = [
    "AlignedStreams",
    "Beep",
    "align_streams",
    "detect_beep",
    "detect_beep_file",
    "find_beep",
    "map_repetitions",
    "stream_offsets",
    "timestamps_of",
]
