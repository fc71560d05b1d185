"""No answer without evidence: a recording in which a person is seen in too few frames gets
an explicit "no person found" result instead of a guessed exercise (docs/errors.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from repcoach.types import ClipAnalysis, PoseSequence

#: Smallest fraction of frames with a detected person for an analysis to be given.
MIN_PERSON_FRACTION = 0.5


def person_fraction(seq: PoseSequence) -> float:
    """Fraction of frames where a pose was detected with at least one finite landmark."""
    if seq.n_frames == 0:
        return 0.0
    seen = np.asarray(seq.detected, bool) & np.isfinite(seq.coords).any(axis=(1, 2))
    return float(seen.mean())


def no_person_result(
    seqs: Sequence[PoseSequence], min_fraction: float = MIN_PERSON_FRACTION,
    source: str | None = None,
) -> ClipAnalysis | None:
    """A ``ClipAnalysis`` with ``exercise=None`` and ``extra["no_person"]`` / ``["reason"]``
    when no view of ``seqs`` shows a person in ``min_fraction`` of its frames, else None."""
    fractions = [person_fraction(s) for s in seqs]
    if not fractions or max(fractions) >= min_fraction:
        return None
    seen = ", ".join(f"{100 * f:.0f} % of {s.n_frames} frames" for f, s in zip(fractions, seqs,
                                                                                 strict=True))
    reason = (f"no person found: a pose was detected in {seen}; need at least "
              f"{100 * min_fraction:.0f} %")
    return ClipAnalysis(
        exercise=None, confidence=0.0, votes={}, repetitions=(),
        source=source if source is not None else seqs[0].source,
        extra={"no_person": True, "reason": reason,
               "person_fraction": [round(f, 4) for f in fractions]},
    )
