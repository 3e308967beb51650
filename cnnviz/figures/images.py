"""Pictures: the helpers every picture-like figure shares, the input image and augmented copies.

Grids of filters, feature maps or pictures are drawn as one mosaic: all tiles are copied into a
single 2-D array with a one-pixel gap between them and shown by a single heatmap (or one RGB
image). One trace draws in a fraction of the time 64 subplots take and keeps the figure's JSON
small. The helpers are public so that every figure module draws its pictures alike.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

GAP = 1  # pixels of blank space between mosaic tiles


def scale_each(tiles: np.ndarray) -> np.ndarray:
    """Min-max scale every tile (the first axis) to 0..1 on its own; a flat tile becomes 0."""
    axes = tuple(range(1, tiles.ndim))
    low = tiles.min(axis=axes, keepdims=True)
    span = tiles.max(axis=axes, keepdims=True) - low
    return np.where(span > 0, (tiles - low) / np.where(span > 0, span, 1), 0).astype(np.float32)


def grid_shape(count: int, tile_height: int, tile_width: int) -> tuple[int, int]:
    """Rows and columns that make a mosaic of `count` tiles roughly square."""
    columns = min(count, max(1, math.ceil(math.sqrt(count * tile_height / tile_width))))
    return math.ceil(count / columns), columns


def mosaic(tiles: np.ndarray, fill, columns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Copy tiles (count, h, w[, 3]) into one array with gaps of `fill` between them.

    The mosaic is roughly square unless `columns` is given (e.g. the count, for one row).

    Returns:
        The mosaic, and an array of the same height and width holding each pixel's 1-based tile
        number (0 in the gaps), for hover text.
    """
    count, tile_height, tile_width = tiles.shape[:3]
    if columns is None:
        rows, columns = grid_shape(count, tile_height, tile_width)
    else:
        rows = math.ceil(count / columns)
    height = rows * (tile_height + GAP) - GAP
    width = columns * (tile_width + GAP) - GAP
    picture = np.full((height, width, *tiles.shape[3:]), fill, dtype=tiles.dtype)
    numbers = np.zeros((height, width), dtype=np.uint16)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        top, left = row * (tile_height + GAP), column * (tile_width + GAP)
        picture[top : top + tile_height, left : left + tile_width] = tile
        numbers[top : top + tile_height, left : left + tile_width] = index + 1
    return picture, numbers


def mosaic_heatmap(tiles: np.ndarray, numbers: np.ndarray, hover: str, **style) -> go.Heatmap:
    """One heatmap for a whole mosaic; gaps (NaN) show the background and have no hover.

    Args:
        tiles: the mosaic, as mosaic() returns it (filled with NaN).
        numbers: each pixel's tile number, as mosaic() returns it; hover text reads it as
            ``%{customdata}``.
        hover: the hover template, without ``<extra>``.
        **style: further go.Heatmap arguments (colour scale, range, colour bar).
    """
    return go.Heatmap(
        z=tiles,
        customdata=numbers,
        hoverongaps=False,
        hovertemplate=f"{hover}<extra></extra>",
        **style,
    )


def image_layout(figure: go.Figure, title: str) -> None:
    """Pixels square, row 0 at the top, no ticks: the figure reads as a picture."""
    hidden = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
    figure.update_layout(
        title=title,
        xaxis={**hidden, "constrain": "domain"},
        yaxis={**hidden, "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"},
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Raw pixels (height, width[, 1 or 3]) as uint8 RGB, gray repeated into three channels.

    Raises:
        ValueError: for an array that is not (height, width) or (height, width, 1 or 3).
    """
    image = np.clip(np.asarray(image), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"image must be (height, width, 1 or 3). Received: shape={image.shape}")
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image


def plot_image(image: np.ndarray, title: str | None = None) -> go.Figure:
    """Show one image as the model sees it: gray (1 channel) or colour (3 channels).

    Raises:
        ValueError: for an array that is not (height, width) or (height, width, 1 or 3).
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    if image.ndim != 3 or image.shape[2] not in (1, 3) or 0 in image.shape:
        raise ValueError(
            f"image must be (height, width, 1) gray or (height, width, 3) colour. "
            f"Received: shape={image.shape}"
        )
    image = np.clip(image, 0, 255).astype(np.uint8)
    where = "row %{y}, column %{x}"
    if image.shape[2] == 1:
        trace = go.Heatmap(
            z=image[..., 0],
            colorscale=[[0, "black"], [1, "white"]],
            zmin=0,
            zmax=255,
            showscale=False,
            hovertemplate=f"{where}<br>value %{{z}}<extra></extra>",
        )
    else:
        trace = go.Image(z=image, hovertemplate=f"{where}<br>RGB %{{z}}<extra></extra>")
    figure = go.Figure(trace)
    image_layout(figure, title or "Input image")
    figure.update_layout(height=300)  # a small picture: the default 450 px leaves a gap
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
    row, numbers = mosaic(tiles, fill=255, columns=len(tiles))
    figure = go.Figure(
        go.Image(z=row, customdata=numbers, hovertemplate="copy %{customdata}<extra></extra>")
    )
    image_layout(figure, f"{len(copies)} copies after {', '.join(layer_names)}")
    figure.update_layout(height=220)
    return figure
