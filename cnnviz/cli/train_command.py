"""`cnnviz train`: train a model from a preset or a spec file and save it.

    cnnviz train --dataset mnist|FILE.npz [--preset NAME | --spec FILE.json] --out DIR

Training goes through the same TrainingJob as the app. Everything that needs no TensorFlow is
checked first, so mistakes are reported at once. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

from cnnviz.cli import progress
from cnnviz.cli.checks import (
    DATA_DIR_HELP,
    DATASET_HELP,
    EXIT_INTERRUPTED,
    EXIT_TRAINING_FAILED,
    LIMIT_HELP,
    RAY_HELP,
    CommandError,
    checked,
    parse_number,
    preset_spec,
    ray_address,
    spec_file,
    start_tensorflow,
)
from cnnviz.cluster import executors
from cnnviz.data import data_folder, datasets, extra_datasets, file_reading
from cnnviz.model import spec as spec_module
from cnnviz.model import spec_limits
from cnnviz.training import limits as training_limits
from cnnviz.training import lr_schedules, presets, scheduler
from cnnviz.training import settings as training_settings
from cnnviz.training.job_state import JobState, StopReason


def _epilog() -> str:
    """The presets and the limits, below the options in `cnnviz train --help`."""
    preset_lines = [
        f"  {name:<14} {preset.description}" for name, preset in presets.PRESETS.items()
    ]
    defaults = spec_limits.Limits()
    return (
        "presets (--preset NAME):\n"
        + "\n".join(preset_lines)
        + f"\n\nlimits (as on a class server; --no-limits lifts them): at most "
        f"{defaults.max_params:,} parameters, about {defaults.max_memory_mb} MB "
        f"of memory per training, {defaults.max_layers} layers and "
        f"{defaults.max_epochs} epochs; change them with the environment variables "
        f"{', '.join(spec_limits.ENVIRONMENT.values())}."
    )


def _add_settings_arguments(train: argparse.ArgumentParser) -> None:
    """The options that become TrainingSettings (the preset's suggestions fill the gaps)."""
    train.add_argument("--epochs", help="epochs to train (default: the preset's suggestion, or 1)")
    train.add_argument("--batch-size", help="images per batch (default: the preset's, or 128)")
    train.add_argument(
        "--optimizer",
        help=f"{', '.join(training_settings.OPTIMIZER_NAMES)}: how the weights move (default: "
        "the preset's, or adam)",
    )
    train.add_argument(
        "--learning-rate",
        help="step size; the top of the one cycle (default: the preset's, or 0.001)",
    )
    train.add_argument(
        "--lr-schedule",
        help=f"{', '.join(lr_schedules.SCHEDULE_NAMES)}: how the learning rate moves over the "
        "epochs (default: the preset's, or constant)",
    )
    train.add_argument(
        "--label-smoothing",
        help="0 to 0.5; trains towards 1 - s for the true class (default: the preset's, or 0)",
    )
    train.add_argument(
        "--test-time-flip",
        action=argparse.BooleanOptionalAction,
        help="judge test images by the mean of each image and its mirror image, for photos "
        "(default: the preset's, or off)",
    )
    train.add_argument(
        "--mixed-precision",
        action=argparse.BooleanOptionalAction,
        help="compute in bfloat16 while training (weights stay float32): about 1.5x faster on "
        "CPUs with AVX-512 BF16 or AMX, slower on others (default: the preset's, or off)",
    )
    train.add_argument("--limit", dest="train_limit", help=LIMIT_HELP)
    train.add_argument(
        "--seed", help="seed of the data split and initial weights, 0 or more (default 0)"
    )


def add_parser(commands) -> None:
    """Add `cnnviz train` to the `cnnviz` command's subparsers."""
    train = commands.add_parser(
        "train",
        help="train a model from a preset or a spec file and save it",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--dataset",
        required=True,
        help=f"{DATASET_HELP}, or an .npz file from `cnnviz data`",
    )
    train.add_argument("--spec", help='JSON file holding the model spec, {"layers": [...]}')
    train.add_argument("--preset", help=f"a named model (default {presets.DEFAULT_PRESET})")
    _add_settings_arguments(train)
    train.add_argument(
        "--data-dir",
        help=DATA_DIR_HELP + "; images must hold pixel values 0-255 (float images scaled 0-1 "
        "are refused, with the line that converts them)",
    )
    train.add_argument(
        "--no-limits",
        action="store_true",
        help="lift the server limits on parameters, memory, layers and epochs (the "
        "$CNNVIZ_MAX_* variables); for one's own machine",
    )
    train.add_argument("--ray-address", help=RAY_HELP)
    train.add_argument("--out", required=True, help="folder for model.keras, spec.json and more")
    train.set_defaults(handler=run)


@dataclasses.dataclass(frozen=True)
class TrainPlan:
    """What `cnnviz train` will do, every part checked before TensorFlow is imported."""

    info: datasets.DatasetInfo
    file_dataset: datasets.Dataset | None  # the --dataset .npz file, already read
    model_spec: dict
    preset_name: str | None  # None when the model comes from --spec
    settings: training_settings.TrainingSettings
    out_dir: Path
    data_dir: Path | None
    ray_address: str | None


def finite_or_none(value):
    """JSON has no NaN or infinity: a diverged run's losses become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite_or_none(item) for item in value]
    return value


def _train_settings(
    arguments: argparse.Namespace, preset_name: str | None, input_shape: tuple[int, ...]
) -> dict:
    """The training settings given as options; the preset's suggestions, then TrainingSettings's
    own defaults, fill the gaps."""
    values = presets.PRESETS[preset_name].settings_for(input_shape) if preset_name else {}
    for name, option, kind in (
        ("epochs", "--epochs", int),
        ("batch_size", "--batch-size", int),
        ("learning_rate", "--learning-rate", float),
        ("label_smoothing", "--label-smoothing", float),
        ("train_limit", "--limit", int),
        ("seed", "--seed", int),
    ):
        if getattr(arguments, name) is not None:
            values[name] = parse_number(getattr(arguments, name), option, kind)
    for name in ("optimizer", "lr_schedule", "test_time_flip", "mixed_precision"):
        if getattr(arguments, name) is not None:
            values[name] = getattr(arguments, name)
    return values


def _file_dataset(text: str, data_dir: str | None) -> datasets.Dataset | None:
    """The data set named by --dataset when it is an .npz file (or local:NAME), else None."""
    if text.startswith(data_folder.LOCAL_PREFIX):
        return checked(data_folder.load_local_dataset, text, data_dir)
    if not text.endswith(".npz") and os.sep not in text:
        return None
    path = checked(file_reading.check_file, text, "--dataset", file_reading.NPZ_BYTES)
    return checked(extra_datasets.read_labelled_npz, path, path.stem, path.stem)


def plan(arguments: argparse.Namespace) -> TrainPlan:
    """Check every option and input that needs no TensorFlow, in the order a student reads them."""
    server_limits = (
        spec_limits.no_limits() if arguments.no_limits else checked(spec_limits.from_environment)
    )
    checked(training_limits.session_grace_seconds)  # training/job_base.py reads it on import
    file_dataset = _file_dataset(arguments.dataset, arguments.data_dir)
    info = file_dataset.info if file_dataset else checked(datasets.get_info, arguments.dataset)
    if arguments.spec is not None and arguments.preset is not None:
        raise CommandError("give either --spec or --preset, not both.")
    preset_name = None if arguments.spec else arguments.preset or presets.DEFAULT_PRESET
    if preset_name is None:
        model_spec = spec_file(arguments.spec, server_limits)
    else:
        model_spec = preset_spec(preset_name, info)
    settings_values = _train_settings(arguments, preset_name, info.input_shape)
    settings = training_settings.TrainingSettings(**settings_values)
    checked(settings.check)
    checked(training_limits.check_epochs, settings.epochs, server_limits)
    prefix = f"{arguments.spec}: " if preset_name is None else ""
    checked(
        training_limits.check_training, model_spec, info, settings, server_limits, prefix=prefix
    )
    out_dir = Path(arguments.out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise CommandError(f"--out {out_dir} is a file; give a folder (created when missing).")
    data_dir = checked(datasets.resolve_data_dir, arguments.data_dir)
    return TrainPlan(
        info, file_dataset, model_spec, preset_name, settings, out_dir, data_dir,
        ray_address(arguments),
    )  # fmt: skip


def _follow(job, stop_reason) -> bool:
    """Show the job's progress until it ends; True when Ctrl-C stopped it."""
    with progress.ProgressReporter(sys.stderr) as reporter:
        try:
            reporter.follow(job)
            return False
        except KeyboardInterrupt:
            reporter.note("Stopping after this batch (Ctrl-C again quits at once)...")
            job.stop(stop_reason)
            progress.wait_interruptibly(job)  # a second Ctrl-C ends the command (main catches it)
            reporter.show(job.status())
            return True


def _summary(record, train_plan: TrainPlan, arguments, dataset, job) -> dict:
    """The results as the last output line gives them (and history.json keeps them)."""
    return finite_or_none(
        {
            "state": record.state,
            "message": record.message,
            "test_accuracy": record.test_accuracy,
            "test_loss": record.test_loss,
            "train_seconds": round(record.train_seconds, 3),
            "samples_per_second": record.samples_per_second and round(record.samples_per_second, 1),
            "epochs": record.epochs,
            "warning": record.warning,
            "params": record.params,
            "dataset": train_plan.info.name,
            "data_source": dataset.source,
            "preset": train_plan.preset_name,
            "spec": arguments.spec,
            "out": str(train_plan.out_dir),
            "executor": str(executors.executor_of(job)),
        }
    )


def _save(job, record, summary: dict, train_plan: TrainPlan) -> None:
    out_dir = train_plan.out_dir
    try:
        job.model.save(out_dir / "model.keras")
        (out_dir / "spec.json").write_text(spec_module.to_json(train_plan.model_spec) + "\n")
        # history.json is the run record (settings, spec, history) plus the results above.
        contents = {**dataclasses.asdict(record), "results": summary}
        (out_dir / "history.json").write_text(json.dumps(finite_or_none(contents)) + "\n")
    except OSError as error:
        raise CommandError(f"cannot write to --out {out_dir}: {error}") from None


def run(arguments: argparse.Namespace) -> int:
    train_plan = plan(arguments)
    start_tensorflow()
    from cnnviz.training import job as _  # noqa: F401 - job: TensorFlow loads here, quietly
    from cnnviz.training import runs

    info = train_plan.info
    dataset = train_plan.file_dataset or checked(
        datasets.load_dataset, info.name, train_plan.data_dir
    )
    job = checked(
        lambda: executors.new_job(
            train_plan.model_spec,
            dataset,
            train_plan.settings,
            name="cnnviz",
            ray_address=train_plan.ray_address,
            scheduler=scheduler.TrainingScheduler(1),
        )
    )
    try:
        train_plan.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create --out {train_plan.out_dir}: {error.strerror}.") from None
    print(
        f"Training {train_plan.preset_name or arguments.spec} ({job.params:,} parameters) on "
        f"{dataset.describe_source()}",
        file=sys.stderr,
        flush=True,
    )
    job.start()
    interrupted = _follow(job, StopReason.INTERRUPTED)
    record = runs.RunRecord.from_job(1, job)
    summary = _summary(record, train_plan, arguments, dataset, job)
    _save(job, record, summary, train_plan)
    if record.test_accuracy is not None:
        print(
            f"Test accuracy {record.test_accuracy:.2%} after {record.epochs:g} epoch(s), "
            f"{record.train_seconds:.1f} s of training. Saved {train_plan.out_dir / 'model.keras'}."
        )
    if record.warning:
        print(f"cnnviz train: warning: {record.warning}", file=sys.stderr)
    print(json.dumps(summary))
    if interrupted:
        return EXIT_INTERRUPTED
    if job.state in (JobState.FAILED, JobState.DIVERGED):
        print(f"cnnviz train: {job.message}", file=sys.stderr)
        return EXIT_TRAINING_FAILED
    return 0
