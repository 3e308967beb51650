"""The My data page's widgets: classes, pictures from files, a zip, the camera and drawings.

The pictures live in the student's workspace (an `OwnData`), never on the server's disk.
Buttons act through callbacks, which run before the page is drawn again, so what they change
shows at once; what they have to say is kept in the page's notes and shown once.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from cnnviz import extra_datasets, images, own_archive, own_data, presets
from cnnviz.ui import state as keys

FORMATS = {"28x28 gray": (28, 28, 1), "32x32 RGB": (32, 32, 3), "64x64 RGB": (64, 64, 3)}
FIT_LABELS = {
    own_data.Fit.CROP: "Centre crop (cut the longer side)",
    own_data.Fit.PAD: "Pad (fill the shorter side with black)",
}
PICTURE_TYPES = [extension.lstrip(".") for extension in own_archive.IMAGE_EXTENSIONS]
THUMBNAILS_SHOWN = 48  # per class; a class of hundreds would make a very long page
THUMBNAIL_WIDTH = 56
CANVAS_SIZE = 224
# A photo whose pixels spread less than this (out of 255) shows nothing: a black first frame.
BLANK_PHOTO_SPREAD = 2.0
CAMERA_WIDTH = 400  # pixels; the full page width would push the classes far down


def own() -> own_data.OwnData:
    """The student's own data set (empty at first)."""
    return keys.workspace().setdefault(keys.OWN_DATA, own_data.OwnData())


def _page() -> dict:
    return keys.workspace().setdefault(
        keys.OWN_DATA_PAGE, {"round": 0, "camera_round": 0, "canvas_round": 0, "messages": []}
    )


def _say(kind: str, text: str) -> None:
    """Keep a message ("success", "info", "warning" or "error") to show on the next draw."""
    _page()["messages"].append((kind, text))


def show_messages() -> None:
    """Show, once, what the last action had to say."""
    page = _page()
    for kind, text in page["messages"]:
        getattr(st, kind)(text)
    page["messages"] = []


# ----- format -----


def format_label(input_shape) -> str:
    """E.g. "28x28 gray" or "32x32 RGB"."""
    height, width, channels = input_shape
    return f"{height}x{width} {'gray' if channels == 1 else 'RGB'}"


def _on_format() -> None:
    label = st.session_state["own_format"]
    size, colour = label.split("x")[0], label.split()[-1].lower()
    try:
        own().set_format(own_data.input_shape_for(int(size), colour))
    except ValueError as error:
        _say("error", str(error))


def _on_fit() -> None:
    own().fit = own_data.Fit(st.session_state["own_fit"])


def _on_test_fraction() -> None:
    own().set_test_fraction(st.session_state["own_test_fraction"])


def _show(widget_key: str, value) -> None:
    """Make a widget show the data set's value: a loaded file may have changed it."""
    if st.session_state.get(widget_key) != value:
        st.session_state[widget_key] = value


def format_settings() -> None:
    """Image size and colour, how pictures become square, and the test share."""
    data = own()
    formats = dict(FORMATS)
    # A data set file made with `cnnviz data --color` can hold, say, 64x64 gray pictures.
    current = format_label(data.input_shape)
    formats.setdefault(current, data.input_shape)
    _show("own_format", current)
    _show("own_fit", data.fit)
    _show("own_test_fraction", float(data.test_fraction))
    size_column, fit_column, split_column = st.columns(3)
    size_column.selectbox(
        "Image size",
        list(formats),
        key="own_format",
        on_change=_on_format,
        help="Every picture is shrunk to this. Changing it converts the pictures you have; "
        "growing them makes them blurry.",
    )
    fit_column.radio(
        "Pictures that are not square",
        list(own_data.Fit),
        format_func=FIT_LABELS.get,
        key="own_fit",
        on_change=_on_fit,
        help="Applies to pictures you add from now on.",
    )
    split_column.slider(
        "Share kept for testing",
        own_data.MIN_TEST_FRACTION,
        own_data.MAX_TEST_FRACTION,
        step=0.05,
        key="own_test_fraction",
        on_change=_on_test_fraction,
        help="This share of every class is kept apart (the same pictures every time) to test "
        "the trained network on pictures it never learned from.",
    )


# ----- classes -----


def _on_add_class() -> None:
    try:
        own().add_class(st.session_state["own_new_class"])
        st.session_state["own_new_class"] = ""
    except ValueError as error:
        _say("error", str(error))


def class_adder() -> None:
    """A text box and button that add a class."""
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name_column.text_input(
        "New class name", key="own_new_class", placeholder="e.g. cat, thumbs up, circle"
    )
    button_column.button("Add class", on_click=_on_add_class, icon=":material/add:")


