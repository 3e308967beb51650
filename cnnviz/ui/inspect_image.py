"""The Inspect page's image sources: a test image, a bundled example, an upload or a drawing.

Each source ends in the same place: the prepared input the model takes (uint8, the data set's
input shape) and, for pictures from outside the data set, what cnnviz decoded from them, which
the page shows beside the prepared input. Uploads and drawings are prepared as the Preparation
control says (cnnviz.data.input_preparation): by default a picture that already is a model input
goes in unchanged, and the page says what was done.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import quantities
from cnnviz.data import examples, file_reading, images, input_preparation
from cnnviz.data.input_preparation import Preparation

SOURCES = {
    "test": "A test image",
    "example": "An example",
    "draw": "Draw",
    "upload": "Upload your own",
}
CANVAS_SIZE = 280
DRAWABLE = ("mnist", "fashion_mnist")  # data sets whose pictures a student can draw


@dataclass
class ChosenImage:
    """The image the page explains."""

    prepared: np.ndarray  # what the model takes
    original: np.ndarray | None = None  # what cnnviz decoded from a file or drawing
    true_label: str | None = None
    origin: str = ""  # a short caption: where the image came from
    note: str = ""  # how the picture became what the network takes, when it was changed


def _test_image(dataset, choices: dict) -> ChosenImage:
    info = dataset.info
    opened = choices.pop("index", None)
    if opened is not None:
        # Another page asked for this test image: show it among all classes (the class
        # chooser's first option, which it falls back to without a value of its own).
        st.session_state.pop("inspect_class", None)
        choices["position"] = int(opened)
    columns = st.columns([2, 3, 1], vertical_alignment="bottom")
    wanted = columns[0].selectbox(
        "Class",
        ["any", *range(info.num_classes)],
        format_func=lambda value: "any class" if value == "any" else info.class_names[value],
        key="inspect_class",
    )
    candidates = (
        np.arange(len(dataset.y_test))
        if wanted == "any"
        else np.flatnonzero(dataset.y_test == wanted)
    )
    position = min(choices.get("position", 0), len(candidates) - 1)
    if columns[2].button("Random", icon=":material/casino:", width="stretch"):
        position = int(np.random.default_rng().integers(len(candidates)))
    position = columns[1].slider("Which one", 0, len(candidates) - 1, position)
    choices["position"] = position
    index = int(candidates[position])
    return ChosenImage(
        prepared=dataset.x_test[index],
        true_label=info.class_names[int(dataset.y_test[index])],
        origin=f"test image {index}",
    )


def _example(dataset, choices: dict) -> ChosenImage | None:
    info = dataset.info
    files = examples.example_files(info.name)
    if not files:
        st.info("No example pictures are bundled for this data set.")
        return None
    labels = {
        f"{info.class_names[label]} {'ab'[count % 2]}": path
        for count, (label, path) in enumerate(files)
    }
    chosen = st.pills(
        "Pick one (two per class, from the test set)",
        list(labels),
        default=choices.get("example") if choices.get("example") in labels else None,
        key="inspect_example",
    )
    if chosen is None:
        st.caption("Click a class name to see one of its examples.")
        return None
    choices["example"] = chosen
    data = labels[chosen].read_bytes()
    return ChosenImage(
        prepared=images.prepare_upload(data, info.input_shape),
        true_label=chosen.rsplit(" ", 1)[0],
        origin=f"bundled example {labels[chosen].name}",
    )


def _preparation(choices: dict) -> Preparation:
    """The Preparation control: how an upload or a drawing becomes the network's input."""
    chosen = st.segmented_control(
        "Preparation",
        list(Preparation),
        default=choices.get("prepare", Preparation.AUTO),
        format_func=lambda value: Preparation(value).value,
        key="inspect_prepare",
        help=" · ".join(input_preparation.DESCRIPTIONS.values()),
    )
    # The widget's key goes when the student leaves the page; the choice stays in the workspace.
    choices["prepare"] = Preparation(chosen or choices.get("prepare", Preparation.AUTO))
    return choices["prepare"]


