"""The ``cnnviz`` command: start the app, train a model, or benchmark the training path.

    cnnviz app [--data-dir DIR] [--port N] [--address IP] [--max-trainings N]
    cnnviz train --dataset mnist|FILE.npz [--preset NAME | --spec FILE.json] --out DIR
    cnnviz bench [--quick]
    cnnviz bench first-page [--servers N]
    cnnviz export --spec FILE.json --dataset NAME --to keras|pytorch|json
    cnnviz data --from FOLDER_OR_ZIP --image-size 28|32|64 --out FILE.npz
    cnnviz inspect --model FILE.keras --image FILE [--dataset NAME] --out DIR

Training goes through the same TrainingJob as the app. TensorFlow is imported only after the
cheap checks of the arguments, so a typo is reported at once. A bad argument or input ends with
one line on stderr, "cnnviz COMMAND: error: ...", and exit status 2; the last stdout line of
`train` and `bench` is one JSON object for scripts to read.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from cnnviz import app_files, datasets, extra_datasets, file_reading, launcher, limits, progress
from cnnviz import spec as spec_module
from cnnviz.cluster import executors
from cnnviz.training import limits as training_limits
from cnnviz.training import lr_schedules, presets, scheduler
from cnnviz.training import settings as training_settings
from cnnviz.training.job_state import JobState, StopReason

# The tests and benchmarks start the server with the same command as `cnnviz app`.
streamlit_command = launcher.streamlit_command

EXIT_TRAINING_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEFAULT_PORT = 8501
# `bench --quick` trains on at most this many images for at most this many rounds.
QUICK_LIMIT = 3000
QUICK_ROUNDS = 2


class CommandError(Exception):
    """A bad argument or input, reported as one line with exit status 2."""


def app_script_path() -> Path:
    """Where the Streamlit app is: the checkout's app.py, or the installed wheel's copy."""
    return app_files.app_dir() / app_files.APP_SCRIPT


# ----- checks of arguments and inputs: each failure is one actionable line -----


def _parse_number(text: str, option: str, kind: type = int, minimum: int | None = None):
    try:
        value = kind(text)
    except ValueError:
        example = "a whole number" if kind is int else "a number such as 0.001"
        raise CommandError(f"{option} must be {example}. Received: {text!r}") from None
    if minimum is not None and value < minimum:
        raise CommandError(f"{option} must be at least {minimum}. Received: {value}")
    return value


def _checked(function, *arguments, prefix: str = ""):
    """Call function, turning the ValueError it raises for bad input into a CommandError."""
    try:
        return function(*arguments)
    except ValueError as error:  # SpecError is a ValueError too
        raise CommandError(f"{prefix}{error}") from None


def _ray_address(arguments: argparse.Namespace, environment=None) -> str | None:
    """The --ray-address (or CNNVIZ_RAY_ADDRESS), checked to answer; None trains in-process."""
    address = arguments.ray_address or executors.configured_address(environment)
    if address is None:
        return None
    if not executors.ray_installed():
        raise CommandError(
            f'--ray-address {address} needs Ray: pip install -e ".[cluster]" (or ray==2.60.0).'
        )
    _checked(executors.check_reachable, address)
    return address


def _spec_file(path_text: str, server_limits: limits.Limits) -> dict:
    """Read and check a spec file (--spec) as an upload is checked, reading at most the limit."""
    data = _checked(file_reading.read_bytes, path_text, "--spec", server_limits.max_spec_bytes)
    return _checked(limits.read_spec, data, server_limits, prefix=f"{path_text}: ")


def _preset_spec(name: str, info: datasets.DatasetInfo) -> dict:
    return _checked(presets.preset_spec, name, info.input_shape, info.num_classes)


@contextlib.contextmanager
def _quiet_native_stderr():
    """Hide what TensorFlow's C++ code writes to file descriptor 2 while it starts up.

    TensorFlow 2.21 logs about ten lines (oneDNN, CUDA, CPU features) on import and first use,
    which TF_CPP_MIN_LOG_LEVEL no longer silences. Python's own exceptions still propagate.
    """
    sys.stderr.flush()
    try:
        saved_descriptor = os.dup(2)
    except OSError:  # no stderr at all: nothing to hide
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved_descriptor, 2)
            os.close(saved_descriptor)


def _import_training():
    """Import the TensorFlow-backed modules quietly and let TensorFlow probe its devices."""
    with _quiet_native_stderr():
        import keras

        from cnnviz import bench
        from cnnviz.training import job, runs  # noqa: F401 - job: TensorFlow loads here, quietly

        keras.ops.convert_to_tensor(0.0)  # the first tensor triggers the CUDA probe's log
    return runs, bench


# ----- cnnviz app -----


def _limits_environment(arguments: argparse.Namespace) -> dict[str, str]:
    """The environment variables that carry `cnnviz app`'s limit flags to the server."""
    environment = {}
    if arguments.no_limits:
        environment[limits.NO_LIMITS_ENV] = "1"
    for field, variable in limits.ENVIRONMENT.items():
        text = getattr(arguments, field)
        if text is not None:
            option = "--" + field.replace("_", "-")
            maximum = spec_module.MAX_LAYERS if field == "max_layers" else None
            environment[variable] = str(_checked(limits.parse_positive_int, text, option, maximum))
    return environment


