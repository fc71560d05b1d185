"""Put IMU streams onto one common clock (50 Hz by default).

Policies (all in :class:`AlignOptions`):

* **Common span.** Sensors start and stop at different Unix times; the output covers only the
  span every stream covers (``max`` of the starts to ``min`` of the ends), on the grid
  ``start + k / rate_hz``. Timestamps of the result start at 0.
* **Interpolation.** Each channel is linearly interpolated onto the grid (after a zero-phase
  low-pass when the grid is coarser than the stream, to avoid aliasing).
* **Gaps.** A step between two consecutive samples longer than ``max_gap_periods`` nominal
  periods is a gap (lost Bluetooth packets). Grid points inside a gap are filled by
  ``gap_fill``: ``"nan"`` (default: missing stays missing, windows that touch it are dropped by
  :func:`repcoach.imu.windows.sliding_windows`), ``"linear"`` (interpolate across) or
  ``"hold"`` (repeat the last sample). Shorter steps are interpolated.
* **Repeated timestamps.** MetaWear packs several samples per packet with one time stamp; runs
  of equal times are spread evenly up to the next distinct time.
* **Clock drift.** The three signals of one device share its clock, so corrections are
  estimated per device (channel prefix before the ``.``) and applied to all its streams.
  ``drift="nominal"``: the device's sample timer is trusted to run at the nominal rate; a line
  fitted to time stamp against sample number (gaps counted as missing samples) gives the rate
  the time stamps imply, and if it differs from the nominal one by more than
  ``drift_tolerance`` (and less than ``max_drift``, beyond which it is a different rate, not
  drift) the time stamps are rescaled about the first sample. ``drift="xcorr"``: a shared event
  (e.g. a jump or a clap felt by every sensor) is found by cross-correlating acceleration
  magnitude envelopes against the reference device in a window at the start and one at the end
  of the common span; the two lags give each device's offset and linear drift.
  ``drift="none"`` keeps the time stamps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.signal import butter, sosfiltfilt

from repcoach.errors import DataError
from repcoach.segment.signals import fill_nan
from repcoach.types import ImuRecording


@dataclass(frozen=True, eq=False)
class ImuStream:
    """One sensor stream before alignment: its own time stamps (s) and ``(samples, k)`` values."""

    times_s: np.ndarray
    values: np.ndarray
    channels: tuple[str, ...]
    nominal_rate_hz: float | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        t = np.asarray(self.times_s, dtype=np.float64)
        v = np.asarray(self.values, dtype=np.float64)
        if v.ndim == 1:
            v = v[:, None]
        if v.shape != (len(t), len(self.channels)):
            raise ValueError(
                f"stream values {v.shape} do not match {len(t)} times x {len(self.channels)} "
                "channels"
            )
        object.__setattr__(self, "times_s", t)
        object.__setattr__(self, "values", v)

    @property
    def device(self) -> str:
        """Channel prefix before the dot (the device whose clock stamps this stream)."""
        return self.channels[0].split(".", 1)[0] if "." in self.channels[0] else ""


@dataclass(frozen=True)
class AlignOptions:
    """How :func:`align_streams` builds the common clock (see the module docstring)."""

    rate_hz: float = 50.0
    max_gap_periods: float = 3.0
    gap_fill: str = "nan"
    drift: str = "nominal"
    drift_tolerance: float = 2e-4
    max_drift: float = 0.02
    reference: str | None = None
    xcorr_window_s: float = 8.0
    max_lag_s: float = 2.0

    def __post_init__(self) -> None:
        if self.gap_fill not in ("nan", "linear", "hold"):
            raise ValueError(f"gap_fill must be nan, linear or hold, got {self.gap_fill!r}")
        if self.drift not in ("none", "nominal", "xcorr"):
            raise ValueError(f"drift must be none, nominal or xcorr, got {self.drift!r}")
        if self.rate_hz <= 0:
            raise ValueError("rate_hz must be positive")


def spread_repeated_times(t: np.ndarray) -> np.ndarray:
    """Spread runs of equal time stamps evenly up to the next distinct time stamp."""
    t = np.asarray(t, dtype=np.float64).copy()
    n = len(t)
    if n < 2 or np.all(np.diff(t) > 0):
        return t
    d = np.diff(t)
    pos = d[d > 0]
    step = float(np.median(pos)) if len(pos) else 1.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and t[j + 1] == t[i]:
            j += 1
        if j > i:
            nxt = t[j + 1] if j + 1 < n else t[i] + (j - i + 1) * step
            t[i : j + 1] = t[i] + (nxt - t[i]) * np.arange(j - i + 1) / (j - i + 1)
        i = j + 1
    return t


def implied_rate_ratio(times_s: np.ndarray, nominal_rate_hz: float) -> float:
    """Ratio (time-stamp period / nominal period) from a line fitted to time vs sample number.

    Gaps count as missing samples (each step is rounded to whole nominal periods)."""
    t = np.asarray(times_s, dtype=np.float64)
    if len(t) < 3:
        return 1.0
    steps = np.maximum(1, np.round(np.diff(t) * nominal_rate_hz)).astype(np.int64)
    n = np.concatenate([[0], np.cumsum(steps)])
    slope = np.polyfit(n.astype(np.float64), t - t[0], 1)[0]
    return float(slope * nominal_rate_hz)


def correct_drift_nominal(
    times_s: np.ndarray, nominal_rate_hz: float, tolerance: float = 2e-4, max_drift: float = 0.02
) -> tuple[np.ndarray, float]:
    """Rescale time stamps about the first one so they imply the nominal rate.

    Returns ``(times, ratio)``; times are unchanged when ``|ratio - 1|`` is within ``tolerance``
    or beyond ``max_drift`` (then the stream simply runs at another rate)."""
    r = implied_rate_ratio(times_s, nominal_rate_hz)
    if abs(r - 1.0) <= tolerance or abs(r - 1.0) > max_drift:
        return np.asarray(times_s, dtype=np.float64), 1.0
    t = np.asarray(times_s, dtype=np.float64)
    return t[0] + (t - t[0]) / r, r


def resample_stream(
    times_s: np.ndarray,
    values: np.ndarray,
    grid: np.ndarray,
    max_gap_s: float,
    gap_fill: str = "nan",
) -> np.ndarray:
    """Interpolate ``values`` (samples, k) at ``grid``; NaN outside the stream's span and inside
    gaps longer than ``max_gap_s`` unless ``gap_fill`` is ``linear`` or ``hold``."""
    t = np.asarray(times_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    out = np.empty((len(grid), v.shape[1]), dtype=np.float64)
    for c in range(v.shape[1]):
        ok = np.isfinite(v[:, c])
        if ok.sum() < 2:
            out[:, c] = np.nan
            continue
        out[:, c] = np.interp(grid, t[ok], v[ok, c], left=np.nan, right=np.nan)
    if len(t) >= 2 and gap_fill != "linear":
        j = np.clip(np.searchsorted(t, grid, side="right"), 1, len(t) - 1)
        eps = 1e-6  # grid points on a sample (up to float rounding) are not in the gap
        in_gap = (t[j] - t[j - 1] > max_gap_s) & (grid > t[j - 1] + eps) & (grid < t[j] - eps)
        if gap_fill == "nan":
            out[in_gap] = np.nan
        else:  # hold
            out[in_gap] = v[j[in_gap] - 1]
    return out


def lowpass(values: np.ndarray, rate_hz: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase 4th-order Butterworth low-pass per column (NaNs bridged linearly)."""

    v = np.asarray(values, dtype=np.float64)
    if cutoff_hz >= 0.5 * rate_hz or len(v) < 30:
        return v
    sos = butter(4, cutoff_hz, btype="low", fs=rate_hz, output="sos")
    filled = fill_nan(v)
    out = sosfiltfilt(sos, filled, axis=0)
    out[~np.isfinite(v)] = np.nan
    return out


