"""PushFit push-up form (correct vs incorrect) under grouped nested selection, beside MiniRocket
and 1-NN DTW on the same outer folds, in one run.

    PYTHONPATH=src nice -n 10 .venv/bin/python bench/bench_pushfit_nested.py \
        [--data ../shared/realdata/pushfit_pushup_form] [--out /tmp/pushfit_nested] \
        [--folds 5] [--inner-folds 3] [--seed 0] [--round 1|2|3] [--skip mlp,rocket]
        [--protocol sources|blocks] [--repeats N]

Groups (``--protocol sources``, the default): ``source_group`` (the Kaggle source collection,
near-duplicate clips) held out together in every outer and inner fold. ``--protocol blocks``:
within each source, label and form, the clips in index.csv order cut into 5 contiguous blocks
(``SampleOptions(group_blocks=5)``, as ``repcoach crossval --group-blocks 5``), each held out
whole: the protocol of the data's own later-blocks holdout (the same sources, later clips),
which the sources protocol is harder than. Outer folds: ``subject_kfold(groups, 5, seed 0, labels)``
(stratified by correct / incorrect); inner: 3 grouped folds of each outer
training part (:func:`repcoach.evaluation.nested_select.nested_select`). The candidates
(:func:`candidates`) were written down before any nested or grouped run of them:

- the 19 push-up form features (:mod:`repcoach.pose.pushup_form`) + random forest / logistic
  regression (bench models) / the MLP scorer (``repcoach train --scorer-inputs form
  --scorer-arch mlp``, exportable; predicted score >= 0.5 = correct);
- 1-NN and 5-NN DTW (band 10 %) on per-frame form signals (:mod:`repcoach.pose.pushup_signals`,
  64 frames, fixed scaling), 1-NN DTW on the same signals z-scored per clip (bench models);
- MiniRocket (10,000 features, seed 0) + ridge on the form signals and on the joints (the data
  README's input: hip-centred, torso-scaled, 64 frames; = ``--arch rocket``'s transform);
- 1-NN DTW on the joints, full window (the off-the-shelf baseline);
- random forest + 5-NN DTW on form signals, mean class probability (a cross-family ensemble).

Every candidate is also scored on the outer folds (``candidate_outer``: its plain grouped
5-fold figure; the selection never sees it); the MiniRocket-on-joints and 1-NN-DTW-on-joints
lines are the off-the-shelf baselines on the same folds. Writes ``<out>/bench_pushfit_nested.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
DEFAULT_DATA = Path(__file__).resolve().parents[1] / "../shared/realdata/pushfit_pushup_form"


def load(root: Path, group_blocks: int = 0) -> dict:
    """Per clip: form features, form signals, joints, labels (1 = correct), groups; and the
    samples (for the MLP scorer; grouped by ``source_group``, cut into ``group_blocks`` blocks
    when given), all in index.csv order."""
    from repcoach.data.samples import SampleOptions, aspect_corrected, load_samples
    from repcoach.io.indexed import load_index
    from repcoach.pose.pushup_form import feature_vector, pushup_form_features
    from repcoach.pose.pushup_signals import form_signals

    ds = load_index(root)
    feats, sigs, sigs3, ys, files = [], [], [], [], []
    for row in ds.rows:
        seq = aspect_corrected(ds.read_pose(row), row.width, row.height)
        feats.append(feature_vector(pushup_form_features(seq)))
        sigs.append(form_signals(seq, length=64))
        sigs3.append(form_signals(seq, length=64, dims=3))
        ys.append(int(row.correctness))
        files.append(row.file)
    x = np.asarray(feats)
    x = np.where(np.isfinite(x), x, np.nanmedian(x, axis=0))
    samples = load_samples(root, SampleOptions(seq_len=64, clip_mode="whole",
                                                group_blocks=group_blocks,
                                                group_col="source_group", progress=False))
    pos = {str(c): i for i, c in enumerate(samples.clip_id)}
    order = np.array([pos[f] for f in files])
    samples = samples.subset(order)
    return {"features": x, "signals": np.asarray(sigs), "signals3": np.asarray(sigs3),
            "joints": samples.X, "y": np.asarray(ys),
            "groups": np.asarray(ds.column("source_group"), dtype=object), "files": files,
            "samples": samples, "order": order}  # fmt: skip


def _rocket(x: np.ndarray, y: np.ndarray):
    """fit_predict for MiniRocket (transform fitted on the training part) + ridge."""
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from repcoach.models.rocket import fit_spec, rocket_features

    def fp(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        spec = fit_spec(x[tr], seed=0)
        clf = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))
        clf.fit(rocket_features(spec, x[tr]), y[tr])
        return clf.predict(rocket_features(spec, x[te]))

    return fp


def _forest_scorer(samples, y: np.ndarray, inputs: str):
    """fit_predict for the ``repcoach train --scorer-arch forest`` scorer (exportable: frozen
    Keras layers) on the scorer inputs ``inputs`` (form | signals | form+signals); all of the
    training part fits the forest (it has no epochs to stop early)."""
    from repcoach.data.scorer_inputs import resolve_scorer_inputs, samples_values
    from repcoach.models.train import TrainOptions, make_scorer_set

    names = resolve_scorer_inputs(inputs, "whole")
    extra = samples_values(names, samples)

    def fp(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        opts = TrainOptions(task="correctness", scorer_arch="forest", scorer_inputs=inputs,
                            verbose=0, seed=0)  # fmt: skip
        s = make_scorer_set(opts, None, names).fit(
            samples.X[tr], samples.y[tr], y[tr].astype(float), extra=extra[tr])
        return (s.predict(samples.X[te], samples.y[te], extra[te]) >= 0.5).astype(int)

    return fp


def _mlp_scorer(samples, y: np.ndarray):
    """fit_predict for the ``repcoach train`` MLP scorer on the form features."""
    from repcoach.data.sample_splits import group_values
    from repcoach.data.scorer_inputs import FORM_INPUTS, samples_values
    from repcoach.data.splits import subject_split
    from repcoach.models.train import TrainOptions, make_scorer_set

    extra = samples_values(FORM_INPUTS, samples)
    groups = group_values(samples)

    def fp(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        part = subject_split(samples.subject[tr], samples.y[tr], (0.85, 0.15, 0.0), seed=0,
                             groups=groups[tr])  # fmt: skip
        a, v = tr[part["train"]], tr[part["val"]]
        opts = TrainOptions(task="correctness", scorer_arch="mlp", scorer_inputs="form",
                            verbose=0, seed=0)  # fmt: skip
        s = make_scorer_set(opts, None, FORM_INPUTS).fit(
            samples.X[a], samples.y[a], y[a].astype(float), samples.X[v], samples.y[v],
            y[v].astype(float), extra=extra[a], extra_val=extra[v])  # fmt: skip
        return (s.predict(samples.X[te], samples.y[te], extra[te]) >= 0.5).astype(int)

    return fp


def candidates(d: dict, skip: set[str], round_: int = 1) -> dict:
    """name -> fit_predict(train_idx, test_idx), in tie-break order. Round 1 was fixed before
    any run; round 2 adds candidates written after seeing round 1's figures; round 3 is the
    exportable forest scorers alone (written after rounds 1-2 and after plain grouped CLI runs
    of them), then the two off-the-shelf baselines."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from repcoach.models.dtw import KNeighborsDTW, dtw_distances
    from repcoach.pose.pushup_signals import signal_statistics, zscore_per_clip

    x, y, sig, sig3 = d["features"], d["y"], d["signals"], d["signals3"]
    if round_ == 3:
        return _round3(d, skip)
    t0 = time.time()
    dist = {"form": dtw_distances(sig, sig, 0.1),
            "form_z": dtw_distances(zscore_per_clip(sig), zscore_per_clip(sig), 0.1),
            "joints": dtw_distances(d["joints"], d["joints"], None)}  # fmt: skip
    if round_ >= 2:
        dist["form3"] = dtw_distances(sig3, sig3, 0.1)
    print(f"DTW distances of all pairs: {time.time() - t0:.0f} s", flush=True)

    def forest(tr, te, proba=False, x=x):
        m = RandomForestClassifier(300, min_samples_leaf=3, random_state=0).fit(x[tr], y[tr])
        return m.predict_proba(x[te]) if proba else m.predict(x[te])

    def logreg(tr, te):
        m = make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=2000))
        return m.fit(x[tr], y[tr]).predict(x[te])

    def knn(key, k, proba=False):
        def fp(tr, te):
            m = KNeighborsDTW(n_neighbors=k).fit(sig[tr], y[tr])
            dd = dist[key][np.ix_(te, tr)]
            return m.proba_from_distances(dd) if proba else m.predict_from_distances(dd)
        return fp

    def ensemble(tr, te):
        p = (forest(tr, te, proba=True) + knn("form", 5, proba=True)(tr, te)) / 2
        return np.unique(y[tr])[np.argmax(p, axis=1)]

    out = {
        "form features + random forest": forest,
        "form features + logistic regression": logreg,
        "form features + MLP scorer (repcoach train)": None if "mlp" in skip else _mlp_scorer(
            d["samples"], y),
        "1-NN DTW, form signals, band 10 %": knn("form", 1),
        "5-NN DTW, form signals, band 10 %": knn("form", 5),
        "1-NN DTW, z-scored form signals, band 10 %": knn("form_z", 1),
        "MiniRocket + ridge, form signals": None if "rocket" in skip else _rocket(sig, y),
        "MiniRocket + ridge, joints (off-the-shelf)": None if "rocket" in skip else _rocket(
            d["joints"], y),
        "1-NN DTW, joints, full window (off-the-shelf)": knn("joints", 1),
        "random forest + 5-NN DTW form signals, mean probability": ensemble,
    }  # fmt: skip
    if round_ >= 2:
        stats3 = signal_statistics(sig3)
        out.update({
            "1-NN DTW, 3-D form signals, band 10 %": knn("form3", 1),
            "MiniRocket + ridge, 3-D form signals": None if "rocket" in skip else _rocket(sig3, y),
            "3-D form signal statistics + random forest": lambda tr, te: forest(tr, te, x=stats3),
        })  # fmt: skip
    return {k: v for k, v in out.items() if v is not None}


