"""Train and evaluate IMU window classifiers, cross-subject (SPAR, pt_exercises_imu, EJUST).

Samples are ``(100, C)`` windows at 50 Hz with 50 % overlap; a *clip* is a recording
(``unit="recording"``) or one annotated repetition (``unit="rep"``, pt_exercises_imu's
reps.csv), and clips are labelled by majority vote over their windows. Reports use the shared
writer :func:`repcoach.evaluation.report.write_report`; model folders the shared format
:mod:`repcoach.models.folder` with ``modality: "imu"``, ``seq_len`` = window length and
``n_features`` = channels, so ``repcoach export`` converts them like the pose models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from repcoach.data.splits import groups_per_split, subject_split
from repcoach.errors import DataError
from repcoach.evaluation.metrics import classification_section
from repcoach.evaluation.report import write_report
from repcoach.imu.load import load_imu_recording, read_metamotion_recording
from repcoach.imu.model import (
    ImuClassifier,
    derived_spec,
    imu_arch_members,
    mirror_map,
    mirror_param,
)
from repcoach.imu.windows import resolve_channels, sliding_windows
from repcoach.io.ejust import EXERCISES
from repcoach.io.imu_csv import read_imu_index, read_rep_annotations
from repcoach.models.folder import load_keras_models, load_model_config, save_model_dir
from repcoach.types import ImuRecording


@dataclass
class WindowSet:
    """Windows with their label, subject (group) and clip id; one row per window."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    clip_ids: np.ndarray
    channels: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)
    #: per window, the body side the sensor was worn on ("L", "R"; "" unknown); None when the
    #: data have no ``side`` column
    sides: np.ndarray | None = None

    def subset(self, idx: np.ndarray) -> WindowSet:
        return WindowSet(self.X[idx], self.y[idx], self.groups[idx], self.clip_ids[idx],
                         self.channels, self.info,
                         None if self.sides is None else self.sides[idx])

    def __len__(self) -> int:
        return len(self.y)


#: What a window set can be labelled with: the index's exercise label, or (per annotated
#: repetition, ``unit="rep"``) a reps.csv column.
REP_LABELS = ("label", "execution_type", "correctness")


def check_window_options(unit: str, label: str) -> None:
    """``ValueError`` unless ``unit`` / ``label`` name a window set :func:`load_window_set`
    can build (checked before any file is read)."""
    if unit not in ("recording", "rep"):
        raise ValueError(f"unit must be 'recording' or 'rep', not {unit!r}")
    if label not in REP_LABELS:
        raise ValueError(f"label must be one of {', '.join(REP_LABELS)}, not {label!r}")
    if label != "label" and unit != "rep":
        raise ValueError(f"label {label!r} is annotated per repetition (reps.csv): it needs "
                         "unit 'rep' (--unit rep)")


