"""Lesson 7's figures: gradient descent down one weight's loss curve, and three optimizers'
curves side by side. They take plain arrays (cnnviz.lessons computes them)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures.training_curves import smooth

CURVE_COLOUR = "#7f7f7f"
STEP_COLOUR = "#0072B2"
BEST_COLOUR = "#009E73"
# Okabe-Ito colours: told apart with any colour vision.
OPTIMIZER_COLOURS = ("#E69F00", "#0072B2", "#009E73", "#CC79A7")


def _step_labels(weights: np.ndarray, curve_weights: np.ndarray) -> list[str]:
    """Each step's number, left blank where it would sit on top of the previous label."""
    gap = 0.04 * (curve_weights.max() - curve_weights.min())
    labels, last = [], None
    for index, weight in enumerate(weights):
        if last is None or abs(weight - last) > gap:
            labels.append(str(index))
            last = weight
        else:
            labels.append("")
    return labels


def _add_steps(
    figure: go.Figure, curve_weights: np.ndarray, step_weights: np.ndarray, step_losses
) -> None:
    """The numbered steps on the curve, up to the first that leaves its window (then a note)."""
    inside = (step_weights >= curve_weights.min()) & (step_weights <= curve_weights.max())
    # Draw the steps up to the first one that leaves the window.
    shown = int(np.argmin(inside)) if not inside.all() else len(step_weights)
    figure.add_trace(
        go.Scatter(
            x=step_weights[:shown],
            y=step_losses[:shown],
            mode="markers+lines+text",
            text=_step_labels(step_weights[:shown], curve_weights),
            textposition="top center",
            name="steps",
            marker={"color": STEP_COLOUR, "size": 9},
            line={"color": STEP_COLOUR, "width": 1},
            customdata=np.arange(shown),
            hovertemplate="step %{customdata}<br>w = %{x:.3f}<br>loss = %{y:.3f}<extra></extra>",
        ),
        1,
        1,
    )
    if shown < len(step_weights):
        figure.add_annotation(
            text=(
                f"step {shown} leaves the picture; after step {len(step_weights) - 1}: "
                f"w = {step_weights[-1]:,.4g}, loss = {step_losses[-1]:,.4g}"
            ),
            xref="x domain",
            yref="y domain",
            x=0.5,
            y=1.0,
            showarrow=False,
            font={"color": STEP_COLOUR},
        )


def plot_descent(
    curve_weights: np.ndarray,
    curve_losses: np.ndarray,
    step_weights: np.ndarray,
    step_losses: np.ndarray,
    best_weight: float,
) -> go.Figure:
    """The loss curve over one weight with the steps on it (left) and the loss per step (right).

    Steps outside the curve's window are left off the left panel and a note says where the
    last one went; the right panel has a logarithmic loss axis, so it holds them all.
    """
    figure = make_subplots(
        1, 2, column_widths=[0.6, 0.4], subplot_titles=("The loss over the weight", "Loss per step")
    )
    figure.add_trace(
        go.Scatter(
            x=curve_weights,
            y=curve_losses,
            mode="lines",
            name="loss",
            line={"color": CURVE_COLOUR},
            hovertemplate="w = %{x:.2f}<br>loss = %{y:.3f}<extra></extra>",
        ),
        1,
        1,
    )
    _add_steps(figure, curve_weights, step_weights, step_losses)
    figure.add_vline(x=best_weight, line={"color": BEST_COLOUR, "dash": "dot"}, row=1, col=1)
    figure.add_trace(
        go.Scatter(
            x=np.arange(len(step_losses)),
            y=step_losses,
            mode="markers+lines",
            name="loss per step",
            marker={"color": STEP_COLOUR},
            hovertemplate="step %{x}<br>loss = %{y:.4g}<extra></extra>",
        ),
        1,
        2,
    )
    figure.update_xaxes(title_text="weight w", row=1, col=1)
    figure.update_yaxes(title_text="loss", row=1, col=1)
    figure.update_xaxes(title_text="step", dtick=2, row=1, col=2)
    # One tick per power of ten: plotly's default log ticks (2, 5, 2, 5...) confuse a reader.
    figure.update_yaxes(title_text="loss (log scale)", type="log", dtick=1, row=1, col=2)
    figure.update_layout(showlegend=False, height=380, margin={"t": 50, "b": 40})
    return figure


def plot_optimizer_curves(
    batch_losses: dict[str, np.ndarray],
    test_accuracy: dict[str, np.ndarray],
    batches_per_epoch: int,
) -> go.Figure:
    """Each optimizer's training loss (per batch, smoothed) and held-out accuracy per epoch.

    Args:
        batch_losses: optimizer name -> the loss of each batch.
        test_accuracy: optimizer name -> accuracy before training, then after each epoch.
        batches_per_epoch: to put the batches on the same epoch axis as the accuracy.
    """
    if set(batch_losses) != set(test_accuracy):
        raise ValueError(
            "Each optimizer needs both its losses and its accuracy. "
            f"Received: {sorted(batch_losses)} and {sorted(test_accuracy)}"
        )
    figure = make_subplots(
        1, 2, subplot_titles=("Training loss", "Accuracy on digits it never trained on")
    )
    for index, (name, losses) in enumerate(batch_losses.items()):
        colour = OPTIMIZER_COLOURS[index % len(OPTIMIZER_COLOURS)]
        epochs = np.arange(1, len(losses) + 1) / batches_per_epoch
        figure.add_trace(
            go.Scatter(
                x=epochs,
                y=smooth(losses, 0.6),
                mode="lines",
                name=name,
                legendgroup=name,
                line={"color": colour, "width": 2},
                hovertemplate=f"{name}<br>epoch %{{x:.2f}}<br>loss %{{y:.3f}}<extra></extra>",
            ),
            1,
            1,
        )
        accuracy = test_accuracy[name]
        figure.add_trace(
            go.Scatter(
                x=np.arange(len(accuracy)),
                y=accuracy,
                mode="markers+lines",
                name=name,
                legendgroup=name,
                showlegend=False,
                line={"color": colour, "width": 2},
                hovertemplate=f"{name}<br>epoch %{{x}}<br>accuracy %{{y:.0%}}<extra></extra>",
            ),
            1,
            2,
        )
    figure.update_xaxes(title_text="epoch")
    figure.update_yaxes(title_text="loss", rangemode="tozero", row=1, col=1)
    figure.update_yaxes(title_text="accuracy", range=[0, 1], tickformat=".0%", row=1, col=2)
    figure.update_layout(
        height=380,
        margin={"t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure
