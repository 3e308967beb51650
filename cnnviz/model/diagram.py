"""The architecture diagram's facts: each layer's block size, multiply-adds and memory.

Pure Python (no TensorFlow, no plotly), so the Build page can redraw the diagram on every edit.
cnnviz.figures.architecture draws what this computes.

Multiply-adds count one multiplication and one addition as one operation, for one image at
prediction time, as papers report a network's cost:

- Conv2D: output height x width x filters x (kernel height x width x input channels);
- Dense: inputs x units;
- BatchNormalization: one per value (scale and shift);
- ResidualBlock: the sum of its convolutions and batch norms, the shortcut's included;
- pooling, flattening, activations, dropout and augmentation: none (augmentation does nothing
  at prediction time; the others compare, copy or add without multiplying).

Each layer type's record carries its own rule (`multiply_adds`); a record without one cannot
be made, so no layer draws 0 by omission.

Memory is in 32-bit floats: the weights (every parameter), and the activations of one image
(the input, every layer's output and the steps inside a ResidualBlock, as a forward pass keeps
them for the backward pass).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnviz.model import layer_types
from cnnviz.model import spec as spec_module
from cnnviz.quantities import BYTES_PER_NUMBER

# Drawing sizes: a block's height follows the image side, its width the number of channels.
# Both grow with the logarithm, so a 1-channel 28x28 input and 128 channels of 4x4 are both
# visible; they are scaled to at most 1 and at least MIN_SIZE.
MIN_SIZE = 0.12


# One step inside a ResidualBlock, drawn inside its block (its record's `parts` rule).
Part = layer_types.Part


@dataclass(frozen=True)
class Block:
    """One layer of the diagram (or the input, at position 0)."""

    position: int
    type: str
    label: str
    output_shape: tuple[int, ...]
    params: int
    multiply_adds: int
    height: float
    width: float
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class Diagram:
    """The blocks up to the first mistake in the spec, and the totals of those blocks.

    Attributes:
        blocks: the input, then one block per layer that could be checked.
        total_params: parameters of those layers, as Keras counts them.
        total_multiply_adds: multiply-adds for one image.
        weight_bytes: memory of the parameters.
        activation_bytes: memory of the input and every output, for one image.
        error: the spec's first mistake, or None; the blocks stop before it.
    """

    blocks: tuple[Block, ...]
    total_params: int
    total_multiply_adds: int
    weight_bytes: int
    activation_bytes: int
    error: str | None = None


def multiply_adds(layer: dict, input_shape: tuple[int, ...], output_shape) -> int:
    """Multiply-adds of one checked layer for one image, as its layer type's record counts."""
    record = layer_types.CATALOGUE[layer["type"]]
    return record.multiply_adds(layer, tuple(input_shape), tuple(output_shape))


def _scaled(value: int, largest: int) -> float:
    if largest <= 1:
        return 1.0
    return max(MIN_SIZE, math.log2(value + 1) / math.log2(largest + 1))


def _block_sizes(shapes: list[tuple[int, ...]]) -> list[tuple[float, float]]:
    """(height, width) of each block: image side and channels, or a flat vector's length."""
    sides = [shape[0] for shape in shapes if len(shape) == 3]
    channels = [shape[-1] for shape in shapes if len(shape) == 3]
    flats = [shape[0] for shape in shapes if len(shape) == 1]
    largest_side, largest_channels = max(sides, default=1), max(channels, default=1)
    largest_flat = max(flats, default=1)
    sizes = []
    for shape in shapes:
        if len(shape) == 3:
            sizes.append((_scaled(shape[0], largest_side), _scaled(shape[-1], largest_channels)))
        else:
            # A vector is a thin bar; its height follows its length.
            sizes.append((_scaled(shape[0], largest_flat), MIN_SIZE / 2))
    return sizes


def build_diagram(spec: dict, input_shape: tuple[int, ...], num_classes: int) -> Diagram:
    """The diagram of a spec for this input, up to its first mistake (named in `error`)."""
    infos, error = spec_module.analyse(spec, tuple(input_shape), num_classes)
    layers = spec.get("layers", []) if isinstance(spec, dict) else []
    shapes = [tuple(input_shape), *[info.output_shape for info in infos]]
    sizes = _block_sizes(shapes)
    height, width = sizes[0]
    blocks = [Block(0, "Input", "Input", tuple(input_shape), 0, 0, height, width)]
    for info, (height, width) in zip(infos, sizes[1:], strict=True):
        layer = layers[info.position - 1]
        before = shapes[info.position - 1]
        record = layer_types.CATALOGUE[info.type]
        parts = tuple(record.parts(layer, before)) if record.parts else ()
        blocks.append(
            Block(
                info.position,
                info.type,
                spec_module.describe_layer(layer),
                info.output_shape,
                info.params,
                multiply_adds(layer, before, info.output_shape),
                height,
                width,
                parts,
            )
        )
    total_params = sum(block.params for block in blocks)
    return Diagram(
        tuple(blocks),
        total_params,
        sum(block.multiply_adds for block in blocks),
        total_params * BYTES_PER_NUMBER,
        (sum(math.prod(shape) for shape in shapes) + sum(info.inner_values for info in infos))
        * BYTES_PER_NUMBER,
        str(error) if error is not None else None,
    )
