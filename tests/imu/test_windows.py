"""Sliding windows: the paper's (n, 100, 12) tensors, overlap, channel sets, NaN handling."""

from __future__ import annotations

import numpy as np
import pytest

from repcoach.imu.windows import DEFAULT_CHANNELS, resolve_channels, sliding_windows, window_starts
from repcoach.types import ImuRecording


def ejust_like(n: int = 1000) -> ImuRecording:
    chans = tuple(
        f"{s}.{g}_{a}" for s in ("lwrist", "rwrist", "lankle", "rankle")
        for g in ("acc", "gyro", "mag") for a in "xyz"
    )
    data = np.arange(n)[:, None] * 1000.0 + np.arange(len(chans))[None, :]
    return ImuRecording(np.arange(n) / 50, data, chans, 50.0)


def test_paper_windows_shape_and_overlap() -> None:
    rec = ejust_like(1000)
    w, starts = sliding_windows(rec)
    assert w.shape == (19, 100, 12) and w.dtype == np.float32
    np.testing.assert_array_equal(starts, np.arange(0, 901, 50))
    # 50 % overlap: the second half of a window is the first half of the next
    np.testing.assert_array_equal(w[0, 50:], w[1, :50])
    # channel order: lwrist acc x/y/z first, rankle acc z last
    i = rec.channels.index
    assert w[0, 0, 0] == rec.data[0, i("lwrist.acc_x")]
    assert w[3, 7, 11] == rec.data[3 * 50 + 7, i("rankle.acc_z")]
    assert resolve_channels(None, rec.channels) == DEFAULT_CHANNELS


@pytest.mark.parametrize(("overlap", "step"), [(0.0, 100), (0.5, 50), (0.75, 25)])
def test_window_starts(overlap: float, step: int) -> None:
    s = window_starts(450, 100, overlap)
    assert s[1] - s[0] == step and s[-1] + 100 <= 450 and s[-1] + step + 100 > 450


def test_channel_sets() -> None:
    rec = ejust_like(200)
    assert sliding_windows(rec, channels="acc+gyro")[0].shape[2] == 24
    assert sliding_windows(rec, channels="all")[0].shape[2] == 36
    names = resolve_channels("acc+gyro", rec.channels)
    assert names[:6] == ("lwrist.acc_x", "lwrist.acc_y", "lwrist.acc_z",
                         "lwrist.gyro_x", "lwrist.gyro_y", "lwrist.gyro_z")
    wrist = ImuRecording(np.arange(300) / 50, np.zeros((300, 6)),
                         ("wrist.acc_x", "wrist.acc_y", "wrist.acc_z",
                          "wrist.gyro_x", "wrist.gyro_y", "wrist.gyro_z"), 50.0)
    assert sliding_windows(wrist)[0].shape == (5, 100, 3)  # no four sites: all acc channels
    assert sliding_windows(wrist, channels="acc+gyro")[0].shape == (5, 100, 6)
    with pytest.raises(KeyError):
        sliding_windows(wrist, channels=["lwrist.acc_x"])


def test_nan_windows_dropped_and_short_recordings_padded() -> None:
    rec = ejust_like(400)
    data = rec.data.copy()
    data[120, 0] = np.nan
    holed = ImuRecording(rec.timestamps, data, rec.channels, 50.0)
    w, starts = sliding_windows(holed)
    assert list(starts) == [0, 150, 200, 250, 300]  # windows 50 and 100 touch sample 120
    assert sliding_windows(holed, drop_nan=False)[0].shape[0] == 7
    short = ejust_like(60)
    w, starts = sliding_windows(short)
    assert w.shape == (1, 100, 12) and np.all(w[0, 60:] == w[0, 59])
    assert sliding_windows(short, pad_short=False)[0].shape == (0, 100, 12)
