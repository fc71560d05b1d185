"""Splits of a sample set: the group of every sample, the 70/15/15 split recorded in a model
folder's config.json, and re-creating a recorded split on (possibly other) samples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from repcoach.data.samples import SampleOptions, Samples, load_samples
from repcoach.data.splits import groups_per_split, sample_groups, split_from_column, subject_split


def group_values(samples: Samples) -> np.ndarray:
    """The split group of every sample (see :func:`repcoach.data.splits.sample_groups`)."""
    use_col = samples.meta.get("group_col") or (len(samples) and any(samples.group != ""))
    return sample_groups(samples.subject, samples.clip_id, samples.group if use_col else None)


def make_split(
    samples: Samples, fractions: tuple[float, float, float] = (0.7, 0.15, 0.15), seed: int = 0
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Indices per split and the record stored in config.json ``split``."""
    groups = group_values(samples)
    if any(samples.split != ""):
        idx = split_from_column(samples.split)
        record: dict[str, Any] = {"source": "split column"}
    else:
        idx = subject_split(samples.subject, samples.y, fractions, seed, groups=groups)
        record = {"source": "group split", "fractions": list(fractions), "seed": seed}
    kinds = sorted({g.split(":", 1)[0] for g in groups})
    record["group_by"] = {"subject": "participant", "clip": "clip", "group": "group column"}.get(
        kinds[0], kinds[0]) if len(kinds) == 1 else "+".join(kinds)  # fmt: skip
    record["groups"] = groups_per_split(groups, idx)
    record["n_samples"] = {k: int(len(v)) for k, v in idx.items()}
    return idx, record


def split_for_samples(samples: Samples, record: dict[str, Any]) -> dict[str, np.ndarray]:
    """Re-create a recorded split on (possibly other) samples: the split column when the
    record says so, else by group; samples of groups not seen in training count as test."""
    if record.get("source") == "split column" and any(samples.split != ""):
        return split_from_column(samples.split)
    groups = group_values(samples)
    named = record.get("groups") or {}
    where = {g: s for s in ("test", "val", "train") for g in named.get(s, [])}
    names = np.asarray([where.get(g, "test") for g in groups])
    return {s: np.flatnonzero(names == s) for s in ("train", "val", "test")}


def load_samples_for_config(
    cfg: dict[str, Any], data: str | Path, progress: bool = False
) -> tuple[Samples, dict[str, np.ndarray]]:
    """Samples of ``data`` cut as a model folder was trained, and the indices of each split
    (train/val/test) as recorded in its config.json (split column, else groups)."""
    opts = SampleOptions.from_config(cfg, progress=progress)
    samples = load_samples(data, opts)
    return samples, split_for_samples(samples, cfg.get("split") or {})
