"""The arithmetic of one value: the numbers behind one convolution, pooling or dense output.

Each figure takes the dict cnnviz.explain.arithmetic computes for the value and shows the inputs,
weights and products as grids of numbers or bars.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures import colours, images


def _number_grid(values: np.ndarray, colour_scale: str, **style) -> go.Heatmap:
    text = np.where(np.isnan(values), "", np.vectorize(lambda v: f"{v:.3f}")(values))
    return go.Heatmap(
        z=values,
        text=text,
        texttemplate="%{text}",
        colorscale=colour_scale,
        showscale=False,
        hoverongaps=False,
        hovertemplate="row %{y}, column %{x}: %{z:.5f}<extra></extra>",
        **style,
    )


def plot_conv_detail(detail: dict, max_channels: int = 4) -> go.Figure:
    """The input patches and the filter's weights behind one convolution output.

    Shows the input channels that contribute most (by the size of their sum); each row is one
    input channel: its patch, the filter's weights for it and their products.

    Args:
        detail: cnnviz.explain.arithmetic.conv_detail's result.
        max_channels: input channels shown.
    """
    sums = detail["channel_sums"]
    order = np.argsort(-np.abs(sums), kind="stable")[:max_channels]
    titles = []
    for channel in order:
        titles += [
            f"input channel {channel}: patch",
            "filter weights",
            f"products (sum {sums[channel]:.3f})",
        ]
    figure = make_subplots(
        rows=len(order), cols=3, subplot_titles=titles, vertical_spacing=0.25 / len(order)
    )
    for row, channel in enumerate(order, start=1):
        patch = detail["patch"][:, :, channel]
        weights = detail["kernel"][:, :, channel]
        shown_patch = np.where(detail["inside"], patch, np.nan)
        for column, values in enumerate((shown_patch, weights, patch * weights), start=1):
            colour_scale = "Greys_r" if column == 1 else "RdBu"
            style = {} if column == 1 else {"zmid": 0}
            figure.add_trace(_number_grid(values, colour_scale, **style), row, column)
            figure.update_yaxes(autorange="reversed", row=row, col=column)
    figure.update_xaxes(showticklabels=False)
    figure.update_yaxes(showticklabels=False)
    figure.update_annotations(font_size=11)
    figure.update_layout(height=60 + 170 * len(order), margin={"l": 5, "r": 5, "t": 40, "b": 5})
    return figure


def plot_pool_window(detail: dict) -> go.Figure:
    """The window a pooling output summarises, with its numbers (cells off the edge blank)."""
    window = np.asarray(detail["window"], dtype=np.float64)
    figure = go.Figure(_number_grid(window, "Viridis"))
    if detail["kind"] == "max" and np.isfinite(window).any():
        row, column = np.unravel_index(np.nanargmax(window), window.shape)
        figure.add_shape(
            type="rect",
            x0=column - 0.5,
            x1=column + 0.5,
            y0=row - 0.5,
            y1=row + 0.5,
            line={"color": colours.NEGATIVE_COLOUR, "width": 3},
        )
    word = "maximum" if detail["kind"] == "max" else "average"
    images.image_layout(figure, f"The window: its {word} is {detail['value']:.4f}")
    figure.update_layout(height=min(600, 120 + 45 * window.shape[0]))
    return figure


def plot_dense_contributions(detail: dict) -> go.Figure:
    """A dense neuron's largest contributions (input x weight), largest at the top."""
    top = list(detail["top"])
    labels = detail["labels"] or [f"input {index}" for index in range(len(detail["inputs"]))]
    names = [labels[index] for index in top]
    values = [float(detail["contributions"][index]) for index in top]
    custom = [[float(detail["inputs"][i]), float(detail["weights"][i])] for i in top]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            customdata=custom,
            marker={
                "color": [
                    colours.BAR_COLOUR if value >= 0 else colours.NEGATIVE_COLOUR
                    for value in values
                ]
            },
            hovertemplate="%{y}<br>input %{customdata[0]:.4f} x weight %{customdata[1]:.4f}"
            " = %{x:.4f}<extra></extra>",
        )
    )
    figure.update_layout(
        title="Largest contributions (input x weight)",
        yaxis={"autorange": "reversed", "type": "category"},
        height=max(220, 80 + 28 * len(top)),
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
    )
    return figure
