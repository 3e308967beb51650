"""Lesson 9's figure: two networks' accuracy on their training digits and on new digits, and
their sizes side by side. It takes plain arrays (cnnviz.lessons.overfitting computes them)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures.lessons_descent import OPTIMIZER_COLOURS


def _colour(index: int) -> str:
    return OPTIMIZER_COLOURS[(index + 1) % len(OPTIMIZER_COLOURS)]


def _size_bars(parameters: dict[str, int], test_accuracy: dict[str, np.ndarray]) -> go.Bar:
    """One bar per network: its weights, labelled with its final accuracy on new digits."""
    names = list(parameters)
    return go.Bar(
        x=names,
        y=[parameters[name] for name in names],
        marker_color=[_colour(index) for index in range(len(names))],
        text=[
            f"{parameters[name]:,} weights<br>{test_accuracy[name][-1]:.0%} on new digits"
            for name in names
        ],
        textposition="outside",
        showlegend=False,
        hovertemplate="%{x}: %{y:,} weights<extra></extra>",
    )


def plot_fit(
    steps: np.ndarray,
    train_accuracy: dict[str, np.ndarray],
    test_accuracy: dict[str, np.ndarray],
    parameters: dict[str, int],
) -> go.Figure:
    """Left: accuracy over training, dashed on the training digits, solid on new ones; the gap
    between a network's two lines is what it learnt by heart. Right: each network's weights."""
    if not set(train_accuracy) == set(test_accuracy) == set(parameters):
        raise ValueError(
            "Each network needs its training and test accuracy and its size. Received: "
            f"{sorted(train_accuracy)}, {sorted(test_accuracy)} and {sorted(parameters)}"
        )
    figure = make_subplots(
        1,
        2,
        column_widths=[0.65, 0.35],
        subplot_titles=("Accuracy: training digits (dashed), new digits (solid)", "Weights"),
    )
    for index, name in enumerate(train_accuracy):
        colour = _colour(index)
        for where, values, dash in (
            ("training digits", train_accuracy[name], "dash"),
            ("new digits", test_accuracy[name], "solid"),
        ):
            figure.add_trace(
                go.Scatter(
                    x=steps,
                    y=values,
                    mode="lines+markers",
                    name=f"{name}, {where}",
                    line={"color": colour, "dash": dash, "width": 2},
                    hovertemplate=f"{name}, {where}<br>step %{{x}}: %{{y:.0%}}<extra></extra>",
                ),
                1,
                1,
            )
    figure.add_trace(_size_bars(parameters, test_accuracy), 1, 2)
    figure.update_xaxes(title_text="training step", row=1, col=1)
    figure.update_yaxes(title_text="accuracy", range=[0, 1.02], tickformat=".0%", row=1, col=1)
    top = max(parameters.values())
    figure.update_yaxes(title_text="weights", range=[0, top * 1.35], row=1, col=2)
    figure.update_layout(
        height=400, margin={"t": 50, "b": 40}, legend={"orientation": "h", "y": -0.2}
    )
    return figure
