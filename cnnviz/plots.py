"""Figures for the app: training curves, filters, feature maps, images and predictions.

Every ``plot_*`` function takes plain data (lists, numpy arrays) and returns a plotly
``go.Figure`` without showing it, so pages decide where it goes and tests can inspect it.

Grids of filters or feature maps are drawn as one mosaic: all tiles are copied into a single 2-D
array with a one-pixel gap of NaN between them and shown by a single heatmap (or one RGB image).
One trace draws in a fraction of the time 64 subplots take and keeps the figure's JSON small.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

TRAINING_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"
RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
GAP = 1  # pixels of blank space between mosaic tiles
WAITING_HINT = "Waiting for the first batch..."
# Per-batch curves are drawn with at most this many points; smoothing still uses every batch.
MAX_BATCH_POINTS = 1500
# Legend name, colour, line width, opacity and mode of each curve plot_history draws.
HISTORY_CURVES = {
    "batch": ("training, each batch", TRAINING_COLOUR, 1, 0.3, "lines"),
    "smoothed": ("training, smoothed", TRAINING_COLOUR, 2, 1.0, "lines"),
    "epoch": ("training, average over the epoch", TRAINING_COLOUR, 2, 1.0, "markers+lines"),
    "validation": ("validation", VALIDATION_COLOUR, 2, 1.0, "markers+lines"),
}
# (metric key, panel title, x axis, y axis) of the two training panels.
PANELS = (("loss", "Loss", "x", "y"), ("accuracy", "Accuracy", "x2", "y2"))


def smooth(values, weight: float = 0.8) -> list[float]:
    """Exponential moving average with bias correction, as TensorBoard smooths curves.

    A plain moving average starts at 0 and needs many points to catch up; dividing by
    ``1 - weight ** count`` removes that pull, so the first smoothed point equals the first
    value. Missing (None) and non-finite values give NaN and leave the average unchanged.

    Args:
        values: numbers, e.g. per-batch losses.
        weight: how much each point keeps of the previous average, from 0 (no smoothing) up to
            but not including 1.

    Returns:
        One float per value.

    Raises:
        ValueError: when weight is outside [0, 1).
    """
    if not 0 <= weight < 1:
        raise ValueError(f"weight must be at least 0 and below 1. Received: weight={weight!r}")
    average, count, result = 0.0, 0, []
    for value in values:
        if value is None or not math.isfinite(value):
            result.append(math.nan)
            continue
        count += 1
        average = weight * average + (1 - weight) * float(value)
        result.append(average / (1 - weight**count))
    return result


def _section(history, name: str) -> dict:
    if not isinstance(history, dict):
        raise ValueError(
            f'A training history must be a dict with "batch" and "epoch" entries, as the '
            f"training callback records it. Received: {type(history).__name__}"
        )
    return history.get(name) or {}


def _points(section: dict, metric: str) -> tuple[list, list]:
    """Matching x and y lists; a missing or non-finite y becomes None (a gap)."""
    # The training thread may be appending while we read: copy, and cut to the shorter list.
    xs, ys = list(section.get("epoch") or []), list(section.get(metric) or [])
    count = min(len(xs), len(ys))
    ys = [None if y is None or not math.isfinite(y) else float(y) for y in ys[:count]]
    return xs[:count], ys


def _thin(xs: list, ys: list, max_points: int = MAX_BATCH_POINTS) -> tuple[list, list]:
    """Every k-th point, so long runs stay light to send each second (the last point stays)."""
    if len(xs) <= max_points:
        return xs, ys
    step = math.ceil(len(xs) / max_points)
    keep = list(range(0, len(xs) - 1, step)) + [len(xs) - 1]
    return [xs[i] for i in keep], [ys[i] for i in keep]


def _has_values(ys: list) -> bool:
    return any(y is not None for y in ys)


def _smoothed(ys: list, weight: float = 0.8) -> list:
    return [None if math.isnan(y) else y for y in smooth(ys, weight)]


def _hover(metric: str, label: str) -> str:
    value = "%{y:.1%}" if metric == "accuracy" else "%{y:.4f}"
    return f"{label}<br>epoch %{{x:.2f}}<br>{metric} {value}<extra></extra>"


def _two_panel_layout(figure: go.Figure, title: str, empty_hint: str | None) -> None:
    """Lay out loss (left) and accuracy (right) panels sharing the epoch axis title."""
    axis_style = {"showgrid": True, "zeroline": False}
    percent_axis = {"range": [-0.02, 1.02], "tickformat": ".0%"}
    figure.update_layout(
        title=title,
        xaxis={"domain": [0, 0.45], "title": "epoch", "anchor": "y", **axis_style},
        yaxis={"title": "loss", "anchor": "x", "rangemode": "tozero", **axis_style},
        xaxis2={"domain": [0.55, 1], "title": "epoch", "anchor": "y2", **axis_style},
        yaxis2={"title": "accuracy", "anchor": "x2", **percent_axis, **axis_style},
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 70, "b": 40},
        hovermode="closest",
    )
    for _, panel_title, xaxis, yaxis in PANELS:
        place = {"xref": f"{xaxis} domain", "yref": f"{yaxis} domain", "showarrow": False}
        figure.add_annotation(text=f"<b>{panel_title}</b>", x=0.5, y=1, yanchor="bottom", **place)
        if empty_hint:
            figure.add_annotation(text=empty_hint, x=0.5, y=0.5, font={"color": "gray"}, **place)
    if empty_hint:
        # Plotly lays out a second pair of axes only when a trace uses it: give each panel an
        # empty one, or both titles land on a single panel.
        for _, _, xaxis, yaxis in PANELS:
            figure.add_trace(
                go.Scatter(x=[], y=[], xaxis=xaxis, yaxis=yaxis, showlegend=False, hoverinfo="skip")
            )
        figure.update_layout(xaxis_range=[0, 1], xaxis2_range=[0, 1], yaxis_range=[0, 1])


def plot_history(history: dict, smoothing: float = 0.8, title: str | None = None) -> go.Figure:
    """Loss and accuracy while training: per batch (raw and smoothed) and per epoch.

    Args:
        history: {"batch": {"epoch", "loss", "accuracy"}, "epoch": {"epoch", "loss",
            "accuracy", "val_loss", "val_accuracy"}}, lists of floats as the training callback
            records them; validation values may be None, and every list may be empty.
        smoothing: weight of smooth() for the batch curve, 0 for none.
        title: figure title.

    Returns:
        Two panels, "Loss" and "Accuracy", with epochs on the x axis.
    """
    batch, epoch = _section(history, "batch"), _section(history, "epoch")
    figure = go.Figure()
    in_legend: set[str] = set()
    for metric, _, xaxis, yaxis in PANELS:
        batch_x, batch_y = _points(batch, metric)
        curves = {
            "batch": _thin(batch_x, batch_y),
            "smoothed": _thin(batch_x, _smoothed(batch_y, smoothing)),
            "epoch": _points(epoch, metric),
            "validation": _points(epoch, f"val_{metric}"),
        }
        for group, (xs, ys) in curves.items():
            if not _has_values(ys):
                continue
            name, colour, width, opacity, mode = HISTORY_CURVES[group]
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode=mode,
                    name=name,
                    legendgroup=group,
                    showlegend=group not in in_legend,
                    line={"color": colour, "width": width},
                    marker={"color": colour, "size": 8},
                    opacity=opacity,
                    hovertemplate=_hover(metric, name),
                    xaxis=xaxis,
                    yaxis=yaxis,
                )
            )
            in_legend.add(group)
    hint = None if figure.data else WAITING_HINT
    _two_panel_layout(figure, title or "Training history", hint)
    return figure


def plot_compare(runs: list[tuple[str, dict]]) -> go.Figure:
    """Compare training runs epoch by epoch, one colour per run.

    Validation curves are solid and training curves dashed. A run that has not finished an
    epoch yet shows its smoothed per-batch training curve (dotted) instead.

    Args:
        runs: [(label, history)], each history as plot_history takes it.

    Returns:
        Two panels, "Loss" and "Accuracy", with one legend entry per run.

    Raises:
        ValueError: when runs is not a list of (label, history) pairs.
    """
    if not isinstance(runs, (list, tuple)) or not all(
        isinstance(run, (list, tuple)) and len(run) == 2 for run in runs
    ):
        raise ValueError("runs must be a list of (label, history) pairs, one per training run.")
    figure = go.Figure()
    for run_index, (label, history) in enumerate(runs):
        colour = RUN_COLOURS[run_index % len(RUN_COLOURS)]
        batch, epoch = _section(history, "batch"), _section(history, "epoch")
        group = f"run {run_index}"
        curves = []  # (name suffix, x, y, dash) for each panel
        for metric, _, xaxis, yaxis in PANELS:
            train_x, train_y = _points(epoch, metric)
            val_x, val_y = _points(epoch, f"val_{metric}")
            if _has_values(train_y) or _has_values(val_y):
                panel = [
                    ("validation", val_x, val_y, "solid"),
                    ("training", train_x, train_y, "dash"),
                ]
            else:
                batch_x, batch_y = _points(batch, metric)
                panel = [("training, smoothed batches", *_thin(batch_x, _smoothed(batch_y)), "dot")]
            curves += [(metric, xaxis, yaxis, *curve) for curve in panel if _has_values(curve[2])]
        for number, (metric, xaxis, yaxis, kind, xs, ys, dash) in enumerate(curves):
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines" if dash == "dot" else "markers+lines",
                    name=str(label),
                    legendgroup=group,
                    showlegend=number == 0,
                    line={"color": colour, "dash": dash, "width": 2},
                    marker={"color": colour, "size": 6},
                    hovertemplate=_hover(metric, f"{label} ({kind})"),
                    xaxis=xaxis,
                    yaxis=yaxis,
                )
            )
    hint = None if figure.data else "No training runs to compare yet."
    _two_panel_layout(figure, "Runs compared: validation solid, training dashed", hint)
    return figure


def _grid_shape(count: int, tile_height: int, tile_width: int) -> tuple[int, int]:
    """Rows and columns that make the mosaic roughly square."""
    columns = min(count, max(1, math.ceil(math.sqrt(count * tile_height / tile_width))))
    return math.ceil(count / columns), columns


def _mosaic(tiles: np.ndarray, fill, columns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Copy tiles (count, h, w[, 3]) into one array with gaps of `fill` between them.

    The mosaic is roughly square unless `columns` is given (e.g. the count, for one row).

    Returns:
        The mosaic, and an array of the same height and width holding each pixel's 1-based tile
        number (0 in the gaps), for hover text.
    """
    count, tile_height, tile_width = tiles.shape[:3]
    if columns is None:
        rows, columns = _grid_shape(count, tile_height, tile_width)
    else:
        rows = math.ceil(count / columns)
    height = rows * (tile_height + GAP) - GAP
    width = columns * (tile_width + GAP) - GAP
    mosaic = np.full((height, width, *tiles.shape[3:]), fill, dtype=tiles.dtype)
    numbers = np.zeros((height, width), dtype=np.uint16)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        top, left = row * (tile_height + GAP), column * (tile_width + GAP)
        mosaic[top : top + tile_height, left : left + tile_width] = tile
        numbers[top : top + tile_height, left : left + tile_width] = index + 1
    return mosaic, numbers


