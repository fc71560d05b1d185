"""Kinect v2 skeleton files -> :class:`PoseSequence` (layout ``kinect25``, SDK JointType order,
``space="world"``: the SDK's camera space in metres, x towards the sensor's left, y up, z along
the sensor's view direction; coordinates are kept as given).

Supported forms (detected from the content):

1. **CSV with a header**: an optional time column (``timestamp_s``/``time_s``/``timestamp``/
   ``time``/``t`` in seconds, ``timestamp_ms``/``time_ms`` in milliseconds) and per joint
   ``<joint>_x, <joint>_y, <joint>_z`` plus optionally ``<joint>_state`` (or ``_tracking`` /
   ``_trackingstate``). Joint names may be repcoach's (``left_shoulder``), the SDK's
   (``ShoulderLeft``, ``SpineBase``) or indices (``j0``..``j24``, ``joint0``..); separators
   ``_``/``.``/space and case do not matter.
2. **Headerless numeric rows**, one frame per line, separated by commas, semicolons or white
   space: 75 values (25 joints x x,y,z), 76 (time + 75), 100 (25 x x,y,z,state) or 101
   (time + 100). This is the plain export used by many public Kinect datasets.
3. **NTU RGB+D ``.skeleton`` text** (frame count; per frame a body count, per body a 10-value
   info line, a joint count and one 12-value line per joint ending in the tracking state). The
   body tracked in the most frames is kept.

Tracking state -> visibility: tracked (2) 1.0, inferred (1) 0.5, not tracked (0) 0.0 with the
coordinates set to NaN (the SDK's positions for untracked joints are placeholders). Frames where
no joint is tracked are marked ``detected=False``. Times in ms or in the SDK's 100-ns ticks are
recognised from their step and converted to seconds from the first frame.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from repcoach.errors import DataError
from repcoach.skeleton import KINECT_V2_25
from repcoach.types import PoseSequence

N_JOINTS = 25
_SDK_NAMES = (
    "SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
    "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft",
    "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight", "SpineShoulder",
    "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight",
)  # fmt: skip
_KEYS: dict[str, int] = {}
for _i, (_ours, _sdk) in enumerate(zip(KINECT_V2_25.joint_names, _SDK_NAMES, strict=True)):
    _KEYS[_ours.replace("_", "")] = _i
    _KEYS[_sdk.lower()] = _i
_TIME_COLS = {"timestamps": 1.0, "timestamp": 1.0, "times": 1.0, "time": 1.0, "t": 1.0,
              "timestampms": 1e-3, "timems": 1e-3}  # fmt: skip
_SUFFIXES = ("trackingstate", "tracking", "state", "x", "y", "z")
_SPLIT = re.compile(r"[,;\s]+")


def _state_to_vis(state: np.ndarray) -> np.ndarray:
    s = np.round(np.nan_to_num(state, nan=2.0))
    return np.select([s >= 2, s >= 1], [1.0, 0.5], 0.0).astype(np.float32)


def _seconds(ts: np.ndarray) -> np.ndarray:
    """Seconds from the first frame; ms or 100-ns ticks recognised from the median step."""
    ts = ts - ts[0]
    if len(ts) > 1:
        step = float(np.median(np.diff(ts)))
        if step > 1e4:
            ts = ts * 1e-7
        elif step > 2.0:
            ts = ts * 1e-3
    return ts


def _build(
    path: Path, coords: np.ndarray, state: np.ndarray | None, ts: np.ndarray | None,
    fps: float, rows: list[int],
) -> PoseSequence:
    if len(coords) == 0:
        raise DataError("no skeleton frames", path)
    if state is None:
        vis = np.where(np.isfinite(coords).all(axis=2), 1.0, 0.0).astype(np.float32)
    else:
        vis = _state_to_vis(state)
        coords = np.where((vis > 0)[..., None], coords, np.nan)
    detected = (vis > 0).any(axis=1)
    if ts is None:
        t = np.arange(len(coords)) / fps
    else:
        bad = np.flatnonzero(~np.isfinite(ts))
        if len(bad):
            raise DataError("timestamp is not a number", path, row=rows[bad[0]])
        steps = np.diff(ts)
        if np.any(steps <= 0):
            k = int(np.flatnonzero(steps <= 0)[0]) + 1
            raise DataError(
                f"timestamps must increase (got {ts[k]} after {ts[k - 1]})", path, row=rows[k]
            )
        t = _seconds(ts)
    return PoseSequence(coords.astype(np.float32), t, KINECT_V2_25, vis, detected, "world",
                        str(path))  # fmt: skip


def _floats(tokens: list[str], path: Path, row: int) -> np.ndarray:
    try:
        return np.array([float(v) if v not in ("", "nan", "NaN") else np.nan for v in tokens])
    except ValueError:
        bad = next(v for v in tokens if not _is_float(v))
        raise DataError(f"expected a number, got {bad!r}", path, row=row) from None


def _is_float(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return v in ("", "nan", "NaN")


def read_kinect(path: str | Path, fps: float = 30.0) -> PoseSequence:
    """Read a Kinect v2 skeleton file in any of the supported forms (see module docs)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except FileNotFoundError:
        raise DataError("file not found", path) from None
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise DataError(f"not a text skeleton file ({e.__class__.__name__})", path) from None
    lines = text.splitlines()
    numbered = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
    if not numbered:
        raise DataError("empty file", path)
    first = numbered[0][1]
    if path.suffix.lower() == ".skeleton" or _looks_ntu(numbered):
        return _read_ntu(path, numbered, fps)
    if re.search(r"[A-Za-z]", first.replace("nan", "").replace("NaN", "")):
        return _read_header_csv(path, numbered, fps)
    return _read_plain(path, numbered, fps)


