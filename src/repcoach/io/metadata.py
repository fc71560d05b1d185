"""``participants.csv``: the per-participant metadata of an EJUST-GYM-3 style dataset (paper IV.A).

One row per participant, columns :data:`PARTICIPANT_COLUMNS` (extra columns are ignored)::

    participant_id,name,age,height_cm,weight_kg,sleep_h,smoker,healthy_eater
    P001,ahmed-attia,21,178.5,74.0,7.5,0,1

Values outside the ranges in :data:`VALID_RANGES` are rejected as impossible (they are almost
always a unit or typing mistake: height in metres, weight in pounds, a swapped column). Row
numbers in errors are file line numbers, the header being row 1.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_write
from repcoach.io.ejust import is_participant_name
from repcoach.io.validate import csv_rows, read_text
from repcoach.types import Participant

PARTICIPANT_COLUMNS = [
    "participant_id",
    "name",
    "age",
    "height_cm",
    "weight_kg",
    "sleep_h",
    "smoker",
    "healthy_eater",
]

#: Inclusive plausible ranges; anything outside is reported as impossible.
VALID_RANGES: dict[str, tuple[float, float]] = {
    "age": (10, 100),  # years
    "height_cm": (100, 230),  # centimetres
    "weight_kg": (25, 250),  # kilograms
    "sleep_h": (0, 24),  # hours per day
}
_UNITS = {"age": "years", "height_cm": "cm", "weight_kg": "kg", "sleep_h": "h"}

#: Accepted spellings of the yes/no columns (case-insensitive).
TRUE_VALUES = ("1", "true", "yes")
FALSE_VALUES = ("0", "false", "no")


@dataclass
class ParticipantTable:
    """The valid participants of one ``participants.csv`` and the problems found in it."""

    participants: list[Participant] = field(default_factory=list)
    problems: list[DataError] = field(default_factory=list)
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.participants)

    def __iter__(self) -> Iterator[Participant]:
        return iter(self.participants)

    @property
    def names(self) -> list[str]:
        """Participant name slugs, in file order."""
        return [p.name for p in self.participants]

    def get(self, name: str) -> Participant | None:
        """The participant with this ``firstname-lastname`` slug, or None."""
        for p in self.participants:
            if p.name == name:
                return p
        return None


def write_participants(participants: list[Participant], path: str | Path) -> None:
    """Write ``participants.csv`` atomically (booleans as 0/1, floats with one decimal)."""
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PARTICIPANT_COLUMNS)
        for p in participants:
            w.writerow(
                [
                    p.participant_id,
                    p.name,
                    int(p.age),
                    f"{p.height_cm:.1f}",
                    f"{p.weight_kg:.1f}",
                    f"{p.sleep_h:.1f}",
                    int(bool(p.smoker)),
                    int(bool(p.healthy_eater)),
                ]
            )


def load_participants(path: str | Path, strict: bool = True) -> ParticipantTable:
    """Read and validate ``participants.csv``.

    ``strict=True`` raises the first :class:`DataError`; ``strict=False`` records every problem
    in ``problems`` and keeps only the valid rows (a missing file or missing columns then give an
    empty table with one problem).
    """
    path = Path(path)
    table = ParticipantTable(path=path)

    def report(err: DataError) -> None:
        if strict:
            raise err
        table.problems.append(err)

    if not path.is_file():
        report(DataError("participants file not found (expected participants.csv)", path))
        return table
    try:
        cells_all = csv_rows(read_text(path, "participants.csv"), path, "participants.csv")
    except DataError as e:
        report(e)
        return table
    with contextlib.nullcontext(iter(cells_all)) as reader:
        header = next(reader, None)
        if header is None:
            expected = ",".join(PARTICIPANT_COLUMNS)
            report(DataError(f"empty file; expected the header {expected}", path))
            return table
        header = [h.strip() for h in header]
        missing = [c for c in PARTICIPANT_COLUMNS if c not in header]
        if missing:
            report(
                DataError(
                    f"missing column(s) {missing}; expected {','.join(PARTICIPANT_COLUMNS)}",
                    path,
                    row=1,
                )
            )
            return table
        col = {c: header.index(c) for c in PARTICIPANT_COLUMNS}
        seen_ids: dict[str, int] = {}
        seen_names: dict[str, int] = {}
        for lineno, cells in enumerate(reader, start=2):
            if not cells or all(not c.strip() for c in cells):
                continue  # blank line
            if len(cells) < len(header):
                cells = cells + [""] * (len(header) - len(cells))
            values = {c: cells[i].strip() for c, i in col.items()}
            try:
                p = _parse_row(values, path, lineno)
            except DataError as e:
                report(e)
                continue
            if p.participant_id in seen_ids:
                report(
                    DataError(
                        f"duplicate participant_id {p.participant_id!r} "
                        f"(first on row {seen_ids[p.participant_id]})",
                        path,
                        row=lineno,
                        column="participant_id",
                    )
                )
                continue
            if p.name in seen_names:
                report(
                    DataError(
                        f"duplicate name {p.name!r} (first on row {seen_names[p.name]})",
                        path,
                        row=lineno,
                        column="name",
                    )
                )
                continue
            seen_ids[p.participant_id] = lineno
            seen_names[p.name] = lineno
            table.participants.append(p)
    return table


def _parse_row(v: dict[str, str], path: Path, row: int) -> Participant:
    """One validated :class:`Participant` from the stripped cells of one row."""
    for c in PARTICIPANT_COLUMNS:
        if v[c] == "":
            raise DataError("empty value", path, row=row, column=c)
    if not is_participant_name(v["name"]):
        raise DataError(
            f"name {v['name']!r} is not a lower-case 'firstname-lastname' slug "
            "(letters and hyphens only, e.g. 'ahmed-attia')",
            path,
            row=row,
            column="name",
        )
    nums: dict[str, float] = {}
    for c in VALID_RANGES:
        try:
            x = float(v[c])
        except ValueError:
            raise DataError(f"expected a number, got {v[c]!r}", path, row=row, column=c) from None
        if x != x:  # NaN
            raise DataError(f"expected a number, got {v[c]!r}", path, row=row, column=c)
        lo, hi = VALID_RANGES[c]
        if not lo <= x <= hi:
            raise DataError(
                f"impossible value {v[c]} {_UNITS[c]}; expected {lo:g} to {hi:g} {_UNITS[c]}",
                path,
                row=row,
                column=c,
            )
        nums[c] = x
    if nums["age"] != int(nums["age"]):
        raise DataError(
            f"age must be a whole number of years, got {v['age']!r}", path, row=row, column="age"
        )
    return Participant(
        participant_id=v["participant_id"],
        name=v["name"],
        age=int(nums["age"]),
        height_cm=nums["height_cm"],
        weight_kg=nums["weight_kg"],
        sleep_h=nums["sleep_h"],
        smoker=_parse_bool(v["smoker"], path, row, "smoker"),
        healthy_eater=_parse_bool(v["healthy_eater"], path, row, "healthy_eater"),
    )


def _parse_bool(s: str, path: Path, row: int, column: str) -> bool:
    low = s.lower()
    if low in TRUE_VALUES:
        return True
    if low in FALSE_VALUES:
        return False
    raise DataError(
        f"expected one of {'/'.join(TRUE_VALUES + FALSE_VALUES)}, got {s!r}",
        path,
        row=row,
        column=column,
    )
