"""Lessons 1-6's numbers, checked against plain NumPy references and hand counts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cnnviz.explain import window_arithmetic
from cnnviz.lessons import activations, convolution, dense, images, loss, pooling, progress
from cnnviz.model import layer_shapes

RNG = np.random.default_rng(0)


def direct_convolution(image, kernel, bias, stride, padding):
    """Keras's Conv2D (cross-correlation) written as plain loops over a zero-padded copy."""
    size = kernel.shape[0]
    if padding == "same":
        out = [-(-side // stride) for side in image.shape]
        total = [max((o - 1) * stride + size - n, 0) for o, n in zip(out, image.shape, strict=True)]
        before = [t // 2 for t in total]
        padded = np.zeros((image.shape[0] + total[0], image.shape[1] + total[1]))
        padded[before[0] : before[0] + image.shape[0], before[1] : before[1] + image.shape[1]] = (
            image
        )
    else:
        out = [(n - size) // stride + 1 for n in image.shape]
        padded = image
    result = np.zeros(out)
    for row in range(out[0]):
        for column in range(out[1]):
            total = bias
            for i in range(size):
                for j in range(size):
                    total += padded[row * stride + i, column * stride + j] * kernel[i, j]
            result[row, column] = total
    return result


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("shape", [(28, 28), (9, 12)])
def test_the_feature_map_matches_a_direct_loop(stride, padding, shape):
    image = RNG.uniform(0, 1, shape)
    kernel = RNG.normal(size=(3, 3))
    got = convolution.feature_map(image, kernel, 0.25, stride, padding)
    np.testing.assert_allclose(got, direct_convolution(image, kernel, 0.25, stride, padding))


def test_one_value_shows_nine_products_adding_to_the_map_value():
    image, _ = images.digit(0)
    image = image / 255.0
    kernel = np.array(convolution.KERNEL_PRESETS["Sobel"], dtype=float)
    detail = convolution.one_value(image, kernel, -0.5, 10, 7)
    np.testing.assert_allclose(detail["patch"], image[10:13, 7:10])
    np.testing.assert_allclose(detail["products"], image[10:13, 7:10] * kernel)
    assert detail["products"].size == 9
    assert detail["sum"] == pytest.approx(float((image[10:13, 7:10] * kernel).sum()))
    assert detail["value"] == pytest.approx(detail["sum"] - 0.5)
    assert detail["value"] == pytest.approx(convolution.feature_map(image, kernel, -0.5)[10, 7])


def test_one_value_at_the_padded_edge_counts_zeros_outside():
    image = np.arange(16, dtype=float).reshape(4, 4)
    detail = convolution.one_value(image, np.ones((3, 3)), 0, 0, 0, 1, "same")
    assert detail["inside"].sum() == 4
    assert detail["sum"] == 0 + 1 + 4 + 5


def test_a_position_outside_the_map_is_refused():
    with pytest.raises(ValueError, match="The feature map is 26x26"):
        convolution.one_value(np.zeros((28, 28)), np.ones((3, 3)), 0, 26, 0)


def test_the_presets_are_the_textbook_kernels():
    presets = convolution.KERNEL_PRESETS
    assert set(presets) == {
        "identity",
        "blur",
        "sharpen",
        "vertical edge",
        "horizontal edge",
        "Sobel",
    }
    image = RNG.uniform(0, 1, (8, 8))
    # The identity copies the picture's inner part; blur is the 3x3 mean.
    np.testing.assert_allclose(
        convolution.feature_map(image, presets["identity"]), image[1:-1, 1:-1]
    )
    assert convolution.feature_map(image, presets["blur"])[0, 0] == pytest.approx(
        image[:3, :3].mean()
    )
    # A vertical edge (dark left, bright right) lights the vertical-edge kernel, not the horizontal.
    edge = np.zeros((5, 6))
    edge[:, 3:] = 1
    assert convolution.feature_map(edge, presets["vertical edge"]).max() == 3
    assert np.abs(convolution.feature_map(edge, presets["horizontal edge"])).max() == 0


@pytest.mark.parametrize("size", [5, 28, 32])
@pytest.mark.parametrize("window", [1, 2, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_the_output_size_formula_agrees_with_the_layer_catalogue(size, window, stride, padding):
    expected = layer_shapes.sliding_window(
        (size, size), (window, window), (stride, stride), padding, "kernel"
    )
    assert window_arithmetic.output_size(size, window, stride, padding) == expected[0]
    text = convolution.size_formula(size, window, stride, padding)
    assert text.endswith(f"= {expected[0]}")


def test_the_output_size_refuses_bad_values():
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        window_arithmetic.output_size(28, 3, 1, "full")
    with pytest.raises(ValueError, match="stride must be a whole number"):
        window_arithmetic.output_size(28, 3, 0, "valid")
    with pytest.raises(ValueError, match="does not fit"):
        window_arithmetic.output_size(2, 3, 1, "valid")


def test_activations_match_their_formulas():
    x = np.linspace(-800, 800, 33)
    np.testing.assert_array_equal(activations.apply("relu", x), np.where(x > 0, x, 0))
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(activations.apply("sigmoid", x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(activations.apply("tanh", x), np.tanh(x))
    np.testing.assert_allclose(activations.apply("leaky_relu", x), np.where(x > 0, x, 0.1 * x))
    with pytest.raises(ValueError, match="Unknown activation 'softplus'"):
        activations.apply("softplus", x)


def test_relu_reports_what_it_throws_away():
    change = activations.what_changes("relu", np.array([[-2.0, 0.0], [3.0, -0.5]]))
    assert change["zeroed_count"] == 2
    assert change["negative_share"] == 0.5
    np.testing.assert_array_equal(change["result"], [[0, 0], [3, 0]])


def numpy_pool(values, kind, window, stride):
    out = [(n - window) // stride + 1 for n in values.shape]
    windows = np.lib.stride_tricks.sliding_window_view(values, (window, window))[::stride, ::stride]
    windows = windows[: out[0], : out[1]]
    return windows.max(axis=(2, 3)) if kind == "max" else windows.mean(axis=(2, 3))


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize(("window", "stride"), [(2, 2), (3, 2), (2, 1), (4, 3)])
def test_pooling_matches_numpy(kind, window, stride):
    values = RNG.normal(size=(13, 11))
    np.testing.assert_allclose(
        pooling.pool(values, kind, window, stride), numpy_pool(values, kind, window, stride)
    )


def test_pooling_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be 'max' or 'average'"):
        pooling.pool(np.zeros((4, 4)), "min")


def test_max_pooling_keeps_more_strong_values_in_place_after_a_shift():
    image, _ = images.digit(0)
    result = pooling.shift_survival(image / 255.0, convolution.KERNEL_PRESETS["vertical edge"])
    np.testing.assert_array_equal(pooling.shift(np.eye(3), 1), [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert result["pooled"].shape == (13, 13)
    assert result["pooled_kept"] > result["map_kept"] + 0.1


def test_softmax_matches_its_formula_and_sums_to_one():
    scores = np.array([2.0, 1.0, -1.0, 1000.0])
    probabilities = dense.softmax(scores)
    assert probabilities.sum() == pytest.approx(1.0)
    small = np.array([2.0, 1.0, -1.0])
    np.testing.assert_allclose(dense.softmax(small), np.exp(small) / np.exp(small).sum())
    assert probabilities[3] == pytest.approx(1.0)


def test_flatten_follows_keras_order_and_dense_is_a_weighted_sum():
    maps = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    flat = dense.flatten(maps)
    assert flat.size == 24
    for index in (0, 5, 13, 23):
        assert maps[dense.flat_position(index, maps.shape)] == flat[index]
    weights, bias = dense.dense_weights(24, 10)
    scores = dense.dense(flat, weights, bias)
    assert scores[3] == pytest.approx(sum(flat[i] * weights[i, 3] for i in range(24)) + bias[3])
    detail = dense.unit_detail(flat, weights, bias, 3, top=5)
    assert detail["contributions"].sum() + detail["rest"] + detail["bias"] == pytest.approx(
        scores[3]
    )


def test_parameter_counts_by_hand_match_the_catalogue():
    rows = dense.parameter_rows()
    assert [row["by_hand_count"] for row in rows] == [row["keras_count"] for row in rows]
    # The Keras example by hand: (3*3*1+1)*32, (3*3*32+1)*64, (1600+1)*128, (128+1)*10.
    assert [row["keras_count"] for row in rows if row["keras_count"]] == [320, 18496, 204928, 1290]


def test_the_stack_of_maps_is_three_pooled_maps():
    image, _ = images.digit(1)
    maps = dense.stack_of_maps(image / 255.0)
    assert maps.shape == (13, 13, 3)
    assert (maps >= 0).all()  # after ReLU


def test_cross_entropy_is_minus_log_of_the_right_class():
    assert loss.cross_entropy([0.7, 0.2, 0.1], 0) == pytest.approx(-np.log(0.7))
    assert loss.cross_entropy([0.02, 0.97, 0.01], 0) == pytest.approx(-np.log(0.02))
    assert loss.cross_entropy([0.0, 1.0], 0) == pytest.approx(-np.log(1e-7))
    # Only the right class counts: moving the rest between wrong classes changes nothing.
    assert loss.cross_entropy(loss.probabilities_from(0.6, 0.1), 0) == pytest.approx(
        loss.cross_entropy(loss.probabilities_from(0.6, 0.9), 0)
    )
    np.testing.assert_allclose(loss.probabilities_from(0.6, 0.25), [0.6, 0.1, 0.3])
    table = loss.confidence_table()
    assert [row["loss"] for row in table] == sorted(row["loss"] for row in table)
    with pytest.raises(ValueError, match="must add up to 1"):
        loss.cross_entropy([0.5, 0.2], 0)


def test_pictures_and_channels():
    digit, name = images.digit(6)
    assert digit.shape == (28, 28) and name == "3"
    photo, _ = images.photo(0)
    assert photo.shape == (32, 32, 3)
    channels = images.channels(photo)
    np.testing.assert_array_equal(channels["green"], photo[..., 1])
    assert images.pixel_facts(photo)["numbers"] == 3072
    with pytest.raises(ValueError, match="one channel"):
        images.channels(digit)


def test_an_upload_is_shrunk_and_a_bad_one_refused():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (10, 200, 30)).save(buffer, "PNG")
    pixels = images.upload(buffer.getvalue())
    assert pixels.shape == (20, 40, 3)
    assert tuple(pixels[5, 5]) == (10, 200, 30)
    with pytest.raises(ValueError):
        images.upload(b"not a picture")


def test_progress_is_plain_json_data():
    import json

    state = progress.empty()
    progress.record_answer(state, 2, False)
    progress.record_answer(state, 1, True)
    progress.record_answer(state, 2, True)
    assert json.loads(json.dumps(state)) == {"done": [1, 2], "right": {"1": True, "2": True}}
    assert progress.summary(state, 8) == "2 of 8 lessons done, 2 answered right"


@pytest.mark.parametrize(
    "module",
    ["images", "convolution", "activations", "pooling", "dense", "loss", "texts", "progress"],
)
def test_lessons_1_to_6_import_without_tensorflow(module):
    code = (
        f"import sys; import cnnviz.lessons.{module}, cnnviz.explain.window_arithmetic; "
        "import cnnviz.figures.lessons_images, cnnviz.figures.lessons_layers, "
        "cnnviz.figures.lessons_dense; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