def _run_app(arguments: argparse.Namespace) -> int:
    port = _parse_number(arguments.port, "--port", minimum=1)
    if port > 65535:
        raise CommandError(f"--port must be at most 65535. Received: {port}")
    environment = {**os.environ, **_limits_environment(arguments)}
    # Bad limits or a bad grace period in the environment fail now, not in the server.
    _checked(limits.from_environment, environment)
    _checked(training_limits.session_grace_seconds, environment)
    data_dir = _checked(datasets.resolve_data_dir, arguments.data_dir)
    if data_dir is not None:
        environment[datasets.DATA_DIR_ENV] = str(data_dir.resolve())
    if arguments.max_trainings is not None:
        max_trainings = _parse_number(arguments.max_trainings, "--max-trainings", minimum=1)
        environment[scheduler.MAX_TRAININGS_ENV] = str(max_trainings)
    else:
        _checked(scheduler.default_max_concurrent)  # a bad CNNVIZ_MAX_TRAININGS fails now
    ray_address = _ray_address(arguments, environment)
    if ray_address is not None:
        environment[executors.RAY_ADDRESS_ENV] = ray_address
        _checked(executors.cpus_per_training, environment)
    if arguments.address is not None:
        environment[launcher.ADDRESS_ENV] = arguments.address
    address = _checked(launcher.configured_address, environment)
    app_path = app_script_path()
    missing = app_files.missing_files(app_path.parent)
    if missing:
        raise CommandError(
            f"cannot find the app's {', '.join(missing)} in {app_path.parent}; reinstall cnnviz "
            f"(`pip install -e .` in a checkout, or a wheel built with `pip wheel .`)."
        )
    headless = not (sys.stdin is not None and sys.stdin.isatty())
    command = streamlit_command(app_path, port, headless, address)
    return launcher.run_server(command, environment, app_path.parent)


# ----- cnnviz train -----