def _round3(d: dict, skip: set[str]) -> dict:
    """Round 3: the ``repcoach train --scorer-arch forest`` scorers, then the baselines."""
    from repcoach.models.dtw import KNeighborsDTW, dtw_distances

    y = d["y"]
    dist = dtw_distances(d["joints"], d["joints"], None)

    def knn_joints(tr, te):
        m = KNeighborsDTW(n_neighbors=1).fit(d["joints"][tr], y[tr])
        return m.predict_from_distances(dist[np.ix_(te, tr)])

    out = {f"forest scorer, --scorer-inputs {m} (repcoach train)": _forest_scorer(
        d["samples"], y, m) for m in ("form", "signals", "form+signals")}
    if "rocket" not in skip:
        out["MiniRocket + ridge, joints (off-the-shelf)"] = _rocket(d["joints"], y)
    out["1-NN DTW, joints, full window (off-the-shelf)"] = knn_joints
    return out


def _print_run(res: dict, y: np.ndarray, args: argparse.Namespace) -> None:
    """One nested run: the choice and outer accuracy per fold, every candidate's figure."""
    print(f"\n{len(y)} clips, {res['n_groups']} groups ({args.protocol}), majority class "
          f"{100 * max(y.mean(), 1 - y.mean()):.1f} %; grouped {args.folds}-fold outer, "
          f"{args.inner_folds} inner, fold seed {res['seed']}")  # fmt: skip
    for f in res["folds"]:
        print(f"  fold {f['fold']}: {f['n_test']:3d} clips {f['test_groups']}: chose "
              f"{f['chosen']!r} -> {100 * f['outer_accuracy']:.1f} %")
    print(f"NESTED SELECTION: {100 * res['accuracy']:.1f} %")
    print("every candidate on the same outer folds (plain grouped CV, not used to choose):")
    for n, a in res["candidate_outer"].items():
        print(f"  {100 * a:5.1f} %  {n}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=Path("/tmp/pushfit_nested"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner-folds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0, help="outer / inner fold seed")
    ap.add_argument("--repeats", type=int, default=1,
                    help="run with fold seeds SEED .. SEED+N-1 and print the means")
    ap.add_argument("--round", type=int, choices=(1, 2, 3), default=1,
                    help="1: the candidates fixed before any run; 2: + those added after it; "
                    "3: the exportable forest scorers and the baselines")
    ap.add_argument("--protocol", choices=("sources", "blocks"), default="sources",
                    help="hold out whole sources, or contiguous blocks of clips per source and "
                    "label (the later-blocks holdout's protocol)")
    ap.add_argument("--skip", default="", help="comma list: mlp, rocket (slow Keras candidates)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    if not (args.data / "index.csv").exists():
        print(f"PushFit data not found at {args.data}", file=sys.stderr)
        return 2
    from repcoach.evaluation.nested_select import nested_select
    from repcoach.io.atomic import write_json

    t0 = time.time()
    d = load(args.data, 5 if args.protocol == "blocks" else 0)
    y = d["y"]
    if args.protocol == "blocks":
        from repcoach.data.sample_splits import group_values

        g = group_values(d["samples"])
    else:
        g = np.asarray([f"group:{v}" for v in d["groups"]])
    cands = candidates(d, set(filter(None, args.skip.split(","))), args.round)
    runs = []
    for seed in range(args.seed, args.seed + args.repeats):
        if args.repeats > 1:
            print(f"\n=== fold seed {seed} ({seed - args.seed + 1} of {args.repeats}) ===")
        res = nested_select(cands, y, g, k=args.folds, inner_k=args.inner_folds, seed=seed,
                            score_all=True, log=lambda m: print(m, flush=True))  # fmt: skip
        _print_run(res, y, args)
        res.pop("predicted")
        runs.append(res)
    out = {"data": str(args.data), "round": args.round, "protocol": args.protocol,
           "n_clips": int(len(y)), "majority": float(max(y.mean(), 1 - y.mean())),
           "runs": runs}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    if args.repeats > 1:
        from repcoach.evaluation.repeats import plot_repeats, summarise_repeats

        summary = summarise_repeats(
            [{"accuracy": r["accuracy"], "nested_selection": r} for r in runs],
            [r["seed"] for r in runs])  # fmt: skip
        out["summary"] = summary
        print(f"\nMEAN OVER {args.repeats} FOLD SEEDS {summary['seeds']}: nested "
              f"{100 * summary['mean']:.1f} % (sd {100 * summary['sd']:.1f}, range "
              f"{100 * summary['min']:.1f}-{100 * summary['max']:.1f})")  # fmt: skip
        for n, c in summary["candidate_outer"].items():
            per = " ".join(f"{100 * a:.1f}" for a in c["accuracy"])
            print(f"  {100 * c['mean']:5.1f} % (sd {100 * c['sd']:.1f}; {per})  {n}")
        print(f"  chosen (repeats x folds): {summary['chosen']}")
        plot_repeats(summary, args.out / "repeats.png",
                     f"PushFit, {args.protocol} protocol, {args.repeats} fold seeds")  # fmt: skip
    out["seconds"] = round(time.time() - t0)
    write_json(args.out / "bench_pushfit_nested.json", out)
    print(f"wrote {args.out / 'bench_pushfit_nested.json'} ({out['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
