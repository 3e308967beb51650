"""Server limits: how big a model, a training and a spec file may be, and the memory estimate.

One server hosts a whole class, so one student's model must not take the memory or the time of
everyone else. Each limit has a default, can be changed for the server with an environment
variable (``cnnviz app`` sets them from its flags), and comes with a message that says the limit
and how to get under it. ``no_limits()`` lifts them for one's own machine; the facts that would
make TensorFlow fail whatever the machine (spec.py's checks) still apply.

Pure Python, like spec.py: the Build page shows the estimate on every edit without TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnnviz import spec as spec_module
from cnnviz.training import settings as training_settings

NO_LIMITS_ENV = "CNNVIZ_NO_LIMITS"
SESSION_GRACE_ENV = "CNNVIZ_SESSION_GRACE_SECONDS"
DEFAULT_SESSION_GRACE_SECONDS = 60.0
# A spec file is read up to this size even without limits: no spec needs more, and a file such
# as /dev/zero must not be read for ever.
NO_LIMITS_SPEC_KB = 16 * 1024
BYTES_PER_NUMBER = 4  # weights, gradients and activations are float32


@dataclass(frozen=True)
class Limits:
    """What one server allows. None means no limit.

    Attributes:
        max_params: parameters per model.
        max_memory_mb: estimated memory per training, in MB (see estimate_training_memory).
        max_layers: layers per spec (spec.MAX_LAYERS applies whatever this says).
        max_epochs: epochs per training (one press of Train or Continue).
        max_spec_kb: size of a spec file read or uploaded, in KB.
        max_runs_kept: finished runs kept per workspace for comparison.
    """

    max_params: int | None = 5_000_000
    max_memory_mb: int | None = 1024
    max_layers: int | None = 100
    max_epochs: int | None = 100
    max_spec_kb: int = 256
    max_runs_kept: int = 20

    @property
    def max_spec_bytes(self) -> int:
        return self.max_spec_kb * 1024


# The environment variable of each limit, and what it is for messages.
ENVIRONMENT = {
    "max_params": "CNNVIZ_MAX_PARAMS",
    "max_memory_mb": "CNNVIZ_MAX_MEMORY_MB",
    "max_layers": "CNNVIZ_MAX_LAYERS",
    "max_epochs": "CNNVIZ_MAX_EPOCHS",
    "max_spec_kb": "CNNVIZ_MAX_SPEC_KB",
    "max_runs_kept": "CNNVIZ_MAX_RUNS",
}


def no_limits() -> Limits:
    """Limits for one's own machine: no size limits, a generous spec file size."""
    return Limits(
        max_params=None,
        max_memory_mb=None,
        max_layers=None,
        max_epochs=None,
        max_spec_kb=NO_LIMITS_SPEC_KB,
    )


def parse_positive_int(text: str, name: str, maximum: int | None = None) -> int:
    """A whole number of at least 1 from text, or a ValueError naming `name`."""
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"{name} must be a whole number such as 100. Received: {text!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1. Received: {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:,}. Received: {value}")
    return value


def from_environment(environ: Mapping[str, str] | None = None) -> Limits:
    """The server's limits: the defaults, changed by the environment variables in ENVIRONMENT.

    CNNVIZ_NO_LIMITS=1 starts from no_limits() instead of the defaults.

    Raises:
        ValueError: naming the variable whose value is not a whole number of at least 1.
    """
    environ = os.environ if environ is None else environ
    base = no_limits() if environ.get(NO_LIMITS_ENV, "") in ("1", "true", "yes") else Limits()
    changes = {}
    for field, variable in ENVIRONMENT.items():
        text = environ.get(variable, "")
        if text.strip():
            maximum = spec_module.MAX_LAYERS if field == "max_layers" else None
            changes[field] = parse_positive_int(text, variable, maximum)
    return dataclasses.replace(base, **changes)