def _drawing(dataset, choices: dict) -> ChosenImage | None:
    from streamlit_drawable_canvas import st_canvas  # its component registers on import

    info = dataset.info
    if info.name not in DRAWABLE:
        st.info(f"Drawing suits the gray 28x28 data sets; {info.title} holds colour photos.")
        return None
    digit_style = input_preparation.is_digit_model(info.name)
    preparation = _preparation(choices)
    # The canvas's toolbar sits above it; this keeps it off the source chooser.
    st.space("medium")
    canvas_column, help_column = st.columns([2, 1])
    with help_column:
        brush = st.slider("Brush size", 6, 40, 20, key="inspect_brush")
        st.caption(
            "Draw in the black square. The toolbar above it undoes, redoes and clears. "
            + (
                "Your digit is cropped to the ink, fitted into 20x20 pixels and centred by its "
                "mass in 28x28, as MNIST's digits were."
                if digit_style
                else "The whole square is shrunk to 28x28, light on black as in Fashion-MNIST."
            )
            * (preparation == Preparation.AUTO)
        )
    with canvas_column:
        result = st_canvas(
            stroke_width=brush,
            stroke_color="#FFFFFF",
            background_color="#000000",
            height=CANVAS_SIZE,
            width=CANVAS_SIZE,
            drawing_mode="freedraw",
            return_image_data=True,
            key="inspect_canvas",
        )
    drawing = result.image_data
    if drawing is None or drawing.ndim != 3 or drawing.shape[2] != 4:
        st.caption("The predictions appear as soon as you draw.")
        return None
    ink = images.canvas_ink(drawing)
    if not ink.any():
        st.caption("The predictions appear as soon as you draw.")
        return None
    try:
        prepared = input_preparation.prepare_drawing(
            drawing, info.input_shape, preparation, digit_model=digit_style
        )
    except ValueError as problem:
        st.warning(str(problem), icon=":material/draw:")
        return None
    return ChosenImage(
        prepared=prepared.pixels,
        original=ink[..., np.newaxis],
        origin="your drawing",
        note=prepared.note,
    )


def _upload(dataset, choices: dict) -> ChosenImage | None:
    info = dataset.info
    preparation = _preparation(choices)
    uploaded = st.file_uploader(
        f"A {images.FORMATS_HINT} picture",
        type=list(images.UPLOAD_EXTENSIONS),
        key="inspect_upload",
        help="Any size up to "
        + f"{quantities.format_bytes(file_reading.UPLOAD_IMAGE_BYTES)}; it is converted to what "
        + "the network takes: "
        + ("a grayscale 28x28 image" if info.input_shape[-1] == 1 else "an RGB 32x32 image")
        + ".",
    )
    if uploaded is None:
        st.caption(
            "Tip: a dark digit on white paper works for MNIST; cnnviz inverts and centres it."
        )
        return None
    data = uploaded.getvalue()
    try:
        prepared = input_preparation.prepare_upload(
            data,
            info.input_shape,
            preparation,
            digit_model=input_preparation.is_digit_model(info.name),
        )
        original = images.decode_for_display(data)
    except ValueError as problem:
        st.error(f"Could not use {uploaded.name}: {problem}", icon=":material/error:")
        return None
    return ChosenImage(
        prepared=prepared.pixels, original=original, origin=uploaded.name, note=prepared.note
    )


def choose_image(dataset, choices: dict) -> ChosenImage | None:
    """Draw the source chooser and the chosen source's widgets; returns the image or None."""
    if choices.get("index") is not None:
        # Another page asked for a test image: the chooser starts again from "test".
        choices["source"] = "test"
        st.session_state.pop("inspect_source", None)
    source = st.segmented_control(
        "Image",
        list(SOURCES),
        default=choices["source"],
        format_func=SOURCES.get,
        key="inspect_source",
    )
    choices["source"] = source or choices["source"]
    if choices["source"] == "test":
        return _test_image(dataset, choices)
    if choices["source"] == "example":
        return _example(dataset, choices)
    if choices["source"] == "draw":
        return _drawing(dataset, choices)
    return _upload(dataset, choices)
