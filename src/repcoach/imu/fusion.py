"""Late fusion of per-clip (or per-repetition) class probabilities from several modalities.

Each modality's classifier gives a probability vector over the same classes; fusion combines
them without retraining:

* ``rule="mean"``: weighted arithmetic mean ``sum_m w_m p_m / sum_m w_m``;
* ``rule="product"``: weighted geometric mean ``exp(sum_m w_m log p_m / sum_m w_m)``,
  renormalised (the product rule, sharper, but one confident wrong modality can veto);

A modality that is missing for a sample (``None``, or a row of NaN) is left out and the weights
of the others renormalised, so a clip with no pose (camera failed) is classified by the IMU
alone and vice versa. :func:`run_fusion_experiment` measures on generated data whether fusion
beats each modality alone, also when one modality is degraded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.data.samples import SampleOptions, samples_from_ejust
from repcoach.imu.model import ImuClassifier
from repcoach.imu.train import load_window_set
from repcoach.io.atomic import write_json, write_text
from repcoach.io.figures import pyplot, save_figure
from repcoach.models.classifier import build_bilstm

RULES = ("mean", "product")


def fuse_probabilities(
    probs: Mapping[str, np.ndarray | None],
    weights: Mapping[str, float] | None = None,
    rule: str = "mean",
    eps: float = 1e-6,
) -> np.ndarray:
    """Fuse ``{modality: (n, C) or (C,) probabilities}`` into ``(n, C)`` (or ``(C,)``).

    Missing modalities (None / NaN rows) are skipped per sample; a sample with no modality at
    all gets a NaN row. ``weights`` default to 1 for every modality; negative weights are an
    error."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    present = {m: np.asarray(p, dtype=np.float64) for m, p in probs.items() if p is not None}
    if not present:
        raise ValueError("no modality probabilities given")
    single = next(iter(present.values())).ndim == 1
    arrs = {m: (p[None] if p.ndim == 1 else p) for m, p in present.items()}
    shapes = {p.shape for p in arrs.values()}
    if len(shapes) != 1:
        raise ValueError(f"probability arrays differ in shape: {shapes}")
    n, c = next(iter(shapes))
    w = {m: float((weights or {}).get(m, 1.0)) for m in arrs}
    if any(v < 0 for v in w.values()):
        raise ValueError(f"weights must be >= 0, got {w}")
    num = np.zeros((n, c))
    den = np.zeros((n, 1))
    for m, p in arrs.items():
        ok = np.isfinite(p).all(axis=1, keepdims=True)
        pm = np.where(ok, p, 0.0)
        if rule == "mean":
            num += w[m] * pm
        else:
            num += w[m] * np.log(np.clip(pm, eps, 1.0))
        den += w[m] * ok
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    if rule == "product":
        out = np.exp(out - np.nanmax(out, axis=1, keepdims=True))
    total = out.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = out / total
    out[(den[:, 0] == 0)] = np.nan
    return out[0] if single else out


class LateFusion:
    """Fuse modality probabilities over fixed ``classes`` (scikit-learn style, nothing to fit).

    ``predict_proba(pose=p1, imu=p2)`` -> fused probabilities; ``predict`` -> class names."""

    def __init__(
        self,
        classes: Sequence[str],
        weights: Mapping[str, float] | None = None,
        rule: str = "mean",
    ) -> None:
        self.classes = list(classes)
        self.weights = dict(weights or {})
        self.rule = rule

    def predict_proba(self, **probs: np.ndarray | None) -> np.ndarray:
        return fuse_probabilities(probs, self.weights, self.rule)

    def predict(self, **probs: np.ndarray | None) -> np.ndarray:
        p = np.atleast_2d(self.predict_proba(**probs))
        out = np.asarray(self.classes, dtype=object)[np.nanargmax(np.nan_to_num(p, nan=-1), 1)]
        out[~np.isfinite(p).all(axis=1)] = None
        return out


