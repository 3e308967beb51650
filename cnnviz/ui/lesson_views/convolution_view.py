"""Lesson 2's view: a 3x3 kernel edited cell by cell (or from a preset), slid over a picture:
the feature map, the arithmetic of one of its values, and stride and padding."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.figures import lessons_images
from cnnviz.lessons import convolution
from cnnviz.ui.lesson_views import shared
from cnnviz.ui.lesson_views.registry import lesson_view

SIZE = convolution.KERNEL_SIZE


def _cell_key(row: int, column: int) -> str:
    return f"lesson2_cell_{row}_{column}"


def _load_preset() -> None:
    # A callback: it runs before the cells are drawn, so it may set their values.
    name = st.session_state.get("lesson2_preset")
    if name in convolution.KERNEL_PRESETS:
        for row, values in enumerate(convolution.KERNEL_PRESETS[name]):
            for column, value in enumerate(values):
                st.session_state[_cell_key(row, column)] = float(value)


def presets() -> None:
    """The kernel presets as a row of buttons (a tap loads all nine cells)."""
    st.segmented_control(
        "Kernel presets",
        list(convolution.KERNEL_PRESETS),
        key="lesson2_preset",
        on_change=_load_preset,
    )


def kernel_editor() -> list[list[float]]:
    """Nine number cells with + and − buttons, across the page's width.

    Each cell needs about 120 px, or Streamlit drops its + and − buttons: across the whole
    width they have that on a 1024-pixel tablet's page, in landscape and in portrait.
    """
    stored = shared.lab()["kernel"]
    kernel = [[0.0] * SIZE for _ in range(SIZE)]
    for column, cell in enumerate(st.columns(SIZE)):
        with cell:
            for row in range(SIZE):
                key = _cell_key(row, column)
                shared.seed(key, float(stored[row][column]))
                kernel[row][column] = st.number_input(
                    f"weight row {row}, column {column}",
                    step=0.5,
                    format="%.2f",
                    key=key,
                    label_visibility="collapsed",
                )
    shared.lab()["kernel"] = kernel
    return kernel


@lesson_view("convolution")
def convolution_view() -> None:
    shared.picture_chooser("lesson2")
    presets()
    st.markdown("**The 3×3 kernel**: tap a cell to type, or use + and −")
    kernel = kernel_editor()
    settings = st.columns(3)
    bias = settings[0].number_input("Bias", step=0.5, format="%.2f", key="lesson2_bias", value=0.0)
    stride = settings[1].slider("Stride", 1, 3, key="lesson2_stride", value=1)
    padding = settings[2].segmented_control(
        "Padding", ["valid", "same"], default="valid", required=True, key="lesson2_padding"
    )
    image, description = shared.gray_picture()
    output = convolution.output_shape(image.shape, SIZE, stride, padding)
    feature = convolution.feature_map(image, kernel, bias, stride, padding)
    # First shown: the strongest value, where the kernel's pattern is clearest.
    strongest = np.unravel_index(np.argmax(np.abs(feature)), feature.shape)
    # The map's size is in the keys: another size starts the sliders afresh, in range.
    size = f"{output[0]}x{output[1]}"
    pick_row, pick_column = st.columns(2)
    row = pick_row.slider(
        "Output row", 0, output[0] - 1, value=int(strongest[0]), key=f"lesson2_row_{size}"
    )
    column = pick_column.slider(
        "Output column", 0, output[1] - 1, value=int(strongest[1]), key=f"lesson2_column_{size}"
    )
    detail = convolution.one_value(image, kernel, bias, row, column, stride, padding)
    st.plotly_chart(
        lessons_images.plot_image_and_map(image, feature, detail["origin"], SIZE, (row, column)),
        key="lesson2_map",
        config=shared.CHART_CONFIG,
    )
    st.caption(
        f"Left: {description} (orange box: the 3×3 patch under the kernel). Right: the "
        f"feature map, blue where the sum is positive, red where negative; the black box "
        f"is the value worked out below."
    )
    st.plotly_chart(
        lessons_images.plot_one_value(detail), key="lesson2_arithmetic", config=shared.CHART_CONFIG
    )
    st.caption(
        "The patch under the kernel, the kernel's 9 weights, and their 9 products, multiplied "
        "cell by cell."
    )
    # Adding 0.0 turns -0.0 (a 0 pixel times a negative weight) into a plain 0.
    products = " + ".join(f"({value + 0.0:.2f})" for value in detail["products"].ravel())
    st.markdown(
        f"**Value at row {row}, column {column}:** the 9 products add up to "
        f"{products} = **{detail['sum']:.3f}**; plus the bias {detail['bias']:.2f} gives "
        f"**{detail['value']:.3f}**."
    )
    formulas = [convolution.size_formula(side, SIZE, stride, padding) for side in image.shape[:2]]
    st.markdown(
        f"**Output size** with stride {stride} and padding '{padding}': height "
        f"{formulas[0]}, width {formulas[1]}; the map is {output[0]}×{output[1]}."
    )
