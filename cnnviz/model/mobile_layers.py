"""MobileNet's building blocks (Howard et al. 2017), part of the layer catalogue.

A depthwise convolution filters each input channel on its own (depth_multiplier filters per
channel), so it costs a fraction of an ordinary convolution; a separable convolution follows
it with a 1x1 ("pointwise") convolution that mixes the channels. Here are their records'
rules: shapes and parameters as Keras counts them, multiply-adds, the PyTorch translation
(groups=in_channels for the depthwise part) and their kernels.
"""

from __future__ import annotations

import numpy as np

from cnnviz.model import torch_translations as to_torch
from cnnviz.model.layer_shapes import (
    MAX_FILTERS,
    MAX_SIZE,
    PADDING_ARGUMENT,
    Argument,
    Shape,
    ShapeResult,
    activation_argument,
    check_tensor_size,
    pair,
    sliding_window,
)

DEPTH_MULTIPLIER_ARGUMENT = Argument(
    "int",
    1,
    minimum=1,
    maximum=64,
    help="Filters per input channel; the output has channels x depth_multiplier channels.",
)


def _depthwise_shape(layer: dict, input_shape: Shape) -> tuple[Shape, int]:
    """(output shape of the depthwise step, its number of weights without bias)."""
    height, width, channels = input_shape
    kernel = pair(layer["kernel_size"])
    strides = pair(layer.get("strides", 1))
    padding = layer.get("padding", "valid")
    out_h, out_w = sliding_window((height, width), kernel, strides, padding, "kernel_size")
    depth = channels * layer.get("depth_multiplier", 1)
    check_tensor_size("its output for one image", out_h * out_w * depth)
    return (out_h, out_w, depth), kernel[0] * kernel[1] * depth


def depthwise_output(layer: dict, input_shape: Shape) -> ShapeResult:
    shape, weights = _depthwise_shape(layer, input_shape)
    params = weights + (shape[-1] if layer.get("use_bias", True) else 0)
    return shape, params, params


def separable_output(layer: dict, input_shape: Shape) -> ShapeResult:
    (out_h, out_w, depth), weights = _depthwise_shape(layer, input_shape)
    filters = layer["filters"]
    check_tensor_size("its pointwise kernel", depth * filters)
    check_tensor_size("its output for one image", out_h * out_w * filters)
    # Keras's separable convolution has one bias, after the pointwise step.
    params = weights + depth * filters + (filters if layer.get("use_bias", True) else 0)
    return (out_h, out_w, filters), params, params


def depthwise_multiply_adds(layer: dict, input_shape: Shape, output_shape: Shape) -> int:
    # Each output value reads one channel's patch only.
    kernel = pair(layer["kernel_size"])
    return output_shape[0] * output_shape[1] * output_shape[2] * kernel[0] * kernel[1]


def separable_multiply_adds(layer: dict, input_shape: Shape, output_shape: Shape) -> int:
    (out_h, out_w, depth), _weights = _depthwise_shape(layer, input_shape)
    depthwise = depthwise_multiply_adds(layer, input_shape, (out_h, out_w, depth))
    return depthwise + out_h * out_w * depth * layer["filters"]


def torch_depthwise(position: int, layer: dict, input_shape) -> list[str]:
    depth = input_shape[-1] * layer.get("depth_multiplier", 1)
    return to_torch.conv_modules(layer, input_shape, depth, groups=input_shape[-1])


def torch_separable(position: int, layer: dict, input_shape) -> list[str]:
    channels = input_shape[-1]
    depth = channels * layer.get("depth_multiplier", 1)
    bias = "" if layer.get("use_bias", True) else ", bias=False"
    return [
        *to_torch.conv_modules(layer, input_shape, depth, groups=channels, bias=False),
        f"nn.Conv2d({depth}, {layer['filters']}, kernel_size=1{bias})",
    ]


# ----- kernels (see kernel_rules): depthwise_kernel is (kh, kw, channels, multiplier) -----


def depthwise_kernels(weights: list) -> np.ndarray:
    # Output channel c * multiplier + m is filter m of input channel c: one channel each.
    kernel = np.asarray(weights[0])
    height, width, channels, multiplier = kernel.shape
    return kernel.reshape(height, width, 1, channels * multiplier)


def depthwise_as_convolution(weights: list) -> tuple:
    kernel = np.asarray(weights[0])
    height, width, channels, multiplier = kernel.shape
    # Zero on every input channel but its own: the same sums as the depthwise convolution.
    full = np.zeros((height, width, channels, channels * multiplier), kernel.dtype)
    for channel in range(channels):
        full[:, :, channel, channel * multiplier : (channel + 1) * multiplier] = kernel[
            :, :, channel, :
        ]
    return full, (np.asarray(weights[1]) if len(weights) > 1 else None)


def separable_as_convolution(weights: list) -> tuple:
    depthwise = np.asarray(weights[0])
    height, width, channels, multiplier = depthwise.shape
    pointwise = np.asarray(weights[1]).reshape(channels, multiplier, -1)
    # Both steps are linear, so together they are one convolution with these filters.
    kernel = np.einsum("hwcm,cmf->hwcf", depthwise, pointwise)
    return kernel, (np.asarray(weights[2]) if len(weights) > 2 else None)


def separable_kernels(weights: list) -> np.ndarray:
    return separable_as_convolution(weights)[0]


def mobile_arguments(with_filters: bool) -> dict[str, Argument]:
    filters = {
        "filters": Argument(
            "int",
            32,
            required=True,
            minimum=1,
            maximum=MAX_FILTERS,
            help="Number of filters of the pointwise (1x1) step: the output channels.",
        )
    }
    return {
        **(filters if with_filters else {}),
        "kernel_size": Argument(
            "size",
            3,
            required=True,
            minimum=1,
            maximum=MAX_SIZE,
            help="Height and width of each channel's filter.",
        ),
        "depth_multiplier": DEPTH_MULTIPLIER_ARGUMENT,
        "strides": Argument(
            "size", 1, minimum=1, maximum=MAX_SIZE, help="Step between filter positions."
        ),
        "padding": PADDING_ARGUMENT,
        "activation": activation_argument(),
    }
