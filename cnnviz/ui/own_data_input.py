"""The My data page's ways to add pictures: uploads, the camera, the canvas, a zip, a file.

Each acts in a callback (or, for the canvas, on its button) and says what happened through
`cnnviz.ui.own_data.say`, which the page shows once.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz import quantities
from cnnviz.data import extra_datasets, file_reading, images, own_archive, own_data
from cnnviz.ui import state as keys
from cnnviz.ui.own_data import own, page_state, say

PICTURE_TYPES = [extension.lstrip(".") for extension in own_archive.IMAGE_EXTENSIONS]
CANVAS_SIZE = 224
# A photo whose pixels spread less than this (out of 255) shows nothing: a black first frame.
BLANK_PHOTO_SPREAD = 2.0
CAMERA_WIDTH = 400  # pixels; the full page width would push the classes far down
# What to do with a file over an uploader's cap (the command line reads larger files).
ZIP_ADVICE = (
    "Split it into smaller zips, or make the data set file on the command line (cnnviz data "
    f"--from FOLDER_OR_ZIP reads zips of up to {quantities.format_bytes(file_reading.ZIP_BYTES)}) "
    "and load that file here."
)
NPZ_ADVICE = (
    "A data set file downloaded from this page is smaller; a teacher can put larger ones in the "
    "server's data folder."
)


def _add_prepared(class_index: int, prepared: list[np.ndarray], origin: str) -> None:
    data = own()
    try:
        result = data.add_images(class_index, prepared)
    except ValueError as error:
        say("error", str(error))
        return
    if result.added == 0 and result.duplicates:
        say(
            "warning",
            f"Nothing was added: the {origin} {'is' if result.duplicates == 1 else 'are'} "
            f"already in the data set.",
        )
        return
    text = f"Added {result.added} {origin} to {data.class_names[class_index]}."
    if result.duplicates:
        text += f" {result.duplicates} duplicate(s) of pictures already there were skipped."
    say("success", text)


def _on_add_uploads(class_index: int, widget_key: str) -> None:
    files = st.session_state.get(widget_key) or []
    prepared, failures = [], []
    for file in files:
        try:
            prepared.append(own_data.prepare_file(file.getvalue(), own().input_shape, own().fit))
        except ValueError as error:
            failures.append(f"{file.name}: {error}")
    _add_prepared(class_index, prepared, "picture(s)")
    if failures:
        say("warning", f"{len(failures)} file(s) were skipped. " + " ".join(failures[:3]))
    page_state()["round"] += 1  # a fresh uploader, empty for the next pictures


def _on_photo(class_index: int, widget_key: str) -> None:
    photo = st.session_state.get(widget_key)
    if photo is None:
        return
    try:
        prepared = own_data.prepare_file(photo.getvalue(), own().input_shape, own().fit)
    except ValueError as error:
        say("error", str(error))
        return
    _add_prepared(class_index, [prepared], "photo")
    if prepared.std() < BLANK_PHOTO_SPREAD:
        count = len(own().class_images[class_index])
        say(
            "warning",
            f"That photo is all one colour: the camera may not have been ready. If so, remove "
            f"picture {count} of {own().class_names[class_index]} and take another.",
        )
    page_state()["camera_round"] += 1  # a fresh camera, ready for the next photo


def _on_zip(widget_key: str) -> None:
    upload = st.session_state.get(widget_key)
    if upload is None:
        return
    data = own()
    try:
        file_reading.check_upload(
            upload.name, upload.size, file_reading.UPLOAD_ZIP_BYTES, ZIP_ADVICE
        )
        report = own_archive.read_class_folders(
            upload.getvalue(), data.input_shape, data.fit, max_images=data.room()
        )
        own_archive.add_to(data, report)
    except file_reading.FileTooLarge as error:
        say("error", str(error))
        page_state()["round"] += 1  # a fresh uploader lets go of the refused file's memory
        return
    except ValueError as error:
        say("error", f"{upload.name}: {error}")
        return
    # What was added, after duplicates within the zip and of pictures already held were skipped.
    counts = ", ".join(
        f"{name} ({added})" for name, added in zip(report.class_names, report.added, strict=True)
    )
    say("success", f"Added {sum(report.added)} pictures from {upload.name}: {counts}.")
    for note in report.notes():
        say("info", note)
    page_state()["round"] += 1


def _on_npz(widget_key: str) -> None:
    upload = st.session_state.get(widget_key)
    if upload is None:
        return
    try:
        file_reading.check_upload(
            upload.name, upload.size, file_reading.UPLOAD_NPZ_BYTES, NPZ_ADVICE
        )
        loaded = extra_datasets.read_labelled_npz(
            upload.getvalue(),
            "upload",
            upload.name,
            source_kind="own",
            max_bytes=extra_datasets.MAX_UPLOAD_NPZ_BYTES,
        )
        replacement = own_data.OwnData.from_dataset(loaded, own().fit)
        replacement.set_test_fraction(own().test_fraction)
    except file_reading.FileTooLarge as error:
        say("error", str(error))
        page_state()["round"] += 1  # a fresh uploader lets go of the refused file's memory
        return
    except ValueError as error:
        say("error", f"{upload.name}: {error}")
        return
    keys.workspace()[keys.OWN_DATA] = replacement
    say(
        "success",
        f"Loaded {upload.name}: {len(replacement.class_names)} classes, "
        f"{replacement.total_images} pictures. It replaced the classes you had.",
    )
    duplicates = len(loaded.x_train) + len(loaded.x_test) - replacement.total_images
    if duplicates:
        say("info", f"{duplicates} duplicate picture(s) in the file were skipped.")
    page_state()["round"] += 1


def picture_adder() -> None:
    """Upload, camera and drawing tabs that add pictures to the chosen class."""
    data = own()
    if not data.class_names:
        st.info("Add a class first, or load a zip of class folders or a data set file below.")
        return
    names = data.class_names
    class_index = st.selectbox(
        "Add pictures to class",
        range(len(names)),
        format_func=names.__getitem__,
        key="own_target",
    )
    if class_index is None or class_index >= len(names):
        class_index = 0
    page = page_state()
    # A key with on_change="rerun" makes Streamlit remember the open tab: without it, each
    # photo taken (which redraws the camera) would send the student back to the first tab.
    upload_tab, camera_tab, draw_tab = st.tabs(
        ["Upload", "Camera", "Draw"], key="own_add_tab", on_change="rerun"
    )
    with upload_tab:
        widget_key = f"own_upload_{page['round']}"
        files = st.file_uploader(
            f"Pictures of {names[class_index]} ({images.FORMATS_HINT})",
            type=PICTURE_TYPES,
            accept_multiple_files=True,
            key=widget_key,
            help=f"At most {quantities.format_bytes(file_reading.UPLOAD_IMAGE_BYTES)} each.",
        )
        st.button(
            f"Add {len(files or [])} picture(s) to {names[class_index]}",
            disabled=not files,
            on_click=_on_add_uploads,
            args=(class_index, widget_key),
            key="own_add_uploads",
        )
    with camera_tab:
        camera_key = f"own_camera_{page['camera_round']}"
        st.camera_input(
            f"Take a photo of {names[class_index]}: it is added when you take it",
            key=camera_key,
            on_change=_on_photo,
            args=(class_index, camera_key),
            width=CAMERA_WIDTH,
        )
    with draw_tab:
        _drawing(class_index, names[class_index])


def _drawing(class_index: int, class_name: str) -> None:
    from streamlit_drawable_canvas import st_canvas  # its component registers on import

    page = page_state()
    brush = st.slider("Brush size", 2, 40, 12, key="own_brush")
    result = st_canvas(
        stroke_width=brush,
        stroke_color="#000000",
        background_color="#FFFFFF",
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"own_canvas_{page['canvas_round']}",
    )
    drawing = getattr(result, "image_data", None)
    drawn = drawing is not None and drawing.ndim == 3 and bool(drawing[..., 3].any())
    if st.button(f"Add drawing to {class_name}", disabled=not drawn, key="own_add_drawing"):
        data = own()
        try:
            # Only the strokes are opaque; the canvas's white shows through the rest.
            prepared = own_data.prepare_pixels(drawing, data.input_shape, data.fit)
        except ValueError as error:
            say("error", str(error))
        else:
            _add_prepared(class_index, [prepared], "drawing")
            page["canvas_round"] += 1
        st.rerun()


def file_importers() -> None:
    """Uploaders for a zip of class folders and for a data set file made before."""
    page = page_state()
    zip_column, npz_column = st.columns(2)
    with zip_column:
        zip_key = f"own_zip_{page['round']}"
        st.file_uploader(
            "A .zip of class folders",
            type=["zip"],
            key=zip_key,
            on_change=_on_zip,
            args=(zip_key,),
            help="One folder per class, named after it, holding that class's pictures (the "
            "layout Keras's image_dataset_from_directory reads). Classes with the names of "
            "yours are added to; others are created. At most "
            f"{quantities.format_bytes(file_reading.UPLOAD_ZIP_BYTES)}.",
        )
    with npz_column:
        npz_key = f"own_npz_{page['round']}"
        st.file_uploader(
            "A data set file (.npz) downloaded from here",
            type=["npz"],
            key=npz_key,
            on_change=_on_npz,
            args=(npz_key,),
            help="Replaces your classes with the file's, for example one a teacher handed out. "
            f"At most {quantities.format_bytes(file_reading.UPLOAD_NPZ_BYTES)}.",
        )
