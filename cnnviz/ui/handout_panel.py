"""Hand-outs in the app: the Teacher page's "Send to class", and the notice a student sees on
Build ("From your teacher (NAME): ...") with Load and Dismiss.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import handouts, names
from cnnviz.data import data_folder, datasets
from cnnviz.model import spec as spec_module
from cnnviz.store import classroom as class_store
from cnnviz.training import presets
from cnnviz.ui import saving
from cnnviz.ui import state as keys

SOURCES = ("My Build page's layers", "A preset", "An uploaded spec (.json)")
NO_DATASET = "(keep each student's own)"


def _dataset_choices() -> dict[str, str]:
    choices = {NO_DATASET: NO_DATASET}
    choices.update({name: info.title for name, info in datasets.DATASETS.items()})
    for name in data_folder.find_local_datasets():
        choices[name] = f"{name.removeprefix(data_folder.LOCAL_PREFIX)} (data folder)"
    return choices


def _chosen_spec(source: str, dataset_name: str) -> tuple[dict | None, str]:
    work = keys.workspace()
    if source == SOURCES[0]:
        return work[keys.SPEC], "the teacher's layers"
    if source == SOURCES[1]:
        name = st.selectbox(
            "Preset", list(presets.PRESETS), format_func=lambda n: presets.PRESETS[n].title
        )
        info = datasets.DATASETS.get(dataset_name) or datasets.DATASETS[work[keys.DATASET]]
        return presets.preset_spec(name, info.input_shape, info.num_classes), presets.PRESETS[
            name
        ].title
    upload = st.file_uploader("Spec file", type=["json"], key="teacher_handout_upload")
    if upload is None:
        return None, ""
    try:
        return spec_module.from_json(upload.getvalue()), upload.name.removesuffix(".json")
    except ValueError as error:
        st.error(str(error))
        return None, ""


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
    spec, title = _chosen_spec(source, dataset_name)
    with_settings = st.checkbox("With my Train page's settings")
    if st.button("Send to class", icon=":material/send:", disabled=spec is None):
        try:
            name = names.clean_name(teacher) or "your teacher"
            work[keys.NAME] = name if name != "your teacher" else work.get(keys.NAME)
            content = handouts.make_content(
                spec,
                title,
                settings=dict(work[keys.TRAIN_SETTINGS]) if with_settings else None,
                dataset=None if dataset_name == NO_DATASET else dataset_name,
            )
        except ValueError as error:
            st.error(str(error))
            return
        class_store.add_handout(saving.store().engine, name, content)
        st.success(
            f"Sent {handouts.describe(content)} to every student: they see it on Build.",
            icon=":material/send:",
        )


def _load(handout: class_store.Handout) -> None:
    work = keys.workspace()
    content = handout.content
    dataset_name = content.get("dataset")
    if dataset_name and (
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
