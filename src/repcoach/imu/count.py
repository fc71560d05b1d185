"""Repetition counting and segmentation from IMU recordings.

Two inputs to the segmenters shared by all modalities (so pose and IMU recordings are cut by the
same code; only the input differs). Multi-sensor recordings of slow, paced repetitions
(physiotherapy): the low-passed accelerometers of every sensor -- the tilt of each instrumented
body segment, a pose that returns to rest between repetitions -- go to
:func:`repcoach.segment.segment_array` (tempo-free excursions from the rest pose; idle gaps and
changing tempo are handled). Otherwise (one wrist, fast continuous movement) a 1-D motion signal
goes to :func:`repcoach.segment.segment_signal` (which cuts at valleys = rest points).

The signal: the gyroscope channels of every sensor are integrated over time (angular velocity
-> rotation angle, which returns to its rest value after each repetition, like a joint angle),
band-passed to repetition rates (the high-pass removes integration drift), projected on their
first principal component, scaled to unit variance, and signed so rest sits low: a recording
starts and ends at rest, so the mean of its first and last 2 % must lie below the median (on
pt_exercises_imu this finds 86 % of the annotated repetitions at IoU >= 0.5; the opposite sign
finds 3 %, a "stillest samples are rest" rule 62 %). Without a
gyroscope the accelerometer (gravity direction in the sensor frame, i.e. tilt) is used as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import track
from scipy.signal import butter, sosfiltfilt

from repcoach.errors import DataError
from repcoach.imu.load import load_imu_recording, read_metamotion_recording
from repcoach.io.ejust import EXERCISES
from repcoach.io.imu_csv import read_imu_index, read_rep_annotations
from repcoach.segment import estimate_period, segment_array, segment_signal
from repcoach.segment.dataset import CountRow, count_pose_index
from repcoach.segment.metrics import match_repetitions
from repcoach.segment.signals import fill_nan
from repcoach.types import ImuRecording, Repetition


@dataclass(frozen=True)
class ImuCountOptions:
    """How the motion signal is built and which repetition periods are plausible.

    ``signals``: channel signals to use, in order of preference (the first one present wins).
    ``band_hz``: band-pass (zero-phase Butterworth) keeping repetition-rate motion.
    ``min_period_s`` / ``max_period_s``: passed to the segmenter, with ``segment_kwargs``.
    ``pad_rest_s``: rest added before and after the signal, so a recording trimmed to the
    exercise (first repetition starting at sample 0) keeps its first and last repetitions.
    Defaults chosen by a small grid on SPAR + pt_exercises_imu development data (docs/imu.md).
    ``method``: ``"signal"`` (1-D motion signal -> :func:`repcoach.segment.segment_signal`),
    ``"excursion"`` (low-passed accelerometers of all sensors = body-segment tilts, a pose ->
    :func:`repcoach.segment.segment_array`), or ``"auto"``: excursion when the recording has
    accelerometers at two or more sites (a body that returns to a rest pose) and its dominant
    period (autocorrelation of :func:`motion_signal`) is at least ``excursion_min_period_s``
    or undefined (slow, paced repetitions with rest, as in physiotherapy); else signal (a single
    wrist swinging continuously as in SPAR, or fast continuous calisthenics such as jumping
    jacks, never rest between repetitions).
    ``tilt_lowpass_hz`` (chosen on pt_exercises_imu template sessions) and ``excursion_kwargs``
    configure the excursion method.
    """

    signals: tuple[str, ...] = ("gyro", "acc")
    sites: tuple[str, ...] | None = None
    band_hz: tuple[float, float] = (0.1, 1.0)
    min_period_s: float = 0.6
    max_period_s: float = 10.0
    integrate_gyro: bool = True
    pad_rest_s: float = 1.0
    segment_kwargs: tuple[tuple[str, object], ...] = (("prominence", 0.2),)
    method: str = "auto"
    tilt_lowpass_hz: float = 0.5
    excursion_kwargs: tuple[tuple[str, object], ...] = (("prominence", 0.15),)
    excursion_min_period_s: float = 2.8


def _bandpass(x: np.ndarray, rate_hz: float, band: tuple[float, float]) -> np.ndarray:

    lo, hi = band
    hi = min(hi, 0.45 * rate_hz)
    if len(x) < 30:
        return x - x.mean(axis=0)
    sos = butter(2, [lo, hi], btype="band", fs=rate_hz, output="sos")
    return sosfiltfilt(sos, x, axis=0)


def motion_signal(rec: ImuRecording, options: ImuCountOptions | None = None) -> np.ndarray:
    """``(samples,)`` position-like motion signal (see the module docstring), unit variance."""
    opts = options or ImuCountOptions()
    chans: list[str] = []
    for sig in opts.signals:
        chans = [
            c
            for c in rec.channels
            if c.split(".", 1)[-1].startswith(f"{sig}_")
            and (opts.sites is None or c.split(".", 1)[0] in opts.sites)
        ]
        if chans:
            break
    if not chans:
        raise ValueError(f"no {opts.signals} channels in recording ({list(rec.channels)})")
    rate = rec.rate_hz or float(1.0 / np.median(np.diff(rec.timestamps)))
    x = fill_nan(rec.select(chans).data.astype(np.float64))
    if opts.integrate_gyro and chans[0].split(".", 1)[-1].startswith("gyro_"):
        x = np.cumsum(x - x.mean(axis=0), axis=0) / rate
    x = _bandpass(x, rate, opts.band_hz)
    if x.shape[1] == 1:
        pc = x[:, 0]
    else:
        xc = x - x.mean(axis=0)
        _, _, vt = np.linalg.svd(xc, full_matrices=False)
        pc = xc @ vt[0]
    sd = pc.std()
    pc = pc / sd if sd > 0 else pc
    k = max(5, len(pc) // 50)  # recordings start and end at rest: that level must sit low
    if pc[:k].mean() + pc[-k:].mean() > 2 * np.median(pc):
        pc = -pc
    return pc


def _sites_with(rec: ImuRecording, signal: str) -> list[str]:
    """Sites (``site`` of ``site.signal_axis``) that carry ``signal`` channels, in order."""
    sites: list[str] = []
    for c in rec.channels:
        site, _, rest = c.rpartition(".")
        if rest.startswith(f"{signal}_") and site not in sites:
            sites.append(site)
    return sites


def resolve_method(rec: ImuRecording, options: ImuCountOptions | None = None) -> str:
    """``"excursion"`` or ``"signal"`` for ``rec`` (resolves ``method="auto"``)."""
    opts = options or ImuCountOptions()
    if opts.method in ("signal", "excursion"):
        return opts.method
    if opts.method != "auto":
        raise ValueError(f"unknown counting method {opts.method!r} (auto|signal|excursion)")
    sites = _sites_with(rec, "acc")
    if opts.sites is not None:
        sites = [s for s in sites if s in opts.sites]
    if len(sites) < 2:
        return "signal"

    rate = rec.rate_hz or float(1.0 / np.median(np.diff(rec.timestamps)))
    period, _ = estimate_period(motion_signal(rec, opts), rate, 0.4, opts.max_period_s)
    return "excursion" if not period < opts.excursion_min_period_s else "signal"


def tilt_array(rec: ImuRecording, options: ImuCountOptions | None = None) -> np.ndarray:
    """``(samples, 3 * sites)`` low-passed accelerometers: the direction of gravity in each
    sensor frame, i.e. the tilt of every instrumented body segment -- a pose-like array that
    returns to the rest value between repetitions (the input of the excursion method)."""

    opts = options or ImuCountOptions()
    chans = [
        c for c in rec.channels
        if c.rpartition(".")[2].startswith("acc_")
        and (opts.sites is None or c.rpartition(".")[0] in opts.sites)
    ]
    if not chans:
        raise ValueError(f"no accelerometer channels in recording ({list(rec.channels)})")
    rate = rec.rate_hz or float(1.0 / np.median(np.diff(rec.timestamps)))
    x = fill_nan(rec.select(chans).data.astype(np.float64))
    if len(x) > 30 and opts.tilt_lowpass_hz < 0.45 * rate:
        x = sosfiltfilt(butter(2, opts.tilt_lowpass_hz, fs=rate, output="sos"), x, axis=0)
    return x


def count_repetitions_imu(
    rec: ImuRecording, options: ImuCountOptions | None = None
) -> list[Repetition]:
    """Repetitions of ``rec`` (sample indices at its rate, times in seconds) via the shared
    segmenter: :func:`repcoach.segment.segment_array` on :func:`tilt_array` (multi-sensor
    recordings) or :func:`repcoach.segment.segment_signal` on :func:`motion_signal`."""

    opts = options or ImuCountOptions()
    rate = rec.rate_hz or float(1.0 / np.median(np.diff(rec.timestamps)))
    k = int(round(opts.pad_rest_s * rate))
    if resolve_method(rec, opts) == "excursion":
        x = tilt_array(rec, opts)
        if k > 0:  # recordings trimmed to the exercise: hold the first / last pose as rest
            x = np.concatenate([np.repeat(x[:1], k, 0), x, np.repeat(x[-1:], k, 0)])
        bounds = segment_array(x, rate, **dict(opts.excursion_kwargs))
        assert isinstance(bounds, list)
    else:
        sig = motion_signal(rec, opts)
        if k > 0:  # recordings trimmed to the exercise: let the edges be rest points
            low = np.percentile(sig, 2)
            sig = np.concatenate([np.full(k, low), sig, np.full(k, low)])
        bounds = segment_signal(
            sig,
            rate,
            min_period_s=opts.min_period_s,
            max_period_s=opts.max_period_s,
            **dict(opts.segment_kwargs),
        )
    t = rec.timestamps
    reps = []
    n = rec.n_samples
    for s, e in bounds:
        s, e = min(max(int(s) - k, 0), n), min(max(int(e) - k, 0), n)
        if e <= s:
            continue
        reps.append(
            Repetition(
                start=s,
                end=e,
                start_s=float(t[s]) if s < len(t) else float("nan"),
                end_s=float(t[e - 1] + 1.0 / rate) if 0 < e <= len(t) else float("nan"),
            )
        )
    return reps


def _ejust_imu_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*/imu") if p.is_dir())


def _ejust_true_counts(root: Path) -> dict[tuple[str, str], int]:
    """(participant, exercise code) -> annotated repetitions, from annotations.csv if any."""

    p = root / "annotations.csv"
    if not p.exists():
        return {}
    df = pd.read_csv(p)
    sizes = df.groupby(["participant", "exercise"]).size()
    return {(str(k[0]), str(k[1])): int(v) for k, v in sizes.items()}


def count_dataset(
    data_dir: str | Path,
    modality: str = "imu",
    options: ImuCountOptions | None = None,
    progress: bool = True,
) -> list[CountRow]:
    """Count repetitions in every recording of an indexed IMU/pose dataset (``index.csv``) or an
    EJUST-GYM-3 folder (IMU files, true counts from ``annotations.csv``). For ``modality="pose"``
    the pose segmenter :func:`repcoach.segment.segment_repetitions` is used instead."""

    root = Path(data_dir)
    rows: list[CountRow] = []
    if (root / "index.csv").exists():
        if modality == "pose":
            return count_pose_index(root, progress)

        entries = read_imu_index(root)
        annotated = read_rep_annotations(root)
        for e in track(entries, description="counting", disable=not progress):
            rec = load_imu_recording(e)
            reps = count_repetitions_imu(rec, options)
            rel = str(e.path.relative_to(root))
            ann = [a for a in annotated.get(rel, []) if a.execution_type is not None]
            match: dict[str, float] = {}
            if e.rep_count is not None and len(ann) == e.rep_count:  # fully annotated
                match = match_repetitions([(a.start_s, a.end_s) for a in ann],
                                          [(r.start_s, r.end_s) for r in reps])
            rows.append(CountRow(rel, e.subject, e.label, len(reps), e.rep_count,
                                 match.get("recall"), match.get("precision")))
        return rows

    if modality != "imu":

        raise DataError("an EJUST folder is counted from its IMU files here: use --modality "
                        "imu (--modality pose needs an indexed dataset with index.csv)", root)
    truth = _ejust_true_counts(root)
    folders = _ejust_imu_folders(root)
    if not folders:

        raise DataError("neither index.csv nor <name>/<CODE>/imu folders found", root)
    for f in track(folders, description="counting", disable=not progress):
        participant, code = f.parent.parent.name, f.parent.name
        rec = read_metamotion_recording(f)
        reps = count_repetitions_imu(rec, options)
        rows.append(CountRow(f"{participant}/{code}", participant, EXERCISES.get(code, code),
                             len(reps), truth.get((participant, code))))
    return rows


