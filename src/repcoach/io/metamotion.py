"""MbientLab MetaMotion (MetaBase app) CSV exports: one file per sensor and signal.

A MetaBase export looks like::

    epoc (ms),timestamp (+02:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)
    1700000000000,2023-11-14T22:13:20.000,0.000,0.012,-0.981,0.104

with ``x-axis (deg/s)`` ... for the gyroscope and ``x-axis (T)`` ... for the magnetometer.
``epoc (ms)`` (sometimes spelled ``epoch (ms)``) is Unix time in milliseconds and is the clock
used here; the local ``timestamp`` and ``elapsed`` columns are written but not trusted on read.

Units are normalised on read to the project's IMU units: accelerometer **g**, gyroscope
**deg/s**, magnetometer **microtesla (uT)**. Accepted headers: ``(g)`` or ``(m/s^2)``;
``(deg/s)`` or ``(rad/s)``; ``(T)``, ``(uT)`` or ``(µT)``. MetaBase labels the magnetometer
``(T)``; a ``(T)`` column whose median field strength exceeds 1 (impossible in tesla near the
Earth's surface, whose field is 25-65 uT) is taken to hold microtesla already.

In the EJUST-GYM-3 layout the files of one recording are
``DIR/<name>/<CODE>/imu/<name><CODE>-<site>_<signal>.csv`` with ``site`` in lwrist, rwrist,
lankle, rankle and ``signal`` in acc, gyro, mag (:data:`repcoach.io.ejust.MODALITIES`);
:func:`read_metamotion_recording` reads them all onto one 50 Hz clock as an
:class:`~repcoach.types.ImuRecording` with channels ``lwrist.acc_x`` ... ``rankle.mag_z``.
"""

from __future__ import annotations

import contextlib
import csv
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from repcoach.errors import DataError
from repcoach.io.atomic import atomic_write
from repcoach.io.ejust import IMU_SIGNALS, IMU_SITES, parse_name
from repcoach.io.validate import check_finite, check_timestamps, csv_rows, read_text

#: Unit written for each signal (and the unit every reader returns).
SIGNAL_UNITS: dict[str, str] = {"acc": "g", "gyro": "deg/s", "mag": "T"}
#: Unit returned after reading (magnetometer converted from tesla to microtesla).
CANONICAL_UNITS: dict[str, str] = {"acc": "g", "gyro": "deg/s", "mag": "uT"}
AXES = ("x", "y", "z")
G = 9.80665

_EPOCH_COLUMNS = ("epoc (ms)", "epoch (ms)")
_AXIS_RE = re.compile(r"^(?P<axis>[xyz])-axis \((?P<unit>[^)]+)\)$")
_UNIT_SIGNAL = {
    "g": "acc",
    "m/s^2": "acc",
    "m/s2": "acc",
    "deg/s": "gyro",
    "rad/s": "gyro",
    "t": "mag",
    "ut": "mag",
    "µt": "mag",
    "μt": "mag",
}
#: Sites in the fixed order used for channels.
SITES = tuple(IMU_SITES)
SIGNALS = tuple(IMU_SIGNALS)


@dataclass(frozen=True, eq=False)
class MetaMotionStream:
    """One sensor file: Unix times (s) and ``(samples, 3)`` values in canonical units."""

    times_s: np.ndarray
    values: np.ndarray
    signal: str
    site: str | None = None
    path: Path | None = None

    @property
    def n_samples(self) -> int:
        return int(self.values.shape[0])

    @property
    def channels(self) -> tuple[str, ...]:
        prefix = f"{self.site}." if self.site else ""
        return tuple(f"{prefix}{self.signal}_{a}" for a in AXES)

    @property
    def rate_hz(self) -> float:
        """Sampling rate estimated from the median timestamp step."""
        if self.n_samples < 2:
            return float("nan")
        step = np.median(np.diff(self.times_s))
        return float(1.0 / step) if step > 0 else float("nan")


