"""Scan a dataset folder in the EJUST-GYM-3 layout into a checked index of its files.

Layout (see ``docs/data-layout.md``)::

    DIR/participants.csv
    DIR/annotations.csv                 (optional, generated data)
    DIR/<firstname-lastname>/<CODE>/<group>/<firstname-lastname><CODE>-<modality>.<ext>

Every file name is parsed with :func:`repcoach.io.ejust.parse_name` and must sit in the folder
its name says. Problems (bad names, misplaced files, participants missing from or absent in
``participants.csv``, duplicate recordings) raise the first :class:`DataError` in strict mode, or
are collected in :attr:`DatasetIndex.problems` in lenient mode, the bad files being skipped.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_write
from repcoach.io.ejust import (
    EXERCISES,
    LABEL_TO_CODE,
    RecordingName,
    parse_name,
    parse_sidecar,
    parse_world_companion,
)
from repcoach.io.metadata import ParticipantTable, load_participants

#: Files at the dataset root that are not recordings.
ROOT_FILES = ("participants.csv", "annotations.csv", "index.csv")

#: Extension -> kind of content; two files with the same participant, exercise, modality and
#: kind are duplicate recordings (e.g. ``.mp4`` and ``.avi`` of the same view).
EXTENSION_KIND = {
    "csv": "table",
    "mp4": "video",
    "avi": "video",
    "mov": "video",
    "wav": "audio",
    "npz": "frames",
    "png": "image",
}

#: Columns of :meth:`DatasetIndex.to_frame`.
FRAME_COLUMNS = [
    "path",
    "relpath",
    "participant",
    "participant_id",
    "exercise",
    "code",
    "modality",
    "group",
    "ext",
]

#: Columns written by :func:`write_index_csv` (the generic indexed-dataset form).
INDEX_COLUMNS = ["file", "subject", "label", "participant_id", "code", "modality"]

@dataclass(frozen=True)
class IndexEntry:
    """One recording file: where it is and what its name says."""

    path: Path
    name: RecordingName
    participant: str
    exercise: str
    modality: str
    group: str

    @property
    def code(self) -> str:
        return self.name.code

    @property
    def ext(self) -> str:
        return self.name.ext


@dataclass(frozen=True)
class Recording:
    """Every file of one participant performing one exercise (all views and sensors)."""

    participant: str
    exercise: str
    entries: tuple[IndexEntry, ...]

    @property
    def code(self) -> str:
        return LABEL_TO_CODE[self.exercise]

    @property
    def modalities(self) -> list[str]:
        return sorted({e.modality for e in self.entries})

    def files(self, modality: str | None = None, ext: str | None = None) -> list[Path]:
        """Paths of this recording's files, optionally of one modality and/or extension."""
        return [
            e.path
            for e in self.entries
            if (modality is None or e.modality == modality) and (ext is None or e.ext == ext)
        ]

    def get(self, modality: str, ext: str = "csv") -> Path | None:
        """The one file of ``modality`` with extension ``ext``, or None."""
        found = self.files(modality, ext)
        return found[0] if found else None


@dataclass
class DatasetIndex:
    """The checked contents of a dataset folder."""

    root: Path
    entries: list[IndexEntry] = field(default_factory=list)
    participants: ParticipantTable = field(default_factory=ParticipantTable)
    problems: list[DataError] = field(default_factory=list)
    #: JSON side files of recordings (e.g. ``...-frontal.sync.json``) and world-landmark CSVs
    #: (``...-frontal-world.csv``, from ``repcoach extract --world``); not counted as recordings.
    sidecars: list[IndexEntry] = field(default_factory=list)

    def entries_for(
        self,
        modality: str | Iterable[str] | None = None,
        exercise: str | None = None,
        participant: str | None = None,
        group: str | None = None,
        ext: str | None = None,
    ) -> list[IndexEntry]:
        """Entries matching every given filter; ``exercise`` may be a code (``JJ``) or label."""
        if modality is None:
            mods = None
        else:
            mods = {modality} if isinstance(modality, str) else set(modality)
        label = EXERCISES.get(exercise, exercise) if exercise is not None else None
        return [
            e
            for e in self.entries
            if (mods is None or e.modality in mods)
            and (label is None or e.exercise == label)
            and (participant is None or e.participant == participant)
            and (group is None or e.group == group)
            and (ext is None or e.ext == ext)
        ]

    def recordings(self) -> list[Recording]:
        """Files grouped per (participant, exercise), sorted by participant then exercise."""
        groups: dict[tuple[str, str], list[IndexEntry]] = defaultdict(list)
        for e in self.entries:
            groups[(e.participant, e.exercise)].append(e)
        return [
            Recording(p, ex, tuple(sorted(es, key=lambda e: e.path)))
            for (p, ex), es in sorted(groups.items())
        ]

    @property
    def participant_names(self) -> list[str]:
        """Participants that have at least one valid file."""
        return sorted({e.participant for e in self.entries})

    def to_frame(self) -> pd.DataFrame:
        """One row per file: path, relpath, participant, participant_id, exercise, code,
        modality, group, ext."""

        ids = {p.name: p.participant_id for p in self.participants}
        rows = [
            {
                "path": str(e.path),
                "relpath": e.path.relative_to(self.root).as_posix(),
                "participant": e.participant,
                "participant_id": ids.get(e.participant),
                "exercise": e.exercise,
                "code": e.code,
                "modality": e.modality,
                "group": e.group,
                "ext": e.ext,
            }
            for e in self.entries
        ]
        return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def write_index_csv(
    index: DatasetIndex,
    path: str | Path | None = None,
    modality: str | Iterable[str] = "frontal",
    ext: str = "csv",
) -> Path:
    """Write the files of ``modality`` as a generic ``index.csv`` (file, subject, label,
    participant_id, code, modality), so loaders of indexed datasets can read this layout.

    ``path`` defaults to ``<root>/index.csv``; ``file`` is relative to its folder.
    """


    path = Path(index.root) / "index.csv" if path is None else Path(path)
    base = path.resolve().parent
    ids = {p.name: p.participant_id for p in index.participants}
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(INDEX_COLUMNS)
        for e in index.entries_for(modality=modality, ext=ext):
            rel = Path(os.path.relpath(e.path.resolve(), base)).as_posix()
            w.writerow(
                [rel, e.participant, e.exercise, ids.get(e.participant, ""), e.code, e.modality]
            )
    return path


