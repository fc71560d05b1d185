"""On-device style inference: run the exported ``.tflite`` models with LiteRT only.

This module (and :mod:`repcoach.analyze`) never imports TensorFlow or Keras, so analysis starts
in a fraction of a second, as it would in a phone app. The exported models have a fixed
``[1, seq_len, n_features]`` input (a dynamic batch dimension does not convert with builtin ops),
so :meth:`TFLiteModel.predict` loops over the batch one sample at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from repcoach.errors import DataError
from repcoach.logs import native_stderr_silenced
from repcoach.models.folder import load_model_config, scorer_input_shape

PRECISIONS = ("fp32", "int8")


def tflite_name(stem: str, precision: str) -> str:
    """File name of an exported model: ``classifier`` + ``int8`` -> ``classifier_int8.tflite``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return f"{stem}_{precision}.tflite"


class TFLiteModel:
    """One ``.tflite`` model behind a LiteRT interpreter with a fixed batch-1 input signature."""

    def __init__(self, path: str | Path, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        if not self.path.is_file():
            raise DataError("TFLite model not found (run `repcoach export` first)", self.path)
        self.num_threads = num_threads

        try:  # silenced: "INFO: Created TensorFlow Lite XNNPACK delegate" goes to fd 2
            with native_stderr_silenced():
                self._interp = Interpreter(model_path=str(self.path), num_threads=num_threads)
                self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise DataError(f"not a loadable TFLite model ({e})", self.path) from None
        inputs = self._interp.get_input_details()
        outputs = self._interp.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise DataError(
                f"expected one input and one output, got {len(inputs)} and {len(outputs)}",
                self.path,
            )
        self._in = inputs[0]["index"]
        self._out = outputs[0]["index"]
        self.input_shape: tuple[int, ...] = tuple(int(s) for s in inputs[0]["shape"])
        self.output_shape: tuple[int, ...] = tuple(int(s) for s in outputs[0]["shape"])
        self.input_dtype = inputs[0]["dtype"]

    @property
    def seq_len(self) -> int:
        return self.input_shape[1]

    @property
    def n_features(self) -> int:
        return self.input_shape[-1]

    @property
    def n_outputs(self) -> int:
        return self.output_shape[-1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(n, T, F)`` (or one ``(T, F)`` sample) -> ``(n, k)`` outputs, one invocation each."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == len(self.input_shape) - 1:
            x = x[None]
        if x.shape[1:] != self.input_shape[1:]:
            raise ValueError(
                f"{self.path.name} expects samples of shape {self.input_shape[1:]}, "
                f"got {x.shape[1:]}"
            )
        out = np.empty((x.shape[0], *self.output_shape[1:]), dtype=np.float32)
        for i in range(x.shape[0]):
            self._interp.set_tensor(self._in, x[i : i + 1].astype(self.input_dtype, copy=False))
            self._interp.invoke()
            out[i] = self._interp.get_tensor(self._out)[0]
        return out

    def __repr__(self) -> str:
        return (
            f"TFLiteModel({str(self.path)!r}, input={self.input_shape}, "
            f"output={self.output_shape})"
        )


@dataclass
class RuntimeModels:
    """Everything the analyser needs from a model folder: classifier, per-exercise scorers,
    class names (index order of the classifier output) and the folder's ``config.json``.

    ``classifier`` is None for a scorers-only folder (``task == "correctness"``). Scorers take
    ``(seq_len, n_features + len(scorer_inputs))``: the pose inputs plus the extra constant
    channels named in config.json ``scorer_inputs`` (e.g. the repetition's duration)."""

    classifier: TFLiteModel | None
    scorers: dict[str, TFLiteModel]
    classes: tuple[str, ...]
    config: dict[str, Any]
    precision: str
    model_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seq_len(self) -> int:
        return int(self.config["seq_len"])

    @property
    def n_features(self) -> int:
        return int(self.config["n_features"])

    @property
    def scorer_inputs(self) -> tuple[str, ...]:
        """Names of the scorers' extra input channels (() for folders without them)."""
        return tuple(self.config.get("scorer_inputs") or ())

    @classmethod
    def load(
        cls, model_dir: str | Path, precision: str = "int8", num_threads: int = 1
    ) -> RuntimeModels:
        """Load ``classifier_<precision>.tflite``, every ``scorers/<label>_<precision>.tflite``
        and the class names (``labels.json``, else ``config.json``) from ``model_dir``."""

        model_dir = Path(model_dir)
        config = load_model_config(model_dir)
        classes = tuple(str(c) for c in config["classes"])
        clf_path = model_dir / tflite_name("classifier", precision)
        classifier = None
        if clf_path.exists() or config.get("task", "exercise") != "correctness":
            classifier = TFLiteModel(clf_path, num_threads)
            if classifier.n_outputs != len(classes):
                raise DataError(
                    f"classifier has {classifier.n_outputs} outputs but {len(classes)} classes "
                    f"are listed ({list(classes)})",
                    model_dir,
                )
        scorers = {}
        suffix = f"_{precision}.tflite"
        folder = model_dir / "scorers"
        if folder.is_dir():
            for p in sorted(folder.glob(f"*{suffix}")):
                if not p.name.startswith("."):
                    scorers[p.name[: -len(suffix)]] = TFLiteModel(p, num_threads)
        models = [classifier, *scorers.values()] if classifier else list(scorers.values())
        if not models:
            raise DataError(f"no {precision} TFLite models (run `repcoach export`)", model_dir)

        want = (1, int(config["seq_len"]), int(config["n_features"]))
        want_scorer = (1, *scorer_input_shape(config))
        for m in models:
            w = want if m is classifier else want_scorer
            if m.input_shape != w:
                extra = config.get("scorer_inputs") or []
                why = f" (pose + extra inputs {extra})" if m is not classifier and extra else ""
                raise DataError(
                    f"{m.path.name} takes {m.input_shape}, config.json says {w}{why}", model_dir
                )
        return cls(
            classifier=classifier,
            scorers=scorers,
            classes=classes,
            config=config,
            precision=precision,
            model_dir=model_dir,
        )
