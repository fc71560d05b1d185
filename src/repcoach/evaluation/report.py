"""The one report writer every modality uses: report.json, report.md and PNG figures.

Input is the report dict built by :mod:`repcoach.evaluation.evaluate` (or the IMU evaluator
with the same
sections): ``accuracy`` (top level), ``accuracy_level``, ``evaluated_on``, optional
``classification`` ({"sample": metrics, "clip": metrics|None}, metrics from
:func:`repcoach.evaluation.evaluate.classification_metrics`), optional ``scoring`` (from
:func:`repcoach.evaluation.evaluate.scoring_section`), optional ``export`` (export.json). Figures:
``confusion_matrix.png`` (Fig. 6, sample level), ``confusion_matrix_clip.png`` (clip level, when
clips hold several samples), ``loss_curves.png`` (Fig. 7, from the training history) and, for a
repeated cross-validation (``repeats``), ``repeats.png``.
Every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.evaluation.metrics import headline_accuracy, nan_to_none
from repcoach.evaluation.repeats import plot_repeats
from repcoach.io.atomic import write_json, write_text
from repcoach.io.figures import pyplot, save_figure


def plot_confusion_matrix(
    cm: Sequence[Sequence[int]], classes: Sequence[str], path: str | Path, title: str
) -> Path:
    """Confusion-matrix heat map (rows true, columns predicted) with counts in the cells."""
    plt = pyplot()

    m = np.asarray(cm, dtype=float)
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * n, 1.0 + 0.8 * n), dpi=110)
    rows = m.sum(axis=1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels=classes, rotation=35, ha="right")
    ax.set_yticks(range(n), labels=classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(title)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center",
                    color="white" if share[i, j] > 0.5 else "black", fontsize=9)  # fmt: skip
    fig.tight_layout()
    return save_figure(fig, path)


def plot_loss_curves(history: Mapping[str, Any], path: str | Path) -> Path | None:
    """Training vs validation loss per epoch for the classifier and every scorer (Fig. 7)."""
    curves: list[tuple[str, Mapping[str, Sequence[float]]]] = []
    if isinstance(history.get("classifier"), Mapping):
        curves.append(("classifier", history["classifier"]))
    for label, h in (history.get("scorers") or {}).items():
        curves.append((f"scorer {label}", h))
    if not curves and "loss" in history:
        curves.append(("model", history))
    curves = [(n, h) for n, h in curves if h.get("loss")]
    if not curves:
        return None
    plt = pyplot()

    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.4), dpi=110,
                             squeeze=False)  # fmt: skip
    for ax, (name, h) in zip(axes[0], curves, strict=True):
        ep = np.arange(1, len(h["loss"]) + 1)
        ax.plot(ep, h["loss"], label="training loss")
        if h.get("val_loss"):
            ax.plot(ep, h["val_loss"], label="validation loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def _fmt(x: Any, pct: bool = False) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{100 * x:.1f} %" if pct else f"{x:.3f}"
    return str(x)


def _table_ii(metrics: Mapping[str, Any]) -> list[str]:
    lines = ["| class | precision | recall | F1 | accuracy | support |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for c, m in metrics["per_class"].items():
        if m["support"] == 0 and not any(metrics["confusion_matrix"][i][metrics["classes"]
                                         .index(c)] for i in range(len(metrics["classes"]))):
            continue
        lines.append(f"| {c} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} "
                     f"| {_fmt(m['accuracy'], True)} | {m['support']} |")  # fmt: skip
    mac = metrics["macro"]
    lines.append(f"| **macro average** | {_fmt(mac.get('precision'))} | {_fmt(mac.get('recall'))}"
                 f" | {_fmt(mac.get('f1'))} | {_fmt(metrics['accuracy'], True)} "
                 f"| {metrics['n']} |")  # fmt: skip
    lines.append("")
    classes = metrics["classes"]
    lines += ["Confusion matrix (rows actual, columns predicted):", "",
              "| actual \\ predicted | " + " | ".join(classes) + " |",
              "|---" * (len(classes) + 1) + "|"]  # fmt: skip
    for c, row in zip(classes, metrics["confusion_matrix"], strict=True):
        lines.append(f"| {c} | " + " | ".join(str(v) for v in row) + " |")
    return lines


def _reg_row(name: str, m: Mapping[str, Any]) -> str:
    return (f"| {name} | {m.get('n')} | {_fmt(m.get('mae'))} | {_fmt(m.get('rmse'))} | "
            f"{_fmt(m.get('pearson_r'))} | {_fmt(m.get('accuracy_at_0.5'), True)} |")  # fmt: skip


def _repeats_section(rp: Mapping[str, Any]) -> list[str]:
    """report.md lines for a repeated run: accuracy per fold seed, mean and spread, the
    recipes chosen and each recipe's own mean (nested runs)."""
    lines = ["", "## Repeats (one run per fold seed)", "", "| fold seed | accuracy |", "|---|---|"]
    per = zip(rp["seeds"], rp["accuracy"], strict=True)
    lines += [f"| {s} | {_fmt(a, True)} |" for s, a in per]
    lines += ["", f"Mean {_fmt(rp.get('mean'), True)}, standard deviation "
              f"{_fmt(rp.get('sd'), True)}, range {_fmt(rp.get('min'), True)} to "
              f"{_fmt(rp.get('max'), True)}."]  # fmt: skip
    if rp.get("chosen"):
        lines += ["", "Recipes chosen (repeats x outer folds): "
                  + "; ".join(f"`{k}` {v}" for k, v in rp["chosen"].items())]  # fmt: skip
    if rp.get("candidate_outer"):
        lines += ["", "| recipe alone on the same folds | mean | sd | per fold seed |",
                  "|---|---|---|---|"]  # fmt: skip
        for name, c in rp["candidate_outer"].items():
            per = ", ".join(_fmt(a, True) for a in c["accuracy"])
            lines.append(f"| `{name}` | {_fmt(c.get('mean'), True)} | "
                         f"{_fmt(c.get('sd'), True)} | {per} |")  # fmt: skip
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    """report.md: headline, what was evaluated, Table II, confusion matrices, scorer errors."""
    lines = ["# Evaluation report", ""]
    lines.append(f"**Accuracy ({report.get('accuracy_level', '?')} level): "
                 f"{_fmt(report.get('accuracy'), True)}**")  # fmt: skip
    lines.append("")
    ev = report.get("evaluated_on") or {}
    for key in ("model", "data", "task", "modality"):
        if report.get(key) is not None:
            lines.append(f"- {key}: `{report[key]}`")
    for k, v in ev.items():
        if k != "warning" and v is not None:
            lines.append(f"- {k.replace('_', ' ')}: {v}")
    if ev.get("warning"):
        lines += ["", f"> **Warning:** {ev['warning']}"]
    cls = report.get("classification")
    if cls:
        lines += ["", "## Classification per sample (Table II)", ""] + _table_ii(cls["sample"])
        if cls.get("clip"):
            lines += ["", f"## Classification per clip (majority vote over "
                      f"{cls['clip'].get('samples_per_clip', 1):.3g} samples per clip)", ""]
            lines += _table_ii(cls["clip"])
    sc = report.get("scoring")
    if sc:
        lines += ["", "## Correctness scorers", "",
                  f"({sc.get('scorer_used', '')})", "",
                  "| set | n | MAE | RMSE | Pearson r | accuracy at 0.5 |",
                  "|---|---|---|---|---|---|", _reg_row("all samples", sc["sample"])]  # fmt: skip
        for label, m in sc.get("per_exercise", {}).items():
            lines.append(_reg_row(label, m))
        if sc.get("clip"):
            lines.append(_reg_row("per clip (mean score)", sc["clip"]))
        if report.get("scoring_pipeline"):
            lines.append(_reg_row("predicted-exercise scorer", report["scoring_pipeline"]))
        base = sc["sample"].get("majority_baseline")
        if base is not None:
            lines += ["", f"Majority-class baseline (binary targets): {_fmt(base, True)}"]
    ex = report.get("export")
    if isinstance(ex, Mapping) and ex.get("models"):
        lines += ["", "## TFLite export (export.json)", "",
                  "| model | precision | size (bytes) | max abs diff | class agreement |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for m in ex["models"]:
            agree = _fmt(m.get("class_agreement"), True)
            lines.append(f"| {m.get('name')} | {m.get('precision')} | {m.get('size_bytes')} | "
                         f"{_fmt(m.get('max_abs_diff'))} | {agree} |")
    rp = report.get("repeats")
    if isinstance(rp, Mapping) and rp.get("seeds"):
        lines += _repeats_section(rp)
    figs = report.get("figures") or {}
    if figs:
        lines += ["", "## Figures", ""] + [f"![{k}]({v})" for k, v in figs.items()]
    return "\n".join(lines) + "\n"


def write_report(
    out_dir: str | Path, report: dict[str, Any], history: Mapping[str, Any] | None = None
) -> Path:
    """Write report.json, report.md and the figures into ``out_dir``; returns report.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figs: dict[str, str] = {}
    cls = report.get("classification") or {}
    if cls.get("sample") and cls["sample"].get("n"):
        s = cls["sample"]
        plot_confusion_matrix(s["confusion_matrix"], s["classes"], out / "confusion_matrix.png",
                              f"per sample (n={s['n']})")  # fmt: skip
        figs["confusion_matrix"] = "confusion_matrix.png"
    clip = cls.get("clip")
    if clip and clip.get("n") and clip.get("samples_per_clip", 1.0) > 1.0:
        plot_confusion_matrix(clip["confusion_matrix"], clip["classes"],
                              out / "confusion_matrix_clip.png",
                              f"per clip, majority vote (n={clip['n']})")  # fmt: skip
        figs["confusion_matrix_clip"] = "confusion_matrix_clip.png"
    if history and plot_loss_curves(history, out / "loss_curves.png") is not None:
        figs["loss_curves"] = "loss_curves.png"
    rp = report.get("repeats")
    if isinstance(rp, Mapping) and rp.get("seeds"):
        plot_repeats(rp, out / "repeats.png")
        figs["repeats"] = "repeats.png"
    report = dict(report)
    if figs:
        report["figures"] = figs
    if "accuracy" not in report:
        acc, level = headline_accuracy(report)
        report = {"accuracy": acc, "accuracy_level": level, **report}
    clean = nan_to_none(report)
    write_text(out / "report.md", render_markdown(clean))
    write_json(out / "report.json", clean)
    return out / "report.json"
