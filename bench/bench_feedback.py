"""Per-joint "what to fix" cues (:mod:`repcoach.feedback`): accuracy on unseen people.

**Generated data** (``--synth DIR``, a ``repcoach synth`` folder; default: generate
``-n 24 --seed 1`` into a temporary folder). Fit on the first ``--train`` participants of
participants.csv (reference from their correct repetitions; witnesses, weights and thresholds of
every fault rule from their annotations, deviations of each training person taken from a
reference built without them), measure on the others. Fixed before measuring:

* a fault is **present** in a repetition when its weighted deviation (0.45 rom, 0.30 asymmetry,
  0.35 posture, 0.20 tempo times the severity) exceeds 0.06; the **main fault** is the present
  fault with the largest weighted deviation; a rep with none present is **fault-free** (natural
  variation stays below 0.032, the mildest generated fault weighs 0.08);
* recall of fault f = share of reps whose main fault is f with a cue naming f (at most two cues
  per rep); precision of f = share of reps with a cue naming f where f is present (also given:
  where f is the main fault); "overall" pools the four faults; fault-free share = fault-free
  reps with no cue;
* repetition spans are the true ones from annotations.csv (the segmenter is measured elsewhere).

**Personal reference**: for each unseen person and exercise, the 3 repetitions with the lowest
summed fault scores under the population model (label-free) become their reference; both
references are then measured on that person's other repetitions (an oracle variant takes the 3
best annotated scores).

**Metadata**: per unseen person, the reference re-centred by their height, age and weight
(per exercise and feature a least-squares line through the training people's correct reps),
measured on the whole test set, with the held-out R^2 of those lines on the unseen good reps.

**pt_exercises_imu** (``--pt DIR``): IMU features per annotated rep, normalised per subject x
exercise (median of all its reps, label-free, as ``--features rep`` does); reference and rules
per exercise from one subject (too_fast -> tempo, low_amplitude -> rom), the top cue read as
the execution type (tempo -> too fast, rom -> low amplitude, none -> correct) on the other.

**PushFit** (``--pushfit DIR``): each clip one span, reference from the correct clips of the
other source groups (leave one source group out), family rules (range -> rom, left/right ->
asymmetry, trunk / neck -> posture, duration -> tempo) with the z threshold that maximises
balanced accuracy (cue vs incorrect) on the training groups.

    .venv/bin/python bench/bench_feedback.py [--synth DIR] [--pt DIR] [--pushfit DIR] \\
        [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REAL = Path("/work/shared/realdata")


# ------------------------------------------------------------------------------ metrics
def cue_metrics(named: np.ndarray, severities: np.ndarray, top: np.ndarray) -> dict[str, Any]:
    """Recall / precision per fault from ``named`` ``(n, 4)`` (a cue names the fault) and the
    annotated severities; ``top`` the top cue's fault ('' = none)."""
    from repcoach.feedback.cue import FAULTS
    from repcoach.feedback.model import main_faults, present_faults

    main = main_faults(severities)
    pres = present_faults(severities)
    out: dict[str, Any] = {}
    tp_r = n_r = tp_p = n_p = tp_pm = 0
    for k, f in enumerate(FAULTS):
        m = main == f
        c = named[:, k]
        rec = float(c[m].mean()) if m.any() else float("nan")
        prec = float(pres[c, k].mean()) if c.any() else float("nan")
        precm = float(m[c].mean()) if c.any() else float("nan")
        out[f] = {"n_main": int(m.sum()), "n_cued": int(c.sum()), "recall": rec,
                  "precision": prec, "precision_main": precm}
        tp_r += int(c[m].sum())
        n_r += int(m.sum())
        tp_p += int(pres[c, k].sum())
        tp_pm += int(m[c].sum())
        n_p += int(c.sum())
    ff = main == ""
    faulty = ~ff
    out["overall"] = {"n_main": n_r, "n_cued": n_p, "recall": tp_r / max(1, n_r),
                      "precision": tp_p / max(1, n_p), "precision_main": tp_pm / max(1, n_p)}
    out["fault_free"] = {"n": int(ff.sum()),
                         "no_cue": float((~named[ff].any(1)).mean()) if ff.any() else None}
    out["top_cue_is_main"] = float((top[faulty] == main[faulty]).mean()) if faulty.any() else None
    return out


