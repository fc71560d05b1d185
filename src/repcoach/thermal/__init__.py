"""Thermal modality: read FLIR clips, segment the warm body, build Gait Energy Images (GEIs).

``read_thermal`` -> :class:`~repcoach.types.ThermalClip` -> ``segment_clip`` (binary
silhouettes) -> ``gei`` / ``gei_per_repetition`` (aligned silhouettes averaged over frames) ->
``gei_features`` (a compact vector the correctness scorer can use next to pose).
"""

from repcoach.thermal.gei import (
    GeiOptions,
    RepetitionGei,
    align_silhouette,
    gei,
    gei_features,
    gei_per_repetition,
    save_gei_png,
    save_geis_npz,
)
from repcoach.thermal.io import read_thermal, write_thermal_npz
from repcoach.thermal.silhouette import SilhouetteOptions, segment_clip, segment_frame

__all__ = [
    "GeiOptions",
    "RepetitionGei",
    "SilhouetteOptions",
    "align_silhouette",
    "gei",
    "gei_features",
    "gei_per_repetition",
    "read_thermal",
    "save_gei_png",
    "save_geis_npz",
    "segment_clip",
    "segment_frame",
    "write_thermal_npz",
]
