"""IMU recordings loaded onto the model clock: a CSV recording resampled to 50 Hz, a whole
dataset of them, and the MetaMotion sensor files of one recording aligned onto one clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from repcoach.imu.align import AlignOptions, ImuStream, align_streams, resample_recording
from repcoach.io.imu_csv import ImuIndexEntry, read_imu_csv, read_imu_index
from repcoach.io.metamotion import read_metamotion_streams
from repcoach.types import ImuRecording


def load_imu_recording(
    entry: ImuIndexEntry | str | Path, rate_hz: float | None = 50.0, **kw: Any
) -> ImuRecording:
    """Read one recording and resample it to ``rate_hz`` (None keeps the native rate)."""
    path = entry.path if isinstance(entry, ImuIndexEntry) else Path(entry)
    rec = read_imu_csv(path, **kw)
    if rate_hz is None or (rec.rate_hz and abs(rec.rate_hz - rate_hz) < 1e-6):
        return rec
    return resample_recording(rec, rate_hz, gap_fill="linear")


def iter_imu_dataset(
    root: str | Path, rate_hz: float | None = 50.0, label_column: str | None = None
) -> Iterator[tuple[ImuIndexEntry, ImuRecording]]:
    """``(entry, recording)`` for every row of ``index.csv``, resampled to ``rate_hz``."""
    for e in read_imu_index(root, label_column):
        yield e, load_imu_recording(e, rate_hz)


def read_metamotion_recording(
    folder: str | Path, rate_hz: float = 50.0, **align_options: object
) -> ImuRecording:
    """Read all sensor files of one recording and align them onto one ``rate_hz`` clock.

    Channels are ``<site>.<signal>_<axis>`` (e.g. ``lwrist.acc_x``) in site order lwrist, rwrist,
    lankle, rankle and signal order acc, gyro, mag; timestamps start at 0 at the common start.
    ``align_options`` go to :class:`repcoach.imu.align.AlignOptions`.
    """
    streams = [
        ImuStream(s.times_s, s.values, s.channels, nominal_rate_hz=rate_hz, source=str(s.path))
        for s in read_metamotion_streams(folder)
    ]
    opts = AlignOptions(rate_hz=rate_hz, **align_options)  # type: ignore[arg-type]
    rec = align_streams(streams, opts)
    return ImuRecording(
        timestamps=rec.timestamps,
        data=rec.data,
        channels=rec.channels,
        rate_hz=rec.rate_hz,
        source=str(folder),
    )
