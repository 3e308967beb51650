"""Lesson 2's view: a 3x3 kernel edited cell by cell (or from a preset), slid over a picture:
the feature map, the arithmetic of one of its values, and stride and padding."""

from __future__ import annotations

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


def kernel_editor() -> list[list[float]]:
    """Nine number cells with + and − buttons (large enough for a finger) and the presets."""
    st.segmented_control(
        "Presets",
        list(convolution.KERNEL_PRESETS),
        key="lesson2_preset",
        on_change=_load_preset,
    )
    stored = shared.lab()["kernel"]
    kernel = []
    for row in range(SIZE):
        cells = st.columns(SIZE)
        values = []
        for column, cell in enumerate(cells):
            key = _cell_key(row, column)
            shared.seed(key, float(stored[row][column]))
            with cell:
                values.append(
                    st.number_input(
                        f"weight row {row}, column {column}",
                        step=0.5,
                        format="%.2f",
                        key=key,
                        label_visibility="collapsed",
                    )
                )
        kernel.append(values)
    shared.lab()["kernel"] = kernel
    return kernel


@lesson_view("convolution")
def convolution_view() -> None:
    shared.picture_chooser("lesson2")
    edit, show = st.columns([2, 3])
    with edit:
        st.markdown("**The 3×3 kernel** (tap a cell, or + and −)")
        kernel = kernel_editor()
        bias = st.number_input("Bias", step=0.5, format="%.2f", key="lesson2_bias", value=0.0)
        stride = st.slider("Stride", 1, 3, key="lesson2_stride", value=1)
        padding = st.segmented_control(
            "Padding", ["valid", "same"], default="valid", required=True, key="lesson2_padding"
        )
    image, description = shared.gray_picture()
    output = convolution.output_shape(image.shape, SIZE, stride, padding)
    with show:
        # The map's size is in the keys: another size starts the sliders afresh, in range.
        size = f"{output[0]}x{output[1]}"
        row = st.slider(
            "Output row", 0, output[0] - 1, value=output[0] // 2, key=f"lesson2_row_{size}"
        )
        column = st.slider(
            "Output column", 0, output[1] - 1, value=output[1] // 2, key=f"lesson2_column_{size}"
        )
        detail = convolution.one_value(image, kernel, bias, row, column, stride, padding)
        feature = convolution.feature_map(image, kernel, bias, stride, padding)
        st.plotly_chart(
            lessons_images.plot_image_and_map(
                image, feature, detail["origin"], SIZE, (row, column)
            ),
            key="lesson2_map",
        )
        st.caption(
            f"Left: {description} (orange box: the 3×3 patch under the kernel). Right: the "
            f"feature map, blue where the sum is positive, red where negative; the black box "
            f"is the value worked out below."
        )
    st.plotly_chart(lessons_images.plot_one_value(detail), key="lesson2_arithmetic")
    st.caption(
        "The patch under the kernel, the kernel's 9 weights, and their 9 products, multiplied "
        "cell by cell."
    )
    products = " + ".join(f"({value:.2f})" for value in detail["products"].ravel())
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
