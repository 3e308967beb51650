"""Figures of lessons 3 and 4: activation curves, a feature map before and after an activation
or a pooling, and what survives a one-pixel shift."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures import colours

SIGNED_SCALE = "RdBu"
# Okabe-Ito colours, told apart with every common colour blindness.
CURVE_COLOURS = {
    "relu": "#0072B2",
    "sigmoid": "#E69F00",
    "tanh": "#009E73",
    "leaky_relu": "#CC79A7",
}


def plot_activation_curves(curves: dict, chosen: str) -> go.Figure:
    """Every activation's curve; the chosen one drawn thick, the others thin and dashed."""
    figure = go.Figure()
    for name, colour in CURVE_COLOURS.items():
        if name not in curves:
            continue
        figure.add_trace(
            go.Scatter(
                x=curves["x"],
                y=curves[name],
                name=name,
                mode="lines",
                line={
                    "color": colour,
                    "width": 4 if name == chosen else 1.5,
                    "dash": "solid" if name == chosen else "dash",
                },
            )
        )
    figure.update_layout(
        height=340,
        xaxis_title="input x (a value of the map)",
        yaxis_title="output",
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
        legend={"orientation": "h", "y": -0.3},
    )
    figure.update_xaxes(zeroline=True, zerolinecolor="#888")
    figure.update_yaxes(zeroline=True, zerolinecolor="#888")
    return figure


def _signed_heatmap(values: np.ndarray, extent: float, show_scale: bool) -> go.Heatmap:
    return go.Heatmap(
        z=values,
        colorscale=SIGNED_SCALE,
        zmid=0,
        zmin=-extent,
        zmax=extent,
        showscale=show_scale,
        colorbar={"len": 0.8, "thickness": 12},
        hovertemplate="row %{y}, column %{x}: %{z:.2f}<extra></extra>",
    )


def plot_maps(maps: list[np.ndarray], titles: list[str], height: int = 330) -> go.Figure:
    """Maps side by side on one diverging scale (blue positive, red negative, white 0), each
    titled with its size, so shrinking and zeroing read at a glance."""
    arrays = [np.asarray(values, dtype=np.float64) for values in maps]
    extent = max(float(np.abs(values).max()) for values in arrays) or 1.0
    figure = make_subplots(
        rows=1,
        cols=len(arrays),
        subplot_titles=[
            f"{title} ({values.shape[0]}×{values.shape[1]})"
            for title, values in zip(titles, arrays, strict=True)
        ],
        horizontal_spacing=0.06,
    )
    for column, values in enumerate(arrays, start=1):
        figure.add_trace(_signed_heatmap(values, extent, column == len(arrays)), 1, column)
        figure.update_yaxes(scaleanchor=f"x{column if column > 1 else ''}", row=1, col=column)
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def plot_shift(result: dict) -> go.Figure:
    """The feature map and the pooled map (columns), for the picture and for the picture moved
    one pixel right (rows), on one diverging scale."""
    maps = [result["map"], result["pooled"], result["map_shifted"], result["pooled_shifted"]]
    titles = ["map", "pooled", "map, picture moved", "pooled, picture moved"]
    extent = max(float(np.abs(values).max()) for values in maps) or 1.0
    figure = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[
            f"{title} ({values.shape[0]}×{values.shape[1]})"
            for title, values in zip(titles, maps, strict=True)
        ],
        vertical_spacing=0.1,
        horizontal_spacing=0.06,
    )
    for index, values in enumerate(maps):
        row, column = divmod(index, 2)
        figure.add_trace(_signed_heatmap(values, extent, index == 3), row + 1, column + 1)
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    for index in range(4):
        axis = "x" if index == 0 else f"x{index + 1}"
        figure.update_yaxes(scaleanchor=axis, row=index // 2 + 1, col=index % 2 + 1)
    figure.update_annotations(font_size=11)
    figure.update_layout(height=460, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def plot_kept(result: dict) -> go.Figure:
    """Bars: the share of strong values that stayed in place, without and with pooling."""
    shares = [100 * result["map_kept"], 100 * result["pooled_kept"]]
    figure = go.Figure(
        go.Bar(
            x=["map", "pooled"],
            y=shares,
            text=[f"{share:.0f} %" for share in shares],
            textposition="outside",
            marker_color=colours.BAR_COLOUR,
        )
    )
    figure.update_layout(
        height=260,
        yaxis={"title": "strong values kept in place (%)", "range": [0, 115]},
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
    )
    return figure
