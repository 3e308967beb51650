"""A loaded workspace's dict, and the facts the registry asks of it: busy, size, release.

Kept apart from cnnviz.ui.state so that the saver (cnnviz.ui.saving), which makes and loads
these dicts, and the pages' state module do not import each other.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz.ui.workspace_keys import JOB, RUNS

# Memory estimate of a workspace, for the registry's cap: a model's weights in float32, two
# optimizer slots (Adam) and the weight backup's copy make 16 bytes a parameter; a kept run
# holds its curves.
BYTES_PER_PARAMETER = 16
BYTES_PER_RUN = 512 * 1024
BYTES_PER_WORKSPACE = 64 * 1024


class WorkspaceData(dict):
    """A workspace's dict that, once released, makes a page reading it start over.

    A page (or a fragment polling every second) may hold the dict while the registry unloads
    it (its work kept in the store) or it is deleted, which empties it. Reading a missing key
    then reruns the script, which loads it again (or says why it is gone) instead of showing a
    KeyError.

    Attributes:
        released: set once the dict was emptied.
        keeper: the cnnviz.ui.keeping.Keeper writing its changes to the store.
    """

    released = False
    keeper = None

    def __missing__(self, key):
        if self.released and get_script_run_ctx() is not None:
            st.rerun()
        raise KeyError(key)


def is_busy(work: dict) -> bool:
    """Whether a workspace has a training queued or running."""
    job = work.get(JOB)
    return job is not None and job.is_active


def estimate_bytes(work: dict) -> int:
    """Roughly how much memory a workspace holds: its model and its kept runs."""
    job = work.get(JOB)
    runs = work.get(RUNS)
    model_bytes = BYTES_PER_PARAMETER * job.params if job is not None else 0
    return BYTES_PER_WORKSPACE + model_bytes + BYTES_PER_RUN * (len(runs) if runs else 0)


def release(work: dict) -> None:
    """Free a dropped workspace: stop its training and let go of its model and runs."""
    if isinstance(work, WorkspaceData):
        # Marked before it empties, so that no reader sees an empty dict not marked.
        work.released = True
    job = work.get(JOB)
    if job is not None:
        # Without waiting: the training thread lets go of the rest as it ends.
        job.dispose(timeout=0)
    work.clear()


def is_session_alive(session_id: str) -> bool:
    """Whether a Streamlit session is still connected (False when no server runs)."""
    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def owner_check(registry, workspace_id: str):
    """A function telling whether anyone has the workspace open; None without a server (tests
    that run scripts directly), where no session can be asked about."""
    if not Runtime.exists():
        return None
    return lambda: registry.has_live_session(workspace_id, is_session_alive)
