"""What every `cnnviz` command shares: the one-line usage error and the checks that raise it.

A bad argument or input ends a command with one line on stderr, "cnnviz COMMAND: error: ...",
and exit status 2 (cnnviz.cli.main prints it). TensorFlow is imported only after these cheap
checks, so a typo is reported at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile

from cnnviz.cluster import executors
from cnnviz.data import datasets, file_reading
from cnnviz.model import spec_limits
from cnnviz.training import presets

EXIT_TRAINING_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# Help of the options several commands share.
DATASET_HELP = f"one of {', '.join(datasets.DATASETS)}"
DATA_DIR_HELP = "folder holding <dataset>.npz files in Keras layout (default: $CNNVIZ_DATA_DIR)"
LIMIT_HELP = "train on only this many training images"
RAY_HELP = (
    "run trainings on a Ray cluster: local, auto, HOST:6379 or ray://HOST:10001 "
    f"(default: ${executors.RAY_ADDRESS_ENV}, else in this process)"
)


class CommandError(Exception):
    """A bad argument or input, reported as one line with exit status 2."""


def parse_number(text: str, option: str, kind: type = int, minimum: int | None = None):
    """The number an option's text gives, at least `minimum`; else a CommandError."""
    try:
        value = kind(text)
    except ValueError:
        example = "a whole number" if kind is int else "a number such as 0.001"
        raise CommandError(f"{option} must be {example}. Received: {text!r}") from None
    if minimum is not None and value < minimum:
        raise CommandError(f"{option} must be at least {minimum}. Received: {value}")
    return value


def checked(function, *arguments, prefix: str = ""):
    """Call function, turning the ValueError it raises for bad input into a CommandError."""
    try:
        return function(*arguments)
    except ValueError as error:  # SpecError is a ValueError too
        raise CommandError(f"{prefix}{error}") from None


def ray_address(arguments: argparse.Namespace, environment=None) -> str | None:
    """The --ray-address (or CNNVIZ_RAY_ADDRESS), checked to answer; None trains in-process."""
    address = arguments.ray_address or executors.configured_address(environment)
    if address is None:
        return None
    if not executors.ray_installed():
        raise CommandError(
            f'--ray-address {address} needs Ray: pip install -e ".[cluster]" (or ray==2.60.0).'
        )
    checked(executors.check_reachable, address)
    return address


def spec_file(path_text: str, server_limits: spec_limits.Limits) -> dict:
    """Read and check a spec file (--spec) as an upload is checked, reading at most the limit."""
    data = checked(file_reading.read_bytes, path_text, "--spec", server_limits.max_spec_bytes)
    return checked(spec_limits.read_spec, data, server_limits, prefix=f"{path_text}: ")


def preset_spec(name: str, info: datasets.DatasetInfo) -> dict:
    """The spec of the preset `name` for the data set `info`; a CommandError if unknown."""
    return checked(presets.preset_spec, name, info.input_shape, info.num_classes)


@contextlib.contextmanager
def quiet_native_stderr():
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


def start_tensorflow() -> None:
    """Import Keras (and TensorFlow) quietly and let TensorFlow probe its devices."""
    with quiet_native_stderr():
        import keras

        keras.ops.convert_to_tensor(0.0)  # the first tensor triggers the CUDA probe's log
