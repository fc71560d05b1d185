"""The paper's Table I (participant metadata summary) and file counts of a scanned dataset.

Percentages are computed from the actual counts over all valid participants (the paper's own
table has percentages that do not match its counts).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.table import Table

from repcoach.io.dataset_index import DatasetIndex
from repcoach.io.ejust import EXERCISES, MODALITIES

if TYPE_CHECKING:
    from rich.table import Table

#: Participant attribute -> row title in Table I.
ATTRIBUTES: dict[str, str] = {
    "height_cm": "Height (cm)",
    "weight_kg": "Weight (kg)",
    "sleep_h": "Daily Sleep (hrs)",
    "age": "Age (years)",
}


@dataclass(frozen=True)
class AttributeStats:
    """Minimum, average and maximum of one participant attribute."""

    name: str
    title: str
    minimum: float
    mean: float
    maximum: float


@dataclass(frozen=True)
class CountShare:
    """A count of participants and its share of all participants, in percent."""

    title: str
    count: int
    percent: float


@dataclass
class DatasetSummary:
    """Table I plus file counts (exercise label -> modality -> number of files)."""

    n_participants: int
    attributes: list[AttributeStats]
    smoking: list[CountShare]
    diet: list[CountShare]
    file_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    n_files: int = 0
    n_recordings: int = 0
    n_participants_with_files: int = 0
    n_problems: int = 0

    def attribute(self, name: str) -> AttributeStats:
        """Stats of one attribute by column name (``height_cm``, ``age`` ...)."""
        for a in self.attributes:
            if a.name == name:
                return a
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (NaN -> None)."""
        return {
            "n_participants": self.n_participants,
            "n_participants_with_files": self.n_participants_with_files,
            "n_recordings": self.n_recordings,
            "n_files": self.n_files,
            "n_problems": self.n_problems,
            "attributes": {
                a.name: {
                    "title": a.title,
                    "min": _j(a.minimum),
                    "mean": _j(a.mean),
                    "max": _j(a.maximum),
                }
                for a in self.attributes
            },
            "smoking": {
                c.title: {"count": c.count, "percent": _j(c.percent)} for c in self.smoking
            },
            "diet": {c.title: {"count": c.count, "percent": _j(c.percent)} for c in self.diet},
            "file_counts": {ex: dict(m) for ex, m in self.file_counts.items()},
        }

    def rich_tables(self) -> list[Table]:
        """Table I (attributes, smoking, diet) and the modality x exercise file-count table."""

        t1 = Table(title=f"Participant metadata summary ({self.n_participants} participants)")
        t1.add_column("Attribute")
        for c in ("Minimum", "Average", "Maximum"):
            t1.add_column(c, justify="right")
        for a in self.attributes:
            t1.add_row(a.title, _fmt(a.minimum), _fmt(a.mean), _fmt(a.maximum))
        tables = [t1]
        for title, rows in (("Smoking Status", self.smoking), ("Dietary Status", self.diet)):
            t = Table(title=title)
            t.add_column(title)
            t.add_column("Number", justify="right")
            t.add_column("Percentage", justify="right")
            for c in rows:
                pct = "-" if math.isnan(c.percent) else f"{c.percent:.1f}%"
                t.add_row(c.title, str(c.count), pct)
            tables.append(t)
        exercises = list(self.file_counts)
        t3 = Table(
            title=f"Files per modality and exercise ({self.n_files} files, "
            f"{self.n_recordings} participant-exercise recordings)"
        )
        t3.add_column("Modality")
        for ex in exercises:
            t3.add_column(ex, justify="right")
        t3.add_column("total", justify="right")
        mods = sorted(
            {m for counts in self.file_counts.values() for m in counts},
            key=_modality_order,
        )
        for m in mods:
            vals = [self.file_counts[ex].get(m, 0) for ex in exercises]
            t3.add_row(m, *map(str, vals), str(sum(vals)))
        totals = [sum(self.file_counts[ex].values()) for ex in exercises]
        t3.add_row("[bold]total[/]", *map(str, totals), str(sum(totals)))
        tables.append(t3)
        return tables


def summarize(index: DatasetIndex) -> DatasetSummary:
    """Compute Table I over the valid participants and count the valid files."""
    people = list(index.participants)
    n = len(people)
    attrs = []
    for name, title in ATTRIBUTES.items():
        vals = [float(getattr(p, name)) for p in people]
        if vals:
            attrs.append(AttributeStats(name, title, min(vals), sum(vals) / n, max(vals)))
        else:
            nan = float("nan")
            attrs.append(AttributeStats(name, title, nan, nan, nan))
    smokers = sum(1 for p in people if p.smoker)
    healthy = sum(1 for p in people if p.healthy_eater)

    counts: dict[str, Counter[str]] = {label: Counter() for label in EXERCISES.values()}
    for e in index.entries:
        counts[e.exercise][e.modality] += 1
    return DatasetSummary(
        n_participants=n,
        attributes=attrs,
        smoking=[
            CountShare("Smokers", smokers, _pct(smokers, n)),
            CountShare("Non-smokers", n - smokers, _pct(n - smokers, n)),
        ],
        diet=[
            CountShare("Healthy Eaters", healthy, _pct(healthy, n)),
            CountShare("Non-healthy Eaters", n - healthy, _pct(n - healthy, n)),
        ],
        file_counts={ex: dict(c) for ex, c in counts.items()},
        n_files=len(index.entries),
        n_recordings=len(index.recordings()),
        n_participants_with_files=len(index.participant_names),
        n_problems=len(index.problems),
    )


def _pct(k: int, n: int) -> float:
    return 100.0 * k / n if n else float("nan")


def _modality_order(m: str) -> int:
    order = list(MODALITIES)
    return order.index(m) if m in order else len(order)


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:.0f}" if x == int(x) else f"{x:.2f}"


def _j(x: float) -> float | None:
    return None if math.isnan(x) else float(x)
