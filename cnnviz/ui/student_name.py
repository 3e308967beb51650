"""The Start page's "Your name" field: the name the teacher sees in the class view.

Kept in the workspace (keys.NAME, kept by the saver into the workspaces table's name column),
so it follows the workspace's address, not the browser.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import names
from cnnviz.ui import state as keys

FIELD_KEY = "student_name_field"
ERROR_KEY = "student_name_error"


def _on_change() -> None:
    try:
        keys.workspace()[keys.NAME] = names.clean_name(st.session_state[FIELD_KEY])
        st.session_state.pop(ERROR_KEY, None)
    except ValueError as error:
        st.session_state[ERROR_KEY] = str(error)


def name_field() -> None:
    """Draws the field; a change is kept at once."""
    kept = keys.workspace().get(keys.NAME) or ""
    if st.session_state.get(FIELD_KEY) is None or FIELD_KEY not in st.session_state:
        st.session_state[FIELD_KEY] = kept
    st.text_input(
        "Your name",
        key=FIELD_KEY,
        max_chars=names.MAX_NAME_LENGTH,
        placeholder="So that your teacher knows whose network this is",
        help="Shown to your teacher in the class view, with your network and its accuracy. "
        "Leave it empty to be 'Student N' there.",
        on_change=_on_change,
    )
    error = st.session_state.get(ERROR_KEY)
    if error:
        st.error(error)
