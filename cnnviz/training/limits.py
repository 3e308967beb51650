"""A training against the server's limits: the memory estimate, the size and epoch checks, and
how long a training outlives its closed tab.

The limits themselves (what a server allows, from its CNNVIZ_* variables) and a spec file's
checks are cnnviz.limits'; this half needs the training settings (the optimizer's state in the
memory estimate). Pure Python: the Build page shows the estimate on every edit without
TensorFlow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnnviz.model import spec as spec_module
from cnnviz.model.spec_limits import Limits, check_layer_count, from_environment
from cnnviz.quantities import BYTES_PER_NUMBER, format_bytes, number_setting
from cnnviz.training import settings as training_settings

SESSION_GRACE_ENV = "CNNVIZ_SESSION_GRACE_SECONDS"
DEFAULT_SESSION_GRACE_SECONDS = 60.0


def session_grace_seconds(environ: Mapping[str, str] | None = None) -> float:
    """How long a training outlives its closed tab: CNNVIZ_SESSION_GRACE_SECONDS, default 60.

    Raises:
        ValueError: when the variable is not a number of seconds, 0 or more.
    """
    environ = os.environ if environ is None else environ
    return number_setting(
        environ,
        SESSION_GRACE_ENV,
        DEFAULT_SESSION_GRACE_SECONDS,
        what="a number of seconds, 0 or more, such as 60",
        allow_zero=True,
    )


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
