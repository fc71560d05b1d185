"""The typer application object that every command module registers on."""

from __future__ import annotations

import os

import typer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # silence TensorFlow start-up noise

app = typer.Typer(
    name="repcoach",
    help="Exercise recognition, repetition counting and correctness scoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
