"""Options shared by several commands, defined once (help text, ``--help`` panel) and the checks
that turn them into the library's option objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer

try:  # typer >= 0.2x vendors click as typer._click
    from typer._click.core import ParameterSource
except ImportError:  # pragma: no cover - older typer on the real click
    from click.core import ParameterSource

from repcoach.data.samples import SampleOptions
from repcoach.models.train import TrainOptions

MODALITIES = ("pose", "imu")

DATA = "Data"
MODEL = "Model"
AUGMENT = "Augmentation"
SCORERS = "Correctness scorers"
IMU = "IMU only (--modality imu)"
RUN = "Run"


def modality_option(default: str = "pose") -> typer.models.OptionInfo:
    """``--modality pose|imu``, the same on every command that takes it."""
    return typer.Option(default, "--modality", help="pose | imu.", rich_help_panel=DATA)


def check_modality(modality: str, supported: tuple[str, ...] = MODALITIES) -> str:
    """``modality`` if this command supports it, else a clear usage error."""
    if modality not in MODALITIES:
        raise typer.BadParameter(
            f"modality must be one of {', '.join(MODALITIES)}, got {modality!r}",
            param_hint="--modality",
        )
    if modality not in supported:
        raise typer.BadParameter(
            f"this command takes --modality {' | '.join(supported)} only", param_hint="--modality"
        )
    return modality


#: Options (parameter name -> flag) that only one modality has.
POSE_ONLY = {
    "presence": "--presence",
    "root_motion": "--root-motion",
    "mirror_average": "--mirror-average",
    "occlusion": "--occlusion",
    "camera_roll": "--camera-roll",
    "stretch": "--stretch",
    "time_warp": "--time-warp",
    "scorer_inputs": "--scorer-inputs",
    "scorer_arch": "--scorer-arch",
}
IMU_ONLY = {
    "mirror": "--mirror",
    "derived": "--derived",
    "rotate": "--rotate",
    "side_mirror": "--side-mirror",
    "copies": "--copies",
    "scale": "--scale",
    "channels": "--channels",
    "unit": "--unit",
    "label": "--label",
    "fold": "--fold",
    "features": "--features",
    "rep_model": "--rep-model",
}


def refuse(ctx: typer.Context, options: dict[str, str], other: str) -> None:
    """A usage error naming the ``options`` given on the command line (not left at their
    defaults) when they belong to the ``other`` modality."""
    names = [
        flag
        for name, flag in options.items()
        if name in ctx.params and ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    ]
    if names:
        raise typer.BadParameter(
            f"{', '.join(names)} only {'applies' if len(names) == 1 else 'apply'} to --modality "
            f"{other} (this model has no such option)",
            param_hint="--modality",
        )


# Data: how recordings become samples (pose).
SEQ_LEN = typer.Option(30, "--seq-len", help="Frames per model input.", rich_help_panel=DATA)
CLIP_MODE = typer.Option(
    "reps", "--clip-mode", help="reps | windows | whole.", rich_help_panel=DATA
)
WINDOW = typer.Option(
    2.0, "--window", help="Window length in seconds (--clip-mode windows).", rich_help_panel=DATA
)
STRIDE = typer.Option(
    1.0, "--stride", help="Window stride in seconds (--clip-mode windows).", rich_help_panel=DATA
)
VIEW = typer.Option(
    "frontal", "--view", help="EJUST camera: frontal | side | both.", rich_help_panel=DATA
)
GROUP_COL = typer.Option(
    None,
    "--group-col",
    help="index.csv column grouping near-duplicate clips (held out together).",
    rich_help_panel=DATA,
)
GROUP_BLOCKS = typer.Option(
    0,
    "--group-blocks",
    help="Cut each --group-col value (per label and correctness) into this many contiguous "
    "blocks of clips in index.csv order, each held out whole: later parts of the same sources "
    "are tested, neighbouring clips never on both sides (0 = off).",
    rich_help_panel=DATA,
)
TASK = typer.Option(
    "exercise",
    "--task",
    help="exercise (classifier [+ scorers]) | correctness (scorers).",
    rich_help_panel=DATA,
)
PRESENCE = typer.Option(
    False,
    "--presence",
    help="Append a presence channel per joint (for data with often-unseen joints).",
    rich_help_panel=MODEL,
)
ROOT_MOTION = typer.Option(
    False,
    "--root-motion",
    help="Append the body centre's motion (x, y "
    "in torso lengths): the global movement hip-centring removes.",
    rich_help_panel=MODEL,
)

# Model.
ARCH = typer.Option(
    None,
    "--arch",
    help="Classifier network. pose: bilstm (the paper's, "
    "default) | cnn | cnn_deep | cnn_attn | cnn_bilstm | rocket (MiniRocket transform + "
    "ridge head) | multirocket (MultiRocket: series + first difference, 4 poolings, ridge "
    "head), or several joined by + (rocket+cnn_deep: a cross-family ensemble averaging one "
    "network of each); imu: cnn (default) | cnn_deep | cnn_attn | cnn_bilstm | rocket | "
    "multirocket.",
    rich_help_panel=MODEL,
)
N_MODELS = typer.Option(
    1,
    "--n-models",
    help="Train a seed ensemble of this many networks (saved as one averaging model).",
    rich_help_panel=MODEL,
)
MIRROR_AVERAGE = typer.Option(
    False,
    "--mirror-average",
    help="The classifier averages its "
    "output on each input and its mirror image (left/right-symmetric "
    "exercises only).",
    rich_help_panel=MODEL,
)
LSTM_UNITS = typer.Option(
    256, "--lstm-units", help="BiLSTM units (paper: 256).", rich_help_panel=MODEL
)
EPOCHS = typer.Option(
    None,
    "--epochs",
    help="Maximum epochs: pose 100 (early stopping, patience 15); imu 30.",
    rich_help_panel=MODEL,
)
MIN_EPOCHS = typer.Option(
    10,
    "--min-epochs",
    help="pose: warm-up epochs never kept as the best (early stopping counts after them).",
    rich_help_panel=MODEL,
)

# Augmentation.
OCCLUSION = typer.Option(
    0.0,
    "--occlusion",
    help="Chance per training sample of hiding one "
    "body part (hips, legs or arms) as if never tracked; needs --presence "
    "(0 = off, the paper's).",
    rich_help_panel=AUGMENT,
)
CAMERA_ROLL = typer.Option(
    0.0,
    "--camera-roll",
    help="Rotate training skeletons in the image plane by up to this many degrees (a tilted "
    "camera; 0 = off).",
    rich_help_panel=AUGMENT,
)
STRETCH = typer.Option(
    0.0,
    "--stretch",
    help="Scale training skeletons' x and y independently by factors in 1 +- this (camera "
    "angle, body build; 0 = off).",
    rich_help_panel=AUGMENT,
)
TIME_WARP = typer.Option(
    0.0,
    "--time-warp",
    help="Bend training clips' time axis (speeding up or slowing down within the clip); the "
    "log of the bend exponent is uniform in +- this (0 = off).",
    rich_help_panel=AUGMENT,
)
NO_AUGMENT = typer.Option(
    False, "--no-augment", help="Train without augmentation.", rich_help_panel=AUGMENT
)

# Scorers.
SCORER_INPUTS = typer.Option(
    "auto",
    "--scorer-inputs",
    help="Extra scorer inputs: auto "
    "(repetition duration for --clip-mode reps) | none | duration | "
    "form (19 push-up form features, MediaPipe-33) | duration+form | signals (21 statistics of "
    "the 3-D push-up form signals) | form+signals.",
    rich_help_panel=SCORERS,
)
SCORER_ARCH = typer.Option(
    "bilstm",
    "--scorer-arch",
    help="Scorer model: bilstm (pose + extra "
    "inputs) | mlp (a small MLP on the extra scorer inputs only) | forest (a random forest on "
    "the extra scorer inputs only, kept as Keras layers).",
    rich_help_panel=SCORERS,
)

# IMU.
MIRROR = typer.Option(
    None,
    "--mirror",
    help="Left-right mirror augmentation axis x | y | z (default none).",
    rich_help_panel=IMU,
)
DERIVED = typer.Option(
    False,
    "--derived",
    help="Add orientation-robust channels inside the "
    "model (|acc|, |gyro|, gravity direction per sensor).",
    rich_help_panel=IMU,
)
ROTATE = typer.Option(
    None,
    "--rotate",
    help="Random sensor-rotation augmentation in degrees (default 25; 0 = off).",
    rich_help_panel=IMU,
)
SIDE_MIRROR = typer.Option(
    None,
    "--side-mirror",
    help="Mirror the recordings worn on the left side (index.csv side = L) about this axis "
    "(x | y | z) into the right-side frame, in training and evaluation (default none).",
    rich_help_panel=IMU,
)
COPIES = typer.Option(
    0,
    "--copies",
    help="Rocket families: fit on the windows plus this many augmented copies (scale, "
    "--rotate, --mirror); the networks augment every epoch instead (default 0).",
    rich_help_panel=IMU,
)
SCALE = typer.Option(
    0.15,
    "--scale",
    help="Random amplitude-scaling augmentation, +- this fraction (default 0.15; 0 = off).",
    rich_help_panel=IMU,
)
CHANNELS = typer.Option(
    None,
    "--channels",
    help="acc | gyro | acc+gyro | all (default per dataset).",
    rich_help_panel=IMU,
)
UNIT = typer.Option(
    None, "--unit", help="recording (default) | rep (annotated repetitions).", rich_help_panel=IMU
)
LABEL = typer.Option(
    None,
    "--label",
    help="The index column to learn: label (default) | execution_type | correctness.",
    rich_help_panel=IMU,
)

# Run.
SEED = typer.Option(0, "--seed", help="Random seed.", rich_help_panel=RUN)
QUICK = typer.Option(
    False, "--quick", help="Small model, few epochs (smoke test).", rich_help_panel=RUN
)
QUIET = typer.Option(False, "--quiet", help="No progress bars.", rich_help_panel=RUN)


def grouping(sopts: SampleOptions) -> str:
    """What a pose report's groups are, for its ``evaluated_on`` section."""
    if sopts.group_blocks:
        per = f"index.csv column {sopts.group_col!r}, " if sopts.group_col else ""
        return (f"{sopts.group_blocks} contiguous blocks of clips (index.csv order) per {per}"
                "label and correctness")  # fmt: skip
    if sopts.group_col:
        return f"index.csv column {sopts.group_col!r}"
    return "participant (each clip when the participant is unknown)"


