"""The layer types a spec may use: one record per type with everything cnnviz knows about it.

Each LayerType holds the type's arguments (kind, default, bounds, help), its one-line
description, the arguments a new layer starts with, its shape rule (output shape and parameter
counts, as Keras's ``compute_output_shape`` and ``count_params`` would give) and its short
label. Adding a layer type is adding one record to CATALOGUE. The records' parts (Argument,
LayerType, the shape rules) are in layer_shapes.py.

Names are Keras's own (class names and argument names), so a spec maps one to one onto
keras.layers. This is the catalogue the Build page offers and spec.py checks against.
"""

from __future__ import annotations

# The building blocks live in layer_shapes; callers import them from here, with the catalogue.
from cnnviz.model import kernel_rules, mobile_layers
from cnnviz.model import torch_translations as to_torch
from cnnviz.model.augmentation_types import AUGMENTATION_TYPES
from cnnviz.model.layer_record import (  # noqa: F401
    LayerFamily,
    LayerType,
    no_multiply_adds,
)
from cnnviz.model.layer_shapes import (  # noqa: F401
    ACTIVATIONS,
    MAX_FILTERS,
    MAX_SIZE,
    MAX_TENSOR_ELEMENTS,
    MAX_UNITS,
    PADDING_ARGUMENT,
    PADDINGS,
    USE_BIAS_ARGUMENT,
    Argument,
    Part,
    Shape,
    ShapeError,
    ShapeResult,
    activation_argument,
    batch_normalization_output,
    conv2d_multiply_adds,
    conv2d_output,
    dense_multiply_adds,
    dense_output,
    flatten_output,
    format_shape,
    format_size,
    global_pooling_output,
    pair,
    per_value_multiply_adds,
    pooling_arguments,
    pooling_output,
    residual_inner_values,
    residual_multiply_adds,
    residual_output,
    residual_parts,
    same_output,
)


def _pooling_type(name: str, description: str) -> LayerType:
    return LayerType(
        name,
        pooling_arguments(),
        description,
        pooling_output,
        starting_arguments={"pool_size": 2},
        label=lambda layer: f"{name} {format_size(layer.get('pool_size', 2))}",
        needs_image_input=True,
        family=LayerFamily.POOLING,
        multiply_adds=no_multiply_adds,
        torch=to_torch.torch_pooling,
    )


def _residual_block_class() -> type:
    # Imported when a model is built, so that the catalogue loads without TensorFlow.
    from cnnviz.model.with_keras.residual import ResidualBlock  # noqa: PLC0415

    return ResidualBlock