def _looks_ntu(numbered: list[tuple[int, str]]) -> bool:
    if len(numbered) < 4:
        return False
    a, b = numbered[0][1], numbered[1][1]
    return a.isdigit() and b.isdigit() and len(_SPLIT.split(numbered[2][1])) == 10


def _read_plain(path: Path, numbered: list[tuple[int, str]], fps: float) -> PoseSequence:
    width = None
    vals, rows = [], []
    for row, ln in numbered:
        tok = [t for t in _SPLIT.split(ln) if t != ""]
        if width is None:
            if len(tok) not in (75, 76, 100, 101):
                raise DataError(
                    f"{len(tok)} values per line; expected 75 (25 joints x x,y,z), 76 (time + "
                    "75), 100 (25 x x,y,z,state) or 101 (time + 100)",
                    path,
                    row=row,
                )
            width = len(tok)
        elif len(tok) != width:
            raise DataError(f"{len(tok)} values, expected {width} like the first line", path,
                            row=row)  # fmt: skip
        vals.append(_floats(tok, path, row))
        rows.append(row)
    a = np.stack(vals)
    ts = a[:, 0] if width in (76, 101) else None
    body = a[:, 1:] if ts is not None else a
    if width in (100, 101):
        b = body.reshape(len(a), N_JOINTS, 4)
        return _build(path, b[..., :3], b[..., 3], ts, fps, rows)
    return _build(path, body.reshape(len(a), N_JOINTS, 3), None, ts, fps, rows)


def _column_key(name: str) -> tuple[int, str] | None:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    for suf in _SUFFIXES:
        if key.endswith(suf) and len(key) > len(suf):
            joint = key[: -len(suf)]
            axis = "state" if suf in ("trackingstate", "tracking", "state") else suf
            if joint in _KEYS:
                return _KEYS[joint], axis
            m = re.fullmatch(r"(?:j|joint|lm)(\d+)", joint)
            if m and int(m.group(1)) < N_JOINTS:
                return int(m.group(1)), axis
    return None


