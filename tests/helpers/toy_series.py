"""Test helper (not a test): a toy two-class time-series task for the ROCKET-family tests."""

from __future__ import annotations

import numpy as np


def toy_sines(n: int = 48, seq_len: int = 32, n_ch: int = 5, seed: int = 0):
    """Two classes: a slow or a fast sine on random channels, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(seq_len)
    y = np.array(["slow", "fast"] * (n // 2), dtype=object)
    x = rng.normal(0, 0.3, (n, seq_len, n_ch)).astype(np.float32)
    for i, lab in enumerate(y):
        period = 16 if lab == "slow" else 5
        x[i, :, rng.integers(n_ch)] += np.sin(2 * np.pi * t / period + rng.uniform(0, 6))
    return x, y


def assert_reloads_and_exports(model, x: np.ndarray, tmp_path, agreement: float = 0.95) -> None:
    """``model`` reloads from .keras and .h5 without custom objects, and its fp32 / int8 TFLite
    exports (LiteRT runtime) agree with it on ``x`` (classes; fp32 probabilities to 1e-3)."""
    import keras

    from repcoach.deploy.export import convert_to_tflite
    from repcoach.deploy.runtime import TFLiteModel

    ref = np.asarray(model.predict_on_batch(x))
    for suffix in (".keras", ".h5"):
        p = tmp_path / f"m{suffix}"
        model.save(p)
        again = keras.models.load_model(p, compile=False)
        assert np.allclose(again.predict_on_batch(x), ref, atol=1e-5)
    for precision, blob in convert_to_tflite(model, x.shape[1], x.shape[2]).items():
        path = tmp_path / f"m_{precision}.tflite"
        path.write_bytes(blob)
        got = TFLiteModel(path).predict(x)
        agree = np.mean(got.argmax(1) == ref.argmax(1))
        assert agree >= agreement, (precision, agree)
        if precision == "fp32":
            assert np.abs(got - ref).max() < 1e-3