def _apply(model: Any, tab: Any, idx: np.ndarray, models: dict | None = None):
    from repcoach.feedback.cue import FAULTS

    named = np.zeros((len(idx), 4), bool)
    top = np.array([""] * len(idx), dtype=object)
    examples = []
    for j, i in enumerate(idx):
        m = models.get((tab.participants[i], tab.exercises[i]), model) if models else model
        cues = m.cues(tab.exercises[i], tab.features[i], tab.curves[i])
        for c in cues:
            named[j, FAULTS.index(c.fault)] = True
        top[j] = cues[0].fault if cues else ""
        if cues and len(examples) < 12:
            examples.append({"participant": tab.participants[i], "exercise": tab.exercises[i],
                             "severities": np.round(tab.severities[i], 2).tolist(),
                             "cues": [c.to_dict() for c in cues]})
    return named, top, examples


def fit_synth(tab: Any, **kw: Any):
    from repcoach.feedback.model import FeedbackModel, main_faults

    data = {}
    for ex in sorted(set(tab.exercises)):
        s = tab.subset(tab.exercises == ex)
        data[ex] = (s.features, s.curves, s.severities, main_faults(s.severities) == "",
                    s.participants)
    return FeedbackModel.fit(data, **kw)


def bench_synth(root: Path, n_train: int, figure: Path | None = None) -> dict[str, Any]:
    import pandas as pd

    from repcoach.feedback.dataset import load_synth_reps
    from repcoach.feedback.model import FeedbackModel, default_rules

    people = pd.read_csv(root / "participants.csv").sort_values("participant_id")
    names = people["name"].tolist()
    train = set(names[:n_train])
    tab = load_synth_reps(root)
    tr = np.array([p in train for p in tab.participants])
    te_idx = np.flatnonzero(~tr)
    model = fit_synth(tab.subset(tr))
    res: dict[str, Any] = {"train_participants": sorted(train), "n_train_reps": int(tr.sum()),
                           "n_test_reps": len(te_idx),
                           "test_participants": sorted(set(tab.participants[~tr]))}
    named, top, ex = _apply(model, tab, te_idx)
    res["learned"] = cue_metrics(named, tab.severities[te_idx], top)
    res["examples"] = ex
    res["rules"] = {e: {k: {"witnesses": r.witnesses, "threshold": round(r.threshold, 3)}
                        for k, r in ref.rules.items()} for e, ref in model.exercises.items()}
    fam = FeedbackModel({e: _with_rules(r, default_rules(list(r.features)))
                         for e, r in model.exercises.items()})
    named_f, top_f, _ = _apply(fam, tab, te_idx)
    res["family_rules_z3"] = cue_metrics(named_f, tab.severities[te_idx], top_f)
    res["personal"] = personal_comparison(model, tab, te_idx)
    res["metadata"] = metadata_comparison(model, tab, tr, te_idx, people)
    if figure is not None:
        plot_reference(model, tab, te_idx, figure)
    return res


