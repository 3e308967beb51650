"""The record of one layer type: the facts every consumer asks it for.

A LayerType carries a type's arguments and shape rule (from layer_shapes.py) and the rest of
what cnnviz knows about it: its family, multiply-adds, the Keras layer it builds, its PyTorch
translation and, for convolutions, its kernels. The catalogue of records is layer_types.py.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnviz.model.layer_shapes import Argument, Part, Shape, ShapeResult


class LayerFamily(enum.StrEnum):
    """What kind of work a layer type does: drives its colour and what Inspect can show.

    CONVOLUTION layers have kernels to show and snapshot, and their one value is a patch times
    a filter; POOLING layers' one value is a window's maximum or mean; DENSE layers' a neuron's
    weighted sum. The others have no arithmetic of one value to show.
    """

    CONVOLUTION = "convolution"
    POOLING = "pooling"
    DENSE = "dense"
    NORMALIZATION = "normalization"
    BLOCK = "block"
    AUGMENTATION = "augmentation"
    RESHAPE = "reshape"
    REGULARIZATION = "regularization"
    ACTIVATION = "activation"


# A shape rule: (checked layer, input shape) -> (output shape, params, trainable).
ShapeRule = Callable[[dict, Shape], ShapeResult]
# Multiply-adds of one image: (checked layer, input shape, output shape) -> count.
CostRule = Callable[[dict, Shape, Shape], int]
# The torch.nn modules as code: (1-based position, checked layer, Keras input shape) -> lines.
TorchRule = Callable[[int, dict, Shape], list[str]]


def no_multiply_adds(layer: dict, input_shape: Shape, output_shape: Shape) -> int:
    """For layers that compare, copy or add without multiplying (or do nothing when predicting)."""
    return 0


@dataclass(frozen=True)
class LayerType:
    """Everything cnnviz knows about one Keras layer type.

    Attributes:
        name: the Keras class name, e.g. "Conv2D".
        arguments: the arguments a spec may give, by Keras argument name.
        description: one line shown when a student picks a layer to add.
        output: the shape rule: (checked layer, input shape without the batch axis) ->
            (output shape, parameters, trainable parameters); raises ShapeError.
        starting_arguments: sensible arguments of a layer added from the editor.
        label: the short label's words before the activation, e.g. "Dense 64".
        needs_image_input: whether its input must be height x width x channels.
        augmentation: whether it changes images at random in training only (and passes them
            through unchanged when the network predicts).
        inner_values: for a layer made of steps, (checked layer, input shape) -> how many
            numbers per image its steps hold besides its output (kept for the backward pass).
        family: what kind of work it does (its colour; what Inspect shows).
        multiply_adds: its multiply-adds for one image (see cnnviz.model.diagram).
        torch: its torch.nn translation, as lines of code (an activation is added after).
        keras_layer: () -> the Keras layer class it builds; None means keras.layers.<name>.
            Imports Keras when called, never when the catalogue loads.
        parts: for a layer made of steps, (checked layer, input shape) -> its Parts.
        kernels: for a CONVOLUTION, the layer's weights (as get_weights() gives them) ->
            its filters to show, (kernel_height, kernel_width, in_channels, filters).
        as_convolution: for a CONVOLUTION, the weights -> (kernel, bias or None) of the
            ordinary convolution that computes the same: the arithmetic of one value.
    """

    name: str
    arguments: dict[str, Argument]
    description: str
    output: ShapeRule
    starting_arguments: dict = field(default_factory=dict)
    label: Callable[[dict], str] | None = None
    needs_image_input: bool = False
    augmentation: bool = False
    inner_values: Callable[[dict, Shape], int] | None = None
    family: LayerFamily = field(kw_only=True)
    multiply_adds: CostRule = field(kw_only=True)
    torch: TorchRule = field(kw_only=True)
    keras_layer: Callable[[], type] | None = field(default=None, kw_only=True)
    parts: Callable[[dict, Shape], list[Part]] | None = field(default=None, kw_only=True)
    kernels: Callable[[list], Any] | None = field(default=None, kw_only=True)
    as_convolution: Callable[[list], tuple] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        # A convolution without its kernel facts would silently vanish from Inspect.
        if self.family == LayerFamily.CONVOLUTION and not (self.kernels and self.as_convolution):
            raise ValueError(
                f"Layer type {self.name} is a convolution but its record gives no kernels or "
                f"as_convolution function. Give both, or choose another family."
            )

    def keras_class(self) -> type:
        """The Keras layer class a spec layer of this type builds (imports Keras)."""
        if self.keras_layer is not None:
            return self.keras_layer()
        from keras import layers  # noqa: PLC0415 (the catalogue loads without TensorFlow)

        return getattr(layers, self.name)

    def describe(self, layer: dict) -> str:
        """A short human label such as 'Conv2D 32 filters 3x3, relu'."""
        text = self.label(layer) if self.label else self.name
        activation = layer.get("activation")
        if self.name == "Activation":
            return f"{text} {activation}"
        if activation and activation != "linear":
            text += f", {activation}"
        return text
