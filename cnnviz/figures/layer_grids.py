"""A layer as a grid of tiles: a convolution layer's kernels, or a layer's feature maps.

Each grid is one mosaic (see cnnviz.figures.images), so 64 tiles cost one trace.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures import images
from cnnviz.quantities import is_whole_number


def _check_count(name: str, value) -> None:
    if not is_whole_number(value) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1. Received: {name}={value!r}")


def _shown_note(shown: int, total: int, noun: str) -> str:
    return f"{total} {noun}" if shown == total else f"First {shown} of {total} {noun}"


def _checked_kernels(kernels, channel: int | None, max_filters: int) -> np.ndarray:
    """The kernels as a float array, once their shape and the options fit them."""
    kernels = np.asarray(kernels, dtype=np.float32)
    if kernels.ndim != 4 or 0 in kernels.shape:
        raise ValueError(
            f"kernels must be (filters, kernel_height, kernel_width, in_channels), as "
            f"cnnviz.explain.inspection.get_kernels returns. Received: shape={kernels.shape}"
        )
    _check_count("max_filters", max_filters)
    in_channels = kernels.shape[3]
    if channel is not None and not (is_whole_number(channel) and 0 <= channel < in_channels):
        raise ValueError(
            f"channel must be None or an input channel from 0 to {in_channels - 1}. "
            f"Received: channel={channel!r}"
        )
    return kernels


def _colour_kernels(shown: np.ndarray) -> go.Image:
    """Three-channel kernels as RGB tiles, each stretched to its own range."""
    tiles = np.rint(images.scale_each(shown) * 255).astype(np.uint8)
    picture, numbers = images.mosaic(tiles, fill=255)
    labels = np.where(numbers > 0, np.char.add("filter ", numbers.astype(str)), "")
    return go.Image(
        z=picture,
        text=labels.tolist(),
        hovertemplate="%{text}<br>colour (scaled) %{z}<extra></extra>",
    )


def _weight_heatmap(tiles: np.ndarray) -> go.Heatmap:
    """2-D weight tiles on one colour scale centred on 0: blue negative, red positive."""
    picture, numbers = images.mosaic(tiles, fill=np.nan)
    # A diverged training run can leave NaN weights; they must not break the colour range.
    finite = np.abs(tiles[np.isfinite(tiles)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    return images.mosaic_heatmap(
        picture,
        numbers,
        "filter %{customdata}<br>weight %{z:.3f}",
        colorscale="RdBu",
        reversescale=True,
        zmid=0,
        zmin=-limit,
        zmax=limit,
        colorbar={"title": {"text": "weight"}},
    )


def plot_kernels(
    kernels: np.ndarray,
    channel: int | None = None,
    max_filters: int = 64,
    title: str | None = None,
) -> go.Figure:
    """The filters of a convolution layer as a grid of small tiles.

    Args:
        kernels: (filters, kernel_height, kernel_width, in_channels), as get_kernels returns.
        channel: show this input channel's weights; None shows RGB tiles when there are 3 input
            channels (a first layer on colour images) and otherwise the mean over channels.
        max_filters: show at most this many filters.
        title: figure title; by default it says what is shown.

    Returns:
        A figure with a single heatmap (weights, blue negative, red positive, white 0) or a
        single RGB image; hovering a tile names its filter, numbered from 1.

    Raises:
        ValueError: for an array of the wrong shape, a channel out of range or max_filters < 1.
    """
    kernels = _checked_kernels(kernels, channel, max_filters)
    total, kernel_height, kernel_width, in_channels = kernels.shape
    shown = kernels[:max_filters]
    described = f"{_shown_note(len(shown), total, 'filters')} ({kernel_height}x{kernel_width})"
    if channel is None and in_channels == 3:
        figure = go.Figure(_colour_kernels(shown))
        default_title = f"{described} as colour pictures, each scaled to its own range"
    else:
        if channel is None:
            tiles = shown.mean(axis=3)
            what = "weights" if in_channels == 1 else f"mean over {in_channels} input channels"
        else:
            tiles = shown[..., channel]
            what = f"input channel {channel}"
        figure = go.Figure(_weight_heatmap(tiles))
        default_title = f"{described}, {what}"
    images.image_layout(figure, title or default_title)
    return figure


def plot_feature_maps(maps: np.ndarray, max_maps: int = 64, title: str | None = None) -> go.Figure:
    """A layer's output for one image: one tile per channel.

    Each tile is scaled from its own minimum (dark) to its own maximum (bright), so weak maps
    still show their pattern; a map with one value everywhere (often a "dead" ReLU) is dark.

    Args:
        maps: (height, width, channels), as cnnviz.explain.inspection.feature_maps returns
            per layer.
        max_maps: show at most this many channels.
        title: figure title; by default it says what is shown.

    Returns:
        A figure with a single heatmap; hovering names the channel (from 1) and its scaled value.

    Raises:
        ValueError: for an array that is not (height, width, channels) or max_maps < 1.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3 or 0 in maps.shape:
        raise ValueError(
            f"maps must be (height, width, channels), one layer's output for one image. "
            f"Received: shape={maps.shape}"
        )
    _check_count("max_maps", max_maps)
    tiles = images.scale_each(np.moveaxis(maps, 2, 0)[:max_maps])
    picture, numbers = images.mosaic(tiles, fill=np.nan)
    hover = "channel %{customdata}<br>value %{z:.2f} (0 = this map's minimum, 1 = its maximum)"
    colorbar = {"tickvals": [0, 1], "ticktext": ["map's min", "map's max"]}
    figure = go.Figure(
        images.mosaic_heatmap(
            picture, numbers, hover, colorscale="Viridis", zmin=0, zmax=1, colorbar=colorbar
        )
    )
    note = _shown_note(len(tiles), maps.shape[2], "feature maps")
    size = f"{maps.shape[0]}x{maps.shape[1]}"
    images.image_layout(figure, title or f"{note} ({size}), each scaled to its own range")
    return figure
