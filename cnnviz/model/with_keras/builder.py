"""Turn a validated spec into a Keras model (functional API)."""

from __future__ import annotations

import keras
from keras import layers

from cnnviz.model import layer_types
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_names import layer_name

RESCALING_LAYER_NAME = "rescaling"


def build_model(spec: dict, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """Build an uncompiled functional model from a spec.

    The model takes raw pixel values (0-255, any numeric dtype) and scales them to 0-1 in its
    first layer, so images can be fed as stored, uploads need no extra step, and the exported
    .keras file works on plain images too.

    Raises:
        SpecError: when the spec is invalid for this input shape and class count.
    """
    spec_module.validate(spec, input_shape, num_classes)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    outputs = layers.Rescaling(1.0 / 255, name=RESCALING_LAYER_NAME)(inputs)
    for position, layer in enumerate(spec["layers"], start=1):
        # The catalogue's defaults are what validation assumed; pass them, since Keras's own
        # differ in places (AveragePooling2D has no default pool_size at all).
        arguments = {
            name: argument.default
            for name, argument in layer_types.LAYER_TYPES[layer["type"]].items()
            if argument.default is not None
        }
        arguments.update({key: value for key, value in layer.items() if key != "type"})
        for key in ("kernel_size", "pool_size", "strides"):
            if isinstance(arguments.get(key), list):
                arguments[key] = tuple(arguments[key])
        # The record names the Keras class (cnnviz's own ResidualBlock, or keras.layers').
        layer_class = layer_types.CATALOGUE[layer["type"]].keras_class()
        outputs = layer_class(**arguments, name=layer_name(position, layer["type"]))(outputs)
    return keras.Model(inputs, outputs, name=spec_module.keras_model_name(spec))


def spec_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's layers that come from the spec, in order (no Input, no rescaling)."""
    return [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer) and layer.name != RESCALING_LAYER_NAME
    ]
