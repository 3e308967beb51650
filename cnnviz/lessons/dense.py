"""Lesson 5 (flattening and dense layers): a stack of feature maps flattened into one list, a
dense layer as weighted sums of it, softmax turning the sums into probabilities, and every
layer's parameter count worked out by hand beside the count cnnviz's layer catalogue gives
(the count Keras's model.summary() shows, computed without TensorFlow)."""

from __future__ import annotations

import numpy as np

from cnnviz.lessons import activations, convolution, pooling
from cnnviz.model import spec as model_spec
from cnnviz.training import presets

# The three filters whose maps the lesson stacks: lesson 2's presets, so they are familiar.
STACK_KERNELS = ("vertical edge", "horizontal edge", "blur")
CLASS_COUNT = 10
# The dense layer's weights are random (seeded, so every student sees the same numbers): the
# lesson shows how a dense layer computes, not what a trained one knows.
WEIGHT_SEED = 5
PARAMETER_PRESET = "keras_example"


def stack_of_maps(image) -> np.ndarray:
    """The picture through each STACK_KERNELS filter, ReLU and 2x2 max pooling, stacked as
    (height, width, filters), the layout Keras's Flatten reads."""
    maps = [
        pooling.pool(
            activations.relu(convolution.feature_map(image, convolution.KERNEL_PRESETS[name]))
        )
        for name in STACK_KERNELS
    ]
    return np.stack(maps, axis=-1)


def flatten(maps) -> np.ndarray:
    """One long list of the maps' values: row by row, and within a position channel by
    channel, as keras.layers.Flatten orders them."""
    return np.asarray(maps, dtype=np.float64).reshape(-1)


def flat_position(index: int, shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """Which (row, column, channel) of the maps a flattened value came from."""
    row, rest = divmod(int(index), shape[1] * shape[2])
    column, channel = divmod(rest, shape[2])
    return row, column, channel


def dense_weights(input_count: int, units: int = CLASS_COUNT) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random weights (input_count, units), scaled like Keras's Glorot uniform, and
    small biases."""
    generator = np.random.default_rng(WEIGHT_SEED)
    limit = np.sqrt(6.0 / (input_count + units))
    return (
        generator.uniform(-limit, limit, (input_count, units)),
        generator.uniform(-0.1, 0.1, units),
    )


def dense(inputs, weights, bias) -> np.ndarray:
    """Each unit's weighted sum of every input, plus its bias (no activation)."""
    return np.asarray(inputs, dtype=np.float64) @ np.asarray(weights) + np.asarray(bias)


def unit_detail(inputs, weights, bias, unit: int, top: int = 5) -> dict:
    """One unit's sum written out: its largest contributions (input times weight) by size."""
    inputs = np.asarray(inputs, dtype=np.float64)
    column = np.asarray(weights)[:, unit]
    contributions = inputs * column
    order = np.argsort(-np.abs(contributions), kind="stable")[:top]
    return {
        "top": order,
        "inputs": inputs[order],
        "weights": column[order],
        "contributions": contributions[order],
        "rest": float(contributions.sum() - contributions[order].sum()),
        "bias": float(bias[unit]),
        "sum": float(contributions.sum() + bias[unit]),
        "input_count": int(inputs.size),
    }


def softmax(scores) -> np.ndarray:
    """Probabilities from scores: e^score / sum of e^score (shifted by the largest score
    first, which changes nothing but keeps exp() from overflowing)."""
    scores = np.asarray(scores, dtype=np.float64)
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()


def _by_hand(layer: dict, input_shape: tuple[int, ...]) -> tuple[str, int] | None:
    kind = layer["type"]
    if kind == "Conv2D":
        size = layer["kernel_size"]
        size = size if isinstance(size, int) else size[0]
        channels, filters = input_shape[-1], layer["filters"]
        count = (size * size * channels + 1) * filters
        return f"({size}×{size}×{channels} weights + 1 bias) × {filters} filters", count
    if kind == "Dense":
        inputs, units = input_shape[-1], layer["units"]
        return f"({inputs} inputs + 1 bias) × {units} units", (inputs + 1) * units
    if kind in ("MaxPooling2D", "AveragePooling2D", "Flatten", "Dropout"):
        return "nothing to learn", 0
    return None


def parameter_rows(
    preset: str = PARAMETER_PRESET, input_shape=(28, 28, 1), classes: int = CLASS_COUNT
) -> list[dict]:
    """Each layer of a preset: its output shape, its parameters worked out by hand (where the
    lesson has a rule for its type) and the catalogue's count (Keras's model.summary())."""
    spec = presets.preset_spec(preset, tuple(input_shape), classes)
    infos = model_spec.validate(spec, tuple(input_shape), classes)
    rows = []
    shape = tuple(input_shape)
    for layer, info in zip(spec["layers"], infos, strict=True):
        hand = _by_hand(layer, shape)
        rows.append(
            {
                "layer": layer["type"],
                "output": "×".join(str(side) for side in info.output_shape),
                "by_hand": hand[0] if hand else "(see the Build page)",
                "by_hand_count": hand[1] if hand else None,
                "keras_count": info.params,
            }
        )
        shape = tuple(info.output_shape)
    return rows
