"""Repeated cross-validation: the same grouped k-fold (or nested) run with several fold seeds,
summarised. On a few hundred clips one fold assignment moves a figure by several points; the
mean over fold seeds (and its spread) is the figure to compare.

:func:`summarise_repeats` turns the repeats' reports (as ``repcoach crossval`` writes them) into
the summary section ``report["repeats"]``; :func:`plot_repeats` draws it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.io.figures import pyplot, save_figure


def _stats(values: Sequence[float | None]) -> dict[str, float | None]:
    """Mean, sample standard deviation, min and max of the finite ``values`` (None when none)."""
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"mean": None, "sd": None, "min": None, "max": None}
    sd = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
    return {"mean": float(v.mean()), "sd": sd, "min": float(v.min()), "max": float(v.max())}


def summarise_repeats(reports: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> dict[str, Any]:
    """The summary of repeated runs: per repeat its seed and headline accuracy, their mean /
    sd / min / max; for nested runs how often each recipe was chosen (over repeats x outer
    folds) and, with ``--score-all``, each recipe's own accuracy per repeat and its mean."""
    if not reports or len(reports) != len(seeds):
        raise ValueError(f"{len(reports)} reports for {len(seeds)} seeds")
    acc = [r.get("accuracy") for r in reports]
    out: dict[str, Any] = {"n": len(reports), "seeds": [int(s) for s in seeds],
                           "accuracy": acc, **_stats(acc)}  # fmt: skip
    nested = [r.get("nested_selection") or {} for r in reports]
    if any(n.get("chosen") for n in nested):
        chosen = Counter(c for n in nested for c in n.get("chosen", []))
        out["chosen"] = dict(chosen.most_common())
    if all(n.get("candidate_outer") for n in nested):
        names = list(nested[0]["candidate_outer"])
        out["candidate_outer"] = {
            name: {"accuracy": [n["candidate_outer"].get(name) for n in nested],
                   **_stats([n["candidate_outer"].get(name) for n in nested])}
            for name in names
        }  # fmt: skip
    return out


def plot_repeats(summary: Mapping[str, Any], path: str | Path, title: str = "") -> Path:
    """Accuracy per repeat (one dot per fold seed, a bar at the mean) for the headline run and,
    for nested runs with every recipe scored, for each recipe alone on the same folds."""
    plt = pyplot()
    first = "nested selection" if "chosen" in summary else "cross-validation"
    rows = [(first, summary["accuracy"])]
    for name, c in (summary.get("candidate_outer") or {}).items():
        rows.append((name, c["accuracy"]))
    width = 4.5 + 0.075 * min(60, max(len(n) for n, _ in rows))
    fig, ax = plt.subplots(figsize=(width, 1.3 + 0.7 * len(rows)), dpi=110)
    for i, (_name, vals) in enumerate(rows):
        v = np.array([np.nan if x is None else 100 * x for x in vals], dtype=float)
        ax.scatter(v, np.full(v.size, i), color="C0" if i == 0 else "C1", zorder=3)
        if np.isfinite(v).any():
            m = float(np.nanmean(v))
            ax.plot([m, m], [i - 0.25, i + 0.25], color="black", lw=2)
            ax.annotate(f"mean {m:.1f} %", (m, i - 0.28), ha="center", va="bottom", fontsize=8)
    ax.set_yticks(range(len(rows)), labels=[n if len(n) < 60 else n[:57] + "..." for n, _ in rows])
    ax.set_ylim(len(rows) - 0.5, -0.8)  # top to bottom, room for the labels
    ax.set_xlabel("accuracy (%)")
    ax.set_title(title or f"{summary['n']} repeats, fold seeds {summary['seeds']}", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)
