"""Lesson 4's view: max and average pooling of lesson 2's map after ReLU, the window and the
stride, the size shrinking, and what survives a one-pixel shift."""

from __future__ import annotations

import streamlit as st

from cnnviz.explain import window_arithmetic
from cnnviz.figures import lessons_layers
from cnnviz.lessons import activations, convolution, pooling
from cnnviz.ui.lesson_views import shared
from cnnviz.ui.lesson_views.registry import lesson_view


@lesson_view("pooling")
def pooling_view() -> None:
    choose = st.columns(3)
    with choose[0]:
        kind = st.segmented_control(
            "Pooling", list(pooling.KINDS), default="max", required=True, key="lesson4_kind"
        )
    with choose[1]:
        window = st.slider("Window", 2, 4, value=2, key="lesson4_window")
    with choose[2]:
        stride = st.slider("Stride", 1, 4, value=2, key="lesson4_stride")
    image, description = shared.gray_picture()
    feature = activations.relu(convolution.feature_map(image, shared.kernel()))
    pooled = pooling.pool(feature, kind, window, stride)
    st.plotly_chart(
        lessons_layers.plot_maps([feature, pooled], ["after ReLU", f"{kind} pooled"]),
        key="lesson4_maps",
        config=shared.CHART_CONFIG,
    )
    st.caption(
        f"Lesson 2's map of {description} after ReLU, and the same map {kind} pooled with a "
        f"{window}×{window} window moving {stride} at a time: fewer, coarser values."
    )
    side = feature.shape[0]
    size = window_arithmetic.output_size(side, window, stride, "valid")
    st.markdown(
        f"**Size:** floor(({side} − {window}) / {stride}) + 1 = **{size}**, so "
        f"{feature.shape[0]}×{feature.shape[1]} = {feature.size} values become "
        f"{pooled.shape[0]}×{pooled.shape[1]} = {pooled.size}. Pooling has no weights to learn."
    )
    st.markdown("**Move the picture one pixel to the right:**")
    result = pooling.shift_survival(image, shared.kernel(), kind, 2)
    maps, bars = st.columns([2, 1])
    with maps:
        st.plotly_chart(
            lessons_layers.plot_shift(result), key="lesson4_shift", config=shared.CHART_CONFIG
        )
        st.caption(
            f"Top: the map and its 2×2 {kind} pooled map. Bottom: the same for the picture "
            "moved one pixel right."
        )
    with bars:
        st.plotly_chart(
            lessons_layers.plot_kept(result), key="lesson4_kept", config=shared.CHART_CONFIG
        )
        st.caption(
            f"Of the strong values, {100 * result['map_kept']:.0f} % stay in place in the map, "
            f"{100 * result['pooled_kept']:.0f} % in the pooled map."
        )
