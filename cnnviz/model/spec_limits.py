"""Server limits: the record of what one server allows, and reading a spec within them.

One server hosts a whole class, so one student's model must not take the memory or the time of
everyone else. Each limit has a default, can be changed for the server with an environment
variable (``cnnviz app`` sets them from its flags), and comes with a message that says the limit
and how to get under it. ``no_limits()`` lifts them for one's own machine; the facts that would
make TensorFlow fail whatever the machine (spec.py's checks) still apply.

This is the model's half: the Limits record and every check a spec file, an upload or a share
link gets before it becomes a spec (size, JSON, layer count, layer arguments). It lives beside
spec.py, below training, so that share links (cnnviz.export) read specs without importing
training. The training half (the memory estimate, the size and epoch checks) is in limits.py.
Pure Python: the Build page checks on every edit without TensorFlow.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnnviz.model import spec as spec_module

NO_LIMITS_ENV = "CNNVIZ_NO_LIMITS"
# A spec file is read up to this size even without limits: no spec needs more, and a file such
# as /dev/zero must not be read for ever.
NO_LIMITS_SPEC_KB = 16 * 1024


@dataclass(frozen=True)
class Limits:
    """What one server allows. None means no limit.

    Attributes:
        max_params: parameters per model.
        max_memory_mb: estimated memory per training, in MB (see limits.estimate_training_memory).
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
