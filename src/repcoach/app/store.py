"""SQLite store of the coach: the user's profile, every set and every repetition.

A live set is opened when the session starts and each finished repetition is saved as it
happens; closing replaces them with the final analysis in one transaction. Sets still open
when the server starts again (the page or the server closed mid-set) are closed as
``interrupted`` with the repetitions saved so far. Upload sets are written in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROFILE_FIELDS = {"name": str, "age": int, "height_cm": float, "weight_kg": float,
                  "sleep_h": float, "smoker": bool, "healthy_eater": bool}  # fmt: skip

SCHEMA = """
CREATE TABLE IF NOT EXISTS profile (
    id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT, age INTEGER, height_cm REAL,
    weight_kg REAL, sleep_h REAL, smoker INTEGER, healthy_eater INTEGER, updated_at REAL);
CREATE TABLE IF NOT EXISTS sets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, source TEXT,
    started_at REAL NOT NULL, ended_at REAL, status TEXT NOT NULL, exercise TEXT,
    confidence REAL, rep_count INTEGER NOT NULL DEFAULT 0, mean_score REAL, media TEXT,
    analysis TEXT);
CREATE TABLE IF NOT EXISTS reps (
    id INTEGER PRIMARY KEY AUTOINCREMENT, set_id INTEGER NOT NULL REFERENCES sets(id),
    idx INTEGER NOT NULL, start_s REAL, end_s REAL, label TEXT, probability REAL, score REAL,
    cues TEXT, UNIQUE (set_id, idx));