def fusion_table(
    y_true: Sequence[str],
    conditions: Mapping[str, Mapping[str, np.ndarray | None]],
    classes: Sequence[str],
    weights: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Accuracy of each modality alone and of both fusion rules, per condition.

    ``conditions``: ``{condition: {modality: (n, C) probabilities or None}}``; returns rows
    ``{"condition", "method", "accuracy", "n"}``."""
    y = np.asarray([str(v) for v in y_true], dtype=object)
    rows = []
    for cond, probs in conditions.items():
        for m, p in probs.items():
            if p is None:
                continue
            pred = np.asarray(classes, dtype=object)[np.argmax(np.nan_to_num(p, nan=-1), 1)]
            rows.append({"condition": cond, "method": f"{m} only",
                         "accuracy": float(np.mean(pred == y)), "n": len(y)})  # fmt: skip
        for rule in RULES:
            pred = LateFusion(classes, weights, rule).predict(**probs)
            rows.append({"condition": cond, "method": f"fused ({rule})",
                         "accuracy": float(np.mean(pred == y)), "n": len(y)})  # fmt: skip
    return rows


def _clip_means(proba: np.ndarray, clip_ids: np.ndarray, order: list[str]) -> np.ndarray:
    return np.stack([proba[clip_ids == c].mean(axis=0) if (clip_ids == c).any()
                     else np.full(proba.shape[1], np.nan) for c in order])  # fmt: skip


def run_fusion_experiment(
    data_dir: str | Path,
    test_fraction: float = 0.34,
    epochs: int = 15,
    seed: int = 0,
    pose_noise: float = 1.0,
    pose_missing: float = 0.7,
    imu_noise_g: float = 0.5,
    drop_site: str = "rwrist",
    out_dir: str | Path | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Train a pose and an IMU classifier on the training participants of a generated dataset
    (EJUST layout with pose CSVs and IMU files), then classify the held-out participants'
    recordings by each modality alone and fused, under conditions:

    ``clean``; ``pose noisy`` (Gaussian noise of ``pose_noise`` x the feature std on the pose
    inputs); ``pose frames missing`` (a ``pose_missing`` fraction of frames lost, held at the
    last seen frame, as a tracker does); ``pose missing`` (no pose at all for half the clips);
    ``imu noisy`` (``imu_noise_g`` g noise); ``imu sensor dropped`` (``drop_site`` channels
    replaced by their training mean); ``both noisy`` (the pose and IMU noise of the two noisy
    conditions at once) and ``pose noisy + sensor dropped``: the hard settings, where neither
    modality alone is perfect, so fusion can be compared with the better one of the two.
    ``test_fraction`` of the participants (at least one) are held out. Returns table rows
    (see :func:`fusion_table`); with ``out_dir`` also writes fusion.json / .md / .png."""
    import keras


    rng = np.random.default_rng(seed)
    imu = load_window_set(data_dir, progress=progress)
    pose = samples_from_ejust(data_dir, SampleOptions(clip_mode="windows", progress=progress))
    pose_clip = np.asarray(["/".join(str(c).split("/")[:2]) for c in pose.clip_id])
    people = sorted(set(imu.groups))
    n_test = max(1, int(round(test_fraction * len(people))))
    test_people = list(rng.permutation(people)[:n_test])
    classes = sorted(set(imu.y))

    # IMU
    itr = ~np.isin(imu.groups, test_people)
    imu_clf = ImuClassifier(epochs=epochs, seed=seed).fit(imu.X[itr], imu.y[itr])
    ite = ~itr
    order = sorted(set(imu.clip_ids[ite]))
    y_true = [imu.y[imu.clip_ids == c][0] for c in order]

    def imu_probs(x: np.ndarray) -> np.ndarray:
        p = imu_clf.predict_proba(x)
        full = np.zeros((len(p), len(classes)))
        for j, c in enumerate(imu_clf.classes_):
            full[:, classes.index(c)] = p[:, j]
        return _clip_means(full, imu.clip_ids[ite], order)

    # pose (the paper's BiLSTM, small)
    ptr = ~np.isin(pose.subject, test_people)
    keras.utils.set_random_seed(seed)
    xmean = np.nanmean(pose.X[ptr], axis=(0, 1))
    xstd = np.nanstd(pose.X[ptr], axis=(0, 1)) + 1e-6
    model = build_bilstm(len(classes), pose.X.shape[1], pose.X.shape[2], lstm_units=32,
                         dense_units=(32,))  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")

    def prep(x: np.ndarray) -> np.ndarray:
        return np.nan_to_num((x - xmean) / xstd).astype(np.float32)

    yi = np.asarray([classes.index(str(v)) for v in pose.y[ptr]])
    model.fit(prep(pose.X[ptr]), yi, epochs=epochs, batch_size=32, verbose=0)
    pte = ~ptr

    def pose_probs(x: np.ndarray) -> np.ndarray:
        p = np.asarray(model.predict_on_batch(prep(x)))
        return _clip_means(p, pose_clip[pte], order)

    xp = pose.X[pte]
    xi = imu.X[ite]
    noisy_pose = xp + pose_noise * xstd * rng.normal(size=xp.shape)
    held = xp.copy()
    lost = rng.random(xp.shape[:2]) < pose_missing
    lost[:, 0] = False
    for t in range(1, xp.shape[1]):
        held[:, t] = np.where(lost[:, t, None], held[:, t - 1], held[:, t])
    clean_pose, clean_imu = pose_probs(xp), imu_probs(xi)
    no_pose = clean_pose.copy()
    no_pose[rng.random(len(order)) < 0.5] = np.nan
    dropped = xi.copy()
    site_idx = [i for i, c in enumerate(imu.channels) if c.startswith(drop_site + ".")]
    flat_mean = imu.X[itr].reshape(-1, xi.shape[2]).mean(axis=0)
    dropped[:, :, site_idx] = flat_mean[site_idx]
    noisy_imu = imu_probs(xi + imu_noise_g * rng.normal(size=xi.shape))
    noisy_pose_p = pose_probs(noisy_pose)
    conditions = {
        "clean": {"pose": clean_pose, "imu": clean_imu},
        "pose noisy": {"pose": noisy_pose_p, "imu": clean_imu},
        "pose frames missing": {"pose": pose_probs(held), "imu": clean_imu},
        "pose missing (half the clips)": {"pose": no_pose, "imu": clean_imu},
        "imu noisy": {"pose": clean_pose, "imu": noisy_imu},
        f"imu sensor dropped ({drop_site})": {"pose": clean_pose, "imu": imu_probs(dropped)},
        # the hard setting: both modalities degraded at once, so neither alone is perfect
        "both noisy": {"pose": noisy_pose_p, "imu": noisy_imu},
        f"pose noisy + {drop_site} dropped": {"pose": noisy_pose_p,
                                              "imu": imu_probs(dropped)},
    }
    rows = fusion_table(y_true, conditions, classes)
    if out_dir is not None:
        _write_fusion(rows, Path(out_dir), {"test_participants": test_people,
                                            "n_clips": len(order), "epochs": epochs,
                                            "seed": seed, "pose_noise": pose_noise,
                                            "imu_noise_g": imu_noise_g,
                                            "pose_missing": pose_missing,
                                            "drop_site": drop_site})  # fmt: skip
    return rows


def _write_fusion(rows: list[dict[str, Any]], out: Path, meta: dict[str, Any]) -> None:
    plt = pyplot()


    write_json(out / "fusion.json", {"meta": meta, "rows": rows})
    conds = list(dict.fromkeys(r["condition"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    acc = {(r["condition"], r["method"]): r["accuracy"] for r in rows}
    lines = ["| condition | " + " | ".join(methods) + " |",
             "|---|" + "---|" * len(methods)]  # fmt: skip
    for c in conds:
        cells = [f"{100 * acc[(c, m)]:.1f}" if (c, m) in acc else "-" for m in methods]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    write_text(out / "fusion.md", "\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(9, 4))
    w = 0.8 / len(methods)
    for j, m in enumerate(methods):
        ax.bar(np.arange(len(conds)) + j * w, [acc.get((c, m), np.nan) for c in conds], w,
               label=m)
    ax.set_xticks(np.arange(len(conds)) + 0.4 - w / 2, conds, rotation=20, ha="right")
    ax.set(ylabel="per-clip accuracy", ylim=(0, 1.05), title="late fusion, held-out participants")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    save_figure(fig, out / "fusion.png", dpi=110)
