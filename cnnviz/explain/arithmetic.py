"""The arithmetic behind one output value of a layer, with the real numbers.

A student who clicks one value of a feature map should be able to check it by hand: for a
convolution, the input patch under the filter, the filter's weights, their weighted sum, the
bias and the activation; for pooling, the window and its maximum or average; for a dense layer,
the inputs that contributed most. Each function returns plain numpy arrays and numbers, and
also the value the layer itself produced, so the two can be compared.
"""

from __future__ import annotations

import keras
import numpy as np

from cnnviz.explain import inspection, window_arithmetic
from cnnviz.model import layer_types
from cnnviz.quantities import is_whole_number

Family = layer_types.LayerFamily


def _pooling_kind(layer) -> str:
    # Keras's pooling classes are named after what they keep: MaxPooling2D, GlobalMax...
    return "max" if "Max" in type(layer).__name__ else "average"


def _layer(model: keras.Model, name: str, family, what: str) -> keras.layers.Layer:
    names = [layer.name for layer in model.layers if inspection.layer_family(layer) == family]
    if name not in names:
        raise ValueError(
            f"{name!r} is not a {what} layer of this model. Choose one of: "
            f"{', '.join(names) if names else 'none (the model has no such layer)'}."
        )
    return model.get_layer(name)


def _input_and_output(model: keras.Model, layer, image: np.ndarray) -> tuple[np.ndarray, ...]:
    """What one layer receives and gives for one image (batch axis dropped)."""
    image = inspection.check_image(model, image)
    sub_model = keras.Model(model.inputs[0], [layer.input, layer.output])
    received, produced = sub_model(image[np.newaxis].astype("float32"), training=False)
    return (
        np.asarray(keras.ops.convert_to_numpy(received)[0], dtype=np.float64),
        np.asarray(keras.ops.convert_to_numpy(produced)[0], dtype=np.float64),
    )


def _check_index(name: str, value, size: int) -> int:
    if not is_whole_number(value):
        raise ValueError(f"{name} must be a whole number. Received: {name}={value!r}")
    if not 0 <= value < size:
        raise ValueError(f"{name} must lie between 0 and {size - 1}. Received: {name}={value}")
    return int(value)


def _window_origin(layer, received: np.ndarray, produced: np.ndarray, window, row, column):
    return window_arithmetic.window_origin(
        received.shape[:2], produced.shape[:2], window, layer.strides, layer.padding, row, column
    )


def _activation_name(layer) -> str:
    function = getattr(layer, "activation", None)
    return getattr(function, "__name__", "linear") if function is not None else "linear"


def _activate(layer, value: float) -> float:
    return float(keras.ops.convert_to_numpy(layer.activation(np.array([value], np.float32)))[0])


def conv_detail(model: keras.Model, layer_name: str, image, row: int, column: int, channel: int):
    """How a convolution layer computes one output value.

    Every convolution type's record gives the ordinary convolution that computes the same
    (`as_convolution`): a depthwise filter is zero on all input channels but its own, and a
    separable convolution's filter is its depthwise filters weighted by its pointwise weights.

    Args:
        model: the model.
        layer_name: one of its convolution layers.
        image: (height, width, channels) raw pixels, matching the model input.
        row, column: the output position.
        channel: the output channel (the filter).

    Returns:
        dict with "patch" (kernel_height, kernel_width, in_channels: the input values under the
        filter, zeros where the filter hangs over the padded edge), "inside" (bool mask of the
        positions that lie on the input), "kernel" (same shape: the filter's weights),
        "channel_sums" (in_channels: patch times kernel summed per input channel),
        "weighted_sum", "bias", "pre_activation", "activation" (its name), "value" (the
        activation of pre_activation) and "layer_value" (what the layer output there).

    Raises:
        ValueError: for a name that is not a convolution layer, a position or channel outside
            the output, or an image of the wrong shape.
    """
    layer = _layer(model, layer_name, Family.CONVOLUTION, "convolution")
    if tuple(layer.dilation_rate) != (1, 1) or getattr(layer, "groups", 1) != 1:
        raise ValueError(f"{layer_name} uses dilation or groups, which this view does not show.")
    received, produced = _input_and_output(model, layer, image)
    row = _check_index("row", row, produced.shape[0])
    column = _check_index("column", column, produced.shape[1])
    channel = _check_index("channel", channel, produced.shape[2])
    weights = [np.asarray(array, dtype=np.float64) for array in layer.get_weights()]
    kernel, bias_vector = inspection.layer_record(layer).as_convolution(weights)
    window = kernel.shape[:2]
    origin = _window_origin(layer, received, produced, window, row, column)
    patch, inside = window_arithmetic.cut_window(received, origin, window)
    weights = kernel[:, :, :, channel]
    _, channel_sums = window_arithmetic.weighted_sum(patch, weights)
    bias = float(bias_vector[channel]) if bias_vector is not None else 0.0
    weighted_sum = float(channel_sums.sum())
    pre_activation = weighted_sum + bias
    return {
        "patch": patch,
        "inside": inside,
        "kernel": weights,
        "channel_sums": channel_sums,
        "weighted_sum": weighted_sum,
        "bias": bias,
        "pre_activation": pre_activation,
        "activation": _activation_name(layer),
        "value": _activate(layer, pre_activation),
        "layer_value": float(produced[row, column, channel]),
        "origin": origin,
    }


