"""Figures of lessons 5 and 6: maps flattened into one list, scores and their softmax
probabilities, and the cross-entropy loss against the right class's probability."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures import colours

SIGNED_SCALE = "RdBu"
RIGHT_COLOUR = "#0072B2"  # the right class (Okabe-Ito blue)
OTHER_COLOUR = "#BBBBBB"
MARK_COLOUR = "#E69F00"  # the student's current point (Okabe-Ito orange)


def _signed(values: np.ndarray, extent: float, hover: str, **extra) -> go.Heatmap:
    return go.Heatmap(
        z=values,
        colorscale=SIGNED_SCALE,
        zmid=0,
        zmin=-extent,
        zmax=extent,
        showscale=False,
        hovertemplate=f"{hover}<extra></extra>",
        **extra,
    )


def plot_flatten(maps: np.ndarray, flat: np.ndarray, row: int | None = None) -> go.Figure:
    """The stacked maps on top, one row of them marked; below, that row's stretch of the
    flattened list, in order (a value of each map at each place in turn).

    Args:
        maps: (height, width, channels).
        flat: the flattened maps.
        row: the row shown in the list; the middle one (where a picture's object is) by default.
    """
    height, width, channels = maps.shape
    row = height // 2 if row is None else row
    start, stop = row * width * channels, (row + 1) * width * channels
    figure = make_subplots(
        rows=2,
        cols=channels,
        specs=[[{}] * channels, [{"colspan": channels}] + [None] * (channels - 1)],
        subplot_titles=[f"map {k + 1}" for k in range(channels)]
        + [f"flattened: numbers {start} to {stop - 1} of {flat.size} (row {row} of the maps)"],
        row_heights=[0.75, 0.25],
        vertical_spacing=0.12,
    )
    extent = float(np.abs(maps).max()) or 1.0
    for channel in range(channels):
        hover = f"map {channel + 1}, row %{{y}}, column %{{x}}: %{{z:.1f}}"
        figure.add_trace(_signed(maps[:, :, channel], extent, hover), 1, channel + 1)
        figure.update_yaxes(autorange="reversed", row=1, col=channel + 1)
        figure.add_shape(
            type="rect",
            x0=-0.5,
            x1=width - 0.5,
            y0=row - 0.5,
            y1=row + 0.5,
            line={"color": MARK_COLOUR, "width": 2},
            row=1,
            col=channel + 1,
        )
    places = [f"map {k % channels + 1}, column {k // channels}" for k in range(stop - start)]
    strip = _signed(
        flat[start:stop][np.newaxis, :],
        extent,
        "number %{x} (%{customdata}): %{z:.2f}",
        x=np.arange(start, stop),
        customdata=[places],
    )
    figure.add_trace(strip, 2, 1)
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    figure.update_layout(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def plot_scores_and_probabilities(
    scores: np.ndarray, probabilities: np.ndarray, class_names: list[str]
) -> go.Figure:
    """The dense layer's scores (any sign) beside softmax's probabilities (0-1, summing to 1)."""
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["scores (weighted sums)", "probabilities (softmax)"],
        horizontal_spacing=0.12,
    )
    figure.add_trace(
        go.Bar(
            x=class_names,
            y=scores,
            marker_color=[RIGHT_COLOUR if s >= 0 else colours.NEGATIVE_COLOUR for s in scores],
            text=[f"{s:.2f}" for s in scores],
            textposition="outside",
            hovertemplate="class %{x}: score %{y:.3f}<extra></extra>",
        ),
        1,
        1,
    )
    figure.add_trace(
        go.Bar(
            x=class_names,
            y=probabilities,
            marker_color=colours.BAR_COLOUR,
            text=[f"{p:.2f}" for p in probabilities],
            textposition="outside",
            hovertemplate="class %{x}: probability %{y:.3f}<extra></extra>",
        ),
        1,
        2,
    )
    figure.update_yaxes(range=[0, 1.15], row=1, col=2)
    figure.update_xaxes(type="category")
    figure.update_layout(height=320, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def plot_class_probabilities(probabilities: np.ndarray, class_names: list[str], right: int):
    """The probabilities the student set, the right class in blue."""
    figure = go.Figure(
        go.Bar(
            x=class_names,
            y=probabilities,
            marker_color=[
                RIGHT_COLOUR if k == right else OTHER_COLOUR for k in range(len(class_names))
            ],
            text=[f"{p:.2f}" for p in probabilities],
            textposition="outside",
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    )
    figure.update_layout(
        height=260,
        yaxis={"title": "probability", "range": [0, 1.15]},
        xaxis={"type": "category"},
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
    )
    return figure


def plot_loss_curve(curve: dict, probability: float, loss: float) -> go.Figure:
    """−log(p) against the right class's probability p, with the student's point marked."""
    figure = go.Figure(
        [
            go.Scatter(
                x=curve["probability"],
                y=curve["loss"],
                mode="lines",
                name="loss = −log(p)",
                line={"color": RIGHT_COLOUR, "width": 3},
            ),
            go.Scatter(
                x=[probability],
                y=[loss],
                mode="markers+text",
                name="your network",
                text=[f"loss {loss:.2f}"],
                textposition="top right",
                marker={"color": MARK_COLOUR, "size": 14, "line": {"color": "black", "width": 1}},
            ),
        ]
    )
    figure.update_layout(
        height=300,
        xaxis={"title": "probability p of the right class", "range": [0, 1.02]},
        yaxis={"title": "loss", "range": [0, 5]},
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
    )
    return figure
