"""Tests for cnnviz.model.with_keras.builder: spec -> functional Keras model."""

import copy

import numpy as np
import pytest

from cnnviz.model import layer_names, spec
from cnnviz.model.spec import SpecError
from cnnviz.training.presets import preset_spec

keras = pytest.importorskip("keras")
from cnnviz.model.with_keras import builder  # noqa: E402  (needs Keras, imported above)

MNIST_SHAPE = (28, 28, 1)
OUTPUT = {"type": "Dense", "units": 10, "activation": "softmax"}
EVERY_TYPE_SPEC = {
    "name": "every type!",
    "layers": [
        {"type": "Conv2D", "filters": 4, "kernel_size": [3, 5], "strides": [1, 2]},
        {"type": "BatchNormalization"},
        {"type": "Activation", "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": [2, 2]},
        {"type": "AveragePooling2D", "pool_size": 2, "strides": 1, "padding": "same"},
        {"type": "Dropout", "rate": 0.2},
        {"type": "GlobalMaxPooling2D"},
        {"type": "Dense", "units": 12, "activation": "tanh"},
        OUTPUT,
    ],
}


@pytest.fixture(scope="module")
def keras_example_model():
    return builder.build_model(preset_spec("keras_example", MNIST_SHAPE, 10), MNIST_SHAPE, 10)


@pytest.fixture(scope="module")
def every_type_model():
    return builder.build_model(EVERY_TYPE_SPEC, MNIST_SHAPE, 10)


def test_model_is_functional_with_image_input_and_rescaling_first(keras_example_model):
    assert isinstance(keras_example_model, keras.Model)
    first, second = keras_example_model.layers[:2]
    assert isinstance(first, keras.layers.InputLayer)
    assert isinstance(second, keras.layers.Rescaling)
    assert second.name == "rescaling"
    # Functional models expose .input and .output, which feature maps need.
    assert tuple(keras_example_model.input.shape) == (None, 28, 28, 1)
    assert tuple(keras_example_model.output.shape) == (None, 10)


def test_spec_layers_are_the_spec_in_order(every_type_model):
    layers = builder.spec_layers(every_type_model)
    assert [type(layer).__name__ for layer in layers] == [
        layer["type"] for layer in EVERY_TYPE_SPEC["layers"]
    ]


def test_spec_layers_are_named_by_position(every_type_model):
    names = [layer.name for layer in builder.spec_layers(every_type_model)]
    assert len(set(names)) == len(names)
    assert [name.rsplit("_", 1)[1] for name in names] == [str(i) for i in range(1, 10)]


def test_spec_layer_names_use_keras_snake_case(every_type_model):
    names = [layer.name for layer in builder.spec_layers(every_type_model)]
    assert names == [
        "conv2d_1",
        "batch_normalization_2",
        "activation_3",
        "max_pooling2d_4",
        "average_pooling2d_5",
        "dropout_6",
        "global_max_pooling2d_7",
        "dense_8",
        "dense_9",
    ]


def test_layer_arguments_reach_keras(every_type_model):
    conv_layer, _, activation_layer, *_ = builder.spec_layers(every_type_model)
    assert conv_layer.kernel_size == (3, 5)
    assert conv_layer.strides == (1, 2)
    assert conv_layer.filters == 4
    assert conv_layer.activation.__name__ == "linear"
    assert activation_layer.activation.__name__ == "relu"


def test_model_name_comes_from_the_spec_made_safe(every_type_model, keras_example_model):
    assert every_type_model.name == "every_type_"
    assert keras_example_model.name == "keras_example"


def test_rescaling_layer_maps_255_to_one(keras_example_model):
    rescaled = keras.Model(
        keras_example_model.inputs[0], keras_example_model.get_layer("rescaling").output
    )
    images = np.stack([np.full(MNIST_SHAPE, value, dtype=np.uint8) for value in (0, 51, 255)])
    result = rescaled.predict(images, verbose=0)
    np.testing.assert_allclose(result[0], 0.0)
    np.testing.assert_allclose(result[1], 0.2, rtol=1e-6)
    np.testing.assert_allclose(result[2], 1.0, rtol=1e-6)


def test_uint8_images_give_class_probabilities(keras_example_model):
    images = np.random.default_rng(0).integers(0, 256, size=(3, *MNIST_SHAPE), dtype=np.uint8)
    from_uint8 = keras_example_model.predict(images, verbose=0)
    from_float = keras_example_model.predict(images.astype(np.float32), verbose=0)
    assert from_uint8.shape == (3, 10)
    np.testing.assert_allclose(from_uint8.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(from_uint8, from_float, rtol=1e-5)


class _NoKeras:
    """Stands in for keras and keras.layers: any use fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"Keras was used ({name}) before the spec was checked")


@pytest.mark.parametrize(
    "layers, position",
    [
        ([{"type": "Conv2D", "filters": 8, "kernel_size": 3}, OUTPUT], 2),
        ([{"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"}], 2),
        ([{"type": "Dense2D"}, OUTPUT], 1),
    ],
)
def test_invalid_spec_raises_before_any_keras_work(monkeypatch, layers, position):
    monkeypatch.setattr(builder, "keras", _NoKeras())
    monkeypatch.setattr(builder, "layers", _NoKeras())
    with pytest.raises(SpecError) as caught:
        builder.build_model({"layers": layers}, MNIST_SHAPE, 10)
    assert caught.value.position == position


def test_count_params_equals_the_spec_total(keras_example_model, every_type_model):
    for model, model_spec in [
        (keras_example_model, preset_spec("keras_example", MNIST_SHAPE, 10)),
        (every_type_model, EVERY_TYPE_SPEC),
    ]:
        infos = spec.validate(model_spec, MNIST_SHAPE, 10)
        assert model.count_params() == spec.total_params(infos)


def test_build_model_leaves_the_spec_unchanged():
    before = copy.deepcopy(EVERY_TYPE_SPEC)
    builder.build_model(EVERY_TYPE_SPEC, MNIST_SHAPE, 10)
    assert before == EVERY_TYPE_SPEC


def test_spec_position_reads_the_position_back_from_a_layer_name():
    for position, layer_type in [
        (1, "Conv2D"),
        (12, "MaxPooling2D"),
        (3, "GlobalAveragePooling2D"),
    ]:
        assert layer_names.spec_position(layer_names.layer_name(position, layer_type)) == position
