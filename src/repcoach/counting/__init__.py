"""Repetition counting for real recordings (temporary package; moves into ``segment/``)."""

from repcoach.counting.offline import CountOptions, CountResult, count_pose, count_signals

__all__ = ["CountOptions", "CountResult", "count_pose", "count_signals"]
