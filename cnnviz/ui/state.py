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
import threading

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz.data.datasets import DATASETS
from cnnviz.lessons import progress as lesson_progress
from cnnviz.store import workspace_records, workspaces
from cnnviz.training import presets
from cnnviz.training.settings import TrainingSettings

# The URL's query parameter holding the workspace id.
QUERY_PARAMETER = "w"

# Session-state keys: which workspace this browser session shows (not work itself).
WORKSPACE = "cnnviz_workspace"  # the workspace dict this session is attached to
WORKSPACE_ID = "cnnviz_workspace_id"  # its id, to put back into a URL that lost it
NOTICE = "cnnviz_workspace_notice"  # a message for the next page drawn, shown once

# Keys inside the workspace dict.
DATASET = "cnnviz_dataset"  # name of the chosen data set, e.g. "mnist"
SPEC = "cnnviz_spec"  # the spec being edited on the Build page
LAYER_IDS = "cnnviz_layer_ids"  # a stable id per spec layer, so widgets follow moved layers
NEXT_LAYER_ID = "cnnviz_next_layer_id"  # the counter behind those ids
SPEC_UNDO = "cnnviz_spec_undo"  # the spec before the last preset load or import, for Undo
TRAIN_SETTINGS = "cnnviz_train_settings"  # the Train page's settings as a plain dict
JOB = "cnnviz_job"  # the current TrainingJob (its model is "the model"), or None
JOB_RUN_ID = "cnnviz_job_run_id"  # the run id of the current job in the run history
RUNS = "cnnviz_runs"  # the RunHistory
RECORDED = "cnnviz_recorded"  # marker of the last job state written to the run history
INSPECT = "cnnviz_inspect"  # the Inspect page's choices (image source, index, layer)
EVALUATE = "cnnviz_evaluate"  # the Evaluate page's choices (the confusion cell shown)
OWN_DATA = "cnnviz_own_data"  # the student's own pictures, a cnnviz.data.own_data.OwnData
OWN_DATA_PAGE = "cnnviz_own_data_page"  # the My data page's notes and widget generations
# The lessons: progress ({"done": [...], "right": {...}}) and the lessons' shared choices (the
# picture and lesson 2's kernel), plain JSON data only (cnnviz.lessons.progress).
LESSONS = "cnnviz_lessons"

DEFAULT_DATASET = "mnist"
# The settings the Train page shows, starting from TrainingSettings's own defaults (the seed and
# the validation share are not shown and keep theirs).
TRAIN_PAGE_SETTINGS = (
    "epochs",
    "batch_size",
    "optimizer",
    "learning_rate",
    "lr_schedule",
    "label_smoothing",
    "test_time_flip",
    "mixed_precision",
    "train_limit",
)
DEFAULT_TRAIN_SETTINGS = {name: getattr(TrainingSettings(), name) for name in TRAIN_PAGE_SETTINGS}


def preset_train_settings(preset_name: str, input_shape: tuple[int, ...]) -> dict:
    """The Train page's settings for a preset: the ones it was tuned with, defaults for the rest."""
    suggested = presets.PRESETS[preset_name].settings_for(input_shape)
    return {name: suggested.get(name, default) for name, default in DEFAULT_TRAIN_SETTINGS.items()}


# Memory estimate of a workspace, for the registry's cap: a model's weights in float32, two
# optimizer slots (Adam) and the weight backup's copy make 16 bytes a parameter; a kept run
# holds its curves.
BYTES_PER_PARAMETER = 16
BYTES_PER_RUN = 512 * 1024
BYTES_PER_WORKSPACE = 64 * 1024

_LOGGER = logging.getLogger(__name__)
_registry: workspaces.WorkspaceRegistry | None = None
_registry_lock = threading.Lock()


class WorkspaceData(dict):
    """A workspace's dict that, once released, makes a page reading it start over.

    A page (or a fragment polling every second) may hold the dict while another student's
    arrival or an expiry releases it, which empties it. Reading a missing key then reruns the
    script, which finds the workspace gone and says why, instead of showing a KeyError.
    """

    released = False

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


