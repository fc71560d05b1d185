"""Training driver: dataset folder -> samples -> cross-subject split -> classifier and
per-exercise scorers -> model folder (:mod:`repcoach.model_dir`).

Split protocol: rows of an index ``split`` column when present; otherwise 70/15/15 by group,
where a group is the participant, or each clip when subjects are unknown (Penn Action), or the
value of ``SampleOptions.group_col`` (e.g. PushFit's ``source_group`` blocks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.models.splits import (
    groups_per_split,
    sample_groups,
    split_from_column,
    subject_split,
)
from repcoach.samples import SampleOptions, Samples, load_samples

TASKS = ("exercise", "correctness")


@dataclass
class TrainOptions:
    """What to train and how. Classifier sizes default to the paper's (V.E); scorer sizes are
    smaller (see :mod:`repcoach.models.scorer`). ``quick`` shrinks both for smoke runs."""

    task: str = "exercise"
    epochs: int = 100
    batch_size: int = 32
    patience: int = 15
    learning_rate: float = 1e-3
    lstm_units: int = 256
    dense_units: tuple[int, ...] = (128, 64)
    dropout: float | None = None  # None: the architecture's (0.4 = paper for the BiLSTM)
    arch: str = "bilstm"  # or a temporal CNN: cnn | cnn_deep | cnn_attn | cnn_bilstm
    n_models: int = 1  # > 1: a seed ensemble of classifiers saved as one averaging model
    min_epochs: int = 10  # warm-up epochs never kept as best (noisy tiny validation parts)
    mirror_average: bool = False  # average predictions on each input and its mirror image
    occlusion: float = 0.0  # augmentation: chance of hiding one body part (needs presence)
    scorer_lstm_units: int = 64
    scorer_dense_units: tuple[int, ...] = (64, 32)
    scorer_dropout: float = 0.3
    scorer_epochs: int | None = None  # None: same as epochs
    scorers: bool = True
    scorer_inputs: str = "auto"  # auto | none | duration | form | duration+form (scorer_inputs.py)
    scorer_arch: str = "bilstm"  # or mlp: a small MLP on the extra scorer inputs only (scorer.py)
    augment: bool = True
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0
    verbose: int = 1
    quick: bool = False

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        from repcoach.models.classifier import POSE_ARCHITECTURES

        if self.arch not in POSE_ARCHITECTURES:
            raise ValueError(f"arch must be one of {POSE_ARCHITECTURES}, got {self.arch!r}")
        from repcoach.models.scorer_inputs import SCORER_INPUT_MODES

        if self.scorer_inputs not in SCORER_INPUT_MODES:
            raise ValueError(f"scorer inputs must be one of {SCORER_INPUT_MODES}, got "
                             f"{self.scorer_inputs!r}")  # fmt: skip
        from repcoach.models.scorer import SCORER_ARCHITECTURES

        if self.scorer_arch not in SCORER_ARCHITECTURES:
            raise ValueError(f"scorer arch must be one of {SCORER_ARCHITECTURES}, got "
                             f"{self.scorer_arch!r}")  # fmt: skip
        if self.scorer_arch == "mlp" and self.scorer_inputs == "none":
            raise ValueError("scorer arch 'mlp' reads only the extra scorer inputs; 'none' "
                             "gives it nothing (use form, duration or duration+form)")  # fmt: skip
        if not 0.0 <= self.occlusion <= 1.0:
            raise ValueError(f"occlusion must be a probability in [0, 1], got {self.occlusion}")
        if self.quick:
            self.epochs = min(self.epochs, 15)
            self.patience = min(self.patience, 5)
            self.lstm_units = min(self.lstm_units, 32)
            self.dense_units = (32, 16)
            self.scorer_lstm_units = min(self.scorer_lstm_units, 16)
            self.scorer_dense_units = (16,)
            self.min_epochs = min(self.min_epochs, 2)


@dataclass
class TrainResult:
    """What training produced (the model folder holds the same in files)."""

    model_dir: Path
    config: dict[str, Any]
    n_samples: dict[str, int]
    val_accuracy: float | None = None
    val_score_mae: dict[str, float] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)


def group_values(samples: Samples) -> np.ndarray:
    """The split group of every sample (see :func:`repcoach.models.splits.sample_groups`)."""
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


def _augmenter(samples: Samples, enabled: bool, occlusion: float = 0.0):
    if not enabled:
        return None
    from repcoach.models.augment import Augmenter
    from repcoach.skeleton import get_layout

    layout = get_layout(samples.layout)
    from repcoach.pose.resample import ROOT_MOTION_CHANNELS

    if occlusion > 0 and samples.X.shape[-1] - layout.n_features not in (
            layout.n_joints, layout.n_joints + ROOT_MOTION_CHANNELS):  # fmt: skip
        from repcoach.errors import DataError

        raise DataError("--occlusion hides body parts through the presence channels: train "
                        "with --presence")  # fmt: skip
    return Augmenter(layout=layout, occlusion=occlusion)


def _classifier(options: TrainOptions, augment: Any, samples: Samples, **kw: Any) -> Any:
    """The exercise classifier ``options`` describe for ``samples`` (not fitted)."""
    from repcoach.models.augment import SYMMETRIC_EXERCISES
    from repcoach.models.classifier import BiLSTMClassifier

    mirror = None
    if options.mirror_average:
        odd = sorted(set(map(str, samples.y)) - SYMMETRIC_EXERCISES)
        if odd:
            from repcoach.errors import DataError

            raise DataError(f"--mirror-average needs left/right symmetric exercises; {odd} "
                            "may not be (see repcoach.models.augment.SYMMETRIC_EXERCISES)")
        mirror = samples.layout

    return BiLSTMClassifier(
        lstm_units=options.lstm_units, dense_units=options.dense_units, dropout=options.dropout,
        epochs=options.epochs, batch_size=options.batch_size, patience=options.patience,
        learning_rate=options.learning_rate, augment=augment, seed=options.seed,
        verbose=options.verbose, n_models=options.n_models, min_epochs=options.min_epochs,
        arch=options.arch, mirror=mirror, **kw,
    )  # fmt: skip


def _scorer_set(options: TrainOptions, augment: Any, extra_names: Any, **kw: Any) -> Any:
    """The per-exercise correctness scorers ``options`` describe (not fitted); their patience
    is two thirds of the classifier's (they are smaller and converge sooner)."""
    from repcoach.models.scorer import ScorerSet

    return ScorerSet(
        extra_inputs=extra_names, lstm_units=options.scorer_lstm_units,
        dense_units=options.scorer_dense_units, dropout=options.scorer_dropout,
        epochs=options.scorer_epochs or options.epochs, batch_size=options.batch_size,
        patience=max(3, options.patience * 2 // 3), learning_rate=_scorer_lr(options),
        augment=augment, seed=options.seed, verbose=options.verbose,
        min_epochs=options.min_epochs, arch=options.scorer_arch, **kw,
    )  # fmt: skip


def _scorer_lr(options: TrainOptions) -> float:
    """The scorers' learning rate: the classifier's, or MLP_LEARNING_RATE for the mlp."""
    from repcoach.models.scorer import MLP_LEARNING_RATE

    return MLP_LEARNING_RATE if options.scorer_arch == "mlp" else options.learning_rate


def _scorer_extra(
    options: TrainOptions, samples: Samples, clip_mode: str | None
) -> tuple[tuple[str, ...], np.ndarray | None]:
    """The scorers' extra input names (``options.scorer_inputs`` resolved for ``clip_mode``)
    and their values for every sample (durations over whole recordings, then split)."""
    from repcoach.models.scorer_inputs import resolve_scorer_inputs, samples_values

    names = resolve_scorer_inputs(options.scorer_inputs, clip_mode, samples.duration is not None)
    if options.scorer_arch == "mlp" and not names:
        raise DataError(f"scorer arch 'mlp' reads only the extra scorer inputs, and scorer "
                        f"inputs {options.scorer_inputs!r} give none for clip mode "
                        f"{clip_mode!r}: use --scorer-inputs form (or duration)")  # fmt: skip
    return names, samples_values(names, samples)


def _scorer_record(options: TrainOptions, extra_names: Any) -> dict[str, Any]:
    """config.json ``train_params.scorers``: the scorer network and its inputs."""
    from repcoach.models.scorer import CorrectnessScorer

    if options.scorer_arch == "mlp":
        p = CorrectnessScorer(extra_inputs=extra_names, arch="mlp").get_params()
        net = {"mlp_units": p["mlp_units"], "l2": p["l2"]}
    else:
        net = {"lstm_units": options.scorer_lstm_units,
               "dense_units": list(options.scorer_dense_units)}  # fmt: skip
    return {"arch": options.scorer_arch, **net, "dropout": options.scorer_dropout,
            "learning_rate": _scorer_lr(options), "loss": "mean_squared_error",
            "extra_inputs": list(extra_names)}  # fmt: skip


def train_model_dir(
    data: str | Path,
    out: str | Path,
    sample_options: SampleOptions | None = None,
    options: TrainOptions | None = None,
    samples: Samples | None = None,
) -> TrainResult:
    """Train on ``data`` and write the model folder ``out``; returns a summary."""
    from repcoach.model_dir import save_model_dir

    sample_options = sample_options or SampleOptions()
    options = options or TrainOptions()
    out = Path(out)
    if samples is None:
        samples = load_samples(data, sample_options)
    if len(samples) == 0:
        raise DataError("no samples could be cut from the data", data)
    samples.meta["group_col"] = sample_options.group_col
    idx, split_record = make_split(samples, options.fractions, options.seed)
    tr, va = samples.subset(idx["train"]), samples.subset(idx["val"])
    if len(tr) == 0:
        raise DataError("the training split is empty", data)
    augment = _augmenter(samples, options.augment, options.occlusion)
    out.mkdir(parents=True, exist_ok=True)
    history: dict[str, Any] = {}
    classifier = None
    val_acc = None
    classes = sorted(set(samples.y))
    if options.task == "exercise":
        if len(set(tr.y)) < 2:
            raise DataError(
                f"--task exercise needs at least two labels in the training split, found "
                f"{sorted(set(tr.y))}; for correct/incorrect data use --task correctness",
                data,
            )
        classifier = _classifier(options, augment, samples, checkpoint_dir=out).fit(
            tr.X, tr.y, va.X if len(va) else None, va.y if len(va) else None
        )
        classes = [str(c) for c in classifier.classes_]
        history["classifier"] = classifier.history_
        if len(va) and not getattr(classifier, "val_in_fit_", False):  # rocket: val fitted
            val_acc = classifier.score(va.X, va.y)
    scorer_set = None
    val_mae: dict[str, float] = {}
    extra_names, extra = _scorer_extra(options, samples, sample_options.clip_mode)
    ex = {k: None if extra is None else extra[v] for k, v in idx.items()}
    if (options.task == "correctness" or options.scorers) and tr.has_scores:
        scorer_set = _scorer_set(options, augment, extra_names, checkpoint_dir=out).fit(
            tr.X, tr.y, tr.score, va.X, va.y, va.score, extra=ex["train"], extra_val=ex["val"]
        )
        history["scorers"] = {k: s.history_ for k, s in scorer_set.scorers.items()}
        if len(va):
            pred = scorer_set.predict(va.X, va.y, ex["val"])
            for label in scorer_set.scorers:
                m = (va.y == label) & np.isfinite(va.score)
                if m.any():
                    val_mae[label] = float(np.mean(np.abs(pred[m] - va.score[m])))
    elif options.task == "correctness":
        raise DataError(
            "--task correctness needs correctness scores (index.csv 'correctness' column or "
            "annotations.csv 'score') in the training split",
            data,
        )
    if options.task == "correctness":
        classes = sorted(scorer_set.scorers) if scorer_set else classes
    score_values = samples.score[np.isfinite(samples.score)]
    binary = bool(len(score_values)) and bool(np.isin(score_values, (0.0, 1.0)).all())
    config: dict[str, Any] = {
        "task": options.task,
        "modality": "pose",
        "layout": samples.layout,
        "seq_len": samples.seq_len,
        "n_features": samples.n_features,
        "resample": sample_options.resample,
        "preprocess": ["clean", "normalize", "resample"],
        "classes": classes,
        **{k: v for k, v in sample_options.to_dict().items() if k not in ("seq_len", "resample")},
        "data": str(Path(data).resolve()),
        "data_form": samples.meta.get("form"),
        "split": split_record,
        "score_target": "binary" if binary else ("continuous" if len(score_values) else None),
        "scorer_inputs": list(extra_names) if scorer_set is not None else [],
        "aspect_corrected_clips": int(samples.meta.get("aspect_corrected_clips", 0)),
        "train_params": {
            "classifier": None if classifier is None else classifier.get_params(),
            "scorers": None if scorer_set is None else _scorer_record(options, extra_names),
            "options": {k: (list(v) if isinstance(v, tuple) else v)
                        for k, v in asdict(options).items()},
        },  # fmt: skip
    }
    save_model_dir(out, config, classifier, scorer_set.scorers if scorer_set else None, history)
    from repcoach.model_dir import load_model_config

    return TrainResult(
        model_dir=out,
        config=load_model_config(out),
        n_samples={k: int(len(v)) for k, v in idx.items()},
        val_accuracy=val_acc,
        val_score_mae=val_mae,
        history=history,
    )


def cross_validate(
    samples: Samples,
    k: int = 5,
    options: TrainOptions | None = None,
    val_fraction: float = 0.15,
    only_folds: list[int] | None = None,
) -> dict[str, Any]:
    """Grouped, stratified k-fold cross-validation (for measuring, not for the saved model).

    Each fold's test groups are unseen in its training; a validation part (``val_fraction`` of
    the remaining groups) drives early stopping. Returns pooled sample- and clip-level figures
    and per-fold accuracies, plus ``predictions`` (the out-of-fold prediction of every
    evaluated sample, for :func:`repcoach.evaluate.write_predictions`). ``task="exercise"``
    trains the classifier, ``"correctness"`` the scorers (accuracy at 0.5 for 0/1 targets).
    ``only_folds`` runs a subset of the folds (pooled figures then cover those folds' test
    samples only)."""
    from repcoach.evaluate import classification_section, scoring_section
    from repcoach.models.splits import subject_kfold

    options = options or TrainOptions()
    groups = group_values(samples)
    augment = _augmenter(samples, options.augment, options.occlusion)
    folds = subject_kfold(groups, k=k, seed=options.seed, labels=samples.y)
    extra_names, extra = _scorer_extra(options, samples, samples.meta.get("clip_mode"))
    sel = lambda i: None if extra is None else extra[i]  # noqa: E731
    pred = np.empty(len(samples), dtype=object)
    score = np.full(len(samples), np.nan, np.float32)
    per_fold: list[float] = []
    epochs_run: list[int] = []
    done = np.zeros(len(samples), bool)
    fold_of = np.full(len(samples), -1)
    classes = np.asarray(sorted(set(samples.y)), dtype=object)
    proba: np.ndarray | None = None
    for f, (tr_all, te) in enumerate(folds):
        if only_folds is not None and f not in only_folds:
            continue
        done[te] = True
        fold_of[te] = f
        inner = subject_split(
            samples.subject[tr_all], samples.y[tr_all], (1 - val_fraction, val_fraction, 0.0),
            seed=options.seed + f, groups=groups[tr_all],
        )  # fmt: skip
        tr, va, ts = (samples.subset(tr_all[inner["train"]]),
                      samples.subset(tr_all[inner["val"]]), samples.subset(te))  # fmt: skip
        if options.task == "exercise":
            clf = _classifier(options, augment, samples).fit(tr.X, tr.y, va.X, va.y)
            p = clf.predict_proba(ts.X)
            if proba is None:
                proba = np.full((len(samples), len(classes)), np.nan, np.float32)
            cols = np.searchsorted(classes, clf.classes_)  # a fold may lack a class
            proba[np.ix_(te, cols)] = p
            proba[np.ix_(te, np.setdiff1d(np.arange(len(classes)), cols))] = 0.0
            pred[te] = clf.classes_[p.argmax(axis=1)]
            epochs_run.append(len(clf.history_["loss"]))
            per_fold.append(float(np.mean(pred[te] == ts.y)))
        else:
            sset = _scorer_set(options, augment, extra_names).fit(
                tr.X, tr.y, tr.score, va.X, va.y, va.score,
                extra=sel(tr_all[inner["train"]]), extra_val=sel(tr_all[inner["val"]]),
            )  # fmt: skip
            score[te] = sset.predict(ts.X, ts.y, sel(te))
            epochs_run.append(max(len(s.history_["loss"]) for s in sset.scorers.values()))
            per_fold.append(float(np.mean((score[te] >= 0.5) == (ts.score >= 0.5))))
    out: dict[str, Any] = {"k": k, "n_samples": int(done.sum()), "n_groups": len(set(groups)),
                           "scorer_inputs": list(extra_names),
                           "per_fold_sample_accuracy": per_fold,
                           "epochs_run": epochs_run}  # fmt: skip
    ev = samples.subset(np.flatnonzero(done))
    # Out-of-fold predictions, one per evaluated sample (repcoach.evaluate.write_predictions).
    out["predictions"] = {
        "samples": ev, "fold": fold_of[done], "classes": [str(c) for c in classes],
        "predicted": pred[done] if options.task == "exercise" else None,
        "proba": proba[done] if proba is not None else None,
        "predicted_score": score[done] if options.task != "exercise" else None,
    }  # fmt: skip
    if options.task == "exercise":
        out["classification"] = classification_section(
            ev.y, pred[done], sorted(set(samples.y)), ev.clip_id
        )
    else:
        out["scoring"] = scoring_section(ev.y, ev.score, score[done], ev.clip_id)
    return out