# ----- adding pictures -----


def _add_prepared(class_index: int, prepared: list[np.ndarray], origin: str) -> None:
    data = own()
    try:
        result = data.add_images(class_index, prepared)
    except ValueError as error:
        _say("error", str(error))
        return
    if result.added == 0 and result.duplicates:
        _say(
            "warning",
            f"Nothing was added: the {origin} {'is' if result.duplicates == 1 else 'are'} "
            f"already in the data set.",
        )
        return
    text = f"Added {result.added} {origin} to {data.class_names[class_index]}."
    if result.duplicates:
        text += f" {result.duplicates} duplicate(s) of pictures already there were skipped."
    _say("success", text)


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
        _say("warning", f"{len(failures)} file(s) were skipped. " + " ".join(failures[:3]))
    _page()["round"] += 1  # a fresh uploader, empty for the next pictures


def _on_photo(class_index: int, widget_key: str) -> None:
    photo = st.session_state.get(widget_key)
    if photo is None:
        return
    try:
        prepared = own_data.prepare_file(photo.getvalue(), own().input_shape, own().fit)
    except ValueError as error:
        _say("error", str(error))
        return
    _add_prepared(class_index, [prepared], "photo")
    if prepared.std() < BLANK_PHOTO_SPREAD:
        count = len(own().class_images[class_index])
        _say(
            "warning",
            f"That photo is all one colour: the camera may not have been ready. If so, remove "
            f"picture {count} of {own().class_names[class_index]} and take another.",
        )
    _page()["camera_round"] += 1  # a fresh camera, ready for the next photo


def _on_zip(widget_key: str) -> None:
    upload = st.session_state.get(widget_key)
    if upload is None:
        return
    data = own()
    try:
        report = own_archive.read_class_folders(
            upload.getvalue(), data.input_shape, data.fit, max_images=data.room()
        )
        own_archive.add_to(data, report)
    except ValueError as error:
        _say("error", f"{upload.name}: {error}")
        return
    counts = ", ".join(
        f"{name} ({len(group)})"
        for name, group in zip(report.class_names, report.class_images, strict=True)
    )
    _say("success", f"Read {report.total_images} pictures from {upload.name}: {counts}.")
    for note in report.notes():
        _say("info", note)
    _page()["round"] += 1


def _on_npz(widget_key: str) -> None:
    upload = st.session_state.get(widget_key)
    if upload is None:
        return
    try:
        loaded = extra_datasets.read_labelled_npz(
            upload.getvalue(),
            "upload",
            upload.name,
            source_kind="own",
            max_bytes=extra_datasets.MAX_UPLOAD_NPZ_BYTES,
        )
        replacement = own_data.OwnData.from_dataset(loaded, own().fit)
        replacement.set_test_fraction(own().test_fraction)
    except ValueError as error:
        _say("error", f"{upload.name}: {error}")
        return
    keys.workspace()[keys.OWN_DATA] = replacement
    _say(
        "success",
        f"Loaded {upload.name}: {len(replacement.class_names)} classes, "
        f"{replacement.total_images} pictures. It replaced the classes you had.",
    )
    duplicates = len(loaded.x_train) + len(loaded.x_test) - replacement.total_images
    if duplicates:
        _say("info", f"{duplicates} duplicate picture(s) in the file were skipped.")
    _page()["round"] += 1


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
    page = _page()
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

    page = _page()
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
            _say("error", str(error))
        else:
            _add_prepared(class_index, [prepared], "drawing")
            page["canvas_round"] += 1
        st.rerun()


def file_importers() -> None:
    """Uploaders for a zip of class folders and for a data set file made before."""
    page = _page()
    zip_column, npz_column = st.columns(2)
    with zip_column:
        zip_key = f"own_zip_{page['round']}"
        st.file_uploader(
            "A .zip of class folders",
            type=["zip"],
            key=zip_key,
            on_change=_on_zip,
            args=(zip_key,),
            max_upload_size=own_archive.MAX_ARCHIVE_BYTES // 2**20,
            help="One folder per class, named after it, holding that class's pictures (the "
            "layout Keras's image_dataset_from_directory reads). Classes with the names of "
            "yours are added to; others are created.",
        )
    with npz_column:
        npz_key = f"own_npz_{page['round']}"
        st.file_uploader(
            "A data set file (.npz) downloaded from here",
            type=["npz"],
            key=npz_key,
            on_change=_on_npz,
            args=(npz_key,),
            max_upload_size=extra_datasets.MAX_UPLOAD_NPZ_BYTES // 2**20,
            help="Replaces your classes with the file's, for example one a teacher handed out.",
        )


