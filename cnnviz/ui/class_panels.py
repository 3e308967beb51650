"""The Teacher page's forms for the class's settings (issue 20): the challenge (data set, limits,
deadline) and the classroom controls (data set, caps, hidden pages), each stored in the database
and applied at once on every page.
"""

from __future__ import annotations

import datetime
import time

import streamlit as st

from cnnviz.classroom import challenge as challenge_module
from cnnviz.classroom import controls as controls_module
from cnnviz.data.datasets import DATASETS
from cnnviz.model import spec_limits
from cnnviz.model.layer_types import LAYER_TYPES
from cnnviz.store import class_settings
from cnnviz.ui import class_controls

ANY_DATASET = "(any: each student chooses)"


def _limit(value: int) -> int | None:
    """A number box's 0 means no limit."""
    return int(value) or None


def _limit_inputs(current: challenge_module.Challenge | None) -> tuple[int, int, int]:
    """The form's limits: parameters, epochs, training images (0: no limit)."""
    columns = st.columns(3)
    max_params = columns[0].number_input(
        "Most parameters (0: no limit)",
        min_value=0,
        step=10_000,
        value=(current.max_params or 0) if current else 100_000,
    )
    max_epochs = columns[1].number_input(
        "Most epochs (0: no limit)",
        min_value=0,
        value=(current.max_epochs or 0) if current else 5,
    )
    max_images = columns[2].number_input(
        "Most training images (0: no limit)",
        min_value=0,
        step=1000,
        value=(current.max_train_images or 0) if current else 0,
    )
    return max_params, max_epochs, max_images


def _deadline_inputs(current: challenge_module.Challenge | None) -> float | None:
    """The form's deadline as epoch seconds (this server's local time), or None without one."""
    has_deadline = st.checkbox("A deadline", value=bool(current and current.deadline))
    when = datetime.datetime.fromtimestamp(
        current.deadline if current and current.deadline else time.time() + 3600
    )
    day_column, time_column = st.columns(2)
    day = day_column.date_input("Deadline day", value=when.date())
    hour = time_column.time_input(
        "Deadline time", value=when.time().replace(second=0, microsecond=0)
    )
    if not has_deadline:
        return None
    return time.mktime(datetime.datetime.combine(day, hour).timetuple())


def challenge_form() -> None:
    """Set, change or end the class's challenge."""
    current = class_controls.challenge()
    if current is not None:
        st.success(
            f"Challenge set: **{current.title}** ({current.limits_text()})",
            icon=":material/emoji_events:",
        )
    names = list(DATASETS)
    with st.form("teacher_challenge"):
        title = st.text_input(
            "Challenge title",
            value=current.title if current else "",
            max_chars=80,
            placeholder="Best accuracy under 100,000 parameters",
        )
        dataset = st.selectbox(
            "Data set",
            names,
            index=names.index(current.dataset) if current else 0,
            format_func=lambda name: DATASETS[name].title,
        )
        max_params, max_epochs, max_images = _limit_inputs(current)
        layer_types = st.multiselect(
            "Allowed layer types (none chosen: all)",
            sorted(LAYER_TYPES),
            default=list(current.layer_types or ()) if current else [],
        )
        deadline = _deadline_inputs(current)
        submitted = st.form_submit_button(
            "Set the challenge", type="primary", icon=":material/emoji_events:"
        )
    if submitted:
        try:
            made = challenge_module.make(
                title,
                dataset,
                _limit(max_params),
                _limit(max_epochs),
                _limit(max_images),
                layer_types or None,
                deadline,
                # Changing the rules keeps the runs made since the challenge began.
                started_at=current.started_at if current else None,
            )
        except ValueError as error:
            st.error(str(error))
            return
        class_controls.write(class_settings.CHALLENGE, made.to_dict())
        st.rerun()
    if current is not None and st.button("End the challenge", icon=":material/flag:"):
        class_controls.write(class_settings.CHALLENGE, None)
        st.rerun()


def controls_form() -> None:
    """The classroom controls: one data set, caps, hidden pages."""
    server = spec_limits.from_environment()
    current = class_controls.controls()
    choices = [ANY_DATASET, *DATASETS]
    with st.form("teacher_controls"):
        dataset = st.selectbox(
            "The class's data set",
            choices,
            index=choices.index(current.dataset) if current.dataset else 0,
            format_func=lambda name: DATASETS[name].title if name in DATASETS else name,
            help="Fixed, the sidebar offers students only this one.",
        )
        columns = st.columns(2)
        max_epochs = columns[0].number_input(
            "Epoch cap per training (0: the server's limit)",
            min_value=0,
            max_value=server.max_epochs,
            value=current.max_epochs or 0,
            help=f"The server allows {server.max_epochs}." if server.max_epochs else None,
        )
        max_params = columns[1].number_input(
            "Parameter cap (0: the server's limit)",
            min_value=0,
            step=10_000,
            max_value=server.max_params,
            value=current.max_params or 0,
            help=f"The server allows {server.max_params:,}." if server.max_params else None,
        )
        hidden = st.multiselect(
            "Hidden pages",
            list(controls_module.HIDEABLE_PAGES),
            default=list(current.hidden_pages),
            format_func=controls_module.HIDEABLE_PAGES.get,
            help="Students cannot open them (a typed address shows a short notice); you can.",
        )
        submitted = st.form_submit_button(
            "Apply to the class", type="primary", icon=":material/tune:"
        )
    if submitted:
        try:
            made = controls_module.make(
                None if dataset == ANY_DATASET else dataset,
                _limit(max_epochs),
                _limit(max_params),
                hidden,
                server,
            )
        except ValueError as error:
            st.error(str(error))
            return
        class_controls.write(class_settings.CONTROLS, made.to_dict())
        st.rerun()
    if current != controls_module.Controls():
        st.caption(
            "Applied: caps apply to trainings started from now on; a training already "
            "running finishes as it was started."
        )
