"""The ResidualBlock layer and the augmentation layers: shapes and parameters equal Keras's."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain import inspection
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_types import AUGMENTATION_LAYERS
from cnnviz.model.with_keras import builder

OUTPUT = {"type": "Dense", "units": 10, "activation": "softmax"}
AUGMENTATION = [
    {"type": "RandomFlip", "mode": "horizontal"},
    {"type": "RandomRotation", "factor": 0.1},
    {"type": "RandomTranslation", "height_factor": 0.1, "width_factor": 0.2},
    {"type": "RandomZoom", "height_factor": 0.2},
    {"type": "RandomContrast", "factor": 0.3},
]


@pytest.mark.parametrize(
    ("input_shape", "blocks"),
    [
        ((28, 28, 1), [{"filters": 8}, {"filters": 8}]),  # projection, then identity shortcut
        ((32, 32, 3), [{"filters": 16, "strides": 2}, {"filters": 32, "strides": 2}]),
        ((28, 28, 1), [{"filters": 4, "kernel_size": 5, "strides": 3}, {"filters": 4}]),
        ((32, 32, 3), [{"filters": 6, "kernel_size": [3, 5], "strides": [2, 1]}]),
        ((28, 28, 1), [{"filters": 1}]),  # 1 channel in, 1 out: no projection at all
    ],
)
def test_residual_block_shapes_and_parameters_equal_keras(input_shape, blocks):
    layers = [{"type": "ResidualBlock", **block} for block in blocks]
    spec = {"layers": [*AUGMENTATION[:1], *layers, {"type": "Flatten"}, OUTPUT]}
    if input_shape[-1] == 1:
        spec["layers"] = spec["layers"][1:]
    infos = spec_module.validate(spec, input_shape, 10)
    model = builder.build_model(spec, input_shape, 10)
    for info, layer in zip(infos, builder.spec_layers(model), strict=True):
        assert info.output_shape == tuple(layer.output.shape[1:]), layer.name
        assert info.params == layer.count_params(), layer.name
        trainable = sum(int(np.prod(weight.shape)) for weight in layer.trainable_weights)
        assert info.trainable_params == trainable, layer.name


def test_residual_block_adds_the_shortcut_then_relu():
    spec = {"layers": [{"type": "ResidualBlock", "filters": 1}, {"type": "Flatten"}, OUTPUT]}
    model = builder.build_model(spec, (28, 28, 1), 10)
    block = builder.spec_layers(model)[0]
    assert block.projection is None  # same shape: the input itself is the shortcut
    # With zero kernels the two convolutions give zero and batch norm its beta (0): the block
    # then passes relu(input) through unchanged, which only the shortcut can explain.
    block.set_weights([np.zeros_like(weight) for weight in block.get_weights()])
    for norm in (block.norm_1, block.norm_2):
        gamma, beta, mean, variance = norm.get_weights()
        norm.set_weights([gamma, beta, mean, np.ones_like(variance)])
    images = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(block(images, training=False), np.maximum(images, 0), atol=1e-6)


def test_augmentation_is_active_in_training_only():
    spec = {"layers": [*AUGMENTATION, {"type": "Flatten"}, OUTPUT]}
    infos = spec_module.validate(spec, (32, 32, 3), 10)
    assert [info.params for info in infos[:5]] == [0] * 5
    assert all(info.output_shape == (32, 32, 3) for info in infos[:5])
    model = builder.build_model(spec, (32, 32, 3), 10)
    images = np.random.default_rng(1).integers(0, 256, (4, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(
        model.predict(images, verbose=0), model.predict(images, verbose=0)
    )
    augmented = builder.spec_layers(model)[:5]
    x = images / 255
    trained = x
    for layer in augmented:
        trained = layer(trained, training=True)
    assert not np.allclose(np.asarray(trained), x)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"type": "RandomFlip", "mode": "sideways"}, "mode must be one of 'horizontal'"),
        ({"type": "RandomRotation"}, "the argument 'factor' is missing"),
        ({"type": "RandomRotation", "factor": 1.5}, "factor must be at most 1"),
        ({"type": "RandomZoom", "height_factor": -0.95}, "height_factor must be at least -0.9"),
        ({"type": "RandomContrast", "factor": "lots"}, "factor must be a number"),
        ({"type": "RandomTranslation", "height_factor": 0.1}, "'width_factor' is missing"),
        ({"type": "ResidualBlock", "filters": 0}, "filters must be at least 1"),
        ({"type": "ResidualBlock"}, "the argument 'filters' is missing"),
    ],
)
def test_bad_arguments_get_clear_messages(layer, message):
    spec = {"layers": [layer, {"type": "Flatten"}, OUTPUT]}
    with pytest.raises(spec_module.SpecError, match=message) as caught:
        spec_module.validate(spec, (28, 28, 1), 10)
    assert caught.value.position == 1


@pytest.mark.parametrize("layer_type", ["ResidualBlock", *AUGMENTATION_LAYERS])
def test_new_types_need_image_input(layer_type):
    layer = spec_module.new_layer(layer_type)
    spec = {"layers": [{"type": "Flatten"}, layer, OUTPUT]}
    with pytest.raises(spec_module.SpecError, match="Layer 2 .*image-shaped input"):
        spec_module.validate(spec, (28, 28, 1), 10)


def test_labels_of_the_new_types():
    assert spec_module.describe_layer({"type": "ResidualBlock", "filters": 64, "strides": 2}) == (
        "ResidualBlock 64 filters, strides 2x2"
    )
    assert spec_module.describe_layer(AUGMENTATION[0]) == "RandomFlip horizontal"


def test_augmented_copies_differ_from_the_image_and_each_other():
    image = np.random.default_rng(2).integers(0, 256, (28, 28, 1)).astype("uint8")
    copies = inspection.augmented_copies(image, AUGMENTATION[1:4], count=4, seed=3)
    assert copies.shape == (4, 28, 28, 1) and copies.dtype == np.uint8
    assert all(not np.array_equal(copy, image) for copy in copies)
    assert not np.array_equal(copies[0], copies[1])
    again = inspection.augmented_copies(image, AUGMENTATION[1:4], count=4, seed=3)
    np.testing.assert_array_equal(copies, again)  # the same seed gives the same copies


def test_augmented_copies_refuse_other_layers():
    with pytest.raises(ValueError, match="Dense is not an augmentation layer"):
        inspection.augmented_copies(np.zeros((28, 28, 1)), [OUTPUT])
