"""Lesson 1's view: a picture as a grid of numbers, and a colour photo's three channels."""

from __future__ import annotations

import streamlit as st

from cnnviz.figures import lessons_images
from cnnviz.lessons import images
from cnnviz.ui.lesson_views import shared
from cnnviz.ui.lesson_views.registry import lesson_view

CROP = 8  # the zoomed crop's side, small enough to print every value in its cell


@lesson_view("pixels")
def pixels_view() -> None:
    shared.picture_chooser("lesson1")
    pixels, description = shared.picture()
    facts = images.pixel_facts(pixels)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            lessons_images.plot_pixel_grid(pixels, f"{description}: hover a pixel"),
            key="lesson1_grid",
            config=shared.CHART_CONFIG,
        )
        st.caption(
            f"The picture, {facts['height']} by {facts['width']} pixels: hover or tap a pixel "
            "to read its row, column and value."
        )
    with right:
        # The size is in the keys: a picture of another size starts its sliders afresh.
        size = f"{facts['height']}x{facts['width']}"
        row = st.slider(
            "Crop: first row",
            0,
            facts["height"] - CROP,
            value=facts["height"] // 2 - CROP // 2,
            key=f"lesson1_row_{size}",
        )
        column = st.slider(
            "Crop: first column",
            0,
            facts["width"] - CROP,
            value=facts["width"] // 2 - CROP // 2,
            key=f"lesson1_column_{size}",
        )
        crop = images.to_gray(pixels)[row : row + CROP, column : column + CROP].round()
        st.plotly_chart(
            lessons_images.plot_pixel_grid(crop, f"rows {row}-{row + CROP - 1}, zoomed"),
            key="lesson1_crop",
            config=shared.CHART_CONFIG,
        )
        st.caption(
            f"An {CROP} by {CROP} crop of the picture in gray, each cell's brightness written "
            "in it: 0 is black, 255 is white."
        )
    st.markdown(
        f"This picture is **{facts['numbers']:,} numbers**: {facts['height']} rows × "
        f"{facts['width']} columns × {facts['channels']} channel"
        f"{'s' if facts['channels'] > 1 else ''}, from {facts['smallest']} to "
        f"{facts['largest']}."
    )
    if facts["channels"] == 3:
        st.plotly_chart(
            lessons_images.plot_channels(images.channels(pixels)),
            key="lesson1_channels",
            config=shared.CHART_CONFIG,
        )
        st.caption(
            "The photo's red, green and blue channels: three grids of the same size, brighter "
            "where the photo has more of that colour."
        )
    else:
        st.info("Choose **Photo** above to see a colour picture's three channels.")