def scan_dataset(root: str | Path, strict: bool = True) -> DatasetIndex:
    """Index every recording under ``root`` and check it against the layout and
    ``participants.csv``; strict raises the first problem, lenient collects them all."""
    root = Path(root)
    if not root.is_dir():
        raise DataError("dataset folder not found", root)
    participants = load_participants(root / "participants.csv", strict=strict)
    index = DatasetIndex(root=root, participants=participants)
    index.problems.extend(participants.problems)

    def report(err: DataError) -> None:
        if strict:
            raise err
        index.problems.append(err)

    # participants.csv unusable (missing, no header): membership checks would only repeat that.
    csv_usable = not any(p.row is None or p.row == 1 for p in participants.problems)
    known = set(participants.names)

    candidates: list[tuple[Path, RecordingName]] = []
    sidecars: list[tuple[Path, RecordingName]] = []
    for path in _walk(root):
        rel = path.relative_to(root)
        if len(rel.parts) == 1:
            low = rel.name.lower()
            if low in ROOT_FILES or low.startswith("readme"):
                continue
        side = parse_sidecar(path)
        world = parse_world_companion(path)
        if world is not None:  # `repcoach extract --world` output beside a pose CSV
            if rel.parent != world.relpath().parent:
                report(_misplaced(path, world))
            else:
                sidecars.append((path, world))
            continue
        if side is not None:
            if rel != side.relpath():
                report(_misplaced(path, side))
            else:
                sidecars.append((path, side))
            continue
        try:
            name = parse_name(path)
        except DataError as e:
            report(e)
            continue
        expected = name.relpath()
        if rel != expected:
            report(_misplaced(path, name))
            continue
        candidates.append((path, name))

    with_files = sorted({n.participant for _, n in candidates})
    unknown = set()
    if csv_usable:
        for who in with_files:
            if who not in known:
                unknown.add(who)
                report(
                    DataError(
                        f"participant {who!r} has files but no valid row in participants.csv",
                        root / who,
                    )
                )

    seen: dict[tuple[str, str, str, str], Path] = {}
    for path, name in candidates:
        if name.participant in unknown:
            continue
        key = (name.participant, name.code, name.modality, EXTENSION_KIND.get(name.ext, name.ext))
        if key in seen:
            report(
                DataError(
                    f"duplicate recording: same participant, exercise, modality and "
                    f"{key[3]} content as {seen[key].name}",
                    path,
                )
            )
            continue
        seen[key] = path
        index.entries.append(_entry(path, name))

    index.sidecars = [
        _entry(path, name) for path, name in sidecars if name.participant in known or not csv_usable
    ]
    have = {e.participant for e in index.entries} | unknown | set(with_files)
    rows = _participant_rows(participants)
    for p in participants:
        if p.name not in have:
            report(
                DataError(
                    f"missing participant: {p.name!r} ({p.participant_id}) is in "
                    f"participants.csv but has no valid recording files under {p.name}/",
                    participants.path,
                    row=rows.get(p.name),
                )
            )
    return index


def _entry(path: Path, name: RecordingName) -> IndexEntry:
    return IndexEntry(
        path=path,
        name=name,
        participant=name.participant,
        exercise=name.exercise,
        modality=name.modality,
        group=name.group,
    )


def _misplaced(path: Path, name: RecordingName) -> DataError:
    where = name.relpath().parent.as_posix()
    return DataError(f"misplaced file: its name says it belongs in {where}/", path)


def _walk(root: Path) -> list[Path]:
    """All non-hidden files under ``root`` (hidden folders pruned), sorted for a stable order."""
    out: list[Path] = []
    stack = [root]
    while stack:
        d = stack.pop()
        for child in sorted(d.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir():
                stack.append(child)
            elif child.is_file():
                out.append(child)
    return sorted(out)


def _participant_rows(table: ParticipantTable) -> dict[str, int]:
    """Name -> file row of each valid participant (header = row 1), re-read for messages."""

    if table.path is None or not table.path.is_file():
        return {}
    rows: dict[str, int] = {}
    with open(table.path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if "name" not in header:
            return {}
        i = header.index("name")
        for lineno, cells in enumerate(reader, start=2):
            if len(cells) > i:
                rows.setdefault(cells[i].strip(), lineno)
    return rows


__all__ = [
    "DatasetIndex",
    "IndexEntry",
    "Recording",
    "scan_dataset",
    "write_index_csv",
]
