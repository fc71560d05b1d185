"""The EJUST-GYM-3 file naming convention (paper IV.D) and folder layout.

File names are ``<firstname-lastname><EXERCISE>-<modality>.<ext>``, e.g.
``ahmed-attiaJJ-frontal.csv``: a lower-case hyphenated participant name, immediately followed by
the upper-case exercise abbreviation, a hyphen, and the modality. Folders are organised per
participant / exercise / modality group::

    DIR/participants.csv
    DIR/<firstname-lastname>/<EXERCISE>/<group>/<file>

with groups ``frontal``, ``side``, ``thermal`` and ``imu`` (see :data:`MODALITIES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from repcoach.errors import DataError

#: Exercise abbreviation -> canonical label (the classifier's class names).
EXERCISES: dict[str, str] = {
    "SE": "steam_engine",
    "JJ": "jumping_jacks",
    "SU": "sit_ups",
    "HK": "high_knees",
}
LABEL_TO_CODE: dict[str, str] = {v: k for k, v in EXERCISES.items()}

#: Modality code -> (folder group, description). IMU signals are ``<site>_<signal>``.
IMU_SITES: dict[str, str] = {
    "lwrist": "left wrist",
    "rwrist": "right wrist",
    "lankle": "left ankle",
    "rankle": "right ankle",
}
IMU_SIGNALS: dict[str, str] = {
    "acc": "accelerometer (g)",
    "gyro": "gyroscope (deg/s)",
    "mag": "magnetometer (uT)",
}
MODALITIES: dict[str, tuple[str, str]] = {
    "frontal": ("frontal", "frontal RGB camera (video .mp4, pose .csv, audio .wav)"),
    "side": ("side", "side (lateral) RGB camera (video .mp4, pose .csv, audio .wav)"),
    "thermal": ("thermal", "FLIR One Pro thermal camera (video .mp4 or frames .npz)"),
    **{
        f"{site}_{sig}": ("imu", f"{site_desc} IMU, {sig_desc}, MetaMotion CSV")
        for site, site_desc in IMU_SITES.items()
        for sig, sig_desc in IMU_SIGNALS.items()
    },
}
EXTENSIONS = ("csv", "mp4", "avi", "mov", "wav", "npz", "png")

_NAME_RE = re.compile(
    r"^(?P<participant>[a-z]+(?:-[a-z]+)+)(?P<code>[A-Z]{2})-(?P<modality>[a-z_]+)\.(?P<ext>[a-z0-9]+)$"
)
_PARTICIPANT_RE = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
_SIDECAR_RE = re.compile(
    r"^(?P<participant>[a-z]+(?:-[a-z]+)+)(?P<code>[A-Z]{2})-(?P<modality>[a-z_]+)"
    r"(?P<ext>(?:\.[a-z0-9_]+)?\.json)$"
)


@dataclass(frozen=True)
class RecordingName:
    """The parts of one EJUST-GYM-3 file name."""

    participant: str
    code: str
    modality: str
    ext: str

    @property
    def exercise(self) -> str:
        """Canonical exercise label, e.g. ``jumping_jacks``."""
        return EXERCISES[self.code]

    @property
    def group(self) -> str:
        """Folder group of the modality (``frontal``, ``side``, ``thermal``, ``imu``)."""
        return MODALITIES[self.modality][0]

    @property
    def filename(self) -> str:
        return f"{self.participant}{self.code}-{self.modality}.{self.ext}"

    def relpath(self) -> Path:
        """Where the file lives inside a dataset folder."""
        return Path(self.participant) / self.code / self.group / self.filename


def is_participant_name(name: str) -> bool:
    """True for a lower-case ``firstname-lastname`` slug, e.g. ``ahmed-attia``."""
    return bool(_PARTICIPANT_RE.match(name))


def participant_slug(first: str, last: str) -> str:
    """``("Ahmed", "Attia")`` -> ``"ahmed-attia"`` (letters only, lower case)."""
    parts = [re.sub(r"[^a-z]", "", p.lower()) for p in (first, last)]
    if not all(parts):
        raise ValueError(f"cannot make a participant name from {first!r} {last!r}")
    return "-".join(parts)


def format_name(participant: str, exercise: str, modality: str, ext: str = "csv") -> str:
    """Build a file name; ``exercise`` may be the code (``JJ``) or the label."""
    code = exercise if exercise in EXERCISES else LABEL_TO_CODE.get(exercise)
    if code is None:
        raise ValueError(f"unknown exercise {exercise!r}; known: {_known_exercises()}")
    if not _PARTICIPANT_RE.match(participant):
        raise ValueError(
            f"participant name {participant!r} must be lower-case 'firstname-lastname'"
        )
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r}; known: {sorted(MODALITIES)}")
    if ext not in EXTENSIONS:
        raise ValueError(f"unknown extension {ext!r}; known: {EXTENSIONS}")
    return RecordingName(participant, code, modality, ext).filename


def parse_name(name: str | Path) -> RecordingName:
    """Parse a file name; raises :class:`DataError` naming the file and what is wrong."""
    path = Path(name)
    base = path.name
    m = _NAME_RE.match(base)
    if not m:
        raise DataError(
            "file name does not follow '<firstname-lastname><EXERCISE>-<modality>.<ext>' "
            "(e.g. 'ahmed-attiaJJ-frontal.csv')",
            path,
        )
    code, modality, ext = m.group("code"), m.group("modality"), m.group("ext")
    if code not in EXERCISES:
        raise DataError(f"unknown exercise code {code!r}; known: {_known_exercises()}", path)
    if modality not in MODALITIES:
        raise DataError(f"unknown modality {modality!r}; known: {sorted(MODALITIES)}", path)
    if ext not in EXTENSIONS:
        raise DataError(f"unknown file extension {ext!r}; known: {EXTENSIONS}", path)
    return RecordingName(m.group("participant"), code, modality, ext)


def parse_sidecar(name: str | Path) -> RecordingName | None:
    """Parse a JSON side file of a recording, e.g. ``ahmed-attiaJJ-frontal.sync.json`` (audio
    beep timing), or return None when ``name`` is not one. ``ext`` is then ``sync.json`` (or
    ``json``), so ``relpath()`` still says where the file belongs."""
    m = _SIDECAR_RE.match(Path(name).name)
    if not m or m.group("code") not in EXERCISES or m.group("modality") not in MODALITIES:
        return None
    return RecordingName(
        m.group("participant"), m.group("code"), m.group("modality"), m.group("ext")[1:]
    )


#: Suffix of the world-landmark companion ``repcoach extract --world`` writes beside a pose CSV.
WORLD_SUFFIX = "-world.csv"


def parse_world_companion(name: str | Path) -> RecordingName | None:
    """The pose CSV whose world-landmark companion ``name`` is (``ahmed-attiaJJ-frontal-
    world.csv`` -> ``ahmed-attiaJJ-frontal.csv``), or None when ``name`` is not one. The
    companion belongs in the same folder as that CSV."""
    base = Path(name).name
    if not base.endswith(WORLD_SUFFIX):
        return None
    try:
        main = parse_name(base[: -len(WORLD_SUFFIX)] + ".csv")
    except DataError:
        return None
    return main if main.group in ("frontal", "side") else None


def _known_exercises() -> str:
    return ", ".join(f"{k} ({v})" for k, v in EXERCISES.items())
