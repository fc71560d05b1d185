"""Nested cross-validation over training recipes (``repcoach crossval --select "A;B"``).

For each outer grouped fold, inner grouped folds on the outer-training part score every recipe
(pooled inner accuracy); the best (first listed on ties) is retrained on the whole
outer-training part and tested on the outer fold, which took no part in the choice. A recipe is
a string of ``repcoach train`` options (``"--arch rocket"``, ``"--arch cnn_deep --presence"``)
applied on top of the command's own options.

``task="correctness"`` selects among scorer recipes (``"--scorer-arch forest --scorer-inputs
signals"``) for 0/1 correctness targets by the accuracy of ``score >= 0.5``: the PushFit form
scorers under whole-source folds (``--group-col source_group``). With ``score_all`` every recipe
is also fitted on each outer-training part and tested on its outer fold (its plain grouped
figure on the same folds; the choice never sees it).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.data.sample_splits import group_values
from repcoach.data.samples import SampleOptions, Samples, load_samples
from repcoach.data.splits import subject_kfold, subject_split
from repcoach.errors import DataError
from repcoach.evaluation.metrics import classification_section, scoring_section
from repcoach.models.train import (
    TrainOptions,
    make_augmenter,
    make_classifier,
    make_scorer_set,
    scorer_extra_inputs,
)

#: Recipe flags: option -> (which options object, field, value type; None = a switch).
RECIPE_FLAGS: dict[str, tuple[str, str, type | None]] = {
    "--arch": ("train", "arch", str),
    "--n-models": ("train", "n_models", int),
    "--epochs": ("train", "epochs", int),
    "--min-epochs": ("train", "min_epochs", int),
    "--lstm-units": ("train", "lstm_units", int),
    "--occlusion": ("train", "occlusion", float),
    "--camera-roll": ("train", "roll_deg", float),
    "--stretch": ("train", "stretch", float),
    "--time-warp": ("train", "time_warp", float),
    "--mirror-average": ("train", "mirror_average", None),
    "--no-augment": ("train", "augment", None),
    "--scorer-arch": ("train", "scorer_arch", str),
    "--scorer-inputs": ("train", "scorer_inputs", str),
    "--seq-len": ("sample", "seq_len", int),
    "--presence": ("sample", "presence", None),
    "--root-motion": ("sample", "root_motion", None),
}


@dataclass(frozen=True)
class Recipe:
    """One candidate: its text as given and the options it resolves to."""

    text: str
    sample_options: SampleOptions
    train_options: TrainOptions


def read_recipe(text: str, flags: Mapping[str, type | None]) -> tuple[str, dict[str, Any]]:
    """A recipe's tokens joined by single spaces, and ``{flag: value}`` (``True`` for a switch,
    whose type in ``flags`` is None); ``ValueError`` naming the recipe and the unknown flag,
    the missing or the bad value."""
    tokens = shlex.split(text)
    values: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        flag = tokens[i]
        if flag not in flags:
            raise ValueError(f"recipe {text!r}: unknown option {flag!r} (known: "
                             f"{', '.join(flags)})")  # fmt: skip
        kind = flags[flag]
        if kind is None:
            values[flag] = True
            i += 1
            continue
        if i + 1 >= len(tokens):
            raise ValueError(f"recipe {text!r}: {flag} needs a value")
        try:
            values[flag] = kind(tokens[i + 1])
        except ValueError:
            raise ValueError(f"recipe {text!r}: {flag} expects {kind.__name__}, got "
                             f"{tokens[i + 1]!r}") from None  # fmt: skip
        i += 2
    return " ".join(tokens), values


def split_recipes(select: str) -> list[str]:
    """``"A;B;..."`` -> the recipe texts (empty parts dropped); ``ValueError`` when none."""
    parts = [p.strip() for p in select.split(";") if p.strip()]
    if not parts:
        raise ValueError("--select needs at least one recipe, e.g. '--arch rocket;--arch cnn'")
    return parts


def parse_recipe(text: str, sample: SampleOptions, train: TrainOptions) -> Recipe:
    """``text`` (train options) applied on top of ``sample`` / ``train``; ValueError on an
    unknown flag or a bad value."""
    norm, values = read_recipe(text, {f: kind for f, (_, _, kind) in RECIPE_FLAGS.items()})
    changes: dict[str, dict[str, Any]] = {"sample": {}, "train": {}}
    for flag, v in values.items():
        where, name, kind = RECIPE_FLAGS[flag]
        changes[where][name] = flag != "--no-augment" if kind is None else v
    s = replace(sample, **changes["sample"])
    t = replace(train, **changes["train"])
    if t.occlusion > 0 and not s.presence:
        raise ValueError(f"recipe {text!r}: --occlusion needs --presence")
    return Recipe(norm, s, t)


def parse_recipes(select: str, sample: SampleOptions, train: TrainOptions) -> list[Recipe]:
    """``"A;B;..."`` -> recipes (empty parts dropped); at least one."""
    return [parse_recipe(p, sample, train) for p in split_recipes(select)]


def fit_predict(
    samples: Samples, options: TrainOptions, train_idx: np.ndarray, test_idx: np.ndarray,
    seed: int, val_fraction: float = 0.15,
) -> np.ndarray:
    """Train ``options``' classifier (``task="correctness"``: its scorers) on ``train_idx`` (a
    grouped validation part of it drives early stopping, as
    :func:`~repcoach.evaluation.crossval.cross_validate`; models without epochs fit it too)
    and predict ``test_idx``: class names, or scores in [0, 1]."""

    groups = group_values(samples)
    inner = subject_split(samples.subject[train_idx], samples.y[train_idx],
                          (1 - val_fraction, val_fraction, 0.0), seed=seed,
                          groups=groups[train_idx])  # fmt: skip
    a, v = train_idx[inner["train"]], train_idx[inner["val"]]
    tr, va, te = samples.subset(a), samples.subset(v), samples.subset(test_idx)
    augment = make_augmenter(samples, options)
    opts = replace(options, seed=seed)
    if opts.task == "correctness":
        names, extra = scorer_extra_inputs(opts, samples, samples.meta.get("clip_mode"))
        sel = lambda i: None if extra is None else extra[i]  # noqa: E731
        sset = make_scorer_set(opts, augment, names).fit(
            tr.X, tr.y, tr.score, va.X, va.y, va.score, extra=sel(a), extra_val=sel(v))
        return sset.predict(te.X, te.y, sel(test_idx)).astype(np.float64)
    clf = make_classifier(opts, augment, samples).fit(tr.X, tr.y, va.X, va.y)
    return np.asarray(clf.predict(te.X), dtype=object)


def _hits(pred: np.ndarray, samples: Samples, idx: np.ndarray, task: str) -> np.ndarray:
    """Per sample of ``idx``: right (1) or wrong (0): the class, or ``score >= 0.5`` against
    the 0/1 target."""
    if task == "correctness":
        return (np.asarray(pred, float) >= 0.5) == (samples.score[idx] >= 0.5)
    return pred == samples.y[idx]


def check_binary_scores(samples: Samples) -> None:
    """DataError unless every correctness score is 0 or 1 (what correctness selection needs)."""
    s = np.asarray(samples.score, float)
    if not np.isfinite(s).all() or not np.isin(s, (0.0, 1.0)).all():
        raise DataError("selecting correctness scorers needs 0/1 correctness for every sample "
                        "(it compares score >= 0.5 with them)", samples.meta.get("root"),
                        column="correctness")  # fmt: skip


def nested_cross_validate(
    data: str | Path | None,
    recipes: list[Recipe],
    k: int = 5,
    inner_k: int = 3,
    seed: int = 0,
    samples_for: Callable[[SampleOptions], Samples] | None = None,
    log: Callable[[str], None] | None = None,
    score_all: bool = False,
) -> dict[str, Any]:
    """Outer ``k`` grouped folds; inside each, ``inner_k`` grouped folds choose the recipe.

    Returns pooled outer figures (``classification``; ``scoring`` for correctness scorers),
    per fold the inner accuracy of every
    recipe, the chosen recipe and its outer accuracy, and ``predictions`` as
    :func:`~repcoach.models.train.cross_validate`. ``samples_for`` loads the samples of a
    recipe's sample options (default :func:`repcoach.data.samples.load_samples` on ``data``); all
    recipes must give the same samples in the same order (they may differ in channels). All
    recipes share the first one's task; ``score_all`` adds ``candidate_outer`` (every recipe's
    pooled outer accuracy on the same folds)."""

    if not recipes:
        raise ValueError("no recipes to select from")
    task = recipes[0].train_options.task
    if any(r.train_options.task != task for r in recipes):
        raise ValueError("all recipes must have the same task")
    log = log or (lambda _m: None)
    cache: dict[str, Samples] = {}

    def get(r: Recipe) -> Samples:
        key = repr(sorted(r.sample_options.to_dict().items()))
        if key not in cache:
            cache[key] = (samples_for or (lambda o: load_samples(data, o)))(r.sample_options)
        return cache[key]

    base = get(recipes[0])
    for r in recipes[1:]:
        s = get(r)
        if len(s) != len(base) or list(s.clip_id) != list(base.clip_id) or list(s.y) != list(
                base.y):  # fmt: skip
            raise DataError(f"recipe {r.text!r} gives other samples than {recipes[0].text!r} "
                            "(recipes may change channels or length, not how clips are cut)",
                            data)  # fmt: skip
    if task == "correctness":
        check_binary_scores(base)
    groups = group_values(base)
    y = base.y
    # folds stratified by class, and for scorers by correct / incorrect too
    strata = y if task != "correctness" else np.asarray(
        [f"{c}|{int(v >= 0.5)}" for c, v in zip(y, base.score, strict=True)], dtype=object)
    folds = subject_kfold(groups, k=k, seed=seed, labels=strata)
    pred = np.empty(len(base), dtype=object if task != "correctness" else np.float64)
    alone = {r.text: np.zeros(len(base), bool) for r in recipes} if score_all else None
    fold_of = np.full(len(base), -1)
    per_fold: list[dict[str, Any]] = []
    for f, (tr_all, te) in enumerate(folds):
        t0 = time.time()
        inner = subject_kfold(groups[tr_all], k=inner_k, seed=seed + 100 + f,
                              labels=strata[tr_all])  # fmt: skip
        inner_acc: dict[str, float] = {}
        for r in recipes:
            s = get(r)
            hits = 0
            for g, (itr, ite) in enumerate(inner):
                p = fit_predict(s, r.train_options, tr_all[itr], tr_all[ite],
                                seed=r.train_options.seed + 10 * f + g)  # fmt: skip
                hits += int(np.sum(_hits(p, base, tr_all[ite], task)))
            inner_acc[r.text] = hits / len(tr_all)
            log(f"fold {f}: inner accuracy {100 * inner_acc[r.text]:.2f} %  {r.text}")
        best = max(range(len(recipes)), key=lambda i: (inner_acc[recipes[i].text], -i))
        chosen = recipes[best]
        pred[te] = fit_predict(get(chosen), chosen.train_options, tr_all, te,
                               seed=chosen.train_options.seed + f)  # fmt: skip
        fold_of[te] = f
        right = _hits(pred[te], base, te, task)
        acc = float(np.mean(right))
        if alone is not None:
            for i, r in enumerate(recipes):
                alone[r.text][te] = right if i == best else _hits(fit_predict(
                    get(r), r.train_options, tr_all, te, seed=r.train_options.seed + f),
                    base, te, task)  # fmt: skip
        per_fold.append({
            "fold": f, "chosen": chosen.text, "inner_accuracy": inner_acc,
            "outer_accuracy": acc, "n_test": int(len(te)),
            "n_test_groups": len(set(groups[te])), "seconds": round(time.time() - t0, 1),
            "test_groups_seen_in_training": sorted(set(groups[te]) & set(groups[tr_all])),
        })  # fmt: skip
        log(f"fold {f}: chose {chosen.text!r}; outer accuracy {100 * acc:.2f} %")
    classes = sorted(set(map(str, y)))
    out = {
        "task": task, "k": k, "inner_k": inner_k, "n_samples": int(len(base)),
        "n_groups": len(set(groups)), "recipes": [r.text for r in recipes], "folds": per_fold,
        "per_fold_sample_accuracy": [p["outer_accuracy"] for p in per_fold],
        "chosen": [p["chosen"] for p in per_fold],
        "predictions": {"samples": base, "fold": fold_of, "classes": classes,
                        "predicted": pred if task != "correctness" else None, "proba": None,
                        "predicted_score": pred if task == "correctness" else None},
    }  # fmt: skip
    if task == "correctness":
        out["scoring"] = scoring_section(y, base.score, pred.astype(np.float32), base.clip_id)
    else:
        out["classification"] = classification_section(y, pred, classes, base.clip_id)
    if alone is not None:
        out["candidate_outer"] = {t: float(np.mean(h)) for t, h in alone.items()}
    return out
