"""The cue object and the words used to say where in a repetition something happens."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: Fault families of the generated data (see :mod:`repcoach.synth.form`).
FAULTS: tuple[str, ...] = ("rom", "asymmetry", "posture", "tempo")


@dataclass(frozen=True)
class Cue:
    """One "what to fix" hint: ``text`` for people, ``body_part``, ``fault`` (one of
    :data:`FAULTS`), ``size`` (the measured difference, in ``unit``), ``explains`` (the
    estimated score points it costs) and ``phase`` (0..1 of the repetition, None = whole rep)."""

    text: str
    body_part: str
    fault: str
    size: float
    unit: str = ""
    explains: float = 0.0
    phase: float | None = None
    feature: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["size"] = round(float(self.size), 3)
        d["explains"] = round(float(self.explains), 3)
        d["phase"] = None if self.phase is None else round(float(self.phase), 2)
        return d


def phase_words(phase: float | None) -> str:
    """Where in the repetition ``phase`` (0 = start, 1 = end) lies, in words."""
    if phase is None:
        return "over the repetition"
    if phase < 0.2:
        return "at the start"
    if phase < 0.4:
        return "on the way in"
    if phase < 0.6:
        return "at the turning point"
    if phase < 0.8:
        return "on the way back"
    return "at the end"
