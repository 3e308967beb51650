"""Figures for the explaining views: the network overview, heatmap overlays, the arithmetic of
one value, filter pictures and activation statistics.

Like plots.py, every ``plot_*`` function takes plain data and returns a ``go.Figure``. The
helpers for mosaics and picture layouts come from plots.py, so both modules draw alike.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz import plots

OVERVIEW_CHANNELS = 8  # feature maps shown per layer in the overview unless all are asked for
HEATMAP_COLOURS = "Turbo"
BAR_COLOUR = "#1f77b4"
NEGATIVE_COLOUR = "#d62728"


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.clip(np.asarray(image), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"image must be (height, width, 1 or 3). Received: shape={image.shape}")
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image


def _stack_vertically(maps: np.ndarray, count: int) -> np.ndarray:
    """Channels of (h, w, c) one above the other, each scaled to 0..1, NaN rows between."""
    tiles = plots._scale_each(np.moveaxis(maps, 2, 0)[:count])
    height, width = tiles.shape[1:]
    column = np.full((len(tiles) * (height + 1) - 1, width), np.nan, dtype=np.float32)
    for index, tile in enumerate(tiles):
        column[index * (height + 1) : index * (height + 1) + height] = tile
    return column


def plot_overview(
    image: np.ndarray,
    entries: list[dict],
    class_names,
    labels: list[str] | None = None,
    max_channels: int | None = OVERVIEW_CHANNELS,
) -> go.Figure:
    """The path of one image through the network, left to right, in one figure.

    Args:
        image: the prepared input (height, width, 1 or 3), raw pixels.
        entries: cnnviz.explain.inspection.network_overview's result (the output layer last).
        class_names: one name per output.
        labels: a column title per entry (default: the layer names).
        max_channels: feature maps shown per spatial layer; None shows all.

    Returns:
        One column per layer: the input picture, feature maps as stacked thumbnails (each
        scaled to its own range), Dense layers as bars and the output as probabilities.

    Raises:
        ValueError: for no entries, labels of the wrong length or class names that do not
            match the output.
    """
    if not entries:
        raise ValueError("The overview needs at least the output layer's entry.")
    labels = labels or [entry["name"] for entry in entries]
    if len(labels) != len(entries):
        raise ValueError(f"Give one label per layer: {len(entries)} layers, {len(labels)} labels.")
    class_names = [str(name) for name in class_names]
    if len(class_names) != entries[-1]["values"].shape[-1]:
        raise ValueError(
            f"The output has {entries[-1]['values'].shape[-1]} classes but {len(class_names)} "
            f"class names were given."
        )
    count = len(entries) + 1
    widths = [1.0] + [1.0 if entry["kind"] == "spatial" else 0.8 for entry in entries[:-1]]
    widths.append(1.6)
    # The layout is written out directly: make_subplots and per-axis updates take several
    # times longer than the whole figure, and the overview is redrawn for every new image.
    gap = 0.3 / count
    unit = (1.0 - gap * (count - 1)) / sum(widths)
    hidden = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": ""}
    layout = {
        "height": 520,
        "showlegend": False,
        "plot_bgcolor": "white",
        "margin": {"l": 5, "r": 5, "t": 70},
        "annotations": [],
    }
    traces = [go.Image(z=_as_rgb(image), hoverinfo="skip", name="input")]
    titles = ["input", *labels]
    left = 0.0
    for column, width in enumerate(widths, start=1):
        suffix = "" if column == 1 else str(column)
        domain = [left, min(1.0, left + width * unit)]
        left = domain[1] + gap
        layout[f"xaxis{suffix}"] = {**hidden, "domain": domain, "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**hidden, "anchor": f"x{suffix}", "autorange": "reversed"}
        layout["annotations"].append(
            {
                "text": titles[column - 1],
                "x": (domain[0] + domain[1]) / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 11},
            }
        )
    for column, (entry, label) in enumerate(zip(entries, labels, strict=True), start=2):
        axes = {"xaxis": f"x{column}", "yaxis": f"y{column}", "name": label}
        values = entry["values"]
        if entry is entries[-1]:
            percents = 100 * values
            traces.append(
                go.Bar(
                    x=percents,
                    y=class_names,
                    orientation="h",
                    marker={"color": BAR_COLOUR},
                    text=[f"{p:.0f}%" if p >= 1 else "" for p in percents],
                    textposition="auto",
                    hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
                    **axes,
                )
            )
            layout[f"yaxis{column}"].update(type="category", showticklabels=True)
            layout[f"xaxis{column}"]["range"] = [0, 100]
        elif entry["kind"] == "spatial":
            shown = values.shape[2] if max_channels is None else min(max_channels, values.shape[2])
            stacked = _stack_vertically(values, shown)
            channel = np.repeat(np.arange(shown), values.shape[0] + 1)[: len(stacked)]
            traces.append(
                go.Heatmap(
                    z=stacked,
                    customdata=np.repeat(channel[:, np.newaxis], stacked.shape[1], axis=1),
                    colorscale="Viridis",
                    zmin=0,
                    zmax=1,
                    showscale=False,
                    hoverongaps=False,
                    hovertemplate=f"{label}<br>channel %{{customdata}}<extra></extra>",
                    **axes,
                )
            )
            # Square pixels: the thumbnails keep the feature maps' proportions.
            layout[f"yaxis{column}"]["scaleanchor"] = f"x{column}"
        else:
            traces.append(
                go.Bar(
                    x=values,
                    y=np.arange(len(values)),
                    orientation="h",
                    marker={"color": BAR_COLOUR},
                    hovertemplate=f"{label}<br>neuron %{{y}}: %{{x:.3f}}<extra></extra>",
                    **axes,
                )
            )
    return go.Figure(data=traces, layout=layout)


def plot_overlay(
    image: np.ndarray, heatmap: np.ndarray, opacity: float = 0.5, title: str | None = None
) -> go.Figure:
    """A heatmap (0..1, e.g. Grad-CAM) laid over the image it explains.

    Raises:
        ValueError: when the heatmap's size differs from the image's or opacity is not 0..1.
    """
    picture = _as_rgb(image)
    heatmap = np.asarray(heatmap, dtype=np.float32)
    if heatmap.shape != picture.shape[:2]:
        raise ValueError(
            f"The heatmap must have the image's size {picture.shape[:2]}. "
            f"Received: shape={heatmap.shape}"
        )
    if not isinstance(opacity, (int, float)) or not 0 <= opacity <= 1:
        raise ValueError(f"opacity must lie between 0 and 1. Received: opacity={opacity!r}")
    figure = go.Figure(
        [
            go.Image(z=picture, hoverinfo="skip"),
            go.Heatmap(
                z=heatmap,
                colorscale=HEATMAP_COLOURS,
                zmin=0,
                zmax=1,
                opacity=opacity,
                colorbar={"tickvals": [0, 1], "ticktext": ["low", "high"]},
                hovertemplate="row %{y}, column %{x}<br>%{z:.2f}<extra></extra>",
            ),
        ]
    )
    plots._image_layout(figure, title or "Where the network looked")
    figure.update_layout(height=340)
    return figure


def _number_grid(values: np.ndarray, colours: str, highlight=None, **style) -> go.Heatmap:
    text = np.where(np.isnan(values), "", np.vectorize(lambda v: f"{v:.3f}")(values))
    return go.Heatmap(
        z=values,
        text=text,
        texttemplate="%{text}",
        colorscale=colours,
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
            colours = "Greys_r" if column == 1 else "RdBu"
            style = {} if column == 1 else {"zmid": 0}
            figure.add_trace(_number_grid(values, colours, **style), row, column)
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
            line={"color": NEGATIVE_COLOUR, "width": 3},
        )
    word = "maximum" if detail["kind"] == "max" else "average"
    plots._image_layout(figure, f"The window: its {word} is {detail['value']:.4f}")
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
            marker={"color": [BAR_COLOUR if value >= 0 else NEGATIVE_COLOUR for value in values]},
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


def plot_filter_pictures(pictures: np.ndarray, filters) -> go.Figure:
    """Filter pictures side by side, each stretched to its own full contrast."""
    pictures = np.asarray(pictures, dtype=np.float32)
    if pictures.ndim != 4 or pictures.shape[3] not in (1, 3) or len(pictures) != len(filters):
        raise ValueError(
            f"pictures must be (count, height, width, 1 or 3), one per filter. "
            f"Received: shape={pictures.shape} for {len(filters)} filters"
        )
    stretched = (plots._scale_each(pictures) * 255).astype(np.uint8)
    tiles = np.repeat(stretched, 3, axis=3) if pictures.shape[3] == 1 else stretched
    mosaic, numbers = plots._mosaic(tiles, fill=255)
    labels = np.array(["", *[str(index) for index in filters]], dtype=object)[numbers]
    figure = go.Figure(
        go.Image(z=mosaic, customdata=labels, hovertemplate="filter %{customdata}<extra></extra>")
    )
    plots._image_layout(figure, f"What excites filters {', '.join(map(str, filters))}")
    return figure


def plot_augmented_copies(copies: np.ndarray, layer_names: list[str]) -> go.Figure:
    """Augmented copies of one image side by side, as the training sees them.

    Raises:
        ValueError: for copies that are not (count, height, width, 1 or 3).
    """
    copies = np.asarray(copies)
    if copies.ndim != 4 or copies.shape[3] not in (1, 3) or len(copies) == 0:
        raise ValueError(
            f"copies must be (count, height, width, 1 or 3). Received: shape={copies.shape}"
        )
    pixels = np.clip(copies, 0, 255).astype(np.uint8)
    tiles = np.repeat(pixels, 3, axis=3) if copies.shape[3] == 1 else pixels
    # One row: copies read as variations of one picture.
    mosaic, numbers = plots._mosaic(tiles, fill=255, columns=len(tiles))
    figure = go.Figure(
        go.Image(z=mosaic, customdata=numbers, hovertemplate="copy %{customdata}<extra></extra>")
    )
    plots._image_layout(figure, f"{len(copies)} copies after {', '.join(layer_names)}")
    figure.update_layout(height=220)
    return figure


def plot_activation_statistics(statistics: list[dict], labels: list[str] | None = None):
    """Share of zeros and dead channels per layer, as bars."""
    labels = labels or [row["name"] for row in statistics]
    zero_share = [100 * row["zero_share"] for row in statistics]
    dead = [len(row["dead_channels"]) for row in statistics]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=zero_share,
            marker={"color": BAR_COLOUR},
            text=[
                f"{d} dead of {row['channels']}" if d else ""
                for d, row in zip(dead, statistics, strict=True)
            ],
            textposition="outside",
            hovertemplate="%{x}<br>zeros: %{y:.1f} %<extra></extra>",
        )
    )
    figure.update_layout(
        title="Share of zero outputs per layer (dead channels marked)",
        yaxis={"title": "zeros (%)", "range": [0, 110]},
        height=320,
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
    )
    return figure
