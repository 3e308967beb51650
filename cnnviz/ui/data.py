"""Loading data sets once per server process, and the sidebar's data set chooser."""

from __future__ import annotations

import streamlit as st

from cnnviz import datasets
from cnnviz.ui import state as keys


@st.cache_resource(show_spinner="Loading the data set...")
def load_shared_dataset(name: str, data_dir: str | None) -> datasets.Dataset:
    """The data set, loaded once and shared read-only by every session of this server."""
    return datasets.load_dataset(name, data_dir)


def current_dataset() -> datasets.Dataset:
    """The data set the user chose in the sidebar."""
    return load_shared_dataset(keys.workspace()[keys.DATASET], None)


def dataset_chooser() -> None:
    """Sidebar select box for the data set; its choice survives page switches."""
    names = list(datasets.DATASETS)
    chosen = st.selectbox(
        "Data set",
        names,
        index=names.index(keys.workspace()[keys.DATASET]),
        format_func=lambda name: datasets.DATASETS[name].title,
        help="The images your network learns from. Every page uses this choice.",
        key="dataset_widget",
    )
    keys.workspace()[keys.DATASET] = chosen
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