def load_window_set(
    data_dir: str | Path,
    channels: str | list[str] | tuple[str, ...] | None = None,
    length: int = 100,
    overlap: float = 0.5,
    unit: str = "recording",
    label: str = "label",
    progress: bool = True,
) -> WindowSet:
    """Windows of every recording of an indexed IMU dataset (``index.csv``) or an EJUST-GYM-3
    folder (``<name>/<CODE>/imu``). ``label``: ``label`` (the exercise) or, with
    ``unit="rep"``, ``execution_type`` / ``correctness`` from reps.csv. ``channels`` default:
    the paper's 12 accelerometer channels for EJUST, ``acc+gyro`` for indexed data."""

    check_window_options(unit, label)
    root = Path(data_dir)
    xs, ys, gs, cs, ss = [], [], [], [], []
    names: tuple[str, ...] | None = None
    side = ""

    def add(rec: Any, y: str, g: str, clip: str) -> None:
        nonlocal names
        if names is None:
            names = resolve_channels(channels, rec.channels)
        w, _ = sliding_windows(rec, length, overlap, names)
        xs.append(w)
        ys.extend([y] * len(w))
        gs.extend([g] * len(w))
        cs.extend([clip] * len(w))
        ss.extend([side] * len(w))

    if (root / "index.csv").exists():

        if channels is None:
            channels = "acc+gyro"
        entries = read_imu_index(root)
        has_side = any("side" in e.extra for e in entries)
        reps = read_rep_annotations(root) if unit == "rep" else {}
        for row, e in enumerate(track(entries, description="loading", disable=not progress),
                                start=2):  # fmt: skip
            side = _side(e.extra.get("side", ""), root / "index.csv", row)
            rec = load_imu_recording(e)
            rel = str(e.path.relative_to(root))
            if unit == "recording":
                add(rec, e.label, e.subject, rel)
                continue
            rate = rec.rate_hz or 50.0
            for k, a in enumerate(reps.get(rel, [])):
                s, t = int(round(a.start_s * rate)), int(round(a.end_s * rate)) + 1
                part = _slice(rec, s, min(t, rec.n_samples))
                y = e.label if label == "label" else str(getattr(a, label))
                add(part, y, e.subject, f"{rel}#{k}")
    else:

        folders = sorted(p for p in root.glob("*/*/imu") if p.is_dir())
        if not folders:
            raise DataError("neither index.csv nor <name>/<CODE>/imu folders found", root)
        for f in track(folders, description="loading", disable=not progress):
            participant, code = f.parent.parent.name, f.parent.name
            rec = read_metamotion_recording(f)
            add(rec, EXERCISES.get(code, code), participant, f"{participant}/{code}")
    if not xs or names is None:
        raise DataError("no IMU windows found", root)
    return WindowSet(
        np.concatenate(xs).astype(np.float32), np.asarray(ys), np.asarray(gs), np.asarray(cs),
        names, {"data": str(root), "length": length, "overlap": overlap, "unit": unit,
                "label": label},
        np.asarray(ss) if (root / "index.csv").exists() and has_side else None,
    )


def _side(value: str, where: Path, row: int) -> str:
    """index.csv's ``side`` cell as "L", "R" or "" (empty: unknown); DataError otherwise."""
    v = str(value).strip().lower()
    if v in ("", "l", "left", "r", "right"):
        return v[:1].upper()
    raise DataError(f"side must be L, R, left, right or empty, got {value!r}", where, row=row,
                    column="side")  # fmt: skip


def check_side_mirror(axis: str | None) -> None:
    """``ValueError`` unless ``axis`` is a mirror axis or None (the ``side_mirror`` option)."""
    if axis not in (None, *MIRROR_AXES):
        raise ValueError(f"side_mirror must be one of {', '.join(MIRROR_AXES)} (or none), "
                         f"got {axis!r}")  # fmt: skip


def check_sides(ws: WindowSet) -> None:
    """``ValueError`` unless every window's side is known (index.csv ``side`` L or R)."""
    if ws.sides is None or not np.all(np.isin(ws.sides, ("L", "R"))):
        raise ValueError("side_mirror needs the side each recording was worn on (L or R in "
                         "index.csv's side column) for every recording")  # fmt: skip


def side_mirrored(ws: WindowSet, axis: str | None) -> WindowSet:
    """``ws`` with every window worn on the left side mirrored about ``axis`` into the
    right-side frame (:func:`repcoach.imu.model.mirror_map`), so that a movement looks the same
    whichever wrist wore the sensor while its direction (inwards or outwards) is kept. The side
    must be known (index.csv ``side``) for every window; ``axis`` None returns ``ws``."""
    check_side_mirror(axis)
    if axis is None:
        return ws
    check_sides(ws)
    perm, signs = mirror_map(ws.channels, axis)
    X = ws.X.copy()
    left = ws.sides == "L"
    X[left] = X[left][:, :, perm] * signs
    return WindowSet(X, ws.y, ws.groups, ws.clip_ids, ws.channels,
                     {**ws.info, "side_mirror": axis}, ws.sides)  # fmt: skip


