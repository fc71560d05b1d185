"""Repetition counts over a dataset: one row per recording, counts.csv, summary.json (mae, obo,
exact per label) and a true-vs-predicted plot; pose datasets counted with the pose segmenter."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import track

from repcoach.io.atomic import write_json, write_text
from repcoach.io.figures import pyplot, save_figure
from repcoach.io.pose_csv import read_pose_csv
from repcoach.segment.metrics import count_metrics
from repcoach.segment.segmenter import count_repetitions


@dataclass(frozen=True)
class CountRow:
    """One recording's predicted (and, when known, true) repetition count."""

    recording: str
    subject: str
    label: str
    predicted: int
    true: int | None = None
    recall: float | None = None
    precision: float | None = None


def count_pose_index(root: Path, progress: bool = True) -> list[CountRow]:
    """Count repetitions in every pose CSV of an indexed dataset (``index.csv`` with
    ``rep_count`` when the truth is known) with :func:`repcoach.segment.count_repetitions`."""
    df = pd.read_csv(root / "index.csv", dtype=str, keep_default_na=False)
    rows = []
    for r in track(df.to_dict("records"), description="counting", disable=not progress):
        n = count_repetitions(read_pose_csv(root / r["file"]))
        rc = r.get("rep_count", "")
        rows.append(CountRow(r["file"], r.get("subject", ""), r.get("label", ""), n,
                             int(float(rc)) if rc else None))
    return rows


def write_count_outputs(rows: list[CountRow], out_dir: str | Path) -> dict[str, object]:
    """``counts.csv`` (every recording), and when true counts exist ``summary.json`` (mae, obo,
    exact, per-label figures, annotated-boundary recall/precision) and ``counts.png``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["recording", "subject", "label", "predicted", "true", "recall", "precision"])
    for r in rows:
        w.writerow([r.recording, r.subject, r.label, r.predicted,
                    "" if r.true is None else r.true,
                    "" if r.recall is None else f"{r.recall:.3f}",
                    "" if r.precision is None else f"{r.precision:.3f}"])
    write_text(out / "counts.csv", buf.getvalue())
    known = [r for r in rows if r.true is not None]
    summary: dict[str, object] = {"n_recordings": len(rows), "n_with_truth": len(known)}
    if known:
        summary.update(count_metrics([r.true for r in known], [r.predicted for r in known]))
        summary["per_label"] = {
            lab: count_metrics([r.true for r in known if r.label == lab],
                               [r.predicted for r in known if r.label == lab])
            for lab in sorted({r.label for r in known})
        }
        matched = [r for r in known if r.recall is not None]
        if matched:
            summary["annotated_boundaries"] = {
                "n_recordings": len(matched),
                "recall_iou50": float(np.mean([r.recall for r in matched])),
                "precision_iou50": float(np.nanmean([r.precision for r in matched])),
            }
        write_json(out / "summary.json", summary)
        _plot_counts(known, out / "counts.png")
    return summary


def _plot_counts(rows: list[CountRow], path: Path) -> None:
    plt = pyplot()

    t = np.array([r.true for r in rows], float)
    p = np.array([r.predicted for r in rows], float)
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(t + rng.uniform(-0.2, 0.2, len(t)), p, s=14, alpha=0.7)
    hi = max(t.max(), p.max()) + 1
    ax.plot([0, hi], [0, hi], "k--", lw=1, label="exact")
    ax.fill_between([0, hi], [-1, hi - 1], [1, hi + 1], color="g", alpha=0.1, label="within 1")
    m = count_metrics(t, p)
    ax.set(xlabel="true repetitions", ylabel="predicted repetitions", xlim=(0, hi), ylim=(0, hi),
           title=f"MAE {m['mae']:.2f}, within one {100 * m['obo']:.0f}% (n={m['n']})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
