"""Lesson 9's view: a CNN and a dense network trained on few or many digits, with dropout and
shifted digits as switches; accuracy on training and new digits, and sizes, side by side."""

from __future__ import annotations

import streamlit as st

from cnnviz.figures import lessons_overfitting
from cnnviz.lessons import overfitting
from cnnviz.ui.lesson_views import shared_training
from cnnviz.ui.lesson_views.registry import lesson_view


@lesson_view("overfitting")
def overfitting_and_cures() -> None:
    """Lesson 9: learning by heart, its cures, and a CNN against a dense network."""
    train_images = st.select_slider(
        "Training digits",
        options=overfitting.TRAIN_SIZES,
        value=overfitting.DEFAULT_TRAIN_SIZE,
        key="lesson9_train_images",
    )
    left, right = st.columns(2)
    dropout = left.toggle("Dropout (half the last inputs off)", key="lesson9_dropout")
    shifts = right.toggle("Shift training digits at random", key="lesson9_shifts")
    settings = overfitting.FitSettings(train_images, dropout, shifts)
    if not shared_training.ready_or_asked(
        overfitting.is_ready(settings), "Train both networks", "lesson9_train"
    ):
        return
    with st.spinner("Training the CNN and the dense network..."):
        result = overfitting.fit(settings)
    st.plotly_chart(
        lessons_overfitting.plot_fit(
            result.steps, result.train_accuracy, result.test_accuracy, result.parameters
        ),
        width="stretch",
        key="lesson9_figure",
    )
    ends = "; ".join(
        f"{name}: {result.train_accuracy[name][-1]:.0%} on its training digits, "
        f"{result.test_accuracy[name][-1]:.0%} on new ones ({result.parameters[name]:,} weights)"
        for name in result.parameters
    )
    st.caption(
        f"Both networks trained {overfitting.STEPS} steps on {train_images} digits"
        f"{', with dropout' if dropout else ''}{', shifted at random' if shifts else ''}. "
        f"At the end, {ends}."
    )
