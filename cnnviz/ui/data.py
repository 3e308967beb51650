"""Loading data sets once per server process, and the sidebar's data set chooser.

The chooser lists the three built-in data sets, those a teacher put in the data folder
(``--data-dir``, shared by everyone on the server) and, once it can be trained on, the
student's own data set from the My data page, which lives in their workspace only.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from cnnviz.classroom import handouts
from cnnviz.data import data_folder, datasets, extra_datasets, own_data
from cnnviz.store import classroom as class_store
from cnnviz.ui import class_controls, saving
from cnnviz.ui import state as keys
from cnnviz.ui.shared_data import load_shared_dataset

OWN_CHOICE = own_data.OWN_NAME
CHOOSER_KEY = "dataset_widget"


def own_dataset() -> datasets.Dataset | None:
    """The student's own data set, or None while there is none that can be trained on."""
    own = keys.workspace().get(keys.OWN_DATA)
    if own is None or own.problems():
        return None
    return own.dataset()


def current_dataset() -> datasets.Dataset:
    """The data set the user chose in the sidebar."""
    name = keys.workspace()[keys.DATASET]
    if name == OWN_CHOICE:
        own = own_dataset()
        if own is not None:
            return own
        # The own data set stopped being usable (say a class was deleted): fall back.
        keys.workspace()[keys.DATASET] = name = keys.DEFAULT_DATASET
    if handouts.handout_id_of(name) is not None:
        return handed_out_dataset(name)
    return load_shared_dataset(name, None)


@st.cache_resource(show_spinner="Loading your teacher's data set...")
def handed_out_dataset(name: str) -> datasets.Dataset:
    """The .npz data set a teacher uploaded with a hand-out (kept in the database), loaded
    once per server and shared read-only, as the built-in ones are.

    Raises:
        ValueError: when the hand-out is gone or its file cannot be read.
    """
    handout_id = handouts.handout_id_of(name)
    handout = class_store.handout_by_id(saving.store().engine, handout_id)
    if handout is None or handout.dataset_bytes is None:
        raise ValueError(
            f"The data set your teacher handed out ({name}) is not on the server any more. "
            "Choose another data set in the sidebar."
        )
    title = handout.content.get("dataset_title") or f"your teacher's data set {handout_id}"
    return extra_datasets.read_labelled_npz(handout.dataset_bytes, name, title)


def _choices() -> dict[str, str]:
    """Every data set the user can choose, name -> title: only the class's, when fixed."""
    fixed = class_controls.controls().dataset
    if fixed is not None:
        # The teacher fixed the class's data set (issue 20): the chooser offers only it.
        return {fixed: f"{datasets.DATASETS[fixed].title} (set by your teacher)"}
    choices = {name: info.title for name, info in datasets.DATASETS.items()}
    try:
        local = data_folder.find_local_datasets()
    except (ValueError, OSError):
        local = {}  # a missing data folder is reported when a built-in set is loaded
    choices.update({name: f"{name[len(data_folder.LOCAL_PREFIX) :]} (shared)" for name in local})
    if own_dataset() is not None:
        choices[OWN_CHOICE] = "My data"
    current = keys.workspace().get(keys.DATASET, "")
    if current.startswith(handouts.PREFIX):
        # A data set the teacher handed out, loaded from a hand-out on Build.
        # Gone (unreadable): left out, so the chooser falls back to the default.
        with contextlib.suppress(ValueError):
            choices[current] = f"{handed_out_dataset(current).info.title} (from your teacher)"
    return choices


def chooser_key() -> str:
    """The chooser's widget key, which names the workspace's current choice.

    When a page (My data) or a share link chooses another data set, the box becomes a new
    widget showing that choice. Had it kept one key, the browser's copy of its old value could
    come back with the next interaction and undo the page's choice.
    """
    return f"{CHOOSER_KEY}_{keys.workspace()[keys.DATASET]}"


def _on_choice(key: str) -> None:
    keys.workspace()[keys.DATASET] = st.session_state[key]


def dataset_chooser() -> None:
    """Sidebar select box for the data set; its choice survives page switches."""
    choices = _choices()
    state = keys.workspace()
    if state[keys.DATASET] not in choices:
        default = keys.DEFAULT_DATASET
        state[keys.DATASET] = default if default in choices else next(iter(choices))
    names = list(choices)
    key = chooser_key()
    st.selectbox(
        "Data set",
        names,
        index=names.index(state[keys.DATASET]),
        format_func=choices.get,
        help="The images your network learns from. Every page uses this choice. Make your "
        "own on the My data page.",
        key=key,
        on_change=_on_choice,
        args=(key,),
    )
    try:
        dataset = current_dataset()
    except ValueError as error:
        st.error(str(error))
        return
    if dataset.is_sample:
        st.caption(
            f"Using the bundled sample: {len(dataset.x_train):,} training images.",
            help=dataset.sample_notice(),
        )
    else:
        st.caption(dataset.describe_source())
