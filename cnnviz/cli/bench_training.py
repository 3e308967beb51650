"""The benchmarks of the training path, as `cnnviz bench` runs them: their options and runs.

    cnnviz bench [training] [--quick] [--queued-jobs N [--ray-address A]] ...
    cnnviz bench queue [--queued-jobs 3] ...
    cnnviz bench ray [--ray-address local] [--queued-jobs 6] ...

The measurements are in cnnviz.bench (training_path, queue_effect, ray_overhead); this module
checks the options first, with the `cnnviz` command's one-line errors, and only then imports
TensorFlow and loads the data.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from cnnviz.cli.checks import (
    DATA_DIR_HELP,
    DATASET_HELP,
    LIMIT_HELP,
    CommandError,
    checked,
    parse_number,
    preset_spec,
    ray_address,
    start_tensorflow,
)
from cnnviz.data import datasets
from cnnviz.training import presets
from cnnviz.training import settings as training_settings

# `--quick` trains on at most this many images for at most this many rounds.
QUICK_LIMIT = 3000
QUICK_ROUNDS = 2


@dataclasses.dataclass(frozen=True)
class BenchInputs:
    """The options every training benchmark shares, checked."""

    info: datasets.DatasetInfo
    model_spec: dict
    rounds: int
    limit: int | None
    data_dir: Path | None
    quick: bool


def add_shared_arguments(parser: argparse.ArgumentParser, rounds_help: str | None) -> None:
    """The data set, model and size options of every training benchmark."""
    parser.add_argument("--dataset", default="mnist", help=f"{DATASET_HELP} (default mnist)")
    parser.add_argument("--data-dir", help=DATA_DIR_HELP)
    parser.add_argument("--preset", default=presets.DEFAULT_PRESET, help="the model to train")
    if rounds_help is not None:
        parser.add_argument("--rounds", default="3", help=rounds_help)
    parser.add_argument("--limit", help=LIMIT_HELP)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: at most {QUICK_LIMIT} images and {QUICK_ROUNDS} rounds",
    )


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the training-path benchmark (plain `cnnviz bench`)."""
    add_shared_arguments(parser, "timed epochs per side (default 3)")
    parser.add_argument("--batch-sizes", default="32,128", help="comma-separated (default 32,128)")
    parser.add_argument(
        "--queued-jobs",
        default="0",
        help="also measure the speed of a training with N more waiting behind it (default 0)",
    )
    parser.add_argument(
        "--ray-address",
        help="with --queued-jobs N: time N trainings on this Ray cluster (e.g. local) against "
        "in-process, side by side",
    )


def add_queue_arguments(parser: argparse.ArgumentParser) -> None:
    add_shared_arguments(parser, "timed epochs each way, alone and queued (default 3)")
    parser.add_argument("--batch-size", default="128", help="images per batch (default 128)")
    parser.add_argument(
        "--queued-jobs", default="3", help="trainings waiting behind the running one (default 3)"
    )


def add_ray_arguments(parser: argparse.ArgumentParser) -> None:
    add_shared_arguments(parser, None)  # each side trains its N jobs once
    parser.add_argument("--batch-size", default="128", help="images per batch (default 128)")
    parser.add_argument(
        "--queued-jobs", default="6", help="trainings started at once on each side (default 6)"
    )
    parser.add_argument(
        "--ray-address",
        default="local",
        help="the Ray cluster: local (default), auto, HOST:6379 or ray://HOST:10001",
    )


def _inputs(arguments: argparse.Namespace) -> BenchInputs:
    info = checked(datasets.get_info, arguments.dataset)
    model_spec = preset_spec(arguments.preset, info)
    rounds = parse_number(getattr(arguments, "rounds", "1"), "--rounds", minimum=1)
    limit = None if arguments.limit is None else parse_number(arguments.limit, "--limit")
    if arguments.quick:
        rounds = min(rounds, QUICK_ROUNDS)
        limit = QUICK_LIMIT if limit is None else min(limit, QUICK_LIMIT)
    data_dir = checked(datasets.resolve_data_dir, arguments.data_dir)
    return BenchInputs(info, model_spec, rounds, limit, data_dir, arguments.quick)


