"""Lesson 4 (pooling): max and average pooling of a feature map, the output shrinking, and
what survives a one-pixel shift of the picture.

The windows are cut by cnnviz.explain.window_arithmetic, as Inspect's arithmetic cuts a
pooling layer's window.
"""

from __future__ import annotations

import numpy as np

from cnnviz.explain import window_arithmetic
from cnnviz.lessons import activations, convolution

KINDS = ("max", "average")
# A "strong" value is at least this share of its map's largest: where the kernel found its
# pattern clearly.
STRONG_SHARE = 0.5


def pool(feature_map, kind: str = "max", window: int = 2, stride: int | None = None) -> np.ndarray:
    """Max or average pooling with padding "valid", as Keras's MaxPooling2D/AveragePooling2D.

    Args:
        feature_map: (height, width) values.
        kind: "max" or "average".
        window: the pool size (square).
        stride: the step; the window by default, as in Keras.

    Raises:
        ValueError: for an unknown kind, a window larger than the map, or a bad stride.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'max' or 'average'. Received: kind={kind!r}")
    stride = window if stride is None else stride
    values = np.asarray(feature_map, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"Pooling here takes one map (height, width). Received: {values.shape}")
    shape = tuple(
        window_arithmetic.output_size(side, window, stride, "valid") for side in values.shape
    )
    received = values[:, :, np.newaxis]
    reduce = np.max if kind == "max" else np.mean
    result = np.empty(shape)
    for row in range(shape[0]):
        for column in range(shape[1]):
            origin = window_arithmetic.window_origin(
                values.shape, shape, (window, window), (stride, stride), "valid", row, column
            )
            patch, _ = window_arithmetic.cut_window(received, origin, (window, window))
            result[row, column] = reduce(patch)
    return result


def shift(image, pixels: int = 1) -> np.ndarray:
    """The picture moved `pixels` to the right, the new left column(s) filled with zeros."""
    values = np.asarray(image, dtype=np.float64)
    moved = np.zeros_like(values)
    moved[:, pixels:] = values[:, : values.shape[1] - pixels]
    return moved


def strong(values: np.ndarray) -> np.ndarray:
    """Where a map's values are strong (at least STRONG_SHARE of its largest, and above 0)."""
    largest = values.max()
    return (values >= STRONG_SHARE * largest) & (values > 0)


def kept_share(before: np.ndarray, after: np.ndarray) -> float:
    """Of the strong positions before the shift, the share still strong at the same place."""
    was_strong = strong(before)
    if not was_strong.any():
        return 1.0
    return float((was_strong & strong(after)).sum() / was_strong.sum())


def shift_survival(image, kernel, kind: str = "max", window: int = 2) -> dict:
    """Convolve (lesson 2's kernel), apply ReLU, pool, for the picture and the picture moved
    one pixel right: how many strong values stay where they were, before and after pooling.

    Returns:
        dict with "map", "map_shifted", "pooled", "pooled_shifted", and kept_share of each:
        "map_kept", "pooled_kept".
    """
    feature = activations.relu(convolution.feature_map(image, kernel))
    moved = activations.relu(convolution.feature_map(shift(image), kernel))
    pooled = pool(feature, kind, window)
    pooled_moved = pool(moved, kind, window)
    return {
        "map": feature,
        "map_shifted": moved,
        "pooled": pooled,
        "pooled_shifted": pooled_moved,
        "map_kept": kept_share(feature, moved),
        "pooled_kept": kept_share(pooled, pooled_moved),
    }
