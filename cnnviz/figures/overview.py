"""One image's path through the whole network, left to right, in one figure.

The layout is written out as a dict rather than built with make_subplots: make_subplots and
per-axis updates take several times longer than the whole figure, and the Inspect page redraws
the overview for every new image.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures import colours, images

OVERVIEW_CHANNELS = 8  # feature maps shown per layer in the overview unless all are asked for
# Relative column widths: the input and feature maps, a Dense layer's bars, the output's bars
# (wider, for the class names).
SPATIAL_WIDTH, VECTOR_WIDTH, OUTPUT_WIDTH = 1.0, 0.8, 1.6
HIDDEN_AXIS = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": ""}


def _checked(entries: list[dict], class_names, labels: list[str] | None):
    """The labels and class names as lists, once they fit the entries."""
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
    return labels, class_names


def _column_widths(entries: list[dict]) -> list[float]:
    """One width per column: the input, each layer but the output, then the output."""
    middle = [SPATIAL_WIDTH if entry["kind"] == "spatial" else VECTOR_WIDTH for entry in entries]
    return [SPATIAL_WIDTH, *middle[:-1], OUTPUT_WIDTH]


def _column_layout(widths: list[float], titles: list[str]) -> dict:
    """A figure layout with one pair of hidden axes and one title per column."""
    count = len(widths)
    gap = 0.3 / count
    unit = (1.0 - gap * (count - 1)) / sum(widths)
    layout = {
        "height": 520,
        "showlegend": False,
        "plot_bgcolor": "white",
        "margin": {"l": 5, "r": 5, "t": 70},
        "annotations": [],
    }
    left = 0.0
    for column, (width, title) in enumerate(zip(widths, titles, strict=True), start=1):
        suffix = "" if column == 1 else str(column)
        domain = [left, min(1.0, left + width * unit)]
        left = domain[1] + gap
        layout[f"xaxis{suffix}"] = {**HIDDEN_AXIS, "domain": domain, "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**HIDDEN_AXIS, "anchor": f"x{suffix}", "autorange": "reversed"}
        layout["annotations"].append(
            {
                "text": title,
                "x": (domain[0] + domain[1]) / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 11},
            }
        )
    return layout


def _stack_vertically(maps: np.ndarray, count: int) -> np.ndarray:
    """Channels of (h, w, c) one above the other, each scaled to 0..1, NaN rows between."""
    tiles = images.scale_each(np.moveaxis(maps, 2, 0)[:count])
    height, width = tiles.shape[1:]
    column = np.full((len(tiles) * (height + 1) - 1, width), np.nan, dtype=np.float32)
    for index, tile in enumerate(tiles):
        column[index * (height + 1) : index * (height + 1) + height] = tile
    return column


def _thumbnails(maps: np.ndarray, label: str, max_channels: int | None, axes: dict) -> go.Heatmap:
    """A spatial layer's feature maps as a column of thumbnails; hover names the channel."""
    shown = maps.shape[2] if max_channels is None else min(max_channels, maps.shape[2])
    stacked = _stack_vertically(maps, shown)
    channel = np.repeat(np.arange(shown), maps.shape[0] + 1)[: len(stacked)]
    return go.Heatmap(
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


def _neuron_bars(values: np.ndarray, label: str, axes: dict) -> go.Bar:
    """A flat layer's neurons as horizontal bars, neuron 0 at the top."""
    return go.Bar(
        x=values,
        y=np.arange(len(values)),
        orientation="h",
        marker={"color": colours.BAR_COLOUR},
        hovertemplate=f"{label}<br>neuron %{{y}}: %{{x:.3f}}<extra></extra>",
        **axes,
    )


def _probability_bars(probabilities: np.ndarray, class_names: list[str], axes: dict) -> go.Bar:
    """The output as one bar per class in percent, labelled where the bar is 1 % or more."""
    percents = 100 * probabilities
    return go.Bar(
        x=percents,
        y=class_names,
        orientation="h",
        marker={"color": colours.BAR_COLOUR},
        text=[f"{p:.0f}%" if p >= 1 else "" for p in percents],
        textposition="auto",
        hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
        **axes,
    )


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
    labels, class_names = _checked(entries, class_names, labels)
    layout = _column_layout(_column_widths(entries), ["input", *labels])
    traces = [go.Image(z=images.as_rgb(image), hoverinfo="skip", name="input")]
    for column, (entry, label) in enumerate(zip(entries, labels, strict=True), start=2):
        axes = {"xaxis": f"x{column}", "yaxis": f"y{column}", "name": label}
        xaxis, yaxis = layout[f"xaxis{column}"], layout[f"yaxis{column}"]
        if entry is entries[-1]:
            traces.append(_probability_bars(entry["values"], class_names, axes))
            yaxis.update(type="category", showticklabels=True)
            xaxis["range"] = [0, 100]
        elif entry["kind"] == "spatial":
            traces.append(_thumbnails(entry["values"], label, max_channels, axes))
            # Square pixels: the thumbnails keep the feature maps' proportions.
            yaxis["scaleanchor"] = f"x{column}"
        else:
            traces.append(_neuron_bars(entry["values"], label, axes))
    return go.Figure(data=traces, layout=layout)
