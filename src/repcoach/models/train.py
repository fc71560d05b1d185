"""Training driver: dataset folder -> samples -> cross-subject split -> classifier and
per-exercise scorers -> model folder (:mod:`repcoach.models.folder`).

Split protocol: rows of an index ``split`` column when present; otherwise 70/15/15 by group,
where a group is the participant, or each clip when subjects are unknown (Penn Action), or the
value of ``SampleOptions.group_col`` (e.g. PushFit's ``source_group`` blocks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.data.sample_splits import make_split
from repcoach.data.samples import SampleOptions, Samples, load_samples
from repcoach.data.scorer_inputs import SCORER_INPUT_MODES, resolve_scorer_inputs, samples_values
from repcoach.errors import DataError
from repcoach.feedback.runtime import write_model_feedback
from repcoach.models.augment import SYMMETRIC_EXERCISES, Augmenter
from repcoach.models.classifier import PoseClassifier, arch_members
from repcoach.models.folder import load_model_config, save_model_dir
from repcoach.models.scorer import (
    EXTRA_ONLY_ARCHITECTURES,
    FOREST_MAX_FEATURES,
    MLP_LEARNING_RATE,
    SCORER_ARCHITECTURES,
    CorrectnessScorer,
    ScorerSet,
)
from repcoach.pose.resample import ROOT_MOTION_CHANNELS
from repcoach.skeleton import get_layout

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
    roll_deg: float = 0.0  # augmentation: camera roll up to this many degrees
    stretch: float = 0.0  # augmentation: x / y scaled by 1 +- stretch
    time_warp: float = 0.0  # augmentation: monotone time bend, ln exponent in +- time_warp
    scorer_lstm_units: int = 64
    scorer_dense_units: tuple[int, ...] = (64, 32)
    scorer_dropout: float = 0.3
    scorer_epochs: int | None = None  # None: same as epochs
    scorers: bool = True
    scorer_inputs: str = "auto"  # auto | none | duration | form | duration+form (scorer_inputs.py)
    scorer_arch: str = "bilstm"  # or mlp / forest: on the extra scorer inputs only (scorer.py)
    augment: bool = True
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0
    verbose: int = 1
    quick: bool = False

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")

        arch_members(self.arch)  # ValueError naming the known architectures

        if self.scorer_inputs not in SCORER_INPUT_MODES:
            raise ValueError(f"scorer inputs must be one of {SCORER_INPUT_MODES}, got "
                             f"{self.scorer_inputs!r}")  # fmt: skip

        if self.scorer_arch not in SCORER_ARCHITECTURES:
            raise ValueError(f"scorer arch must be one of {SCORER_ARCHITECTURES}, got "
                             f"{self.scorer_arch!r}")  # fmt: skip
        if self.scorer_arch in EXTRA_ONLY_ARCHITECTURES and self.scorer_inputs == "none":
            raise ValueError(f"scorer arch {self.scorer_arch!r} reads only the extra scorer "
                             "inputs; 'none' gives it nothing (use form, signals or "
                             "duration)")  # fmt: skip
        if not 0.0 <= self.occlusion <= 1.0:
            raise ValueError(f"occlusion must be a probability in [0, 1], got {self.occlusion}")
        for name, hi in (("roll_deg", 90.0), ("stretch", 0.9), ("time_warp", 2.0)):
            if not 0.0 <= getattr(self, name) <= hi:
                raise ValueError(f"{name} must be in [0, {hi:g}], got {getattr(self, name)}")
        if self.epochs < 1 or (self.scorer_epochs is not None and self.scorer_epochs < 1):
            raise ValueError(f"epochs must be at least 1 (got {self.epochs}): an untrained "
                             "model would be saved")
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


def make_augmenter(samples: Samples, options: TrainOptions):
    """The training augmenter for ``samples`` with the augmentation settings of ``options``
    (None when ``options.augment`` is false)."""
    if not options.augment:
        return None

    layout = get_layout(samples.layout)

    if options.occlusion > 0 and samples.X.shape[-1] - layout.n_features not in (
            layout.n_joints, layout.n_joints + ROOT_MOTION_CHANNELS):  # fmt: skip

        raise DataError("--occlusion hides body parts through the presence channels: train "
                        "with --presence")  # fmt: skip
    return Augmenter(layout=layout, occlusion=options.occlusion, roll_deg=options.roll_deg,
                     stretch=options.stretch, time_warp=options.time_warp)  # fmt: skip


def make_classifier(options: TrainOptions, augment: Any, samples: Samples, **kw: Any) -> Any:
    """The exercise classifier ``options`` describe for ``samples`` (not fitted)."""

    mirror = None
    if options.mirror_average:
        odd = sorted(set(map(str, samples.y)) - SYMMETRIC_EXERCISES)
        if odd:

            raise DataError(f"--mirror-average needs left/right symmetric exercises; {odd} "
                            "may not be (see repcoach.models.augment.SYMMETRIC_EXERCISES)")
        mirror = samples.layout

    return PoseClassifier(
        lstm_units=options.lstm_units, dense_units=options.dense_units, dropout=options.dropout,
        epochs=options.epochs, batch_size=options.batch_size, patience=options.patience,
        learning_rate=options.learning_rate, augment=augment, seed=options.seed,
        verbose=options.verbose, n_models=options.n_models, min_epochs=options.min_epochs,
        arch=options.arch, mirror=mirror, **kw,
    )  # fmt: skip


def make_scorer_set(options: TrainOptions, augment: Any, extra_names: Any, **kw: Any) -> Any:
    """The per-exercise correctness scorers ``options`` describe (not fitted); their patience
    is two thirds of the classifier's (they are smaller and converge sooner)."""

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

    return MLP_LEARNING_RATE if options.scorer_arch == "mlp" else options.learning_rate