def _load(inputs: BenchInputs) -> datasets.Dataset:
    """Start TensorFlow and load the data set: after every cheap check has passed."""
    start_tensorflow()
    # A quick run never waits for a download: the bundled sample is enough for it.
    allow_download = False if inputs.quick else None
    return checked(datasets.load_dataset, inputs.info.name, inputs.data_dir, allow_download)


def _batch_sizes(text: str) -> list[int]:
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise CommandError("--batch-sizes needs at least one batch size, e.g. 32,128.")
    return [parse_number(part, "each of --batch-sizes", minimum=1) for part in parts]


def _settings(batch_size: int, inputs: BenchInputs) -> training_settings.TrainingSettings:
    return training_settings.TrainingSettings(batch_size=batch_size, train_limit=inputs.limit)


def _measure_queue(dataset, inputs: BenchInputs, batch_size: int, waiting: int) -> dict:
    from cnnviz.bench import queue_effect

    settings = _settings(batch_size, inputs)
    result = queue_effect.measure_queue_effect(
        dataset, inputs.model_spec, settings, waiting, inputs.rounds
    )
    print(queue_effect.describe(result))
    return result


def _measure_ray(dataset, inputs: BenchInputs, batch_size: int, count: int, address) -> dict:
    from cnnviz.bench import ray_overhead

    settings = _settings(batch_size, inputs)
    result = checked(
        ray_overhead.measure_ray_against_local, dataset, inputs.model_spec, settings, count, address
    )
    print(ray_overhead.describe(result))
    return result


def run_training(arguments: argparse.Namespace) -> dict:
    """The app's training path against model.fit, then the queue or Ray figures if asked."""
    inputs = _inputs(arguments)
    batch_sizes = _batch_sizes(arguments.batch_sizes)
    queued_jobs = parse_number(arguments.queued_jobs, "--queued-jobs", minimum=0)
    if arguments.ray_address is not None and not queued_jobs:
        raise CommandError("--ray-address goes with --queued-jobs N (N trainings on Ray).")
    address = ray_address(arguments) if arguments.ray_address is not None else None
    dataset = _load(inputs)
    from cnnviz.bench import training_path

    print(f"Benchmark of {arguments.preset} on {dataset.describe_source()}", flush=True)
    report = checked(
        lambda: training_path.run_benchmark(
            dataset,
            inputs.model_spec,
            batch_sizes,
            inputs.rounds,
            train_limit=inputs.limit,
            on_round=lambda measurement: print(
                training_path.describe_round(measurement), flush=True
            ),
        )
    )
    for result in report.results:
        print(training_path.describe_result(result))
    summary = report.as_dict()
    if address is not None:
        summary["ray"] = _measure_ray(dataset, inputs, batch_sizes[0], queued_jobs, address)
    elif queued_jobs:
        summary["queue"] = _measure_queue(dataset, inputs, batch_sizes[0], queued_jobs)
    return summary


def run_queue(arguments: argparse.Namespace) -> dict:
    """Only the queue's effect: a training's speed alone and with N more waiting behind it."""
    inputs = _inputs(arguments)
    batch_size = parse_number(arguments.batch_size, "--batch-size", minimum=1)
    waiting = parse_number(arguments.queued_jobs, "--queued-jobs", minimum=1)
    dataset = _load(inputs)
    print(f"Queue benchmark of {arguments.preset} on {dataset.describe_source()}", flush=True)
    return _measure_queue(dataset, inputs, batch_size, waiting)


def run_ray(arguments: argparse.Namespace) -> dict:
    """Only Ray against in-process: N trainings at once on each side."""
    inputs = _inputs(arguments)
    batch_size = parse_number(arguments.batch_size, "--batch-size", minimum=1)
    count = parse_number(arguments.queued_jobs, "--queued-jobs", minimum=1)
    address = ray_address(arguments)
    dataset = _load(inputs)
    print(f"Ray benchmark of {arguments.preset} on {dataset.describe_source()}", flush=True)
    return _measure_ray(dataset, inputs, batch_size, count, address)