def _envelope(stream: ImuStream, grid: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Magnitude of the stream minus its median, on the grid (shared-event signature)."""
    x = resample_stream(stream.times_s, stream.values, grid, max_gap_s, "linear")
    mag = np.linalg.norm(x, axis=1)
    mag = mag - np.nanmedian(mag)
    mag[~np.isfinite(mag)] = 0.0
    return mag


def estimate_lag(ref: np.ndarray, other: np.ndarray, rate_hz: float, max_lag_s: float) -> float:
    """Lag (s) by which ``other`` is late relative to ``ref`` (both on the same grid), from the
    peak of their normalised cross-correlation, refined to sub-sample by a parabola."""
    a = (ref - ref.mean()) / (ref.std() + 1e-12)
    b = (other - other.mean()) / (other.std() + 1e-12)
    max_lag = int(round(max_lag_s * rate_hz))
    lags = np.arange(-max_lag, max_lag + 1)
    n = len(a)
    cc = np.empty(len(lags))
    for i, k in enumerate(lags):
        if k >= 0:
            cc[i] = np.dot(a[: n - k], b[k:]) / max(1, n - k)
        else:
            cc[i] = np.dot(a[-k:], b[: n + k]) / max(1, n + k)
    i = int(np.argmax(cc))
    frac = 0.0
    if 0 < i < len(cc) - 1:
        y0, y1, y2 = cc[i - 1], cc[i], cc[i + 1]
        den = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    return float((lags[i] + frac) / rate_hz)


def _xcorr_corrections(
    streams: list[ImuStream], opts: AlignOptions
) -> dict[str, tuple[float, float, float]]:
    """Per device ``(t_anchor, offset_s, drift)`` so that true = t - offset - drift*(t-anchor)."""
    devices: dict[str, ImuStream] = {}
    for s in streams:  # one acceleration-like stream per device: prefer acc
        if s.device not in devices or "acc" in s.channels[0]:
            devices[s.device] = s
    ref_name = opts.reference if opts.reference in devices else next(iter(devices))
    ref = devices[ref_name]
    start = max(s.times_s[0] for s in devices.values())
    end = min(s.times_s[-1] for s in devices.values())
    w = min(opts.xcorr_window_s, (end - start) / 2)
    dt = 1.0 / opts.rate_hz
    max_gap = opts.max_gap_periods * dt
    out = {ref_name: (start, 0.0, 0.0)}
    if w <= 2 * opts.max_lag_s:
        return {d: (start, 0.0, 0.0) for d in devices}
    g1 = np.arange(start, start + w, dt)
    g2 = np.arange(end - w, end, dt)
    e_ref1, e_ref2 = _envelope(ref, g1, max_gap), _envelope(ref, g2, max_gap)
    for name, s in devices.items():
        if name == ref_name:
            continue
        lag1 = estimate_lag(e_ref1, _envelope(s, g1, max_gap), opts.rate_hz, opts.max_lag_s)
        lag2 = estimate_lag(e_ref2, _envelope(s, g2, max_gap), opts.rate_hz, opts.max_lag_s)
        t1, t2 = g1.mean(), g2.mean()
        drift = (lag2 - lag1) / (t2 - t1)
        out[name] = (t1, lag1, drift)
    return out


def align_streams(streams: list[ImuStream], options: AlignOptions | None = None) -> ImuRecording:
    """Resample every stream onto one clock over their common span (see the module policies)."""
    opts = options or AlignOptions()
    if not streams:
        raise DataError("no IMU streams to align")
    dt = 1.0 / opts.rate_hz
    fixed: list[ImuStream] = []
    for s in streams:
        if len(s.times_s) < 2:
            raise DataError(f"IMU stream has {len(s.times_s)} sample(s); need 2+", s.source)
        fixed.append(replace(s, times_s=spread_repeated_times(s.times_s)))
    if opts.drift == "nominal":
        ratios: dict[str, float] = {}
        for s in fixed:  # one ratio per device, from its first stream with a nominal rate
            if s.device not in ratios and s.nominal_rate_hz:
                near = abs(1.0 / np.median(np.diff(s.times_s)) / s.nominal_rate_hz - 1)
                if near <= opts.max_drift:
                    _, ratios[s.device] = correct_drift_nominal(
                        s.times_s, s.nominal_rate_hz, opts.drift_tolerance, opts.max_drift
                    )
        fixed = [
            replace(s, times_s=s.times_s[0] + (s.times_s - s.times_s[0]) / ratios[s.device])
            if ratios.get(s.device, 1.0) != 1.0
            else s
            for s in fixed
        ]
    elif opts.drift == "xcorr" and len({s.device for s in fixed}) > 1:
        corr = _xcorr_corrections(fixed, opts)
        moved = []
        for s in fixed:
            anchor, off, drift = corr.get(s.device, (0.0, 0.0, 0.0))
            moved.append(replace(s, times_s=s.times_s - off - drift * (s.times_s - anchor)))
        fixed = moved
    start = max(s.times_s[0] for s in fixed)
    end = min(s.times_s[-1] for s in fixed)
    if end - start < dt:
        raise DataError(
            "IMU streams do not overlap in time (common span "
            f"{max(0.0, end - start):.3f} s); check the sensors' clocks",
            streams[0].source,
        )
    n = int(np.floor((end - start) / dt + 1e-9)) + 1
    grid = start + np.arange(n) * dt
    cols, names = [], []
    for s in fixed:
        own_rate = 1.0 / float(np.median(np.diff(s.times_s)))
        period = 1.0 / (s.nominal_rate_hz or own_rate)
        vals = s.values
        if own_rate > opts.rate_hz * 1.05:  # anti-alias before decimating
            vals = lowpass(vals, own_rate, 0.45 * opts.rate_hz)
        cols.append(
            resample_stream(s.times_s, vals, grid, opts.max_gap_periods * period, opts.gap_fill)
        )
        names.extend(s.channels)
    if len(set(names)) != len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        raise DataError(f"duplicate IMU channel(s) {dup}", streams[0].source)
    return ImuRecording(
        timestamps=grid - start,
        data=np.concatenate(cols, axis=1).astype(np.float32),
        channels=tuple(names),
        rate_hz=opts.rate_hz,
        source=streams[0].source,
    )


def resample_recording(rec: ImuRecording, rate_hz: float = 50.0, **kw: object) -> ImuRecording:
    """One recording (one clock) onto a uniform ``rate_hz`` grid, same policies as
    :func:`align_streams` (no drift correction: a single clock)."""
    stream = ImuStream(rec.timestamps, rec.data, rec.channels, rec.rate_hz, rec.source)
    opts = AlignOptions(rate_hz=rate_hz, drift="none", **kw)  # type: ignore[arg-type]
    out = align_streams([stream], opts)
    return replace(out, source=rec.source)
