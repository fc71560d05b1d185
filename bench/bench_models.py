"""Benchmark the paper-size models: TFLite vs Keras latency, training throughput, analysis speed.

Prints figures and ratios measured in the same run (no assertions) and writes
``<out>/bench_models.json``. Weights are random (latency does not depend on them).

    .venv/bin/python bench/bench_models.py [--out /tmp] [--n 200] [--rocket-only]

Measured, all on one thread where the runtime allows it:
- TFLite fp32 / int8 per-repetition latency: median of N single-sample invocations of the
  fixed [1, 30, 99] interpreter, beside Keras ``predict_on_batch`` on one sample (and the ratio);
- the ROCKET family (``rocket`` MiniRocket 10,000 features, ``multirocket`` MultiRocket 50,000)
  and the ``forest`` scorer (300 trees on 21 extra channels): the same per-sample latency and
  sizes (``--rocket-only``: this part alone);
- training throughput: samples/s of ``train_on_batch`` over a few batches of 32 (TF's own
  threading, as training runs);
- analysis time per minute of recording: :class:`repcoach.analyze.Analyzer` on a synthetic 60 s
  jumping-jack-like recording, model loading excluded (measured separately, cold, in a fresh
  process that imports no TensorFlow).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CLASSES = ["steam_engine", "jumping_jacks", "sit_ups", "high_knees"]


def jumping_jacks(seconds: float = 60.0, fps: float = 30.0, period_s: float = 1.6, seed: int = 0):
    """A MediaPipe-33 body (image coordinates) opening and closing arms and legs every
    ``period_s`` seconds, with small noise: a stand-in 60 s recording for timing."""
    from repcoach.skeleton import MEDIAPIPE_33
    from repcoach.types import PoseSequence

    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    phase = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / fps / period_s)  # 0 rest .. 1 open
    c = np.zeros((n, 33, 3), np.float32)
    c[:, :, 0] = 0.5 + rng.normal(0, 0.01, 33)
    c[:, :11, 1] = 0.15  # face
    c[:, [11, 12], 1], c[:, [23, 24], 1] = 0.3, 0.55
    c[:, [11, 23], 0], c[:, [12, 24], 0] = 0.45, 0.55
    for side, sgn in ((0, -1), (1, 1)):  # left, right
        elbow, wrist = 13 + side, 15 + side
        c[:, elbow, 0] = 0.5 + sgn * (0.08 + 0.08 * phase)
        c[:, elbow, 1] = 0.42 - 0.2 * phase
        c[:, wrist, 0] = 0.5 + sgn * (0.08 + 0.12 * phase)
        c[:, wrist, 1] = 0.52 - 0.42 * phase
        c[:, [17 + side, 19 + side, 21 + side], :2] = c[:, wrist, None, :2]
        knee, ankle = 25 + side, 27 + side
        c[:, knee, 0] = 0.5 + sgn * (0.05 + 0.05 * phase)
        c[:, knee, 1] = 0.72
        c[:, ankle, 0] = 0.5 + sgn * (0.05 + 0.1 * phase)
        c[:, ankle, 1] = 0.9
        c[:, [29 + side, 31 + side], :2] = c[:, ankle, None, :2]
    c += rng.normal(0, 0.002, c.shape).astype(np.float32)
    return PoseSequence.from_array(c, MEDIAPIPE_33, fps=fps, source="synthetic-jumping-jacks")


def timed(fn, n: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def rocket_latency(args: argparse.Namespace, work: Path, x1: np.ndarray, res: dict) -> None:
    """Per-sample LiteRT latency (fp32 / int8, 1 thread) and Keras ``predict_on_batch`` of the
    ROCKET-family classifiers at their default sizes (MiniRocket 10,000 features, MultiRocket
    50,000) on ``[1, 30, 99]`` inputs, into ``res[arch]``."""
    from repcoach.deploy.export import convert_to_tflite, synthetic_pose_inputs
    from repcoach.deploy.runtime import TFLiteModel
    from repcoach.models.multirocket import ROCKET_FITS

    xr = synthetic_pose_inputs(96, seed=4)
    for arch, fit in ROCKET_FITS.items():
        model, _ = fit(xr, np.arange(len(xr)) % len(CLASSES), len(CLASSES), seed=0)
        res[f"{arch}_params"] = int(model.count_params())
        res[arch] = {}
        for p, blob in convert_to_tflite(model, 30, 99).items():
            path = work / f"{arch}_{p}.tflite"
            path.write_bytes(blob)
            m = TFLiteModel(path, num_threads=1)
            res[arch][p] = {"size_bytes": len(blob), "median_ms": statistics.median(
                timed(lambda m=m: m.predict(x1), args.n, warmup=20)) * 1e3}  # fmt: skip
        res[arch]["keras_predict_on_batch_ms"] = statistics.median(
            timed(lambda model=model: model.predict_on_batch(x1), args.keras_n)) * 1e3


def forest_latency(args: argparse.Namespace, work: Path, res: dict) -> None:
    """Per-sample LiteRT latency (fp32 / int8, 1 thread) of the ``forest`` scorer (300 trees on
    the 21 form-signal statistics, ``[1, 30, 99 + 21]``), into ``res["forest_scorer"]``."""
    from repcoach.data.scorer_inputs import SIGNAL_INPUTS, append_channels
    from repcoach.deploy.export import convert_to_tflite, synthetic_pose_inputs
    from repcoach.deploy.runtime import TFLiteModel
    from repcoach.models.scorer import CorrectnessScorer

    rng = np.random.default_rng(5)
    x = synthetic_pose_inputs(160, seed=5)
    extra = rng.normal(size=(160, len(SIGNAL_INPUTS))).astype(np.float32)
    score = (extra[:, 0] + extra[:, 3] * extra[:, 5] > 0).astype(np.float32)
    sc = CorrectnessScorer(arch="forest", extra_inputs=SIGNAL_INPUTS, seed=0).fit(
        x, score, extra=extra)
    x1 = append_channels(x[:1], extra[:1])
    res["forest_scorer"] = {"params": int(sc.model_.count_params())}
    for p, blob in convert_to_tflite(sc.model_, 30, 99 + len(SIGNAL_INPUTS)).items():
        path = work / f"forest_{p}.tflite"
        path.write_bytes(blob)
        m = TFLiteModel(path, num_threads=1)
        res["forest_scorer"][p] = {"size_bytes": len(blob), "median_ms": statistics.median(
            timed(lambda m=m: m.predict(x1), args.n, warmup=20)) * 1e3}  # fmt: skip


def rocket_rows(table, res: dict) -> None:
    """The :func:`rocket_latency` rows of the latency table."""
    from repcoach.models.multirocket import ROCKET_FITS

    for arch in ROCKET_FITS:
        for p in ("fp32", "int8"):
            r = res[arch][p]
            table.add_row(f"{arch} tflite_{p} ({r['size_bytes'] / 1e6:.2f} MB)",
                          f"{r['median_ms']:.2f}", "", "")  # fmt: skip
        table.add_row(f"{arch} keras_predict_on_batch",
                      f"{res[arch]['keras_predict_on_batch_ms']:.2f}", "", "")  # fmt: skip
    for p in ("fp32", "int8"):
        r = res["forest_scorer"][p]
        table.add_row(f"forest scorer tflite_{p} ({r['size_bytes'] / 1e6:.2f} MB)",
                      f"{r['median_ms']:.2f}", "", "")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp"), help="folder for bench_models.json")
    ap.add_argument("--n", type=int, default=200, help="single-sample TFLite invocations")
    ap.add_argument("--keras-n", type=int, default=30, help="Keras predict_on_batch calls")
    ap.add_argument("--analysis-runs", type=int, default=5, help="timed analyses (median)")
    ap.add_argument("--train-batches", type=int, default=8, help="timed training batches of 32")
    ap.add_argument("--rocket-only", action="store_true",
                    help="only the ROCKET-family latencies (rocket, multirocket) and the forest "
                    "scorer's")
    args = ap.parse_args()

    import keras
    import tensorflow as tf
    from rich.console import Console
    from rich.table import Table

    from repcoach.analyze import Analyzer, AnalyzerOptions
    from repcoach.deploy.export import export_model_dir, synthetic_pose_inputs
    from repcoach.deploy.runtime import TFLiteModel
    from repcoach.io.atomic import write_json
    from repcoach.models.classifier import build_bilstm
    from repcoach.models.folder import save_model_dir

    console = Console()
    tf.get_logger().setLevel("ERROR")  # retracing notes from predicting with 5 models
    keras.utils.set_random_seed(0)
    res: dict = {"python": sys.version.split()[0], "tensorflow": tf.__version__,
                 "keras": keras.__version__, "cpu_count": os.cpu_count()}
    work = Path(tempfile.mkdtemp(prefix="repcoach-bench-"))
    model_dir = work / "model"
    if args.rocket_only:
        rocket_latency(args, work, synthetic_pose_inputs(1, seed=2), res)
        forest_latency(args, work, res)
        t0 = Table(title="ROCKET-family and forest-scorer per-sample latency (1 sample, 1 thread)")
        for c in ("runtime", "median ms", "p90 ms", "vs Keras"):
            t0.add_column(c)
        rocket_rows(t0, res)
        console.print(t0)
        args.out.mkdir(parents=True, exist_ok=True)
        write_json(args.out / "bench_models.json", res)
        return

    # ---- paper-size models, saved in the model-folder format and exported
    clf = build_bilstm(len(CLASSES))  # BiLSTM 256, Dense 128/64, dropout 0.4
    scorers = {c: build_bilstm(1, lstm_units=64, dense_units=(64, 32), dropout=0.3,
                               activation="sigmoid", name=f"scorer_{c}") for c in CLASSES}
    res["classifier_params"] = int(clf.count_params())
    res["scorer_params"] = int(next(iter(scorers.values())).count_params())
    cfg = {"task": "exercise", "modality": "pose", "layout": "mediapipe33", "seq_len": 30,
           "n_features": 99, "resample": "interpolate", "classes": CLASSES, "clip_mode": "reps"}
    save_model_dir(model_dir, cfg, classifier=clf, scorers=scorers)
    t = time.perf_counter()
    with console.status("exporting to TFLite (fp32 + int8, 5 models)"):
        export = export_model_dir(model_dir, parity_samples=synthetic_pose_inputs(64, seed=1),
                                  sample_source="synthetic pose-like inputs, seed 1")
    res["export_s"] = time.perf_counter() - t
    res["export"] = export.to_dict()

    # ---- per-repetition latency: TFLite (1 thread) vs Keras predict_on_batch
    x1 = synthetic_pose_inputs(1, seed=2)
    lat = {}
    for p in ("fp32", "int8"):
        m = TFLiteModel(model_dir / f"classifier_{p}.tflite", num_threads=1)
        lat[f"tflite_{p}"] = timed(lambda m=m: m.predict(x1), args.n, warmup=20)
    lat["keras_predict_on_batch"] = timed(lambda: clf.predict_on_batch(x1), args.keras_n)
    med = {k: statistics.median(v) * 1e3 for k, v in lat.items()}
    p90 = {k: float(np.percentile(v, 90)) * 1e3 for k, v in lat.items()}
    res["latency_ms"] = {"median": med, "p90": p90,
                         "n": {k: len(v) for k, v in lat.items()}, "tflite_threads": 1}
    sc = TFLiteModel(model_dir / "scorers" / "sit_ups_int8.tflite", num_threads=1)
    res["latency_ms"]["median"]["tflite_int8_scorer"] = statistics.median(
        timed(lambda: sc.predict(x1), args.n, warmup=20)) * 1e3

    rocket_latency(args, work, x1, res)
    forest_latency(args, work, res)

    # ---- training throughput (classifier, batch 32)
    clf.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    xb = synthetic_pose_inputs(32 * args.train_batches, seed=3)
    yb = np.random.default_rng(3).integers(0, len(CLASSES), len(xb))
    clf.train_on_batch(xb[:32], yb[:32])
    clf.train_on_batch(xb[32:64], yb[32:64])  # warm up (tracing)
    t = time.perf_counter()
    for i in range(args.train_batches):
        clf.train_on_batch(xb[i * 32:(i + 1) * 32], yb[i * 32:(i + 1) * 32])
    train_s = time.perf_counter() - t
    res["train_samples_per_s"] = 32 * args.train_batches / train_s

    # ---- analysis time per minute of recording (models already loaded)
    seq = jumping_jacks(60.0)
    res["analysis"] = {"recording": seq.source, "recording_s": seq.duration_s}
    for p in ("int8", "fp32"):
        an = Analyzer.create_from_options(AnalyzerOptions(model_dir=model_dir, precision=p))
        times = timed(lambda an=an: an.analyze(seq), args.analysis_runs, warmup=1)
        result = an.analyze(seq)
        spans = [(r.start, r.end) for r in result.repetitions]
        t_seg = statistics.median(timed(lambda an=an: an.segment(seq), args.analysis_runs, 0))
        t_pre = statistics.median(
            timed(lambda an=an, sp=spans: an.model_inputs(seq, sp), args.analysis_runs, 0))
        res["analysis"][p] = {
            "s_per_minute": statistics.median(times) / seq.duration_s * 60.0,
            "segment_s": t_seg, "preprocess_s": t_pre, "rep_count": result.rep_count,
            "exercise": result.exercise,
        }

    # ---- cold start in a fresh process: import the analysis path + load models (no TF)
    code = (
        "import time, sys; t = time.perf_counter(); from repcoach.analyze import Analyzer; "
        f"a = Analyzer({str(model_dir)!r}); "
        "print(time.perf_counter() - t, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, check=True)
    cold_s, tf_loaded = out.stdout.split()
    res["analysis"]["cold_start_s"] = float(cold_s)
    res["analysis"]["cold_start_imports_tensorflow"] = tf_loaded == "True"

    # ---- report
    sizes = {m.file: m.size_bytes for m in export.models}
    t1 = Table(title="Per-repetition classifier latency (1 sample)")
    for c in ("runtime", "median ms", "p90 ms", "vs Keras"):
        t1.add_column(c, justify="left" if c == "runtime" else "right")
    k = med["keras_predict_on_batch"]
    for name in ("tflite_fp32", "tflite_int8", "keras_predict_on_batch"):
        t1.add_row(name, f"{med[name]:.2f}", f"{p90[name]:.2f}", f"{k / med[name]:.1f}x faster"
                   if name != "keras_predict_on_batch" else "1.0x")
    t1.add_row("tflite_int8 scorer", f"{res['latency_ms']['median']['tflite_int8_scorer']:.2f}",
               "", "")
    rocket_rows(t1, res)
    console.print(t1)
    t2 = Table(title="Exports (paper-size classifier, 64-unit scorers)")
    for c in ("model", "precision", "size MB", "max |diff|", "class agreement"):
        t2.add_column(c)
    for m in export.models:
        if m.name in ("classifier", "scorers/sit_ups"):
            t2.add_row(m.name, m.precision, f"{m.size_bytes / 1e6:.2f}", f"{m.max_abs_diff:.1e}",
                       "" if m.class_agreement is None else f"{100 * m.class_agreement:.0f} %")
    console.print(t2)
    a = res["analysis"]
    console.print(
        f"classifier {res['classifier_params']:,} params; classifier_fp32 "
        f"{sizes['classifier_fp32.tflite'] / 1e6:.2f} MB, int8 "
        f"{sizes['classifier_int8.tflite'] / 1e6:.2f} MB; export took {res['export_s']:.1f} s\n"
        f"training throughput: {res['train_samples_per_s']:.0f} samples/s (batch 32)\n"
        f"analysis of {a['recording_s']:.0f} s recording ({a['int8']['rep_count']} reps found): "
        f"int8 {a['int8']['s_per_minute'] * 1e3:.0f} ms per minute, fp32 "
        f"{a['fp32']['s_per_minute'] * 1e3:.0f} ms per minute (models loaded; segmentation "
        f"{a['int8']['segment_s'] * 1e3:.0f} ms, preprocessing "
        f"{a['int8']['preprocess_s'] * 1e3:.0f} ms)\n"
        "cold start (import analysis path + load int8 models, fresh process): "
        f"{a['cold_start_s']:.2f} s, TensorFlow imported: {a['cold_start_imports_tensorflow']}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "bench_models.json", res)
    console.print(f"wrote {args.out / 'bench_models.json'}")


if __name__ == "__main__":
    main()
