"""Lesson 8's view: a tiny network's chain of values and gradients on one digit, the check of
each gradient against a finite difference, and one step of gradient descent on the filter."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.figures import lessons_backprop
from cnnviz.lessons import backprop
from cnnviz.ui.lesson_views.registry import lesson_view

DIGITS = 10  # how many of the bundled digits the student may pick from
RATES = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
WEIGHT_TITLES = {
    "kernel": "filter (9 weights)",
    "bias": "filter bias",
    "dense": "dense weights (75)",
    "dense_bias": "dense biases (3)",
}


def _gradient_check(weights, image, label, gradients) -> None:
    """A table of each weight group's largest gradient and its finite-difference check."""
    numeric = backprop.finite_differences(weights, image, label)
    rows = [
        {
            "weights": WEIGHT_TITLES[name],
            "largest |gradient|": float(np.max(np.abs(getattr(gradients, name)))),
            "relative error against finite differences": backprop.relative_error(
                getattr(gradients, name), numeric[name]
            ),
        }
        for name in WEIGHT_TITLES
    ]
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            "largest |gradient|": st.column_config.NumberColumn(format="%.4f"),
            "relative error against finite differences": st.column_config.NumberColumn(
                format="scientific"
            ),
        },
    )
    st.caption(
        f"The check: each weight nudged by ±{backprop.NUDGE:g}, the loss recomputed, and the "
        "change divided by the nudge; the chain rule's gradients agree to the last digits."
    )


@lesson_view("backprop")
def backpropagation() -> None:
    """Lesson 8: the chain rule through filter, ReLU, flatten, dense and softmax."""
    left, right = st.columns(2)
    index = left.slider("Digit", 0, DIGITS - 1, backprop.DEFAULT_IMAGE, key="lesson8_digit")
    rate = right.select_slider(
        "Learning rate of the step", RATES, backprop.DEFAULT_RATE, key="lesson8_rate"
    )
    weights = backprop.starting_weights()
    image, label = backprop.lesson_image(index)
    step = backprop.step_on_filter(weights, image, label, rate)
    values, gradients = step.before, step.gradients
    names = backprop.class_names()
    st.plotly_chart(
        lessons_backprop.plot_chain(backprop.chain(weights, values, gradients)),
        width="stretch",
        key="lesson8_chain_figure",
    )
    st.caption(
        f"Top row: each stage of the network for this {names[label]}, from the 7x7 image to "
        f"the 3 scores. Bottom row: the gradient of the loss ({values.loss:.3f}) for each "
        f"value; blue is positive, red negative, white zero."
    )
    probabilities = ", ".join(
        f"{name} {value:.2f}" for name, value in zip(names, values.probabilities, strict=True)
    )
    right_gradient = gradients.scores[label]
    st.markdown(
        f"Probabilities: {probabilities}. The loss is −log({values.probabilities[label]:.3f}) "
        f"= **{values.loss:.3f}**. The last link of the chain: dL/dscore = p − y, so for the "
        f"right class {values.probabilities[label]:.3f} − 1 = **{right_gradient:.3f}**."
    )
    _gradient_check(weights, image, label, gradients)
    st.plotly_chart(
        lessons_backprop.plot_step(
            names,
            values.probabilities,
            step.after.probabilities,
            values.loss,
            step.after.loss,
            label,
        ),
        width="stretch",
        key="lesson8_step_figure",
    )
    st.caption(
        f"One step on the filter at learning rate {rate:g}: the right class's probability goes "
        f"from {values.probabilities[label]:.2f} to {step.after.probabilities[label]:.2f} and "
        f"the loss from {values.loss:.3f} to {step.after.loss:.3f}."
    )
