"""The layer types a spec may use: their arguments, defaults and one-line descriptions.

Names are Keras's own (class names and argument names), so a spec maps one to one onto
keras.layers. This is the catalogue the Build page offers and spec.py checks against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax", "linear")
PADDINGS = ("valid", "same")


@dataclass(frozen=True)
class Argument:
    """One argument a layer type accepts.

    Attributes:
        kind: "int", "float", "size" (an int or a pair of ints), "choice" or "bool".
        default: the value Keras uses when the argument is left out (shown in the editor).
        required: whether a spec must give it.
        choices: the allowed values of a "choice" argument.
        minimum: the smallest allowed number.
        maximum: the largest allowed number. Every number has one, so that an imported spec
            with an absurd value (units=10**30) is refused before any widget or tensor sees it.
        below: numbers must be strictly smaller than this (e.g. a dropout rate below 1).
        nullable: whether JSON null (None) is allowed, meaning "same as Keras's default".
        help: one short sentence for the editor.
    """

    kind: str
    default: Any = None
    required: bool = False
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    below: float | None = None
    nullable: bool = False
    help: str = ""


def _activation(default: str = "linear", required: bool = False) -> Argument:
    return Argument(
        "choice",
        default,
        required=required,
        choices=ACTIVATIONS,
        help="Function applied to each output value.",
    )


_PADDING = Argument(
    "choice",
    "valid",
    choices=PADDINGS,
    help="'valid' shrinks the image by the kernel size; 'same' keeps it (zero padding).",
)
# The largest values the catalogue accepts, whatever the server's limits. They are far above
# what a network for 32x32 images needs, and far below what breaks a widget (2**53) or a tensor.
MAX_SIZE = 1024  # kernel, pool and stride sides; a window must also fit its input (spec.py)
MAX_FILTERS = 4096
MAX_UNITS = 1_000_000

_USE_BIAS = Argument("bool", True, help="Whether each output unit adds a learned constant.")


def _pooling_arguments() -> dict[str, Argument]:
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
            help="Step between windows; empty means the same as pool_size.",
        ),
        "padding": _PADDING,
    }


LAYER_TYPES: dict[str, dict[str, Argument]] = {
    "Conv2D": {
        "filters": Argument(
            "int",
            32,
            required=True,
            minimum=1,
            maximum=MAX_FILTERS,
            help="Number of filters (output channels).",
        ),
        "kernel_size": Argument(
            "size",
            3,
            required=True,
            minimum=1,
            maximum=MAX_SIZE,
            help="Height and width of each filter.",
        ),
        "strides": Argument(
            "size", 1, minimum=1, maximum=MAX_SIZE, help="Step between filter positions."
        ),
        "padding": _PADDING,
        "activation": _activation(),
        "use_bias": _USE_BIAS,
    },
    "MaxPooling2D": _pooling_arguments(),
    "AveragePooling2D": _pooling_arguments(),
    "GlobalAveragePooling2D": {},
    "GlobalMaxPooling2D": {},
    "Flatten": {},
    "Dense": {
        "units": Argument(
            "int", 64, required=True, minimum=1, maximum=MAX_UNITS, help="Number of neurons."
        ),
        "activation": _activation(),
        "use_bias": _USE_BIAS,
    },
    "Dropout": {
        "rate": Argument(
            "float",
            0.25,
            required=True,
            minimum=0.0,
            below=1.0,
            help="Fraction of inputs set to zero at random during training.",
        ),
    },
    "BatchNormalization": {
        "momentum": Argument(
            "float", 0.99, minimum=0.0, below=1.0, help="How slowly the running mean moves."
        ),
        "epsilon": Argument(
            "float",
            0.001,
            minimum=0.0,
            maximum=1.0,
            help="Small constant that avoids division by zero.",
        ),
    },
    "Activation": {"activation": _activation("relu", required=True)},
}

# One line for each type, shown when a student picks a layer to add.
LAYER_DESCRIPTIONS = {
    "Conv2D": "Slides small learned filters over the image; each filter makes one feature map.",
    "MaxPooling2D": "Keeps the top value of each window: halves the size, keeps strong signals.",
    "AveragePooling2D": "Keeps the average of each window: a smoother way to shrink the image.",
    "GlobalAveragePooling2D": "Averages each feature map to one number: a light way to flatten.",
    "GlobalMaxPooling2D": "Keeps the largest value of each feature map.",
    "Flatten": "Unrolls the feature maps into one long vector for Dense layers.",
    "Dense": "Connects every input to every neuron.",
    "Dropout": "Switches off random inputs while training, so the network cannot rely on one.",
    "BatchNormalization": "Re-centres and re-scales its inputs, which makes training steadier.",
    "Activation": "Applies a function such as relu to every value.",
}

# Sensible layers to add from the editor, before the student changes anything.
NEW_LAYER_DEFAULTS = {
    "Conv2D": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
    "MaxPooling2D": {"pool_size": 2},
    "AveragePooling2D": {"pool_size": 2},
    "GlobalAveragePooling2D": {},
    "GlobalMaxPooling2D": {},
    "Flatten": {},
    "Dense": {"units": 64, "activation": "relu"},
    "Dropout": {"rate": 0.25},
    "BatchNormalization": {},
    "Activation": {"activation": "relu"},
}

SPATIAL_TYPES = ("Conv2D", "MaxPooling2D", "AveragePooling2D")
NEEDS_IMAGE_INPUT = SPATIAL_TYPES + ("GlobalAveragePooling2D", "GlobalMaxPooling2D")
