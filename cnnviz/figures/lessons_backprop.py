"""Lesson 8's figures: the chain of a tiny network, each stage's values above its gradients,
and what one step of gradient descent did to the probabilities and the loss. They take plain
arrays (cnnviz.lessons.backprop computes them)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures.lessons_descent import OPTIMIZER_COLOURS

SIGNED_SCALE = "RdBu"  # diverging and colour-blind safe: red below zero, blue above
IMAGE_SCALE = "Greys"
MAX_TEXT_CELLS = 9  # write the numbers in grids up to 3x3; in bigger ones they overlap


def _heatmap(values: np.ndarray, signed: bool, hover: str) -> go.Heatmap:
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    style = {"colorscale": IMAGE_SCALE, "reversescale": True}
    if signed:
        # Zero in the middle of the scale and the same reach both ways, so white means zero.
        reach = float(np.max(np.abs(values))) or 1.0
        style = {"colorscale": SIGNED_SCALE, "zmid": 0.0, "zmin": -reach, "zmax": reach}
    text = {}
    if values.size <= MAX_TEXT_CELLS:
        text = {"texttemplate": "%{z:.2f}", "textfont": {"size": 10}}
    return go.Heatmap(
        z=values,
        showscale=False,
        hovertemplate=f"{hover}<br>row %{{y}}, column %{{x}}<br>%{{z:.4f}}<extra></extra>",
        **style,
        **text,
    )


def plot_chain(stages: list[tuple[str, np.ndarray, np.ndarray | None, bool]]) -> go.Figure:
    """One column per stage of the network: its values on top, dL/d(those values) below.

    Args:
        stages: (title, values, gradient or None, whether the values are signed) in the order
            the forward pass meets them; 1-D values are drawn as one row.
    """
    if not stages:
        raise ValueError("The chain needs at least one stage. Received: stages=[]")
    titles = [title for title, *_ in stages] + [
        f"dL/d({title})" if gradient is not None else "" for title, _, gradient, _ in stages
    ]
    figure = make_subplots(
        2,
        len(stages),
        subplot_titles=titles,
        vertical_spacing=0.12,
        horizontal_spacing=0.03,
    )
    for column, (title, values, gradient, signed) in enumerate(stages, start=1):
        figure.add_trace(_heatmap(values, signed, title), 1, column)
        if gradient is not None:
            figure.add_trace(_heatmap(gradient, True, f"dL/d({title})"), 2, column)
    figure.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor=None)
    figure.update_xaxes(showticklabels=False)
    figure.update_annotations(font_size=11)
    figure.update_layout(height=420, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    return figure


def plot_step(
    class_names: list[str],
    probabilities_before: np.ndarray,
    probabilities_after: np.ndarray,
    loss_before: float,
    loss_after: float,
    right_class: int,
) -> go.Figure:
    """Each class's probability before and after one step, and the loss in the title."""
    figure = go.Figure()
    for name, values, colour in (
        ("before the step", probabilities_before, OPTIMIZER_COLOURS[0]),
        ("after the step", probabilities_after, OPTIMIZER_COLOURS[1]),
    ):
        figure.add_bar(
            x=[
                f"{label}{' (right)' if index == right_class else ''}"
                for index, label in enumerate(class_names)
            ],
            y=np.asarray(values, dtype=np.float64),
            name=name,
            marker_color=colour,
            texttemplate="%{y:.2f}",
            hovertemplate=f"{name}<br>%{{x}}: %{{y:.3f}}<extra></extra>",
        )
    figure.update_layout(
        title=f"Loss {loss_before:.3f} before the step, {loss_after:.3f} after",
        barmode="group",
        yaxis={"title": "probability", "range": [0, 1]},
        height=320,
        margin={"t": 50, "b": 40},
    )
    return figure