def scorer_extra_inputs(
    options: TrainOptions, samples: Samples, clip_mode: str | None
) -> tuple[tuple[str, ...], np.ndarray | None]:
    """The scorers' extra input names (``options.scorer_inputs`` resolved for ``clip_mode``)
    and their values for every sample (durations over whole recordings, then split)."""

    names = resolve_scorer_inputs(options.scorer_inputs, clip_mode, samples.duration is not None)
    if options.scorer_arch in EXTRA_ONLY_ARCHITECTURES and not names:
        raise DataError(f"scorer arch {options.scorer_arch!r} reads only the extra scorer "
                        f"inputs, and scorer inputs {options.scorer_inputs!r} give none for "
                        f"clip mode {clip_mode!r}: use --scorer-inputs form (or duration)")
    return names, samples_values(names, samples)


def _scorer_record(options: TrainOptions, extra_names: Any) -> dict[str, Any]:
    """config.json ``train_params.scorers``: the scorer network and its inputs."""

    if options.scorer_arch == "mlp":
        p = CorrectnessScorer(extra_inputs=extra_names, arch="mlp").to_config()
        net = {"mlp_units": p["mlp_units"], "l2": p["l2"]}
    elif options.scorer_arch == "forest":
        p = CorrectnessScorer(extra_inputs=extra_names, arch="forest").to_config()
        return {"arch": "forest", "n_trees": p["n_trees"],
                "min_samples_leaf": p["min_samples_leaf"], "max_features": FOREST_MAX_FEATURES,
                "extra_inputs": list(extra_names)}  # fmt: skip
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
    augment = make_augmenter(samples, options)
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
        classifier = make_classifier(options, augment, samples, checkpoint_dir=out).fit(
            tr.X, tr.y, va.X if len(va) else None, va.y if len(va) else None
        )
        classes = [str(c) for c in classifier.classes_]
        history["classifier"] = classifier.history_
        if len(va) and not getattr(classifier, "val_in_fit_", False):  # rocket: val fitted
            val_acc = classifier.score(va.X, va.y)
    scorer_set = None
    val_mae: dict[str, float] = {}
    extra_names, extra = scorer_extra_inputs(options, samples, sample_options.clip_mode)
    ex = {k: None if extra is None else extra[v] for k, v in idx.items()}
    if (options.task == "correctness" or options.scorers) and tr.has_scores:
        scorer_set = make_scorer_set(options, augment, extra_names, checkpoint_dir=out).fit(
            tr.X, tr.y, tr.score, va.X, va.y, va.score, extra=ex["train"], extra_val=ex["val"]
        )
        history["scorers"] = {k: s.history_ for k, s in scorer_set.scorers.items()}
        fitted_val = any(getattr(sc, "val_in_fit_", False) for sc in scorer_set.scorers.values())
        if len(va) and not fitted_val:  # the forest fits the validation samples too
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
            "classifier": None if classifier is None else classifier.to_config(),
            "scorers": None if scorer_set is None else _scorer_record(options, extra_names),
            "options": {k: (list(v) if isinstance(v, tuple) else v)
                        for k, v in asdict(options).items()},
        },  # fmt: skip
    }
    save_model_dir(out, config, classifier, scorer_set.scorers if scorer_set else None, history)

    # per-joint cues (feedback.json) when the data annotates faults; training people only
    write_model_feedback(out, data, sorted({str(s) for s in tr.subject}))

    return TrainResult(
        model_dir=out,
        config=load_model_config(out),
        n_samples={k: int(len(v)) for k, v in idx.items()},
        val_accuracy=val_acc,
        val_score_mae=val_mae,
        history=history,
    )
