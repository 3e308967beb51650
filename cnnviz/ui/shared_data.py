"""The built-in and data-folder data sets, loaded once per server process and shared.

Read-only data shared by all sessions (st.cache_resource); the Start page, the sidebar's
chooser and the saver, which restores a kept model with the data set it trained on, use it.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.data import data_folder, datasets


@st.cache_resource(show_spinner="Loading the data set...")
def load_shared_dataset(name: str, data_dir: str | None) -> datasets.Dataset:
    """The data set, loaded once and shared read-only by every session of this server."""
    if name.startswith(data_folder.LOCAL_PREFIX):
        return data_folder.load_local_dataset(name, data_dir)
    return datasets.load_dataset(name, data_dir)
