"""Honest model selection on Penn Action: an off-the-shelf MiniRocket baseline and nested
selection over recipes, on the same outer folds, in one run.

    PYTHONPATH=src .venv/bin/python bench/bench_nested.py --data PENN --out /tmp/nested \
        [--recipes "--arch rocket;--arch cnn_deep ..."] [--folds 5] [--inner-folds 3] \
        [--only baseline|nested]

Baseline: this project's MiniRocket transform (repcoach.models.rocket, 10,000 features, seed 0)
+ scikit-learn ``RidgeClassifierCV(alphas=logspace(-3, 3, 10))`` (its leave-one-out alpha choice
uses the training folds only), on the data README's protocol: hip-centred, torso-scaled,
64 frames, one sample per clip (``--clip-mode whole``). Nested: :mod:`repcoach.evaluation.nested`,
outer folds = ``subject_kfold(groups, k, seed=0, labels)``, the same folds as the baseline and
as ``repcoach crossval``. Writes ``<out>/bench_nested.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_RECIPES = ("--arch rocket;"
                   "--arch cnn_deep --presence --root-motion --mirror-average --occlusion 0.3")


def baseline(samples, folds, seed: int = 0) -> dict:
    """MiniRocket features + RidgeClassifierCV per outer fold."""
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from repcoach.models.rocket import fit_spec, rocket_features

    pred = np.empty(len(samples), dtype=object)
    per_fold, t0 = [], time.time()
    for tr, te in folds:
        spec = fit_spec(samples.X[tr], seed=seed)
        f_tr, f_te = rocket_features(spec, samples.X[tr]), rocket_features(spec, samples.X[te])
        clf = make_pipeline(StandardScaler(with_mean=True),
                            RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))  # fmt: skip
        clf.fit(f_tr, samples.y[tr].astype(str))
        pred[te] = clf.predict(f_te)
        per_fold.append(float(np.mean(pred[te] == samples.y[te].astype(str))))
        print(f"baseline fold {len(per_fold) - 1}: {100 * per_fold[-1]:.2f} %  "
              f"alpha {clf[-1].alpha_:.3g}", flush=True)
    err = np.flatnonzero(pred != samples.y.astype(str))
    return {"accuracy": float(np.mean(pred == samples.y.astype(str))), "per_fold": per_fold,
            "errors": [str(samples.clip_id[i]) for i in err], "seconds": round(time.time() - t0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_nested"))
    ap.add_argument("--recipes", default=DEFAULT_RECIPES)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner-folds", type=int, default=3)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--only", choices=("baseline", "nested"), default=None)
    args = ap.parse_args()

    from repcoach.data.sample_splits import group_values
    from repcoach.data.samples import SampleOptions, load_samples
    from repcoach.data.splits import subject_kfold
    from repcoach.evaluation.nested import nested_cross_validate, parse_recipes
    from repcoach.models.train import TrainOptions

    sopts = SampleOptions(seq_len=args.seq_len, clip_mode="whole", progress=False)
    samples = load_samples(args.data, sopts)
    folds = subject_kfold(group_values(samples), k=args.folds, seed=0, labels=samples.y)
    result: dict = {"data": str(args.data), "n_samples": len(samples), "folds": args.folds,
                    "seq_len": args.seq_len, "clip_mode": "whole"}  # fmt: skip
    if args.only != "nested":
        result["baseline_minirocket_ridge"] = baseline(samples, folds)
        acc = result["baseline_minirocket_ridge"]["accuracy"]
        print(f"baseline MiniRocket + ridge: {100 * acc:.2f} %", flush=True)
    if args.only != "baseline":
        t0 = time.time()
        recipes = parse_recipes(args.recipes, sopts, TrainOptions(verbose=0))
        cv = nested_cross_validate(args.data, recipes, k=args.folds, inner_k=args.inner_folds,
                                   seed=0, log=lambda m: print(m, flush=True))  # fmt: skip
        s = cv["classification"]["sample"]
        result["nested"] = {"accuracy": s["accuracy"], "recipes": cv["recipes"],
                            "inner_k": cv["inner_k"], "folds": cv["folds"],
                            "seconds": round(time.time() - t0)}  # fmt: skip
        print(f"nested selection: {100 * s['accuracy']:.2f} %; chosen {cv['chosen']}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_nested.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {args.out / 'bench_nested.json'}")


if __name__ == "__main__":
    main()
