"""Lesson 3's view: the activation functions as curves, and applied to lesson 2's map."""

from __future__ import annotations

import streamlit as st

from cnnviz.figures import lessons_layers
from cnnviz.lessons import activations, convolution
from cnnviz.ui.lesson_views import shared
from cnnviz.ui.lesson_views.registry import lesson_view


@lesson_view("activations")
def activations_view() -> None:
    name = st.segmented_control(
        "Activation",
        list(activations.ACTIVATIONS),
        default="relu",
        required=True,
        key="lesson3_activation",
    )
    # One above the other: side by side, the maps are too small to read on a tablet.
    st.plotly_chart(
        lessons_layers.plot_activation_curves(activations.curves(), name),
        key="lesson3_curves",
        config=shared.CHART_CONFIG,
    )
    st.caption(
        f"Each activation's output against its input; {name} drawn thick. "
        f"{activations.FORMULAS[name]}."
    )
    image, description = shared.gray_picture()
    feature = convolution.feature_map(image, shared.kernel())
    change = activations.what_changes(name, feature)
    st.plotly_chart(
        lessons_layers.plot_maps(
            [feature, change["result"]], ["lesson 2's feature map", f"after {name}"]
        ),
        key="lesson3_maps",
        config=shared.CHART_CONFIG,
    )
    st.caption(
        f"Lesson 2's feature map of {description} before and after {name}: blue positive, "
        "red negative, white zero."
    )
    share = 100 * change["negative_share"]
    if name == "relu":
        st.markdown(
            f"ReLU set **{change['zeroed_count']} of {change['total_count']} values "
            f"({share:.0f} %)** to zero: every negative value, where the kernel's pattern was "
            "absent or reversed. Only the places where the pattern was found are kept."
        )
    else:
        st.markdown(
            f"{change['negative_count']} of {change['total_count']} values ({share:.0f} %) "
            f"were negative; {name} squeezes them instead of throwing them away."
        )
    st.caption(f"The kernel is the one you left in lesson 2: {shared.kernel_text()}.")