def read_metamotion_csv(
    path: str | Path, signal: str | None = None, site: str | None = None
) -> MetaMotionStream:
    """Read one MetaBase CSV export; ``signal`` (acc/gyro/mag) is inferred from the axis units.

    Raises :class:`DataError` naming the file and row for an empty file, missing columns,
    non-numeric cells, non-finite values or timestamps that go backwards. Repeated timestamps
    (MetaWear packs several samples into one Bluetooth packet) are allowed; the aligner spreads
    them out (:func:`repcoach.imu.align.spread_repeated_times`).
    """
    path = Path(path)
    cells = csv_rows(read_text(path, "MetaMotion CSV"), path, "MetaMotion CSV")
    with contextlib.nullcontext(iter(cells)) as reader:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise DataError("empty file: expected a MetaMotion CSV header", path, row=1)
        header = [h.strip() for h in header]
        lower = [h.lower() for h in header]
        epoch_col = next((lower.index(c) for c in _EPOCH_COLUMNS if c in lower), None)
        if epoch_col is None:
            raise DataError(
                f"missing column 'epoc (ms)' (Unix time in ms); header is {header}", path, row=1
            )
        axis_cols: dict[str, int] = {}
        units: set[str] = set()
        for i, h in enumerate(lower):
            m = _AXIS_RE.match(h)
            if m:
                axis_cols[m.group("axis")] = i
                units.add(m.group("unit"))
        missing = [f"{a}-axis" for a in AXES if a not in axis_cols]
        if missing:
            raise DataError(
                f"missing column(s) {missing} (e.g. 'x-axis (g)'); header is {header}",
                path,
                row=1,
            )
        if len(units) != 1:
            raise DataError(f"axis columns have mixed units {sorted(units)}", path, row=1)
        unit = units.pop()
        found_signal = _UNIT_SIGNAL.get(unit)
        if found_signal is None:
            raise DataError(
                f"unknown axis unit {unit!r}; expected one of g, m/s^2, deg/s, rad/s, T, uT",
                path,
                row=1,
            )
        if signal is not None and signal != found_signal:
            raise DataError(
                f"file name says {signal!r} but the axis unit {unit!r} is a {found_signal!r}",
                path,
                row=1,
            )
        cols = [epoch_col] + [axis_cols[a] for a in AXES]
        names = [header[c] for c in cols]
        rows: list[list[float]] = []
        for rownum, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) < len(header):
                raise DataError(
                    f"row has {len(row)} cells, header has {len(header)}", path, row=rownum
                )
            vals = []
            for c, name in zip(cols, names, strict=True):
                cell = row[c].strip()
                try:
                    v = float(cell)
                except ValueError:
                    raise DataError(
                        f"expected a number, got {cell!r}", path, row=rownum, column=name
                    ) from None
                if not math.isfinite(v):
                    raise DataError(
                        f"expected a finite number, got {cell!r}", path, row=rownum, column=name
                    )
                vals.append(v)
            if rows and vals[0] < rows[-1][0]:
                raise DataError(
                    f"timestamps go backwards ({vals[0]:.0f} ms after {rows[-1][0]:.0f} ms)",
                    path,
                    row=rownum,
                    column=names[0],
                )
            rows.append(vals)
    if not rows:
        raise DataError("no samples: the file has a header but no data rows", path, row=2)
    arr = np.asarray(rows, dtype=np.float64)
    check_timestamps(arr[:, 0], path, names[0], strict=False, unit="ms")
    check_finite(arr[:, 1:], path, names[1:])
    values = _to_canonical(arr[:, 1:], found_signal, unit)
    return MetaMotionStream(
        times_s=arr[:, 0] / 1000.0, values=values, signal=found_signal, site=site, path=path
    )


def _to_canonical(values: np.ndarray, signal: str, unit: str) -> np.ndarray:
    """Convert ``values`` in ``unit`` to g, deg/s or uT."""
    if unit in ("m/s^2", "m/s2"):
        return values / G
    if unit == "rad/s":
        return np.degrees(values)
    if unit == "t":
        # MetaBase says tesla; values far above a tesla are microtesla already (see module doc).
        return values if np.median(np.linalg.norm(values, axis=1)) > 1.0 else values * 1e6
    return values


def write_metamotion_csv(
    path: str | Path,
    times_s: np.ndarray,
    values: np.ndarray,
    signal: str,
    utc_offset_h: float = 0.0,
) -> Path:
    """Write one MetaBase-style CSV (atomically). ``values`` in g / deg/s / uT (as read back);
    the magnetometer is written in tesla under ``x-axis (T)``, as MetaBase does."""
    if signal not in SIGNAL_UNITS:
        raise ValueError(f"unknown signal {signal!r}; known: {list(SIGNAL_UNITS)}")
    t = np.asarray(times_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (len(t), 3):
        raise ValueError(f"values must be ({len(t)}, 3), got {v.shape}")
    unit = SIGNAL_UNITS[signal]
    out = v * 1e-6 if signal == "mag" else v
    tz = timezone(timedelta(hours=utc_offset_h))
    sign = "+" if utc_offset_h >= 0 else "-"
    hh, mm = divmod(int(round(abs(utc_offset_h) * 60)), 60)
    header = [
        "epoc (ms)",
        f"timestamp ({sign}{hh:02d}:{mm:02d})",
        "elapsed (s)",
        *(f"{a}-axis ({unit})" for a in AXES),
    ]
    epoch_ms = np.round(t * 1000.0).astype(np.int64)
    fmt = "{:.4e}" if signal == "mag" else "{:.5f}"
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        t0 = epoch_ms[0] if len(epoch_ms) else 0
        for ms, row in zip(epoch_ms, out, strict=True):
            stamp = datetime.fromtimestamp(ms / 1000.0, tz).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            w.writerow([int(ms), stamp, f"{(ms - t0) / 1000.0:.3f}", *(fmt.format(x) for x in row)])
    return path


def metamotion_files(folder: str | Path) -> dict[tuple[str, str], Path]:
    """``{(site, signal): path}`` for the EJUST-named IMU files in ``folder`` (one recording).

    Raises :class:`DataError` if the folder holds files of more than one participant/exercise.
    """
    folder = Path(folder)
    found: dict[tuple[str, str], Path] = {}
    owners: set[tuple[str, str]] = set()
    for p in sorted(folder.glob("*.csv")):
        try:
            name = parse_name(p)
        except DataError:
            continue
        if name.group != "imu":
            continue
        site, sig = name.modality.split("_", 1)
        owners.add((name.participant, name.code))
        found[(site, sig)] = p
    if len(owners) > 1:
        raise DataError(
            f"IMU folder holds files of several recordings {sorted(owners)}; expected one",
            folder,
        )
    return found


def read_metamotion_streams(folder: str | Path) -> list[MetaMotionStream]:
    """Every sensor file of one recording folder, in site then signal order."""
    files = metamotion_files(folder)
    if not files:
        raise DataError(
            "no MetaMotion files named '<name><CODE>-<site>_<signal>.csv' found", folder
        )
    out = []
    for site in SITES:
        for sig in SIGNALS:
            p = files.get((site, sig))
            if p is not None:
                out.append(read_metamotion_csv(p, signal=sig, site=site))
    return out