def session_grace_seconds(environ: Mapping[str, str] | None = None) -> float:
    """How long a training outlives its closed tab: CNNVIZ_SESSION_GRACE_SECONDS, default 60.

    Raises:
        ValueError: when the variable is not a number of seconds, 0 or more.
    """
    environ = os.environ if environ is None else environ
    text = environ.get(SESSION_GRACE_ENV, "").strip()
    if not text:
        return DEFAULT_SESSION_GRACE_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(
            f"{SESSION_GRACE_ENV} must be a number of seconds, 0 or more, such as 60. "
            f"Received: {text!r}"
        )
    return seconds


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes one training step needs, by what holds them."""

    weights: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer_state + self.activations


def estimate_training_memory(
    infos: list[spec_module.LayerInfo],
    input_shape: tuple[int, ...],
    optimizer: str,
    batch_size: int,
) -> MemoryEstimate:
    """Estimate the memory of one training step of a validated spec, in bytes.

    The count, all in float32 numbers of 4 bytes:

    - weights: every parameter (trainable or not);
    - gradients: one per trainable parameter;
    - optimizer state: the optimizer's slots per trainable parameter
      (training_settings.OPTIMIZER_STATE_SLOTS: Adam 2, RMSprop 1, plain SGD 0);
    - activations of one batch, forward and backward: the input, its rescaled copy and every
      layer's output (and the steps inside a ResidualBlock), each kept from the forward pass
      for the backward one and matched by a gradient of the same size there (so twice), times
      the batch size.

    TensorFlow's own workspace and the data set are not counted, so real use is somewhat
    higher; the estimate is for comparing models and refusing absurd ones, not a promise.
    """
    params = sum(info.params for info in infos)
    trainable = sum(info.trainable_params for info in infos)
    slots = training_settings.OPTIMIZER_STATE_SLOTS[optimizer]
    values_per_image = 2 * math.prod(input_shape)
    values_per_image += sum(math.prod(info.output_shape) + info.inner_values for info in infos)
    return MemoryEstimate(
        weights=params * BYTES_PER_NUMBER,
        gradients=trainable * BYTES_PER_NUMBER,
        optimizer_state=slots * trainable * BYTES_PER_NUMBER,
        activations=2 * values_per_image * batch_size * BYTES_PER_NUMBER,
    )


def format_bytes(count: int) -> str:
    """Bytes as people read them: 1536 -> '1.5 KB', 3 * 2**30 -> '3.0 GB'."""
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


def check_spec_size(byte_count: int, limits: Limits, what: str = "The spec file") -> None:
    """Raise SpecError when a spec file is larger than the limit (checked before parsing)."""
    if byte_count > limits.max_spec_bytes:
        raise spec_module.SpecError(
            f"{what} is larger than {limits.max_spec_kb:,} KB, the most this server reads. "
            f"A spec of 100 layers takes about 10 KB: check that it is a cnnviz spec. "
            f"Received: {byte_count:,} bytes or more."
        )


def check_layer_count(spec: Any, limits: Limits) -> None:
    """Raise SpecError when a spec has more layers than the server allows."""
    layers = spec_module.check_spec_structure(spec)
    if limits.max_layers is not None and len(layers) > limits.max_layers:
        raise spec_module.SpecError(
            f"The spec has {len(layers):,} layers; this server allows at most "
            f"{limits.max_layers:,}. Remove layers to get under it. "
            f"Received: {len(layers):,} layers"
        )


def read_spec(data: bytes | str, limits: Limits, what: str = "The spec file") -> dict:
    """A spec from a file, an upload or a share link, with the checks every source gets.

    Its size, then its JSON (too deep a nesting is refused, not a RecursionError), its layer
    count against the server's limit and every layer's type and arguments; shapes are left to
    the editor. One function, so no way in skips a check another way in makes.

    Raises:
        SpecError: the first problem found, as one actionable line.
    """
    size = len(data.encode() if isinstance(data, str) else data)
    check_spec_size(size, limits, what)
    spec = spec_module.from_json(data)
    check_layer_count(spec, limits)
    spec_module.check_layers(spec)
    return spec


def _setting(settings: Any, name: str) -> Any:
    if isinstance(settings, Mapping):
        return settings.get(name, getattr(training_settings.TrainingSettings, name))
    return getattr(settings, name)


def check_training(
    spec: Any, info: Any, settings: Any, limits: Limits | None = None
) -> tuple[list[spec_module.LayerInfo], MemoryEstimate]:
    """Check that a spec can be built and trained on this server; return its analysis.

    Args:
        spec: the model spec.
        info: the data set's DatasetInfo (input_shape, num_classes, title).
        settings: TrainingSettings, or a dict of some of its fields (the rest are defaults);
            the batch size and optimizer enter the memory estimate.
        limits: the limits to apply; the server's (from the environment) when None.

    Raises:
        SpecError: for an invalid spec or one over a limit, saying how to get under it.
    """
    limits = from_environment() if limits is None else limits
    check_layer_count(spec, limits)
    infos = spec_module.validate(spec, info.input_shape, info.num_classes, info.title)
    return infos, check_size(infos, info, settings, limits)


def check_size(
    infos: list[spec_module.LayerInfo], info: Any, settings: Any, limits: Limits
) -> MemoryEstimate:
    """Check a validated spec's parameters and memory estimate against the limits.

    Returns:
        The memory estimate (see estimate_training_memory).

    Raises:
        SpecError: naming the layer that holds the most parameters, or the widest output.
    """
    batch_size = _setting(settings, "batch_size")
    optimizer = _setting(settings, "optimizer")
    estimate = estimate_training_memory(infos, info.input_shape, optimizer, batch_size)
    params = spec_module.total_params(infos)
    if limits.max_params is not None and params > limits.max_params:
        biggest = max(infos, key=lambda layer_info: layer_info.params)
        raise spec_module.SpecError(
            f"The model has {params:,} parameters; this server allows at most "
            f"{limits.max_params:,}. Layer {biggest.position} ({biggest.type}) holds the most "
            f"({biggest.params:,}): give it fewer units or filters, or add pooling before the "
            f"Flatten. Received: params={params:,}",
            biggest.position,
        )
    if limits.max_memory_mb is not None and estimate.total > limits.max_memory_mb * 2**20:
        widest = max(infos, key=lambda layer_info: math.prod(layer_info.output_shape))
        raise spec_module.SpecError(
            f"Training this model would need about {format_bytes(estimate.total)} "
            f"({format_bytes(estimate.activations)} of it for one batch of {batch_size} images); "
            f"this server allows {format_bytes(limits.max_memory_mb * 2**20)} per training. "
            f"Use a smaller batch size, or fewer filters in the early layers: layer "
            f"{widest.position} ({widest.type}) has the largest output, "
            f"{spec_module.format_shape(widest.output_shape)} per image. "
            f"Received: batch_size={batch_size}, about {format_bytes(estimate.total)}",
            widest.position,
        )
    return estimate


def training_problem(
    spec: Any, info: Any, settings: Any, limits: Limits | None = None
) -> spec_module.SpecError | None:
    """The SpecError check_training would raise, or None: for pages that show it."""
    try:
        check_training(spec, info, settings, limits)
    except spec_module.SpecError as error:
        return error
    return None


def check_epochs(epochs: int, limits: Limits) -> None:
    """Raise ValueError when one training asks for more epochs than the server allows."""
    if limits.max_epochs is not None and epochs > limits.max_epochs:
        raise ValueError(
            f"epochs must be at most {limits.max_epochs} on this server; train in several "
            f"parts with Continue if you need more. Received: epochs={epochs}"
        )
