"""Figures as files: matplotlib on the headless Agg backend (imported on first use, so readers
and the analysis path never load it) and one atomic PNG writer for every plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from repcoach.io.atomic import atomic_path


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, dpi: float | None = None) -> Path:
    """Write ``fig`` as a PNG atomically (temp file + rename), then close it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", **({} if dpi is None else {"dpi": dpi}))
    pyplot().close(fig)
    return path
