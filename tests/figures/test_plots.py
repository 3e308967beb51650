"""Tests for cnnviz.figures (training curves, layer grids, images, predictions): the figures'
traces, panels, mosaics and sizes."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnviz.figures import images, layer_grids, predictions, training_curves


def make_history(epochs=3, batches_per_epoch=5, validation=True) -> dict:
    rng = np.random.default_rng(0)
    count = epochs * batches_per_epoch
    history = {
        "batch": {
            "epoch": [(index + 1) / batches_per_epoch for index in range(count)],
            "loss": (2 * np.exp(-np.arange(count) / 5) + rng.random(count) * 0.3).tolist(),
            "accuracy": np.clip(
                np.linspace(0.2, 0.9, count) + rng.random(count) * 0.1, 0, 1
            ).tolist(),
        },
        "epoch": {
            "epoch": list(range(1, epochs + 1)),
            "loss": [1.0 / (epoch + 1) for epoch in range(epochs)],
            "accuracy": [0.5 + 0.1 * epoch for epoch in range(epochs)],
            "val_loss": [1.2 / (epoch + 1) if validation else None for epoch in range(epochs)],
            "val_accuracy": [0.45 + 0.1 * epoch if validation else None for epoch in range(epochs)],
        },
    }
    return history


def traces_on(figure: go.Figure, xaxis: str) -> list:
    return [trace for trace in figure.data if (trace.xaxis or "x") == xaxis]


def annotation_texts(figure: go.Figure) -> list[str]:
    return [annotation.text for annotation in figure.layout.annotations]


def assert_image_axes(figure: go.Figure) -> None:
    assert figure.layout.yaxis.autorange == "reversed"
    assert figure.layout.yaxis.scaleanchor == "x"
    assert figure.layout.xaxis.showticklabels is False
    assert figure.layout.yaxis.showticklabels is False


def tiles_of(trace) -> dict[int, np.ndarray]:
    """Cut a mosaic heatmap back into its tiles using the tile numbers in customdata."""
    z = np.asarray(trace.z, dtype=float)
    numbers = np.asarray(trace.customdata)
    tiles = {}
    for number in np.unique(numbers[numbers > 0]):
        rows, columns = np.nonzero(numbers == number)
        tiles[int(number)] = z[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    return tiles


# smooth ----------------------------------------------------------------------------------------


def test_smooth_keeps_a_constant_series_constant():
    # Without bias correction the first points would be pulled towards 0 (0.2, 0.36, ...).
    assert training_curves.smooth([3.0] * 10, 0.8) == pytest.approx([3.0] * 10)


def test_smooth_with_weight_zero_changes_nothing():
    values = [0.3, 2.0, -1.0, 5.5]
    assert training_curves.smooth(values, 0) == pytest.approx(values)


def test_smooth_follows_a_step_slowly_and_stays_between():
    smoothed = training_curves.smooth([0.0] * 5 + [1.0] * 20, 0.8)
    after_step = smoothed[5:]
    assert all(0 < value < 1 for value in after_step)
    assert after_step == sorted(after_step)
    assert after_step[-1] > 0.95 and after_step[0] < 0.5


def test_smooth_skips_missing_values():
    smoothed = training_curves.smooth([1.0, None, math.nan, 1.0], 0.5)
    assert math.isnan(smoothed[1]) and math.isnan(smoothed[2])
    assert smoothed[0] == pytest.approx(1.0) and smoothed[3] == pytest.approx(1.0)


@pytest.mark.parametrize("weight", [1.0, -0.1, 2])
def test_smooth_refuses_bad_weights(weight):
    with pytest.raises(ValueError, match="weight"):
        training_curves.smooth([1.0], weight)


# plot_history ----------------------------------------------------------------------------------


def test_history_has_loss_and_accuracy_panels_with_four_curves_each():
    history = make_history()
    figure = training_curves.plot_history(history)
    assert "<b>Loss</b>" in annotation_texts(figure) and "<b>Accuracy</b>" in annotation_texts(
        figure
    )
    assert figure.layout.xaxis.title.text == figure.layout.xaxis2.title.text == "epoch"
    assert figure.layout.xaxis.domain[1] <= figure.layout.xaxis2.domain[0]  # side by side
    for xaxis, metric in (("x", "loss"), ("x2", "accuracy")):
        traces = {trace.legendgroup: trace for trace in traces_on(figure, xaxis)}
        assert set(traces) == {"batch", "smoothed", "epoch", "validation"}
        assert list(traces["batch"].y) == pytest.approx(history["batch"][metric])
        assert list(traces["epoch"].y) == pytest.approx(history["epoch"][metric])
        assert list(traces["validation"].y) == pytest.approx(history["epoch"][f"val_{metric}"])
        assert "markers" in traces["epoch"].mode and "markers" in traces["validation"].mode
        assert traces["validation"].line.color != traces["epoch"].line.color
        assert (
            traces["batch"].opacity < 1
            and traces["batch"].line.width < traces["smoothed"].line.width
        )
        # The smoothed curve is calmer than the raw one.
        assert np.std(np.diff(traces["smoothed"].y)) < np.std(np.diff(traces["batch"].y))


def test_history_legend_lists_each_curve_once():
    figure = training_curves.plot_history(make_history())
    in_legend = [trace.legendgroup for trace in figure.data if trace.showlegend]
    assert sorted(in_legend) == ["batch", "epoch", "smoothed", "validation"]


def test_history_without_validation_has_no_validation_curve():
    figure = training_curves.plot_history(make_history(validation=False))
    assert "validation" not in {trace.legendgroup for trace in figure.data}
    assert len(figure.data) == 6


@pytest.mark.parametrize(
    "history",
    [
        {},
        {"batch": {}, "epoch": {}},
        {
            "batch": {"epoch": [], "loss": [], "accuracy": []},
            "epoch": {"epoch": [], "loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []},
        },
    ],
)
def test_empty_history_shows_waiting_hint(history):
    figure = training_curves.plot_history(history)
    # No data, but one empty trace per panel so that plotly lays out both panels.
    assert all(len(trace.x) == 0 for trace in figure.data)
    assert {(trace.xaxis, trace.yaxis) for trace in figure.data} == {("x", "y"), ("x2", "y2")}
    assert annotation_texts(figure).count(training_curves.WAITING_HINT) == 2
    assert figure.to_json()  # serialisable, as Streamlit needs


def test_history_being_appended_to_is_cut_to_matching_lengths():
    history = make_history()
    history["batch"]["epoch"].append(3.2)  # the callback appended x but not yet y
    figure = training_curves.plot_history(history)
    for trace in figure.data:
        assert len(trace.x) == len(trace.y)


def test_history_must_be_a_dict():
    with pytest.raises(ValueError, match="dict"):
        training_curves.plot_history([1, 2, 3])


# plot_compare ----------------------------------------------------------------------------------


def test_compare_gives_each_run_one_colour_and_one_legend_entry():
    runs = [("small", make_history()), ("big", make_history(epochs=2))]
    figure = training_curves.plot_compare(runs)
    assert sorted(trace.name for trace in figure.data if trace.showlegend) == ["big", "small"]
    for label in ("small", "big"):
        traces = [trace for trace in figure.data if trace.name == label]
        assert len({trace.line.color for trace in traces}) == 1
        assert len(traces) == 4  # validation and training, in two panels
        dashes = sorted(trace.line.dash for trace in traces)
        assert dashes == ["dash", "dash", "solid", "solid"]
    colours = {trace.name: trace.line.color for trace in figure.data}
    assert colours["small"] != colours["big"]


def test_compare_shows_smoothed_batches_for_a_run_without_epochs():
    history = make_history()
    history["epoch"] = {"epoch": [], "loss": [], "accuracy": []}
    figure = training_curves.plot_compare([("starting", history)])
    assert len(figure.data) == 2
    loss_trace = traces_on(figure, "x")[0]
    assert loss_trace.line.dash == "dot"
    assert list(loss_trace.y) == pytest.approx(training_curves.smooth(history["batch"]["loss"]))


def test_compare_with_no_runs_shows_a_hint():
    figure = training_curves.plot_compare([])
    assert all(len(trace.x) == 0 for trace in figure.data)
    assert any("No training runs" in text for text in annotation_texts(figure))


def test_compare_refuses_bad_runs():
    with pytest.raises(ValueError, match="label, history"):
        training_curves.plot_compare([make_history()])


# plot_kernels ----------------------------------------------------------------------------------


def test_kernel_mosaic_has_one_tile_per_filter_separated_by_gaps():
    kernels = np.random.default_rng(3).normal(size=(10, 3, 3, 2)).astype(np.float32)
    figure = layer_grids.plot_kernels(kernels)
    assert len(figure.data) == 1 and isinstance(figure.data[0], go.Heatmap)
    heatmap = figure.data[0]
    z = np.asarray(heatmap.z, dtype=float)
    assert np.count_nonzero(~np.isnan(z)) == 10 * 9
    assert np.isnan(z[3, :]).all() or np.isnan(z[:, 3]).all()  # a gap after the first tile
    tiles = tiles_of(heatmap)
    assert sorted(tiles) == list(range(1, 11))
    for number, tile in tiles.items():
        np.testing.assert_allclose(tile, kernels[number - 1].mean(axis=2), rtol=1e-6)
    assert heatmap.zmid == 0 and "filter" in heatmap.hovertemplate
    assert_image_axes(figure)


def test_kernels_of_one_input_channel_and_a_filter_limit():
    kernels = np.random.default_rng(4).normal(size=(10, 5, 5, 4)).astype(np.float32)
    figure = layer_grids.plot_kernels(kernels, channel=2, max_filters=4)
    tiles = tiles_of(figure.data[0])
    assert sorted(tiles) == [1, 2, 3, 4]
    for number, tile in tiles.items():
        np.testing.assert_allclose(tile, kernels[number - 1, :, :, 2], rtol=1e-6)
    assert "4 of 10" in figure.layout.title.text and "channel 2" in figure.layout.title.text


def test_kernels_with_three_input_channels_are_rgb_tiles():
    kernels = np.random.default_rng(5).normal(size=(6, 5, 5, 3)).astype(np.float32)
    figure = layer_grids.plot_kernels(kernels)
    assert len(figure.data) == 1 and isinstance(figure.data[0], go.Image)
    image = np.asarray(figure.data[0].z)
    labels = np.asarray(figure.data[0].text)
    assert image.dtype == np.uint8 and image.shape[2] == 3
    for number in range(1, 7):
        rows, columns = np.nonzero(labels == f"filter {number}")
        assert len(rows) == 25
        tile = image[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
        assert tile.min() == 0 and tile.max() == 255  # scaled to its own range
        # Same order of values as the weights: min-max scaling keeps the ranking.
        weights = kernels[number - 1]
        assert np.unravel_index(np.argmax(tile), tile.shape) == np.unravel_index(
            np.argmax(weights), weights.shape
        )
    assert_image_axes(figure)


@pytest.mark.parametrize(
    ("kernels", "options", "message"),
    [
        (np.zeros((3, 3, 8)), {}, "kernels must be"),
        (np.zeros((8, 3, 3, 2)), {"channel": 2}, "channel"),
        (np.zeros((8, 3, 3, 2)), {"channel": -1}, "channel"),
        (np.zeros((8, 3, 3, 2)), {"max_filters": 0}, "max_filters"),
    ],
)
def test_kernels_refuse_bad_input(kernels, options, message):
    with pytest.raises(ValueError, match=message):
        layer_grids.plot_kernels(kernels, **options)


# plot_feature_maps -----------------------------------------------------------------------------


def test_feature_maps_are_scaled_per_channel():
    rng = np.random.default_rng(6)
    maps = rng.random((12, 10, 5)).astype(np.float32) * (10.0 ** np.arange(5))  # weak and strong
    maps[..., 4] = 7.0  # a flat map
    figure = layer_grids.plot_feature_maps(maps)
    heatmap = figure.data[0]
    assert len(figure.data) == 1 and isinstance(heatmap, go.Heatmap)
    tiles = tiles_of(heatmap)
    assert sorted(tiles) == [1, 2, 3, 4, 5]
    for number in range(1, 5):
        tile, raw = tiles[number], maps[..., number - 1]
        assert tile.shape == raw.shape
        assert tile.min() == pytest.approx(0) and tile.max() == pytest.approx(1)
        np.testing.assert_allclose(tile, (raw - raw.min()) / (raw.max() - raw.min()), atol=1e-6)
    np.testing.assert_array_equal(tiles[5], 0)
    assert "own range" in figure.layout.title.text
    assert "channel" in heatmap.hovertemplate and "minimum" in heatmap.hovertemplate
    assert_image_axes(figure)


def test_feature_maps_limit_and_bad_shape():
    figure = layer_grids.plot_feature_maps(np.ones((4, 4, 100)), max_maps=9)
    assert sorted(tiles_of(figure.data[0])) == list(range(1, 10))
    assert "9 of 100" in figure.layout.title.text
    with pytest.raises(ValueError, match="height, width, channels"):
        layer_grids.plot_feature_maps(np.ones((1, 4, 4, 3)))


def test_mosaic_figures_stay_small():
    rng = np.random.default_rng(7)
    figures = [
        layer_grids.plot_kernels(rng.normal(size=(128, 3, 3, 32))),
        layer_grids.plot_kernels(rng.normal(size=(64, 7, 7, 3))),
        layer_grids.plot_feature_maps(rng.random((32, 32, 64))),
    ]
    for figure in figures:
        assert len(figure.to_json()) < 1_000_000


# plot_image and plot_predictions ---------------------------------------------------------------


def test_gray_image_is_an_upright_heatmap():
    image = np.arange(28 * 28, dtype=np.int64).reshape(28, 28, 1) % 256
    figure = images.plot_image(image.astype(np.uint8), title="A digit")
    trace = figure.data[0]
    assert isinstance(trace, go.Heatmap)
    np.testing.assert_array_equal(np.asarray(trace.z), image[..., 0])
    assert (trace.zmin, trace.zmax) == (0, 255)
    assert figure.layout.title.text == "A digit"
    assert_image_axes(figure)


def test_colour_image_is_an_rgb_image():
    image = np.random.default_rng(8).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    figure = images.plot_image(image)
    assert isinstance(figure.data[0], go.Image)
    np.testing.assert_array_equal(np.asarray(figure.data[0].z), image)
    assert_image_axes(figure)


def test_image_of_a_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="image must be"):
        images.plot_image(np.zeros((28, 28, 4), np.uint8))


def test_predictions_are_bars_in_percent_with_the_highest_on_top():
    ranked = [("cat", 0.15), ("dog", 0.8), ("frog", 0.05)]
    figure = predictions.plot_predictions(ranked)
    bar = figure.data[0]
    assert isinstance(bar, go.Bar) and bar.orientation == "h"
    # Plotly draws the first category at the bottom, so the highest must come last.
    assert list(bar.y)[-1] == "dog"
    percents = dict(zip(bar.y, bar.x, strict=True))
    for name, probability in ranked:
        assert percents[name] == pytest.approx(100 * probability)
    assert all(text.endswith("%") for text in bar.text)
    assert "%" in figure.layout.xaxis.title.text


@pytest.mark.parametrize("entries", [[("cat", 1.5)], [("cat", -0.1)], [("cat",)], ["cat"]])
def test_predictions_refuse_bad_entries(entries):
    with pytest.raises(ValueError, match="prediction|Probabilities"):
        predictions.plot_predictions(entries)


def test_history_figure_stays_light_for_long_runs():
    """17,000 batches (10 epochs at batch size 32) are drawn with a bounded number of points."""
    count = 17000
    history = {
        "batch": {
            "epoch": [(step + 1) / 1700 for step in range(count)],
            "loss": [1.0 / (step + 1) for step in range(count)],
            "accuracy": [step / count for step in range(count)],
        },
        "epoch": {"epoch": [], "loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []},
    }
    figure = training_curves.plot_history(history)
    for trace in figure.data:
        assert len(trace.x) <= training_curves.MAX_BATCH_POINTS + 1
        # The newest batch is always drawn, so the curve reaches the present.
        assert trace.x[-1] == history["batch"]["epoch"][-1]
    assert len(figure.to_json()) < 500_000
