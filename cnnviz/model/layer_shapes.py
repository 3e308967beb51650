"""The facts layer types are made of: argument descriptions and shape arithmetic.

Argument describes one argument a layer type takes (layer_record.py holds the record of one
type, layer_types.py the catalogue of records). The shape rules compute a layer's output
shape and parameter counts as Keras's ``compute_output_shape`` and ``count_params`` would,
without importing Keras.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax", "linear")
PADDINGS = ("valid", "same")


class ArgumentKind(enum.StrEnum):
    """What sort of value an argument takes; the editor picks its widget by it."""

    INT = "int"
    FLOAT = "float"
    SIZE = "size"  # an int or a pair of ints
    CHOICE = "choice"
    BOOL = "bool"


@dataclass(frozen=True)
class Argument:
    """One argument a layer type accepts.

    Attributes:
        kind: an ArgumentKind (its plain name is accepted and turned into one).
        default: the value Keras uses when the argument is left out (shown in the editor).
        required: whether a spec must give it.
        choices: the allowed values of a "choice" argument.
        minimum: the smallest allowed number.
        maximum: the largest allowed number. Every number has one, so that an imported spec
            with an absurd value (units=10**30) is refused before any widget or tensor sees it.
        below: numbers must be strictly smaller than this (e.g. a dropout rate below 1).
        nullable: whether JSON null (None) is allowed, meaning "same as Keras's default".
        same_as: for a nullable argument whose None means "the same as another argument"
            (pooling strides: None means the pool_size), that argument's name; the editor
            offers "strides = pool size" for it rather than "default".
        help: one short sentence for the editor.
    """

    kind: ArgumentKind
    default: Any = None
    required: bool = False
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    below: float | None = None
    nullable: bool = False
    same_as: str | None = None
    help: str = ""

    def __post_init__(self) -> None:
        # A misspelt kind fails when the catalogue is built, not when a widget is drawn.
        object.__setattr__(self, "kind", ArgumentKind(self.kind))


def activation_argument(default: str = "linear", required: bool = False) -> Argument:
    return Argument(
        "choice",
        default,
        required=required,
        choices=ACTIVATIONS,
        help="Function applied to each output value.",
    )


PADDING_ARGUMENT = Argument(
    "choice",
    "valid",
    choices=PADDINGS,
    help="'valid' shrinks the image by the kernel size; 'same' keeps it (zero padding).",
)
# The largest values the catalogue accepts, whatever the server's limits. They are far above
# what a network for 32x32 images needs, and far below what breaks a widget (2**53) or a tensor.
MAX_SIZE = 1024  # kernel, pool and stride sides; a window must also fit its input
# TensorFlow indexes a tensor's elements with 32-bit integers in places: no weight tensor, and
# no layer output of one image, may hold more numbers than this.
MAX_TENSOR_ELEMENTS = 2**31 - 1
MAX_FILTERS = 4096
MAX_UNITS = 1_000_000

USE_BIAS_ARGUMENT = Argument("bool", True, help="Whether each output unit adds a learned constant.")


def pooling_arguments() -> dict[str, Argument]:
    return {
        "pool_size": Argument(
            "size",
            2,
            minimum=1,
            maximum=MAX_SIZE,
            help="Size of the window each output value summarises.",
        ),
        "strides": Argument(
            "size",
            None,
            minimum=1,
            maximum=MAX_SIZE,
            nullable=True,
            same_as="pool_size",
            help="Step between windows; empty means the same as pool_size.",
        ),
        "padding": PADDING_ARGUMENT,
    }


Shape = tuple[int, ...]


class ShapeError(ValueError):
    """A layer cannot take the input it receives. The message leaves out which layer it is."""


# ----- shape arithmetic shared by the rules -----


def pair(value: Any) -> tuple[int, int]:
    """A size argument as (height, width): 3 -> (3, 3), [3, 5] -> (3, 5)."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def format_size(value: Any) -> str:
    """Show a size argument as students read it: 3 -> '3x3'."""
    height, width = pair(value)
    return f"{height}x{width}"