def _read_header_csv(path: Path, numbered: list[tuple[int, str]], fps: float) -> PoseSequence:
    header_row, header = numbered[0]
    delim = "," if "," in header else ";" if ";" in header else None
    names = [h.strip() for h in (header.split(delim) if delim else header.split())]
    time_col, time_scale = None, 1.0
    cols: dict[tuple[int, str], int] = {}
    for c, name in enumerate(names):
        flat = re.sub(r"[^a-z0-9]", "", name.lower())
        if time_col is None and flat in _TIME_COLS:
            time_col, time_scale = c, _TIME_COLS[flat]
            continue
        k = _column_key(name)
        if k is not None:
            cols[k] = c
    missing = [f"{KINECT_V2_25.joint_names[j]}_{a}" for j in range(N_JOINTS) for a in "xyz"
               if (j, a) not in cols]  # fmt: skip
    if missing:
        raise DataError(
            f"missing joint column(s) {missing[:4]}{' ...' if len(missing) > 4 else ''}; "
            "expected <joint>_x/_y/_z for the 25 Kinect v2 joints",
            path,
            row=header_row,
        )
    has_state = all((j, "state") in cols for j in range(N_JOINTS))
    coords, states, ts, rows = [], [], [], []
    for row, ln in numbered[1:]:
        tok = [t.strip() for t in (ln.split(delim) if delim else ln.split())]
        if len(tok) != len(names):
            raise DataError(f"{len(tok)} fields, expected {len(names)} like the header", path,
                            row=row)  # fmt: skip
        v = _floats(tok, path, row)
        coords.append([[v[cols[(j, a)]] for a in "xyz"] for j in range(N_JOINTS)])
        if has_state:
            states.append([v[cols[(j, "state")]] for j in range(N_JOINTS)])
        if time_col is not None:
            ts.append(v[time_col] * time_scale)
        rows.append(row)
    if not coords:
        raise DataError("no frames (header only)", path)
    t = np.array(ts) if time_col is not None else None
    st = np.array(states, float) if has_state else None
    return _build(path, np.array(coords, float), st, t, fps, rows)


def _read_ntu(path: Path, numbered: list[tuple[int, str]], fps: float) -> PoseSequence:
    pos = 0

    def take() -> tuple[int, list[str]]:
        nonlocal pos
        if pos >= len(numbered):
            raise DataError("file ends in the middle of a frame", path, row=numbered[-1][0])
        row, ln = numbered[pos]
        pos += 1
        return row, _SPLIT.split(ln)

    def integer(row: int, tok: list[str], what: str) -> int:
        if len(tok) != 1 or not tok[0].isdigit():
            raise DataError(f"expected the {what} (one integer), got {' '.join(tok)!r}", path,
                            row=row)  # fmt: skip
        return int(tok[0])

    row, tok = take()
    n_frames = integer(row, tok, "frame count")
    frames: list[dict[str, tuple[np.ndarray, np.ndarray]]] = []
    rows = []
    for _ in range(n_frames):
        row, tok = take()
        n_bodies = integer(row, tok, "body count")
        rows.append(row)
        bodies: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for _b in range(n_bodies):
            brow, info = take()
            if len(info) != 10:
                raise DataError(f"body info line has {len(info)} values, expected 10", path,
                                row=brow)  # fmt: skip
            jrow, jtok = take()
            n_j = integer(jrow, jtok, "joint count")
            if n_j != N_JOINTS:
                raise DataError(f"{n_j} joints, expected {N_JOINTS} (Kinect v2)", path, row=jrow)
            xyz = np.empty((N_JOINTS, 3))
            st = np.empty(N_JOINTS)
            for j in range(N_JOINTS):
                r, jt = take()
                if len(jt) != 12:
                    raise DataError(f"joint line has {len(jt)} values, expected 12", path, row=r)
                v = _floats(jt, path, r)
                xyz[j], st[j] = v[:3], v[11]
            bodies[info[0]] = (xyz, st)
        frames.append(bodies)
    if pos < len(numbered):
        raise DataError(
            f"more lines than the {n_frames} frames announced", path, row=numbered[pos][0]
        )
    counts: dict[str, int] = {}
    for f in frames:
        for bid in f:
            counts[bid] = counts.get(bid, 0) + 1
    coords = np.full((len(frames), N_JOINTS, 3), np.nan)
    states = np.zeros((len(frames), N_JOINTS))
    if counts:
        best = max(counts, key=lambda b: counts[b])
        for i, f in enumerate(frames):
            if best in f:
                coords[i], states[i] = f[best]
    return _build(path, coords, states, None, fps, rows)
