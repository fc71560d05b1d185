"""`repcoach dataset ...` and `repcoach synth`: the data layout and the generated dataset."""

from __future__ import annotations

import typer

from repcoach.cli.app import app

dataset_app = typer.Typer(help="Inspect datasets in the EJUST-GYM-3 layout.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")
