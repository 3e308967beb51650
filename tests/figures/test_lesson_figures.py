"""The lessons' figures hold the numbers they were given, on colour-blind-safe scales."""

from __future__ import annotations

import numpy as np

from cnnviz.figures import lessons_dense, lessons_images, lessons_layers
from cnnviz.lessons import activations, convolution, dense, images, loss, pooling


def test_the_pixel_grid_shows_each_value_and_small_crops_write_them():
    digit, _ = images.digit(0)
    figure = lessons_images.plot_pixel_grid(digit, "a digit")
    np.testing.assert_array_equal(figure.data[0].z, digit)
    assert "value %{z}" in figure.data[0].hovertemplate
    assert figure.data[0].text is None  # 28x28 is too small a cell for numbers
    crop = lessons_images.plot_pixel_grid(digit[10:18, 10:18], "crop")
    assert crop.data[0].text[0][0] == str(int(digit[10, 10]))
    photo, _ = images.photo(0)
    colour = lessons_images.plot_pixel_grid(photo, "a photo")
    assert colour.data[0].type == "image"
    assert "red, green, blue" in colour.data[0].hovertemplate


def test_the_channels_figure_has_one_grid_per_channel():
    photo, _ = images.photo(2)
    figure = lessons_images.plot_channels(images.channels(photo))
    assert [trace.z.tolist() for trace in figure.data] == [photo[..., k].tolist() for k in range(3)]
    assert [a.text for a in figure.layout.annotations] == [
        "red channel",
        "green channel",
        "blue channel",
    ]


def test_the_map_figure_marks_the_window_and_uses_a_diverging_scale():
    image = images.digit(0)[0] / 255.0
    kernel = convolution.KERNEL_PRESETS["vertical edge"]
    feature = convolution.feature_map(image, kernel)
    detail = convolution.one_value(image, kernel, 0, 4, 9)
    figure = lessons_images.plot_image_and_map(image, feature, detail["origin"], 3, (4, 9))
    np.testing.assert_allclose(figure.data[1].z, feature)
    assert figure.data[1].zmid == 0
    assert figure.data[1].colorscale[0][1] == "rgb(103,0,31)"  # RdBu, not red/green
    window, value = figure.layout.shapes
    assert (window.x0, window.y0, window.x1 - window.x0) == (8.5, 3.5, 3)
    assert (value.x0, value.y0) == (8.5, 3.5)
    assert figure.layout.annotations[1].text == "feature map 26×26"


def test_the_one_value_figure_shows_patch_kernel_and_products():
    image = images.digit(0)[0] / 255.0
    detail = convolution.one_value(image, convolution.KERNEL_PRESETS["Sobel"], 0.5, 12, 12)
    figure = lessons_images.plot_one_value(detail)
    patch, weights, products = (np.asarray(trace.z, dtype=float) for trace in figure.data)
    np.testing.assert_allclose(patch, detail["patch"])
    np.testing.assert_allclose(weights, detail["kernel"])
    np.testing.assert_allclose(products, detail["products"])
    assert f"sum {detail['sum']:.3f}" in figure.layout.annotations[2].text


def test_the_activation_figures():
    figure = lessons_layers.plot_activation_curves(activations.curves(), "tanh")
    by_name = {trace.name: trace for trace in figure.data}
    assert set(by_name) == set(activations.ACTIVATIONS)
    np.testing.assert_allclose(by_name["tanh"].y, np.tanh(by_name["tanh"].x))
    assert by_name["tanh"].line.width > by_name["relu"].line.width
    maps = lessons_layers.plot_maps([np.array([[-1.0, 2.0]]), np.array([[0.0, 2.0]])], ["a", "b"])
    assert [trace.zmid for trace in maps.data] == [0, 0]
    assert maps.data[0].zmax == 2 and maps.data[0].colorscale[-1][1] == "rgb(5,48,97)"


def test_the_pooling_figures():
    image = images.digit(0)[0] / 255.0
    result = pooling.shift_survival(image, convolution.KERNEL_PRESETS["vertical edge"])
    figure = lessons_layers.plot_shift(result)
    np.testing.assert_allclose(figure.data[1].z, result["pooled"])
    np.testing.assert_allclose(figure.data[3].z, result["pooled_shifted"])
    assert figure.layout.annotations[1].text == "pooled (13×13)"
    assert figure.layout.annotations[2].text == "map, picture moved (26×26)"
    bars = lessons_layers.plot_kept(result)
    np.testing.assert_allclose(
        bars.data[0].y, [100 * result["map_kept"], 100 * result["pooled_kept"]]
    )


def test_the_dense_and_loss_figures():
    maps = dense.stack_of_maps(images.digit(0)[0] / 255.0)
    flat = dense.flatten(maps)
    figure = lessons_dense.plot_flatten(maps, flat)
    row = maps.shape[0] // 2
    stretch = maps.shape[1] * maps.shape[2]
    np.testing.assert_allclose(figure.data[3].z[0], flat[row * stretch : (row + 1) * stretch])
    # The stretch reads map 1, 2, 3 at column 0, then at column 1, ...
    np.testing.assert_allclose(figure.data[3].z[0][:3], maps[row, 0, :])
    scores = np.array([1.0, -2.0, 0.5])
    probabilities = dense.softmax(scores)
    bars = lessons_dense.plot_scores_and_probabilities(scores, probabilities, ["a", "b", "c"])
    np.testing.assert_allclose(bars.data[1].y, probabilities)
    curve = loss.loss_curve()
    chart = lessons_dense.plot_loss_curve(curve, 0.25, loss.cross_entropy([0.25, 0.75], 0))
    assert chart.data[1].y[0] == np.float64(-np.log(0.25))
    np.testing.assert_allclose(chart.data[0].y, -np.log(chart.data[0].x))
    classes = lessons_dense.plot_class_probabilities(
        np.array([0.2, 0.5, 0.3]), ["cat", "dog", "frog"], 0
    )
    assert classes.data[0].marker.color[0] == lessons_dense.RIGHT_COLOUR
