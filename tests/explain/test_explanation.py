"""Tests for cnnviz.explain.techniques and cnnviz.explain.arithmetic: Grad-CAM, saliency, filter
pictures and the arithmetic behind one output value."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cnnviz.explain import arithmetic, techniques
from cnnviz.model import layer_names
from cnnviz.model.with_keras import builder

MNIST_SHAPE = (28, 28, 1)
CIFAR_SHAPE = (32, 32, 3)

# Strides, both paddings, several input channels, batch normalisation and dropout.
ARITHMETIC_SPEC = {
    "layers": [
        {"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
        {"type": "BatchNormalization"},
        {
            "type": "Conv2D",
            "filters": 5,
            "kernel_size": [3, 2],
            "strides": 2,
            "padding": "same",
            "activation": "tanh",
        },
        {"type": "Dropout", "rate": 0.3},
        {
            "type": "Conv2D",
            "filters": 3,
            "kernel_size": 2,
            "activation": "linear",
            "use_bias": False,
        },
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "AveragePooling2D", "pool_size": 2, "strides": 1, "padding": "same"},
        {"type": "Flatten"},
        {"type": "Dense", "units": 6, "activation": "relu"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}


def name_of(position: int) -> str:
    return layer_names.layer_name(position, ARITHMETIC_SPEC["layers"][position - 1]["type"])


@pytest.fixture(scope="module")
def rgb_model():
    keras.utils.set_random_seed(3)
    model = builder.build_model(ARITHMETIC_SPEC, CIFAR_SHAPE, 10)
    conv = model.get_layer(name_of(1))
    kernel, bias = conv.get_weights()
    conv.set_weights([kernel, bias + 0.05])  # non-zero biases, so a missing bias shows
    return model


@pytest.fixture(scope="module")
def rgb_image():
    return np.random.default_rng(4).integers(0, 256, CIFAR_SHAPE, dtype=np.uint8)


# ----- layer arithmetic -----


@pytest.mark.parametrize("position", [1, 3, 5])
@pytest.mark.parametrize("where", [(0, 0), (1, 2), "last"])
def test_conv_numbers_reproduce_the_layer_output(rgb_model, rgb_image, position, where):
    name = name_of(position)
    height, width, channels = rgb_model.get_layer(name).output.shape[1:]
    row, column = (height - 1, width - 1) if where == "last" else where
    channel = channels - 1
    detail = arithmetic.conv_detail(rgb_model, name, rgb_image, row, column, channel)
    kernel = rgb_model.get_layer(name).get_weights()[0][:, :, :, channel]
    np.testing.assert_allclose(detail["kernel"], kernel)
    # The student's check: patch times kernel, summed, plus bias, through the activation.
    by_hand = float((detail["patch"] * detail["kernel"]).sum()) + detail["bias"]
    assert by_hand == pytest.approx(detail["pre_activation"], abs=1e-9)
    assert detail["value"] == pytest.approx(detail["layer_value"], abs=1e-4)
    np.testing.assert_allclose(detail["channel_sums"].sum(), detail["weighted_sum"], atol=1e-9)
    assert np.all(detail["patch"][~detail["inside"]] == 0)


def test_conv_patch_of_the_first_layer_is_the_scaled_image(rgb_model, rgb_image):
    detail = arithmetic.conv_detail(rgb_model, name_of(1), rgb_image, 5, 7, 0)
    # padding="same" with a 3x3 kernel: the patch is centred on the output position.
    np.testing.assert_allclose(detail["patch"], rgb_image[4:7, 6:9] / 255.0, atol=1e-6)
    corner = arithmetic.conv_detail(rgb_model, name_of(1), rgb_image, 0, 0, 0)
    assert not corner["inside"][0].any() and corner["inside"][1:, 1:].all()
    assert corner["bias"] == pytest.approx(0.05)


@pytest.mark.parametrize("position", [6, 7])
def test_pooling_numbers_reproduce_the_layer_output(rgb_model, rgb_image, position):
    name = name_of(position)
    height, width, channels = rgb_model.get_layer(name).output.shape[1:]
    for row, column in [(0, 0), (height - 1, width - 1)]:
        detail = arithmetic.pool_detail(rgb_model, name, rgb_image, row, column, channels - 1)
        assert detail["kind"] == ("max" if position == 6 else "average")
        assert detail["value"] == pytest.approx(detail["layer_value"], abs=1e-4)
    # The last window of the "same" average pooling hangs over the edge.
    if position == 7:
        assert np.isnan(detail["window"]).any()


def test_global_pooling_window_is_the_whole_map():
    inputs = keras.Input(MNIST_SHAPE)
    maps = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D(name="gap")(maps)
    outputs = keras.layers.Dense(2, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    image = np.random.default_rng(5).integers(0, 256, MNIST_SHAPE, dtype=np.uint8)
    detail = arithmetic.pool_detail(model, "gap", image, 0, 0, 2)
    assert detail["window"].shape == (26, 26)
    assert detail["value"] == pytest.approx(detail["layer_value"], rel=1e-5)


def test_dense_contributions_add_up(rgb_model, rgb_image):
    name = name_of(9)
    detail = arithmetic.dense_detail(rgb_model, name, rgb_image, 2, top=5)
    assert detail["contributions"].sum() + detail["bias"] == pytest.approx(detail["pre_activation"])
    assert detail["value"] == pytest.approx(detail["layer_value"], abs=1e-4)
    sizes = np.abs(detail["contributions"][detail["top"]])
    assert len(sizes) == 5 and np.all(np.diff(sizes) <= 0)
    assert sizes[0] == np.abs(detail["contributions"]).max()
    # Inputs come from Flatten, so each has its feature-map position as a label.
    assert len(detail["labels"]) == len(detail["inputs"])
    assert detail["labels"][1] == "row 0, col 0, channel 1"
    output = arithmetic.dense_detail(rgb_model, name_of(10), rgb_image, 7)
    assert output["activation"] == "softmax"
    assert output["value"] == pytest.approx(output["layer_value"], abs=1e-5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m, i: arithmetic.conv_detail(m, name_of(6), i, 0, 0, 0), "not a convolution"),
        (lambda m, i: arithmetic.conv_detail(m, name_of(1), i, 32, 0, 0), "row must lie"),
        (lambda m, i: arithmetic.conv_detail(m, name_of(1), i, 0, 0, 4), "channel must lie"),
        (lambda m, i: arithmetic.pool_detail(m, name_of(1), i, 0, 0, 0), "not a pooling"),
        (lambda m, i: arithmetic.dense_detail(m, name_of(9), i, 6), "unit must lie"),
        (lambda m, i: arithmetic.dense_detail(m, name_of(9), i, 0, top=0), "top must"),
        (lambda m, i: arithmetic.conv_detail(m, name_of(1), i[:5], 0, 0, 0), "shape"),
    ],
)
def test_bad_requests_are_explained(rgb_model, rgb_image, call, message):
    with pytest.raises(ValueError, match=message):
        call(rgb_model, rgb_image)


# ----- Grad-CAM and saliency -----


@pytest.fixture(scope="module")
def region_model():
    """Class 1 = a vertical bar in the top-left quarter; class 0 = a horizontal bar in the
    bottom-right quarter. Channel 0 detects vertical bars, channel 1 horizontal ones."""
    inputs = keras.Input(MNIST_SHAPE)
    scaled = keras.layers.Rescaling(1 / 255)(inputs)
    maps = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="bars")(scaled)
    normed = keras.layers.BatchNormalization(name="norm")(maps)
    dropped = keras.layers.Dropout(0.5)(normed)
    flat = keras.layers.Flatten()(dropped)
    outputs = keras.layers.Dense(2, activation="softmax", name="decide")(flat)
    model = keras.Model(inputs, outputs)
    vertical = np.tile([-1.0, 2.0, -1.0], (3, 1))
    kernel = np.stack([vertical, vertical.T], axis=-1)[:, :, np.newaxis, :]
    model.get_layer("bars").set_weights([kernel, np.full(2, -2.0)])
    weights = np.zeros((28, 28, 2, 2))
    weights[:14, :14, 0, 1] = 1.0  # class 1 reads vertical bars in the top-left quarter
    weights[14:, 14:, 1, 0] = 1.0  # class 0 reads horizontal bars in the bottom-right
    model.get_layer("decide").set_weights([weights.reshape(-1, 2), np.zeros(2)])
    return model


@pytest.fixture(scope="module")
def two_bars():
    image = np.zeros(MNIST_SHAPE, np.uint8)
    image[3:11, 6] = 255  # a vertical bar, top left
    image[20, 16:24] = 255  # a horizontal bar, bottom right
    return image


def test_grad_cam_peaks_in_the_region_the_class_depends_on(region_model, two_bars):
    heatmap, explained = techniques.grad_cam(region_model, two_bars, "bars", class_index=1)
    assert explained == 1 and heatmap.shape == (28, 28)
    assert heatmap.max() == pytest.approx(1.0) and heatmap.min() >= 0
    row, column = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    assert row < 14 and column < 14
    assert heatmap[14:, 14:].max() < 0.1
    heatmap, _ = techniques.grad_cam(region_model, two_bars, "norm", class_index=0)
    row, column = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    assert row >= 14 and column >= 14


def test_grad_cam_explains_the_predicted_class_by_default(region_model, two_bars):
    image = two_bars.copy()
    image[20, 16:24] = 0  # only the vertical bar: class 1 wins
    _, explained = techniques.grad_cam(region_model, image, "bars")
    assert explained == 1


def test_saliency_and_smooth_grad_mark_the_pixels_that_matter(region_model, two_bars):
    for method in (techniques.saliency, techniques.smooth_grad):
        heatmap, explained = method(region_model, two_bars, class_index=1)
        assert explained == 1 and heatmap.shape == (28, 28)
        # Only the top-left quarter (and the 1-pixel reach of the 3x3 filters) can move
        # class 1's logit.
        assert heatmap[:15, :15].max() == pytest.approx(1.0)
        assert heatmap[16:, :].max() == 0 and heatmap[:, 16:].max() == 0


def test_smooth_grad_is_repeatable_and_checks_its_arguments(region_model, two_bars):
    first, _ = techniques.smooth_grad(region_model, two_bars, 1, samples=4, seed=7)
    second, _ = techniques.smooth_grad(region_model, two_bars, 1, samples=4, seed=7)
    np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="samples"):
        techniques.smooth_grad(region_model, two_bars, samples=0)
    with pytest.raises(ValueError, match="noise"):
        techniques.smooth_grad(region_model, two_bars, noise=3)
    with pytest.raises(ValueError, match="class_index must lie between 0 and 1"):
        techniques.saliency(region_model, two_bars, class_index=2)
    with pytest.raises(ValueError, match="no feature maps"):
        techniques.grad_cam(region_model, two_bars, "decide")


# ----- filter pictures -----


def test_filter_pictures_find_the_pattern_a_filter_looks_for(region_model):
    steps_seen = []
    pictures = techniques.filter_pictures(
        region_model, "bars", [0, 1], steps=40, on_step=lambda done, total: steps_seen.append(done)
    )
    assert pictures.shape == (2, 28, 28, 1) and pictures.dtype == np.uint8
    assert steps_seen == list(range(1, 41))

    def stripes(picture, axis):
        # Vertical stripes vary along columns (axis 1), horizontal ones along rows (axis 0).
        values = picture[..., 0].astype(float)
        return np.abs(np.diff(values, axis=axis)).mean()

    # Filter 0 answers vertical lines: its picture changes more across columns than rows.
    assert stripes(pictures[0], 1) > 1.5 * stripes(pictures[0], 0)
    assert stripes(pictures[1], 0) > 1.5 * stripes(pictures[1], 1)


def test_filter_pictures_can_be_cancelled_and_check_arguments(region_model):
    calls = []
    stopped = techniques.filter_pictures(
        region_model,
        "bars",
        [0],
        steps=50,
        should_stop=lambda: len(calls) >= 3,
        on_step=lambda done, total: calls.append(done),
    )
    assert stopped is None and calls == [1, 2, 3]
    with pytest.raises(ValueError, match="between 0 and 1"):
        techniques.filter_pictures(region_model, "bars", [2])
    with pytest.raises(ValueError, match="1 to 16"):
        techniques.filter_pictures(region_model, "bars", list(range(17)))
    with pytest.raises(ValueError, match="not a convolution layer"):
        techniques.filter_pictures(region_model, "norm", [0])