def plot_reference(model: Any, tab: Any, te_idx: np.ndarray, path: Path) -> None:
    """JJ: reference mean +- 2 spreads over the phase, and unseen reps by main fault."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from repcoach.feedback.model import main_faults

    ref = model.exercises["JJ"]
    panels = [("frontal.shoulder_l", "left shoulder abduction (frontal view), deg"),
              ("side.trunk", "trunk lean (side view), deg"),
              ("frontal.wrist_height_l", "left hand height (frontal), torso lengths")]
    idx = [i for i in te_idx if tab.exercises[i] == "JJ"]
    main = main_faults(tab.severities[idx])
    colours = {"": "tab:green", "rom": "tab:red", "asymmetry": "tab:purple",
               "posture": "tab:orange", "tempo": "tab:blue"}
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 4.2))
    for ax, (key, title) in zip(axes, panels, strict=True):
        m, sd = (np.asarray(v) for v in ref.curves[key])
        ph = np.linspace(0, 1, len(m))
        ax.fill_between(ph, m - 2 * sd, m + 2 * sd, color="0.85", label="good reps ±2 sd")
        ax.plot(ph, m, color="k", lw=2, label="reference mean")
        shown: set[str] = set()
        for i, f in zip(idx, main, strict=True):
            if key in tab.curves[i] and list(main).count(f) and (f not in shown or f == ""):
                if f in shown and f != "":
                    continue
                ax.plot(ph, tab.curves[i][key], color=colours[f], lw=1,
                        alpha=0.5 if f == "" else 0.9,
                        label=None if f in shown else (f or "fault-free") + " (unseen)")
                shown.add(f)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("phase of the repetition")
    axes[0].legend(fontsize=8)
    fig.suptitle("Jumping jacks: reference from correct training reps vs unseen people's reps")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _with_rules(ref: Any, rules: dict) -> Any:
    from dataclasses import replace

    return replace(ref, rules=rules)


def personal_comparison(model: Any, tab: Any, te_idx: np.ndarray, k: int = 3) -> dict[str, Any]:
    """Population vs personal reference on each unseen person's reps other than their k best."""
    out: dict[str, Any] = {}
    for how in ("label_free", "oracle_score"):
        eval_idx, models = [], {}
        for key in sorted({(tab.participants[i], tab.exercises[i]) for i in te_idx}):
            idx = np.array([i for i in te_idx
                            if (tab.participants[i], tab.exercises[i]) == key])
            if how == "oracle_score":
                order = np.argsort(-tab.scores[idx])
            else:
                s = [sum(max(0.0, v) for v in model.fault_scores(key[1], tab.features[i])
                         .values()) for i in idx]
                order = np.argsort(s)
            best, rest = idx[order[:k]], idx[order[k:]]
            models[key] = model.personal(key[1], [tab.features[i] for i in best],
                                         [tab.curves[i] for i in best])
            eval_idx += rest.tolist()
        ei = np.array(eval_idx)
        n_pop, t_pop, _ = _apply(model, tab, ei)
        n_per, t_per, _ = _apply(model, tab, ei, models)
        out[how] = {"n_reps": len(ei),
                    "population": cue_metrics(n_pop, tab.severities[ei], t_pop),
                    "personal": cue_metrics(n_per, tab.severities[ei], t_per)}
    return out


META = ("height_cm", "age", "weight_kg")


def metadata_comparison(model: Any, tab: Any, tr: np.ndarray, te_idx: np.ndarray,
                        people: Any) -> dict[str, Any]:
    """Population reference vs one re-centred per unseen person by their metadata (height, age,
    weight): per exercise and feature a least-squares line through the training people's
    correct reps, the person's reference median = population median + the line's offset."""
    from repcoach.feedback.model import main_faults

    meta = people.set_index("name")[list(META)].astype(float)
    mu = meta.loc[sorted(set(tab.participants[tr]))].mean().to_numpy()
    good = main_faults(tab.severities) == ""
    models, r2 = {}, []
    for ex, ref in model.exercises.items():
        rows = np.flatnonzero(tr & good & (tab.exercises == ex))
        x = meta.loc[tab.participants[rows]].to_numpy() - mu
        xt = np.flatnonzero(~tr & good & (tab.exercises == ex))
        coef = {}
        for k in ref.features:
            y = np.array([tab.features[i].get(k, np.nan) for i in rows])
            ok = np.isfinite(y)
            if ok.sum() < 10:
                continue
            b, *_ = np.linalg.lstsq(np.c_[np.ones(ok.sum()), x[ok]], y[ok], rcond=None)
            coef[k] = b[1:]
            yt = np.array([tab.features[i].get(k, np.nan) for i in xt])
            xm = meta.loc[tab.participants[xt]].to_numpy() - mu
            okt = np.isfinite(yt)
            if okt.sum() > 5 and np.var(yt[okt]) > 0:  # held-out share of spread explained
                pred = b[0] + xm[okt] @ b[1:]
                r2.append(1 - np.mean((yt[okt] - pred) ** 2) / np.var(yt[okt]))
        for p in sorted(set(tab.participants[te_idx])):
            off = meta.loc[p].to_numpy() - mu
            feats = {k: (m + float(coef[k] @ off) if k in coef else m, sc)
                     for k, (m, sc) in ref.features.items()}
            exs = dict(model.exercises)
            exs[ex] = _replace(ref, features=feats)
            models[(p, ex)] = _replace(model, exercises=exs)
    n_m, t_m, _ = _apply(model, tab, te_idx, models)
    return {"heldout_r2_median": float(np.median(r2)) if r2 else None,
            "heldout_r2_share_above_0.1": float(np.mean(np.array(r2) > 0.1)) if r2 else None,
            "metadata": cue_metrics(n_m, tab.severities[te_idx], t_m)}