def pool_detail(model: keras.Model, layer_name: str, image, row: int, column: int, channel: int):
    """How a pooling layer computes one output value.

    Global pooling layers have one value per channel: row and column must then be 0, and the
    window is the whole feature map.

    Returns:
        dict with "window" (window_height, window_width: the input values of that channel,
        NaN where the window hangs over the edge), "kind" ("max" or "average"), "value" (the
        max or the mean of the values on the input, as TensorFlow pools) and "layer_value".

    Raises:
        ValueError: for a name that is not a pooling layer, a position or channel outside
            the output, or an image of the wrong shape.
    """
    layer = _layer(model, layer_name, Family.POOLING, "pooling")
    kind = _pooling_kind(layer)
    received, produced = _input_and_output(model, layer, image)
    if produced.ndim == 1:  # global pooling: (channels,)
        _check_index("row", row, 1)
        _check_index("column", column, 1)
        channel = _check_index("channel", channel, produced.shape[0])
        window = received[:, :, channel]
        layer_value = float(produced[channel])
        origin = (0, 0)
    else:
        row = _check_index("row", row, produced.shape[0])
        column = _check_index("column", column, produced.shape[1])
        channel = _check_index("channel", channel, produced.shape[2])
        size = tuple(layer.pool_size)
        origin = _window_origin(layer, received, produced, size, row, column)
        patch, inside = window_arithmetic.cut_window(
            received[:, :, channel : channel + 1], origin, size
        )
        window = np.where(inside, patch[:, :, 0], np.nan)
        layer_value = float(produced[row, column, channel])
    value = float(np.nanmax(window) if kind == "max" else np.nanmean(window))
    return {
        "window": window,
        "kind": kind,
        "value": value,
        "layer_value": layer_value,
        "origin": origin,
    }


def _input_labels(model: keras.Model, layer) -> list[str] | None:
    """Names for a dense layer's inputs when they come from flattened feature maps."""
    for candidate in model.layers:
        if isinstance(candidate, keras.layers.Flatten) and candidate.output is layer.input:
            height, width, channels = candidate.input.shape[1:]
            return [
                f"row {r}, col {c}, channel {k}"
                for r in range(height)
                for c in range(width)
                for k in range(channels)
            ]
    return None


def dense_detail(model: keras.Model, layer_name: str, image, unit: int, top: int = 10):
    """How a Dense layer computes one neuron's value, with its strongest contributions.

    Returns:
        dict with "inputs", "weights" and "contributions" (input times weight) for every input,
        "top" (indices of the `top` largest contributions by size, largest first),
        "labels" (a name per input, or None), "bias", "pre_activation", "activation",
        "value" and "layer_value".

    Raises:
        ValueError: for a name that is not a Dense layer, a unit it does not have, a top below
            1, or an image of the wrong shape.
    """
    layer = _layer(model, layer_name, Family.DENSE, "Dense")
    if not is_whole_number(top) or top < 1:
        raise ValueError(f"top must be a whole number of at least 1. Received: top={top!r}")
    received, produced = _input_and_output(model, layer, image)
    unit = _check_index("unit", unit, produced.shape[0])
    weights = np.asarray(keras.ops.convert_to_numpy(layer.kernel), dtype=np.float64)[:, unit]
    contributions = received * weights
    bias = float(keras.ops.convert_to_numpy(layer.bias)[unit]) if layer.use_bias else 0.0
    pre_activation = float(contributions.sum()) + bias
    if _activation_name(layer) == "softmax":
        # Softmax needs every neuron's sum, so "value" is this neuron's share of them all.
        every = received @ np.asarray(keras.ops.convert_to_numpy(layer.kernel), np.float64)
        if layer.use_bias:
            every = every + keras.ops.convert_to_numpy(layer.bias)
        shifted = np.exp(every - every.max())
        value = float(shifted[unit] / shifted.sum())
    else:
        value = _activate(layer, pre_activation)
    return {
        "inputs": received,
        "weights": weights,
        "contributions": contributions,
        "top": np.argsort(-np.abs(contributions), kind="stable")[:top],
        "labels": _input_labels(model, layer),
        "bias": bias,
        "pre_activation": pre_activation,
        "activation": _activation_name(layer),
        "value": value,
        "layer_value": float(produced[unit]),
    }
