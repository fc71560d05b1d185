"""Deployment: TFLite export with parity checks (``export``, imports TensorFlow) and the LiteRT
runtime (``runtime``, never imports TensorFlow)."""
