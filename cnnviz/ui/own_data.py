"""The My data page's widgets: classes, pictures from files, a zip, the camera and drawings.

The pictures live in the student's workspace (an `OwnData`), never on the server's disk.
Buttons act through callbacks, which run before the page is drawn again, so what they change
shows at once; what they have to say is kept in the page's notes and shown once.
"""

from __future__ import annotations

import functools

import streamlit as st

from cnnviz.data import extra_datasets, own_data
from cnnviz.training import presets
from cnnviz.ui import state as keys

FORMATS = {"28x28 gray": (28, 28, 1), "32x32 RGB": (32, 32, 3), "64x64 RGB": (64, 64, 3)}
FIT_LABELS = {
    own_data.Fit.CROP: "Centre crop (cut the longer side)",
    own_data.Fit.PAD: "Pad (fill the shorter side with black)",
}
THUMBNAILS_SHOWN = 48  # per class; a class of hundreds would make a very long page
THUMBNAIL_WIDTH = 56


def own() -> own_data.OwnData:
    """The student's own data set (empty at first)."""
    return keys.workspace().setdefault(keys.OWN_DATA, own_data.OwnData())


def page_state() -> dict:
    return keys.workspace().setdefault(
        keys.OWN_DATA_PAGE, {"round": 0, "camera_round": 0, "canvas_round": 0, "messages": []}
    )


def say(kind: str, text: str) -> None:
    """Keep a message ("success", "info", "warning" or "error") to show on the next draw."""
    page_state()["messages"].append((kind, text))


def show_messages() -> None:
    """Show, once, what the last action had to say."""
    page = page_state()
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
        say("error", str(error))


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
        say("error", str(error))


def class_adder() -> None:
    """A text box and button that add a class."""
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name_column.text_input(
        "New class name", key="own_new_class", placeholder="e.g. cat, thumbs up, circle"
    )
    button_column.button("Add class", on_click=_on_add_class, icon=":material/add:")


# ----- the classes and their pictures -----


def _on_rename(class_index: int) -> None:
    try:
        own().rename_class(class_index, st.session_state[f"own_rename_{class_index}"])
    except ValueError as error:
        say("error", str(error))


def _on_delete(class_index: int) -> None:
    name = own().class_names[class_index]
    own().delete_class(class_index)
    say("info", f"Deleted the class {name} and its pictures.")


def _on_remove(class_index: int) -> None:
    number = st.session_state[f"own_remove_{class_index}"]
    try:
        own().remove_image(class_index, int(number) - 1)
    except ValueError as error:
        say("error", str(error))


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
        say(
            "success",
            f"My data is chosen. The {presets.PRESETS[preset_name].title} network was fitted "
            f"to {dataset.input_shape[0]}x{dataset.input_shape[1]} pictures and "
            f"{dataset.num_classes} classes; go to Train.",
        )
    else:
        say(
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
