"""Tests for the explaining figures (cnnviz.figures: overview, value_arithmetic, techniques,
images): what each figure holds."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnviz.figures import overview, techniques, value_arithmetic

CLASSES = [f"class {index}" for index in range(3)]


def overview_entries():
    maps = np.arange(4 * 4 * 10, dtype=np.float32).reshape(4, 4, 10)
    return [
        {"name": "conv", "kind": "spatial", "values": maps},
        {"name": "dense", "kind": "vector", "values": np.array([0.0, 2.0, 1.0], np.float32)},
        {"name": "out", "kind": "vector", "values": np.array([0.2, 0.5, 0.3], np.float32)},
    ]


def test_overview_has_one_column_per_layer_and_the_input():
    image = np.zeros((4, 4, 1), np.uint8)
    figure = overview.plot_overview(image, overview_entries(), CLASSES)
    kinds = [type(trace).__name__ for trace in figure.data]
    assert kinds == ["Image", "Heatmap", "Bar", "Bar"]
    # Eight of ten channels by default, each 4 rows high with one blank row between.
    assert figure.data[1].z.shape == (8 * 5 - 1, 4)
    np.testing.assert_allclose(np.nanmax(figure.data[1].z), 1.0)
    np.testing.assert_allclose(figure.data[2].x, [0.0, 2.0, 1.0])
    np.testing.assert_allclose(figure.data[3].x, [20, 50, 30])
    assert list(figure.data[3].y) == CLASSES
    everything = overview.plot_overview(image, overview_entries(), CLASSES, max_channels=None)
    assert everything.data[1].z.shape == (10 * 5 - 1, 4)


def test_overview_checks_its_inputs():
    image = np.zeros((4, 4, 1), np.uint8)
    with pytest.raises(ValueError, match="3 classes but 2"):
        overview.plot_overview(image, overview_entries(), CLASSES[:2])
    with pytest.raises(ValueError, match="one label per layer"):
        overview.plot_overview(image, overview_entries(), CLASSES, labels=["a"])


def test_overlay_puts_the_heatmap_over_the_picture():
    image = np.full((5, 6, 3), 100, np.uint8)
    heatmap = np.linspace(0, 1, 30).reshape(5, 6)
    figure = techniques.plot_overlay(image, heatmap, opacity=0.3)
    assert isinstance(figure.data[0], go.Image) and figure.data[1].opacity == 0.3
    np.testing.assert_allclose(figure.data[1].z, heatmap)
    with pytest.raises(ValueError, match="image's size"):
        techniques.plot_overlay(image, heatmap[:4])
    with pytest.raises(ValueError, match="opacity"):
        techniques.plot_overlay(image, heatmap, opacity=2)


def test_conv_detail_shows_the_strongest_input_channels():
    patch = np.ones((2, 2, 3))
    kernel = np.stack([np.full((2, 2), 0.1), np.full((2, 2), -2.0), np.full((2, 2), 0.5)], -1)
    detail = {
        "patch": patch,
        "kernel": kernel,
        "inside": np.ones((2, 2), bool),
        "channel_sums": (patch * kernel).sum(axis=(0, 1)),
    }
    figure = value_arithmetic.plot_conv_detail(detail, max_channels=2)
    assert len(figure.data) == 6
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles[0] == "input channel 1: patch" and titles[3] == "input channel 2: patch"
    assert titles[2] == "products (sum -8.000)"
    np.testing.assert_allclose(figure.data[2].z, np.full((2, 2), -2.0))


def test_pool_window_marks_the_maximum():
    window = np.array([[1.0, 5.0], [2.0, np.nan]])
    figure = value_arithmetic.plot_pool_window({"window": window, "kind": "max", "value": 5.0})
    (shape,) = figure.layout.shapes
    assert (shape.x0, shape.y0) == (0.5, -0.5)
    assert list(figure.data[0].text[1]) == ["2.000", ""]


def test_dense_contributions_in_order_with_their_labels():
    detail = {
        "inputs": np.array([1.0, 2.0, 3.0]),
        "weights": np.array([1.0, -1.0, 0.5]),
        "contributions": np.array([1.0, -2.0, 1.5]),
        "top": np.array([1, 2]),
        "labels": None,
    }
    figure = value_arithmetic.plot_dense_contributions(detail)
    assert list(figure.data[0].y) == ["input 1", "input 2"]
    np.testing.assert_allclose(figure.data[0].x, [-2.0, 1.5])


def test_filter_pictures_are_stretched_to_full_contrast():
    pictures = np.zeros((2, 3, 3, 1), np.uint8)
    pictures[0, 0, 0] = 10
    pictures[1, 1, 1] = 200
    figure = techniques.plot_filter_pictures(pictures, [4, 7])
    mosaic = figure.data[0].z
    assert mosaic.shape == (3, 7, 3)
    assert mosaic[0, 0, 0] == 255 and mosaic[1, 5, 0] == 255 and mosaic[0, 1, 0] == 0
    with pytest.raises(ValueError, match="one per filter"):
        techniques.plot_filter_pictures(pictures, [1])


def test_activation_statistics_bars():
    stats = [
        {"name": "a", "zero_share": 0.5, "dead_channels": [1, 2], "channels": 8},
        {"name": "b", "zero_share": 0.0, "dead_channels": [], "channels": 4},
    ]
    figure = techniques.plot_activation_statistics(stats)
    np.testing.assert_allclose(figure.data[0].y, [50, 0])
    assert list(figure.data[0].text) == ["2 dead of 8", ""]


def test_signed_attributions_lie_on_a_diverging_scale_centred_on_zero():
    from cnnviz.explain.technique_registry import Explanation

    image = np.full((3, 4, 1), 128, np.uint8)
    attributions = np.array([[0.0, 0.5, -2.0, 0.1]] * 3, np.float32)
    explanation = Explanation("ig", attributions[..., None], attributions, 1, signed=True)
    figure = techniques.plot_explanation(image, explanation, 0.7, title="IG for '1'")
    picture, heatmap = figure.data
    assert isinstance(picture, go.Image) and isinstance(heatmap, go.Heatmap)
    np.testing.assert_allclose(heatmap.z, attributions)
    # Equal sizes get equal strength: the scale is symmetric about the largest size.
    assert (heatmap.zmin, heatmap.zmax) == (-2.0, 2.0) and heatmap.opacity == 0.7
    colours = [colour for _, colour in heatmap.colorscale]
    # Zero is transparent (the picture shows through); blue against, red for.
    assert [colour.endswith(", 0)") for colour in colours] == [False, True, True, False]
    assert colours[0].startswith("rgba(33,") and colours[-1].startswith("rgba(178,")
    assert figure.layout.title.text == "IG for '1'"
    # An unsigned explanation keeps the 0..1 overlay.
    unsigned = Explanation("s", attributions, np.clip(attributions, 0, 1), 1)
    overlay = techniques.plot_explanation(image, unsigned)
    assert (overlay.data[1].zmin, overlay.data[1].zmax) == (0, 1)
    with pytest.raises(ValueError, match="the image's size"):
        techniques.plot_signed_overlay(image, attributions[:2])