def _mosaic_heatmap(mosaic: np.ndarray, numbers: np.ndarray, hover: str, **style) -> go.Heatmap:
    """One heatmap for a whole mosaic; gaps (NaN) show the background and have no hover."""
    return go.Heatmap(
        z=mosaic,
        customdata=numbers,
        hoverongaps=False,
        hovertemplate=f"{hover}<extra></extra>",
        **style,
    )


def _image_layout(figure: go.Figure, title: str) -> None:
    """Pixels square, row 0 at the top, no ticks: the figure reads as a picture."""
    hidden = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
    figure.update_layout(
        title=title,
        xaxis={**hidden, "constrain": "domain"},
        yaxis={**hidden, "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"},
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )


def _is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_count(name: str, value) -> None:
    if not _is_whole(value) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1. Received: {name}={value!r}")


def _scale_each(tiles: np.ndarray) -> np.ndarray:
    """Min-max scale every tile to 0..1 on its own; a flat tile becomes 0."""
    axes = tuple(range(1, tiles.ndim))
    low = tiles.min(axis=axes, keepdims=True)
    span = tiles.max(axis=axes, keepdims=True) - low
    return np.where(span > 0, (tiles - low) / np.where(span > 0, span, 1), 0).astype(np.float32)


def _shown_note(shown: int, total: int, noun: str) -> str:
    return f"{total} {noun}" if shown == total else f"First {shown} of {total} {noun}"


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
    kernels = np.asarray(kernels, dtype=np.float32)
    if kernels.ndim != 4 or 0 in kernels.shape:
        raise ValueError(
            f"kernels must be (filters, kernel_height, kernel_width, in_channels), as "
            f"cnnviz.explain.inspection.get_kernels returns. Received: shape={kernels.shape}"
        )
    _check_count("max_filters", max_filters)
    total, kernel_height, kernel_width, in_channels = kernels.shape
    if channel is not None and not (_is_whole(channel) and 0 <= channel < in_channels):
        raise ValueError(
            f"channel must be None or an input channel from 0 to {in_channels - 1}. "
            f"Received: channel={channel!r}"
        )
    shown = kernels[:max_filters]
    size = f"{kernel_height}x{kernel_width}"
    note = _shown_note(len(shown), total, "filters")
    figure = go.Figure()
    if channel is None and in_channels == 3:
        tiles = np.rint(_scale_each(shown) * 255).astype(np.uint8)
        mosaic, numbers = _mosaic(tiles, fill=255)
        labels = np.where(numbers > 0, np.char.add("filter ", numbers.astype(str)), "")
        figure.add_trace(
            go.Image(
                z=mosaic,
                text=labels.tolist(),
                hovertemplate="%{text}<br>colour (scaled) %{z}<extra></extra>",
            )
        )
        default_title = f"{note} ({size}) as colour pictures, each scaled to its own range"
    else:
        if channel is None:
            tiles = shown.mean(axis=3)
            what = "weights" if in_channels == 1 else f"mean over {in_channels} input channels"
        else:
            tiles = shown[..., channel]
            what = f"input channel {channel}"
        mosaic, numbers = _mosaic(tiles, fill=np.nan)
        # A diverged training run can leave NaN weights; they must not break the colour range.
        finite = np.abs(tiles[np.isfinite(tiles)])
        limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        hover = "filter %{customdata}<br>weight %{z:.3f}"
        figure.add_trace(
            _mosaic_heatmap(
                mosaic,
                numbers,
                hover,
                colorscale="RdBu",
                reversescale=True,
                zmid=0,
                zmin=-limit,
                zmax=limit,
                colorbar={"title": {"text": "weight"}},
            )
        )
        default_title = f"{note} ({size}), {what}"
    _image_layout(figure, title or default_title)
    return figure


