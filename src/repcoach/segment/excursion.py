"""Excursions from rest (the default pose method): tempo-free segmentation of any multichannel
signal.

The recording becomes its distance from the rest pose (smoothed, PCA-denoised); every
departure from rest and return is a repetition, or half of one for alternating movements (high
knees, steam engine), recognised because consecutive excursions point in different directions;
halves are then paired left + right. Boundaries are extrapolated from where the distance crosses
a low level near rest, so pauses belong to no repetition."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.signal import find_peaks

from repcoach.segment.signals import fill_nan, smooth


@dataclass
class ExcursionInfo:
    """What :func:`segment_array` found: the distance-from-rest signal and its excursions.

    ``distance`` (samples,) is the distance of the smoothed, PCA-denoised pose from the rest
    pose; ``excursions`` the ``(start, peak, end)`` of every departure from rest and return;
    ``labels`` the side (0/1) of each excursion for alternating movements (all 0 otherwise);
    ``cycles_per_rep`` 2 when two alternating excursions make one repetition; ``amplitude``
    the typical excursion height; ``rest`` the rest pose (features)."""

    distance: np.ndarray
    excursions: list[tuple[int, int, int]]
    labels: np.ndarray
    cycles_per_rep: int
    amplitude: float
    rest: np.ndarray


def _crossing(d: np.ndarray, i: int, step: int, level: float, stop: int) -> tuple[float, float]:
    """Where ``d`` first rises above ``level`` walking from sample ``i`` (below it) by ``step``
    (not past ``stop``): the interpolated position and the slope there (per sample)."""
    j = i
    while j != stop and d[j + step] <= level:
        j += step
    if j == stop:
        return float(j), 0.0
    rise = d[j + step] - d[j]
    frac = (level - d[j]) / rise if rise > 0 else 0.0
    return j + step * frac, float(rise)


def segment_array(
    x: np.ndarray,
    rate_hz: float,
    *,
    rest: np.ndarray | None = None,
    prominence: float = 0.15,
    rest_level: float = 0.12,
    smooth_s: float = 0.033,
    n_components: int = 6,
    min_excursion_s: float = 0.12,
    alternating: bool | None = None,
    edge_power: float = 3.0,
    return_info: bool = False,
) -> list[tuple[int, int]] | tuple[list[tuple[int, int]], ExcursionInfo]:
    """Repetition boundaries ``[(start, end), ...]`` (end exclusive) of a multichannel
    ``(samples, channels)`` recording (pose coordinates, joint angles) that returns to a rest
    pose between repetitions.

    Tempo-free: no period is estimated. The recording is smoothed (``smooth_s``), reduced to its
    ``n_components`` leading principal components (denoising) and turned into the distance from
    the rest pose (``rest``, default: the pose at the start, refined to the median pose at the
    found rest points). Every departure from rest and return ("excursion": a peak of that
    distance at least ``prominence`` of the typical peak height above its surroundings) is one
    repetition, or half of one for alternating movements (high knees, steam engine), detected
    when consecutive excursions point in clearly different directions while every second one
    points the same way (``alternating`` forces it). Each boundary is where the distance
    returns to rest: the rest stretch below ``rest_level`` of the typical height is found, and
    the moment of leaving / reaching rest extrapolated from the level crossing and the slope
    there (``d ~ t^edge_power`` near rest), so a pause or idle time between repetitions belongs
    to no repetition. Excursions cut by the start or end of the clip are not counted. An
    alternating half whose partner is too weak to be detected still counts as a repetition.
    With ``return_info`` returns ``(bounds, ExcursionInfo)``.
    """

    rate = float(rate_hz)
    x = np.asarray(x, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    n = x.shape[0]
    empty = ExcursionInfo(np.zeros(n), [], np.zeros(0, int), 1, 0.0, np.zeros(x.shape[1:]))
    if n < 5 or x.size == 0 or not np.isfinite(rate) or rate <= 0:
        return ([], empty) if return_info else []
    x = np.column_stack([fill_nan(c) for c in x.T])
    x = smooth(x, smooth_s * rate)
    n_head = max(1, int(round(0.5 * rate)))
    r = np.median(x[:n_head], axis=0) if rest is None else np.asarray(rest, dtype=np.float64)

    def distance(r: np.ndarray) -> np.ndarray:
        y = x - r
        _u, s, vt = np.linalg.svd(y - y.mean(axis=0), full_matrices=False)
        k = min(n_components, len(s))
        return np.linalg.norm(y @ vt[:k].T, axis=1)

    result = None
    for it in range(2 if rest is None else 1):
        d = distance(r)
        result = _excursions(d, rate, prominence, rest_level, min_excursion_s, edge_power)
        if result is None:
            return ([], empty) if return_info else []
        exc, rest_idx, amp = result
        if it == 0 and rest is None and len(rest_idx):
            r = np.median(x[rest_idx], axis=0)
    assert result is not None
    exc, _rest_idx, amp = result
    if not exc:
        return ([], replace(empty, distance=d, amplitude=amp, rest=r)) if return_info else []
    peaks_pose = np.array([x[p] - r for _s, p, _e in exc])
    heights = np.array([d[p] for _s, p, _e in exc])
    labels, alt = _alternation(peaks_pose, heights)
    if alternating is not None:
        alt = alternating
        if not alt:
            labels = np.zeros(len(exc), int)
    if alt:
        half = np.median([e - s for s, _p, e in exc])
        bounds = _pair(exc, labels, heights, max(2.0, 0.5 * half), amp)
    else:
        bounds = [(s, e) for s, _p, e in exc]
    info = ExcursionInfo(d, exc, labels, 2 if alt else 1, amp, r)
    return (bounds, info) if return_info else bounds


def _excursions(
    d: np.ndarray,
    rate: float,
    prominence: float,
    rest_level: float,
    min_excursion_s: float,
    edge_power: float = 3.0,
) -> tuple[list[tuple[int, int, int]], np.ndarray, float] | None:
    """Excursions ``(start, peak, end)`` of a distance-from-rest signal, the indices of rest
    samples, and the typical excursion height; None when nothing moves."""

    n = d.size
    floor = float(np.percentile(d, 5))
    top = float(np.percentile(d, 98))
    if top - floor <= 1e-9:
        return None
    cand, _ = find_peaks(np.concatenate([[floor], d, [floor]]), prominence=0.1 * (top - floor))
    cand = cand - 1
    if cand.size == 0:
        return None
    # Typical height: the median of the taller half of candidate peaks (low, faulty
    # repetitions must not pull it down; noise wiggles are not candidates).
    heights = np.sort(d[cand] - floor)
    amp = float(np.median(heights[heights.size // 2 :]))
    peaks, _ = find_peaks(
        np.concatenate([[floor], d, [floor]]),
        prominence=prominence * amp,
        distance=max(1, int(round(min_excursion_s * rate))),
    )
    peaks = peaks - 1
    if peaks.size == 0:
        return None
    level = floor + rest_level * amp
    low = d <= level
    cap = 0.3 * rate
    rest_idx: list[np.ndarray] = []
    # Rest stretches between consecutive peaks (and before the first / after the last): each
    # edge is where the distance leaves (or reaches) rest, extrapolated from where it crosses
    # ``level`` and its slope there, assuming ``d - floor ~ c t^edge_power`` near rest (a
    # smooth start from rest: 2 for coordinates linear in the joint angles, more when they move
    # as 1 - cos or the start is gentler; 3 measured best on generated recordings).
    gaps: list[tuple[int, int, int, int] | None] = []  # (a, b, lo_i, hi_i) per interval
    edges = [0, *peaks.tolist(), n - 1]
    crossings: list[tuple[int, float, float]] = []  # (2 * gap + side, position, slope)
    for g, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        seg = low[a : b + 1]
        if not seg.any():
            gaps.append(None)
            continue
        lo_i = a + int(np.argmax(seg))
        hi_i = a + len(seg) - 1 - int(np.argmax(seg[::-1]))
        gaps.append((a, b, lo_i, hi_i))
        rest_idx.append(np.arange(lo_i, hi_i + 1))
        for i, step, stop in ((lo_i, -1, a), (hi_i, 1, b)):
            if stop == i or (step == -1 and a == 0 and g == 0) or (step == 1 and b == n - 1):
                continue
            c1, s1 = _crossing(d, i, step, level, stop)
            crossings.append((g * 2 + (step > 0), c1, s1))
    edge_at = {}
    for key, c1, s1 in crossings:
        off = min(edge_power * (level - floor) / s1, cap) if s1 > 0 else 0.0
        edge_at[key] = c1 + (off if key % 2 == 0 else -off)  # towards the rest stretch
    cuts: list[tuple[float, float] | None] = []  # (end of previous, start of next)
    for g, gap in enumerate(gaps):
        a, b = edges[g], edges[g + 1]
        if gap is None:
            if a == 0 or b == n - 1:
                cuts.append(None)  # the clip starts / ends mid-movement
            else:
                m = a + int(np.argmin(d[a : b + 1]))
                cuts.append((float(m), float(m)))
            continue
        _a, _b, lo_i, hi_i = gap
        end_prev = min(max(edge_at.get(2 * g, float(lo_i)), a), b)
        start_next = max(min(edge_at.get(2 * g + 1, float(hi_i)), b), a)
        if end_prev >= start_next:  # touched rest only for an instant
            end_prev = start_next = (end_prev + start_next) / 2
        cuts.append((end_prev, start_next))
    exc: list[tuple[int, int, int]] = []
    for k, p in enumerate(peaks):
        before, after = cuts[k], cuts[k + 1]
        if before is None or after is None:
            continue  # a partial excursion cut by the clip's edge
        s = int(round(before[1]))
        e = int(round(after[0]))
        exc.append((s, int(p), max(e, s + 1)))
    idx = np.concatenate(rest_idx) if rest_idx else np.zeros(0, int)
    return exc, idx, amp


def _alternation(peak_poses: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, bool]:
    """Side labels (0/1) of excursions and whether they alternate: consecutive peak poses point
    in clearly different directions while every second one points the same way."""
    m = peak_poses.shape[0]
    labels = np.zeros(m, int)
    if m < 4:
        return labels, False
    u = peak_poses / np.maximum(np.linalg.norm(peak_poses, axis=1, keepdims=True), 1e-12)
    c1 = np.median(np.sum(u[:-1] * u[1:], axis=1))
    c2 = np.median(np.sum(u[:-2] * u[2:], axis=1))
    # Two-means on the directions, seeded with the tallest excursion and the tall one least
    # like it (low, faulty excursions point in less reliable directions).
    tall = np.flatnonzero(heights >= 0.5 * np.median(heights))
    i0 = int(np.argmax(heights))
    i1 = int(tall[np.argmin(u[tall] @ u[i0])])
    centres = np.stack([u[i0], u[i1]])
    for _ in range(20):
        labels = np.argmax(u @ centres.T, axis=1)
        if labels.min() == labels.max():
            break
        new = np.stack([u[labels == j].mean(axis=0) for j in (0, 1)])
        if np.allclose(new, centres):
            break
        centres = new
    switches = float(np.mean(labels[1:] != labels[:-1]))
    alt = bool(c1 < 0.7 and c2 > c1 + 0.25 and switches >= 0.6)
    return labels, alt


def _pair(
    exc: list[tuple[int, int, int]],
    labels: np.ndarray,
    heights: np.ndarray,
    max_gap: float,
    amp: float,
) -> list[tuple[int, int]]:
    """Join alternating excursions into repetitions (one side then the other).

    Every person starts their repetitions with the same side; that side is the one that leaves
    fewest halves unpaired (then: smallest rest inside repetitions, then: the first excursion's
    side). A half without its partner (the other side too weak to be detected; pairs have at
    most ``max_gap`` samples of rest between their halves) is still one repetition, stretched
    by its own duration towards the missing half, unless it is a low wobble (below 0.3 of the
    typical height ``amp``) at either end of the recording touching an excursion of its own
    side (idle sway)."""
    best: list[tuple[int, int]] = []
    best_key: tuple[float, float, int] | None = None
    for first in (int(labels[0]), 1 - int(labels[0])):
        reps: list[tuple[int, int]] = []
        inner, i, lone = 0.0, 0, 0
        while i < len(exc):
            s, _p, e = exc[i]
            nxt = exc[i + 1] if i + 1 < len(exc) else None
            if (
                labels[i] == first
                and nxt is not None
                and labels[i + 1] != first
                and nxt[0] - e <= max_gap
            ):
                reps.append((s, nxt[2]))
                inner += max(nxt[0] - e, 0)
                i += 2
                continue
            # A low wobble at either end touching a taller excursion of the same side (idle
            # sway before the first / after the last repetition): not a repetition.
            j = 1 if i == 0 else len(exc) - 2 if i == len(exc) - 1 else -1
            if (
                0 <= j < len(exc)
                and labels[j] == labels[i]
                and (exc[1][0] - e if i == 0 else s - exc[j][2]) <= 2
                and heights[i] < 0.3 * amp
            ):
                i += 1
                continue
            # A lone half: its partner was too weak to be seen; it took about as long.
            lone += 1
            if labels[i] == first:
                e = min(e + (e - s), nxt[0]) if nxt is not None else e
            else:
                s = max(s - (e - s), exc[i - 1][2]) if i > 0 else s
            reps.append((s, e))
            i += 1
        key = (lone, inner, 0 if first == labels[0] else 1)
        if best_key is None or key < best_key:
            best, best_key = reps, key
    return best
