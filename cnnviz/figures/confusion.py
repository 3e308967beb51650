"""Figures for the Evaluate page: the confusion matrix and the per-class figures.

Like every figure module, each ``plot_*`` takes plain arrays (from cnnviz.explain.evaluation)
and returns a plotly ``go.Figure`` without showing it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# Name, colour and the words of each per-class figure, in the order the bars stand.
METRIC_BARS = (
    ("precision", "#1f77b4", "of the images it called this class, the share that were"),
    ("recall", "#ff7f0e", "of the images of this class, the share it found"),
    ("accuracy", "#2ca02c", "share of all images where 'is it this class?' was answered right"),
)
SELECTED_COLOUR = "#d62728"
# Name of the invisible trace that makes every cell clickable (pages read clicks on it).
CELL_TRACE = "cells"


def _check_square(confusion: np.ndarray, class_names) -> np.ndarray:
    confusion = np.asarray(confusion)
    classes = len(class_names)
    if confusion.shape != (classes, classes):
        raise ValueError(
            f"The confusion matrix must be {classes} x {classes} for {classes} class names. "
            f"Received: shape {confusion.shape}"
        )
    return confusion


def _row_shares(confusion: np.ndarray) -> np.ndarray:
    """Each count as a share of its row (its true class); a row with no images is all 0."""
    row_totals = confusion.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(row_totals > 0, confusion / np.maximum(row_totals, 1), 0.0)


def _share_heatmap(confusion: np.ndarray, shares: np.ndarray) -> go.Heatmap:
    """Cells coloured by their row's share, with the count written in each."""
    classes = len(confusion)
    return go.Heatmap(
        z=shares,
        x=list(range(classes)),
        y=list(range(classes)),
        text=confusion.astype(str),
        texttemplate="%{text}",
        # The marker trace on top answers hovers and clicks for every cell.
        hoverinfo="skip",
        colorscale="Blues",
        zmin=0,
        zmax=1,
        colorbar={"title": {"text": "share<br>of row"}, "tickformat": ".0%"},
        xgap=1,
        ygap=1,
    )


def _cell_markers(confusion: np.ndarray, shares: np.ndarray, class_names: list[str]) -> go.Scatter:
    """An invisible marker on every cell centre that carries the cell's classes and counts."""
    classes = len(class_names)
    true_index, predicted_index = np.meshgrid(range(classes), range(classes), indexing="ij")
    names = np.array(class_names, dtype=object)
    rows, columns = true_index.ravel(), predicted_index.ravel()
    return go.Scatter(
        x=columns,
        y=rows,
        mode="markers",
        name=CELL_TRACE,
        customdata=np.stack(
            [rows, columns, names[rows], names[columns], confusion.ravel(), shares.ravel()],
            axis=1,
        ),
        hovertemplate=(
            "true %{customdata[2]}, predicted %{customdata[3]}<br>%{customdata[4]} images "
            "(%{customdata[5]:.1%} of this class)<br>click to see them<extra></extra>"
        ),
        # Big transparent squares over the cells: the heatmap itself does not report clicks
        # as selections, markers do. (hoverinfo "skip" would also stop their clicks.)
        marker={"symbol": "square", "size": 30, "color": "rgba(0,0,0,0)"},
        showlegend=False,
    )


def plot_confusion_matrix(
    confusion: np.ndarray, class_names, selected: tuple[int, int] | None = None
) -> go.Figure:
    """A heatmap of counts, true class down the side and predicted class along the top.

    The diagonal holds the right answers, so the colour of the off-diagonal cells is what shows
    the mistakes: the colour scale runs on each row's share (a row of a rare class would
    otherwise look empty), while the text and the hover give the counts.

    Args:
        confusion: (classes, classes) counts; row = true class, column = predicted class.
        class_names: one name per class.
        selected: (true class, predicted class) of a cell to outline, or None.

    Returns:
        A figure with the heatmap and an invisible marker trace named CELL_TRACE on the cell
        centres, whose points carry [true class, predicted class] as customdata: clicking a
        cell selects its marker, which a page can read.
    """
    class_names = [str(name) for name in class_names]
    confusion = _check_square(confusion, class_names)
    classes = len(class_names)
    shares = _row_shares(confusion)
    figure = go.Figure(
        [_share_heatmap(confusion, shares), _cell_markers(confusion, shares, class_names)]
    )
    tick_axis = {"tickmode": "array", "tickvals": list(range(classes)), "ticktext": class_names}
    figure.update_layout(
        xaxis={**tick_axis, "title": "predicted class", "side": "top", "showgrid": False},
        yaxis={**tick_axis, "title": "true class", "autorange": "reversed", "showgrid": False},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=max(360, 38 * classes + 120),
        clickmode="event+select",
        dragmode=False,
        plot_bgcolor="white",
    )
    if selected is not None:
        true_class, predicted_class = selected
        figure.add_shape(
            type="rect",
            x0=predicted_class - 0.5,
            x1=predicted_class + 0.5,
            y0=true_class - 0.5,
            y1=true_class + 0.5,
            line={"color": SELECTED_COLOUR, "width": 3},
        )
    return figure


def plot_class_metrics(metrics: dict[str, np.ndarray], class_names) -> go.Figure:
    """Grouped bars of precision, recall and accuracy per class (as from class_metrics)."""
    class_names = [str(name) for name in class_names]
    bars = []
    for name, colour, meaning in METRIC_BARS:
        values = np.asarray(metrics[name], dtype=float)
        if values.shape != (len(class_names),):
            raise ValueError(
                f"metrics[{name!r}] must hold one value per class ({len(class_names)}). "
                f"Received: shape {values.shape}"
            )
        bars.append(
            go.Bar(
                x=class_names,
                # NaN (nothing to divide by) becomes a gap, not a zero bar.
                y=[None if np.isnan(value) else float(value) for value in values],
                name=name,
                marker_color=colour,
                hovertemplate=f"%{{x}}: {name} %{{y:.1%}}<br>{meaning}<extra></extra>",
            )
        )
    figure = go.Figure(bars)
    shown = np.concatenate([np.asarray(metrics[name], dtype=float) for name, _, _ in METRIC_BARS])
    finite = shown[np.isfinite(shown)]
    lowest = float(finite.min()) if finite.size else 0.0
    # Zoomed on the top of the scale when every figure is high, so differences show.
    bottom = 0.0 if lowest < 0.5 else max(0.0, lowest - 0.05)
    figure.update_layout(
        barmode="group",
        yaxis={"range": [bottom, 1.0], "tickformat": ".0%", "title": "share"},
        xaxis={"title": "class", "type": "category"},
        legend={"orientation": "h", "y": 1.12},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        height=340,
    )
    return figure
