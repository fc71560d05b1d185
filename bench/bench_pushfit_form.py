"""PushFit push-up form (correct vs incorrect) from push-up form features and a small model.

Per clip, :func:`repcoach.pose.pushup_form.pushup_form_features` (body line, hip offset, knee,
elbow and neck angles, shoulder travel, body tilt; 19 numbers) on aspect-corrected landmarks
(x scaled by index.csv width/height, as training does), then a random forest (300 trees,
min_samples_leaf 3) or a logistic regression. Measured three ways, with the same fold and split
code as ``repcoach crossval`` / ``repcoach train``:

- 5-fold CV **ungrouped** (each clip its own group; PushFit's neighbouring clips are often cut
  from one recording, so this flatters every model), mean of fold seeds 0, 1, 2;
- 5-fold CV **grouped by source_group** (resolution + fps = the Kaggle source collection,
  held out together; groups are confounded with the label, see the data README);
- the **held-out split** ``repcoach train --clip-mode whole`` makes (70/15/15 by clip, seed 0):
  fit on its train + val clips, accuracy on its test clips.

No choice here was tuned on these figures except picking the model family (two were tried,
both reported). Needs the PushFit folder (not shipped):

    .venv/bin/python bench/bench_pushfit_form.py [--data /work/shared/realdata/pushfit_pushup_form]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path("/work/shared/realdata/pushfit_pushup_form")


def clip_features(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X, correct 0/1, source_group, clip file)`` for every clip with a detected pose."""
    from repcoach.data.samples import aspect_corrected
    from repcoach.io.indexed import load_index
    from repcoach.pose.pushup_form import feature_vector, pushup_form_features

    ds = load_index(root)
    groups = ds.column("source_group")
    xs, ys, gs, files = [], [], [], []
    for row, grp in zip(ds.rows, groups, strict=True):
        seq = aspect_corrected(ds.read_pose(row), row.width, row.height)
        xs.append(feature_vector(pushup_form_features(seq)))
        ys.append(int(row.correctness))
        gs.append(grp)
        files.append(row.file)
    x = np.asarray(xs)
    # a feature never seen in a clip: the training median (NaN-safe for both models)
    x = np.where(np.isfinite(x), x, np.nanmedian(x, axis=0))
    return x, np.asarray(ys), np.asarray(gs, dtype=object), np.asarray(files, dtype=object)


def models() -> dict:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "random forest": lambda: RandomForestClassifier(300, min_samples_leaf=3, random_state=0),
        "logistic regression": lambda: make_pipeline(
            StandardScaler(), LogisticRegression(C=0.3, max_iter=2000)),
    }  # fmt: skip


def cv_accuracy(make, x, y, groups, seeds) -> list[float]:
    from repcoach.data.splits import subject_kfold

    out = []
    for seed in seeds:
        pred = np.zeros(len(y), int)
        for tr, te in subject_kfold(groups, k=5, seed=seed, labels=y.astype(str)):
            pred[te] = make().fit(x[tr], y[tr]).predict(x[te])
        out.append(float(np.mean(pred == y)))
    return out


def held_out_split(root: Path, files: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (fit, test) of the clips in ``repcoach train``'s default split."""
    from repcoach.data.sample_splits import make_split
    from repcoach.data.samples import SampleOptions, load_samples

    samples = load_samples(root, SampleOptions(clip_mode="whole", progress=False))
    idx, _ = make_split(samples, (0.7, 0.15, 0.15), seed=0)
    test = set(samples.clip_id[idx["test"]])
    is_test = np.array([f in test for f in files])
    return ~is_test, is_test


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    if not (args.data / "index.csv").exists():
        print(f"PushFit data not found at {args.data}", file=sys.stderr)
        return 2
    x, y, g, files = clip_features(args.data)
    clip_groups = np.array([f"clip:{f}" for f in files])
    src_groups = np.array([f"group:{v}" for v in g])
    fit, test = held_out_split(args.data, files)
    res: dict = {"n_clips": len(y), "majority": float(max(y.mean(), 1 - y.mean())),
                 "n_test_clips": int(test.sum()), "models": {}}  # fmt: skip
    for name, make in models().items():
        ung = cv_accuracy(make, x, y, clip_groups, seeds=(0, 1, 2))
        grp = cv_accuracy(make, x, y, src_groups, seeds=(0,))
        held = float(np.mean(make().fit(x[fit], y[fit]).predict(x[test]) == y[test]))
        res["models"][name] = {"cv_ungrouped": ung, "cv_ungrouped_mean": float(np.mean(ung)),
                               "cv_grouped_source": grp[0], "held_out": held}  # fmt: skip
        print(f"{name:20s} 5-fold ungrouped {100 * np.mean(ung):.1f} % "
              f"({', '.join(f'{100 * a:.1f}' for a in ung)}), grouped by source_group "
              f"{100 * grp[0]:.1f} %, held-out {100 * held:.1f} % on {int(test.sum())} clips")
    print(f"{len(y)} clips, majority class {100 * res['majority']:.1f} %")
    if args.json:
        from repcoach.io.atomic import write_json

        write_json(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
