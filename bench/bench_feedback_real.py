"""Real-data parts of bench/bench_feedback.py: pt_exercises_imu execution type as a cue, and
PushFit cues on correct / incorrect push-up clips (see that file's docstring)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

#: execution type -> the fault a cue should name (None = correct: no cue)
PT_FAULT = {"correct": None, "too_fast": "tempo", "low_amplitude": "rom"}


def pt_rep_table(root: Path) -> dict[str, list]:
    """Per annotated repetition: features (per subject x exercise median removed), execution
    type, subject, exercise."""
    from repcoach.imu.feedback_features import imu_rep_features, imu_sites
    from repcoach.imu.load import load_imu_recording
    from repcoach.io.imu_csv import read_imu_index, read_rep_annotations

    ann = read_rep_annotations(root)
    rows: dict[str, list] = {"features": [], "type": [], "subject": [], "exercise": []}
    for e in read_imu_index(root):
        reps = ann.get(str(e.path.relative_to(root)), [])
        reps = [r for r in reps if r.execution_type in PT_FAULT]
        if not reps:
            continue
        rec = load_imu_recording(e)
        sites = imu_sites(rec)
        place = dict(p.split("=") for p in str(e.extra.get("unit_placement", "")).split(";")
                     if "=" in p)
        for f, r in zip(imu_rep_features(rec, [(r.start_s, r.end_s) for r in reps], sites),
                        reps, strict=True):
            f = {_rename(k, place): v for k, v in f.items()}
            rows["features"].append(f)
            rows["type"].append(r.execution_type)
            rows["subject"].append(str(e.subject))
            rows["exercise"].append(str(e.label))
    # label-free per-person centring: subtract each subject x exercise median of every feature
    groups = [f"{s}|{x}" for s, x in zip(rows["subject"], rows["exercise"], strict=True)]
    for g in set(groups):
        idx = [i for i, gg in enumerate(groups) if gg == g]
        keys = {k for i in idx for k in rows["features"][i]}
        for k in keys:
            if k == "duration":
                continue
            src = "duration" if k == "tempo" else k
            vals = np.array([rows["features"][i].get(src, np.nan) for i in idx], float)
            if src == "duration":
                vals = np.log(vals)
            med = np.nanmedian(vals)
            for i, v in zip(idx, vals, strict=True):
                rows["features"][i][k] = float(v - med)
    # placement-free summaries (sensor sites differ between exercises): mean over the sites
    for f in rows["features"]:
        for st in ("range", "rotation", "gyro_rms", "gyro_peak"):
            v = [x for k, x in f.items() if k.endswith(f".{st}") and np.isfinite(x)]
            f[f"all_sensors.{st}"] = float(np.mean(v)) if v else float("nan")
    return rows


def _rename(key: str, place: dict[str, str]) -> str:
    site, _, rest = key.partition(".")
    return f"{place[site]}.{rest}" if rest and site in place else key


def bench_pt(root: Path) -> dict[str, Any]:
    from repcoach.feedback.cue import FAULTS
    from repcoach.feedback.model import FeedbackModel

    rows = pt_rep_table(root)
    subj = np.array(rows["subject"])
    typ = np.array(rows["type"])
    out: dict[str, Any] = {}
    for train, test in (("1", "2"), ("2", "1")):
        # one model for all exercises: features are deviations from the person's usual rep
        idx = np.flatnonzero(subj == train)
        sev = np.zeros((len(idx), 4))
        for j, i in enumerate(idx):
            if PT_FAULT[typ[i]]:
                sev[j, FAULTS.index(PT_FAULT[typ[i]])] = 1.0
        data = {"any": ([rows["features"][i] for i in idx], None, sev, typ[idx] == "correct")}
        model = FeedbackModel.fit(data, kind="imu")
        te = np.flatnonzero(subj == test)
        pred, examples = [], []
        for i in te:
            cues = model.cues("any", rows["features"][i])
            top = cues[0].fault if cues else None
            pred.append({None: "correct", "tempo": "too_fast", "rom": "low_amplitude"}.get(
                top, f"other:{top}"))
            if cues and len(examples) < 6:
                examples.append({"type": typ[i], "cues": [c.text for c in cues]})
        pred = np.array(pred)
        acc = float((pred == typ[te]).mean())
        conf = Counter(zip(typ[te].tolist(), pred.tolist(), strict=True))
        key = f"s{train}->s{test}"
        out[key] = {"n": len(te), "correct": int((pred == typ[te]).sum()), "accuracy": acc,
                    "confusion": {f"{a}->{b}": n for (a, b), n in sorted(conf.items())},
                    "examples": examples}
        print(f"pt_exercises_imu {key}: execution type from the top cue {100 * acc:.1f} % "
              f"({out[key]['correct']}/{len(te)}); confusion {out[key]['confusion']}")
        for x in examples[:3]:
            print("  ", x["type"], x["cues"])
    return out


#: Push-up form, fixed before measuring (the usual coaching checks, as in
#: repcoach.pose.pushup_form): depth (elbow), body line (hip), straight legs (knee), head (neck).
PUSHUP_FEATURES = ("elbow_near.min", "elbow_near.range", "hip_near.min", "hip_near.max",
                   "knee_near.min", "neck.min", "neck.max", "duration")


def _near_side(seq: Any) -> str:
    """``"l"`` or ``"r"``: the side whose shoulder-to-ankle landmarks are more visible."""
    lay = seq.layout
    vis = seq.visibility[seq.detected] if seq.detected is not None else seq.visibility
    sides = {}
    for s, name in (("l", "left"), ("r", "right")):
        idx = [lay.index(f"{name}_{j}") for j in ("shoulder", "elbow", "wrist", "hip", "knee",
                                                  "ankle") if lay.has(f"{name}_{j}")]
        sides[s] = float(np.nanmean(vis[:, idx])) if len(vis) else 0.0
    return "l" if sides["l"] >= sides["r"] else "r"


def _pushup_subset(f: dict[str, float], near: str) -> dict[str, float]:
    g = {k.replace(f"pose.{b}_{near}.", f"pose.{b}_near."): v for k, v in f.items()
         for b in ("elbow", "hip", "knee") if k.startswith(f"pose.{b}_{near}.")}
    g.update({k: v for k, v in f.items() if k.startswith("pose.neck.")})
    g["duration"] = f["duration"]
    return {k: v for k, v in g.items() if k.removeprefix("pose.") in PUSHUP_FEATURES}


def bench_pushfit(root: Path) -> dict[str, Any]:
    """Leave one source group out: reference from the correct clips of the other groups."""
    from repcoach.feedback.dataset import pose_rep_features
    from repcoach.feedback.model import FeedbackModel, default_rules, fit_reference
    from repcoach.io.indexed import load_index

    ds = load_index(root)
    groups = np.array(ds.column("source_group"), dtype=object)
    feats, curves, ys = [], [], []
    for row in ds.rows:
        seq = ds.read_pose(row)
        f, c = pose_rep_features({"pose": seq}, [(0, seq.n_frames)],
                                 (row.width, row.height) if row.width else None)
        near = _near_side(seq)
        feats.append(_pushup_subset(f[0], near))
        curves.append({k.replace(f"_{near}", "_near"): v for k, v in c[0].items()})
        ys.append(int(row.correctness))
    y = np.array(ys)
    res: dict[str, Any] = {"protocol": "leave one source group out; family rules; z threshold "
                           "chosen on the training groups (best balanced accuracy)",
                           "groups": {}}
    all_inc_cued = all_cor_clean = n_inc = n_cor = 0
    fault_counts: Counter = Counter()
    for g in sorted(set(groups)):
        te = groups == g
        tr = ~te
        good = [feats[i] for i in np.flatnonzero(tr & (y == 1))]
        if not good:
            continue
        ref = fit_reference("pushup", good, [curves[i] for i in np.flatnonzero(tr & (y == 1))])
        best = (-1.0, 3.0)
        for zt in (2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0):
            ref.rules = default_rules(list(ref.features), zt)
            m = FeedbackModel({"pushup": ref})
            cued = np.array([bool(m.cues("pushup", feats[i])) for i in np.flatnonzero(tr)])
            yt = y[tr]
            ba = 0.5 * (cued[yt == 0].mean() + (~cued[yt == 1]).mean())
            if ba > best[0]:
                best = (float(ba), zt)
        ref.rules = default_rules(list(ref.features), best[1])
        m = FeedbackModel({"pushup": ref})
        cues = [m.cues("pushup", feats[i], curves[i]) for i in np.flatnonzero(te)]
        yy = y[te]
        inc_cued = sum(bool(c) for c, v in zip(cues, yy, strict=True) if v == 0)
        cor_clean = sum(not c for c, v in zip(cues, yy, strict=True) if v == 1)
        faults = Counter(c[0].body_part + " / " + c[0].fault
                         for c, v in zip(cues, yy, strict=True) if v == 0 and c)
        fault_counts.update(faults)
        res["groups"][g] = {"n_incorrect": int((yy == 0).sum()), "n_correct": int((yy == 1).sum()),
                            "incorrect_with_cue": inc_cued, "correct_without_cue": cor_clean,
                            "z_threshold": best[1], "top_cues_on_incorrect": dict(faults)}
        all_inc_cued += inc_cued
        all_cor_clean += cor_clean
        n_inc += int((yy == 0).sum())
        n_cor += int((yy == 1).sum())
    res["incorrect_with_cue"] = all_inc_cued / max(1, n_inc)
    res["correct_without_cue"] = all_cor_clean / max(1, n_cor)
    res["top_cues_on_incorrect"] = dict(fault_counts.most_common(8))
    print(f"\nPushFit ({n_inc} incorrect, {n_cor} correct clips): incorrect with a cue "
          f"{100 * res['incorrect_with_cue']:.1f} %, correct with none "
          f"{100 * res['correct_without_cue']:.1f} %")
    print("| source group | incorrect | with a cue | correct | with none | z | top cues |")
    print("|---|---|---|---|---|---|---|")
    for g, r in res["groups"].items():
        top = ", ".join(f"{k} ({v})" for k, v in Counter(r["top_cues_on_incorrect"])
                        .most_common(3))
        print(f"| {g} | {r['n_incorrect']} | {r['incorrect_with_cue']} | {r['n_correct']} | "
              f"{r['correct_without_cue']} | {r['z_threshold']} | {top} |")
    return res


#: Unix time of t = 0 of every generated recording (repcoach.synth.imu).
SYNTH_EPOCH = 1_700_000_000.0


def synth_imu_table(root: Path, participants: list[str] | None = None) -> Any:
    """Generated IMU (wrists, ankles): features of every annotated rep, as a RepTable."""
    import pandas as pd

    from repcoach.feedback.cue import FAULTS
    from repcoach.feedback.dataset import RepTable
    from repcoach.imu.feedback_features import imu_rep_features
    from repcoach.imu.load import read_metamotion_recording
    from repcoach.io.metamotion import read_metamotion_streams

    ann = pd.read_csv(root / "annotations.csv")
    feats, sev, sc, pp, ee = [], [], [], [], []
    for (p, ex), g in ann.groupby(["participant", "exercise"], sort=True):
        folder = root / p / ex / "imu"
        if not folder.is_dir() or (participants is not None and p not in participants):
            continue
        rec = read_metamotion_recording(folder)
        # the aligned clock starts at the latest sensor start (each sensor starts 0-0.3 s late)
        t0 = max(float(s.times_s[0]) for s in read_metamotion_streams(folder)) - SYNTH_EPOCH
        spans = [(a - t0, b - t0) for a, b in zip(g["start_s"], g["end_s"], strict=True)]
        feats += imu_rep_features(rec, spans)
        sev.append(g[[f"dev_{k}" for k in FAULTS]].to_numpy(np.float64))
        sc += g["score"].tolist()
        pp += [p] * len(g)
        ee += [ex] * len(g)
    return RepTable(feats, [{} for _ in feats], np.vstack(sev), np.asarray(sc),
                    np.asarray(pp, dtype=object), np.asarray(ee, dtype=object))


def bench_synth_imu(root: Path, n_train: int) -> dict[str, Any]:
    """Same protocol as the pose part, with the four generated IMUs instead of the cameras."""
    import pandas as pd

    from bench_feedback import _apply, cue_metrics, fit_synth, print_table

    names = pd.read_csv(root / "participants.csv").sort_values("participant_id")["name"]
    train = set(names.tolist()[:n_train])
    tab = synth_imu_table(root)
    tr = np.array([p in train for p in tab.participants])
    model = fit_synth(tab.subset(tr), kind="imu")
    te = np.flatnonzero(~tr)
    named, top, ex = _apply(model, tab, te)
    m = cue_metrics(named, tab.severities[te], top)
    print_table(f"generated IMU (4 sensors), {int(tr.sum())} training reps, {len(te)} unseen",
                m)
    for e in ex[:4]:
        print(e["exercise"], e["severities"], [c["text"] for c in e["cues"]])
    return {"metrics": m, "examples": ex}
