"""Temporal convolution trunks shared by the IMU window classifier and the pose classifier.

A trunk maps a ``(batch, T, C)`` Keras tensor to a feature vector, built from builtin layers only
(so saved models reload without custom objects and convert to TFLite builtin ops). Why convolutions
beside the paper's BiLSTM: short fixed-length filters over time are what the strong off-the-shelf
time-series baselines (MiniRocket) use, and on small real datasets (Penn Action, SPAR) they train
in a fraction of the BiLSTM's time and generalise at least as well (see docs/training.md).
"""

from __future__ import annotations

from typing import Any

#: Trunk names: ``cnn`` three Conv1D blocks (32-64-64, kernel 7-5-3, BN, ReLU, one max-pool);
#: ``cnn_deep`` four blocks (32-64-64-64) pooled after the first three (longer receptive field);
#: ``cnn_attn`` ``cnn_deep`` plus two-head self-attention (residual) before pooling;
#: ``cnn_bilstm`` two Conv1D blocks, max-pool by 2, a 32-unit BiLSTM.
CONV_ARCHITECTURES = ("cnn", "cnn_deep", "cnn_attn", "cnn_bilstm")


def conv_trunk(x: Any, arch: str) -> Any:
    """Apply the ``arch`` trunk (:data:`CONV_ARCHITECTURES`) to ``x``; returns ``(batch, F)``."""
    import keras
    from keras import layers

    if arch not in CONV_ARCHITECTURES:
        raise ValueError(f"arch must be one of {CONV_ARCHITECTURES}, got {arch!r}")
    if arch == "cnn_bilstm":
        for filters, k in ((32, 7), (64, 5)):
            x = layers.Conv1D(filters, k, padding="same", activation="relu")(x)
        x = layers.MaxPooling1D(2)(x)
        return layers.Bidirectional(keras.layers.LSTM(32))(x)
    blocks = ((32, 7), (64, 5), (64, 3)) if arch == "cnn" else ((32, 7), (64, 5), (64, 5), (64, 3))
    for i, (filters, k) in enumerate(blocks):
        x = layers.Conv1D(filters, k, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        # cnn: pool once; deep: pool after all but the last block (longer receptive field)
        if i == 0 or (arch != "cnn" and i < len(blocks) - 1):
            x = layers.MaxPooling1D(2)(x)
    if arch == "cnn_attn":  # self-attention over the pooled time steps, residual
        x = layers.Add()([x, layers.MultiHeadAttention(2, 16)(x, x)])
    return layers.GlobalAveragePooling1D()(x)
