"""Lesson 2 (convolution): a 3x3 kernel slid over a picture, the whole feature map, the
arithmetic of one of its values, and the output size for a stride and a padding.

Every value comes from cnnviz.explain.window_arithmetic, the same functions Inspect's
arithmetic uses for a trained layer's value, so the lesson and Inspect cannot disagree.
"""

from __future__ import annotations

import numpy as np

from cnnviz.explain import window_arithmetic

KERNEL_SIZE = 3
# The presets the kernel editor offers, each a 3x3 list of weights (plain data: it is stored
# in the workspace).
KERNEL_PRESETS: dict[str, list[list[float]]] = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur": [[1 / 9] * 3, [1 / 9] * 3, [1 / 9] * 3],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "vertical edge": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "horizontal edge": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "Sobel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
}
DEFAULT_PRESET = "vertical edge"


def check_kernel(kernel) -> np.ndarray:
    """A kernel as a float64 square array of finite numbers.

    Raises:
        ValueError: for anything else.
    """
    values = np.asarray(kernel, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] < 1:
        raise ValueError(f"A kernel is a square grid of numbers. Received: shape={values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("Every kernel cell needs a number; one is empty or not finite.")
    return values


def _as_channels(image: np.ndarray) -> np.ndarray:
    values = np.asarray(image, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(
            f"The lesson convolves a gray picture (height, width). Received: shape={values.shape}"
        )
    return values[:, :, np.newaxis]


def output_shape(image_shape, kernel_size: int, stride: int, padding: str) -> tuple[int, int]:
    """The feature map's (height, width), by window_arithmetic.output_size on each side."""
    return tuple(
        window_arithmetic.output_size(side, kernel_size, stride, padding)
        for side in image_shape[:2]
    )


def one_value(
    image: np.ndarray,
    kernel,
    bias: float,
    row: int,
    column: int,
    stride: int = 1,
    padding: str = "valid",
) -> dict:
    """The arithmetic of one output value: the input patch under the kernel, the products,
    their sum, the bias and the value.

    Returns:
        dict with "patch" and "products" (kernel-sized; zeros where the kernel hangs over the
        padding), "inside" (mask of cells on the picture), "kernel", "sum", "bias", "value",
        "origin" (the patch's top-left input position).

    Raises:
        ValueError: for a position outside the feature map, a bad kernel or padding.
    """
    kernel = check_kernel(kernel)
    received = _as_channels(image)
    size = kernel.shape[0]
    shape = output_shape(received.shape, size, stride, padding)
    if not (0 <= row < shape[0] and 0 <= column < shape[1]):
        raise ValueError(
            f"The feature map is {shape[0]}x{shape[1]}; row and column must lie inside it. "
            f"Received: row={row}, column={column}"
        )
    origin = window_arithmetic.window_origin(
        received.shape[:2], shape, (size, size), (stride, stride), padding, row, column
    )
    patch, inside = window_arithmetic.cut_window(received, origin, (size, size))
    products, sums = window_arithmetic.weighted_sum(patch, kernel[:, :, np.newaxis])
    total = float(sums.sum())
    return {
        "patch": patch[:, :, 0],
        "inside": inside,
        "kernel": kernel,
        "products": products[:, :, 0],
        "sum": total,
        "bias": float(bias),
        "value": total + float(bias),
        "origin": origin,
    }


def feature_map(
    image: np.ndarray, kernel, bias: float = 0.0, stride: int = 1, padding: str = "valid"
) -> np.ndarray:
    """The whole feature map: one_value's arithmetic at every output position.

    Computed value by value with the very function the one-value view shows, so a student
    checking any value by hand gets the number in the map (about 30 ms for a 28x28 digit).
    """
    kernel = check_kernel(kernel)
    shape = output_shape(np.shape(image), kernel.shape[0], stride, padding)
    result = np.empty(shape)
    for row in range(shape[0]):
        for column in range(shape[1]):
            result[row, column] = one_value(image, kernel, bias, row, column, stride, padding)[
                "value"
            ]
    return result


def size_formula(input_size: int, kernel_size: int, stride: int, padding: str) -> str:
    """The output-size formula with the numbers put in, for one side."""
    result = window_arithmetic.output_size(input_size, kernel_size, stride, padding)
    if padding == "same":
        return f"ceil({input_size} / {stride}) = {result}"
    return f"floor(({input_size} − {kernel_size}) / {stride}) + 1 = {result}"