def format_shape(shape: Shape) -> str:
    """Show an output shape without the batch axis: (28, 28, 32) -> '28 x 28 x 32'."""
    return " x ".join(str(size) for size in shape)


def sliding_window(
    size: tuple[int, int],
    window: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    window_name: str,
) -> tuple[int, int]:
    """Output height and width of a sliding window, with Keras's rounding.

    With padding 'valid' the window must fit its input, or the output would be empty. With
    'same' it may be larger, up to twice the input less one: beyond that, some of its cells only
    ever see padding, and TensorFlow pads the input to many times its size (a 300x300 kernel on
    28x28 aborts the whole process; 100x100 crawls).
    """
    for window_side, side in zip(window, size, strict=True):
        largest = side if padding == "valid" else 2 * side - 1
        if window_side > largest:
            if padding == "valid":
                why = (
                    f"is larger than its input {size[0]}x{size[1]}, so its output would have size 0"
                )
                other = "padding='same', "
            else:
                why = (
                    f"is so much larger than its input {size[0]}x{size[1]} that some of its "
                    f"cells only ever see padding"
                )
                other = ""
            raise ShapeError(
                f"{window_name} {window[0]}x{window[1]} {why}. Use a smaller "
                f"{window_name} (at most {largest} here), {other}or fewer pooling layers "
                f"before it. Received: {window_name}={window[0]}x{window[1]}"
            )
    if padding == "same":
        return tuple(math.ceil(n / s) for n, s in zip(size, strides, strict=True))  # type: ignore[return-value]
    # With the window no larger than the input, every output size is at least 1.
    return tuple((n - k) // s + 1 for n, k, s in zip(size, window, strides, strict=True))  # type: ignore[return-value]


def check_tensor_size(what: str, count: int) -> None:
    if count > MAX_TENSOR_ELEMENTS:
        raise ShapeError(
            f"{what} would hold {count:,} numbers, more than TensorFlow can hold in one "
            f"tensor ({MAX_TENSOR_ELEMENTS:,}). Use fewer filters or units, or add pooling "
            f"before it."
        )


# ----- shape rules: (checked layer, input shape) -> (output shape, params, trainable) -----

ShapeResult = tuple[Shape, int, int]


def conv2d_output(layer: dict, input_shape: Shape) -> ShapeResult:
    height, width, channels = input_shape
    kernel = pair(layer["kernel_size"])
    strides = pair(layer.get("strides", 1))
    padding = layer.get("padding", "valid")
    out_h, out_w = sliding_window((height, width), kernel, strides, padding, "kernel_size")
    filters = layer["filters"]
    check_tensor_size("its kernel", kernel[0] * kernel[1] * channels * filters)
    check_tensor_size("its output for one image", out_h * out_w * filters)
    params = kernel[0] * kernel[1] * channels * filters
    params += filters if layer.get("use_bias", True) else 0
    return (out_h, out_w, filters), params, params


def pooling_output(layer: dict, input_shape: Shape) -> ShapeResult:
    height, width, channels = input_shape
    pool = pair(layer.get("pool_size", 2))
    strides = layer.get("strides")
    strides = pool if strides is None else pair(strides)
    padding = layer.get("padding", "valid")
    out_h, out_w = sliding_window((height, width), pool, strides, padding, "pool_size")
    return (out_h, out_w, channels), 0, 0


def global_pooling_output(layer: dict, input_shape: Shape) -> ShapeResult:
    return (input_shape[-1],), 0, 0


def flatten_output(layer: dict, input_shape: Shape) -> ShapeResult:
    return (math.prod(input_shape),), 0, 0


def dense_output(layer: dict, input_shape: Shape) -> ShapeResult:
    if len(input_shape) != 1:
        raise ShapeError(
            f"its input is {format_shape(input_shape)} (a 3-D stack of feature maps), but "
            f"Dense needs a flat vector. Add a Flatten or GlobalAveragePooling2D layer before it."
        )
    units = layer["units"]
    check_tensor_size("its weight matrix", input_shape[0] * units)
    params = input_shape[0] * units + (units if layer.get("use_bias", True) else 0)
    return (units,), params, params


def batch_normalization_output(layer: dict, input_shape: Shape) -> ShapeResult:
    channels = input_shape[-1]
    # gamma and beta learn; the moving mean and variance are tracked, not trained.
    return input_shape, 4 * channels, 2 * channels


def same_output(layer: dict, input_shape: Shape) -> ShapeResult:
    return input_shape, 0, 0


class Part(NamedTuple):
    """One step inside a layer made of steps (a ResidualBlock), as the diagram draws it."""

    name: str
    output_shape: Shape
    params: int
    trainable: int
    multiply_adds: int


def conv_multiply_adds(output_shape: Shape, kernel: tuple[int, int], input_channels: int) -> int:
    """Multiply-adds of an ordinary convolution: every output value reads a whole patch."""
    out_h, out_w, filters = output_shape
    return out_h * out_w * filters * kernel[0] * kernel[1] * input_channels


def residual_parts(layer: dict, input_shape: Shape) -> list[Part]:
    """The inside of a ResidualBlock: each step's output shape, parameters and multiply-adds.

    The shortcut's projection (a 1x1 convolution and batch norm) is there only when the block
    changes the number of channels or the size, as in residual.ResidualBlock.
    """
    height, width, channels = input_shape
    kernel = pair(layer.get("kernel_size", 3))
    strides = pair(layer.get("strides", 1))
    filters = layer["filters"]
    out_h, out_w = sliding_window((height, width), kernel, strides, "same", "kernel_size")
    check_tensor_size("its kernel", kernel[0] * kernel[1] * max(channels, filters) * filters)
    check_tensor_size("its output for one image", out_h * out_w * filters)
    shape = (out_h, out_w, filters)
    # Batch norm: gamma and beta learn; the moving mean and variance do not.
    # Batch norm scales and shifts every value: one multiply-add each.
    norm = Part("batch norm", shape, 4 * filters, 2 * filters, math.prod(shape))
    first = kernel[0] * kernel[1] * channels * filters
    second = kernel[0] * kernel[1] * filters * filters
    conv = f"conv {format_size(kernel)}"
    parts = [
        Part(conv, shape, first, first, conv_multiply_adds(shape, kernel, channels)),
        norm,
        Part("relu", shape, 0, 0, 0),
        Part(conv, shape, second, second, conv_multiply_adds(shape, kernel, filters)),
        norm,
    ]
    if channels != filters or strides != (1, 1):
        projection = channels * filters
        work = conv_multiply_adds(shape, (1, 1), channels)
        parts += [Part("shortcut conv 1x1", shape, projection, projection, work), norm]
    parts += [Part("add shortcut", shape, 0, 0, 0), Part("relu", shape, 0, 0, 0)]
    return parts


def residual_inner_values(layer: dict, input_shape: Shape) -> int:
    # Every step's output but the last, which is the block's own output.
    return sum(math.prod(part.output_shape) for part in residual_parts(layer, input_shape)[:-1])


def residual_output(layer: dict, input_shape: Shape) -> ShapeResult:
    parts = residual_parts(layer, input_shape)
    return (
        parts[-1].output_shape,
        sum(part.params for part in parts),
        sum(part.trainable for part in parts),
    )


# ----- multiply-add rules: (checked layer, input shape, output shape) -> count, one image -----


def conv2d_multiply_adds(layer: dict, input_shape: Shape, output_shape: Shape) -> int:
    return conv_multiply_adds(output_shape, pair(layer["kernel_size"]), input_shape[-1])


def dense_multiply_adds(layer: dict, input_shape: Shape, output_shape: Shape) -> int:
    return input_shape[-1] * layer["units"]


def per_value_multiply_adds(layer: dict, input_shape: Shape, output_shape: Shape) -> int:
    # Batch norm scales and shifts each value once.
    return math.prod(output_shape)


def residual_multiply_adds(layer: dict, input_shape: Shape, output_shape: Shape) -> int:
    return sum(part.multiply_adds for part in residual_parts(layer, input_shape))
