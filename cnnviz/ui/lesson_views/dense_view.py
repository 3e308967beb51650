"""Lesson 5's view: a stack of maps flattened, a dense layer's weighted sums, softmax, and
parameter counts by hand beside Keras's."""

from __future__ import annotations

import streamlit as st

from cnnviz.figures import lessons_dense
from cnnviz.lessons import dense
from cnnviz.ui.lesson_views import shared
from cnnviz.ui.lesson_views.registry import lesson_view

CLASS_NAMES = [str(digit) for digit in range(dense.CLASS_COUNT)]


@lesson_view("dense")
def dense_view() -> None:
    image, description = shared.gray_picture()
    maps = dense.stack_of_maps(image)
    flat = dense.flatten(maps)
    st.plotly_chart(
        lessons_dense.plot_flatten(maps, flat), key="lesson5_flatten", config=shared.CHART_CONFIG
    )
    st.caption(
        f"Three pooled feature maps of {description} ({', '.join(dense.STACK_KERNELS)} "
        f"kernels), {maps.shape[0]}×{maps.shape[1]}×{maps.shape[2]}; below, the marked row's "
        f"place in the flat list of all {flat.size} numbers."
    )
    weights, bias = dense.dense_weights(flat.size)
    scores = dense.dense(flat, weights, bias)
    probabilities = dense.softmax(scores)
    st.plotly_chart(
        lessons_dense.plot_scores_and_probabilities(scores, probabilities, CLASS_NAMES),
        key="lesson5_softmax",
        config=shared.CHART_CONFIG,
    )
    st.caption(
        "Left: the 10 units' weighted sums (scores). Right: softmax's probabilities, all "
        "between 0 and 1 and adding up to 1. The weights are random, not trained."
    )
    unit = st.slider("Look at unit", 0, dense.CLASS_COUNT - 1, value=0, key="lesson5_unit")
    detail = dense.unit_detail(flat, weights, bias, unit)
    terms = " + ".join(
        f"{value:.2f}×({weight:.3f})"
        for value, weight in zip(detail["inputs"], detail["weights"], strict=True)
    )
    st.markdown(
        f"**Unit {unit}** multiplies each of the {detail['input_count']} numbers by its own "
        f"weight and adds them up. Its largest terms: {terms}; the other "
        f"{detail['input_count'] - len(detail['top'])} terms add {detail['rest']:.3f}; plus "
        f"the bias {detail['bias']:.3f}: score **{detail['sum']:.3f}**. Softmax turns the "
        f"scores into probabilities: e^score / (sum of e^score over all 10) = "
        f"**{probabilities[unit]:.3f}**."
    )
    st.markdown("**Parameters of the Keras example network on MNIST (28×28×1), by hand:**")
    st.dataframe(
        [
            {
                "layer": row["layer"],
                "output": row["output"],
                "by hand": row["by_hand"],
                "= by hand": row["by_hand_count"],
                "Keras": row["keras_count"],
            }
            for row in dense.parameter_rows()
        ],
        hide_index=True,
    )
    st.caption(
        "Each layer's learned numbers worked out by hand, beside the count Keras's "
        "model.summary() shows; the two Dense layers hold most of them."
    )