"""

EXPORT_COLUMNS = ("set_id", "kind", "source", "started_at", "ended_at", "status", "exercise",
                  "rep", "start_s", "end_s", "label", "probability", "score", "cues")  # fmt: skip


class Store:
    """One SQLite file (``coach.sqlite`` in the data folder); safe to use from many threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ profile
    def profile(self) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM profile WHERE id = 1")
        p = rows[0] if rows else {k: None for k in PROFILE_FIELDS}
        for k in ("smoker", "healthy_eater"):
            p[k] = None if p.get(k) is None else bool(p[k])
        p.pop("id", None)
        return p

    def set_profile(self, values: dict[str, Any]) -> dict[str, Any]:
        """Save the profile (fields of :data:`PROFILE_FIELDS`; ValueError for bad values)."""
        clean: dict[str, Any] = {}
        for k, v in values.items():
            if k not in PROFILE_FIELDS:
                raise ValueError(f"unknown profile field {k!r} (expected {list(PROFILE_FIELDS)})")
            typ = PROFILE_FIELDS[k]
            if v is None or v == "":
                clean[k] = None
            elif typ is bool:
                if not isinstance(v, bool):
                    raise ValueError(f"{k} must be true or false, got {v!r}")
                clean[k] = int(v)
            else:
                try:
                    clean[k] = typ(v)
                except (TypeError, ValueError):
                    raise ValueError(f"{k} must be a {typ.__name__}, got {v!r}") from None
                if typ is not str and not 0 <= clean[k] < 1000:
                    raise ValueError(f"{k} out of range: {v!r}")
        cols = list(PROFILE_FIELDS)
        cur = self.profile()
        cur.update({k: clean.get(k, cur.get(k)) for k in cols})
        with self._tx() as db:
            db.execute(
                f"INSERT OR REPLACE INTO profile (id, {', '.join(cols)}, updated_at) "
                f"VALUES (1, {', '.join('?' * len(cols))}, ?)",
                (*[cur[k] for k in cols], time.time()),
            )
        return self.profile()

    # ------------------------------------------------------------------ sets
    def open_set(self, kind: str, source: str | None) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO sets (kind, source, started_at, status) "
                             "VALUES (?, ?, ?, 'open')", (kind, source, time.time()))
            return int(cur.lastrowid)

    def add_rep(self, set_id: int, index: int, rep: dict[str, Any], exercise: str | None) -> None:
        """Save one finished repetition of an open set (``rep``: ``Repetition.to_dict()``)."""
        with self._tx() as db:
            _insert_rep(db, set_id, index, rep)
            _update_summary(db, set_id, exercise=exercise)

    def close_set(
        self, set_id: int, analysis: dict[str, Any] | None, status: str = "closed",
        media: str | None = None,
    ) -> None:
        """Close a set; with ``analysis`` its repetitions become the analysis's (atomically)."""
        with self._tx() as db:
            if analysis is not None:
                db.execute("DELETE FROM reps WHERE set_id = ?", (set_id,))
                for i, r in enumerate(analysis.get("repetitions", []), 1):
                    _insert_rep(db, set_id, i, r)
                db.execute("UPDATE sets SET analysis = ?, confidence = ? WHERE id = ?",
                           (json.dumps(analysis), analysis.get("confidence"), set_id))
            db.execute("UPDATE sets SET status = ?, ended_at = ?, media = COALESCE(?, media) "
                       "WHERE id = ?", (status, time.time(), media, set_id))  # fmt: skip
            _update_summary(db, set_id, exercise=None if analysis is None
                            else analysis.get("exercise"))  # fmt: skip

    def save_analysis(self, kind: str, source: str | None, analysis: dict[str, Any],
                      media: str | None = None) -> int:
        """A finished set (an upload) with all its repetitions, in one transaction."""
        with self._tx() as db:
            cur = db.execute("INSERT INTO sets (kind, source, started_at, status) "
                             "VALUES (?, ?, ?, 'open')", (kind, source, time.time()))
            set_id = int(cur.lastrowid)
            for i, r in enumerate(analysis.get("repetitions", []), 1):
                _insert_rep(db, set_id, i, r)
            db.execute("UPDATE sets SET analysis = ?, confidence = ?, status = 'closed', "
                       "ended_at = ?, media = ? WHERE id = ?",
                       (json.dumps(analysis), analysis.get("confidence"), time.time(), media,
                        set_id))  # fmt: skip
            _update_summary(db, set_id, exercise=analysis.get("exercise"))
        return set_id

    def close_open_sets(self) -> list[int]:
        """Close every set left open (server stopped mid-set) as ``interrupted``."""
        ids = [r["id"] for r in self._rows("SELECT id FROM sets WHERE status = 'open'")]
        for i in ids:
            self.close_set(i, None, status="interrupted")
        return ids

    def sets(self, limit: int = 500) -> list[dict[str, Any]]:
        return self._rows("SELECT id, kind, source, started_at, ended_at, status, exercise, "
                          "confidence, rep_count, mean_score FROM sets ORDER BY id DESC LIMIT ?",
                          (limit,))  # fmt: skip

    def get_set(self, set_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM sets WHERE id = ?", (set_id,))
        if not rows:
            return None
        s = rows[0]
        s["analysis"] = json.loads(s["analysis"]) if s["analysis"] else None
        s["reps"] = self.reps(set_id)
        return s

    def reps(self, set_id: int) -> list[dict[str, Any]]:
        out = self._rows("SELECT idx, start_s, end_s, label, probability, score, cues FROM reps "
                         "WHERE set_id = ? ORDER BY idx", (set_id,))  # fmt: skip
        for r in out:
            r["cues"] = json.loads(r["cues"] or "[]")
        return out

    def progress(self) -> dict[str, list[dict[str, Any]]]:
        """Per exercise, its closed sets in time order: time, reps, mean score."""
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self._rows("SELECT id, started_at, exercise, rep_count, mean_score FROM sets "
                            "WHERE status != 'open' AND exercise IS NOT NULL "
                            "ORDER BY started_at"):  # fmt: skip
            out.setdefault(r["exercise"], []).append(r)
        return out

    def export_csv(self) -> str:
        """Every repetition of every set (one row per rep; sets without reps get one row)."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(EXPORT_COLUMNS)
        rows = self._rows(
            "SELECT s.id AS set_id, s.kind, s.source, s.started_at, s.ended_at, s.status, "
            "s.exercise, r.idx AS rep, r.start_s, r.end_s, r.label, r.probability, r.score, "
            "r.cues FROM sets s LEFT JOIN reps r ON r.set_id = s.id ORDER BY s.id, r.idx")
        for r in rows:
            r["cues"] = "; ".join(str(c.get("text", "")) if isinstance(c, dict) else str(c)
                                  for c in json.loads(r["cues"] or "[]"))
            for k in ("started_at", "ended_at"):
                if r[k] is not None:
                    r[k] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r[k]))
            w.writerow([r[c] for c in EXPORT_COLUMNS])
        return buf.getvalue()


def _insert_rep(db: sqlite3.Connection, set_id: int, index: int, r: dict[str, Any]) -> None:
    db.execute(
        "INSERT OR REPLACE INTO reps (set_id, idx, start_s, end_s, label, probability, score, "
        "cues) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (set_id, index, r.get("start_s"), r.get("end_s"), r.get("label"), r.get("probability"),
         r.get("score"), json.dumps(list(r.get("cues") or []))),
    )


def _update_summary(db: sqlite3.Connection, set_id: int, exercise: str | None) -> None:
    n, mean = db.execute("SELECT COUNT(*), AVG(score) FROM reps WHERE set_id = ?",
                         (set_id,)).fetchone()  # fmt: skip
    db.execute("UPDATE sets SET rep_count = ?, mean_score = ?, exercise = COALESCE(?, exercise) "
               "WHERE id = ?", (n, mean, exercise, set_id))  # fmt: skip
