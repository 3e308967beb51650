""".keras files: saved and loaded back with their weights; foreign files get clear messages."""

from __future__ import annotations

import io
import zipfile

import keras
import numpy as np
import pytest

from cnnviz.export import model_files
from cnnviz.model.with_keras import builder
from cnnviz.training import presets

SHAPE = (28, 28, 1)


def layer_configs(spec: dict, input_shape) -> list[dict]:
    model = builder.build_model(spec, input_shape, 10)
    return [
        {key: value for key, value in layer.get_config().items() if key != "name"}
        for layer in model.layers
    ]


def same_architecture(spec: dict, other: dict, input_shape) -> bool:
    """Whether two specs build layers with the same Keras configuration."""
    return layer_configs(spec, input_shape) == layer_configs(other, input_shape)


def trained_like(preset: str, input_shape=SHAPE) -> keras.Model:
    """A preset's model with weights moved away from their initial values."""
    spec = presets.preset_spec(preset, input_shape, 10)
    model = builder.build_model(spec, input_shape, 10)
    rng = np.random.default_rng(0)
    model.set_weights(
        [
            weight + rng.normal(0, 0.01, weight.shape).astype("float32")
            for weight in model.get_weights()
        ]
    )
    return model


@pytest.mark.parametrize(
    ("preset", "shape"),
    [("keras_dropout", SHAPE), ("vgg_small", (32, 32, 3)), ("resnet_small", (32, 32, 3))],
)
def test_keras_file_round_trip_keeps_layers_and_weights(preset, shape):
    model = trained_like(preset, shape)
    loaded = model_files.load_keras_bytes(model_files.save_keras_bytes(model))
    assert same_architecture(loaded.spec, presets.preset_spec(preset, shape, 10), shape)
    assert loaded.input_shape == shape and loaded.num_classes == 10
    assert [layer.name for layer in loaded.model.layers] == [layer.name for layer in model.layers]
    for original, copy in zip(model.get_weights(), loaded.model.get_weights(), strict=True):
        np.testing.assert_array_equal(original, copy)


def test_a_plain_keras_sequential_model_with_rescaling_loads():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(8, (3, 3), padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="students_net",
    )
    loaded = model_files.load_keras_bytes(model_files.save_keras_bytes(model))
    assert loaded.spec == {
        "name": "students_net",
        "layers": [
            {
                "type": "Conv2D",
                "filters": 8,
                "kernel_size": 3,
                "padding": "same",
                "activation": "relu",
            },
            {"type": "MaxPooling2D"},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ],
    }
    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(loaded.model(images), model(images), atol=1e-6)


def save(model: keras.Model) -> bytes:
    return model_files.save_keras_bytes(model)


AUGMENTATION_SPEC = {
    "layers": [
        {"type": "RandomFlip", "mode": "vertical"},
        {"type": "RandomRotation", "factor": 0.05},
        {"type": "RandomTranslation", "height_factor": 0.1, "width_factor": 0.2},
        {"type": "RandomZoom", "height_factor": -0.2, "width_factor": 0.1},
        {"type": "RandomContrast", "factor": 0.3},
        {"type": "ResidualBlock", "filters": 4, "kernel_size": [3, 5], "strides": 2},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}


def test_augmentation_layers_and_residual_blocks_round_trip():
    model = builder.build_model(AUGMENTATION_SPEC, SHAPE, 10)
    loaded = model_files.load_keras_bytes(model_files.save_keras_bytes(model))
    assert loaded.spec["layers"] == AUGMENTATION_SPEC["layers"]


def test_augmentation_settings_cnnviz_cannot_hold_are_refused():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.RandomRotation(0.1, fill_mode="constant", name="turn")(x)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    with pytest.raises(model_files.ModelFileError, match="'turn'.*fill_mode='constant'"):
        model_files.load_keras_bytes(save(model))


def test_unsupported_layers_are_named():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, name="edges")(x)
    x = keras.layers.LayerNormalization(name="norm")(x)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    with pytest.raises(model_files.ModelFileError, match="Layer 2 \\(LayerNormalization.*'norm'"):
        model_files.load_keras_bytes(save(model))


def test_a_layer_used_twice_is_refused_even_if_supported():
    # A fixed seed: with some random kernels the relu zeroes every output, and one pass or
    # two then compute the same, whatever ran before this test.
    keras.utils.set_random_seed(1)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    shared = keras.layers.Conv2D(1, 3, padding="same", activation="relu")
    # The same layer twice in a row: model.layers lists it once, so as a stack it differs.
    x = keras.layers.Flatten()(shared(shared(x)))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    with pytest.raises(model_files.ModelFileError, match="one simple stack"):
        model_files.load_keras_bytes(save(model))


def test_a_model_without_rescaling_is_explained():
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    with pytest.raises(model_files.ModelFileError, match="start with Rescaling"):
        model_files.load_keras_bytes(save(model))


def test_lambda_layers_are_never_run():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Lambda(lambda x: x * 2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    with pytest.raises(model_files.ModelFileError, match="Python code"):
        model_files.load_keras_bytes(save(model))


def test_dilated_convolutions_are_refused():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, dilation_rate=2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    with pytest.raises(model_files.ModelFileError, match="dilation_rate"):
        model_files.load_keras_bytes(save(model))


def broken_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", "{not json")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", "not a .keras file"),
        (b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5"),
        (broken_zip(), "config.json cannot be read"),
        (b"", "not a .keras file"),
    ],
)
def test_files_that_are_not_models_are_explained(data, message):
    with pytest.raises(model_files.ModelFileError, match=message):
        model_files.load_keras_bytes(data)


def test_oversized_files_are_refused_before_reading(monkeypatch):
    monkeypatch.setattr(model_files, "MAX_KERAS_BYTES", 10)
    with pytest.raises(model_files.ModelFileError, match="up to"):
        model_files.load_keras_bytes(b"PK\x03\x04" + bytes(20))