def _slice(rec: Any, s: int, e: int) -> Any:

    return ImuRecording(rec.timestamps[s:e], rec.data[s:e], rec.channels, rec.rate_hz,
                        rec.source)


def _predict(clf: Any, ws: WindowSet) -> dict[str, Any]:

    proba = clf.predict_proba(ws.X)
    pred = clf.classes_[np.argmax(proba, axis=1)]
    return {"proba": proba, "pred": pred,
            "section": classification_section(ws.y, pred, list(clf.classes_), ws.clip_ids,
                                              proba)}  # fmt: skip


def cross_subject(
    ws: WindowSet,
    test_groups: list[list[str]] | None = None,
    progress: bool = True,
    **clf_params: Any,
) -> dict[str, Any]:
    """Train on all other subjects, test on each list of ``test_groups`` (default: leave one
    subject out); returns pooled per-window and per-clip accuracy and per-fold figures.
    ``side_mirror`` (an axis) first mirrors the left-side recordings (:func:`side_mirrored`)."""

    side_axis = clf_params.pop("side_mirror", None) or None
    ws = side_mirrored(ws, side_axis)
    subjects = sorted(set(ws.groups))
    folds = test_groups or [[s] for s in subjects]
    m = clf_params.get("mirror") or None
    check_train_options(clf_params.get("arch") or "cnn", m if isinstance(m, str) else None,
                        float(clf_params.get("rotate_deg") or 0.0),
                        int(clf_params.get("n_models") or 1))  # fmt: skip
    if clf_params.get("mirror") in MIRROR_AXES:
        clf_params = {**clf_params, "mirror": mirror_param(ws.channels, clf_params["mirror"])}
    y_true, y_pred, clips, per_fold = [], [], [], []
    classes = sorted(set(ws.y))
    probas = []
    for test in track(folds, description="folds", disable=not progress):
        te = np.isin(ws.groups, test)
        tr = ~te
        if not te.any() or not tr.any():
            raise ValueError(f"fold {test} leaves no train or no test windows")
        clf = ImuClassifier(**{"channels": ws.channels, **clf_params}).fit(ws.X[tr], ws.y[tr])
        r = _predict(clf, ws.subset(np.flatnonzero(te)))
        full = np.zeros((te.sum(), len(classes)), np.float32)
        for j, c in enumerate(clf.classes_):
            full[:, classes.index(c)] = r["proba"][:, j]
        probas.append(full)
        y_true.extend(ws.y[te])
        y_pred.extend(r["pred"])
        clips.extend(ws.clip_ids[te])
        sec = r["section"]
        per_fold.append({"test": list(test), "window_accuracy": sec["sample"]["accuracy"],
                         "clip_accuracy": (sec["clip"] or {}).get("accuracy"),
                         "n_windows": int(te.sum()),
                         "n_clips": len(set(ws.clip_ids[te]))})  # fmt: skip
    allp = np.concatenate(probas)
    pooled = classification_section(y_true, y_pred, classes, clips, allp)
    clips_a, yt_a = np.asarray(clips), np.asarray(y_true)
    mean_vote = [classes[int(np.argmax(allp[clips_a == c].mean(axis=0)))] == yt_a[clips_a == c][0]
                 for c in dict.fromkeys(clips)]
    return {
        "protocol": "cross-subject: " + ("; ".join(f"test {f}" for f in folds)),
        "params": {**clf_params, **({"side_mirror": side_axis} if side_axis else {})},
        "channels": list(ws.channels),
        "window_accuracy": pooled["sample"]["accuracy"],
        "clip_accuracy": (pooled["clip"] or {}).get("accuracy"),
        "clip_accuracy_mean_probability": float(np.mean(mean_vote)),
        "folds": per_fold,
        "classification": pooled,
    }


#: Left-right mirror axes :func:`repcoach.imu.model.mirror_map` understands.
MIRROR_AXES = ("x", "y", "z")
#: ``train_imu`` default sensor-rotation augmentation (degrees), as ``repcoach imu-crossval``.
DEFAULT_ROTATE_DEG = 25.0


