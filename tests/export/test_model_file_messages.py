""".keras files that cannot be used say exactly what is wrong, and a model at the parameter
limit fits the upload cap."""

from __future__ import annotations

import tomllib

import keras
import numpy as np
import pytest

from cnnviz.data import datasets, file_reading
from cnnviz.export import model_files
from cnnviz.model import spec as spec_module
from cnnviz.model import spec_limits
from cnnviz.model.with_keras import builder
from cnnviz.training import limits as training_limits
from helpers.paths import REPO

MNIST = datasets.DATASETS["mnist"]
CONFIG_TOML = REPO / ".streamlit" / "config.toml"


def model_bytes(layers: list[dict], input_shape=(28, 28, 1), classes: int = 10) -> bytes:
    spec = {"layers": layers}
    return model_files.save_keras_bytes(builder.build_model(spec, input_shape, classes))


def loaded(input_shape, classes: int) -> model_files.LoadedModel:
    output = {"type": "Dense", "units": classes, "activation": "softmax"}
    data = model_bytes([{"type": "Flatten"}, output], input_shape, classes)
    return model_files.load_keras_bytes(data)


class Doubling(keras.layers.Layer):
    """A custom layer, not registered with Keras: its code is not in a saved file."""

    def call(self, inputs):
        return inputs * 2


def test_a_cut_short_file_says_so_and_names_no_temporary_file():
    data = model_bytes(
        [{"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}]
    )
    for cut in (data[: len(data) // 2], data[:-10]):
        with pytest.raises(model_files.ModelFileError) as refused:
            model_files.load_keras_bytes(cut)
        message = str(refused.value)
        assert message.startswith("The file is incomplete or damaged: its zip archive is cut short")
        assert "upload.keras" not in message and "/tmp" not in message


def test_a_custom_layer_is_named_in_whole_sentences():
    inputs = keras.Input((28, 28, 1))
    hidden = Doubling(name="double_it")(keras.layers.Rescaling(1 / 255)(inputs))
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(hidden))
    data = model_files.save_keras_bytes(keras.Model(inputs, outputs))
    with pytest.raises(model_files.ModelFileError) as refused:
        model_files.load_keras_bytes(data)
    assert str(refused.value) == (
        "The file's layer 'double_it' is of the custom class 'Doubling', whose Python code is "
        "not in the file (and cnnviz never runs code from a file). Use only Keras's own "
        "layers, such as the ones cnnviz offers."
    )


def test_keras_messages_are_cut_at_a_sentence_or_a_word_never_mid_word():
    long_sentence = " ".join(["word"] * 80) + ". Second sentence."
    short = model_files.first_sentence(long_sentence)
    assert short.endswith("word ...") and len(short) <= 204
    assert model_files.first_sentence("First part. Second part.") == "First part"


def test_a_5_class_model_on_mnist_says_the_class_count_differs_not_the_shape():
    message = model_files.dataset_mismatch(
        "five.keras", loaded((28, 28, 1), 5), MNIST, datasets.DATASETS.values()
    )
    assert message == (
        "five.keras predicts 5 classes, but MNIST has 10 (the images are the same size, "
        "28 x 28 x 1). No data set here has 5 classes of 28 x 28 x 1 images: make one on the "
        "My data page (5 classes, 28 pixels, gray), choose it in the sidebar and load the model "
        "again."
    )
    assert "shape" not in message


def test_a_model_for_another_shape_names_the_data_set_that_fits():
    message = model_files.dataset_mismatch(
        "colour.keras", loaded((32, 32, 3), 10), MNIST, datasets.DATASETS.values()
    )
    assert message == (
        "colour.keras takes 32 x 32 x 3 images, but MNIST's are 28 x 28 x 1. Choose CIFAR-10 "
        "in the sidebar, then load it again."
    )


def test_a_model_no_data_set_can_fit_says_where_it_can_be_explained():
    message = model_files.dataset_mismatch(
        "wide.keras", loaded((20, 30, 3), 10), MNIST, datasets.DATASETS.values()
    )
    assert "No data set of cnnviz can have 10 classes of 20 x 30 x 3 images" in message
    assert "cnnviz inspect" in message
    assert model_files.dataset_mismatch("ok", loaded((28, 28, 1), 10), MNIST, []) is None


def test_the_server_upload_cap_is_the_largest_uploader_cap():
    config = tomllib.loads(CONFIG_TOML.read_text())
    assert config["server"]["maxUploadSize"] == file_reading.SERVER_UPLOAD_MB == 64
    caps = (
        file_reading.UPLOAD_IMAGE_BYTES,
        file_reading.UPLOAD_KERAS_BYTES,
        file_reading.UPLOAD_ZIP_BYTES,
        file_reading.UPLOAD_NPZ_BYTES,
        spec_limits.Limits().max_spec_bytes,
    )
    assert max(caps) == file_reading.SERVER_UPLOAD_MB * 2**20


@pytest.mark.trains
def test_a_model_at_the_parameter_limit_saved_with_adams_state_fits_the_keras_upload_cap():
    # Flatten, then Dense 6,250 and the output: 4,968,760 parameters, just under the limit.
    layers = [
        {"type": "Flatten"},
        {"type": "Dense", "units": 6250, "activation": "relu"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
    infos = training_limits.check_training({"layers": layers}, MNIST, {})[0]
    params = spec_module.total_params(infos)
    assert 4_900_000 < params <= spec_limits.Limits().max_params
    model = builder.build_model({"layers": layers}, (28, 28, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 28, 28, 1)), np.zeros(4), verbose=0)
    size = len(model_files.save_keras_bytes(model))
    # Weights and Adam's two slots: 3 x 4 bytes a parameter, about 57 MB.
    assert 3 * 4 * params < size <= file_reading.UPLOAD_KERAS_BYTES
