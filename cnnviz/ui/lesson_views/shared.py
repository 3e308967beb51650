"""What several lesson views share: the picture the lessons work on and lesson 2's kernel.

They live in the workspace's lessons entry (plain JSON: the source, the picture's number and
the kernel's nine numbers), so lesson 3's feature map is the one the student made in lesson 2;
an uploaded picture's pixels stay in this browser tab's session only.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.lessons import convolution, images
from cnnviz.ui import state

LAB = "lab"  # the key inside workspace()[state.LESSONS]
# The lessons' figures without plotly's tool bar: it covers titles on a tablet, and a student
# needs hover, not zoom and export.
CHART_CONFIG = {"displayModeBar": False}
UPLOADED = "cnnviz_lesson_upload"  # session-state key of the uploaded picture's pixels
DEFAULT_LAB = {
    "source": images.DIGIT,
    "index": 0,
    "kernel": convolution.KERNEL_PRESETS[convolution.DEFAULT_PRESET],
}


def lab() -> dict:
    """The lessons' shared choices in the workspace, with their first values filled in."""
    lessons = state.workspace().setdefault(state.LESSONS, {})
    choices = lessons.setdefault(LAB, {})
    for name, value in DEFAULT_LAB.items():
        choices.setdefault(name, value)
    return choices


def picture() -> tuple[np.ndarray, str]:
    """The chosen picture's raw pixels (0-255) and a short description of it."""
    choices = lab()
    if choices["source"] == images.UPLOAD and st.session_state.get(UPLOADED) is not None:
        return st.session_state[UPLOADED], "your picture"
    if choices["source"] == images.PHOTO:
        pixels, name = images.photo(choices["index"])
        article = "an" if name[:1].lower() in "aeiou" else "a"
        return pixels, f"a photo of {article} {name}"
    pixels, name = images.digit(choices["index"] if choices["source"] == images.DIGIT else 0)
    return pixels, f"a handwritten {name}"


def gray_picture() -> tuple[np.ndarray, str]:
    """The chosen picture in gray, scaled to 0-1 as a network's first layer receives it."""
    pixels, description = picture()
    return images.to_gray(pixels) / 255.0, description


def kernel() -> np.ndarray:
    """Lesson 2's kernel as the student left it."""
    return convolution.check_kernel(lab()["kernel"])


def kernel_text() -> str:
    """Lesson 2's kernel in one line, row by row: "-1 0 1 / -1 0 1 / -1 0 1"."""
    return " / ".join(" ".join(f"{value:g}" for value in row) for row in kernel().round(2))


def seed(key: str, value) -> None:
    """Give a widget its first value from the workspace, once: a keyed widget keeps its own
    value while it is drawn, and loses it when a lesson without it is drawn."""
    if key not in st.session_state:
        st.session_state[key] = value


def picture_chooser(prefix: str) -> None:
    """The source (digit, photo, own picture) and which bundled picture, as touch-friendly
    widgets; the choice is written to the workspace for every lesson."""
    choices = lab()
    seed(f"{prefix}_source", choices["source"])
    source = st.segmented_control("Picture", images.SOURCES, required=True, key=f"{prefix}_source")
    choices["source"] = source or images.DIGIT
    if choices["source"] == images.UPLOAD:
        upload = st.file_uploader(
            "Your own picture (PNG, JPEG, ...); it is shrunk to 40 pixels a side",
            type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
            key=f"{prefix}_upload",
        )
        if upload is not None:
            try:
                st.session_state[UPLOADED] = images.upload(upload.getvalue())
            except ValueError as error:
                st.error(str(error))
        if st.session_state.get(UPLOADED) is None:
            st.info("No picture yet: until you upload one, the lesson uses a digit.")
    else:
        count = images.example_count(choices["source"])
        seed(f"{prefix}_index", min(int(choices["index"]), count - 1))
        choices["index"] = st.slider("Which picture", 0, count - 1, key=f"{prefix}_index")
