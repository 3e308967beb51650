"""Lesson 7's view: a learning-rate slider stepping down one weight's loss curve, then SGD,
momentum and Adam training the same tiny network (shared by every session, once per setting)."""

from __future__ import annotations

import streamlit as st

from cnnviz.figures import lessons_descent
from cnnviz.lessons import descent, optimizers
from cnnviz.ui.lesson_views import shared_training
from cnnviz.ui.lesson_views.registry import lesson_view

OUTCOME_WORDS = {
    descent.Outcome.TOO_SLOW: "Too small: every step goes downhill, but after {steps} steps "
    "the weight is still far from the bottom.",
    descent.Outcome.CONVERGES: "Just right: the steps reach the bottom of the curve, where the "
    "loss is smallest.",
    descent.Outcome.DIVERGES: "Too large: each step jumps over the bottom and lands higher "
    "than the last. The loss grows instead of shrinking.",
}
OUTCOME_BOXES = {
    descent.Outcome.TOO_SLOW: st.warning,
    descent.Outcome.CONVERGES: st.success,
    descent.Outcome.DIVERGES: st.error,
}


def _one_weight() -> None:
    rate = st.select_slider(
        "Learning rate (how far each step goes)",
        options=descent.RATES,
        value=descent.DEFAULT_RATE,
        key="lesson7_rate",
    )
    steps = descent.descend(rate)
    OUTCOME_BOXES[steps.outcome](OUTCOME_WORDS[steps.outcome].format(steps=descent.STEPS))
    st.plotly_chart(
        lessons_descent.plot_descent(
            *descent.loss_curve(steps), steps.weights, steps.losses, steps.best_weight
        ),
        width="stretch",
        key="lesson7_descent_figure",
    )
    st.caption(
        f"Left: the loss for each value of the one weight w, a bowl whose bottom is at "
        f"w = {steps.best_weight:.2f}, with {descent.STEPS} steps of gradient descent from "
        f"w = {descent.START_WEIGHT:g} at learning rate {rate:g}. Right: the loss after each "
        f"step, from {steps.losses[0]:.3g} to {steps.losses[-1]:.3g}."
    )
    first = steps.weights[0], steps.slopes[0], steps.weights[1]
    st.markdown(
        f"The first step with the real numbers: the slope at w = {first[0]:g} is "
        f"{first[1]:.3f}, so w becomes {first[0]:g} − {rate:g} × ({first[1]:.3f}) = "
        f"**{first[2]:.3f}**."
    )


def _three_optimizers() -> None:
    st.markdown("**Three optimizers, one tiny network**")
    rate = st.select_slider(
        "Learning rate for all three",
        options=optimizers.RATES,
        value=optimizers.DEFAULT_RATE,
        key="lesson7_comparison_rate",
    )
    settings = optimizers.ComparisonSettings(learning_rate=rate)
    if not shared_training.ready_or_asked(
        optimizers.is_ready(settings), "Train the three", "lesson7_train"
    ):
        return
    with st.spinner("Training SGD, SGD with momentum and Adam..."):
        result = optimizers.comparison(settings)
    st.plotly_chart(
        lessons_descent.plot_optimizer_curves(
            result.batch_losses,
            result.test_accuracy,
            optimizers.TRAIN_IMAGES // optimizers.BATCH_SIZE,
        ),
        width="stretch",
        key="lesson7_optimizers_figure",
    )
    final = ", ".join(
        f"{name} {accuracy[-1]:.0%}" for name, accuracy in result.test_accuracy.items()
    )
    st.caption(
        f"The same network ({result.parameters:,} weights) trained {settings.epochs} epochs on "
        f"{optimizers.TRAIN_IMAGES} small digits at learning rate {rate:g} by each optimizer. "
        f"Left: training loss per batch. Right: accuracy on {optimizers.TEST_IMAGES} other "
        f"digits, at the end: {final}."
    )


@lesson_view("descent")
def gradient_descent() -> None:
    """Lesson 7: one weight's descent, then the three optimizers."""
    _one_weight()
    _three_optimizers()
