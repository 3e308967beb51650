"""Lesson 6's view: cross-entropy for one picture as the student drags the probabilities."""

from __future__ import annotations

import streamlit as st

from cnnviz.figures import lessons_dense
from cnnviz.lessons import images, loss
from cnnviz.ui.lesson_views import shared
from cnnviz.ui.lesson_views.registry import lesson_view

CLASS_NAMES = ["cat", "dog", "frog"]  # the picture is a cat: class 0 is the right one
CAT_PHOTO = 6  # the bundled CIFAR-10 examples run two per class; class 3 (cat) starts at 6


@lesson_view("loss")
def loss_view() -> None:
    photo, _ = images.photo(CAT_PHOTO)
    picture, sliders, bars = st.columns([1, 3, 3])
    with picture:
        st.image(photo, width=96)
        st.caption("The picture: a cat, 32×32 pixels, from CIFAR-10.")
    with sliders:
        st.markdown("Drag what the network says:")
        right = st.slider(
            "Probability of cat (the right answer)",
            0.01,
            0.99,
            value=0.7,
            step=0.01,
            key="lesson6_right",
        )
        share = st.slider(
            "Of the rest, the share that goes to dog",
            0.0,
            1.0,
            value=0.5,
            step=0.05,
            key="lesson6_share",
        )
    probabilities = loss.probabilities_from(right, share)
    value = loss.cross_entropy(probabilities, 0)
    with bars:
        st.plotly_chart(
            lessons_dense.plot_class_probabilities(probabilities, CLASS_NAMES, 0),
            key="lesson6_bars",
            config=shared.CHART_CONFIG,
        )
        st.caption("The three probabilities the network gives; cat, the right class, in blue.")
    st.markdown(
        f"**Loss = −log(p(cat)) = −log({probabilities[0]:.2f}) = {value:.3f}.** "
        "Moving the rest between dog and frog changes nothing: only the right class counts."
    )
    st.plotly_chart(
        lessons_dense.plot_loss_curve(loss.loss_curve(), probabilities[0], value),
        key="lesson6_curve",
        config=shared.CHART_CONFIG,
    )
    st.caption(
        "The loss against the right class's probability: near 0 when the network is sure and "
        "right, shooting up as that probability goes to 0."
    )
    st.dataframe(
        [
            {"p(right class)": row["right_probability"], "loss": round(row["loss"], 3)}
            for row in loss.confidence_table()
        ],
        hide_index=True,
    )
    st.caption("The loss for a few probabilities of the right class, from sure to badly wrong.")
