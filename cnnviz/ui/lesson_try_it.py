"""A lesson's Try it button: set up Build, Train or Inspect for the lesson and open it.

Loading a preset goes through state.set_spec(..., remember_undo=True), so the Build page's
Undo brings the student's own layers back.
"""

from __future__ import annotations

import copy

import streamlit as st

from cnnviz import app_files
from cnnviz.data.datasets import DATASETS
from cnnviz.lessons.texts import TryIt
from cnnviz.training import presets
from cnnviz.ui import class_controls, state

PAGES = {"build": "build", "train": "train", "inspect": "inspect"}


def may_open(page: str) -> bool:
    """Whether this student may open a page from a lesson.

    The one place that asks: a page the teacher hid (issue 20) is not opened, and its Try it is
    shown disabled.
    """
    return page in PAGES and not class_controls.is_hidden(PAGES[page])


def with_first_kernel(spec: dict, kernel_size: int) -> dict:
    """The spec with its first Conv2D's kernel_size changed (unchanged without a Conv2D)."""
    changed = copy.deepcopy(spec)
    for layer in changed.get("layers", []):
        if layer.get("type") == "Conv2D":
            layer["kernel_size"] = kernel_size
            break
    return changed


def apply(try_it: TryIt) -> None:
    """Put the lesson's preset (changed as it says) and settings into the workspace."""
    work = state.workspace()
    info = DATASETS[work[state.DATASET]]
    spec = None
    if try_it.preset is not None:
        spec = presets.preset_spec(try_it.preset, info.input_shape, info.num_classes)
        work[state.TRAIN_SETTINGS] = state.preset_train_settings(try_it.preset, info.input_shape)
    if try_it.first_kernel_size is not None:
        spec = with_first_kernel(spec or work[state.SPEC], try_it.first_kernel_size)
    if spec is not None:
        state.set_spec(spec, remember_undo=True)
    if try_it.settings:
        work[state.TRAIN_SETTINGS] = {**work[state.TRAIN_SETTINGS], **try_it.settings}


def try_it_button(try_it: TryIt, number: int) -> None:
    """The button; pressed, it sets the page up and switches to it."""
    allowed = may_open(try_it.page)
    if st.button(
        try_it.label,
        icon=":material/arrow_forward:",
        type="primary",
        disabled=not allowed,
        key=f"lesson{number}_try_it",
        help=None if allowed else "Your teacher has hidden this page.",
    ):
        apply(try_it)
        st.switch_page(
            app_files.page_script(PAGES[try_it.page]),
            query_params={state.QUERY_PARAMETER: state.workspace_id()},
        )
