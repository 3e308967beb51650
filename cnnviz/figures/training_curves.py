"""Training curves: loss and accuracy while a model trains, and several runs compared.

Both figures have two panels (loss left, accuracy right) over the epoch axis. Per-batch curves
are smoothed as TensorBoard smooths them and thinned so a long run stays light to redraw.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

TRAINING_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"
RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
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