def pose_options(params: Mapping[str, Any]) -> tuple[SampleOptions, TrainOptions]:
    """The sample and training options of a pose ``train`` / ``crossval`` run (the command's
    parameters, ``ctx.params``), checked."""
    p = params
    if p["occlusion"] > 0 and not p["presence"]:
        raise typer.BadParameter(
            "hides body parts through the presence channels: add --presence",
            param_hint="--occlusion",
        )
    try:
        sopts = SampleOptions(
            seq_len=p["seq_len"],
            clip_mode=p["clip_mode"],
            window_s=p["window"],
            stride_s=p["stride"],
            view=p["view"],
            group_col=p["group_col"],
            group_blocks=p.get("group_blocks") or 0,
            presence=p["presence"],
            root_motion=p["root_motion"],
            progress=not p["quiet"],
        )
        topts = TrainOptions(
            task=p["task"],
            epochs=100 if p["epochs"] is None else p["epochs"],
            batch_size=p.get("batch_size") or 32,
            seed=p["seed"],
            quick=p["quick"],
            augment=not p.get("no_augment", False),
            scorers=not p.get("no_scorers", False),
            lstm_units=p.get("lstm_units", 256),
            n_models=p["n_models"],
            arch=p["arch"] or "bilstm",
            min_epochs=p["min_epochs"],
            mirror_average=p["mirror_average"],
            occlusion=p["occlusion"],
            roll_deg=p["camera_roll"],
            stretch=p["stretch"],
            time_warp=p["time_warp"],
            scorer_inputs=p["scorer_inputs"],
            scorer_arch=p["scorer_arch"],
            verbose=0 if p["quiet"] else 1,
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    return sopts, topts
