"""The network's answer for one image: its most likely classes as bars."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures import colours

OTHER_COLOUR = "#9ecae1"  # the runners-up, lighter so the answer stands out


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
    bar_colours = [OTHER_COLOUR] * (len(rows) - 1) + [colours.BAR_COLOUR]
    figure = go.Figure(
        go.Bar(
            x=percents,
            y=[name for name, _ in rows],
            orientation="h",
            text=[f"{percent:.1f} %" for percent in percents],
            textposition="outside",
            marker={"color": bar_colours},
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