def _finite_or_none(value):
    """JSON has no NaN or infinity: a diverged run's losses become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(item) for item in value]
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
            values[name] = _parse_number(getattr(arguments, name), option, kind)
    for name in ("optimizer", "lr_schedule", "test_time_flip", "mixed_precision"):
        if getattr(arguments, name) is not None:
            values[name] = getattr(arguments, name)
    return values


def _file_dataset(text: str, data_dir: str | None) -> datasets.Dataset | None:
    """The data set named by --dataset when it is an .npz file (or local:NAME), else None."""
    if text.startswith(extra_datasets.LOCAL_PREFIX):
        return _checked(extra_datasets.load_local_dataset, text, data_dir)
    if not text.endswith(".npz") and os.sep not in text:
        return None
    path = _checked(file_reading.check_file, text, "--dataset", file_reading.NPZ_BYTES)
    return _checked(extra_datasets.read_labelled_npz, path, path.stem, path.stem)


def _run_train(arguments: argparse.Namespace) -> int:
    # Everything that needs no TensorFlow is checked first, so mistakes are reported at once.
    server_limits = limits.no_limits() if arguments.no_limits else _checked(limits.from_environment)
    _checked(training_limits.session_grace_seconds)  # training/job_base.py reads it on import
    file_dataset = _file_dataset(arguments.dataset, arguments.data_dir)
    if file_dataset is not None:
        info = file_dataset.info
    else:
        info = _checked(datasets.get_info, arguments.dataset)
    if arguments.spec is not None and arguments.preset is not None:
        raise CommandError("give either --spec or --preset, not both.")
    preset_name = None if arguments.spec else arguments.preset or presets.DEFAULT_PRESET
    if preset_name is None:
        model_spec = _spec_file(arguments.spec, server_limits)
    else:
        model_spec = _preset_spec(preset_name, info)
    settings_values = _train_settings(arguments, preset_name, info.input_shape)
    settings = training_settings.TrainingSettings(**settings_values)
    _checked(settings.check)
    _checked(training_limits.check_epochs, settings.epochs, server_limits)
    prefix = f"{arguments.spec}: " if preset_name is None else ""
    _checked(
        training_limits.check_training, model_spec, info, settings, server_limits, prefix=prefix
    )
    out_dir = Path(arguments.out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise CommandError(f"--out {out_dir} is a file; give a folder (created when missing).")
    data_dir = _checked(datasets.resolve_data_dir, arguments.data_dir)
    ray_address = _ray_address(arguments)

    runs, _ = _import_training()
    dataset = file_dataset or _checked(datasets.load_dataset, info.name, data_dir)
    job = _checked(
        lambda: executors.new_job(
            model_spec,
            dataset,
            settings,
            name="cnnviz",
            ray_address=ray_address,
            scheduler=scheduler.TrainingScheduler(1),
        )
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create --out {out_dir}: {error.strerror}.") from None

    print(
        f"Training {preset_name or arguments.spec} ({job.params:,} parameters) on "
        f"{dataset.describe_source()}",
        file=sys.stderr,
        flush=True,
    )
    reporter = progress.ProgressReporter(sys.stderr)
    interrupted = False
    job.start()
    try:
        reporter.follow(job)
    except KeyboardInterrupt:
        interrupted = True
        reporter.end_line()
        print("Stopping after this batch (Ctrl-C again quits at once)...", file=sys.stderr)
        job.stop(StopReason.INTERRUPTED)
        progress.wait_interruptibly(job)  # a second Ctrl-C ends the command here (main catches it)
        reporter.show(job.status())

    record = runs.RunRecord.from_job(1, job)
    summary = {
        "state": record.state,
        "message": record.message,
        "test_accuracy": record.test_accuracy,
        "test_loss": record.test_loss,
        "train_seconds": round(record.train_seconds, 3),
        "samples_per_second": record.samples_per_second and round(record.samples_per_second, 1),
        "epochs": record.epochs,
        "warning": record.warning,
        "params": record.params,
        "dataset": info.name,
        "data_source": dataset.source,
        "preset": preset_name,
        "spec": arguments.spec,
        "out": str(out_dir),
        "executor": str(executors.executor_of(job)),
    }
    summary = _finite_or_none(summary)
    try:
        job.model.save(out_dir / "model.keras")
        (out_dir / "spec.json").write_text(spec_module.to_json(model_spec) + "\n")
        # history.json is the run record (settings, spec, history) plus the results above.
        contents = {**dataclasses.asdict(record), "results": summary}
        (out_dir / "history.json").write_text(json.dumps(_finite_or_none(contents)) + "\n")
    except OSError as error:
        raise CommandError(f"cannot write to --out {out_dir}: {error}") from None
    if record.test_accuracy is not None:
        print(
            f"Test accuracy {record.test_accuracy:.2%} after {record.epochs:g} epoch(s), "
            f"{record.train_seconds:.1f} s of training. Saved {out_dir / 'model.keras'}."
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


# ----- cnnviz bench -----


def _run_bench(arguments: argparse.Namespace) -> int:
    if arguments.what == "first-page":
        return _run_bench_first_page(arguments)
    info = _checked(datasets.get_info, arguments.dataset)
    model_spec = _preset_spec(arguments.preset, info)
    parts = [part for part in arguments.batch_sizes.split(",") if part.strip()]
    if not parts:
        raise CommandError("--batch-sizes needs at least one batch size, e.g. 32,128.")
    batch_sizes = [_parse_number(part, "each of --batch-sizes", minimum=1) for part in parts]
    rounds = _parse_number(arguments.rounds, "--rounds", minimum=1)
    limit = None if arguments.limit is None else _parse_number(arguments.limit, "--limit")
    queued_jobs = _parse_number(arguments.queued_jobs, "--queued-jobs", minimum=0)
    if arguments.ray_address is not None and not queued_jobs:
        raise CommandError("--ray-address goes with --queued-jobs N (N trainings on Ray).")
    ray_address = _ray_address(arguments) if arguments.ray_address is not None else None
    if arguments.quick:
        rounds = min(rounds, QUICK_ROUNDS)
        limit = QUICK_LIMIT if limit is None else min(limit, QUICK_LIMIT)
    data_dir = _checked(datasets.resolve_data_dir, arguments.data_dir)

    _, bench = _import_training()
    # A quick run never waits for a download: the bundled sample is enough for it.
    allow_download = False if arguments.quick else None
    dataset = _checked(datasets.load_dataset, info.name, data_dir, allow_download)
    print(f"Benchmark of {arguments.preset} on {dataset.describe_source()}", flush=True)
    report = _checked(
        lambda: bench.run_benchmark(
            dataset,
            model_spec,
            batch_sizes,
            rounds,
            train_limit=limit,
            on_round=lambda measurement: print(bench.describe_round(measurement), flush=True),
        )
    )
    for result in report.results:
        print(bench.describe_result(result))
    summary = report.as_dict()
    if ray_address is not None:
        from cnnviz import bench_ray

        settings = training_settings.TrainingSettings(batch_size=batch_sizes[0], train_limit=limit)
        side_by_side = _checked(
            bench_ray.measure_ray_against_local,
            dataset,
            model_spec,
            settings,
            queued_jobs,
            ray_address,
        )
        print(bench_ray.describe(side_by_side))
        summary["ray"] = side_by_side
    elif queued_jobs:
        from cnnviz import bench_queue

        settings = training_settings.TrainingSettings(batch_size=batch_sizes[0], train_limit=limit)
        queue = bench_queue.measure_queue_effect(dataset, model_spec, settings, queued_jobs, rounds)
        print(
            f"with {queued_jobs} trainings queued behind it: alone "
            f"{queue['alone_samples_per_second']:,.0f} images/s, queued "
            f"{queue['queued_samples_per_second']:,.0f} images/s, ratio {queue['ratio']:.3f} "
            f"(median of round ratios {queue['round_ratio']:.3f})"
        )
        summary["queue"] = queue
    print(json.dumps(summary))
    return 0


def _run_bench_first_page(arguments: argparse.Namespace) -> int:
    from cnnviz import bench_first_page

    servers = _parse_number(arguments.servers, "--servers", minimum=1)
    summary = _checked(bench_first_page.run, servers)
    print(json.dumps(summary))
    return 0


def _run_export(arguments: argparse.Namespace) -> int:
    """Print a spec file as Keras code, PyTorch code or checked JSON."""
    # Imported here: the other commands do not need it; it loads no TensorFlow either way.
    from cnnviz import export

    if arguments.to not in export.FORMATS:
        raise CommandError(
            f"--to must be one of {', '.join(export.FORMATS)}. Received: {arguments.to!r}"
        )
    info = _checked(datasets.get_info, arguments.dataset)
    model_spec = _spec_file(arguments.spec, _checked(limits.from_environment))
    text = _checked(
        export.export_text, model_spec, info.input_shape, info.num_classes, arguments.to
    )
    sys.stdout.write(text)
    return 0


# ----- cnnviz data -----


def _run_data(arguments: argparse.Namespace) -> int:
    from cnnviz import cli_data

    return _checked(cli_data.run_data, arguments)


# ----- the parser -----


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `cnnviz` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="cnnviz", description="Build, train and look inside convolutional neural networks."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dataset_help = f"one of {', '.join(datasets.DATASETS)}"
    data_dir_help = "folder holding <dataset>.npz files in Keras layout (default: $CNNVIZ_DATA_DIR)"
    limit_help = "train on only this many training images"

    app = commands.add_parser("app", help="start the web app (Streamlit)")
    app.add_argument("--data-dir", help=data_dir_help)
    app.add_argument("--port", default=str(DEFAULT_PORT), help="port to serve on (default 8501)")
    app.add_argument(
        "--address",
        help="address to listen on: 127.0.0.1 keeps the app on this machine (default: "
        f"${launcher.ADDRESS_ENV}, else every interface, for a class on a network)",
    )
    app.add_argument("--max-trainings", help="trainings allowed at once (default: one per core)")
    ray_help = (
        "run trainings on a Ray cluster: local, auto, HOST:6379 or ray://HOST:10001 "
        f"(default: ${executors.RAY_ADDRESS_ENV}, else in this process)"
    )
    app.add_argument("--ray-address", help=ray_help)
    defaults = limits.Limits()
    limit_helps = {
        "max_params": f"parameters per model (default {defaults.max_params:,})",
        "max_memory_mb": f"estimated MB per training (default {defaults.max_memory_mb})",
        "max_layers": f"layers per spec (default {defaults.max_layers}, at most "
        f"{spec_module.MAX_LAYERS})",
        "max_epochs": f"epochs per training (default {defaults.max_epochs})",
        "max_spec_kb": f"size of a spec file in KB (default {defaults.max_spec_kb})",
        "max_runs_kept": f"runs kept per workspace (default {defaults.max_runs_kept})",
    }
    for field, text in limit_helps.items():
        app.add_argument(
            "--" + field.replace("_", "-"), help=f"{text}; or ${limits.ENVIRONMENT[field]}"
        )
    app.add_argument(
        "--no-limits",
        action="store_true",
        help="lift the size limits (for one's own machine, not a class server)",
    )
    app.set_defaults(handler=_run_app)

    preset_lines = [
        f"  {name:<14} {preset.description}" for name, preset in presets.PRESETS.items()
    ]
    train = commands.add_parser(
        "train",
        help="train a model from a preset or a spec file and save it",
        epilog="presets (--preset NAME):\n"
        + "\n".join(preset_lines)
        + f"\n\nlimits (as on a class server; --no-limits lifts them): at most "
        f"{limits.Limits().max_params:,} parameters, about {limits.Limits().max_memory_mb} MB "
        f"of memory per training, {limits.Limits().max_layers} layers and "
        f"{limits.Limits().max_epochs} epochs; change them with the environment variables "
        f"{', '.join(limits.ENVIRONMENT.values())}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--dataset", required=True, help=f"{dataset_help}, or an .npz file from `cnnviz data`"
    )
    train.add_argument("--spec", help='JSON file holding the model spec, {"layers": [...]}')
    train.add_argument("--preset", help=f"a named model (default {presets.DEFAULT_PRESET})")
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
    train.add_argument("--limit", dest="train_limit", help=limit_help)
    train.add_argument(
        "--data-dir",
        help=data_dir_help + "; images must hold pixel values 0-255 (float images scaled 0-1 "
        "are refused, with the line that converts them)",
    )
    train.add_argument(
        "--seed", help="seed of the data split and initial weights, 0 or more (default 0)"
    )
    train.add_argument(
        "--no-limits",
        action="store_true",
        help="lift the server limits on parameters, memory, layers and epochs (the "
        "$CNNVIZ_MAX_* variables); for one's own machine",
    )
    train.add_argument("--ray-address", help=ray_help)
    train.add_argument("--out", required=True, help="folder for model.keras, spec.json and more")
    train.set_defaults(handler=_run_train)

    bench = commands.add_parser(
        "bench",
        help="compare the app's training speed with model.fit; `bench first-page`: how fast a "
        "fresh server shows its Start page",
    )
    bench.add_argument(
        "what",
        nargs="?",
        choices=("training", "first-page"),
        default="training",
        help="training (default): the app's training path against model.fit; first-page: "
        "the time from starting fresh servers to their Start page in headless Chromium",
    )
    bench.add_argument(
        "--servers", default="5", help="first-page: fresh servers to time (default 5)"
    )
    bench.add_argument("--dataset", default="mnist", help=f"{dataset_help} (default mnist)")
    bench.add_argument("--batch-sizes", default="32,128", help="comma-separated (default 32,128)")
    bench.add_argument("--rounds", default="3", help="timed epochs per side (default 3)")
    bench.add_argument("--limit", help=limit_help)
    bench.add_argument("--preset", default=presets.DEFAULT_PRESET, help="the model to train")
    bench.add_argument("--data-dir", help=data_dir_help)
    bench.add_argument(
        "--queued-jobs",
        default="0",
        help="also measure the speed of a training with N more waiting behind it (default 0)",
    )
    bench.add_argument(
        "--ray-address",
        help="with --queued-jobs N: time N trainings on this Ray cluster (e.g. local) against "
        "in-process, side by side",
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: at most {QUICK_LIMIT} images and {QUICK_ROUNDS} rounds",
    )
    bench.set_defaults(handler=_run_bench)

    export = commands.add_parser(
        "export", help="print a spec file as Keras code, PyTorch code or JSON"
    )
    export.add_argument("--spec", required=True, help='JSON file holding {"layers": [...]}')
    export.add_argument("--dataset", required=True, help=f"the input it is for: {dataset_help}")
    export.add_argument("--to", required=True, help="keras, pytorch or json")
    export.set_defaults(handler=_run_export)
    from cnnviz import cli_data  # the `data` subcommand lives beside this module

    cli_data.add_parser(commands).set_defaults(handler=_run_data)
    _add_inspect_command(commands)
    return parser


# ----- cnnviz inspect -----


def _add_inspect_command(commands) -> None:
    from cnnviz import inspect_cli

    inspect = commands.add_parser(
        "inspect",
        help="feature maps, prediction and an HTML report for one image",
        description=inspect_cli.DESCRIPTION,
        epilog=inspect_cli.PIXELS_NOTE,
    )
    inspect_cli.add_arguments(inspect)
    inspect.set_defaults(handler=_run_inspect)


def _run_inspect(arguments: argparse.Namespace) -> int:
    from cnnviz import inspect_cli

    with _quiet_native_stderr():
        import keras

        keras.ops.convert_to_tensor(0.0)  # the first tensor triggers the CUDA probe's log
    try:
        summary = inspect_cli.run(arguments)
    except ValueError as error:  # InspectError and bad input found by the library
        raise CommandError(str(error)) from None
    print(f"Wrote feature_maps.npz, prediction.json and report.html to {summary['out']}")
    print(json.dumps(summary))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the `cnnviz` command; return its exit status."""
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except CommandError as error:
        # One line, even when the message quotes a multi-line error from a library.
        message = " ".join(str(error).split())
        print(f"cnnviz {arguments.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"\ncnnviz {arguments.command}: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