def check_train_options(
    arch: str = "cnn", mirror: str | None = None, rotate_deg: float = DEFAULT_ROTATE_DEG,
    n_models: int = 1,
) -> None:
    """Raise ``ValueError`` naming the bad option (before any data are loaded, so a typo does
    not cost a data load); ``arch`` is checked against the architectures
    :func:`repcoach.imu.model.build_imu_model` builds."""

    imu_arch_members(arch)  # ValueError naming the known architectures
    if mirror not in (None, *MIRROR_AXES):
        raise ValueError(f"mirror must be one of {', '.join(MIRROR_AXES)} (or none), "
                         f"got {mirror!r}")  # fmt: skip
    if not 0 <= rotate_deg <= 180:
        raise ValueError(f"rotate_deg must be between 0 and 180 degrees, got {rotate_deg}")
    if n_models < 1:
        raise ValueError(f"n_models must be at least 1, got {n_models}")


def check_augment_options(augment_copies: int = 0, scale_augment: float = 0.15) -> None:
    """``ValueError`` naming the option when the rocket augmentation copies or the amplitude
    scaling are out of range."""
    if augment_copies < 0:
        raise ValueError(f"augment_copies must be 0 or more, got {augment_copies}")
    if not 0 <= scale_augment < 1:
        raise ValueError(f"scale_augment must be in [0, 1), got {scale_augment}")


def _train_params(opts: dict[str, Any]) -> dict[str, Any]:
    quick = bool(opts.get("quick"))
    return {
        "arch": opts.get("arch") or "cnn",
        "epochs": int(opts.get("epochs") or 30) if not quick else min(3, opts.get("epochs") or 3),
        "batch_size": int(opts.get("batch_size") or 64),
        "seed": int(opts.get("seed") or 0),
        "n_models": int(opts.get("n_models") or 1),
        "derived": bool(opts.get("derived", False)),
        "augment_copies": int(opts.get("augment_copies") or 0),
        "scale_augment": float(opts.get("scale_augment", 0.15)),
        "verbose": int(opts.get("verbose") or 0) > 1,
    }


