"""The name a spec's layer gets in the Keras model (and in the exported code): one rule, pure
Python, so the builder and the Build page's code export (which must not load TensorFlow) share
it."""

from __future__ import annotations

import re


def layer_name(position: int, layer_type: str) -> str:
    """The model's name for the spec's layer at 1-based position, e.g. 'conv2d_1'.

    Naming layers by spec position keeps the spec, the shape table and the model in step, and
    does not depend on Keras's global name counters.
    """
    snake = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", layer_type).lower()
    return f"{snake}_{position}"


def spec_position(name: str) -> int:
    """The 1-based spec position a model layer's name carries: 'conv2d_3' -> 3."""
    return int(name.rsplit("_", 1)[1])
