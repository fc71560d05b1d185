"""Per-repetition feedback features of a generated dataset (``repcoach synth``) or of any
recording with known repetition spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from repcoach.data.samples import aspect_corrected
from repcoach.errors import DataError
from repcoach.feedback.cue import FAULTS
from repcoach.feedback.pose_features import angle_series, rep_features
from repcoach.io.pose_csv import read_pose_csv
from repcoach.types import PoseSequence

#: Frame size of the generated cameras (``repcoach.synth.camera``).
SYNTH_FRAME = (1280.0, 720.0)


def pose_rep_features(
    views: dict[str, PoseSequence], spans: Sequence[tuple[int, int]],
    frame_size: tuple[float, float] | None = None,
) -> tuple[list[dict[str, float]], list[dict[str, np.ndarray]]]:
    """Features and curves of ``spans`` over one or more views of the same session (names
    prefixed ``<view>.``; ``duration`` / ``tempo`` from the first). Image-space views are
    aspect-corrected with their ``frame_size`` (else the one given)."""

    feats: list[dict[str, float]] = [{} for _ in spans]
    curves: list[dict[str, np.ndarray]] = [{} for _ in spans]
    for i, (name, seq) in enumerate(views.items()):
        size = seq.frame_size or frame_size
        if size:
            seq = aspect_corrected(seq, size[0], size[1])
        f, c = rep_features(angle_series(seq), seq.timestamps, spans, prefix=f"{name}.")
        for j in range(len(spans)):
            if i > 0:
                f[j].pop("duration", None)
                f[j].pop("tempo", None)
            feats[j].update(f[j])
            curves[j].update(c[j])
    return feats, curves


@dataclass
class RepTable:
    """Every annotated repetition: features, curves, severities ``(n, 4)`` (FAULTS order)."""

    features: list[dict[str, float]] = field(default_factory=list)
    curves: list[dict[str, np.ndarray]] = field(default_factory=list)
    severities: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    participants: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    exercises: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def subset(self, mask: np.ndarray) -> RepTable:
        idx = np.flatnonzero(mask)
        return RepTable([self.features[i] for i in idx], [self.curves[i] for i in idx],
                        self.severities[idx], self.scores[idx], self.participants[idx],
                        self.exercises[idx])


def load_synth_reps(root: str | Path, views: Sequence[str] = ("frontal", "side"),
                    participants: Sequence[str] | None = None, single_view: bool = False,
                    by: str = "exercise") -> RepTable:
    """Feedback features of every repetition of a ``repcoach synth`` folder, spans from its
    ``annotations.csv`` (true boundaries). ``single_view``: one row per repetition and view,
    features prefixed ``pose.`` (a reference for one recording of any view, as the analyser
    sees it); ``by``: the annotations column naming the exercise (``exercise`` code or
    ``label``)."""


    root = Path(root)
    ann_path = root / "annotations.csv"
    if not ann_path.exists():
        raise DataError("no annotations.csv (is this a `repcoach synth` folder?)", ann_path)
    ann = pd.read_csv(ann_path)
    need = {"participant", "exercise", "start_frame", "end_frame", "score",
            *[f"dev_{k}" for k in FAULTS]}
    if missing := need - set(ann.columns):
        raise DataError(f"annotations.csv lacks columns {sorted(missing)}", ann_path)
    out = RepTable()
    feats, curves, sev, sc, pp, ee = [], [], [], [], [], []
    for (p, ex), g in ann.groupby(["participant", "exercise"], sort=True):
        if participants is not None and p not in participants:
            continue
        seqs = {v: read_pose_csv(root / p / ex / v / f"{p}{ex}-{v}.csv") for v in views}
        spans = list(zip(g["start_frame"].astype(int), g["end_frame"].astype(int), strict=True))
        groups = ([{"pose": s} for s in seqs.values()] if single_view else [seqs])
        name = str(g[by].iloc[0]) if by in g.columns else str(ex)
        for vs in groups:
            f, c = pose_rep_features(vs, spans, SYNTH_FRAME)
            feats += f
            curves += c
            sev.append(g[[f"dev_{k}" for k in FAULTS]].to_numpy(np.float64))
            sc += g["score"].tolist()
            pp += [p] * len(g)
            ee += [name] * len(g)
    out.features, out.curves = feats, curves
    out.severities = np.vstack(sev) if sev else np.zeros((0, 4))
    out.scores = np.asarray(sc, dtype=np.float64)
    out.participants = np.asarray(pp, dtype=object)
    out.exercises = np.asarray(ee, dtype=object)
    return out
