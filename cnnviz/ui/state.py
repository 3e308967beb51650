"""The user's workspace: every key cnnviz keeps for a user, and their first values.

Widget keys vanish when a user leaves the page that drew them, so whatever must survive a page
switch (the spec, the chosen data set, training settings, the job, the runs) lives in the
workspace under the keys below and is copied in and out of widgets explicitly. Pages reach it
only through `workspace()`.
"""

from __future__ import annotations

import copy

import streamlit as st

from cnnviz import presets
from cnnviz.datasets import DATASETS

WORKSPACE = "cnnviz_workspace"  # session-state key of the workspace dict itself
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
OWN_DATA = "cnnviz_own_data"  # the student's own pictures, a cnnviz.own_data.OwnData
OWN_DATA_PAGE = "cnnviz_own_data_page"  # the My data page's notes and widget generations

DEFAULT_DATASET = "mnist"
DEFAULT_TRAIN_SETTINGS = {
    "epochs": 1,
    "batch_size": 128,
    "optimizer": "adam",
    "learning_rate": 0.001,
    "train_limit": None,
}


def workspace() -> dict:
    """The dict holding this user's work (the keys above)."""
    return st.session_state.setdefault(WORKSPACE, {})


def new_layer_id() -> int:
    """An id no other layer of this workspace has had.

    Counted in the workspace, not in a module global: a module can be re-imported while the
    server runs, and a counter starting again at 1 would repeat widget keys.
    """
    state = workspace()
    next_id = state.get(NEXT_LAYER_ID, 1)
    state[NEXT_LAYER_ID] = next_id + 1
    return next_id


def is_initialised() -> bool:
    """Whether this workspace has had its first values already."""
    return SPEC in workspace()


def init_session_state() -> None:
    """Give every key its first value, once per workspace."""
    state = workspace()
    if DATASET not in state:
        state[DATASET] = DEFAULT_DATASET
    if SPEC not in state:
        info = DATASETS[state[DATASET]]
        set_spec(presets.preset_spec(presets.DEFAULT_PRESET, info.input_shape, info.num_classes))
    state.setdefault(SPEC_UNDO, None)
    state.setdefault(TRAIN_SETTINGS, dict(DEFAULT_TRAIN_SETTINGS))
    state.setdefault(JOB, None)
    state.setdefault(JOB_RUN_ID, None)
    state.setdefault(RECORDED, None)
    state.setdefault(INSPECT, {"source": "test", "index": 0, "upload": None})
    if RUNS not in state:
        # Imported here so the first screen does not wait for TensorFlow.
        from cnnviz.runs import RunHistory

        state[RUNS] = RunHistory()


def set_spec(spec: dict, remember_undo: bool = False) -> None:
    """Replace the edited spec (and its layer ids); optionally keep the old one for Undo."""
    state = workspace()
    if remember_undo and SPEC in state:
        state[SPEC_UNDO] = copy.deepcopy(state[SPEC])
    state[SPEC] = copy.deepcopy(spec)
    state[LAYER_IDS] = [new_layer_id() for _ in spec.get("layers", [])]
