"""Figures of lessons 1 and 2: a picture as a grid of numbers, a colour photo's channels, the
picture beside its feature map, and one output value's arithmetic."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures import images, value_arithmetic

# Pixel values written in the cells only where a cell is large enough to read them.
MAX_SIDE_WITH_NUMBERS = 16
# From black (none of that light) to the full colour, as the screen mixes the three.
CHANNEL_COLOURS = {
    "red": [[0, "black"], [1, "rgb(255,0,0)"]],
    "green": [[0, "black"], [1, "rgb(0,255,0)"]],
    "blue": [[0, "black"], [1, "rgb(0,0,255)"]],
}
SIGNED_SCALE = "RdBu"  # colour-blind safe: blue for positive, red for negative, white for 0


def _hidden_axes(figure: go.Figure) -> None:
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")


def plot_pixel_grid(pixels: np.ndarray, title: str) -> go.Figure:
    """A picture as the numbers it is made of: hover a pixel for its row, column and value
    (a colour pixel shows its red, green and blue values); small crops show the numbers."""
    values = np.asarray(pixels)
    where = "row %{y}, column %{x}"
    if values.ndim == 3 and values.shape[2] == 3:
        trace = go.Image(
            z=np.clip(values, 0, 255).astype(np.uint8),
            hovertemplate=f"{where}<br>red, green, blue = %{{z}}<extra></extra>",
        )
    else:
        values = values.reshape(values.shape[0], values.shape[1])
        show_numbers = max(values.shape) <= MAX_SIDE_WITH_NUMBERS
        trace = go.Heatmap(
            z=values,
            text=values.astype(int).astype(str) if show_numbers else None,
            texttemplate="%{text}" if show_numbers else None,
            colorscale=[[0, "black"], [1, "white"]],
            zmin=0,
            zmax=255,
            showscale=False,
            hovertemplate=f"{where}<br>value %{{z}}<extra></extra>",
        )
    figure = go.Figure(trace)
    images.image_layout(figure, title)
    figure.update_layout(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def plot_channels(channels: dict[str, np.ndarray]) -> go.Figure:
    """A colour photo's red, green and blue channels side by side, each a grid of 0-255."""
    names = list(channels)
    figure = make_subplots(rows=1, cols=len(names), subplot_titles=[f"{n} channel" for n in names])
    for column, name in enumerate(names, start=1):
        figure.add_trace(
            go.Heatmap(
                z=channels[name],
                colorscale=CHANNEL_COLOURS.get(name, "Greys_r"),
                zmin=0,
                zmax=255,
                showscale=False,
                hovertemplate=f"{name}, row %{{y}}, column %{{x}}: %{{z}}<extra></extra>",
            ),
            1,
            column,
        )
    _hidden_axes(figure)
    figure.update_yaxes(scaleanchor="x")
    figure.update_layout(height=280, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def _box(figure: go.Figure, top: int, left: int, size: int, column: int, colour: str) -> None:
    figure.add_shape(
        type="rect",
        x0=left - 0.5,
        x1=left + size - 0.5,
        y0=top - 0.5,
        y1=top + size - 0.5,
        line={"color": colour, "width": 3},
        row=1,
        col=column,
    )


def plot_image_and_map(
    image: np.ndarray,
    feature_map: np.ndarray,
    origin: tuple[int, int],
    kernel_size: int,
    position: tuple[int, int],
    map_title: str = "feature map",
    brightest: float = 1.0,
) -> go.Figure:
    """The gray picture with the kernel's window drawn on it, beside the feature map with the
    value that window makes drawn on it (signed values on a diverging blue-red scale).

    `brightest` is the picture's white: 1 for pixels scaled to 0-1, as the lessons use them.
    """
    gray = np.asarray(image, dtype=np.float64)
    values = np.asarray(feature_map, dtype=np.float64)
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[
            f"input {gray.shape[0]}×{gray.shape[1]}",
            f"{map_title} {values.shape[0]}×{values.shape[1]}",
        ],
        horizontal_spacing=0.08,
    )
    figure.add_trace(
        go.Heatmap(
            z=gray,
            colorscale=[[0, "black"], [1, "white"]],
            zmin=0,
            zmax=brightest,
            showscale=False,
            hovertemplate="input row %{y}, column %{x}: %{z:.2f}<extra></extra>",
        ),
        1,
        1,
    )
    extent = float(np.abs(values).max()) or 1.0
    figure.add_trace(
        go.Heatmap(
            z=values,
            colorscale=SIGNED_SCALE,
            zmid=0,
            zmin=-extent,
            zmax=extent,
            colorbar={"len": 0.8, "thickness": 12},
            hovertemplate="output row %{y}, column %{x}: %{z:.1f}<extra></extra>",
        ),
        1,
        2,
    )
    _box(figure, origin[0], origin[1], kernel_size, 1, "#ff9f1c")
    _box(figure, position[0], position[1], 1, 2, "#222222")
    _hidden_axes(figure)
    figure.update_yaxes(scaleanchor="x", row=1, col=1)
    figure.update_yaxes(scaleanchor="x2", row=1, col=2)
    figure.update_layout(height=360, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def plot_one_value(detail: dict) -> go.Figure:
    """The patch under the kernel, the kernel's weights and their 9 products, drawn by the
    figure Inspect uses for a trained convolution's value (one input channel)."""
    inspect_detail = {
        "patch": detail["patch"][:, :, np.newaxis],
        "inside": detail["inside"],
        "kernel": detail["kernel"][:, :, np.newaxis],
        "channel_sums": np.array([detail["sum"]]),
    }
    figure = value_arithmetic.plot_conv_detail(inspect_detail, max_channels=1)
    figure.update_layout(height=260)
    return figure