CATALOGUE: dict[str, LayerType] = {
    layer_type.name: layer_type
    for layer_type in (
        LayerType(
            "Conv2D",
            {
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
                "padding": PADDING_ARGUMENT,
                "activation": activation_argument(),
                "use_bias": USE_BIAS_ARGUMENT,
            },
            "Slides small learned filters over the image; each filter makes one feature map.",
            conv2d_output,
            starting_arguments={
                "filters": 32,
                "kernel_size": 3,
                "padding": "same",
                "activation": "relu",
            },
            label=lambda layer: (
                f"Conv2D {layer.get('filters')} filters {format_size(layer.get('kernel_size', 3))}"
            ),
            needs_image_input=True,
            family=LayerFamily.CONVOLUTION,
            multiply_adds=conv2d_multiply_adds,
            torch=to_torch.torch_conv2d,
            kernels=kernel_rules.conv2d_kernels,
            as_convolution=kernel_rules.conv2d_as_convolution,
        ),
        LayerType(
            "DepthwiseConv2D",
            mobile_layers.mobile_arguments(with_filters=False),
            "Filters each channel on its own (MobileNet): depth_multiplier filters per "
            "channel, far fewer multiply-adds than Conv2D.",
            mobile_layers.depthwise_output,
            starting_arguments={"kernel_size": 3, "padding": "same", "activation": "relu"},
            label=lambda layer: (
                f"DepthwiseConv2D {format_size(layer.get('kernel_size', 3))}"
                f" x{layer.get('depth_multiplier', 1)}"
            ),
            needs_image_input=True,
            family=LayerFamily.CONVOLUTION,
            multiply_adds=mobile_layers.depthwise_multiply_adds,
            torch=mobile_layers.torch_depthwise,
            kernels=mobile_layers.depthwise_kernels,
            as_convolution=mobile_layers.depthwise_as_convolution,
        ),
        LayerType(
            "SeparableConv2D",
            mobile_layers.mobile_arguments(with_filters=True),
            "A depthwise convolution, then a 1x1 convolution that mixes the channels "
            "(MobileNet's block): Conv2D's job for a fraction of the work.",
            mobile_layers.separable_output,
            starting_arguments={
                "filters": 32,
                "kernel_size": 3,
                "padding": "same",
                "activation": "relu",
            },
            label=lambda layer: (
                f"SeparableConv2D {layer.get('filters')} filters "
                f"{format_size(layer.get('kernel_size', 3))}"
            ),
            needs_image_input=True,
            family=LayerFamily.CONVOLUTION,
            multiply_adds=mobile_layers.separable_multiply_adds,
            torch=mobile_layers.torch_separable,
            kernels=mobile_layers.separable_kernels,
            as_convolution=mobile_layers.separable_as_convolution,
        ),
        _pooling_type(
            "MaxPooling2D",
            "Keeps the top value of each window: halves the size, keeps strong signals.",
        ),
        _pooling_type(
            "AveragePooling2D",
            "Keeps the average of each window: a smoother way to shrink the image.",
        ),
        LayerType(
            "GlobalAveragePooling2D",
            {},
            "Averages each feature map to one number: a light way to flatten.",
            global_pooling_output,
            needs_image_input=True,
            family=LayerFamily.POOLING,
            multiply_adds=no_multiply_adds,
            torch=to_torch.torch_global_pooling,
        ),
        LayerType(
            "GlobalMaxPooling2D",
            {},
            "Keeps the largest value of each feature map.",
            global_pooling_output,
            needs_image_input=True,
            family=LayerFamily.POOLING,
            multiply_adds=no_multiply_adds,
            torch=to_torch.torch_global_pooling,
        ),
        LayerType(
            "Flatten",
            {},
            "Unrolls the feature maps into one long vector for Dense layers.",
            flatten_output,
            family=LayerFamily.RESHAPE,
            multiply_adds=no_multiply_adds,
            torch=to_torch.torch_flatten,
        ),
        LayerType(
            "Dense",
            {
                "units": Argument(
                    "int",
                    64,
                    required=True,
                    minimum=1,
                    maximum=MAX_UNITS,
                    help="Number of neurons.",
                ),
                "activation": activation_argument(),
                "use_bias": USE_BIAS_ARGUMENT,
            },
            "Connects every input to every neuron.",
            dense_output,
            starting_arguments={"units": 64, "activation": "relu"},
            label=lambda layer: f"Dense {layer.get('units')}",
            family=LayerFamily.DENSE,
            multiply_adds=dense_multiply_adds,
            torch=to_torch.torch_dense,
        ),
        LayerType(
            "Dropout",
            {
                "rate": Argument(
                    "float",
                    0.25,
                    required=True,
                    minimum=0.0,
                    below=1.0,
                    help="Fraction of inputs set to zero at random during training.",
                ),
            },
            "Switches off random inputs while training, so the network cannot rely on one.",
            same_output,
            starting_arguments={"rate": 0.25},
            label=lambda layer: f"Dropout {layer.get('rate')}",
            family=LayerFamily.REGULARIZATION,
            multiply_adds=no_multiply_adds,
            torch=to_torch.torch_dropout,
        ),
        LayerType(
            "BatchNormalization",
            {
                "momentum": Argument(
                    "float",
                    0.99,
                    minimum=0.0,
                    below=1.0,
                    help="How slowly the running mean moves.",
                ),
                "epsilon": Argument(
                    "float",
                    0.001,
                    minimum=0.0,
                    maximum=1.0,
                    help="Small constant that avoids division by zero.",
                ),
            },
            "Re-centres and re-scales its inputs, which makes training steadier.",
            batch_normalization_output,
            family=LayerFamily.NORMALIZATION,
            multiply_adds=per_value_multiply_adds,
            torch=to_torch.torch_batch_normalization,
        ),
        LayerType(
            "Activation",
            {"activation": activation_argument("relu", required=True)},
            "Applies a function such as relu to every value.",
            same_output,
            starting_arguments={"activation": "relu"},
            family=LayerFamily.ACTIVATION,
            multiply_adds=no_multiply_adds,
            torch=to_torch.torch_activation_only,
        ),
        LayerType(
            "ResidualBlock",
            {
                "filters": Argument(
                    "int",
                    32,
                    required=True,
                    minimum=1,
                    maximum=MAX_FILTERS,
                    help="Number of filters of both convolutions (output channels).",
                ),
                "kernel_size": Argument(
                    "size",
                    3,
                    minimum=1,
                    maximum=MAX_SIZE,
                    help="Height and width of both convolutions' filters.",
                ),
                "strides": Argument(
                    "size",
                    1,
                    minimum=1,
                    maximum=MAX_SIZE,
                    help="Step of the first convolution; 2 halves the height and width.",
                ),
            },
            "ResNet's block: conv, batch norm, relu, conv, batch norm, plus its input added "
            "back (the shortcut), then relu. Shortcuts let deep networks train.",
            residual_output,
            starting_arguments={"filters": 32, "kernel_size": 3, "strides": 1},
            label=lambda layer: (
                f"ResidualBlock {layer.get('filters')} filters"
                + (
                    ""
                    if pair(layer.get("strides", 1)) == (1, 1)
                    else f", strides {format_size(layer.get('strides'))}"
                )
            ),
            needs_image_input=True,
            inner_values=residual_inner_values,
            family=LayerFamily.BLOCK,
            multiply_adds=residual_multiply_adds,
            torch=to_torch.torch_residual,
            keras_layer=_residual_block_class,
            parts=residual_parts,
        ),
        *AUGMENTATION_TYPES,
    )
}