def plot_feature_maps(maps: np.ndarray, max_maps: int = 64, title: str | None = None) -> go.Figure:
    """A layer's output for one image: one tile per channel.

    Each tile is scaled from its own minimum (dark) to its own maximum (bright), so weak maps
    still show their pattern; a map with one value everywhere (often a "dead" ReLU) is dark.

    Args:
        maps: (height, width, channels), as inspection.feature_maps returns per layer.
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
    tiles = _scale_each(np.moveaxis(maps, 2, 0)[:max_maps])
    mosaic, numbers = _mosaic(tiles, fill=np.nan)
    hover = "channel %{customdata}<br>value %{z:.2f} (0 = this map's minimum, 1 = its maximum)"
    colorbar = {"tickvals": [0, 1], "ticktext": ["map's min", "map's max"]}
    figure = go.Figure(
        _mosaic_heatmap(
            mosaic, numbers, hover, colorscale="Viridis", zmin=0, zmax=1, colorbar=colorbar
        )
    )
    note = _shown_note(len(tiles), maps.shape[2], "feature maps")
    size = f"{maps.shape[0]}x{maps.shape[1]}"
    _image_layout(figure, title or f"{note} ({size}), each scaled to its own range")
    return figure


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
    _image_layout(figure, title or "Input image")
    figure.update_layout(height=300)  # a small picture: the default 450 px leaves a gap
    return figure


def plot_predictions(predictions: list[tuple[str, float]], title: str | None = None) -> go.Figure:
    """The model's most likely classes as horizontal bars in percent, the highest on top.

    Args:
        predictions: [(class name, probability 0..1)], e.g. from top_predictions.
        title: figure title.

    Raises:
        ValueError: for entries that are not (name, probability) with a probability in 0..1.
    """
    rows = []
    for entry in predictions:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise ValueError(f"Each prediction must be (class name, probability). Got {entry!r}")
        name, probability = entry
        if not isinstance(probability, (int, float, np.number)) or not 0 <= probability <= 1:
            raise ValueError(
                f"Probabilities must lie between 0 and 1. Received: {name!r}: {probability!r}"
            )
        rows.append((str(name), float(probability)))
    # Plotly puts the first bar at the bottom, so ascending order puts the highest on top.
    rows.sort(key=lambda row: row[1])
    percents = [100 * probability for _, probability in rows]
    colours = ["#9ecae1"] * (len(rows) - 1) + [TRAINING_COLOUR]
    figure = go.Figure(
        go.Bar(
            x=percents,
            y=[name for name, _ in rows],
            orientation="h",
            text=[f"{percent:.1f} %" for percent in percents],
            textposition="outside",
            marker={"color": colours},
            hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
        )
    )
    figure.update_layout(
        title=title or "Prediction",
        xaxis={"title": "probability (%)", "range": [0, 115]},
        yaxis={"title": "class", "type": "category"},
        height=max(220, 90 + 35 * len(rows)),
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
    )
    return figure
