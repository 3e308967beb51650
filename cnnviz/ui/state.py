"""The user's workspace: every key cnnviz keeps for a user, and their first values.

Widget keys vanish when a user leaves the page that drew them, so whatever must survive a page
switch (the spec, the chosen data set, training settings, the job, the runs) lives in the
workspace under the keys below and is copied in and out of widgets explicitly. Pages reach it
only through `workspace()`.

The workspace lives on the server (cnnviz.store.workspaces), not in the Streamlit session: its id is
in the page's URL (`?w=...`), so a reload or a reopened link finds the same work, a running
training included.
"""

from __future__ import annotations

import copy
import logging

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz.store import workspace_records, workspaces
from cnnviz.store.database import StoreError
from cnnviz.ui import saving
from cnnviz.ui.workspace_data import (  # noqa: F401 - named through this module too
    WorkspaceData,
    estimate_bytes,
    is_busy,
    is_session_alive,
    release,
)
from cnnviz.ui.workspace_keys import (  # noqa: F401 - the pages name the keys through this module
    DATASET,
    DEFAULT_DATASET,
    DEFAULT_TRAIN_SETTINGS,
    EVALUATE,
    HANDOUTS_DONE,
    INSPECT,
    JOB,
    JOB_RUN_ID,
    LAYER_IDS,
    LESSONS,
    NAME,
    NEXT_LAYER_ID,
    OWN_DATA,
    OWN_DATA_PAGE,
    RECORDED,
    RUNS,
    SPEC,
    SPEC_UNDO,
    STORAGE_NOTICE,
    TRAIN_PAGE_SETTINGS,
    TRAIN_SETTINGS,
    fill_defaults,
    preset_train_settings,
)

_LOGGER = logging.getLogger(__name__)

# The URL's query parameter holding the workspace id.
QUERY_PARAMETER = "w"

# Session-state keys: which workspace this browser session shows (not work itself).
WORKSPACE = "cnnviz_workspace"  # the workspace dict this session is attached to
WORKSPACE_ID = "cnnviz_workspace_id"  # its id, to put back into a URL that lost it
NOTICE = "cnnviz_workspace_notice"  # a message for the next page drawn, shown once


def registry() -> workspaces.WorkspaceRegistry:
    """The server's one workspace registry over the store (cnnviz.ui.saving)."""
    return saving.registry()


def _liveness_check():
    # AppTest runs scripts without a server; then no session can be asked about.
    return is_session_alive if Runtime.exists() else None


def lost_workspace_message(workspace_id: str) -> str | None:
    """What a student reads when the URL's workspace is no longer on the server: the true
    reason when the server remembers the id, else that it never had it since it started."""
    return workspace_records.lost_message(registry().why_gone(workspace_id), saving.kept_for())


def workspace() -> dict:
    """The dict holding this user's work (the keys above), found by the id in the URL.

    No id in the URL: a new workspace, whose id is put there. An id not loaded is loaded from
    the store. An id the store does not keep (deleted, expired): a fresh workspace and a
    notice saying why (shown by `pop_notice`); the script starts over on it, since a page
    part-way through may hold keys of the old one. No room for a fresh one (every workspace
    that could make room is training): the page says the server is full and stops.
    """
    try:
        server = registry()
    except (StoreError, ValueError) as error:
        # Whoever runs the server must act (a bad setting, a database it cannot use); the page
        # says so in one line rather than a traceback, and so does the log.
        _LOGGER.error("the store cannot be opened: %s", error)
        st.error(f"This server cannot keep students' work: {error}", icon=":material/database:")
        st.stop()
    context = get_script_run_ctx()
    session_id = context.session_id if context is not None else None
    in_url = st.query_params.get(QUERY_PARAMETER)
    remembered = st.session_state.get(WORKSPACE_ID)
    # Without an id in the URL (a page switch that drops query parameters), this session's
    # workspace is still the one it had.
    wanted = in_url or remembered
    try:
        found = server.attach(wanted, session_id, _liveness_check()) if wanted else None
    except workspaces.ServerFull:
        # Kept, but no room to load it now: the address stays, and a reload tries again.
        _refuse_server_full()
    lost = found is None and bool(wanted)
    if lost:
        message = lost_workspace_message(wanted)
        if message:
            st.session_state[NOTICE] = message
    if found is None:
        try:
            found = server.create(session_id, _liveness_check())
        except workspaces.ServerFull:
            _refuse_server_full()
    # Written only when changed: pages call this often, and each write has a cost.
    if in_url != found.id:
        st.query_params[QUERY_PARAMETER] = found.id
    if remembered != found.id:
        st.session_state[WORKSPACE_ID] = found.id
    if st.session_state.get(WORKSPACE) is not found.data:
        # Kept in the session too, so that tests (AppTest) can read the work the page used.
        st.session_state[WORKSPACE] = found.data
    if lost:
        # Start over on the fresh workspace: a page part-way through may hold the old one's
        # keys. From a fragment this reruns the whole page, notice included.
        st.rerun()
    return found.data


def _refuse_server_full() -> None:
    # The reason the old workspace went (if any) first, then why there is no new one. The
    # URL keeps the old id, so a reload says the same until there is room.
    notice = pop_notice()
    if notice:
        st.warning(notice, icon=":material/history:")
    st.error(workspace_records.SERVER_FULL_MESSAGE, icon=":material/group_off:")
    st.stop()


def workspace_id() -> str:
    """The id of this session's workspace (attaching one first if needed)."""
    workspace()
    return st.session_state[WORKSPACE_ID]


def is_new_session() -> bool:
    """Whether this browser session has not been attached to a workspace yet."""
    return WORKSPACE_ID not in st.session_state


def pop_notice() -> str | None:
    """The pending notice about this session's workspace, once."""
    return st.session_state.pop(NOTICE, None)


def new_layer_id() -> int:
    """An id no other layer of this workspace has had.

    Counted in the workspace, not in a module global: a module can be re-imported while the
    server runs, and a counter starting again at 1 would repeat widget keys.
    """
    state = workspace()
    next_id = state.get(NEXT_LAYER_ID, 1)
    state[NEXT_LAYER_ID] = next_id + 1
    return next_id


def init_session_state() -> None:
    """Give every key its first value, once per workspace."""
    fill_defaults(workspace())


def set_spec(spec: dict, remember_undo: bool = False) -> None:
    """Replace the edited spec (and its layer ids); optionally keep the old one for Undo."""
    state = workspace()
    if remember_undo and SPEC in state:
        state[SPEC_UNDO] = copy.deepcopy(state[SPEC])
    state[SPEC] = copy.deepcopy(spec)
    state[LAYER_IDS] = [new_layer_id() for _ in spec.get("layers", [])]


def switch_workspace(workspace_id: str) -> None:
    """Show the workspace with this id in this tab from now on (its address replaces this)."""
    st.query_params[QUERY_PARAMETER] = workspace_id
    st.session_state[WORKSPACE_ID] = workspace_id
    st.session_state.pop(WORKSPACE, None)
    st.rerun()


def start_fresh_workspace(notice: str) -> None:
    """Leave this tab's workspace for a new one, telling the student why."""
    st.session_state[NOTICE] = notice
    st.session_state.pop(WORKSPACE_ID, None)
    st.session_state.pop(WORKSPACE, None)
    if QUERY_PARAMETER in st.query_params:
        del st.query_params[QUERY_PARAMETER]
    st.rerun()