def _replace(obj: Any, **kw: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **kw)


# ------------------------------------------------------------------------------ printing
def print_table(title: str, m: dict[str, Any]) -> None:
    print(f"\n{title}")
    print("| fault | main-fault reps | recall | precision (present) | precision (main) |")
    print("|---|---|---|---|---|")
    for f in ("rom", "asymmetry", "posture", "tempo", "overall"):
        r = m[f]
        print(f"| {f} | {r['n_main']} | {_p(r['recall'])} | {_p(r['precision'])} | "
              f"{_p(r['precision_main'])} |")
    print(f"fault-free reps with no cue: {_p(m['fault_free']['no_cue'])} "
          f"(n={m['fault_free']['n']}); top cue = main fault: {_p(m['top_cue_is_main'])}")


def _p(v: float | None) -> str:
    return "-" if v is None or v != v else f"{100 * v:.1f} %"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synth", type=Path, default=None, help="a `repcoach synth` folder")
    ap.add_argument("--train", type=int, default=16, help="training participants (first N)")
    ap.add_argument("--pt", type=Path, default=REAL / "pt_exercises_imu")
    ap.add_argument("--pushfit", type=Path, default=REAL / "pushfit_pushup_form")
    ap.add_argument("--skip", default="",
                    help="comma list of parts to skip: synth,synth_imu,pt,pushfit")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--figure", type=Path, default=None,
                    help="PNG: JJ reference curves with unseen good / faulty reps")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    out: dict[str, Any] = {}
    if "synth" not in skip:
        root = args.synth
        tmp = None
        if root is None:
            from repcoach.synth import generate_dataset

            tmp = tempfile.TemporaryDirectory()
            root = Path(tmp.name)
            generate_dataset(root, n_participants=24, seed=1, modalities=("pose", "imu"),
                             progress=False)
        out["synth"] = bench_synth(root, args.train, args.figure)
        s = out["synth"]
        print(f"generated data: fit on {len(s['train_participants'])} participants "
              f"({s['n_train_reps']} reps), measured on {len(s['test_participants'])} unseen "
              f"({s['n_test_reps']} reps)")
        print_table("learned rules (population reference)", s["learned"])
        print_table("family rules, z >= 3 (no fault labels)", s["family_rules_z3"])
        for how, r in s["personal"].items():
            print_table(f"population reference, {how} comparison set ({r['n_reps']} reps)",
                        r["population"])
            print_table(f"personal reference ({how}: 3 best reps)", r["personal"])
        md = s["metadata"]
        print(f"\nmetadata (height, age, weight): held-out R^2 of good reps' features, median "
              f"{md['heldout_r2_median']:.3f}, share > 0.1: {_p(md['heldout_r2_share_above_0.1'])}")
        print_table("reference re-centred by metadata", md["metadata"])
        for e in s["examples"][:6]:
            print(e["exercise"], e["severities"], [c["text"] for c in e["cues"]])
        if "synth_imu" not in skip and any(root.glob("*/*/imu")):
            from bench_feedback_real import bench_synth_imu  # noqa: PLC0415

            out["synth_imu"] = bench_synth_imu(root, args.train)
        if tmp is not None:
            tmp.cleanup()
    if "pt" not in skip and (args.pt / "index.csv").exists():
        from bench_feedback_real import bench_pt  # noqa: PLC0415

        out["pt_exercises_imu"] = bench_pt(args.pt)
    if "pushfit" not in skip and (args.pushfit / "index.csv").exists():
        from bench_feedback_real import bench_pushfit  # noqa: PLC0415

        out["pushfit"] = bench_pushfit(args.pushfit)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=_json))
    return 0


def _json(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Counter):
        return dict(o)
    raise TypeError(type(o))


if __name__ == "__main__":
    sys.exit(main())
