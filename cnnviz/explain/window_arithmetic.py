"""The arithmetic of one sliding-window value, in NumPy only: where the window sits, what lies
under it, and the weighted sum a convolution makes of it.

Inspect's arithmetic (cnnviz.explain.arithmetic, which asks a Keras layer for its numbers) and
the lessons (cnnviz.lessons, which must open without TensorFlow) both use these functions, so
there is one implementation of a convolution's value to trust and to test.
"""

from __future__ import annotations

import math

import numpy as np

PADDINGS = ("valid", "same")


def check_padding(padding: str) -> str:
    """The padding mode, checked: Keras's "valid" (no zeros added) or "same".

    Raises:
        ValueError: for any other value.
    """
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same'. Received: padding={padding!r}")
    return padding


def output_size(input_size: int, window: int, stride: int, padding: str) -> int:
    """How many positions a window takes along one side, with Keras's rounding.

    "valid": floor((input_size - window) / stride) + 1 (the window stays on the input);
    "same": ceil(input_size / stride) (zeros are added so the window may start at every
    stride-th position).

    Raises:
        ValueError: for a window, stride or size below 1, an unknown padding, or a "valid"
            window larger than its input.
    """
    for name, value in (("input_size", input_size), ("window", window), ("stride", stride)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1. Received: {value!r}")
    if check_padding(padding) == "same":
        return math.ceil(input_size / stride)
    if window > input_size:
        raise ValueError(
            f"A {window}-wide window does not fit a {input_size}-wide input without padding: "
            f"use padding='same' or a smaller window. Received: window={window}"
        )
    return (input_size - window) // stride + 1


def same_padding_before(input_size: int, output_size: int, window: int, stride: int) -> int:
    """Rows (or columns) of zeros TensorFlow adds before the input for padding="same".

    The total is what makes the last window fit; TensorFlow puts the smaller half first.
    """
    total = max((output_size - 1) * stride + window - input_size, 0)
    return total // 2


def window_origin(
    input_shape: tuple[int, int],
    output_shape: tuple[int, int],
    window: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    row: int,
    column: int,
) -> tuple[int, int]:
    """The input position (may be negative, in the padding) of the window's top-left cell for
    output (row, column)."""
    if check_padding(padding) == "same":
        top = same_padding_before(input_shape[0], output_shape[0], window[0], strides[0])
        left = same_padding_before(input_shape[1], output_shape[1], window[1], strides[1])
    else:
        top = left = 0
    return row * strides[0] - top, column * strides[1] - left


def cut_window(received: np.ndarray, origin, window) -> tuple[np.ndarray, np.ndarray]:
    """The input values under a window (zeros outside) and a mask of which lie inside.

    Args:
        received: (height, width, channels) input.
        origin: the window's top-left input position, as window_origin gives it.
        window: (window_height, window_width).
    """
    rows = np.arange(origin[0], origin[0] + window[0])
    columns = np.arange(origin[1], origin[1] + window[1])
    inside = ((rows >= 0) & (rows < received.shape[0]))[:, np.newaxis] & (
        (columns >= 0) & (columns < received.shape[1])
    )[np.newaxis, :]
    patch = np.zeros((window[0], window[1], received.shape[2]))
    patch[inside] = received[
        np.clip(rows, 0, received.shape[0] - 1)[:, np.newaxis],
        np.clip(columns, 0, received.shape[1] - 1)[np.newaxis, :],
    ][inside]
    return patch, inside


def weighted_sum(patch: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A convolution's products under one window and their sum per input channel.

    Args:
        patch: (kernel_height, kernel_width, in_channels) input values under the window.
        kernel: the filter's weights, the same shape.

    Returns:
        (products, channel_sums): the patch times the kernel cell by cell, and those products
        summed per input channel (their total is the weighted sum before the bias).
    """
    products = np.asarray(patch, dtype=np.float64) * np.asarray(kernel, dtype=np.float64)
    return products, products.sum(axis=(0, 1))
