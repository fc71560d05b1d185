"""Server-side PNG plots (matplotlib, Agg): one set's repetitions, progress per exercise."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def set_plot(analysis: dict[str, Any], title: str) -> bytes:
    """Each repetition's span on the time axis, coloured and labelled by its score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reps = analysis.get("repetitions", [])
    fig, ax = plt.subplots(figsize=(8, 3))
    cmap = plt.get_cmap("RdYlGn")
    for i, r in enumerate(reps, 1):
        s = r.get("score")
        color = cmap(s) if s is not None else "0.7"
        ax.bar((r["start_s"] + r["end_s"]) / 2, 1.0 if s is None else s,
               width=r["end_s"] - r["start_s"], color=color, edgecolor="k", alpha=0.85)  # fmt: skip
        ax.text((r["start_s"] + r["end_s"]) / 2, (s or 0) + 0.03, f"{i}", ha="center", fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("correctness score")
    ax.set_title(f"{title}: {analysis.get('exercise') or 'unknown'}, {len(reps)} reps")
    fig.tight_layout()
    return _png(fig)


def progress_plot(progress: dict[str, list[dict[str, Any]]]) -> bytes:
    """Per exercise over time: repetitions per set (top) and mean score per set (bottom)."""

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    times = [r["started_at"] for rows in progress.values() for r in rows]
    for ex, rows in sorted(progress.items()):
        t = [dt.datetime.fromtimestamp(r["started_at"], dt.UTC) for r in rows]
        a1.plot(t, [r["rep_count"] for r in rows], "o-", label=ex)
        a2.plot(t, [r["mean_score"] if r["mean_score"] is not None else float("nan")
                    for r in rows], "o-", label=ex)  # fmt: skip
    a1.set_ylabel("repetitions")
    a2.set_ylabel("mean score")
    a2.set_ylim(0, 1)
    a2.set_xlabel("set start (UTC)")
    if progress:
        a1.legend(fontsize=8)
    else:
        a1.text(0.5, 0.5, "no sets yet", ha="center", transform=a1.transAxes)
    if times and max(times) - min(times) < 3600:  # one sitting: show the hour around it
        mid = dt.datetime.fromtimestamp((max(times) + min(times)) / 2, dt.UTC)
        a1.set_xlim(mid - dt.timedelta(minutes=30), mid + dt.timedelta(minutes=30))
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)