# Views of the catalogue by what callers look up.
LAYER_TYPES: dict[str, dict[str, Argument]] = {
    name: layer_type.arguments for name, layer_type in CATALOGUE.items()
}
LAYER_DESCRIPTIONS = {name: layer_type.description for name, layer_type in CATALOGUE.items()}
NEEDS_IMAGE_INPUT = tuple(
    name for name, layer_type in CATALOGUE.items() if layer_type.needs_image_input
)
AUGMENTATION_LAYERS = tuple(
    name for name, layer_type in CATALOGUE.items() if layer_type.augmentation
)


def register(layer_type: LayerType) -> None:
    """Add a layer type to the catalogue (and its views): Build, validation, the diagram and
    export then offer it with no other edit. Raises ValueError for a name already taken."""
    if layer_type.name in CATALOGUE:
        raise ValueError(
            f"A layer type named {layer_type.name} is already in the catalogue. Choose another "
            f"name. Received: name={layer_type.name!r}"
        )
    CATALOGUE[layer_type.name] = layer_type
    LAYER_TYPES[layer_type.name] = layer_type.arguments
    LAYER_DESCRIPTIONS[layer_type.name] = layer_type.description


def unregister(name: str) -> None:
    """Remove a layer type added with register (tests use it to clean up)."""
    for view in (CATALOGUE, LAYER_TYPES, LAYER_DESCRIPTIONS):
        view.pop(name, None)
