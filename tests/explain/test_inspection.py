"""Tests for cnnviz.explain.inspection: filters, feature maps and predictions of built models."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cnnviz.explain import evaluation, inspection, statistics
from cnnviz.model import layer_names
from cnnviz.model.with_keras import builder
from cnnviz.training import presets

MNIST_SHAPE = (28, 28, 1)
CLASS_NAMES = [f"class {index}" for index in range(10)]

# A model with every kind of layer that keeps the image shape, and a convolution with several
# input channels (a kernel transposition bug cannot hide behind a single channel).
MIXED_SPEC = {
    "layers": [
        {"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
        {"type": "BatchNormalization"},
        {"type": "Dropout", "rate": 0.5},
        {"type": "Conv2D", "filters": 6, "kernel_size": [3, 2], "activation": "linear"},
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "Activation", "activation": "relu"},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}


@pytest.fixture(scope="module")
def mixed_model():
    keras.utils.set_random_seed(1)
    model = builder.build_model(MIXED_SPEC, MNIST_SHAPE, 10)
    # Give batch normalisation non-trivial statistics, so training and inference modes differ.
    batch_norm = model.get_layer(layer_names.layer_name(2, "BatchNormalization"))
    gamma, beta, _, _ = batch_norm.get_weights()
    batch_norm.set_weights([gamma * 2, beta + 0.5, np.full(4, 0.3), np.full(4, 2.0)])
    return model


@pytest.fixture(scope="module")
def digits():
    return np.random.default_rng(2).integers(0, 256, (7, *MNIST_SHAPE), dtype=np.uint8)


def spec_names(spec: dict, positions) -> list[str]:
    return [
        layer_names.layer_name(position, spec["layers"][position - 1]["type"])
        for position in positions
    ]


def test_conv_layer_names(tiny_model, mixed_model):
    assert inspection.conv_layer_names(tiny_model) == ["conv2d_1"]
    assert inspection.conv_layer_names(mixed_model) == spec_names(MIXED_SPEC, [1, 4])


def test_feature_map_layers_are_those_before_flatten(mixed_model):
    names = inspection.feature_map_layer_names(mixed_model)
    assert names == spec_names(MIXED_SPEC, range(1, 7))
    assert "image" not in names and builder.RESCALING_LAYER_NAME not in names


@pytest.mark.parametrize("position", [1, 4])
def test_kernels_put_the_filter_first(mixed_model, position):
    name = spec_names(MIXED_SPEC, [position])[0]
    stored = mixed_model.get_layer(name).get_weights()[0]  # (kh, kw, in, out)
    kernels = inspection.get_kernels(mixed_model, name)
    assert kernels.dtype == np.float32
    assert kernels.shape == (stored.shape[3], stored.shape[0], stored.shape[1], stored.shape[2])
    for index in range(stored.shape[3]):
        np.testing.assert_array_equal(kernels[index], stored[:, :, :, index])


@pytest.mark.parametrize("name", ["dense_4", "max_pooling2d_2", "conv2d_9", ""])
def test_kernels_of_a_wrong_layer_name_the_conv_layers(tiny_model, name):
    with pytest.raises(ValueError, match="conv2d_1"):
        inspection.get_kernels(tiny_model, name)


def test_feature_maps_match_a_hand_built_sub_model(mixed_model, digits):
    names = inspection.feature_map_layer_names(mixed_model)
    maps = inspection.feature_maps(mixed_model, digits[0], names)
    assert list(maps) == names
    for name in names:
        reference_model = keras.Model(mixed_model.inputs[0], mixed_model.get_layer(name).output)
        reference = reference_model.predict(digits[:1].astype("float32"), verbose=0)[0]
        assert maps[name].dtype == np.float32 and maps[name].ndim == 3
        np.testing.assert_allclose(maps[name], reference, rtol=1e-5, atol=1e-5)


def test_feature_maps_follow_the_convolution_formula(tiny_model, digits):
    image = digits[1]
    output = inspection.feature_maps(tiny_model, image, ["conv2d_1"])["conv2d_1"]
    kernel, bias = tiny_model.get_layer("conv2d_1").get_weights()
    scaled = image[..., 0].astype(np.float64) / 255
    assert output.shape == (26, 26, 8)
    for row, column, filter_index in [(0, 0, 0), (5, 17, 3), (25, 25, 7), (12, 3, 5)]:
        patch = scaled[row : row + 3, column : column + 3]
        expected = max(0.0, (patch * kernel[:, :, 0, filter_index]).sum() + bias[filter_index])
        assert output[row, column, filter_index] == pytest.approx(expected, abs=1e-5)


def test_feature_maps_of_one_layer_and_repeated_names(tiny_model, digits):
    maps = inspection.feature_maps(tiny_model, digits[0], ["max_pooling2d_2", "max_pooling2d_2"])
    assert list(maps) == ["max_pooling2d_2"]
    assert maps["max_pooling2d_2"].shape == (13, 13, 8)


@pytest.mark.parametrize("names", [["flatten_3"], ["dense_4"], ["image"], ["nope"], []])
def test_feature_maps_of_wrong_layers_are_refused(tiny_model, digits, names):
    with pytest.raises(ValueError, match="conv2d_1|No layers"):
        inspection.feature_maps(tiny_model, digits[0], names)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((1, 28, 28, 1), "without the batch axis"),
        ((32, 32, 3), r"\(28, 28, 1\)"),
        ((28, 28), r"\(28, 28, 1\)"),
    ],
)
def test_images_of_the_wrong_shape_are_refused(tiny_model, shape, message):
    image = np.zeros(shape, np.uint8)
    with pytest.raises(ValueError, match=message):
        inspection.feature_maps(tiny_model, image, ["conv2d_1"])
    with pytest.raises(ValueError, match=r"\(28, 28, 1\)"):
        inspection.top_predictions(tiny_model, image, CLASS_NAMES)


def test_predict_probabilities_matches_keras_in_uneven_batches(mixed_model, digits):
    probabilities = inspection.predict_probabilities(mixed_model, digits, batch_size=3)
    reference = mixed_model.predict(digits.astype("float32"), verbose=0)
    assert probabilities.shape == (7, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, reference, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_predict_probabilities_with_flips_is_the_mean_with_the_mirror_image(mixed_model, digits):
    # Both paths: one batch (a plain call) and several (predict).
    for batch_size in (500, 3):
        flipped = inspection.predict_probabilities(mixed_model, digits, True, batch_size)
        plain = mixed_model.predict(digits.astype("float32"), verbose=0)
        mirrored = mixed_model.predict(digits[:, :, ::-1].astype("float32"), verbose=0)
        np.testing.assert_allclose(flipped, (plain + mirrored) / 2, rtol=1e-5, atol=1e-6)
        assert not np.allclose(flipped, plain, atol=1e-4)  # the flip changes something here


def test_inspect_top_guesses_with_flips_equal_evaluates_for_the_same_image(mixed_model, digits):
    # Evaluate's figures for one image, judged as a run with test-time flips is.
    image = digits[5]
    evaluated = evaluation.evaluate(mixed_model, image[None], [0], CLASS_NAMES, flip=True)
    top = inspection.top_predictions(mixed_model, image, CLASS_NAMES, k=3, flip=True)
    assert [name for name, _ in top] == [CLASS_NAMES[i] for i in evaluated.top_classes[0][:3]]
    np.testing.assert_allclose(
        [probability for _, probability in top], evaluated.top_probabilities[0][:3], rtol=1e-6
    )


def test_predict_probabilities_of_no_images(tiny_model):
    empty = np.zeros((0, *MNIST_SHAPE), np.uint8)
    assert inspection.predict_probabilities(tiny_model, empty).shape == (0, 10)


@pytest.mark.parametrize(
    ("images", "batch_size"),
    [(np.zeros((2, 28, 28, 3)), 8), (np.zeros((28, 28, 1)), 8), (np.zeros((2, 28, 28, 1)), 0)],
)
def test_predict_probabilities_refuses_bad_input(tiny_model, images, batch_size):
    with pytest.raises(ValueError, match="shape|batch_size"):
        inspection.predict_probabilities(tiny_model, images, batch_size=batch_size)


def test_top_predictions_are_the_most_likely_in_order(mixed_model, digits):
    probabilities = mixed_model.predict(digits[3:4].astype("float32"), verbose=0)[0]
    top = inspection.top_predictions(mixed_model, digits[3], CLASS_NAMES, k=3)
    assert len(top) == 3
    values = [probability for _, probability in top]
    assert values == sorted(values, reverse=True)
    assert sum(values) <= 1 + 1e-6
    assert top[0][0] == CLASS_NAMES[int(np.argmax(probabilities))]
    for name, probability in top:
        assert probability == pytest.approx(probabilities[CLASS_NAMES.index(name)], abs=1e-6)


def test_top_predictions_with_k_beyond_the_classes_lists_all(tiny_model, digits):
    top = inspection.top_predictions(tiny_model, digits[0], CLASS_NAMES, k=50)
    assert sorted(name for name, _ in top) == sorted(CLASS_NAMES)
    assert sum(probability for _, probability in top) == pytest.approx(1, abs=1e-5)


@pytest.mark.parametrize(("class_names", "k"), [(CLASS_NAMES[:9], 3), (CLASS_NAMES, 0)])
def test_top_predictions_refuses_bad_arguments(tiny_model, digits, class_names, k):
    with pytest.raises(ValueError, match="class names|k must"):
        inspection.top_predictions(tiny_model, digits[0], class_names, k=k)


# ----- the network overview, replay and activation statistics -----


def test_overview_equals_a_sub_model_for_every_layer(mixed_model, digits):
    entries = inspection.network_overview(mixed_model, digits[0])
    names = [entry["name"] for entry in entries]
    # Spatial layers, then the output; Flatten is left out.
    assert names == spec_names(MIXED_SPEC, [1, 2, 3, 4, 5, 6, 8])
    reference = keras.Model(
        mixed_model.inputs[0], [mixed_model.get_layer(name).output for name in names]
    )
    expected = reference.predict(digits[:1], verbose=0)
    for entry, values in zip(entries, expected, strict=True):
        np.testing.assert_allclose(entry["values"], values[0], rtol=1e-5, atol=1e-6)
        assert entry["kind"] == ("spatial" if values.ndim == 4 else "vector")
    assert entries[-1]["values"].sum() == pytest.approx(1.0, abs=1e-5)


def test_overview_shows_dense_layers_as_vectors():
    spec = presets.preset_spec("keras_example", MNIST_SHAPE, 10)
    model = builder.build_model(spec, MNIST_SHAPE, 10)
    image = np.zeros(MNIST_SHAPE, np.uint8)
    entries = inspection.network_overview(model, image)
    kinds = [(entry["name"].rsplit("_", 1)[0], entry["kind"]) for entry in entries]
    assert ("dense", "vector") in kinds and ("flatten", "vector") not in kinds
    assert kinds[0] == ("conv2d", "spatial")


def test_replay_gives_the_model_as_it_was(tiny_model, digits):
    start = [np.zeros_like(array) for array in tiny_model.get_weights()]
    start[0] = np.ones_like(start[0])  # a recognisable first kernel
    replayed = inspection.model_with_weights(tiny_model, start)
    assert replayed is not tiny_model
    np.testing.assert_array_equal(inspection.get_kernels(replayed, "conv2d_1"), 1.0)
    # The live model is untouched.
    assert not np.all(inspection.get_kernels(tiny_model, "conv2d_1") == 1.0)
    # All-zero dense weights: every class equally likely, whatever the image.
    probabilities = inspection.predict_probabilities(replayed, digits)
    np.testing.assert_allclose(probabilities, 0.1, atol=1e-6)
    # Today's weights as a snapshot reproduce today's predictions and feature maps.
    now = inspection.model_with_weights(tiny_model, tiny_model.get_weights())
    np.testing.assert_allclose(
        inspection.predict_probabilities(now, digits),
        inspection.predict_probabilities(tiny_model, digits),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="do not fit"):
        inspection.model_with_weights(tiny_model, start[:-1])


def test_activation_statistics_count_dead_channels(mixed_model, digits):
    conv = spec_names(MIXED_SPEC, [1])[0]
    layer = mixed_model.get_layer(conv)
    kernel, bias = layer.get_weights()
    silenced_kernel, silenced_bias = kernel.copy(), bias.copy()
    silenced_kernel[..., 2] = 0
    silenced_bias[2] = -1.0  # relu(-1) = 0 everywhere: channel 2 is dead
    layer.set_weights([silenced_kernel, silenced_bias])
    try:
        (row,) = statistics.activation_statistics(mixed_model, digits, [conv])
        reference = keras.Model(mixed_model.inputs[0], layer.output).predict(digits, verbose=0)
    finally:
        layer.set_weights([kernel, bias])
    assert row["name"] == conv and row["channels"] == 4
    # A channel is dead when its maximum over the whole batch is zero.
    assert row["dead_channels"] == [
        int(i) for i in np.flatnonzero(reference.max(axis=(0, 1, 2)) == 0)
    ]
    assert 2 in row["dead_channels"]
    assert row["mean"] == pytest.approx(float(reference.mean()), rel=1e-5)
    assert row["max"] == pytest.approx(float(reference.max()), rel=1e-5)
    assert row["zero_share"] == pytest.approx(float(np.mean(reference == 0)))
    everything = statistics.activation_statistics(mixed_model, digits)
    assert [entry["name"] for entry in everything] == [
        entry["name"] for entry in inspection.network_overview(mixed_model, digits[0])
    ]
    with pytest.raises(ValueError, match="no layer named"):
        statistics.activation_statistics(mixed_model, digits, ["nope"])


@pytest.mark.parametrize(
    "layers",
    [
        [{"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}],
        [
            {"type": "Conv2D", "filters": 3, "kernel_size": 3, "activation": "relu"},
            {"type": "AveragePooling2D", "pool_size": 3, "strides": 2, "padding": "same"},
            {"type": "GlobalMaxPooling2D"},
            {"type": "Dropout", "rate": 0.2},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ],
    ],
)
def test_overview_works_for_other_architectures(layers, digits):
    from cnnviz.figures import overview

    spec = {"layers": layers}
    model = builder.build_model(spec, MNIST_SHAPE, 10)
    entries = inspection.network_overview(model, digits[0])
    assert entries[-1]["name"] == model.layers[-1].name
    assert all(entry["kind"] in ("spatial", "vector") for entry in entries)
    # Dropout after the global pooling repeats its values, so it is not a column of its own.
    assert not any(entry["name"].startswith("dropout") for entry in entries)
    figure = overview.plot_overview(digits[0], entries, CLASS_NAMES)
    assert len(figure.data) == len(entries) + 1