def train_imu(data_dir: str | Path, out_dir: str | Path, **opts: Any) -> dict[str, Any]:
    """Train an IMU classifier on a cross-subject split and write a model folder + report.

    Options: ``arch`` (cnn | cnn_deep | cnn_attn | cnn_bilstm), ``epochs`` (30),
    ``batch_size`` (64), ``seed``, ``quick`` (3 epochs), ``channels``, ``unit`` (recording |
    rep), ``label``, ``mirror`` (x/y/z: left-right mirror augmentation, see
    :func:`repcoach.imu.model.mirror_map`), ``rotate_deg`` (sensor-rotation augmentation,
    default 25), ``n_models`` (averaged ensemble), ``derived`` (orientation-robust channels, see
    :func:`repcoach.imu.model.derived_spec`), ``test_subjects`` (list;
    default: repcoach.data.splits.subject_split 70/15/15 by subject), ``augment_copies`` and
    ``scale_augment`` (the rocket families' augmented copies, see
    :class:`repcoach.imu.model.ImuClassifier`), ``side_mirror`` (an axis: left-side
    recordings mirrored into the right-side frame, :func:`side_mirrored`; evaluation does the
    same). All of them are recorded in config.json ``train_params`` (``mirror`` as the axis,
    with ``mirror_map``). Bad option values raise ``ValueError`` (:func:`check_train_options`).
    Returns the report."""

    mirror = opts.get("mirror") or None
    rotate_deg = float(
        DEFAULT_ROTATE_DEG if opts.get("rotate_deg") is None else opts["rotate_deg"])
    check_train_options(opts.get("arch") or "cnn", mirror, rotate_deg,
                        int(opts.get("n_models") or 1))  # fmt: skip
    check_augment_options(int(opts.get("augment_copies") or 0),
                          float(opts.get("scale_augment", 0.15)))  # fmt: skip
    side_axis = opts.get("side_mirror") or None
    check_side_mirror(side_axis)
    data_dir, out = Path(data_dir), Path(out_dir)
    ws = load_window_set(data_dir, opts.get("channels"), unit=opts.get("unit", "recording"),
                         label=opts.get("label", "label"),
                         progress=bool(opts.get("verbose", 1)))  # fmt: skip
    try:
        ws = side_mirrored(ws, side_axis)
    except ValueError as e:
        raise DataError(str(e), data_dir / "index.csv", column="side") from None
    test_subjects = opts.get("test_subjects")
    if test_subjects:
        te = np.isin(ws.groups, [str(s) for s in test_subjects])
        split = {"train": np.flatnonzero(~te), "val": np.zeros(0, int), "test": np.flatnonzero(te)}
    else:
        split = subject_split(list(ws.groups), list(ws.y), (0.7, 0.15, 0.15),
                              seed=int(opts.get("seed") or 0))  # fmt: skip

    params = _train_params(opts)
    if params["derived"] and not derived_spec(ws.channels):
        raise DataError("derived channels need x/y/z accelerometer or gyroscope channels; "
                        f"these windows have {', '.join(ws.channels)}", data_dir)  # fmt: skip
    mirror_perm = mirror_param(ws.channels, mirror)
    tr = ws.subset(split["train"])
    val = (ws.X[split["val"]], ws.y[split["val"]]) if len(split["val"]) else None
    params["rotate_deg"] = rotate_deg
    clf = ImuClassifier(**params, mirror=mirror_perm, channels=ws.channels).fit(
        tr.X, tr.y, validation=val)
    # what the folder was trained with, readable: the mirror axis and the map it implies
    params["mirror"] = mirror
    params["mirror_map"] = (None if mirror_perm is None
                            else {"perm": list(mirror_perm[0]), "signs": list(mirror_perm[1])})
    params["side_mirror"] = side_axis  # left-side windows must be mirrored so at inference
    if side_axis:
        sp, ss = mirror_map(ws.channels, side_axis)
        params["side_mirror_map"] = {"perm": sp.tolist(), "signs": ss.tolist()}
    config = {
        "task": "exercise",
        "modality": "imu",
        "seq_len": int(ws.X.shape[1]),
        "n_features": int(ws.X.shape[2]),
        "channels": list(ws.channels),
        "rate_hz": 50.0,
        "resample": "windows",
        "classes": [str(c) for c in clf.classes_],
        "clip_mode": "windows",
        "window": {"length": int(ws.X.shape[1]),
                   "stride": int(round(ws.X.shape[1] * (1 - ws.info["overlap"])))},
        "unit": ws.info["unit"],
        "label": ws.info["label"],
        "data": str(data_dir.resolve()),
        "split": {**groups_per_split(list(ws.groups), split), "source": "subject"},
        "train_params": params,
    }
    history = {"classifier": clf.history_}
    save_model_dir(out, config, classifier=clf, history=history)
    report: dict[str, Any] = {"model": str(out), "data": str(data_dir), "task": "exercise",
                              "modality": "imu"}  # fmt: skip
    for name in ("val", "test"):  # held-out subjects only: never the training windows
        if not len(split[name]):
            continue
        ts = ws.subset(split[name])
        r = _predict(clf, ts)
        sec = r["section"]
        report[f"{name}_accuracy"] = sec["sample"]["accuracy"]
        report[f"{name}_clip_accuracy"] = (sec.get("clip") or {}).get("accuracy")
        if name == "test":
            report["evaluated_on"] = {"split": "test", "n_samples": len(ts),
                                      "n_clips": len(set(ts.clip_ids)),
                                      "n_groups": len(set(ts.groups)),
                                      "groups": sorted(set(ts.groups))}  # fmt: skip
            report["classification"] = sec
    # top-level figure printed by `repcoach train`: test subjects, else validation subjects
    for name in ("test", "val"):
        if report.get(f"{name}_accuracy") is not None:
            subj = sorted(set(ws.groups[split[name]]))
            clip = report.get(f"{name}_clip_accuracy")
            report["accuracy"] = report[f"{name}_accuracy"]
            report["accuracy_level"] = (
                f"per window, {name} subject(s) {', '.join(subj)}"
                + (f"; per {ws.info['unit']} (vote) {100 * clip:.1f} %" if clip is not None
                   else ""))  # fmt: skip
            break
    write_report(out, report, history)
    return report