def registry() -> workspaces.WorkspaceRegistry:
    """The server's one workspace registry, made on first use from the environment's limits."""
    global _registry
    with _registry_lock:
        if _registry is None:
            try:
                limits = workspaces.registry_settings_from_environment()
            except ValueError as error:
                # Whoever started the server reads the log; the students get the defaults.
                _LOGGER.error("%s Using the default workspace limits.", error)
                limits = {}
            _registry = workspaces.WorkspaceRegistry(
                **limits,
                is_busy=is_busy,
                estimate_bytes=estimate_bytes,
                release=release,
                new_data=WorkspaceData,
            )
        return _registry


def is_session_alive(session_id: str) -> bool:
    """Whether a Streamlit session is still connected (False when no server runs)."""
    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def _liveness_check():
    # AppTest runs scripts without a server; then no session can be asked about.
    return is_session_alive if Runtime.exists() else None


def lost_workspace_message(workspace_id: str) -> str:
    """What a student reads when the URL's workspace is no longer on the server: the true
    reason when the server remembers the id, else that it never had it since it started."""
    server = registry()
    return workspace_records.lost_message(server.why_gone(workspace_id), server.max_age_hours)


def workspace() -> dict:
    """The dict holding this user's work (the keys above), found by the id in the URL.

    No id in the URL: a new workspace, whose id is put there. An id the server does not have
    (dropped, expired, or from before a restart): a fresh workspace and a notice saying why
    (shown by `pop_notice`); the script starts over on it, since a page part-way through may
    hold keys of the old one. No room for a fresh one (every workspace that could make room is
    training): the page says the server is full and stops.
    """
    server = registry()
    context = get_script_run_ctx()
    session_id = context.session_id if context is not None else None
    in_url = st.query_params.get(QUERY_PARAMETER)
    remembered = st.session_state.get(WORKSPACE_ID)
    # Without an id in the URL (a page switch that drops query parameters), this session's
    # workspace is still the one it had.
    wanted = in_url or remembered
    found = server.attach(wanted, session_id, _liveness_check()) if wanted else None
    lost = found is None and bool(wanted)
    if lost:
        st.session_state[NOTICE] = lost_workspace_message(wanted)
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
    state = workspace()
    if DATASET not in state:
        state[DATASET] = DEFAULT_DATASET
    if SPEC not in state:
        info = DATASETS[state[DATASET]]
        set_spec(presets.preset_spec(presets.DEFAULT_PRESET, info.input_shape, info.num_classes))
    state.setdefault(SPEC_UNDO, None)
    if TRAIN_SETTINGS not in state:
        # The default preset's settings; its only shape-dependent one (test-time flips) is off
        # for it anyway, so the default data set's shape serves whatever the data set is.
        state[TRAIN_SETTINGS] = preset_train_settings(
            presets.DEFAULT_PRESET, DATASETS[DEFAULT_DATASET].input_shape
        )
    state.setdefault(JOB, None)
    state.setdefault(JOB_RUN_ID, None)
    state.setdefault(RECORDED, None)
    state.setdefault(INSPECT, {"source": "test", "index": 0, "upload": None})
    state.setdefault(LESSONS, lesson_progress.empty())
    if RUNS not in state:
        # Imported here so the first screen does not wait for TensorFlow.
        from cnnviz.training.runs import RunHistory

        state[RUNS] = RunHistory()


def set_spec(spec: dict, remember_undo: bool = False) -> None:
    """Replace the edited spec (and its layer ids); optionally keep the old one for Undo."""
    state = workspace()
    if remember_undo and SPEC in state:
        state[SPEC_UNDO] = copy.deepcopy(state[SPEC])
    state[SPEC] = copy.deepcopy(spec)
    state[LAYER_IDS] = [new_layer_id() for _ in spec.get("layers", [])]
