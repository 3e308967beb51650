"""Hand-outs in the app: the Teacher page's "Send to class", and the notice a student sees on
Build ("From your teacher (NAME): ...") with Load and Dismiss.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import handouts, names
from cnnviz.data import data_folder, datasets, extra_datasets, file_reading
from cnnviz.model import spec_limits
from cnnviz.store import classroom as class_store
from cnnviz.training import presets
from cnnviz.ui import data, saving
from cnnviz.ui import state as keys

SOURCES = ("My Build page's layers", "A preset", "An uploaded spec (.json)")
NO_DATASET = "(keep each student's own)"
UPLOAD_DATASET = "(upload a .npz data set)"


def _dataset_choices() -> dict[str, str]:
    choices = {NO_DATASET: NO_DATASET}
    choices.update({name: info.title for name, info in datasets.DATASETS.items()})
    for name in data_folder.find_local_datasets():
        choices[name] = f"{name.removeprefix(data_folder.LOCAL_PREFIX)} (data folder)"
    choices[UPLOAD_DATASET] = UPLOAD_DATASET
    return choices


def _uploaded_dataset() -> tuple[bytes, str, datasets.DatasetInfo] | None:
    """The .npz data set the teacher uploads to hand out: (its bytes, title, info), checked."""
    upload = st.file_uploader(
        "Data set file (.npz: x_train, y_train, x_test, y_test, optionally class_names)",
        type=["npz"],
        key="teacher_handout_npz",
    )
    if upload is None:
        return None
    if upload.size > file_reading.UPLOAD_NPZ_BYTES:
        st.error(
            f"A handed-out data set has at most {file_reading.UPLOAD_NPZ_BYTES // 2**20} MB. "
            f"Received: {upload.size / 2**20:.0f} MB"
        )
        return None
    title = upload.name.removesuffix(".npz")
    try:
        dataset = extra_datasets.read_labelled_npz(
            upload.getvalue(), "upload", title, max_bytes=extra_datasets.MAX_UPLOAD_NPZ_BYTES
        )
    except ValueError as error:
        st.error(str(error))
        return None
    return upload.getvalue(), title, dataset.info


def _chosen_spec(source: str, info: datasets.DatasetInfo) -> tuple[dict | None, str]:
    work = keys.workspace()
    if source == SOURCES[0]:
        return work[keys.SPEC], "the teacher's layers"
    if source == SOURCES[1]:
        name = st.selectbox(
            "Preset", list(presets.PRESETS), format_func=lambda n: presets.PRESETS[n].title
        )
        return presets.preset_spec(name, info.input_shape, info.num_classes), presets.PRESETS[
            name
        ].title
    upload = st.file_uploader("Spec file", type=["json"], key="teacher_handout_upload")
    if upload is None:
        return None, ""
    try:
        # Within the server's limits (size, nesting, layers), as the Build page's uploads are.
        spec = spec_limits.read_spec(upload.getvalue(), spec_limits.from_environment())
        return spec, upload.name.removesuffix(".json")
    except ValueError as error:
        st.error(str(error))
        return None, ""


def _sent_dataset(choice: str) -> str | None:
    if choice == NO_DATASET:
        return None
    return handouts.UPLOADED if choice == UPLOAD_DATASET else choice


def sender() -> None:
    """The Teacher page's "Send to class" panel."""
    work = keys.workspace()
    st.subheader("Hand out a network", anchor=False)
    teacher = st.text_input(
        "Your name, as students see it",
        value=work.get(keys.NAME) or "",
        max_chars=names.MAX_NAME_LENGTH,
        key="teacher_display_name",
    )
    source = st.radio("What to send", SOURCES, horizontal=True)
    choices = _dataset_choices()
    dataset_name = st.selectbox(
        "With the data set", list(choices), format_func=choices.get, key="teacher_handout_data"
    )
    uploaded = _uploaded_dataset() if dataset_name == UPLOAD_DATASET else None
    # A preset is fitted to the data set sent with it, else to the teacher's own.
    info = datasets.DATASETS.get(dataset_name) or data.current_dataset().info
    if uploaded is not None:
        info = uploaded[2]
    spec, title = _chosen_spec(source, info)
    with_settings = st.checkbox("With my Train page's settings")
    missing_upload = dataset_name == UPLOAD_DATASET and uploaded is None
    if st.button("Send to class", icon=":material/send:", disabled=spec is None or missing_upload):
        try:
            name = names.clean_name(teacher) or "your teacher"
            work[keys.NAME] = name if name != "your teacher" else work.get(keys.NAME)
            content = handouts.make_content(
                spec,
                title,
                settings=dict(work[keys.TRAIN_SETTINGS]) if with_settings else None,
                dataset=_sent_dataset(dataset_name),
                dataset_title=uploaded[1] if uploaded else None,
            )
        except ValueError as error:
            st.error(str(error))
            return
        class_store.add_handout(
            saving.store().engine, name, content, uploaded[0] if uploaded else None
        )
        st.success(
            f"Sent {handouts.describe(content)} to every student: they see it on Build.",
            icon=":material/send:",
        )


def _load(handout: class_store.Handout) -> None:
    work = keys.workspace()
    content = handout.content
    dataset_name = content.get("dataset")
    if dataset_name == handouts.UPLOADED:
        dataset_name = handouts.dataset_name(handout.handout_id)
        work[keys.DATASET] = dataset_name
    elif dataset_name and (
        dataset_name in datasets.DATASETS or dataset_name in data_folder.find_local_datasets()
    ):
        work[keys.DATASET] = dataset_name
    keys.set_spec(content["spec"], remember_undo=True)
    if content.get("settings"):
        known = {k: v for k, v in content["settings"].items() if k in keys.TRAIN_PAGE_SETTINGS}
        work[keys.TRAIN_SETTINGS] = {**work[keys.TRAIN_SETTINGS], **known}
    _done(handout)
    st.toast("Loaded your teacher's network. Undo brings your layers back.")


def _done(handout: class_store.Handout) -> None:
    work = keys.workspace()
    work[keys.HANDOUTS_DONE] = [*(work.get(keys.HANDOUTS_DONE) or []), handout.handout_id]


def notice() -> None:
    """The Build page's notices of hand-outs not yet loaded or dismissed."""
    waiting = handouts.pending(
        class_store.handouts(saving.store().engine), keys.workspace().get(keys.HANDOUTS_DONE)
    )
    for handout in waiting:
        content = handout.content
        teacher = names.markdown_text(handout.teacher_name)
        title = names.markdown_text(content.get("title") or "a network")
        with st.container(border=True):
            st.markdown(
                f":material/school: **From your teacher ({teacher}):** {title}, "
                f"{names.markdown_text(handouts.describe(content))}."
            )
            load, dismiss, _ = st.columns([1, 1, 4])
            load.button(
                "Load",
                key=f"handout_load_{handout.handout_id}",
                on_click=_load,
                args=(handout,),
                icon=":material/download:",
            )
            dismiss.button(
                "Dismiss",
                key=f"handout_dismiss_{handout.handout_id}",
                on_click=_done,
                args=(handout,),
            )