def _config_windows(cfg: dict[str, Any], data: str | Path) -> WindowSet:
    """The windows of ``data`` cut and side-mirrored as the model folder's config says."""
    ws = load_window_set(data, cfg["channels"], cfg["seq_len"],
                         1 - cfg["window"]["stride"] / cfg["seq_len"], cfg.get("unit", "recording"),
                         cfg.get("label", "label"), progress=False)  # fmt: skip
    try:
        return side_mirrored(ws, (cfg.get("train_params") or {}).get("side_mirror") or None)
    except ValueError as e:
        raise DataError(f"this model was trained with side_mirror: {e}",
                        Path(data) / "index.csv", column="side") from None


def load_imu_test_inputs(model_dir: str | Path, limit: int | None = 256) -> np.ndarray | None:
    """Raw windows of the held-out subjects recorded in an IMU model folder's config.json
    (``split.test``, else ``split.val``), re-cut from the folder's data as in training; None
    when the data are gone or no subject was held out. Used by ``repcoach export`` so TFLite
    parity is checked on real held-out IMU windows rather than synthetic inputs."""

    cfg = load_model_config(model_dir)
    data = cfg.get("data")
    if cfg.get("modality") != "imu" or not data or not Path(data).exists():
        return None
    split = cfg.get("split") or {}
    held = list(split.get("test") or []) or list(split.get("val") or [])
    if not held:
        return None
    ws = _config_windows(cfg, data)
    idx = np.flatnonzero(np.isin(ws.groups, [str(h) for h in held]))
    if not len(idx):
        return None
    if limit is not None and len(idx) > limit:  # spread over all held-out clips, not the first
        idx = idx[np.linspace(0, len(idx) - 1, limit).round().astype(int)]
    return ws.X[idx]


def evaluate_imu(model_dir: str | Path, data_dir: str | Path, out_dir: str | Path) -> dict:
    """Evaluate an IMU model folder on ``data_dir`` (subjects in the folder's train/val split
    are left out, so figures are held-out) and write report.json / report.md / PNGs."""

    cfg = load_model_config(model_dir)
    if cfg.get("modality") != "imu":
        raise DataError("not an IMU model folder (config.json modality is not 'imu')", model_dir)
    ws = _config_windows(cfg, data_dir)
    seen = set((cfg.get("split") or {}).get("train", [])) | set(
        (cfg.get("split") or {}).get("val", []))
    held = ~np.isin(ws.groups, sorted(seen))
    on_training = not held.any()
    ts = ws if on_training else ws.subset(np.flatnonzero(held))
    clf, _, classes = load_keras_models(model_dir)
    proba = np.concatenate([np.asarray(clf.predict_on_batch(ts.X[i:i + 512]))
                            for i in range(0, len(ts), 512)])  # fmt: skip
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    report = {
        "model": str(model_dir), "data": str(data_dir), "task": "exercise", "modality": "imu",
        "evaluated_on": {
            "split": "all (includes training subjects)" if on_training else "held-out subjects",
            "n_samples": len(ts), "n_clips": len(set(ts.clip_ids)),
            "n_groups": len(set(ts.groups)), "includes_training_subjects": on_training,
            "warning": "NOT held-out results" if on_training else None,
        },
        "classification": classification_section(ts.y, pred, classes, ts.clip_ids, proba),
    }  # fmt: skip
    write_report(out_dir, report)

    return json.loads((Path(out_dir) / "report.json").read_text(encoding="utf-8"))
