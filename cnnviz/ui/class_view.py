"""The Teacher page's class at a glance: one store query per refresh, a sortable table with the
students in trouble standing out, a CSV of it, and the row chosen for a closer (read-only) look.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from cnnviz.classroom import csv_export, names, overview
from cnnviz.classroom import settings as class_settings
from cnnviz.lessons import texts as lesson_texts
from cnnviz.store import classroom as class_store
from cnnviz.ui import saving

CHOSEN = "cnnviz_teacher_chosen"  # the workspace id of the row opened (this session only)
ROWS = "cnnviz_teacher_rows"  # the rows of the last refresh, for the chooser below the table
CHOOSER_KEY = "teacher_open_student"
TRAINING_SECONDS = class_settings.CLASS_VIEW_TRAINING_SECONDS
QUIET_SECONDS = class_settings.CLASS_VIEW_QUIET_SECONDS
TABLE_KEY = "teacher_class_table"
_TRAINING_MARK = "cnnviz_teacher_training"
_PICKED = "cnnviz_teacher_picked"
TROUBLE_COLOUR = "background-color: #fde2e1; color: #7a1212"


@st.cache_resource(show_spinner=False)
def lesson_count() -> int:
    """How many lessons there are (the bundled texts, read once per server)."""
    return len(lesson_texts.load_lessons())


def class_rows(own_id: str) -> list[overview.StudentRow]:
    """The class now: every workspace visited in the window but the teacher's own."""
    since = time.time() - class_settings.class_hours() * 3600
    works = class_store.class_rows(saving.store().engine, since, exclude=own_id)
    return overview.class_overview(works, time.time())


def _is_training(rows: list[overview.StudentRow]) -> bool:
    return any(row.state.startswith(("training", "queued")) for row in rows)


def _styled(table: pd.DataFrame):
    def colour(row):
        return [TROUBLE_COLOUR if row["Trouble"] else ""] * len(row)

    return table.style.apply(colour, axis=1).format(
        {"Parameters": "{:,.0f}", "Best test accuracy": "{:.2f} %"}, na_rep="–"
    )


def _draw(own_id: str) -> None:
    rows = class_rows(own_id)
    training = _is_training(rows)
    if st.session_state.get(_TRAINING_MARK, training) != training:
        # The refresh interval is fixed when the fragment is made: make it again.
        st.session_state[_TRAINING_MARK] = training
        st.rerun(scope="app")
    st.session_state[_TRAINING_MARK] = training
    hours = class_settings.class_hours()
    if not rows:
        st.info(
            f"No student has opened cnnviz in the last {hours:g} hours yet. They appear here "
            "as soon as they change something (a name on Start, a layer on Build).",
            icon=":material/groups:",
        )
        return
    troubled = sum(1 for row in rows if row.troubles)
    st.caption(
        f"{len(rows)} students visited in the last {hours:g} hours; {troubled} may need you "
        "(highlighted). Click a column's title to sort, a row to look at that student's network."
    )
    # Text cells escaped as in the CSV: the table's own toolbar downloads a CSV of it too.
    table = pd.DataFrame(csv_export.table_rows(rows, escaped=True, lesson_count=lesson_count()))
    # Numbers as numbers (missing ones NaN, drawn as a dash), so that they sort as numbers.
    for column in ("Parameters", "Best test accuracy"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    event = st.dataframe(
        _styled(table),
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_config={
            "State": st.column_config.TextColumn(width="medium"),
            "Trouble": st.column_config.TextColumn(width="medium"),
        },
    )
    st.session_state[ROWS] = rows
    picked = event.selection.rows if event is not None else []
    picked_id = rows[picked[0]].workspace_id if picked else None
    if picked_id is not None and picked_id != st.session_state.get(_PICKED):
        # A row clicked opens that student below (the chooser outside this fragment shows it).
        st.session_state[_PICKED] = picked_id
        st.session_state[CHOSEN] = picked_id
        st.session_state.pop(CHOOSER_KEY, None)
        st.rerun(scope="app")
    st.download_button(
        "Download the class as CSV",
        csv_export.to_csv(rows, lesson_count()),
        file_name="class.csv",
        mime="text/csv",
        icon=":material/download:",
        help="Names and figures only: no student's address is in it.",
    )


def _label(row: overview.StudentRow | None) -> str:
    if row is None:
        return "(nobody)"
    return names.display_name(row.name, row.number)


def show(own_id: str) -> overview.StudentRow | None:
    """Draws the live class view and a chooser of one student; returns the one chosen."""
    training = st.session_state.get(_TRAINING_MARK, False)
    interval = TRAINING_SECONDS if training else QUIET_SECONDS
    st.fragment(run_every=interval)(_draw)(own_id)
    rows = st.session_state.get(ROWS) or []
    if not rows:
        return None
    ids = [None, *(row.workspace_id for row in rows)]
    by_id = {row.workspace_id: row for row in rows}
    chosen = st.session_state.get(CHOSEN)
    chosen_id = st.selectbox(
        "Look at a student's work (read-only)",
        ids,
        index=ids.index(chosen) if chosen in ids else 0,
        format_func=lambda workspace_id: _label(by_id.get(workspace_id)),
        key=CHOOSER_KEY,
    )
    st.session_state[CHOSEN] = chosen_id
    return by_id.get(chosen_id)