# ----- the classes and their pictures -----


def _on_rename(class_index: int) -> None:
    try:
        own().rename_class(class_index, st.session_state[f"own_rename_{class_index}"])
    except ValueError as error:
        _say("error", str(error))


def _on_delete(class_index: int) -> None:
    name = own().class_names[class_index]
    own().delete_class(class_index)
    _say("info", f"Deleted the class {name} and its pictures.")


def _on_remove(class_index: int) -> None:
    number = st.session_state[f"own_remove_{class_index}"]
    try:
        own().remove_image(class_index, int(number) - 1)
    except ValueError as error:
        _say("error", str(error))


def class_cards() -> None:
    """Each class with its count, thumbnails and its rename, remove and delete controls."""
    data = own()
    for class_index, (name, group) in enumerate(
        zip(data.class_names, data.class_images, strict=True)
    ):
        with st.container(border=True):
            st.markdown(f"**{name}**: {len(group)} picture(s)")
            if group:
                shown = group[:THUMBNAILS_SHOWN]
                st.image(
                    [image[..., 0] if image.shape[2] == 1 else image for image in shown],
                    caption=[str(number) for number in range(1, len(shown) + 1)],
                    width=THUMBNAIL_WIDTH,
                )
                if len(group) > len(shown):
                    st.caption(f"The first {len(shown)} of {len(group)} are shown.")
            rename, remove, delete = st.columns([2, 2, 1], vertical_alignment="bottom")
            # Widgets are keyed by position: after a class is deleted or a picture removed,
            # the same key belongs to another class or a shorter one.
            _show(f"own_rename_{class_index}", name)
            remove_key = f"own_remove_{class_index}"
            if group and not 1 <= st.session_state.get(remove_key, 1) <= len(group):
                st.session_state[remove_key] = len(group)
            rename.text_input(
                "Rename to",
                key=f"own_rename_{class_index}",
                on_change=_on_rename,
                args=(class_index,),
            )
            if group:
                remove.number_input("Picture number", 1, len(group), key=remove_key)
                remove.button(
                    "Remove picture",
                    key=f"own_remove_button_{class_index}",
                    on_click=_on_remove,
                    args=(class_index,),
                )
            delete.button(
                "Delete class",
                key=f"own_delete_{class_index}",
                on_click=_on_delete,
                args=(class_index,),
                icon=":material/delete:",
            )


# ----- using and keeping it -----


def _on_use() -> None:
    """Choose the own data set in the sidebar and fit a preset's spec to its classes."""
    state = keys.workspace()
    state[keys.DATASET] = own_data.OWN_NAME
    dataset = own().dataset()
    preset_name = state[keys.SPEC].get("name")
    if preset_name in presets.PRESETS:
        keys.set_spec(
            presets.preset_spec(preset_name, dataset.input_shape, dataset.num_classes),
            remember_undo=True,
        )
        _say(
            "success",
            f"My data is chosen. The {presets.PRESETS[preset_name].title} network was fitted "
            f"to {dataset.input_shape[0]}x{dataset.input_shape[1]} pictures and "
            f"{dataset.num_classes} classes; go to Train.",
        )
    else:
        _say(
            "success",
            "My data is chosen. Check your layers on Build: the last one needs "
            f"{dataset.num_classes} units, one per class.",
        )


def checks_and_use() -> None:
    """Warnings, then the buttons that train on the data set and download it."""
    data = own()
    for warning in data.warnings():
        st.warning(warning, icon=":material/warning:")
    problems = data.problems()
    if problems:
        st.info(problems[0])
        return
    dataset = data.dataset()
    st.caption(
        f"{len(dataset.x_train):,} pictures to train on and {len(dataset.x_test):,} to test "
        f"on, {dataset.input_shape[0]}x{dataset.input_shape[1]} "
        f"{'gray' if dataset.input_shape[2] == 1 else 'RGB'}, {dataset.num_classes} classes."
    )
    use_column, download_column = st.columns(2)
    use_column.button(
        "Train on My data", type="primary", on_click=_on_use, icon=":material/model_training:"
    )
    download_column.download_button(
        "Download as .npz",
        data=functools.partial(extra_datasets.npz_bytes, dataset),
        file_name="my_data.npz",
        mime="application/octet-stream",
        on_click="ignore",
        help="Keras layout (x_train, y_train, x_test, y_test) plus class_names. Upload it here "
        "again later, hand it to others, or train on it with `cnnviz train --dataset FILE`.",
    )
